#!/bin/sh
# Only the public API leaves the libraries: libclevertap.a and libclevertap.so
# define exactly the functions declared CT_API in include/clevertap/*.h, and
# each Lua variant's clevertap/core.so exports its luaopen_* entry only.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
[ -f "$BUILD/libclevertap.so" ] && [ -f "$BUILD/libclevertap.a" ] || make -s BUILD="$BUILD" all
out=$(mktemp -d "${TMPDIR:-/tmp}/exports.XXXXXX")
trap 'rm -rf "$out"' EXIT
# A CT_API declaration may wrap: join each one up to its '(' first.
sed -n '/^CT_API/,/(/p' include/clevertap/*.h | tr '\n' ' ' | sed 's/CT_API/\n&/g' |
  sed -nE 's/^CT_API[^(]*[ *](ct_[a-z0-9_]+) *\(.*/\1/p' | sort -u > "$out/api"
[ -s "$out/api" ] || { echo "no CT_API declarations found"; exit 1; }
bad=0
same() { # name, file with the symbols found
  if ! diff -u "$out/api" "$2" > "$out/diff"; then
    echo "$1 exports differ from the public headers (- missing, + extra):"
    grep -E '^[-+][a-z_]' "$out/diff" | head -n 40; bad=1
  fi
}
nm -g --defined-only "$BUILD/libclevertap.a" | awk 'NF == 3 && $2 ~ /[TDRBV]/ { print $3 }' | sort -u > "$out/a"
same libclevertap.a "$out/a"
nm -D --defined-only "$BUILD/libclevertap.so" | awk 'NF == 3 && $2 ~ /[TDRBV]/ && $3 !~ /^_/ { print $3 }' | sort -u > "$out/so"
same libclevertap.so "$out/so"
soname=$(readelf -d "$BUILD/libclevertap.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libclevertap.so.0 ] || { echo "soname is '$soname', not libclevertap.so.0"; bad=1; }
for so in "$BUILD"/*/clevertap/core.so; do
  extra=$(nm -D --defined-only "$so" | awk 'NF == 3 && $2 ~ /[TDRBV]/ && $3 !~ /^_/ { print $3 }' | grep -v '^luaopen_' || true)
  if [ -n "$extra" ]; then echo "$so exports more than luaopen_*:" $extra | cut -c1-300; bad=1; fi
  nm -D --defined-only "$so" | grep -q ' T luaopen_clevertap_core$' || { echo "$so lacks luaopen_clevertap_core"; bad=1; }
done
exit $bad
