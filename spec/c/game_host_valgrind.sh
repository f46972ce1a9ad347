#!/bin/sh
# examples/game-host under valgrind: both hosts send to 3,000 players
# through the sandbox (two batches failing with a retryable 500) with no
# memory error and no leak. Timing is not judged here (valgrind is slow);
# spec/c/game_host.sh does that.
# shellcheck source=spec/c/game_host.lib
. "$(dirname "$0")/game_host.lib"

command -v valgrind >/dev/null || fail "valgrind is not installed (apt-get install valgrind)"
# A sanitizer build cannot run under valgrind.
[ -z "${SAN:-}" ] || { echo "skipped under SAN=$SAN"; exit 0; }
build_library
build_game_host
start_sandbox
export GAME_PLAYERS=3000 GAME_MAX_SECONDS=120

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
export LUA_CPATH="$lua_cpath" LUA_PATH="$lua_path"
run host_lua "$work/bin/host_lua" examples/game-host/campaign.lua
echo "ok"
