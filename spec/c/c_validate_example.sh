#!/bin/sh
# Builds examples/c-validate against $BUILD/libclevertap.a and runs it on a
# documented example (valid), a broken payload (invalid, exact pointers), a
# non-JSON file, an unknown endpoint, and --encode.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/libclevertap.a" ] || make -s BUILD="$BUILD" "$BUILD/libclevertap.a"
work=$(mktemp -d "${TMPDIR:-/tmp}/c_validate.XXXXXX")
trap 'rm -rf "$work"' EXIT
$CC -std=c99 -Wall -Wextra -Werror -O2 ${SAN:-} -Iinclude/clevertap examples/c-validate/validate.c "$BUILD/libclevertap.a" \
  -ljansson -lcurl -lhiredis -lsqlite3 -lm -o "$work/validate"
v="$work/validate"
fail() { echo "FAIL: $*"; exit 1; }

# a documented example: valid
cat >"$work/sms.json" <<'JSON'
{"name": "My Sms API campaign","estimate_only": true,"target_mode":"sms", "where":{"event_name":"Charged","from":20171001,"to":20171220,"common_profile_properties":{"profile_fields": [ {"name": "Customer Type","operator":"equals","value": "Platinum"}]}},"respect_frequency_caps": false,"content": { "body": "Sms body"},"when": "now"}
JSON
"$v" targets/create "$work/sms.json" >"$work/out" || fail "documented example rejected: $(cat "$work/out")"
grep -q "valid" "$work/out" || fail "no verdict line"

# broken: every problem, with pointers; exit 1
cat >"$work/bad.json" <<'JSON'
{"name": "x", "target_mode": "sms", "where": {}, "content": {"body": 5},
 "when": {"type": "later", "delivery_date_time": ["20350102 10:00", "20350101 10:00"],
          "dnd": {"dnd_timezone": "user", "dnd_info": {"2": ["21:00", "25:00"]}}}}
JSON
set +e
"$v" targets/create "$work/bad.json" --now 1700000000 >"$work/out"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "invalid payload: exit $rc, expected 1"
grep -q '^error   content.body: .* (at /content/body)$' "$work/out" || fail "no /content/body error: $(cat "$work/out")"
grep -q '^error   when.delivery_date_time\[1\]: .* (at /when/delivery_date_time/1)$' "$work/out" || fail "no ordering error: $(cat "$work/out")"
grep -qF 'error   when.dnd.dnd_info.2[1]: expected HH:MM (00:00-23:59), got "25:00" (at /when/dnd/dnd_info/2/1)' "$work/out" \
  || fail "no HH:MM error: $(cat "$work/out")"
grep -q "INVALID" "$work/out" || fail "no INVALID verdict"

# not JSON: one error at the root
printf '{"name": ' >"$work/trunc.json"
set +e
"$v" send/sms "$work/trunc.json" >"$work/out"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "truncated JSON: exit $rc"
grep -q '^error   payload: invalid JSON' "$work/out" || fail "no JSON error: $(cat "$work/out")"

# unknown endpoint: usage error
set +e
"$v" send/fax "$work/sms.json" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unknown endpoint: exit $rc, expected 2"

# --encode prints the exact JSON (sorted members, integers as integers)
cat >"$work/send.json" <<'JSON'
{"to": {"Identity": ["JohnDoe"]}, "content": {"title": "Hi", "body": "B"}, "respect_frequency_caps": false, "campaign_id": 1000000043.0}
JSON
"$v" send/push "$work/send.json" --encode >"$work/out" || fail "send payload rejected: $(cat "$work/out")"
grep -qx '{"campaign_id":1000000043,"content":{"body":"B","title":"Hi"},"respect_frequency_caps":false,"to":{"Identity":\["JohnDoe"\]}}' \
  "$work/out" || fail "encoded: $(cat "$work/out")"
echo "c-validate example: ok"
