#!/usr/bin/env bash
# Makes sure the PostgreSQL, Redis and NATS (JetStream) that Switchboard and `npm test` use answer
# on 127.0.0.1 (5432, 6379 and 4222): starts them when installed but stopped, installs them with
# apt-get when absent (Debian package `nats-server`, started as `nats-server -js`),
# then creates the app database if missing. Installs Debian's Chromium for the browser tests too
# when /usr/bin/chromium is missing (NO_BROWSER=1: not). Idempotent; prints one line per action
# taken and nothing when all is already fine.
#
#   DB_NAME     database to create when missing (default: switchboard)
#   NO_BROWSER  1: do not install Chromium (only `npm test` needs it)
#   NO_NATS     1: do not start or install nats-server (NATS is optional: NATS_URL unset = off)
#   NATS_STORE  JetStream store directory of a nats-server started here (default /var/lib/nats)
#   PGPASSWORD  read by psql/createdb, for a postgres user that has a password
# shellcheck disable=SC2016,SC2012 # single quotes feed an inner bash; ls lists plain version dirs
set -euo pipefail

DB_NAME=${DB_NAME:-switchboard}
WAIT_SECONDS=30

say() { printf 'services: %s\n' "$*"; }
die() {
  printf 'services: %s\n' "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# System commands run directly as root, else through sudo when there is one.
as_root() {
  if [ "$(id -u)" -eq 0 ] || ! have sudo; then "$@"; else sudo "$@"; fi
}
as_postgres() {
  # cd / so psql does not warn about a home directory the postgres user cannot read
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && sudo -u postgres "$@"); fi
}
systemd_running() { [ -d /run/systemd/system ]; }

# Answers on 127.0.0.1? The client tools when present, else a bare TCP connect / RESP PING.
tcp_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }
pg_up() {
  if have pg_isready; then pg_isready -q -h 127.0.0.1 -p 5432; else tcp_open 127.0.0.1 5432; fi
}
redis_up() {
  local reply
  if have redis-cli; then
    reply=$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) || true
  else
    reply=$(timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379 && printf "PING\r\n" >&3 && IFS= read -r l <&3 && printf %s "$l"' 2>/dev/null) || true
  fi
  # NOAUTH: a Redis with a password answers too; its password then belongs in REDIS_URL.
  case "$reply" in *PONG* | *NOAUTH*) return 0 ;; *) return 1 ;; esac
}
nats_up() { tcp_open 127.0.0.1 4222; }
wait_for() { # <name> <check function>
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$2"; do
    [ "$SECONDS" -lt "$deadline" ] || die "$1 did not answer on 127.0.0.1 within ${WAIT_SECONDS}s"
    sleep 0.5
  done
}

# Debian layout: clusters in /etc/postgresql/<version>/main, servers in /usr/lib/postgresql/<version>.
pg_cluster_version() {
  local dir
  dir=$(ls -d /etc/postgresql/*/main 2>/dev/null | sort -V | tail -n 1) || true
  if [ -n "$dir" ]; then basename "$(dirname "$dir")"; fi
}
pg_installed() {
  [ -n "$(pg_cluster_version)" ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
}

start_postgres() {
  local version
  version=$(pg_cluster_version)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    say "creating PostgreSQL cluster $version/main"
    as_root pg_createcluster "$version" main >/dev/null
  fi
  # A failed start is not fatal here: wait_for below gives the verdict.
  if systemd_running; then
    say "starting PostgreSQL (service postgresql start)"
    as_root service postgresql start || true
  else
    say "starting PostgreSQL $version/main (pg_ctlcluster)"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
}

start_redis() {
  if systemd_running; then
    say "starting Redis (service redis-server start)"
    as_root service redis-server start || true
  else
    say "starting Redis (redis-server --daemonize yes on 127.0.0.1:6379)"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
}

install_packages() {
  have apt-get || die "$* not installed and no apt-get here: install PostgreSQL >= 15 and Redis >= 7 (or run docker/docker-compose.yml), then rerun"
  if [ "$(id -u)" -ne 0 ] && ! have sudo; then die "$* not installed: rerun as root, or with sudo available"; fi
  say "installing $* (apt-get)"
  local log
  log=$(mktemp)
  if ! { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "apt-get install $* failed"
  fi
  rm -f "$log"
}

start_nats() {
  local store=${NATS_STORE:-/var/lib/nats}
  say "starting NATS with JetStream (nats-server -js on 127.0.0.1:4222, store $store)"
  as_root mkdir -p "$store"
  # no systemd unit in Debian's package: run it in the background, logging next to the store
  as_root bash -c 'nohup nats-server -js -a 127.0.0.1 -p 4222 -sd "$0" >>"$0/nats-server.log" 2>&1 &' "$store" || true
}

# --- PostgreSQL, Redis and NATS up ---------------------------------------------------------------
pg_fresh=0
pg_down=0
redis_down=0
pg_up || pg_down=1
redis_up || redis_down=1

missing=()
if [ "$pg_down" -eq 1 ] && ! pg_installed; then missing+=(postgresql) && pg_fresh=1; fi
if [ "$redis_down" -eq 1 ] && ! have redis-server; then missing+=(redis-server); fi
nats_down=0
if [ "${NO_NATS:-0}" != 1 ]; then nats_up || nats_down=1; fi
if [ "$nats_down" -eq 1 ] && ! have nats-server; then missing+=(nats-server); fi
if [ "${#missing[@]}" -gt 0 ]; then install_packages "${missing[@]}"; fi

# npm test's browser tests (test/browser) drive Debian's Chromium, or CHROMIUM_PATH's; NO_BROWSER=1
# skips it on a machine that only serves the gateway.
if [ "${NO_BROWSER:-0}" != 1 ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if have apt-get; then
    install_packages chromium
  else
    say "Chromium not found at /usr/bin/chromium and no apt-get here: the browser tests need it (or set CHROMIUM_PATH)"
  fi
fi

# apt may have started them already (systemd); only start what still does not answer.
if [ "$pg_down" -eq 1 ] && ! pg_up; then start_postgres; fi
if [ "$redis_down" -eq 1 ] && ! redis_up; then start_redis; fi
if [ "$nats_down" -eq 1 ] && ! nats_up; then start_nats; fi
wait_for PostgreSQL pg_up
wait_for Redis redis_up
if [ "$nats_down" -eq 1 ]; then wait_for NATS nats_up; fi

# --- access as user postgres over TCP ----------------------------------------------------------
if ! have psql; then
  say "psql not found: cannot check that database $DB_NAME exists (apt-get install postgresql-client)"
  exit 0
fi
psql_ok() { psql -w -X -q -h 127.0.0.1 -p 5432 -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; }
if ! psql_ok; then
  if [ -z "${PGPASSWORD:-}" ] && PGPASSWORD=postgres psql_ok; then
    # An earlier run of this script set that password (the branch below).
    export PGPASSWORD=postgres
  elif [ "$pg_fresh" -eq 1 ]; then
    # A fresh Debian install allows TCP logins by password only (scram-sha-256 in pg_hba.conf) and
    # user postgres has none. Rather than edit pg_hba.conf, give it the well-known dev password
    # 'postgres' (local peer login as the postgres OS user still works) and say which URL to use.
    say "setting password 'postgres' for PostgreSQL user postgres (fresh install: TCP logins need one)"
    as_postgres psql -X -q -c "ALTER USER postgres PASSWORD 'postgres'"
    export PGPASSWORD=postgres
    psql_ok || die "still cannot log in to PostgreSQL on 127.0.0.1:5432 as postgres"
    say "export PGPASSWORD=postgres (psql, the app and npm test all read it) or put it in DATABASE_URL: postgres://postgres:postgres@127.0.0.1:5432/$DB_NAME"
  else
    die "cannot log in to PostgreSQL on 127.0.0.1:5432 as user postgres: export PGPASSWORD, or allow trust for 127.0.0.1 in pg_hba.conf"
  fi
fi

# --- the app database --------------------------------------------------------------------------
[[ "$DB_NAME" =~ ^[A-Za-z0-9_-]+$ ]] || die "DB_NAME must be letters, digits, _ or -: got '$DB_NAME'"
exists=$(psql -w -X -h 127.0.0.1 -p 5432 -U postgres -d postgres -tAc "select 1 from pg_database where datname = '$DB_NAME'")
if [ "$exists" != 1 ]; then
  say "creating database $DB_NAME"
  createdb -w -h 127.0.0.1 -p 5432 -U postgres "$DB_NAME"
fi
