#!/bin/sh
# What a shared limiter costs a client: the same one-identity sends against
# the sandbox (answering at once), with limiter "local" and with a Redis
# limiter on 127.0.0.1 (a redis-server started here, no persistence):
#   (a) one request at a time: the latency each request gains (one Redis
#       round trip per request started);
#   (b) 64 in flight: the client CPU each request gains (redis-server's own
#       CPU is not counted);
#   (c) at the API's ceiling (50 ms per request): 3 processes sharing the
#       limits through Redis against one process on the local limiter, the
#       aggregate rate from the sandbox's log (goal: >= 95%).
#   bench/limiter.sh [REQUESTS]      BENCH_LUA=lua5.4|luajit  BUILD=build
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${1:-2000}
LUA=${BENCH_LUA:-lua5.4}
if [ -z "${CLEVERTAP_SANDBOX_URL:-}" ]; then echo "skipped: no sandbox"; exit 0; fi
command -v redis-server >/dev/null || { echo "skipped: no redis-server (tools/deps.sh test)"; exit 0; }
[ -f "$BUILD/$LUA/clevertap/core.so" ] || make -s BUILD="$BUILD" all
export LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;$PWD/bench/?.lua;$PWD/spec/?.lua;;"
export LUA_CPATH="$PWD/$BUILD/$LUA/?.so;;"
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-bench-limiter.XXXXXX")
port=$($LUA -e 'local s = require("socket").bind("127.0.0.1", 0); local _, p = s:getsockname(); s:close(); print(p)' 2>/dev/null || echo 16379)
cleanup() {
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --dir "$work" --pidfile "$work/redis.pid" --logfile "$work/redis.log"
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "redis-server did not start"; exit 1; }; sleep 0.05
done
run() { $LUA bench/limiter.lua "$CLEVERTAP_SANDBOX_URL" "$1" "$N" "$2"; }
set -- $(run local 1); lw1=$1
set -- $(run "redis://127.0.0.1:$port/0" 1); rw1=$1
set -- $(run local 64); lc=$2; lw=$1
set -- $(run "redis://127.0.0.1:$port/0" 64); rc=$2; rw=$1
awk -v n="$N" -v lw1="$lw1" -v rw1="$rw1" -v lc="$lc" -v rc="$rc" -v lw="$lw" -v rw="$rw" 'BEGIN {
  printf "(a) one at a time: %.3f ms a request local, %.3f ms with redis: +%.3f ms a request\n", lw1 * 1000 / n, rw1 * 1000 / n, (rw1 - lw1) * 1000 / n
  printf "(b) 64 in flight: client CPU %.1f us a request local, %.1f us with redis: +%.1f us (%.2fx); %.0f vs %.0f requests/s\n", lc * 1e6 / n, rc * 1e6 / n, (rc - lc) * 1e6 / n, rc / lc, n / lw, n / rw
}'
FLEET=${BENCH_FLEET:-6000}
[ "${BENCH_QUICK:-0}" = 1 ] && FLEET=3000
set -- $($LUA bench/limiter_fleet.lua "redis://127.0.0.1:$port/0" "$FLEET" 3)
awk -v l="$1" -v s="$2" 'BEGIN {
  printf "(c) at the ceiling: one process, local limiter %.0f requests/s; 3 processes on redis %.0f requests/s together: %.0f%%\n", l, s, s * 100 / l
}'
