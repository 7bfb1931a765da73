#!/usr/bin/env bash
# CI: a Redis server for the worker's queue, lock and budget tests, from Debian's redis-server
# (installed if missing), on loopback at a fixed port, in memory only (no RDB, no AOF),
# daemonized. Idempotent: a server already answering there is kept. Prints the URL to export as
# CROSSPOST_REDIS_URL. Port and folder: CROSSPOST_REDIS_PORT (56379), CROSSPOST_REDIS_DIR.
set -euo pipefail
port="${CROSSPOST_REDIS_PORT:-56379}"
dir="${CROSSPOST_REDIS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/crosspost-redis}"
url="redis://127.0.0.1:$port/0"

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    sudo_=""
    if [ "$(id -u)" != 0 ]; then sudo_="sudo"; fi
    $sudo_ apt-get update -qq
    $sudo_ apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi

ping() { [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; }

if ! ping; then
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
        --save '' --appendonly no --dir "$dir" \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
    for _ in $(seq 1 100); do
        if ping; then break; fi
        sleep 0.1
    done
    if ! ping; then
        echo "redis-server did not answer on 127.0.0.1:$port; its log: $dir/redis.log" >&2
        tail -n 20 "$dir/redis.log" >&2 || true
        exit 1
    fi
fi
echo "$url"
