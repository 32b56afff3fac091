#!/bin/sh
# docker-compose's PostgreSQL runs this once, on a fresh data volume: the records store gets a role
# and a database of its own, apart from Temporal's. The worker migrates it at start-up.
set -eu
: "${RECORDS_DB_PASSWORD:?the records store role's password}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres --set=password="$RECORDS_DB_PASSWORD" <<'SQL'
CREATE ROLE dispute LOGIN PASSWORD :'password';
CREATE DATABASE dispute_records OWNER dispute;
REVOKE ALL ON DATABASE dispute_records FROM PUBLIC;
SQL
