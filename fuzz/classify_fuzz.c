/* libFuzzer target over what the client makes of a server's answer:
 * response classification, Retry-After parsing and redaction.
 *
 * Input: byte 0 picks the HTTP status, byte 1 the secret's length (1-24),
 * then the secret, then a Retry-After value up to the first '\n', then the
 * body. Checks, besides the sanitizers' memory/UB/leak checks:
 *   - a Retry-After is -1 or within [0, one hour];
 *   - an error message is terminated and, once redacted as the engine does,
 *     never holds a secret of 8 bytes or more without '*' (short ones are
 *     redacted as whole words only);
 *   - a redacted body never holds such a secret either.
 * Built and run by tools/fuzz.sh (`make fuzz`). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_classify.h"
#include "ct_redact.h"

static const int statuses[] = { 200, 201, 204, 301, 307, 400, 401, 403, 404, 429, 500, 502, 503, 504 };

static int holds(const char *text, size_t len, const char *secret, size_t sl)
{
    if (sl == 0 || len < sl) return 0;
    for (size_t i = 0; i + sl <= len; i++)
        if (memcmp(text + i, secret, sl) == 0) return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
    size_t sl = 1 + data[1] % 24;
    if (size < 2 + sl) return 0;
    char secret[32];
    memcpy(secret, data + 2, sl);
    secret[sl] = '\0';
    if (strlen(secret) != sl) return 0; /* a NUL in the secret is refused at new() */
    /* the mask is '*': a secret holding one can re-form next to its own
     * mask ("aa**" -> "a***"), so the leak checks below skip such secrets */
    int checkable = sl >= 8 && !strchr(secret, '*');
    const char *rest = (const char *)data + 2 + sl;
    size_t rest_len = size - 2 - sl;
    const char *nl = memchr(rest, '\n', rest_len);
    size_t ra_len = nl ? (size_t)(nl - rest) : 0;
    char *ra = malloc(ra_len + 1);
    if (!ra) return 0;
    memcpy(ra, rest, ra_len);
    ra[ra_len] = '\0';
    const char *body = nl ? nl + 1 : rest;
    size_t body_len = rest_len - (size_t)(body - rest);

    int64_t parsed = ct_parse_retry_after(ra);
    if (parsed != -1 && (parsed < 0 || parsed > 3600LL * 1000)) abort();

    const char *headers[] = { "Retry-After", ra };
    ct_resp resp = { status, headers, 1, body, body_len };
    for (int result_call = 0; result_call < 2; result_call++) {
        ct_err err;
        memset(&err, 0, sizeof err);
        int64_t after = -1;
        ct_classify_clevertap(&resp, result_call, secret, &err, &after);
        size_t ml = strnlen(err.message, sizeof err.message);
        if (ml == sizeof err.message) abort(); /* not terminated */
        /* the engine redacts the whole message again (the client's own
         * words may hold the secret); what must hold is that nothing the
         * first redaction saw was cut into a fragment the second misses */
        ct_redact(err.message, secret);
        if (checkable && holds(err.message, strlen(err.message), secret, sl)) abort();
    }

    char *clean = ct_redact_body(body, body_len, secret);
    if (clean && checkable && holds(clean, strlen(clean), secret, sl)) abort();
    free(clean);
    free(ra);
    return 0;
}
