#!/bin/sh
# Inside nginx (issue 13, goal c): one worker sends N identities (default
# 200,000) with the cosocket transport and the default options to the sandbox
# at 150 ms latency per request, while a probe GETs /ping every 20 ms. Prints
# the worst /ping response time (median of RUNS, default 5; goal <= 20 ms),
# the worker's CPU seconds per million identities and the share of the
# 1000 requests/s ceiling sustained (goal >= 90%; from the sandbox's log,
# the first third of the send left out) and reached over the whole send.
#   bench/ngx_stall.sh [IDS]     BUILD=build  BENCH_QUICK=1 (3 runs)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${1:-200000}
RUNS=${RUNS:-5}
if [ "${BENCH_QUICK:-}" = 1 ]; then N=${1:-200000}; RUNS=3; fi
[ -f "$BUILD/luajit/clevertap/core.so" ] || make -s BUILD="$BUILD" all
modules=/usr/share/nginx/modules-available
[ -f "$modules/mod-http-lua.conf" ] || { echo "skipped: no ngx_lua (libnginx-mod-http-lua)"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-bench-ngx.XXXXXX")
cleanup() {
  [ -f "$work/ngx/nginx.pid" ] && kill "$(cat "$work/ngx/nginx.pid")" 2>/dev/null
  sandbox/ctl stop --dir "$work/sb" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
sandbox/ctl start --dir "$work/sb" --port 0 --log-body-max 256 --no-validate >/dev/null
sb=$(cat "$work/sb/url")
curl -fsS -X POST "${sb%/1}/_sandbox/faults" -H 'Content-Type: application/json' \
  -d '{"rules":[{"path":"/1/send/push.json","fault":"latency","ms":150}]}' >/dev/null
mkdir -p "$work/ngx/logs"
port=$(lua5.4 sandbox/bin/freeport.lua)
load=$(sed -n 's/^load_module \([^;]*\);/\1/p' "$modules/mod-http-ndk.conf" "$modules/mod-http-lua.conf" |
  while read -r m; do case $m in /*) ;; *) m=/usr/share/nginx/$m ;; esac; echo "load_module $m;"; done)
[ "$(id -u)" = 0 ] && user="user root root;" || user=""
cat >"$work/ngx/nginx.conf" <<NGINX
$load
$user
worker_processes 1;
daemon on;
pid $work/ngx/nginx.pid;
error_log $work/ngx/error.log;
env CT_BENCH_BASE=$sb;
events { worker_connections 1024; }
http {
  access_log off;
  lua_package_path "$PWD/lua/?.lua;$PWD/lua/?/init.lua;$PWD/bench/?.lua;/usr/share/lua/5.1/?.lua;;";
  lua_package_cpath "$PWD/$BUILD/luajit/?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;;";
  lua_shared_dict results 1m;
  client_body_temp_path $work/ngx/body;
  proxy_temp_path $work/ngx/proxy;
  fastcgi_temp_path $work/ngx/fcgi;
  uwsgi_temp_path $work/ngx/uwsgi;
  scgi_temp_path $work/ngx/scgi;
  server {
    listen 127.0.0.1:$port;
    location = /ping { content_by_lua_block { ngx.say("pong") } }
    location = /send { content_by_lua_block { require("ngx_send").start() } }
    location = /status { content_by_lua_block { require("ngx_send").status() } }
  }
}
NGINX
/usr/sbin/nginx -p "$work/ngx" -c "$work/ngx/nginx.conf" -e "$work/ngx/error.log"
sleep 0.3
i=0
while [ $i -lt "$RUNS" ]; do
  lua5.4 bench/ngx_probe.lua "$port" "$N" "${sb%/1}" || { echo "probe failed" >&2; tail -5 "$work/ngx/error.log" >&2; exit 1; }
  i=$((i + 1))
done >"$work/results"
grep -q "ok=yes" "$work/results" || { echo "a send failed:"; cat "$work/results"; tail -5 "$work/ngx/error.log"; exit 1; }
sort -t= -k2 -n "$work/results" | awk -v n="$N" -v runs="$RUNS" '
{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] } }
END {
  m = int((NR + 1) / 2)
  printf "inside nginx, 1 worker, cosocket transport, defaults, %d identities at 150 ms (median of %d runs)\n", n, runs
  printf "worst /ping stall: %.1f ms (goal <= 20 ms); runs:", v[m, "worst_ms"], runs
  for (r = 1; r <= NR; r++) printf " %.1f", v[r, "worst_ms"]
  printf "\nworker CPU: %.2f s per million identities; sustained %.0f%% of the 1000 requests/s ceiling (goal >= 90%%; %.0f%% over the whole send, start-up and last wave included)\n",
    v[m, "cpu"] / n * 1e6, v[m, "sustained"] / 10, v[m, "requests"] / v[m, "wall"] / 1000 * 100
}'
