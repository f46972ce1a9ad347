#!/bin/sh
# validate+encode (clevertap.core.encode validates first) against a bare
# cjson.encode of the same tables, measured in the same run, under Lua 5.4
# and LuaJIT: the documented full push payload and others, and a send/push
# payload with 1000 identities. Goal (issue #2): ratio <= 2.
#   bench/validate.sh [SECONDS_PER_CASE]
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ -f "$BUILD/lua5.4/clevertap/core.so" ] || make -s BUILD="$BUILD" all
status=0
for lua in lua5.4 luajit; do
  command -v "$lua" >/dev/null || continue
  echo "-- $lua"
  LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/$BUILD/$lua/?.so;;" \
    "$lua" bench/validate.lua "${1:-1}" || status=1
done
exit $status
