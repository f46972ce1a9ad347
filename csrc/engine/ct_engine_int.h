/* Internals of the request engine shared by its files (ct_engine.c:
 * scheduling, retries, report; ct_batch.c: identity batches). Not for
 * transports or bindings: they use ct_engine.h. */
#ifndef CT_ENGINE_INT_H
#define CT_ENGINE_INT_H

#include "ct_engine.h"
#include "ct_sb.h"
#include "ct_limit.h"

#define CT_EVENTS_MAX 256
/* the AWS SDKs' standard retry mode's numbers */
#define CT_RETRY_QUOTA_DEFAULT 500.0
#define CT_RETRY_COST 5.0
#define CT_RETRY_COST_TIMEOUT 10.0
/* jitter above a Retry-After: at least this spread (ms) */
#define CT_RETRY_AFTER_JITTER_MIN 100
/* shared-limiter grants in one engine step (one `now`) */
#define CT_GRANTS_PER_MS 5

typedef enum { JOB_SINGLE, JOB_BATCH, JOB_GENERIC } job_kind;

struct ct_req {
    uint64_t id;
    ct_job *job;
    char *method, *url; /* generic jobs own theirs; NULL = the job's */
    char **headers;     /* generic jobs / refreshed headers; NULL = the job's */
    size_t nheaders;
    char *body;
    size_t body_len;
    size_t to_off, to_len; /* the "to" object inside body (batch jobs) */
    size_t n_ids;
    long tag;
    int attempts;
    int maybe_delivered; /* an attempt may have reached the server */
    double retry_cost;   /* quota spent on this request's retries */
    int64_t first_ms, ready_ms;
    int64_t jbatch; /* the batch's id in the job's journal, 0 = none */
    int jmarked;    /* its journal holds it as in flight already */
    int abandoned;  /* its job was cancelled: the answer is ignored */
    void *transport;
    uint64_t lease; /* shared limiter lease held while in flight, 0 = none */
    int fallback;   /* started on the fallback lanes */
    ct_req *next;   /* job queue or engine in-flight list */
};

typedef struct lane {
    ct_lane_opts o;
    ct_llane loc; /* this process's limits (ct_limit_local.c) */
    /* with a shared limiter: the account's limits this lane also takes
     * (-1 = none), the fallback lanes used while the store is unusable
     * (fail_mode local), and a hold after a wait or a 429 */
    int shared[2];
    ct_llane fb;
    int64_t hold_until;
} lane;

struct ct_job {
    ct_engine *e;
    job_kind kind;
    ct_job_opts o;
    char *method, *url;
    char **headers;
    size_t nheaders;
    char *rest; /* batch: payload without "to", without its leading '{' */
    size_t rest_len;
    int rest_empty;
    ct_source src;
    ct_reqsource rsrc;
    char *single_body;
    size_t single_len;
    int src_done;
    ct_err src_err;
    ct_req *queue; /* produced or retried requests waiting to start */
    size_t n_inflight;
    ct_report rep;
    ct_outrec *recs;
    size_t nrecs, caprecs;
    int status; /* single jobs */
    char *body;
    size_t body_len;
    ct_err err;
    long long id_index[CT_ID_NTYPES];
    ct_sb types[CT_ID_NTYPES];
    ct_idrun *run; /* batch jobs: the source's latest run */
    int done, released, finished_listed;
    int busy;            /* inside a source or classify callback */
    char *secret;        /* detached jobs: the engine's, for redaction */
    ct_journal_hooks jh; /* jh.ud != NULL: the job has a journal */
    int cancelled, cancel_pending;
    int held;           /* ct_job_hold: no new request starts */
    size_t n_abandoned; /* requests in flight left behind by a cancel */
    void *user;
    ct_job *next, *fin_next;
};

struct ct_engine {
    lane *lanes;
    int nlanes;
    ct_job *jobs;
    ct_job *rr;
    ct_req *inflight;
    size_t n_inflight;
    ct_job *fin_head, *fin_tail;
    uint64_t next_id;
    uint64_t rng;
    char *secret; /* never appears in an error message */
    int log_on;
    int stopping;    /* shut down: no retry is scheduled any more */
    int build_ahead; /* ct_engine_set_build_ahead */
    /* client-wide retry quota (tokens; capacity 0 = none): retries spend,
     * successes refund, so an outage costs few requests */
    double retry_tokens, retry_capacity;
    ct_limiter *limiter; /* shared account limits, NULL = local only (owned) */
    int fallback;        /* the store is unusable: fallback lanes apply */
    int64_t grant_ms;    /* the `now` of the last shared grants, and how many */
    int grants;
    ct_event events[CT_EVENTS_MAX];
    size_t ev_head, ev_count;
};

/* A failed, unknown or never-sent outcome in the job's report (counts included). */
enum { CT_REC_FAILED, CT_REC_UNKNOWN, CT_REC_NOT_SENT };
void ct_eng_add_rec(ct_job *j, ct_req *r, int which, const ct_err *err, const char *to, size_t to_len, size_t n_ids);
ct_req *ct_eng_req_new(ct_job *j);
/* The next request of a batch job, or NULL when the source has no more. */
ct_req *ct_batch_produce(ct_job *j);
/* Tells the job's journal of an outcome (no-op without a journal); batch 0:
 * a bad identity of the source. The error is redacted first. */
void ct_eng_journal_outcome(ct_job *j, int64_t batch, int outcome, const ct_err *err, const char *to, size_t to_len,
                            size_t n);

#endif
