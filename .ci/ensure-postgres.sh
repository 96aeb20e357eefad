#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with a database `test`.
# Starts the Debian cluster if it is down; fails loudly if it cannot.
set -uo pipefail
export KIOSK_TEST_PG_URL="${KIOSK_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "PostgreSQL client tools not found; installing postgresql" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1 || true
fi
if ! ready; then
  echo "PostgreSQL is not running on 127.0.0.1:5432: starting it" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  for _ in $(seq 1 30); do ready && break; sleep 1; done
fi
if ! ready; then
  echo "FATAL: could not start PostgreSQL on 127.0.0.1:5432 (the central suite needs it)" >&2
  exit 1
fi
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE test" >/dev/null \
  || { echo "FATAL: database 'test' missing and could not be created" >&2; exit 1; }
echo "PostgreSQL ready on 127.0.0.1:5432"
