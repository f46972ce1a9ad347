#!/bin/sh
# `make install PREFIX=...` gives a usable C library: examples/c-validate
# built with `pkg-config --cflags --libs clevertap` against the installed
# shared library (and against the installed archive) validates a payload.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
work=$(mktemp -d "${TMPDIR:-/tmp}/c_install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
make -s BUILD="$BUILD" install PREFIX="$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
for f in include/clevertap/clevertap.h include/clevertap/clevertap_client.h lib/libclevertap.a \
         lib/libclevertap.so.0 lib/libclevertap.so lib/pkgconfig/clevertap.pc; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046
$CC -std=c99 -Wall -Wextra -Werror ${SAN:-} examples/c-validate/validate.c \
  $(pkg-config --cflags --libs clevertap) -o "$work/validate_shared"
# shellcheck disable=SC2046
$CC -std=c99 -Wall -Wextra -Werror ${SAN:-} examples/c-validate/validate.c \
  $(pkg-config --cflags clevertap) "$prefix/lib/libclevertap.a" \
  $(pkg-config --libs libcurl jansson sqlite3) -lm -o "$work/validate_static"
readelf -d "$work/validate_shared" | grep -q 'NEEDED.*libclevertap.so.0' ||
  { echo "FAIL: the shared build does not need libclevertap.so.0"; exit 1; }
printf '%s' '{"name":"x","estimate_only":true,"target_mode":"sms","where":{"event_name":"Charged","from":20171001,"to":20171220},"respect_frequency_caps":false,"content":{"body":"Sms body"},"when":"now"}' > "$work/ok.json"
printf '%s' '{"target_mode":"sms","when":"now"}' > "$work/bad.json"
for v in validate_shared validate_static; do
  LD_LIBRARY_PATH="$prefix/lib" "$work/$v" targets/create "$work/ok.json" > "$work/out" 2>&1 ||
    { echo "FAIL: $v rejected a valid payload:"; cat "$work/out"; exit 1; }
  if LD_LIBRARY_PATH="$prefix/lib" "$work/$v" targets/create "$work/bad.json" > "$work/out" 2>&1; then
    echo "FAIL: $v accepted an invalid payload"; exit 1
  fi
  grep -q '/content' "$work/out" || { echo "FAIL: $v did not point at /content:"; cat "$work/out"; exit 1; }
done
echo ok
