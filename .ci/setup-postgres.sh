#!/usr/bin/env bash
# CI: a throwaway PostgreSQL 15 for the ledger's tests, from Debian's binaries
# (/usr/lib/postgresql/15/bin), on loopback only.
#
#   .ci/setup-postgres.sh            start it (or find it running) and print its URL
#   export CROSSPOST_POSTGRES_URL="$(.ci/setup-postgres.sh | tail -n 1)"
#   export CROSSPOST_REQUIRE_POSTGRES=1   # the PostgreSQL tests fail instead of skipping
#
# The cluster lives in $CROSSPOST_PG_DIR (default /tmp/crosspost-pg, made on the first run) and
# listens on 127.0.0.1:$CROSSPOST_PG_PORT (default 54329) with trust authentication: it is for
# tests, never for data anyone keeps. The server runs as the `postgres` user (initdb refuses
# root), so CI running as root works. Running the script again finds the server up, makes the
# database if it is missing and prints the same URL. Stop it with
#   su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D /tmp/crosspost-pg/data stop"
set -euo pipefail

bin="${CROSSPOST_PG_BIN:-/usr/lib/postgresql/15/bin}"
root="${CROSSPOST_PG_DIR:-/tmp/crosspost-pg}"
port="${CROSSPOST_PG_PORT:-54329}"
database="crosspost_test"
data="$root/data"

if [ ! -x "$bin/postgres" ]; then
    echo "setup-postgres: no PostgreSQL 15 in $bin (apt-get install postgresql-15)" >&2
    exit 1
fi

# Run a command as the server's owner: root hands it to `postgres`, anyone else runs it.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; }

if ! ready; then
    mkdir -p "$root"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$root"; fi
    if [ ! -s "$data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$root/initdb.log" 2>&1 || {
            cat "$root/initdb.log" >&2
            exit 1
        }
    fi
    # A server left half-started (a killed CI run) leaves its pid file: pg_ctl sees it is dead.
    as_owner "$bin/pg_ctl" -D "$data" -l "$root/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $root" start >/dev/null || {
        tail -n 20 "$root/server.log" >&2
        exit 1
    }
fi

for _ in $(seq 1 60); do
    ready && break
    sleep 0.5
done
ready || {
    echo "setup-postgres: the server on 127.0.0.1:$port does not answer" >&2
    exit 1
}

psql=("$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -tA)
if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
    "${psql[@]}" -c "CREATE DATABASE $database" >/dev/null
fi
echo "postgresql://postgres@127.0.0.1:$port/$database"
