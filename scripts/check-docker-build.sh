#!/usr/bin/env bash
# Builds the Docker image's builder stage without a Docker engine: copies exactly the files that
# docker/Dockerfile's builder stage COPYs (honouring .dockerignore's node_modules/dist exclusions)
# into a temporary directory, then runs the same `npm ci`, `npm run build` and
# `npm prune --omit=dev` as the image, and loads the runtime entry points with production
# dependencies only. A file the build needs but the Dockerfile forgets fails here, not in a
# user's `docker compose up --build`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

dockerfile=docker/Dockerfile
work=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-docker-XXXXXX")
trap 'rm -rf "$work"' EXIT

# COPY lines of the first (builder) stage, without --from: every word but the last is a source.
sources=$(awk '
  /^FROM / { stage++ }
  stage == 1 && /^COPY / && !/--from/ { for (i = 2; i < NF; i++) print $i }
' "$dockerfile")
[ -n "$sources" ] || { echo "check-docker-build: no COPY lines found in $dockerfile" >&2; exit 1; }

for src in $sources; do
  [ -e "$src" ] || { echo "check-docker-build: $dockerfile copies $src, which does not exist" >&2; exit 1; }
  mkdir -p "$work/$(dirname "$src")"
  # --exclude mirrors .dockerignore for what could sit inside a copied folder
  tar -cf - --exclude=node_modules --exclude=dist --exclude='*.log' "$src" | tar -xf - -C "$work"
done
echo "check-docker-build: builder stage file set: $(echo $sources | tr '\n' ' ')"

# The image runs node:24; here that is the npm `node` package's binary (dev dependency), which
# `npm prune --omit=dev` removes from the copy, so take this checkout's.
node24=$(PATH="$PWD/node_modules/.bin:$PATH" command -v node)
"$node24" -e 'process.exit(+process.versions.node.split(".")[0] >= 24 ? 0 : 1)' ||
  { echo "check-docker-build: Node 24 not found (run npm ci first)" >&2; exit 1; }

cd "$work"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
npm prune --omit=dev --no-audit --no-fund --loglevel=error
# The runtime stage has node_modules (production only) and dist: its modules must load there.
# Requiring the modules (not main.js/worker.js, which would boot) resolves every import; the
# config is validated at import, so give it a throwaway valid one.
JWT_SECRET=docker-build-check-0123456789abcdef0123456789 \
  ENCRYPTION_KEY=$("$node24" -e 'console.log(require("crypto").randomBytes(32).toString("base64"))') \
  DATABASE_URL=postgres://127.0.0.1:1/none REDIS_URL=redis://127.0.0.1:1 \
  "$node24" -e "require('./dist/src/app.module.js'); require('./dist/src/database/data-source-options.js')"
echo "check-docker-build: ok (build, prune --omit=dev, runtime modules load)"
