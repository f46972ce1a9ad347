/* lua-clevertap public C API: for hosts that use the core without Lua
 * (game servers in C/C++). Every object is owned by the caller and freed with
 * its *_free function; no process-wide state is kept by the library. */
#ifndef CLEVERTAP_H
#define CLEVERTAP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CT_VERSION "0.2.0"

#if defined(__GNUC__)
#define CT_API __attribute__((visibility("default")))
#else
#define CT_API
#endif

/* ---- validation ------------------------------------------------------- */

typedef enum { CT_SEVERITY_ERROR = 0, CT_SEVERITY_WARNING = 1 } ct_severity;

typedef struct ct_problem {
    const char *pointer; /* RFC 6901 JSON Pointer into the payload, "" = root; NUL-ended, but a
                            member name may hold a NUL byte (Lua keys can), so use pointer_len */
    const char *message; /* one readable sentence naming the field (never holds a NUL byte) */
    ct_severity severity;
    size_t pointer_len; /* bytes of pointer, NUL bytes of member names included; added last so
                           code built against the older struct still reads the first three */
} ct_problem;

typedef struct ct_problems ct_problems;

/* Endpoint names as in docs/contract.md ("Validation and encoding"): "targets/create", "send/push", ... */
typedef struct ct_validate_opts {
    long long now;       /* epoch seconds for "must be in the future" checks; 0 = time(NULL) */
    const char *without; /* top-level member (e.g. "to") treated as present and valid, not
                            walked and left out of ct_encode_json's output; NULL = none */
    size_t max_problems; /* problems kept in the list, 0 = all (the default: every problem is
                            reported); with a cap the counts go on, ct_problems_not_shown tells */
} ct_validate_opts;

/* Validates a JSON text. Returns a problem list (never NULL unless out of
 * memory) to be freed with ct_problems_free; ct_problems_errors() == 0 means
 * the payload may be sent. Unknown endpoints yield one error at pointer "". */
CT_API ct_problems *ct_validate_json(const char *endpoint, const char *json, size_t len, const ct_validate_opts *opts);
CT_API size_t ct_problems_count(const ct_problems *p);
CT_API size_t ct_problems_errors(const ct_problems *p);
/* Problems found but not kept (only when opts.max_problems capped the list). */
CT_API size_t ct_problems_not_shown(const ct_problems *p);
CT_API const ct_problem *ct_problems_get(const ct_problems *p, size_t i);
CT_API void ct_problems_free(ct_problems *p);

/* Validates and returns the exact JSON text to send (malloc'd, NUL-ended,
 * *out_len set), or NULL with *problems holding why. */
CT_API char *ct_encode_json(const char *endpoint, const char *json, size_t len, const ct_validate_opts *opts,
                            size_t *out_len, ct_problems **problems);

/* Is `endpoint` one this library knows? */
CT_API int ct_endpoint_known(const char *endpoint);

#ifdef __cplusplus
}
#endif

/* The client (batching, limits, retries, libcurl): csrc/clevertap_client.h. */
#include "clevertap_client.h"

#endif
