#!/bin/sh
# examples/game-host/threads: four threads, each with its own client, send
# at the same time through the sandbox, built with ThreadSanitizer (library
# included): no data race is reported and every thread's players are all
# accounted for. This is the thread-safety rule of docs/embedding.md (one
# client per thread, curl_global_init once before the threads) in practice.
set -u
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
BUILD=${BUILD:-build}
case "$BUILD" in /*) build=$BUILD ;; *) build="$root/$BUILD" ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-game-threads.XXXXXX")
own_sandbox=""
cleanup() {
  [ -n "$own_sandbox" ] && sandbox/ctl stop --dir "$work/sandbox" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }

if [ -n "${SAN:-}" ]; then
  # Under another sanitizer (make sanitize): run with that one instead.
  lib=$build
  make -s BUILD="$lib" all >"$work/make.out" 2>&1 || { cat "$work/make.out"; fail "library build"; }
else
  lib="$build/tsan" # inside the build directory, so make clean removes it
  SAN=-fsanitize=thread
  make -s BUILD="$lib" OPT="-O1 -g" SAN="$SAN" "$lib/libclevertap.a" >"$work/make.out" 2>&1 ||
    { cat "$work/make.out"; fail "ThreadSanitizer library build"; }
fi
make -s -C examples/game-host BUILD="$lib" OUT="$work/bin" SAN="$SAN" "$work/bin/threads" >"$work/make.out" 2>&1 ||
  { cat "$work/make.out"; fail "threads build"; }

if [ -z "${CLEVERTAP_SANDBOX_URL:-}" ]; then
  sandbox/ctl start --dir "$work/sandbox" --port 0 >"$work/sandbox.out" 2>&1 ||
    { cat "$work/sandbox.out"; fail "sandbox start"; }
  own_sandbox=1
  CLEVERTAP_SANDBOX_URL=$(cat "$work/sandbox/url")
fi
control=${CLEVERTAP_SANDBOX_URL%/1}/_sandbox
export CLEVERTAP_BASE_URL="$CLEVERTAP_SANDBOX_URL" CLEVERTAP_ACCOUNT_ID=SANDBOX-ACCOUNT-ID
export CLEVERTAP_PASSCODE=SANDBOX-PASSCODE
unset CLEVERTAP_REGION
post() { curl -sf -X POST -H 'Content-Type: application/json' -d "$2" "$control/$1" >/dev/null || fail "POST $1"; }
post reset '{}'
post config '{"log_body_max":256}'
post faults '{"rules":[
  {"path":"/1/send/push.json","fault":"500-89","count":2},
  {"path":"/1/send/push.json","fault":"latency","ms":20}]}'

TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$work/bin/threads" 4 5000 >"$work/out" 2>&1
rc=$?
cat "$work/out"
[ "$rc" -ne 66 ] || fail "ThreadSanitizer reported a data race"
[ "$rc" -eq 0 ] || fail "threads exited $rc"
[ "$(grep -c 'accepted=5000 failed=0 unknown=0' "$work/out")" -eq 4 ] || fail "a thread's players were not all accepted"
total=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' "$work/out" | awk '{ s += $1 } END { print s }')
[ "$total" -eq 22 ] || fail "expected 20 batches + 2 retries over all threads, got $total requests"
echo "ok"
