#!/bin/sh
# Building and handing over send/push request bodies (issue 13, goal a):
# lua-clevertap with a Lua function transport that answers at once, so only
# the client's own work counts, beside Lua building the same 1000-identity
# batches and encoding them with cjson.encode, in this run. Lua 5.4 and
# LuaJIT, 10- and 40-byte identities, from a Lua table and from an iterator.
# Each figure is the median of 3 runs, alternated with the baseline.
# Goal: <= 0.25x the baseline's CPU.
#   bench/build.sh [IDS]     BUILD=build  BENCH_QUICK=1 (100k identities, 1 run)
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${1:-1000000}
RUNS=3
if [ "${BENCH_QUICK:-}" = 1 ]; then N=${1:-100000}; RUNS=1; fi
[ -f "$BUILD/lua5.4/clevertap/core.so" ] && [ -f "$BUILD/luajit/clevertap/core.so" ] || make -s BUILD="$BUILD" all
export LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;$PWD/bench/?.lua;;"
cpu() { # lua side len from -> CPU seconds, median of RUNS
  i=0
  while [ $i -lt $RUNS ]; do
    LUA_CPATH="$PWD/$BUILD/$1/?.so;;" "$1" bench/build.lua "$2" "$N" "$3" "$4" | sed -n 's/.*cpu=//p'
    i=$((i + 1))
  done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
printf "request bodies of 1000 identities, %d identities (CPU s, median of %d)\n\n" "$N" "$RUNS"
printf "%-8s %-4s %-6s %12s %12s %8s %s\n" "lua" "ids" "from" "clevertap" "lua+cjson" "ratio" "(goal <= 0.25x)"
for lua in lua5.4 luajit; do
  for len in 10 40; do
    for from in table iter; do
      c=$(cpu "$lua" client "$len" "$from")
      b=$(cpu "$lua" base "$len" "$from")
      awk -v l="$lua" -v n="$len" -v f="$from" -v c="$c" -v b="$b" -v ids="$N" 'BEGIN {
        printf "%-8s %-4s %-6s %12.3f %12.3f %7.2fx  %s; %.0f ns/identity\n", l, n "B", f, c, b, c / b,
          (c / b <= 0.25 ? "met" : "not met"), c / ids * 1e9 }'
    done
  done
done
