#!/bin/sh
# Issue 15's memory bound: `clevertap send --ids` de-duplicates a 10,000,000
# line file (half of them repeats) in bounded memory (sort(1) with a fixed
# buffer, then one line at a time). Prints its peak RSS and CPU seconds (sort
# included), and
# beside it, on 2,000,000 lines of the same shape, the command against the
# obvious Lua way (a table set of every line) measured in the same run.
# BENCH_QUICK=1: 1,000,000 lines for the bound.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
make -s BUILD="$BUILD" all
LUA=lua5.4
N=10000000
[ "${BENCH_QUICK:-0}" = 1 ] && N=1000000
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-bench-ids.XXXXXX")
trap 'rm -rf "$work"' EXIT
export LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/$BUILD/$LUA/?.so;;"
make_file() { # lines, path: user-K padded to 30 bytes, each K twice
  awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "user-%d-xxxxxxxxxxxxxxxxxxxxxxxx\n", i % (n / 2) }' >"$2"
}
run() { # mode, file -> "lines distinct cpu_s rss_kb" (CPU and RSS include sort(1))
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$LUA" bench/ids.lua "$1" "$2" >"$work/out"
  set -- $(cat "$work/out") $(cat "$work/time")
  echo "$1 $2 $(echo "$4 + $5" | bc) $6"
}
make_file "$N" "$work/big.txt"
set -- $(run cli "$work/big.txt")
echo "ids dedup: $1 lines, $2 distinct: peak RSS $(( $4 / 1024 )) MB, $3 CPU s (file $(( $(wc -c <"$work/big.txt") / 1048576 )) MB)"
make_file 2000000 "$work/mid.txt"
set -- $(run cli "$work/mid.txt")
cli_rss=$4 cli_s=$3
set -- $(run table "$work/mid.txt")
echo "ids dedup, 2,000,000 lines: command $(( cli_rss / 1024 )) MB, ${cli_s} s; Lua table set $(( $4 / 1024 )) MB, $3 s;" \
  "memory ratio $(echo "scale=2; $cli_rss / $4" | bc | sed 's/^\./0./')x"
