#!/bin/sh
# Start PostgreSQL 15 as the postgres user, creating the cluster on first start.
# Environment: POSTGRES_USER (default mirrorbuddy), POSTGRES_PASSWORD (optional; required for TCP logins),
# POSTGRES_DB (default: the user's name). Local socket logins are trusted, TCP logins need a password.
set -eu

PGDATA=${PGDATA:-/var/lib/postgresql/data}
POSTGRES_USER=${POSTGRES_USER:-mirrorbuddy}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
export PGDATA

as_postgres() {
  setpriv --reuid=postgres --regid=postgres --init-groups "$@"
}

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 0700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  as_postgres initdb --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  printf "listen_addresses = '*'\nunix_socket_directories = '/run/postgresql'\n" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"

  as_postgres pg_ctl -w -o "-c listen_addresses=''" start >/dev/null
  # Values travel as psql variables on standard input, so the password is never in an argument vector.
  # Values reach psql as variables; the password is read from the environment, never from an argument.
  export POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"
  as_postgres psql -X -v ON_ERROR_STOP=1 -q -d postgres \
    -v user="$POSTGRES_USER" -v db="$POSTGRES_DB" <<'SQL'
\getenv password POSTGRES_PASSWORD
CREATE ROLE :"user" LOGIN SUPERUSER;
SELECT :'password' <> '' AS has_password \gset
\if :has_password
  ALTER ROLE :"user" PASSWORD :'password';
\endif
CREATE DATABASE :"db" OWNER :"user";
SQL
  as_postgres pg_ctl -w stop >/dev/null
fi

unset POSTGRES_PASSWORD
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres
