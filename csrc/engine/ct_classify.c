/* What a CleverTap response means: success, a refusal for good, a retry, or
 * an unknown outcome. Kinds and `retryable` follow the error table of
 * docs/client.md ("Errors"), the kinds of docs/contract.md ("Client"). */
#define _XOPEN_SOURCE 700
#include "ct_classify.h"
#include "ct_redact.h"
#include "ct_str.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Retry-After is honoured up to this bound: a server asking for more than an
 * hour is treated as asking for an hour (the total budget decides anyway). */
#define CT_RETRY_AFTER_MAX_MS (3600LL * 1000)

int64_t ct_parse_retry_after(const char *v)
{
    if (!v) return -1;
    while (*v == ' ' || *v == '\t') v++;
    if (*v >= '0' && *v <= '9') {
        char *end;
        double secs = strtod(v, &end);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
        if (*end) return -1;
        /* clamp as a double: converting a value beyond int64 (1e30) is
         * undefined behaviour; NaN and negatives are not a delay */
        if (!(secs >= 0)) return -1;
        double ms = secs * 1000.0;
        return ms >= (double)CT_RETRY_AFTER_MAX_MS ? CT_RETRY_AFTER_MAX_MS : (int64_t)ms;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S", &tm);
    if (!end) return -1;
    time_t at = timegm(&tm);
    time_t now = time(NULL);
    if (at == (time_t)-1) return -1;
    if (at <= now) return 0;
    int64_t ms = (int64_t)(at - now) * 1000;
    return ms > CT_RETRY_AFTER_MAX_MS ? CT_RETRY_AFTER_MAX_MS : ms;
}

static const char *header(const ct_resp *resp, const char *name)
{
    for (size_t i = 0; i + 1 < resp->nheaders * 2; i += 2)
        if (strcasecmp(resp->headers[i], name) == 0) return resp->headers[i + 1];
    return NULL;
}

static int is_2xx(int status) { return status >= 200 && status < 300; }

ct_outcome ct_classify_clevertap(const ct_resp *resp, int result_call, const char *secret, ct_err *err,
                                 int64_t *retry_after_ms)
{
    int status = resp->status;
    json_t *root = NULL;
    if (resp->body && resp->body_len) root = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, NULL);
    const char *st = root ? json_string_value(json_object_get(root, "status")) : NULL;
    int fail = st && strcmp(st, "fail") == 0;
    json_t *jcode = root ? json_object_get(root, "code") : NULL;
    int has_code = jcode && json_is_integer(jcode);
    long code = has_code ? (long)json_integer_value(jcode) : 0;
    const char *msg = root ? json_string_value(json_object_get(root, "error")) : NULL;
    if (!msg && fail && root) msg = json_string_value(json_object_get(root, "message"));
    /* The server's message is redacted here, decoded (a \u-escaped passcode
     * is whole again) and before it is cut to fit err->message (a cut would
     * leave a prefix of the passcode that no later redaction recognises). */
    char *safe = NULL;
    if (msg && secret && *secret && (safe = ct_strdup(msg))) {
        ct_redact(safe, secret);
        msg = safe;
    } else if (msg && secret && *secret) {
        msg = "(message not shown: out of memory)";
    }
    ct_outcome out;
    *retry_after_ms = ct_parse_retry_after(header(resp, "retry-after"));

    if (status == 429) {
        ct_err_set(err, CT_EK_RATE_LIMITED, status, 1, "HTTP 429: too many requests%s%s", msg ? ": " : "",
                   msg ? msg : "");
        out = CT_OUT_RETRY;
    } else if (fail) {
        if (has_code)
            ct_err_set(err, CT_EK_API, status, 0, "CleverTap error %ld: %s", code, msg ? msg : "(no message)");
        else ct_err_set(err, CT_EK_API, status, 0, "CleverTap error: %s", msg ? msg : "(no message)");
        err->has_code = has_code;
        err->code = code;
        if (has_code && code == 89) {
            /* "Unexpected error, please try again": refused, so safe to repeat */
            err->retryable = 1;
            out = CT_OUT_RETRY;
        } else if (status == 503) {
            err->retryable = 1;
            out = CT_OUT_RETRY;
        } else if (result_call && msg && (strstr(msg, "completed") || strstr(msg, "Completed"))) {
            err->kind = CT_EK_NOT_COMPLETED;
            err->retryable = 1;
            out = CT_OUT_FAIL;
        } else {
            out = CT_OUT_FAIL;
        }
    } else if (status == 503) {
        ct_err_set(err, CT_EK_HTTP, status, 1, "HTTP 503: service unavailable");
        out = CT_OUT_RETRY;
    } else if (is_2xx(status)) {
        if (root && json_is_object(root)) {
            out = CT_OUT_OK;
        } else {
            /* the server took the request but its answer cannot be read */
            ct_err_set(err, CT_EK_HTTP, status, 0, "HTTP %d with a response that is not a JSON object", status);
            out = CT_OUT_UNKNOWN;
        }
    } else if (status == 504) {
        ct_err_set(err, CT_EK_HTTP, status, 0, "HTTP 504: gateway timeout (the outcome is unknown)");
        out = CT_OUT_UNKNOWN;
    } else {
        ct_err_set(err, CT_EK_HTTP, status, 0, "HTTP %d%s%s", status, msg ? ": " : "", msg ? msg : "");
        if (has_code) {
            err->has_code = 1;
            err->code = code;
        }
        out = CT_OUT_FAIL;
    }
    free(safe);
    if (root) json_decref(root);
    return out;
}
