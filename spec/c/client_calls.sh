#!/bin/sh
# spec/c/client_calls_test.c against the sandbox: the campaign calls' lifetime
# rules, limits with several calls at once, validation. Honours ${SAN:-}.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/libclevertap.a" ] || make -s BUILD="$BUILD" "$BUILD/libclevertap.a"
work=$(mktemp -d "${TMPDIR:-/tmp}/client_calls.XXXXXX")
trap 'rm -rf "$work"' EXIT
url=${CLEVERTAP_SANDBOX_URL:-}
if [ -z "$url" ] && [ -n "${CLEVERTAP_SANDBOX_DIR:-}" ]; then url=$(cat "$CLEVERTAP_SANDBOX_DIR/url"); fi
[ -n "$url" ] || { echo "FAIL: no sandbox (CLEVERTAP_SANDBOX_URL)"; exit 1; }
root=${url%/1}
$CC -std=c99 -Wall -Wextra -Werror -g ${SAN:-} -Iinclude/clevertap spec/c/client_calls_test.c \
  "$BUILD/libclevertap.a" -ljansson -lcurl -lhiredis -lsqlite3 -lm -o "$work/client_calls"
curl -fsS -X POST "$root/_sandbox/reset" >/dev/null
# the sandbox's own limits (3 targets in flight, creates 0.9 s apart) and a
# 200 ms answer, so calls overlap as they would against the service
curl -fsS -X POST "$root/_sandbox/config" -H 'Content-Type: application/json' \
  -d '{"targets_concurrency":3,"create_rate_per_sec":1,"targets_latency_ms":200}' >/dev/null
CLEVERTAP_ACCOUNT_ID=SANDBOX-ACCOUNT-ID CLEVERTAP_PASSCODE=SANDBOX-PASSCODE CLEVERTAP_BASE_URL="$url" \
  "$work/client_calls"
