/* Error records (see ct_error.h). */
#include "ct_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ct_err_kind_name(ct_err_kind k)
{
    switch (k) {
    case CT_EK_VALIDATION: return "validation";
    case CT_EK_HTTP: return "http";
    case CT_EK_API: return "api";
    case CT_EK_NETWORK: return "network";
    case CT_EK_TIMEOUT: return "timeout";
    case CT_EK_RATE_LIMITED: return "rate_limited";
    case CT_EK_NOT_COMPLETED: return "not_completed";
    default: return "none";
    }
}

void ct_err_set(ct_err *e, ct_err_kind k, int status, int retryable, const char *fmt, ...)
{
    memset(e, 0, sizeof *e);
    e->kind = k;
    e->status = status;
    e->retryable = retryable;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}
