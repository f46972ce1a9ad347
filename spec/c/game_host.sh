#!/bin/sh
# examples/game-host: both hosts (Lua 5.4 embedded, and the C API alone)
# run their 60 Hz frame loop while sending a push to 100,000 players through
# the sandbox, which answers each batch after 200 ms and fails a few with a
# retryable 500. Passes when every player is accounted for, no frame
# overran its budget because of the client, and no poll ever blocked
# (frame.c defines both).
# A campaign with a deliberately blocking transport checks that the
# measurement does catch a client that stalls frames.
# shellcheck source=spec/c/game_host.lib
. "$(dirname "$0")/game_host.lib"
build_library
build_game_host
start_sandbox
export GAME_MAX_SECONDS=60 # a send takes about 3 s; a stuck one fails in bounded time

# The host in examples/game-host/host_lua.c, loading this checkout.
host_lua() { LUA_CPATH="$lua_cpath" LUA_PATH="$lua_path" "$work/bin/host_lua" "$@"; }
prepare() {
  set_faults '{"seed":7,"rules":[
    {"path":"/1/send/push.json","fault":"500-89","count":3},
    {"path":"/1/send/push.json","fault":"latency","ms":200}]}'
}
# Requests the sandbox saw on send/push: the first fault rule's match count.
logged() {
  curl -sf "$control/faults" | grep -o '"seen":[0-9]*' | head -n 1 | cut -d: -f2
}

check_run() { # name output-file exit-code
  name=$1 out=$2 rc=$3
  cat "$out"
  [ "$rc" -eq 0 ] || fail "$name exited $rc"
  players=$(field players "$out"); accepted=$(field accepted "$out")
  failed=$(field failed "$out"); unknown=$(field unknown "$out"); requests=$(field requests "$out")
  [ -n "$players" ] && [ -n "$accepted" ] || fail "$name printed no report"
  [ "$players" -eq 100000 ] || fail "$name: $players players, expected 100000"
  [ $((accepted + failed + unknown)) -eq "$players" ] || fail "$name: identities not all accounted for"
  [ "$accepted" -eq 100000 ] || fail "$name: $accepted accepted (500s are retryable, latency is not an error)"
  [ "$requests" -eq 103 ] || fail "$name: $requests requests, expected 100 batches + 3 retries"
  [ "$(logged)" -eq "$requests" ] || fail "$name: the sandbox saw $(logged) requests, the report says $requests"
  [ "$(field blocked_polls "$out")" = 0 ] || fail "$name: a poll blocked"
  [ "$(field frames "$out")" -gt 60 ] || fail "$name: too few frames to mean anything"
  # CPU budgets mean nothing under a sanitizer (make sanitize sets SAN).
  if [ -z "${SAN:-}" ]; then
    [ "$(field client_overruns "$out")" = 0 ] || fail "$name: the client made frames overrun"
    # Whatever the machine's load, one poll never uses half a frame of CPU.
    awk -v c="$(field worst_client_cpu_ms "$out")" -v b="$(field budget_ms "$out")" 'BEGIN { exit !(c < b / 2) }' ||
      fail "$name: a poll used more than half the frame budget of CPU"
  fi
  echo "$name: worst frame $(field worst_frame_ms "$out") ms, worst poll $(field worst_client_ms "$out") ms" \
    "(cpu $(field worst_client_cpu_ms "$out") ms), budget $(field budget_ms "$out") ms"
}

prepare
"$work/bin/host_c" 100000 >"$work/c.out" 2>&1
check_run host_c "$work/c.out" $?

prepare
host_lua examples/game-host/campaign.lua >"$work/lua.out" 2>&1
check_run host_lua "$work/lua.out" $?

# Refused and lost batches are accounted for too: two connections dropped
# after the server processed the request (unknown, never re-sent) and one
# HTTP 400 (failed for good).
lossy() {
  set_faults '{"rules":[
    {"path":"/1/send/push.json","fault":"drop","count":2},
    {"path":"/1/send/push.json","fault":"non-json","status":400,"count":1},
    {"path":"/1/send/push.json","fault":"latency","ms":50}]}'
}
check_lossy() { # name output-file exit-code
  cat "$2"
  [ "$3" -eq 0 ] || fail "$1 (lossy) exited $3"
  [ "$(field accepted "$2")" = 97000 ] || fail "$1 (lossy): accepted"
  [ "$(field failed "$2")" = 1000 ] || fail "$1 (lossy): failed"
  [ "$(field unknown "$2")" = 2000 ] || fail "$1 (lossy): unknown"
  [ "$(field requests "$2")" = 100 ] || fail "$1 (lossy): an unknown outcome was re-sent"
}
lossy
"$work/bin/host_c" 100000 >"$work/c-lossy.out" 2>&1
check_lossy host_c "$work/c-lossy.out" $?
lossy
host_lua examples/game-host/campaign.lua >"$work/lua-lossy.out" 2>&1
check_lossy host_lua "$work/lua-lossy.out" $?

# A send that cannot finish (nothing listens) ends the host in bounded
# time with a failure.
port=$(lua5.4 sandbox/bin/freeport.lua 2>/dev/null || echo 9)
GAME_MAX_SECONDS=1 CLEVERTAP_BASE_URL="http://127.0.0.1:$port/1" "$work/bin/host_c" 1000 >"$work/stuck.out" 2>&1 &&
  fail "host_c reported success for a send that could not finish"
grep -q "did not finish" "$work/stuck.out" || { cat "$work/stuck.out"; fail "host_c did not say why it failed"; }

# The detector: a transport that sleeps 50 ms inside poll must be caught.
cat >"$work/blocking.lua" <<'LUA'
local socket = require "socket"
local campaign = dofile("examples/game-host/campaign.lua")
campaign.options.transport = function()
  socket.sleep(0.05)
  return { status = 200, body = '{"status":"success","message":"Added to queue for processing"}' }
end
return campaign
LUA
GAME_PLAYERS=5000 host_lua "$work/blocking.lua" >"$work/blocking.out" 2>&1
rc=$?
cat "$work/blocking.out"
[ "$rc" -eq 0 ] || fail "the blocking campaign did not finish"
[ "$(field client_overruns "$work/blocking.out")" -gt 0 ] || fail "blocking polls not counted as client overruns"
[ "$(field blocked_polls "$work/blocking.out")" -gt 0 ] || fail "blocking polls not detected"
echo "ok"
