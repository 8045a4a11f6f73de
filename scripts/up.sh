#!/usr/bin/env bash
# The README's first command; works on a fresh clone before `npm install`:
# PostgreSQL + Redis (scripts/services.sh), dependencies, .env, build, then the gateway in the
# foreground (API + workers in one process; Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# npm runs the scripts below on Node 24 from the npm `node` package (a dev dependency, put first on
# PATH by npm), whatever `node` is installed; npm itself only needs a Node that runs npm 11.
if ! command -v npm >/dev/null 2>&1; then
  echo "up: Node.js with npm is needed: https://nodejs.org" >&2
  exit 1
fi

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
  npm ci --no-audit --no-fund
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
