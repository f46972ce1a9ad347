#!/bin/sh
# `make clean` leaves the tree as git has it: in a copy of the tracked files,
# a build of the module and both libraries, then make clean, leaves exactly
# the tracked files (and objects an older builtin `luarocks make` left next
# to the sources go too).
set -eu
cd "$(dirname "$0")/../.."
src=$(mktemp -d "${TMPDIR:-/tmp}/ct-clean.XXXXXX")
trap 'rm -rf "$src"' EXIT
git ls-files -z | xargs -0 -I{} cp --parents {} "$src"
cd "$src"
find . | sort >"$src.before"
make -s -j2 build/lua5.4/clevertap/core.so build/libclevertap.a build/libclevertap.so >"$src.log" 2>&1 ||
  { cat "$src.log"; rm -f "$src.before" "$src.log"; exit 1; }
mkdir -p clevertap && : >clevertap/core.so && : >csrc/util/ct_sb.o && : >luacov.stats.out
make -s clean
find . | sort >"$src.after"
rc=0
diff "$src.before" "$src.after" >"$src.diff" || { echo "FAIL: make clean left:"; grep '^[<>]' "$src.diff" | head; rc=1; }
rm -f "$src.before" "$src.after" "$src.diff" "$src.log"
exit $rc
