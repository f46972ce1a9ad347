/* The libcurl multi transport: drives a ct_engine. Non-blocking: each
 * ct_curl_poll() starts what the engine allows, moves bytes, hands finished
 * transfers back and waits at most timeout_ms; a game loop calls it every
 * frame with 0, a blocking call loops on it.
 *
 * curl_global_init is not called here (it is not thread-safe in old libcurl
 * and a host may own it): the Lua module and the C API call it once, see
 * docs/client.md. */
#ifndef CT_CURL_H
#define CT_CURL_H

#include "ct_engine.h"

typedef struct ct_curl ct_curl;

typedef struct ct_curl_opts {
    const char *ca_file;    /* CA bundle path, NULL = libcurl's default */
    int verify_tls;         /* 1 = verify peer and host (default) */
    const char *user_agent; /* sent as User-Agent */
    long max_connections;   /* per host; 0 = libcurl's default */
    long cache_connections; /* idle connections kept open; 0 = 128 */
    size_t max_body;        /* largest response body kept (bytes); 0 = CT_CURL_MAX_BODY */
} ct_curl_opts;

/* The nginx transport's cap (its max_body option), for the same reason: an
 * answer is held whole in memory, and 128 of them may be in flight. */
#define CT_CURL_MAX_BODY ((size_t)16 * 1024 * 1024)

ct_curl *ct_curl_new(const ct_curl_opts *o);
/* Aborts transfers in flight (their requests are failed as unknown). */
void ct_curl_free(ct_curl *c, ct_engine *e);
/* Returns the number of requests that finished during the call. */
int ct_curl_poll(ct_curl *c, ct_engine *e, int timeout_ms);

/* Monotonic milliseconds (the engine's clock for every transport). */
int64_t ct_now_ms(void);
/* "libcurl/7.88.1" */
const char *ct_curl_version(void);

#endif
