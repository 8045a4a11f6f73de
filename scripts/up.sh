#!/usr/bin/env bash
# The README's first command; works on a fresh clone before `npm install`:
# PostgreSQL + Redis (scripts/services.sh), dependencies, .env, build, then the gateway in the
# foreground (API + workers in one process; Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "up: Node.js >= 20.19 with npm is needed: https://nodejs.org" >&2
  exit 1
fi
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  { echo "up: Node.js >= 20.19 is needed, this is $(node -v)" >&2; exit 1; }

bash scripts/services.sh
# After a fresh PostgreSQL install, services.sh gives user postgres the password 'postgres' (TCP
# logins need one there). The app's pg driver reads PGPASSWORD like psql does, so pass it on.
if [ -z "${PGPASSWORD:-}" ] && command -v psql >/dev/null 2>&1 &&
  ! psql -w -X -h 127.0.0.1 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1 &&
  PGPASSWORD=postgres psql -w -X -h 127.0.0.1 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
  export PGPASSWORD=postgres
fi

# npm ci writes node_modules/.package-lock.json; a newer package-lock.json means deps changed.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "up: installing dependencies (npm ci)"
  # npm ci refuses a lock that lacks other platforms' optional packages (see .ci/run); then
  # install from the same lock without rewriting it.
  if ! out=$(npm ci --no-audit --no-fund 2>&1); then
    grep -q 'from lock file' <<<"$out" || { printf '%s\n' "$out" >&2; exit 1; }
    echo "up: npm ci refused package-lock.json; installing with npm install --no-save instead"
    npm install --no-audit --no-fund --no-save
  fi
fi

if [ ! -f .env ]; then
  cp .env.example .env
  echo "up: created .env from .env.example (dev secrets: fine locally, change them anywhere else)"
fi

echo "up: building (npm run build)"
npm run build
port=${PORT:-$(sed -n 's/^PORT=//p' .env | tail -n 1)}
echo "up: starting Switchboard (node dist/src/main.js): http://localhost:${port:-3000}, Swagger at /api/docs"
exec npm run --silent start
