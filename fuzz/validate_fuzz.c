/* libFuzzer target over the JSON-text validator and encoder (the C API).
 *
 * Input: one byte choosing the endpoint, then the JSON text. Checks, besides
 * the sanitizers' memory/UB/leak checks:
 *   - every problem has a pointer that is "" or starts with '/', and a message;
 *     pointer_len is the pointer's length (JSON text cannot put NUL in a name);
 *   - the error count agrees with the kept problems;
 *   - when the payload encodes, its encoding validates without errors and
 *     encodes to itself (the encoder's output is a fixed point).
 * Built and run by tools/fuzz.sh (`make fuzz`). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clevertap.h"

static const char *const endpoints[] = { "targets/create", "targets/list",    "targets/stop",
                                         "targets/result", "targets/trigger", "send/push",
                                         "send/webpush",   "send/email",      "send/sms" };
#define NENDPOINTS (sizeof endpoints / sizeof endpoints[0])

static void check_list(const ct_problems *p)
{
    size_t errors = 0, n = ct_problems_count(p);
    for (size_t i = 0; i < n; i++) {
        const ct_problem *q = ct_problems_get(p, i);
        if (!q || !q->pointer || !q->message || !q->message[0]) abort();
        if (q->pointer[0] && q->pointer[0] != '/') abort();
        if (q->pointer_len != strlen(q->pointer)) abort();
        if (q->severity == CT_SEVERITY_ERROR) errors++;
    }
    /* no cap was asked for: every problem is kept, none is made up */
    if (errors != ct_problems_errors(p) || ct_problems_not_shown(p)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *endpoint = endpoints[data[0] % NENDPOINTS];
    const char *json = (const char *)data + 1;
    size_t len = size - 1;
    ct_validate_opts opts = { .now = 1650000000, .without = (data[0] & 0x80) ? "to" : NULL };

    ct_problems *p = ct_validate_json(endpoint, json, len, &opts);
    if (!p) return 0;
    check_list(p);
    size_t errors = ct_problems_errors(p);
    ct_problems_free(p);

    size_t out_len = 0;
    ct_problems *ep = NULL;
    char *out = ct_encode_json(endpoint, json, len, &opts, &out_len, &ep);
    if (ep) check_list(ep);
    if ((out != NULL) != (errors == 0)) {
        /* encode fails exactly when validation has errors */
        if (!(out == NULL && ep && ct_problems_errors(ep))) abort();
    }
    ct_problems_free(ep);
    if (out) {
        if (strlen(out) != out_len) abort();
        /* `without` members are gone from the output: encode it plainly */
        ct_validate_opts again = { .now = opts.now, .without = opts.without };
        size_t len2 = 0;
        ct_problems *p2 = NULL;
        char *out2 = ct_encode_json(endpoint, out, out_len, &again, &len2, &p2);
        if (!out2) {
            for (size_t i = 0; p2 && i < ct_problems_count(p2); i++)
                fprintf(stderr, "%s: %s\n", ct_problems_get(p2, i)->pointer, ct_problems_get(p2, i)->message);
            abort();
        }
        if (len2 != out_len || memcmp(out, out2, out_len) != 0) {
            fprintf(stderr, "not a fixed point:\n%s\n%s\n", out, out2);
            abort();
        }
        free(out2);
        ct_problems_free(p2);
        free(out);
    }
    return 0;
}
