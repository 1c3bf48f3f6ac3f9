#!/usr/bin/env bash
# A throwaway PostgreSQL for podium's tests (Optuna storage shared by tuning workers).
#
# Installs Debian's postgresql if missing, starts a cluster listening on 127.0.0.1,
# creates the role and database if absent, and prints the SQLAlchemy URL on stdout
# (everything else goes to stderr). Safe to run again: it reuses what is there.
#
#   export PODIUM_TEST_POSTGRES_URL="$(.ci/postgres.sh)"
#
# Settings (environment): PODIUM_PG_PORT (5432), PODIUM_PG_USER (podium),
# PODIUM_PG_PASSWORD (podium), PODIUM_PG_DB (podium_test). Needs root (or sudo).
set -euo pipefail

PORT="${PODIUM_PG_PORT:-5432}"
PGUSER_NAME="${PODIUM_PG_USER:-podium}"
PGPASS="${PODIUM_PG_PASSWORD:-podium}"
PGDB="${PODIUM_PG_DB:-podium_test}"

log() { echo "postgres.sh: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root runuser -u postgres -- "$@"; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "installing postgresql (apt-get)"
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {found=1} END {exit !found}'; then
  log "creating cluster $VERSION/main on port $PORT"
  as_root pg_createcluster "$VERSION" main --port "$PORT" >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')"

if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" && $4 == "online" {found=1} END {exit !found}'; then
  log "starting cluster $VERSION/main (port $PORT)"
  as_root pg_ctlcluster "$VERSION" main start >&2
fi

for _ in $(seq 1 60); do
  if pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { log "server on 127.0.0.1:$PORT did not come up"; exit 1; }

psql_admin() { as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PGUSER_NAME'")" != "1" ]; then
  log "creating role $PGUSER_NAME"
  psql_admin -c "CREATE ROLE \"$PGUSER_NAME\" LOGIN PASSWORD '$PGPASS'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PGDB'")" != "1" ]; then
  log "creating database $PGDB"
  psql_admin -c "CREATE DATABASE \"$PGDB\" OWNER \"$PGUSER_NAME\"" >&2
fi

URL="postgresql+psycopg2://$PGUSER_NAME:$PGPASS@127.0.0.1:$PORT/$PGDB"
export PODIUM_TEST_POSTGRES_URL="$URL"
echo "$URL"
