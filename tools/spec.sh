#!/bin/sh
# The fast loop: busted on the given specs, no luacheck, under Lua 5.4
# (VARIANTS="lua5.4 luajit" for both). A sandbox is started only when a spec
# needs one: it names CLEVERTAP_SANDBOX_URL or a spec helper that does.
#   tools/spec.sh spec/when_tz_spec.lua [more specs...]
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
[ $# -gt 0 ] || { echo "usage: tools/spec.sh SPEC..." >&2; exit 2; }
make -s BUILD="$BUILD" all || exit 1

# Helpers that reach the sandbox, as the names specs require them by.
helpers=$(grep -l 'CLEVERTAP_SANDBOX\|support\.sandbox' spec/support/*.lua 2>/dev/null |
  sed 's#^spec/support/\(.*\)\.lua$#support.\1#' | sed 's/\./\\./g' | paste -sd'|' -)
needs=0
for f in "$@"; do
  if grep -qE "CLEVERTAP_SANDBOX${helpers:+|\"($helpers)\"}" "$f" 2>/dev/null; then needs=1; fi
done

work=""
cleanup() {
  [ -n "$work" ] || return 0
  sandbox/ctl stop --dir "$work/sandbox" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
if [ "$needs" = 1 ] && [ -z "${CLEVERTAP_SANDBOX_URL:-}" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/ct-spec.XXXXXX")
  if ! BUILD=$BUILD sandbox/ctl start --dir "$work/sandbox" --port 0 >"$work/sandbox.out" 2>&1; then
    cat "$work/sandbox.out" >&2; echo "sandbox failed to start" >&2; exit 1
  fi
  CLEVERTAP_SANDBOX_URL=$(cat "$work/sandbox/url")
  CLEVERTAP_SANDBOX_DIR="$work/sandbox"
  export CLEVERTAP_SANDBOX_URL CLEVERTAP_SANDBOX_DIR
fi

rc=0
lpath="$PWD/lua/?.lua;$PWD/lua/?/init.lua;$PWD/spec/?.lua;$PWD/sandbox/?.lua"
for variant in ${VARIANTS:-lua5.4}; do
  # CT_LUA: the interpreter specs start child scripts with
  LUA_PATH="$lpath;;" LUA_CPATH="$PWD/$BUILD/$variant/?.so;;" CT_LUA="$variant" \
    "$variant" /usr/bin/busted --ignore-lua --cpath="$PWD/$BUILD/$variant/?.so" -o plainTerminal "$@" || rc=1
done
exit $rc
