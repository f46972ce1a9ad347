/* What a response means (ct_classify.c): the outcome, and the response as
 * the engine and transports hand it over. Needs only the error record, not
 * the request engine. */
#ifndef CT_CLASSIFY_H
#define CT_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "ct_error.h"

typedef enum { CT_OUT_OK, CT_OUT_FAIL, CT_OUT_RETRY, CT_OUT_UNKNOWN } ct_outcome;

/* Response headers as lower-case name/value pairs: h[2i], h[2i+1]. */
typedef struct ct_resp {
    int status;
    const char *const *headers;
    size_t nheaders;
    const char *body;
    size_t body_len;
} ct_resp;

/* The CleverTap classification (also usable by other classifiers). */
/* secret (may be NULL): redacted from the server's message before it is
 * cut to fit err->message */
ct_outcome ct_classify_clevertap(const ct_resp *resp, int result_call, const char *secret, ct_err *err,
                                 int64_t *retry_after_ms);
/* Retry-After: delta-seconds or HTTP date; -1 when absent or unparsable. */
int64_t ct_parse_retry_after(const char *v);

#endif
