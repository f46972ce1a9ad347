/* The error record the engine, the classifier, the client and the binding
 * share: a kind from docs/client.md's error table ("Errors"), the HTTP status, the CleverTap
 * code and a bounded message. Its own unit so code that only reports errors
 * (ct_classify.c) does not link the request engine. */
#ifndef CT_ERROR_H
#define CT_ERROR_H

typedef enum {
    CT_EK_NONE = 0,
    CT_EK_VALIDATION,
    CT_EK_HTTP,
    CT_EK_API,
    CT_EK_NETWORK,
    CT_EK_TIMEOUT,
    CT_EK_RATE_LIMITED,
    CT_EK_NOT_COMPLETED
} ct_err_kind;

typedef struct ct_err {
    ct_err_kind kind;
    int status; /* HTTP status, 0 = none */
    int has_code;
    long code; /* CleverTap error code when has_code */
    int retryable;
    char pointer[64]; /* JSON Pointer for validation errors, "" otherwise */
    char message[256];
} ct_err;

const char *ct_err_kind_name(ct_err_kind k);
void ct_err_set(ct_err *e, ct_err_kind k, int status, int retryable, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#endif
