#!/bin/sh
# ct_client_opts.max_body caps the libcurl transport's response body (public
# C API, against the sandbox's "huge" fault): an answer over the cap is an
# unknown outcome, kind "network", "response body too large"; one under it is
# accepted; 0 means the default 16 MiB.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
[ -f "$BUILD/libclevertap.a" ] || make -s BUILD="$BUILD" "$BUILD/libclevertap.a"
work=$(mktemp -d "${TMPDIR:-/tmp}/max_body.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

url=${CLEVERTAP_SANDBOX_URL:-}
if [ -z "$url" ] && [ -n "${CLEVERTAP_SANDBOX_DIR:-}" ]; then url=$(cat "$CLEVERTAP_SANDBOX_DIR/url"); fi
[ -n "$url" ] || fail "no sandbox (CLEVERTAP_SANDBOX_URL)"
root=${url%/1}
ctl() { curl -fsS -X "$1" "$root/_sandbox/$2" ${3:+-H 'Content-Type: application/json' -d "$3"} >/dev/null; }

cat >"$work/t.c" <<'C'
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clevertap_client.h"

/* usage: t URL MAX_BODY -> prints "accepted N unknown N requests N kind message" */
int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ct_client_opts o;
    memset(&o, 0, sizeof o);
    o.account_id = "SANDBOX-ACCOUNT-ID";
    o.passcode = "SANDBOX-PASSCODE";
    o.base_url = argv[1];
    o.max_body = atoll(argv[2]);
    char err[256];
    ct_client *c = ct_client_new(&o, err, sizeof err);
    if (!c) { printf("new: %s\n", err); return 1; }
    const char *ids[] = { "a", "b" };
    ct_identity_list l = { "Identity", ids, 2 };
    ct_job *j = ct_client_send(c, "push", "{\"content\":{\"title\":\"t\",\"body\":\"b\"}}", &l, 1, err, sizeof err);
    if (!j) { printf("send: %s\n", err); return 1; }
    while (!ct_client_job_done(j)) ct_client_poll(c, 50);
    ct_send_summary s;
    ct_client_job_summary(j, &s);
    printf("accepted %lld unknown %lld requests %lld", s.accepted, s.unknown, s.requests);
    ct_send_outcome out;
    if (ct_client_job_outcomes(j) > 0 && ct_client_job_outcome(j, 0, &out)) printf(" %s %s", out.kind, out.message);
    printf("\n");
    ct_client_job_free(j);
    ct_client_free(c);
    curl_global_cleanup();
    return 0;
}
C
$CC -std=c99 -Wall -Wextra -Werror -O2 ${SAN:-} -Iinclude/clevertap "$work/t.c" "$BUILD/libclevertap.a" \
  -ljansson -lcurl -lhiredis -lsqlite3 -lm -o "$work/t"

check() { # bytes chunked max_body expected-line
  ctl POST reset
  ctl POST faults "{\"rules\":[{\"path\":\"/1/send/push.json\",\"fault\":\"huge\",\"bytes\":$1,\"chunked\":$2}]}"
  got=$("$work/t" "$url" "$3")
  [ "$got" = "$4" ] || fail "huge $1 chunked=$2 max_body $3: got '$got', expected '$4'"
}
check 200000 false 100000 "accepted 0 unknown 2 requests 1 network response body too large (over 100000 bytes) (the request was sent; its outcome is unknown)"
check 200000 true 100000 "accepted 0 unknown 2 requests 1 network response body too large (over 100000 bytes) (the request was sent; its outcome is unknown)"
check 50000 true 100000 "accepted 2 unknown 0 requests 1"
check 17000000 false 0 "accepted 0 unknown 2 requests 1 network response body too large (over 16777216 bytes) (the request was sent; its outcome is unknown)"
check 1000000 false 0 "accepted 2 unknown 0 requests 1"
ctl POST reset
echo "ok"
