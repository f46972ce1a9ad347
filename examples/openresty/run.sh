#!/bin/sh
# Starts or stops the example: nginx with examples/openresty/nginx.conf.
#   examples/openresty/run.sh start DIR PORT   # renders DIR/nginx.conf, starts nginx (daemon)
#   examples/openresty/run.sh stop DIR
# Environment: BUILD (default build: uses $BUILD/luajit/clevertap/core.so),
# CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE, CLEVERTAP_REGION or
# CLEVERTAP_BASE_URL (passed to the workers), NGINX (default /usr/sbin/nginx).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NGINX=${NGINX:-/usr/sbin/nginx}

usage() { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac

case "$cmd" in
  start)
    [ $# -eq 3 ] || usage
    port=$3
    build=${BUILD:-build}
    case "$build" in /*) ;; *) build="$root/$build" ;; esac
    [ -f "$build/luajit/clevertap/core.so" ] || { echo "missing $build/luajit/clevertap/core.so: run make" >&2; exit 1; }
    # The first IPv4 name server (nginx's resolver takes no scoped IPv6 address).
    resolver=$(awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
    user=""
    # As root, nginx would run its workers as "nobody".
    [ "$(id -u)" = 0 ] && user="user root root;"
    mkdir -p "$dir/tmp"
    sed -e "s#@PREFIX@#$dir#g" -e "s#@PORT@#$port#g" -e "s#@LUA@#$root/lua#g" \
        -e "s#@CPATH@#$build/luajit#g" -e "s#@HERE@#$here#g" \
        -e "s#@RESOLVER@#${resolver:-127.0.0.1}#g" -e "s#@USER@#$user#g" \
        "$here/nginx.conf" >"$dir/nginx.conf"
    exec "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
    ;;
  stop)
    [ -f "$dir/nginx.pid" ] || exit 0
    pid=$(cat "$dir/nginx.pid")
    kill -QUIT "$pid" 2>/dev/null || exit 0
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    exit 0
    ;;
  *) usage ;;
esac
