#!/bin/sh
# libcurl versions: a libcurl older than the stated minimum stops the build
# with a clear #error, and README.md and the rockspecs state that same
# minimum; a build for libcurl 7.79 (no CURLOPT_PREREQFUNCTION, no
# CURLOPT_PROTOCOLS_STR: compiled against these headers with
# CT_CURL_VERSION_NUM lowered) keeps the guarantees: its module passes the
# no-silent-re-send spec and the send spec against the sandbox.
set -eu
cd "$(dirname "$0")/../.."
CC=${CC:-cc}
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-curlfb.XXXXXX")
sb=""
cleanup() { [ -n "$sb" ] && sandbox/ctl stop --dir "$work/sandbox" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT
# shellcheck disable=SC2046
if $CC -std=c99 -fsyntax-only -DCT_CURL_VERSION_NUM=0x073d00 -Iinclude/clevertap -Icsrc/util -Icsrc/engine -Icsrc/limit -Icsrc/journal \
     -Icsrc/transport $(pkg-config --cflags libcurl) csrc/transport/ct_curl.c >"$work/err" 2>&1; then
  echo "FAIL: ct_curl.c compiles for libcurl 7.61"; exit 1
fi
min=$(sed -n 's/.*#error "lua-clevertap needs libcurl >= \([0-9.]*\).*/\1/p' csrc/transport/ct_curl.c)
[ -n "$min" ] || { echo "FAIL: no minimum in ct_curl.c's #error"; exit 1; }
grep -q "needs libcurl >= $min" "$work/err" || { echo "FAIL: the #error does not say the minimum:"; cat "$work/err"; exit 1; }
for f in README.md rockspec/lua-clevertap-scm-1.rockspec; do
  grep -q "libcurl >= $min" "$f" || { echo "FAIL: $f does not state libcurl >= $min"; exit 1; }
done
# Deprecation warnings of the old options are the newer headers' business.
make -s BUILD="$work/build" CFLAGS="-DCT_CURL_VERSION_NUM=0x074f00 -DCURL_DISABLE_DEPRECATION" lua5.4 >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; exit 1; }
if [ -z "${CLEVERTAP_SANDBOX_URL:-}" ]; then
  BUILD="$work/build" sandbox/ctl start --dir "$work/sandbox" --port 0 >"$work/sandbox.out" 2>&1 ||
    { cat "$work/sandbox.out"; exit 1; }
  sb=1
  CLEVERTAP_SANDBOX_URL=$(cat "$work/sandbox/url")
  CLEVERTAP_SANDBOX_DIR="$work/sandbox"
  export CLEVERTAP_SANDBOX_URL CLEVERTAP_SANDBOX_DIR
fi
lpath="$PWD/lua/?.lua;$PWD/lua/?/init.lua;$PWD/spec/?.lua;$PWD/sandbox/?.lua"
LUA_PATH="$lpath;;" LUA_CPATH="$work/build/lua5.4/?.so;;" CT_LUA=lua5.4 lua5.4 /usr/bin/busted --ignore-lua \
  --cpath="$work/build/lua5.4/?.so" -o plainTerminal spec/transport_reuse_spec.lua spec/client_send_spec.lua >"$work/out" 2>&1 ||
  { sed -n '/^\(Failure\|Error\) ->/,$p' "$work/out" | head -n 60; tail -n 3 "$work/out"; exit 1; }
tail -n 1 "$work/out"
