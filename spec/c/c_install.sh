#!/bin/sh
# `make install PREFIX=...` gives a usable C library: examples/c-validate
# built with `pkg-config --cflags --libs clevertap` against the installed
# shared library (and against the installed archive) validates a payload;
# examples/c-send and examples/c-bulletin build the same way, and the send
# example delivers a batch through the installed libclevertap.so.0 when a
# sandbox is running (make test starts one).
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
  $(pkg-config --libs libcurl jansson hiredis sqlite3) -lm -o "$work/validate_static"
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
# These two call curl_global_init themselves (a host owns libcurl's global
# state), so they name libcurl beside clevertap.
for ex in c-send/send.c c-bulletin/bulletin.c; do
  # shellcheck disable=SC2046
  $CC -std=c99 -Wall -Wextra -Werror ${SAN:-} "examples/$ex" $(pkg-config --cflags --libs clevertap libcurl) \
    -o "$work/$(basename "$ex" .c)" || { echo "FAIL: examples/$ex does not build with pkg-config"; exit 1; }
done
url=${CLEVERTAP_SANDBOX_URL:-}
if [ -n "$url" ]; then
  printf '{"content":{"title":"Hello","body":"From C"}}' >"$work/payload.json"
  printf 'player-1\nplayer-2\n' >"$work/ids.txt"
  CLEVERTAP_ACCOUNT_ID=SANDBOX-ACCOUNT-ID CLEVERTAP_PASSCODE=SANDBOX-PASSCODE CLEVERTAP_BASE_URL="$url" \
    LD_LIBRARY_PATH="$prefix/lib" "$work/send" "$work/payload.json" "$work/ids.txt" >"$work/out" 2>&1 ||
    { echo "FAIL: the installed send example:"; cat "$work/out"; exit 1; }
  grep -q '^accepted 2 failed 0 unknown 0' "$work/out" || { echo "FAIL: send report:"; cat "$work/out"; exit 1; }
  LD_LIBRARY_PATH="$prefix/lib" ldd "$work/send" | grep -q "$prefix/lib/libclevertap.so.0" ||
    { echo "FAIL: the send example did not load the installed library"; exit 1; }
fi
echo ok
