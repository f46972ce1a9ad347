#!/bin/sh
# spec/c/client_resume_test.c against the sandbox: ct_client_send_opts with
# a journal, ct_client_resume (same lists, a stream, a different list, two
# resumers), ct_client_job_cancel keeping the report. Honours ${SAN:-}.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/libclevertap.a" ] || make -s BUILD="$BUILD" "$BUILD/libclevertap.a"
work=$(mktemp -d "${TMPDIR:-/tmp}/client_resume.XXXXXX")
trap 'rm -rf "$work"' EXIT
url=${CLEVERTAP_SANDBOX_URL:-}
if [ -z "$url" ] && [ -n "${CLEVERTAP_SANDBOX_DIR:-}" ]; then url=$(cat "$CLEVERTAP_SANDBOX_DIR/url"); fi
[ -n "$url" ] || { echo "FAIL: no sandbox (CLEVERTAP_SANDBOX_URL)"; exit 1; }
root=${url%/1}
# shellcheck disable=SC2046
$CC -std=c99 -Wall -Wextra -Werror -g ${SAN:-} -Iinclude/clevertap $(pkg-config --cflags jansson 2>/dev/null) \
  spec/c/client_resume_test.c "$BUILD/libclevertap.a" -ljansson -lcurl -lhiredis -lsqlite3 -lm -o "$work/client_resume"
CLEVERTAP_ACCOUNT_ID=SANDBOX-ACCOUNT-ID CLEVERTAP_PASSCODE=SANDBOX-PASSCODE CLEVERTAP_BASE_URL="$url" \
  "$work/client_resume" "$root" "$work"
curl -fsS -X POST "$root/_sandbox/reset" >/dev/null
