#!/bin/sh
# Headers match the call graph: every internal header compiles on its own,
# and each header of csrc/validate declares functions of one .c file only
# (its own), so no hub header makes the include graph show false cycles.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/libclevertap.a" ] || make -s BUILD="$BUILD" all
out=$(mktemp -d "${TMPDIR:-/tmp}/headers.XXXXXX")
trap 'rm -rf "$out"' EXIT
incs="-Iinclude/clevertap"
for d in csrc/*/; do incs="$incs -I$d"; done
bad=0
for h in include/clevertap/*.h csrc/util/*.h csrc/validate/*.h csrc/schema/*.h csrc/engine/*.h; do
  printf '#include "%s"\n' "$(basename "$h")" > "$out/t.c"
  # shellcheck disable=SC2086
  if ! $CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror $incs \
       $(pkg-config --cflags jansson 2>/dev/null) -fsyntax-only "$out/t.c" 2>"$out/err"; then
    echo "not self-contained: $h"; sed 's/^/  /' "$out/err"; bad=1
  fi
done
# Which object defines each function a validate header declares.
for o in "$BUILD"/obj/core/*/*.o; do
  nm --defined-only "$o" | awk -v o="$(basename "$o")" '$2 == "T" { print $3, o }'
done > "$out/defs"
for h in csrc/validate/*.h; do
  fns=$(grep -E '^[a-z].*\bct_[a-z0-9_]+ *\(' "$h" | grep -v '^static' |
        sed -E 's/^[^(]*[ *](ct_[a-z0-9_]+) *\(.*/\1/' | sort -u)
  [ -n "$fns" ] || continue
  objs=$(for f in $fns; do awk -v f="$f" '$1 == f { print $2 }' "$out/defs"; done | sort -u)
  n=$(printf '%s\n' "$objs" | grep -c .)
  if [ "$n" -ne 1 ]; then
    echo "$h declares functions of $n files:" $objs; bad=1
  fi
done
exit $bad
