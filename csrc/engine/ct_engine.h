/* The request engine: sans-IO scheduling of HTTP requests for one client.
 *
 * A job is a queue of requests produced lazily (one body, a batch of
 * identities split into requests of <= 1000, or a stream of prepared
 * requests). The engine decides which request may start now (per-lane
 * in-flight caps and rate limits), classifies outcomes, schedules retries
 * with exponential backoff and full jitter, and keeps a report per job.
 *
 * It does no I/O and reads no clock: a transport asks ct_engine_next() for
 * work, reports ct_engine_complete()/ct_engine_fail(), and sleeps at most
 * ct_engine_wait() milliseconds. Times are caller-supplied monotonic ms. */
#ifndef CT_ENGINE_H
#define CT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ct_classify.h"
#include "ct_error.h"
#include "ct_limit.h"

typedef struct ct_engine ct_engine;
/* declared by the engine and the public client header alike */
#ifndef CT_JOB_DECLARED
#define CT_JOB_DECLARED
typedef struct ct_job ct_job;
#endif
typedef struct ct_req ct_req;

/* Identity types, in the order requests list them. */
enum { CT_ID_FBID, CT_ID_GPID, CT_ID_EMAIL, CT_ID_IDENTITY, CT_ID_OBJECTID, CT_ID_NTYPES };
extern const char *const ct_id_type_names[CT_ID_NTYPES];
int ct_id_type_from_name(const char *name, size_t len); /* -1 when unknown */
/* 0 when s is a usable identity (non-empty valid UTF-8); else a reason. */
const char *ct_identity_problem(const char *s, size_t len);

/* The identities of one request, at most. */
#define CT_BATCH_MAX 1000

/* A run of identities of one type, as a batch source hands them over: many
 * per call, so the per-identity cost is the source's own read and not a
 * call through the interface. s[k] NULL: not a string (reported, not sent). */
typedef struct ct_idrun {
    int type;
    size_t n;
    const char *s[CT_BATCH_MAX];
    size_t len[CT_BATCH_MAX];
} ct_idrun;

/* A batch source: fills run with 1..max (max <= CT_BATCH_MAX) identities of
 * one type, valid until the next call, and returns 1; 0 at the end; -1 on
 * error with *err set (the job stops producing). It reads no further than
 * max: what it handed over is what the batch holds. An empty run (1 with
 * run->n == 0) only when the job was cancelled or held from inside the
 * source. */
typedef struct ct_source {
    int (*next)(void *ud, size_t max, ct_idrun *run, ct_err *err);
    void *ud;
    long long total; /* identities when known in advance, -1 otherwise */
    int checked;     /* 1: the caller already checked every identity (arrays) */
} ct_source;

/* A prepared request for generic jobs. headers: "Name: value" lines. */
typedef struct ct_reqspec {
    const char *method;
    const char *url;
    const char *const *headers;
    size_t nheaders;
    const char *body;
    size_t body_len;
    long tag; /* caller's id for the request (e.g. index of its items) */
} ct_reqspec;

/* Generic source: 1 = *out filled (copied by the engine), 0 = end, -1 = error. */
typedef struct ct_reqsource {
    int (*next)(void *ud, ct_reqspec *out, ct_err *err);
    void *ud;
    long long total;
} ct_reqsource;

/* Decides what a response means. On CT_OUT_RETRY *retry_after_ms may be set
 * (>= 0) to override the backoff. err describes fail/unknown/retry. */
typedef ct_outcome (*ct_classify_fn)(void *ud, ct_req *r, const ct_resp *resp, ct_err *err, int64_t *retry_after_ms);

typedef struct ct_retry {
    int attempts;     /* total tries, first included */
    int64_t base_ms;  /* first backoff ceiling */
    int64_t max_ms;   /* ceiling of one backoff */
    int64_t total_ms; /* no retry starts later than this after the first try */
} ct_retry;

typedef struct ct_lane_opts {
    int max_inflight; /* 0 = unlimited */
    double rate;      /* starts per second, 0 = unlimited */
    double burst;     /* token bucket size (>= 1) */
    int parent;       /* another lane also charged, -1 = none */
} ct_lane_opts;

typedef struct ct_job_opts {
    int lane;
    const char *method;         /* "POST" */
    const char *url;            /* single/batch jobs */
    const char *const *headers; /* "Name: value" lines, single/batch jobs */
    size_t nheaders;
    long timeout_ms, connect_timeout_ms;
    ct_retry retry;
    int resend_unknown;      /* re-send requests whose outcome is unknown */
    int idempotent;          /* safe to re-send: unknown outcomes retried */
    ct_classify_fn classify; /* NULL = CleverTap rules */
    void *classify_ud;
    int result_call; /* targets/result: "not completed" -> CT_EK_NOT_COMPLETED */
} ct_job_opts;

/* One accounted outcome other than "accepted". */
typedef struct ct_outrec {
    int unknown;  /* 0 = failed, 1 = unknown */
    int not_sent; /* 1 = never sent: the engine shut down before its batch started */
    ct_err err;
    char *to_json; /* batch jobs: the request's "to" object */
    size_t to_len;
    long tag;     /* generic jobs: the request's tag; batch: -1 */
    size_t n_ids; /* identities (batch) or 1 (generic) */
} ct_outrec;

typedef struct ct_report {
    long long accepted; /* identities (batch) / requests (generic) accepted */
    long long failed_ids, unknown_ids;
    long long not_sent_ids;  /* identities (batch) / requests (generic) never sent */
    long long requests;      /* HTTP attempts, retries included */
    long long batches_done;  /* requests finished for good */
    long long batches_total; /* -1 when unknown (iterator source) */
} ct_report;

ct_engine *ct_engine_new(uint64_t seed);
void ct_engine_free(ct_engine *e);
/* A string (the passcode) replaced by *** in every error message kept. */
void ct_engine_set_secret(ct_engine *e, const char *secret);
/* ct_redact_body with the secret of the job's engine. */
char *ct_job_redact_body(const ct_job *j, const char *body, size_t len);
/* The client-wide retry quota, as the AWS SDKs' standard retry mode: a
 * bucket of `capacity` tokens; a retry after an error costs 5 (10 after a
 * timeout), a success refunds what its retries cost (1 when it needed none);
 * with too few tokens an error is final. Retries after 429 (rate limiting:
 * never processed, the server asks to come back) cost nothing.
 * capacity <= 0: no quota. Default 500. */
void ct_engine_set_retry_quota(ct_engine *e, double capacity);
#define CT_JOURNAL_AHEAD 15
/* Batches a journaled job may build ahead of the one ct_engine_next hands
 * out, to record them in flight in the same journal commit: 0 to
 * CT_JOURNAL_AHEAD (the default). Building one costs a fraction of a
 * millisecond, so a transport whose caller must not wait (a frame loop's
 * poll(0)) sets 0 for that call: a commit per batch, as without grouping. */
void ct_engine_set_build_ahead(ct_engine *e, int n);
/* Adds a lane; returns its index or -1. Its rate holds in every sliding
 * second: at most floor(rate) starts within any 1000 ms. */
int ct_engine_lane(ct_engine *e, const ct_lane_opts *o);
void ct_engine_lane_set(ct_engine *e, int lane, const ct_lane_opts *o);
int ct_engine_lane_inflight(const ct_engine *e, int lane);
int ct_engine_lane_peak(const ct_engine *e, int lane);
/* A shared limiter (owned by the engine from now on; NULL = local only):
 * lanes given account limits with ct_engine_lane_share then also need
 * its grant to start a request (one store round trip), hold off every
 * member after a 429, and fall back to their local limits divided by the
 * members seen while the store is unusable and its fail mode says so. */
void ct_engine_set_limiter(ct_engine *e, ct_limiter *lim);
/* Adds an account limit to a lane (at most 2 a lane; its parent's apply
 * too); returns the limit's index or -1. */
int ct_engine_lane_share(ct_engine *e, int lane, const ct_limit_def *d);

/* Jobs. Each returns NULL on allocation failure. The engine owns jobs until
 * ct_job_release() (after done, or to cancel: queued work is dropped and
 * in-flight requests are discarded when they complete). */
ct_job *ct_job_single(ct_engine *e, const ct_job_opts *o, const char *body, size_t len);
/* rest: the encoded payload without "to" (a JSON object text). */
ct_job *ct_job_batch(ct_engine *e, const ct_job_opts *o, const char *rest, size_t rest_len, const ct_source *src);
ct_job *ct_job_generic(ct_engine *e, const ct_job_opts *o, const ct_reqsource *src);
void ct_job_release(ct_job *j);

/* A batch job's journal (csrc/journal/): the engine stays free of I/O and
 * tells it, through these calls, what happens to each batch. `batch` is the
 * id the journal gave the batch (> 0). */
enum { CT_JO_ACCEPTED, CT_JO_FAILED, CT_JO_UNKNOWN, CT_JO_NOT_SENT };
typedef struct ct_journal_hooks {
    void *ud;
    /* A batch was built from the source: its "to" object and size. Returns
     * its id, or -1 when it could not be recorded (it is not sent then). */
    int64_t (*on_batch_planned)(void *ud, const char *to, size_t to_len, size_t n);
    /* These batches are about to be sent for the first time: batches[0]
     * at once, the others (built ahead, queued) soon. 1 once all are
     * durably in flight, 0 when they could not be recorded (batches[0] is
     * not sent then, and the job stops). One call is one commit. */
    int (*before_first_send)(void *ud, const int64_t *batches, size_t n);
    /* Its final outcome (batch 0: a bad identity of the source, failed). */
    void (*on_outcome)(void *ud, int64_t batch, int outcome, const ct_err *err, const char *to, size_t to_len,
                       size_t n);
    /* A batch recorded earlier to be sent first (a resumed send): 1 with its
     * id and "to" (valid until the next call), 0 when there is none left. */
    int (*next_planned)(void *ud, int64_t *batch, const char **to, size_t *to_len, size_t *n);
    /* The job is done (cancelled = it was cancelled or shut down). */
    void (*on_done)(void *ud, int cancelled);
} ct_journal_hooks;
/* Attaches a journal to a batch job before its first request. */
void ct_job_set_journal(ct_job *j, const ct_journal_hooks *h);
/* Adds outcomes of an earlier run (a resumed send) to the report:
 * CT_JO_ACCEPTED counts n identities, the others list `to` like this run's. */
void ct_job_add_prior(ct_job *j, int outcome, const ct_err *err, const char *to, size_t to_len, size_t n);
/* Cancels a job keeping its report: queued batches and an array's unread
 * identities become not_sent (an iterator's rest stays unread), requests in
 * flight unknown (their answers are ignored when they land). The job is
 * done at once, or, called from inside its own source or classify
 * function, when that returns. */
void ct_job_cancel(ct_job *j, const char *why);
int ct_job_cancelled(const ct_job *j);
/* Holds a job: no request of it starts any more (nor a retry), its source
 * is not read; requests in flight finish and are settled as usual. A
 * clean stop waits for those, then cancels (the CLI on SIGINT/SIGTERM). */
void ct_job_hold(ct_job *j);
/* Requests of the job in flight (not those a cancel left behind). */
size_t ct_job_inflight(const ct_job *j);
/* A resumed send: identities of each type read (and skipped) before the job
 * started, so its problems point at the same /to/<type>/<index> as the first run's. */
void ct_job_set_read(ct_job *j, const long long read[CT_ID_NTYPES]);

/* Ends every job now, for a client being closed. No retry starts any more;
 * a request still in flight (the transport must have dropped it, or be a
 * Lua transport that will not complete it) is unknown; a queued request
 * whose earlier try may have reached the server is unknown, one never sent
 * is not_sent, and so is every identity an array source had not yet given
 * (iterators are not called: their rest was never read). Every job is done
 * afterwards, its report complete. */
void ct_engine_shutdown(ct_engine *e, int64_t now, const char *why);
/* Takes a done job out of its engine: it keeps its report, outcomes and
 * response after ct_engine_free, until ct_job_release frees it. Returns 0
 * (and leaves the job to its engine) while requests are in flight. */
int ct_job_detach(ct_job *j);
/* ct_job_detach for every job not released (after ct_engine_shutdown). */
void ct_engine_detach_jobs(ct_engine *e);

int ct_job_done(const ct_job *j);
void ct_job_set_user(ct_job *j, void *user);
void *ct_job_user(const ct_job *j);
const ct_report *ct_job_report(const ct_job *j);
size_t ct_job_outrec_count(const ct_job *j);
const ct_outrec *ct_job_outrec(const ct_job *j, size_t i);
/* Single jobs: the final response (status > 0) or error (kind != NONE). */
const ct_err *ct_job_error(const ct_job *j);
int ct_job_status(const ct_job *j);
const char *ct_job_body(const ct_job *j, size_t *len);
/* Source error that stopped a job early (kind NONE when none). */
const ct_err *ct_job_source_error(const ct_job *j);
/* Generic jobs: outcomes of accepted requests, by tag, are not kept; the
 * report counts them. */

/* Next request allowed to start at `now` (counted in flight), or NULL. */
ct_req *ct_engine_next(ct_engine *e, int64_t now);
/* Milliseconds until a queued request may become startable: 0 = now,
 * -1 = nothing queued that time alone unblocks (waiting on completions or idle). */
int64_t ct_engine_wait(ct_engine *e, int64_t now);
/* Requests queued or in flight over all live jobs. */
size_t ct_engine_pending(const ct_engine *e);
size_t ct_engine_inflight(const ct_engine *e);

void ct_engine_complete(ct_engine *e, ct_req *r, int64_t now, const ct_resp *resp);
/* Transport failure; sent = bytes may have reached the server. */
void ct_engine_fail(ct_engine *e, ct_req *r, int64_t now, ct_err_kind kind, int sent, const char *message);

/* Log events (retries, give-ups, unknown outcomes), kept only once
 * enabled; the oldest are dropped beyond a few hundred. Messages are
 * redacted like errors. */
typedef struct ct_event {
    int warn; /* 0 = info, 1 = warning */
    char message[320];
} ct_event;
void ct_engine_log_enable(ct_engine *e, int on);
/* Copies up to max pending events into out and forgets them; returns how many. */
size_t ct_engine_events(ct_engine *e, ct_event *out, size_t max);

/* Jobs finished since the last call (each reported once), or NULL. */
ct_job *ct_engine_take_finished(ct_engine *e);

/* Request accessors for transports. */
uint64_t ct_req_id(const ct_req *r);
const char *ct_req_method(const ct_req *r);
const char *ct_req_url(const ct_req *r);
const char *const *ct_req_headers(const ct_req *r, size_t *n);
const char *ct_req_body(const ct_req *r, size_t *len);
long ct_req_timeout_ms(const ct_req *r);
long ct_req_connect_timeout_ms(const ct_req *r);
int ct_req_attempt(const ct_req *r);
long ct_req_tag(const ct_req *r);
void ct_req_set_transport(ct_req *r, void *t);
ct_req *ct_engine_find(ct_engine *e, uint64_t id); /* an in-flight request by id */
/* Replaces (or adds) a header of a request before its retry. */
int ct_req_set_header(ct_req *r, const char *name, const char *value);

#endif
