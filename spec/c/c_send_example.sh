#!/bin/sh
# Builds examples/c-send against $BUILD/libclevertap.a and runs it against the
# sandbox: 2500 identities from memory and streamed (3 requests, all
# accepted), a bad identity (nothing sent, pointer named), an invalid payload,
# a refused passcode (failed, exit 1), and a dropped connection (unknown, not
# re-sent).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/libclevertap.a" ] || make -s BUILD="$BUILD" "$BUILD/libclevertap.a"
work=$(mktemp -d "${TMPDIR:-/tmp}/c_send.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

url=${CLEVERTAP_SANDBOX_URL:-}
if [ -z "$url" ] && [ -n "${CLEVERTAP_SANDBOX_DIR:-}" ]; then url=$(cat "$CLEVERTAP_SANDBOX_DIR/url"); fi
[ -n "$url" ] || fail "no sandbox (CLEVERTAP_SANDBOX_URL)"
root=${url%/1}

$CC -std=c99 -Wall -Wextra -Werror -O2 ${SAN:-} -Iinclude/clevertap examples/c-send/send.c "$BUILD/libclevertap.a" \
  -ljansson -lcurl -lhiredis -lsqlite3 -lm -o "$work/send"
s="$work/send"
export CLEVERTAP_ACCOUNT_ID=SANDBOX-ACCOUNT-ID CLEVERTAP_PASSCODE=SANDBOX-PASSCODE CLEVERTAP_BASE_URL="$url"
unset CLEVERTAP_REGION || true

ctl() { curl -fsS -X "$1" "$root/_sandbox/$2" ${3:+-H 'Content-Type: application/json' -d "$3"}; }
logged() { ctl GET "requests?path=/1/send/push.json" | lua5.4 -e 'local t = require("cjson").decode(io.read("a")) print(#t)'; }

printf '{"content":{"title":"Hello","body":"From C"}}' >"$work/payload.json"
i=1; : >"$work/ids.txt"
while [ $i -le 2500 ]; do echo "player-$i"; i=$((i + 1)); done >"$work/ids.txt"

for mode in "" "--stream"; do
  ctl POST reset >/dev/null
  "$s" $mode "$work/payload.json" "$work/ids.txt" >"$work/out" || fail "send $mode: $(cat "$work/out")"
  grep -q '^accepted 2500 failed 0 unknown 0 requests 3 batches 3' "$work/out" || fail "report $mode: $(cat "$work/out")"
  [ "$(logged)" = 3 ] || fail "sandbox saw $(logged) requests, expected 3"
done

# a bad identity: refused before anything is sent, with its pointer
ctl POST reset >/dev/null
printf 'ok-1\n\377bad\n' >"$work/bad.txt"
set +e
"$s" "$work/payload.json" "$work/bad.txt" >"$work/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bad identity: exit $rc"
grep -q '/to/Identity/1' "$work/out" || fail "no pointer: $(cat "$work/out")"
[ "$(logged)" = 0 ] || fail "something was sent"

# an invalid payload: nothing sent
printf '{"content":{"title":5}}' >"$work/badpayload.json"
set +e
"$s" "$work/badpayload.json" "$work/ids.txt" >"$work/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "invalid payload: exit $rc ($(cat "$work/out"))"
grep -q 'validation' "$work/out" || fail "no validation message: $(cat "$work/out")"
[ "$(logged)" = 0 ] || fail "something was sent"

# a refused passcode: every batch failed, the passcode never printed
set +e
CLEVERTAP_PASSCODE=WRONG-C-SECRET "$s" "$work/payload.json" "$work/ids.txt" >"$work/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "wrong passcode: exit $rc"
grep -q '^accepted 0 failed 2500 unknown 0' "$work/out" || fail "report: $(cat "$work/out")"
grep -q 'failed 1000 api status=401' "$work/out" || fail "no api 401 line: $(cat "$work/out")"
if grep -q WRONG-C-SECRET "$work/out"; then fail "passcode printed"; fi

# a dropped connection after processing: unknown, never re-sent
ctl POST reset >/dev/null
ctl POST faults '{"rules":[{"path":"/1/send/push.json","fault":"drop","count":1}]}' >/dev/null
set +e
"$s" --concurrency 1 "$work/payload.json" "$work/ids.txt" >"$work/out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "drop: exit $rc ($(cat "$work/out"))"
grep -q '^accepted 1500 failed 0 unknown 1000 requests 3' "$work/out" || fail "drop report: $(cat "$work/out")"
grep -q '^unknown 1000 network' "$work/out" || fail "no unknown line: $(cat "$work/out")"
echo "c-send example: ok"
