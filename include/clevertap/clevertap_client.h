/* lua-clevertap client, C API: send one message to any number of identities
 * from a host without Lua (game servers in C/C++), within the API's limits,
 * with retries, and a report that accounts for every identity; and the
 * campaign calls (create, estimate, list, stop, result, trigger).
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
/* declared by the engine and the public client header alike */
#ifndef CT_JOB_DECLARED
#define CT_JOB_DECLARED
typedef struct ct_job ct_job;
#endif

/* send/... requests in flight by default: 200 sustain the API's 1000
 * requests/s up to 200 ms per round trip (the rate limit, not the
 * concurrency, is then the ceiling). */
#define CT_DEFAULT_SEND_CONCURRENCY 200

/* Zero means "the default" for every numeric field. */
typedef struct ct_client_opts {
    const char *account_id;  /* NULL: env CLEVERTAP_ACCOUNT_ID */
    const char *passcode;    /* NULL: env CLEVERTAP_PASSCODE */
    const char *region;      /* eu1 (default), in1, sg1, us1, aps3, mec1; NULL: env CLEVERTAP_REGION */
    const char *base_url;    /* overrides region, e.g. "http://127.0.0.1:8080/1"; NULL: env CLEVERTAP_BASE_URL */
    long connect_timeout_ms; /* default 10000 */
    long timeout_ms;         /* whole request; default 30000 */
    int send_concurrency;    /* send/... requests in flight; default CT_DEFAULT_SEND_CONCURRENCY */
    double send_rate;        /* send/... requests per second; default 1000 (the API's ceiling); < 0 = none */
    int targets_concurrency; /* targets/... requests in flight; default 3 */
    double create_rate;      /* targets/create per second; default 1; < 0 = none */
    int retry_attempts;      /* tries per request, first included; default 5 */
    long retry_base_ms;      /* first backoff ceiling; default 500 */
    long retry_max_ms;       /* ceiling of one backoff; default 30000 */
    long retry_total_ms;     /* no retry later than this after the first try; default 120000 */
    double retry_quota;      /* client-wide retry tokens (a retry costs 5, 10 after a timeout;
                                a success refunds): 0 = default 500, < 0 = no quota */
    int resend_unknown;      /* 1: re-send requests whose outcome is unknown (may duplicate) */
    const char *ca_file;     /* CA bundle; NULL = system default */
    int insecure;            /* 1: do not verify TLS certificates (never in production) */
    long long max_body;      /* largest response body accepted (bytes); default 16 MiB; larger
                              * answers stop the transfer: an unknown outcome, kind "network" */
    /* Account-wide limits shared with every process and host using the same
     * store (docs/limits.md): "local" (default: this client alone) or
     * "redis://[user:pass@]host:port[/db]"; NULL: env CLEVERTAP_LIMITER.
     * With a shared limiter send_rate, create_rate and targets_concurrency
     * are the account's limits. */
    const char *limiter;
    const char *fail_mode;        /* store unusable: "closed" (default: wait for it) or "local"
                                     (this process's limits divided by the members seen) */
    int limiter_members;          /* fail_mode local divides by at least this many; default 1 */
    long limiter_lease_ms;        /* targets/... slots are leases renewed while held; default 10000 */
    int limiter_send_concurrency; /* 1: send_concurrency is the account's too (a lease a send request) */
} ct_client_opts;

/* NULL on error, with a message in err (never containing the passcode). */
CT_API ct_client *ct_client_new(const ct_client_opts *o, char *err, size_t errlen);
/* Frees the client. Send jobs (ct_job) and calls (ct_call) may be freed
 * before or after it: a send job still running ends here with its report
 * complete (requests in flight unknown, batches never started not_sent:
 * ct_send_outcome.not_sent) and stays readable until ct_client_job_free;
 * a call not finished ends with kind "network". NULL is ignored. */
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
CT_API ct_job *ct_client_send_stream(ct_client *c, const char *channel, const char *payload_json, ct_identity_fn next,
                                     void *ud, char *err, size_t errlen);

/* Send options (zero = the default for each). */
typedef struct ct_send_opts {
    const char *journal; /* path of an SQLite journal (docs/journal.md): the send survives a crash
                            and ct_client_resume finishes it; NULL = none. Created: a path that
                            already holds a send is refused. */
    int keep_ids;        /* 1: accepted batches keep their identities in the journal (audit) */
    int resend_unknown;  /* ct_client_resume: batches whose outcome is unknown are sent again
                            (may message them twice) */
} ct_send_opts;

/* ct_client_send (lists) or ct_client_send_stream (next, when lists is NULL)
 * with options. A journal that cannot be created, written or locked is an
 * error here (NULL, err says why) and nothing is sent. */
CT_API ct_job *ct_client_send_opts(ct_client *c, const char *channel, const char *payload_json,
                                   const ct_identity_list *lists, size_t nlists, ct_identity_fn next, void *ud,
                                   const ct_send_opts *o, char *err, size_t errlen);
/* Finishes the send a journal records (after a crash, a cancel or a freed
 * client): its channel and message come from the journal; accepted batches
 * are never sent again, batches in flight at the crash are unknown (sent
 * again only with o->resend_unknown), planned batches are sent, then the part
 * of the source the earlier run had not read. The source is the same lists
 * or stream again (NULL and NULL when the journal says it was read to its
 * end): the part read before is read again and must match (a fingerprint),
 * else NULL with err. The job's report is the whole send's: earlier outcomes
 * included. A journal another process is driving is refused. */
CT_API ct_job *ct_client_resume(ct_client *c, const char *journal, const ct_identity_list *lists, size_t nlists,
                                ct_identity_fn next, void *ud, const ct_send_opts *o, char *err, size_t errlen);

/* Does a bounded amount of work, waiting at most timeout_ms (0 = never
 * blocks): starting requests stops once timeout_ms (about 1 ms for 0) is
 * spent, the rest start in later calls. Returns requests still queued or in
 * flight over all jobs. */
CT_API int ct_client_poll(ct_client *c, int timeout_ms);

typedef struct ct_send_summary {
    long long accepted; /* identities in batches the server accepted */
    long long failed;   /* identities refused for good */
    long long unknown;  /* identities sent whose outcome is unknown */
    long long requests; /* HTTP requests made, retries included */
    long long batches_done;
    long long batches_total; /* -1 when not known in advance (streams) */
    long long not_sent;      /* identities never sent (the client was freed first, or a cancel) */
    int cancelled;           /* 1: ct_client_job_cancel ended it */
} ct_send_summary;

CT_API int ct_client_job_done(const ct_job *j);
CT_API void ct_client_job_summary(const ct_job *j, ct_send_summary *out);

/* Failed or unknown batches: one entry per batch (or bad identity). */
typedef struct ct_send_outcome {
    int unknown;      /* 1 = outcome unknown, 0 = failed */
    int not_sent;     /* 1 = never sent: the client was freed before its batch started */
    const char *kind; /* "http", "api", "network", "timeout", "rate_limited", "validation" */
    const char *message;
    const char *pointer; /* validation: JSON pointer of the identity; else "" */
    int status;          /* HTTP status or 0 */
    long code;           /* CleverTap error code or -1 */
    int retryable;
    const char *to_json; /* the batch's "to" object */
    size_t count;        /* identities in it */
} ct_send_outcome;

CT_API size_t ct_client_job_outcomes(const ct_job *j);
CT_API int ct_client_job_outcome(const ct_job *j, size_t i, ct_send_outcome *out);
/* Cancels a send job keeping its report: queued batches and the unread
 * part of lists become not_sent (a stream's rest stays unread), requests in
 * flight unknown; the job is done at once. No-op on a done job. */
CT_API void ct_client_job_cancel(ct_job *j);
/* Frees a job (cancels it when not done: queued batches are dropped). */
CT_API void ct_client_job_free(ct_job *j);

/* ---- campaign calls (targets/...) ----------------------------------------
 *
 * create, estimate, list, stop, result and trigger, non-blocking like sends:
 * each queues a call (one request; an async estimate a request, then polls
 * of its req_id) and returns at once; ct_client_poll() drives it with the
 * sends, ct_client_call_done() says when it is finished and
 * ct_client_call_response() reads the answer. The payload is validated
 * first: on any problem NULL is returned, err says why (with its JSON
 * pointer) and nothing is sent. Requests keep to the targets limits (3 in
 * flight, targets/create once per second) and are retried like sends; none
 * is re-sent when its outcome is unknown except list, stop, result and
 * estimates, which change nothing.
 *
 * A call is owned by the caller and freed with ct_client_call_free(), before
 * or after its client: a call outliving ct_client_free() is finished, with
 * kind "network" when it had not finished before. */
typedef struct ct_call ct_call;

/* POST targets/create.json: payload_json is the campaign. */
CT_API ct_call *ct_client_create_campaign(ct_client *c, const char *payload_json, char *err, size_t errlen);
/* targets/create.json with "estimate_only": true added, nothing created.
 * With "async_estimate": true in the payload the call follows the request id
 * the answer gives (on targets/create, within its rate) until the estimates
 * are ready; not ready within timeout_ms (0: 300000) is kind "timeout". */
CT_API ct_call *ct_client_estimate(ct_client *c, const char *payload_json, long timeout_ms, char *err, size_t errlen);
/* targets/list.json: campaigns scheduled from .. to, both YYYYMMDD. */
CT_API ct_call *ct_client_list(ct_client *c, long from, long to, char *err, size_t errlen);
/* targets/stop.json for a campaign id. */
CT_API ct_call *ct_client_stop(ct_client *c, long long id, char *err, size_t errlen);
/* targets/result.json for a campaign id; not finished yet is kind "not_completed". */
CT_API ct_call *ct_client_result(ct_client *c, long long id, char *err, size_t errlen);
/* targets/trigger.json: raise a Bulletin's business event. */
CT_API ct_call *ct_client_trigger(ct_client *c, const char *payload_json, char *err, size_t errlen);

CT_API int ct_client_call_done(const ct_call *k);

typedef struct ct_call_response {
    const char *kind;    /* NULL on success; else "http", "api", "network", "timeout",
                          * "rate_limited" or "not_completed" */
    const char *message; /* "" on success */
    int status;          /* HTTP status of the last response, 0 when none */
    long code;           /* CleverTap error code or -1 */
    int retryable;       /* 1: the same call may succeed later */
    const char *body;    /* the last response's JSON text ("" when none); an error's
                          * with the passcode replaced by *** */
    size_t body_len;
    long long id;       /* the answer's integer "id" (targets/create), else 0 */
    long long requests; /* HTTP requests made, retries and estimate polls included */
} ct_call_response;

/* Fills out (strings live as long as the call). Returns 1 when the call
 * succeeded, 0 when it failed (out->kind says how), -1 when not finished
 * (out untouched). */
CT_API int ct_client_call_response(const ct_call *k, ct_call_response *out);
/* Frees a call (cancels it when not done: a request in flight is
 * forgotten, nothing more is sent). NULL is ignored. */
CT_API void ct_client_call_free(ct_call *k);

#ifdef __cplusplus
}
#endif

#endif
