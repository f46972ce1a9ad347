#!/bin/sh
# The classifier is its own unit: a response classified with only
# ct_classify.o, ct_error.o, ct_redact.o and the string helpers (ct_str.o) linked (no request engine), with the kinds and
# retry hints of SPEC.md's error table.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
obj="$BUILD/obj/core/engine"
util="$BUILD/obj/core/util"
[ -f "$obj/ct_classify.o" ] && [ -f "$obj/ct_error.o" ] && [ -f "$obj/ct_redact.o" ] && [ -f "$util/ct_str.o" ] ||
  make -s BUILD="$BUILD" "$obj/ct_classify.o" "$obj/ct_error.o" "$obj/ct_redact.o" "$util/ct_str.o"
out=$(mktemp -d "${TMPDIR:-/tmp}/classify_alone.XXXXXX")
trap 'rm -rf "$out"' EXIT
cat > "$out/t.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "ct_classify.h"
static int check(int status, const char *const *h, size_t nh, const char *body,
                 ct_outcome want, const char *kind, long long want_ra)
{
    ct_resp r = { status, h, nh, body, strlen(body) };
    ct_err e;
    int64_t ra = -1;
    ct_outcome o = ct_classify_clevertap(&r, 0, "PASS-1", &e, &ra);
    if (o != want || (kind && strcmp(ct_err_kind_name(e.kind), kind) != 0) || ra != want_ra) {
        printf("not ok: HTTP %d -> outcome %d kind %s retry_after %lld\n", status, (int)o,
               ct_err_kind_name(e.kind), (long long)ra);
        return 1;
    }
    return 0;
}
int main(void)
{
    static const char *const h429[] = { "retry-after", "2" };
    int bad = 0;
    bad += check(200, NULL, 0, "{\"status\":\"success\"}", CT_OUT_OK, NULL, -1);
    bad += check(429, h429, 2, "{\"status\":\"fail\",\"error\":\"slow down\"}", CT_OUT_RETRY, "rate_limited", 2000);
    bad += check(400, NULL, 0, "{\"status\":\"fail\",\"code\":512,\"error\":\"bad\"}", CT_OUT_FAIL, "api", -1);
    return bad != 0;
}
C
# shellcheck disable=SC2046
$CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g ${SAN:-} -Icsrc/engine -Icsrc/limit \
  "$out/t.c" "$obj/ct_classify.o" "$obj/ct_error.o" "$obj/ct_redact.o" "$util/ct_str.o" $(pkg-config --libs jansson 2>/dev/null || echo -ljansson) \
  -o "$out/t"
"$out/t"
