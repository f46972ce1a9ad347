#!/bin/sh
# examples/game-host under valgrind: both hosts send to 3,000 players
# through the sandbox (two batches failing with a retryable 500) with no
# memory error and no leak. Timing is not judged here (valgrind is slow);
# spec/c/game_host.sh does that.
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
BUILD=${BUILD:-build}
case "$BUILD" in /*) build=$BUILD ;; *) build="$root/$BUILD" ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-game-vg.XXXXXX")
own_sandbox=""
cleanup() {
  [ -n "$own_sandbox" ] && sandbox/ctl stop --dir "$work/sandbox" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

command -v valgrind >/dev/null || fail "valgrind is not installed (apt-get install valgrind)"
# A sanitizer build cannot run under valgrind.
[ -z "${SAN:-}" ] || { echo "skipped under SAN=$SAN"; exit 0; }
make -s BUILD="$build" all >"$work/make.out" 2>&1 || { cat "$work/make.out"; fail "library build"; }
make -s -C examples/game-host BUILD="$build" OUT="$work/bin" >"$work/make.out" 2>&1 ||
  { cat "$work/make.out"; fail "game-host build"; }

if [ -z "${CLEVERTAP_SANDBOX_URL:-}" ]; then
  BUILD="$build" sandbox/ctl start --dir "$work/sandbox" --port 0 >"$work/sandbox.out" 2>&1 ||
    { cat "$work/sandbox.out"; fail "sandbox start"; }
  own_sandbox=1
  CLEVERTAP_SANDBOX_URL=$(cat "$work/sandbox/url")
fi
control=${CLEVERTAP_SANDBOX_URL%/1}/_sandbox
export CLEVERTAP_BASE_URL="$CLEVERTAP_SANDBOX_URL" CLEVERTAP_ACCOUNT_ID=SANDBOX-ACCOUNT-ID
export CLEVERTAP_PASSCODE=SANDBOX-PASSCODE GAME_PLAYERS=3000 GAME_MAX_SECONDS=120
unset CLEVERTAP_REGION
post() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$control/$1" >/dev/null || fail "POST $1"; }
field() { tr ' ' '\n' <"$2" | sed -n "s/^$1=//p" | head -n 1; }

vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
  --show-leak-kinds=definite,indirect --suppressions=$root/tools/valgrind.supp"
run() { # name command...
  name=$1; shift
  post reset '{}'
  post faults '{"rules":[{"path":"/1/send/push.json","fault":"500-89","count":2}]}'
  # shellcheck disable=SC2086
  $vg "$@" >"$work/$name.out" 2>&1
  rc=$?
  cat "$work/$name.out"
  [ "$rc" -ne 99 ] || fail "$name: valgrind found errors"
  [ "$rc" -eq 0 ] || fail "$name exited $rc"
  [ "$(field accepted "$work/$name.out")" = 3000 ] || fail "$name: not every player accepted"
  [ "$(field requests "$work/$name.out")" = 5 ] || fail "$name: expected 3 batches + 2 retries"
}

run host_c "$work/bin/host_c" 3000
export LUA_CPATH="$build/lua5.4/?.so;;" LUA_PATH="$root/lua/?.lua;$root/lua/?/init.lua;;"
run host_lua "$work/bin/host_lua" examples/game-host/campaign.lua
echo "ok"
