#!/usr/bin/env bash
# Start a local PostgreSQL 15 (with PostGIS) for the test suite and print the URL to export as
# WISHBOARD_TEST_POSTGRES_URL. Needs root on Debian 12 (it installs the packages when missing).
# Usage: eval "$(scripts/test-postgres.sh)"
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
{
  if [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
    apt-get update -qq && apt-get install -y -qq postgresql postgresql-15-postgis-3
  fi
  pg_lsclusters -h | grep -q '^15 *main' || pg_createcluster 15 main
  pg_lsclusters -h | grep -q '^15 *main.*online' || pg_ctlcluster 15 main start
  runuser -u postgres -- psql -qtA -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'CREATE ROLE wishboard LOGIN PASSWORD ''wishboard''' WHERE NOT EXISTS
  (SELECT 1 FROM pg_roles WHERE rolname = 'wishboard')\gexec
-- Each pytest-xdist worker creates a database of its own beside wishboard_test (tests/conftest.py):
-- wishboard_test_gw0, wishboard_test_gw1... Those of an earlier run go with wishboard_test.
ALTER ROLE wishboard CREATEDB;
SELECT format('DROP DATABASE %I', datname) FROM pg_database
  WHERE datname LIKE 'wishboard\_test\_gw%'\gexec
DROP DATABASE IF EXISTS wishboard_test;
CREATE DATABASE wishboard_test OWNER wishboard;
SQL
} >&2
echo "export WISHBOARD_TEST_POSTGRES_URL=postgresql+psycopg://wishboard:wishboard@127.0.0.1:5432/wishboard_test"
