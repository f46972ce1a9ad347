#!/bin/sh
# Builds examples/c-bulletin against $BUILD/libclevertap.a and runs every
# campaign call of the C API against the sandbox, from the example's frame
# loop (one ct_client_poll(c, 0) per 16 ms frame): trigger (a Bulletin),
# create, estimate (sync and async, and an async one that times out), list,
# stop and result, each's success, an invalid payload (exit 2, nothing sent)
# and an API error from the sandbox; with the sandbox answering targets/* in
# 200 ms, no poll may take 20 ms (the calls never block the frame). Honours
# ${SAN:-} (make sanitize).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/libclevertap.a" ] || make -s BUILD="$BUILD" "$BUILD/libclevertap.a"
work=$(mktemp -d "${TMPDIR:-/tmp}/c_bulletin.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

url=${CLEVERTAP_SANDBOX_URL:-}
if [ -z "$url" ] && [ -n "${CLEVERTAP_SANDBOX_DIR:-}" ]; then url=$(cat "$CLEVERTAP_SANDBOX_DIR/url"); fi
[ -n "$url" ] || fail "no sandbox (CLEVERTAP_SANDBOX_URL)"
root=${url%/1}

$CC -std=c99 -Wall -Wextra -Werror -O2 ${SAN:-} -Iinclude/clevertap examples/c-bulletin/bulletin.c \
  "$BUILD/libclevertap.a" -ljansson -lcurl -lhiredis -lsqlite3 -lm -o "$work/bulletin"
b="$work/bulletin"
export CLEVERTAP_ACCOUNT_ID=SANDBOX-ACCOUNT-ID CLEVERTAP_PASSCODE=SANDBOX-PASSCODE CLEVERTAP_BASE_URL="$url"
unset CLEVERTAP_REGION || true

ctl() { curl -fsS -X "$1" "$root/_sandbox/$2" ${3:+-H 'Content-Type: application/json' -d "$3"}; }
# logged PATH [LUA-EXPR over the last logged request's json body, as `j`]
logged() {
  ctl GET "requests?path=$1" | EXPR="${2:-}" lua5.4 -e '
    local t = require("cjson").decode(io.read("a"))
    local expr = os.getenv("EXPR")
    if expr == "" then print(#t) return end
    local j = t[#t] and require("cjson").decode(t[#t].body or "null")
    print(assert(load("local j = ... return " .. expr))(j))'
}
reset() {
  ctl POST reset >/dev/null
  # targets answered in 200 ms: a call that blocked the frame would show it
  ctl POST config '{"create_rate_per_sec":0,"targets_latency_ms":200,"business_events":{"Tournament Started":{"properties":["tournament_id"],"targets":1}}}' >/dev/null
}
# run NAME EXPECTED-EXIT ARGS...: output in $work/out
run() {
  name=$1 want=$2
  shift 2
  set +e
  "$b" "$@" >"$work/out" 2>&1
  rc=$?
  set -e
  [ "$rc" -eq "$want" ] || fail "$name: exit $rc, expected $want: $(cat "$work/out")"
  if grep -q SANDBOX-PASSCODE "$work/out"; then fail "$name: passcode printed"; fi
}
has() { grep -q -- "$2" "$work/out" || fail "$1: no '$2' in: $(cat "$work/out")"; }
nonblocking() {
  frames=$(sed -n 's/.* frames=\([0-9]*\) .*/\1/p' "$work/out")
  worst=$(sed -n 's/.* worst_poll_ms=\([0-9]*\)\..*/\1/p' "$work/out")
  [ "${frames:-0}" -ge 5 ] || fail "$1: the call took $frames frames, expected the 200 ms answer to span frames"
  [ "${worst:-99}" -lt 20 ] || fail "$1: a poll took $worst ms"
}

cat >"$work/bulletin.json" <<'JSON'
{"business_event":"Tournament Started","name":"Spring cup, round 1",
 "properties":{"tournament_id":"spring-1"},"c-by":"game-server@example.com","when":"now"}
JSON
cat >"$work/campaign.json" <<'JSON'
{"name":"C campaign","where":{"event_name":"App Launched","from":20240101,"to":20240131},
 "content":{"title":"Hi","body":"From C"},"devices":["android","ios"],"when":"now"}
JSON

# trigger: a Bulletin raised from the frame loop
reset
run trigger 0 trigger "$work/bulletin.json"
has trigger '^ok status=200 '
has trigger '^body {.*"status":"success"'
nonblocking trigger
[ "$(logged /1/targets/trigger.json)" = 1 ] || fail "trigger: not one request"
[ "$(logged /1/targets/trigger.json 'j.properties.tournament_id')" = spring-1 ] || fail "trigger: body sent"
# an event the account does not have: the sandbox's API error
sed 's/Tournament Started/Tournament Ended/' "$work/bulletin.json" >"$work/unknown.json"
run "trigger unknown event" 1 trigger "$work/unknown.json"
has "trigger unknown event" '^error kind=api status=400 code=400 retryable=0 requests=1 '
has "trigger unknown event" 'Business Event Not Found'
# invalid: a property that is not a string; nothing sent
reset
sed 's/"spring-1"/1/' "$work/bulletin.json" >"$work/bad.json"
run "trigger invalid" 2 trigger "$work/bad.json"
has "trigger invalid" 'validation: properties.tournament_id\|validation: /properties/tournament_id'
[ "$(logged /1/targets/trigger.json)" = 0 ] || fail "trigger invalid: something was sent"

# create, then stop and result on its id
reset
run create 0 create "$work/campaign.json"
has create '^ok status=200 id=17[0-9]* requests=1 '
nonblocking create
id=$(sed -n 's/^ok status=200 id=\([0-9]*\) .*/\1/p' "$work/out")
[ "$(logged /1/targets/create.json 'j.name')" = "C campaign" ] || fail "create: body sent"
run "result running" 1 result "$id"
has "result running" '^error kind=not_completed status=200 code=-1 retryable=1 '
ctl POST "campaigns/$id/complete" '{"sent":10,"clicked":3}' >/dev/null
run result 0 result "$id"
has result '"sent":10'
run "result unknown" 1 result 987654321
has "result unknown" '^error kind=api status=400 '
has "result unknown" 'Campaign not found'
run create 0 create "$work/campaign.json"
id2=$(sed -n 's/^ok status=200 id=\([0-9]*\) .*/\1/p' "$work/out")
run stop 0 stop "$id2"
has stop '^body {"status":"success"}'
[ "$(logged /1/targets/stop.json '("%d"):format(j.id)')" = "$id2" ] || fail "stop: id sent"
run "stop unknown" 1 stop 987654321
has "stop unknown" '^error kind=api status=400 code=400 retryable=0 '
run "stop invalid" 2 stop 0
has "stop invalid" 'validation: '
[ "$(logged /1/targets/stop.json)" = 2 ] || fail "stop invalid: something was sent"
sed 's/"when":"now"/"when":"tomorrow at noon"/' "$work/campaign.json" >"$work/badc.json"
run "create invalid" 2 create "$work/badc.json"
has "create invalid" 'validation: '
[ "$(logged /1/targets/create.json)" = 2 ] || fail "create invalid: something was sent"

# list: the campaigns just created
run list 0 list 20000101 20991231
has list "\"id\":$id"
nonblocking list
run "list invalid" 2 list 2024 20240101
has "list invalid" 'from'
[ "$(logged /1/targets/list.json)" = 1 ] || fail "list invalid: something was sent"
run "list reversed" 2 list 20240201 20240101
has "list reversed" 'validation: /to: '
[ "$(logged /1/targets/list.json)" = 1 ] || fail "list reversed: something was sent"
# the server failing: retried (5 tries), then kind http, retryable
ctl POST faults '{"rules":[{"path":"/1/targets/list.json","fault":"503"}]}' >/dev/null
run "list 503" 1 list 20000101 20991231
has "list 503" '^error kind=http status=503 code=-1 retryable=1 requests=5 '
ctl DELETE faults >/dev/null

# estimate: estimate_only added, nothing created
reset
run estimate 0 estimate "$work/campaign.json"
has estimate '^ok status=200 id=0 requests=1 '
has estimate '"estimates":{'
[ "$(logged /1/targets/create.json 'j.estimate_only')" = true ] || fail "estimate: estimate_only not sent"
[ "$(ctl GET campaigns)" = "[]" ] || [ "$(ctl GET campaigns)" = "{}" ] || fail "estimate created a campaign: $(ctl GET campaigns)"
# async: the request id is followed until the estimates are ready
ctl POST config '{"async_estimate_delay":1}' >/dev/null
ctl DELETE requests >/dev/null
sed 's/"when":"now"/"when":"now","async_estimate":true/' "$work/campaign.json" >"$work/async.json"
run "estimate async" 0 estimate "$work/async.json"
has "estimate async" '"estimates":{'
n=$(sed -n 's/.* requests=\([0-9]*\) .*/\1/p' "$work/out")
[ "$n" -ge 2 ] || fail "estimate async: $n requests"
[ "$(logged /1/targets/create.json)" = "$n" ] || fail "estimate async: requests logged differ from $n"
[ "$(logged /1/targets/create.json 'j.req_id ~= nil')" = true ] || fail "estimate async: req_id not followed"
nonblocking "estimate async"
# not ready in time: timeout, retryable
ctl POST config '{"async_estimate_delay":30}' >/dev/null
run "estimate timeout" 1 estimate --timeout-ms 1500 "$work/async.json"
has "estimate timeout" '^error kind=timeout status=200 code=-1 retryable=1 '
run "estimate invalid" 2 estimate "$work/badc.json"
has "estimate invalid" 'validation: '

# a refused passcode: api 401, the passcode never printed
CLEVERTAP_PASSCODE=WRONG-C-SECRET "$b" list 20240101 20240131 >"$work/out" 2>&1 && fail "wrong passcode: exit 0"
has "wrong passcode" '^error kind=api status=401 '
if grep -q WRONG-C-SECRET "$work/out"; then fail "wrong passcode: passcode printed"; fi
echo "c-bulletin example: ok"
