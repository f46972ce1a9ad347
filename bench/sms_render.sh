#!/bin/sh
# Render 1,000,000 SMS recipients into batched JSON requests with
# clevertap.sms and with the plain-Lua baseline (string.gsub + cjson), under
# Lua 5.4 and LuaJIT; prints the rates and the ratio (goal: >= 5x).
#   bench/sms_render.sh [N [ROUNDS]]     (BUILD=build by default)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" all
for lua in lua5.4 luajit; do
  command -v "$lua" >/dev/null 2>&1 || continue
  LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/$BUILD/$lua/?.so;;" \
    "$lua" bench/sms_render.lua "${1:-1000000}" "${2:-3}"
  echo
done
