/* lua-clevertap client, C API: send one message to any number of identities
 * from a host without Lua (game servers in C/C++), within the API's limits,
 * with retries, and a report that accounts for every identity.
 *
 * Non-blocking: ct_client_send() only queues; ct_client_poll() does a bounded
 * amount of work (waits at most timeout_ms) and is meant to be called every
 * tick; ct_client_job_done() says when a job is finished.
 *
 * Process setup: call curl_global_init(CURL_GLOBAL_DEFAULT) once before the
 * first client (libcurl's rule; see docs/client.md). */
#ifndef CLEVERTAP_CLIENT_H
#define CLEVERTAP_CLIENT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CT_API
#if defined(__GNUC__)
#define CT_API __attribute__((visibility("default")))
#else
#define CT_API
#endif
#endif

typedef struct ct_client ct_client;
typedef struct ct_job ct_job;

/* Zero means "the default" for every numeric field. */
typedef struct ct_client_opts {
    const char *account_id;   /* NULL: env CLEVERTAP_ACCOUNT_ID */
    const char *passcode;     /* NULL: env CLEVERTAP_PASSCODE */
    const char *region;       /* eu1 (default), in1, sg1, us1, aps3, mec1; NULL: env CLEVERTAP_REGION */
    const char *base_url;     /* overrides region, e.g. "http://127.0.0.1:8080/1"; NULL: env CLEVERTAP_BASE_URL */
    long connect_timeout_ms;  /* default 10000 */
    long timeout_ms;          /* whole request; default 30000 */
    int send_concurrency;     /* send/... requests in flight; default 128 */
    double send_rate;         /* send/... requests per second; default 1000 (the API's ceiling); < 0 = none */
    int targets_concurrency;  /* targets/... requests in flight; default 3 */
    double create_rate;       /* targets/create per second; default 1; < 0 = none */
    int retry_attempts;       /* tries per request, first included; default 5 */
    long retry_base_ms;       /* first backoff ceiling; default 500 */
    long retry_max_ms;        /* ceiling of one backoff; default 30000 */
    long retry_total_ms;      /* no retry later than this after the first try; default 120000 */
    int resend_unknown;       /* 1: re-send requests whose outcome is unknown (may duplicate) */
    const char *ca_file;      /* CA bundle; NULL = system default */
    int insecure;             /* 1: do not verify TLS certificates (never in production) */
    long long max_body;       /* largest response body accepted (bytes); default 16 MiB; larger
                               * answers stop the transfer: an unknown outcome, kind "network" */
} ct_client_opts;

/* NULL on error, with a message in err (never containing the passcode). */
CT_API ct_client *ct_client_new(const ct_client_opts *o, char *err, size_t errlen);
/* Frees the client; jobs still running are abandoned (free them too). */
CT_API void ct_client_free(ct_client *c);

/* Identities of one type: "FBID", "GPID", "Email", "Identity" or "objectId". */
typedef struct ct_identity_list {
    const char *type;
    const char *const *ids;
    size_t count;
} ct_identity_list;

/* Streaming source: return 1 with *type, *id, *len set (valid until the next
 * call), 0 at the end, -1 to abort the job. */
typedef int (*ct_identity_fn)(void *ud, const char **type, const char **id, size_t *len);

/* Queues a send job: channel "push", "webpush", "email" or "sms"; payload_json
 * is the message without "to" (a "to" member is ignored). Identity lists are
 * checked and the payload validated first: on any problem NULL is returned,
 * err says why (with a JSON pointer such as /to/Identity/5) and nothing is sent.
 * The identity arrays must stay valid until the job is done. */
CT_API ct_job *ct_client_send(ct_client *c, const char *channel, const char *payload_json,
                              const ct_identity_list *lists, size_t nlists, char *err, size_t errlen);
/* Same with identities pulled from next() as batches are built. A bad
 * identity from the stream is reported in the job's outcomes (failed,
 * kind "validation") and the rest is sent. */
CT_API ct_job *ct_client_send_stream(ct_client *c, const char *channel, const char *payload_json,
                                     ct_identity_fn next, void *ud, char *err, size_t errlen);

/* Does a bounded amount of work, waiting at most timeout_ms (0 = never
 * blocks): starting requests stops once timeout_ms (about 1 ms for 0) is
 * spent, the rest start in later calls. Returns requests still queued or in
 * flight over all jobs. */
CT_API int ct_client_poll(ct_client *c, int timeout_ms);

typedef struct ct_send_summary {
    long long accepted;      /* identities in batches the server accepted */
    long long failed;        /* identities refused for good */
    long long unknown;       /* identities sent whose outcome is unknown */
    long long requests;      /* HTTP requests made, retries included */
    long long batches_done;
    long long batches_total; /* -1 when not known in advance (streams) */
} ct_send_summary;

CT_API int ct_client_job_done(const ct_job *j);
CT_API void ct_client_job_summary(const ct_job *j, ct_send_summary *out);

/* Failed or unknown batches: one entry per batch (or bad identity). */
typedef struct ct_send_outcome {
    int unknown;          /* 1 = outcome unknown, 0 = failed */
    const char *kind;     /* "http", "api", "network", "timeout", "rate_limited", "validation" */
    const char *message;
    const char *pointer;  /* validation: JSON pointer of the identity; else "" */
    int status;           /* HTTP status or 0 */
    long code;            /* CleverTap error code or -1 */
    int retryable;
    const char *to_json;  /* the batch's "to" object */
    size_t count;         /* identities in it */
} ct_send_outcome;

CT_API size_t ct_client_job_outcomes(const ct_job *j);
CT_API int ct_client_job_outcome(const ct_job *j, size_t i, ct_send_outcome *out);
/* Frees a job (cancels it when not done: queued batches are dropped). */
CT_API void ct_client_job_free(ct_job *j);

#ifdef __cplusplus
}
#endif

#endif
