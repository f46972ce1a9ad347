/* The request engine (see ct_engine.h): no I/O, no clock, no Lua.
 * Scheduling (lanes, round robin), retries, outcomes and the report here;
 * identity batches in ct_batch.c. */
#include "ct_engine_int.h"
#include "ct_redact.h"
#include "ct_str.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- random numbers: xorshift64*, one state per engine ------------------ */

static uint64_t rnd(ct_engine *e)
{
    uint64_t x = e->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    e->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* ---- lanes ------------------------------------------------------------- */

ct_engine *ct_engine_new(uint64_t seed)
{
    ct_engine *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    e->next_id = 1;
    ct_engine_set_retry_quota(e, CT_RETRY_QUOTA_DEFAULT);
    e->build_ahead = CT_JOURNAL_AHEAD;
    return e;
}

void ct_engine_set_build_ahead(ct_engine *e, int n)
{
    e->build_ahead = n < 0 ? 0 : n > CT_JOURNAL_AHEAD ? CT_JOURNAL_AHEAD : n;
}

void ct_engine_set_retry_quota(ct_engine *e, double capacity)
{
    e->retry_capacity = capacity > 0 ? capacity : 0;
    e->retry_tokens = e->retry_capacity;
}

int ct_engine_lane(ct_engine *e, const ct_lane_opts *o)
{
    lane *l = realloc(e->lanes, sizeof *l * (size_t)(e->nlanes + 1));
    if (!l) return -1;
    e->lanes = l;
    memset(&l[e->nlanes], 0, sizeof *l);
    l[e->nlanes].shared[0] = l[e->nlanes].shared[1] = -1;
    ct_engine_lane_set(e, e->nlanes, o);
    return e->nlanes++;
}

/* The fallback lanes while the shared store is unusable: this member's
 * share of the account's limits, the local ones divided by the members. */
static void lane_set_fallback(ct_engine *e, lane *l)
{
    int m = e->limiter ? e->limiter->ops->members(e->limiter->self) : 1;
    if (m < 1) m = 1;
    int cap = l->o.max_inflight > 0 ? l->o.max_inflight / m : 0;
    if (l->o.max_inflight > 0 && cap < 1) cap = 1;
    ct_llane_set(&l->fb, cap, l->o.rate / m, l->o.burst / m);
}

void ct_engine_lane_set(ct_engine *e, int i, const ct_lane_opts *o)
{
    lane *l = &e->lanes[i];
    l->o = *o;
    if (l->o.burst < 1) l->o.burst = 1;
    ct_llane_set(&l->loc, l->o.max_inflight, l->o.rate, l->o.burst);
    lane_set_fallback(e, l);
}

int ct_engine_lane_inflight(const ct_engine *e, int i) { return e->lanes[i].loc.inflight; }
int ct_engine_lane_peak(const ct_engine *e, int i) { return e->lanes[i].loc.peak; }

void ct_engine_set_limiter(ct_engine *e, ct_limiter *lim)
{
    ct_limiter_free(e->limiter);
    e->limiter = lim;
    e->fallback = 0;
}

int ct_engine_lane_share(ct_engine *e, int i, const ct_limit_def *d)
{
    lane *l = &e->lanes[i];
    int slot = l->shared[0] < 0 ? 0 : (l->shared[1] < 0 ? 1 : -1);
    if (!e->limiter || slot < 0) return -1;
    int k = e->limiter->ops->define(e->limiter->self, d);
    if (k >= 0) l->shared[slot] = k;
    return k;
}

/* ms until lane i (and its parent) may start one request; -1 = needs a
 * completion. Never asks the shared store: that is lane_acquire's, once a
 * request is ready. */
static int64_t lane_wait(ct_engine *e, int i, int64_t now)
{
    int64_t w = 0;
    for (int depth = 0; i >= 0 && depth < 4; depth++) {
        lane *l = &e->lanes[i];
        int64_t t = ct_llane_wait(&l->loc, now);
        if (t < 0) return -1;
        if (t > w) w = t;
        if (e->limiter) {
            if (e->fallback) {
                t = ct_llane_wait(&l->fb, now);
                if (t < 0) return -1;
                if (t > w) w = t;
            }
            if (l->hold_until - now > w) w = l->hold_until - now;
        }
        i = l->o.parent;
    }
    return w;
}

/* The account's limits of lane i and its parents, at most CT_LIMITS_MAX. */
static int lane_limits(ct_engine *e, int i, int *out)
{
    int n = 0;
    for (int depth = 0; i >= 0 && depth < 4; depth++) {
        lane *l = &e->lanes[i];
        for (int k = 0; k < 2; k++)
            if (l->shared[k] >= 0 && n < CT_LIMITS_MAX) out[n++] = l->shared[k];
        i = l->o.parent;
    }
    return n;
}

static void log_event(ct_engine *e, int warn, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The shared limiter's log lines become the engine's events. */
static void limiter_notices(ct_engine *e)
{
    char msg[300];
    int warn = 0;
    while (e->limiter->ops->notice(e->limiter->self, msg, sizeof msg, &warn)) log_event(e, warn, "%s", msg);
}

static void lane_hold(ct_engine *e, int i, int64_t until)
{
    for (int depth = 0; i >= 0 && depth < 4; depth++) {
        lane *l = &e->lanes[i];
        if (l->hold_until < until) l->hold_until = until;
        i = l->o.parent;
    }
}

/* Asks the shared limiter for one start of lane i for r: 1 = r may start,
 * 0 = the lane is held (the store said wait, or the fallback lanes are
 * full). Local lanes have allowed it already. One store round trip. */
static int lane_acquire(ct_engine *e, int i, ct_req *r, int64_t now)
{
    int limits[CT_LIMITS_MAX];
    int n = e->limiter ? lane_limits(e, i, limits) : 0;
    if (n == 0) return 1;
    /* a transport starts what it got only after its loop of next() calls
     * (all with one `now`): grants piled up there would reach the server
     * together, so a few per millisecond, the rest in the next round */
    if (now != e->grant_ms) {
        e->grant_ms = now;
        e->grants = 0;
    }
    if (e->grants >= CT_GRANTS_PER_MS) {
        lane_hold(e, i, now + 1);
        return 0;
    }
    uint64_t lease = 0;
    int64_t wait = 0;
    int rc = e->limiter->ops->acquire(e->limiter->self, limits, n, now, &lease, &wait);
    limiter_notices(e);
    if (rc == CT_LIMIT_GRANTED) {
        if (e->fallback) { /* the store is back: shared limits again */
            e->fallback = 0;
        }
        r->lease = lease;
        e->grants++;
        return 1;
    }
    if (rc == CT_LIMIT_FALLBACK) {
        if (!e->fallback) {
            e->fallback = 1;
            for (int k = 0; k < e->nlanes; k++) lane_set_fallback(e, &e->lanes[k]);
        }
        int64_t w = lane_wait(e, i, now);
        if (w == 0) {
            r->fallback = 1;
            return 1;
        }
        if (w > 0) lane_hold(e, i, now + w);
        return 0;
    }
    lane_hold(e, i, now + (wait > 0 ? wait : 1));
    return 0;
}

static void lane_take(ct_engine *e, int i, ct_req *r, int64_t now)
{
    for (int depth = 0; i >= 0 && depth < 4; depth++) {
        lane *l = &e->lanes[i];
        ct_llane_take(&l->loc, now);
        if (r->fallback) ct_llane_take(&l->fb, now);
        i = l->o.parent;
    }
}

static void lane_release(ct_engine *e, int i, ct_req *r)
{
    for (int depth = 0; i >= 0 && depth < 4; depth++) {
        ct_llane_release(&e->lanes[i].loc);
        if (r->fallback) ct_llane_release(&e->lanes[i].fb);
        i = e->lanes[i].o.parent;
    }
    r->fallback = 0;
    if (r->lease && e->limiter) e->limiter->ops->release(e->limiter->self, r->lease);
    r->lease = 0;
}

/* A 429 seen on lane i: with a shared limiter every member holds off the
 * lane's account limits for the Retry-After (1 s without one). */
static void lane_rate_limited(ct_engine *e, int i, int64_t now, int64_t retry_after_ms)
{
    int limits[CT_LIMITS_MAX];
    int n = e->limiter ? lane_limits(e, i, limits) : 0;
    if (n == 0) return;
    int64_t ms = retry_after_ms >= 0 ? retry_after_ms : 1000;
    for (int k = 0; k < n; k++) e->limiter->ops->backoff(e->limiter->self, limits[k], ms);
    lane_hold(e, i, now + ms);
}

/* ---- jobs -------------------------------------------------------------- */

static void free_lines(char **h, size_t n)
{
    if (!h) return;
    for (size_t i = 0; i < n; i++) free(h[i]);
    free(h);
}

static char **copy_lines(const char *const *h, size_t n)
{
    char **c = calloc(n ? n : 1, sizeof *c);
    if (!c) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(c[i] = ct_strdup(h[i]))) {
            free_lines(c, i);
            return NULL;
        }
    }
    return c;
}

static ct_job *job_new(ct_engine *e, const ct_job_opts *o, job_kind kind)
{
    ct_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->e = e;
    j->kind = kind;
    j->o = *o;
    if (j->o.retry.attempts < 1) j->o.retry.attempts = 1;
    j->method = ct_strdup(o->method ? o->method : "POST");
    j->url = ct_strdup(o->url ? o->url : "");
    j->headers = copy_lines(o->headers, o->nheaders);
    j->nheaders = o->nheaders;
    j->o.method = j->o.url = NULL;
    j->o.headers = NULL;
    j->rep.batches_total = -1;
    for (int i = 0; i < CT_ID_NTYPES; i++) ct_sb_init(&j->types[i]);
    if (!j->method || !j->url || !j->headers) {
        free(j->method);
        free(j->url);
        free_lines(j->headers, j->nheaders);
        free(j);
        return NULL;
    }
    /* appended: jobs start in the order they were queued (four creates
     * queued together get their ids in that order) */
    ct_job **tail = &e->jobs;
    while (*tail) tail = &(*tail)->next;
    *tail = j;
    return j;
}

ct_job *ct_job_single(ct_engine *e, const ct_job_opts *o, const char *body, size_t len)
{
    ct_job *j = job_new(e, o, JOB_SINGLE);
    if (!j) return NULL;
    j->single_body = ct_strndup(body, len);
    j->single_len = len;
    j->rep.batches_total = 1;
    if (!j->single_body) {
        j->src_done = 1;
        ct_err_set(&j->err, CT_EK_NETWORK, 0, 0, "out of memory");
    }
    return j;
}

ct_job *ct_job_batch(ct_engine *e, const ct_job_opts *o, const char *rest, size_t rest_len, const ct_source *src)
{
    ct_job *j = job_new(e, o, JOB_BATCH);
    if (!j) return NULL;
    /* keep what follows the payload's '{' so each body is {"to":{...}, + rest */
    size_t i = 0;
    while (i < rest_len && rest[i] != '{') i++;
    if (i < rest_len) i++;
    size_t k = i;
    while (k < rest_len && (rest[k] == ' ' || rest[k] == '\n' || rest[k] == '\t' || rest[k] == '\r')) k++;
    j->rest_empty = (k >= rest_len || rest[k] == '}');
    j->rest = ct_strndup(rest + i, rest_len - i);
    j->rest_len = rest_len - i;
    j->src = *src;
    if (src->total >= 0) j->rep.batches_total = (src->total + CT_BATCH_MAX - 1) / CT_BATCH_MAX;
    j->run = malloc(sizeof *j->run);
    if (!j->rest || !j->run) {
        ct_err_set(&j->src_err, CT_EK_NETWORK, 0, 1, "out of memory starting the send");
        j->src_done = 1;
    }
    return j;
}

ct_job *ct_job_generic(ct_engine *e, const ct_job_opts *o, const ct_reqsource *src)
{
    ct_job *j = job_new(e, o, JOB_GENERIC);
    if (!j) return NULL;
    j->rsrc = *src;
    j->rep.batches_total = src->total;
    return j;
}

static void req_free(ct_req *r)
{
    free(r->method);
    free(r->url);
    free_lines(r->headers, r->nheaders);
    free(r->body);
    free(r);
}

/* Takes the job out of its engine's lists (jobs, round robin, finished). */
static void job_unlink(ct_job *j)
{
    ct_engine *e = j->e;
    for (ct_job **p = &e->jobs; *p; p = &(*p)->next) {
        if (*p == j) {
            *p = j->next;
            break;
        }
    }
    if (e->rr == j) e->rr = NULL;
    for (ct_job **p = &e->fin_head; *p;) {
        if (*p == j) {
            *p = j->fin_next;
        } else {
            p = &(*p)->fin_next;
        }
    }
    e->fin_tail = NULL;
    for (ct_job *f = e->fin_head; f; f = f->fin_next) e->fin_tail = f;
    j->next = j->fin_next = NULL;
}

static void job_free(ct_job *j)
{
    if (j->e) job_unlink(j);
    if (j->secret) {
        memset(j->secret, 0, strlen(j->secret));
        free(j->secret);
    }
    while (j->queue) {
        ct_req *r = j->queue;
        j->queue = r->next;
        req_free(r);
    }
    for (size_t i = 0; i < j->nrecs; i++) free(j->recs[i].to_json);
    free(j->recs);
    for (int i = 0; i < CT_ID_NTYPES; i++) ct_sb_free(&j->types[i]);
    free(j->run);
    free(j->method);
    free(j->url);
    free_lines(j->headers, j->nheaders);
    free(j->rest);
    free(j->single_body);
    free(j->body);
    free(j);
}

void ct_job_release(ct_job *j)
{
    if (!j) return;
    memset(&j->jh, 0, sizeof j->jh); /* its owner closes the journal */
    if (!j->e || (j->n_inflight == 0 && !j->busy)) {
        job_free(j);
        return;
    }
    /* in-flight requests still point at the job: free it when they land */
    j->released = 1;
    j->src_done = 1;
    while (j->queue) {
        ct_req *r = j->queue;
        j->queue = r->next;
        req_free(r);
    }
}

void ct_engine_free(ct_engine *e)
{
    if (!e) return;
    while (e->inflight) {
        ct_req *r = e->inflight;
        e->inflight = r->next;
        req_free(r);
    }
    while (e->jobs) {
        e->jobs->n_inflight = 0;
        job_free(e->jobs);
    }
    for (int i = 0; i < e->nlanes; i++) {
        ct_llane_free(&e->lanes[i].loc);
        ct_llane_free(&e->lanes[i].fb);
    }
    free(e->lanes);
    ct_limiter_free(e->limiter);
    ct_engine_set_secret(e, NULL);
    free(e);
}

int ct_job_done(const ct_job *j) { return j->done; }
void ct_job_set_user(ct_job *j, void *user) { j->user = user; }
void *ct_job_user(const ct_job *j) { return j->user; }
const ct_report *ct_job_report(const ct_job *j) { return &j->rep; }
size_t ct_job_outrec_count(const ct_job *j) { return j->nrecs; }
const ct_outrec *ct_job_outrec(const ct_job *j, size_t i) { return i < j->nrecs ? &j->recs[i] : NULL; }
const ct_err *ct_job_error(const ct_job *j) { return &j->err; }
int ct_job_status(const ct_job *j) { return j->status; }
const ct_err *ct_job_source_error(const ct_job *j) { return &j->src_err; }

const char *ct_job_body(const ct_job *j, size_t *len)
{
    if (len) *len = j->body_len;
    return j->body;
}

static void check_done(ct_job *j)
{
    if (j->done || !j->src_done || j->queue || j->n_inflight > j->n_abandoned) return;
    j->done = 1;
    if (j->jh.ud && j->jh.on_done) j->jh.on_done(j->jh.ud, j->cancelled || (j->e && j->e->stopping));
    if (j->released || j->finished_listed) return;
    ct_engine *e = j->e;
    j->finished_listed = 1;
    j->fin_next = NULL;
    if (e->fin_tail) e->fin_tail->fin_next = j;
    else e->fin_head = j;
    e->fin_tail = j;
}

ct_job *ct_engine_take_finished(ct_engine *e)
{
    ct_job *j = e->fin_head;
    if (!j) return NULL;
    e->fin_head = j->fin_next;
    if (!e->fin_head) e->fin_tail = NULL;
    j->fin_next = NULL;
    return j;
}

static void redact_text(const ct_engine *e, char *text);

static void redact(const ct_engine *e, ct_err *err) { redact_text(e, err->message); }

void ct_engine_set_secret(ct_engine *e, const char *secret)
{
    free(e->secret);
    e->secret = secret ? ct_strdup(secret) : NULL;
}

void ct_engine_log_enable(ct_engine *e, int on) { e->log_on = on; }

static void redact_text(const ct_engine *e, char *text) { ct_redact(text, e->secret); }

char *ct_job_redact_body(const ct_job *j, const char *body, size_t len)
{
    return ct_redact_body(body, len, j->e ? j->e->secret : j->secret);
}

static void log_event(ct_engine *e, int warn, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void log_event(ct_engine *e, int warn, const char *fmt, ...)
{
    if (!e->log_on) return;
    size_t slot = (e->ev_head + e->ev_count) % CT_EVENTS_MAX;
    if (e->ev_count == CT_EVENTS_MAX) e->ev_head = (e->ev_head + 1) % CT_EVENTS_MAX; /* drop the oldest */
    else e->ev_count++;
    ct_event *ev = &e->events[slot];
    ev->warn = warn;
    /* formatted whole, redacted, then cut: a cut first could leave a
     * prefix of the passcode that redaction no longer recognises */
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(ev->message, sizeof ev->message, fmt, ap);
    va_end(ap);
    char *whole = n >= (int)sizeof ev->message ? malloc((size_t)n + 1) : NULL;
    if (whole) {
        vsnprintf(whole, (size_t)n + 1, fmt, again);
        redact_text(e, whole);
        snprintf(ev->message, sizeof ev->message, "%s", whole);
        free(whole);
    } else if (n >= (int)sizeof ev->message) {
        snprintf(ev->message, sizeof ev->message, "(event not shown: out of memory)");
    }
    va_end(again);
    redact_text(e, ev->message);
}

size_t ct_engine_events(ct_engine *e, ct_event *out, size_t max)
{
    size_t n = 0;
    while (n < max && e->ev_count) {
        out[n++] = e->events[e->ev_head];
        e->ev_head = (e->ev_head + 1) % CT_EVENTS_MAX;
        e->ev_count--;
    }
    return n;
}

void ct_eng_add_rec(ct_job *j, ct_req *r, int which, const ct_err *err, const char *to, size_t to_len, size_t n_ids)
{
    if (j->nrecs == j->caprecs) {
        size_t cap = j->caprecs ? j->caprecs * 2 : 8;
        ct_outrec *p = realloc(j->recs, cap * sizeof *p);
        if (!p) return; /* out of memory: the counts below still account */
        j->recs = p;
        j->caprecs = cap;
    }
    ct_outrec *o = &j->recs[j->nrecs++];
    memset(o, 0, sizeof *o);
    o->unknown = which == CT_REC_UNKNOWN;
    o->not_sent = which == CT_REC_NOT_SENT;
    o->err = *err;
    redact(j->e, &o->err);
    o->to_json = to ? ct_strndup(to, to_len) : NULL;
    o->to_len = to ? to_len : 0;
    o->tag = r ? r->tag : -1;
    o->n_ids = n_ids;
    if (which == CT_REC_UNKNOWN) j->rep.unknown_ids += (long long)n_ids;
    else if (which == CT_REC_NOT_SENT) j->rep.not_sent_ids += (long long)n_ids;
    else j->rep.failed_ids += (long long)n_ids;
}

/* ---- producing requests ------------------------------------------------ */

void ct_eng_journal_outcome(ct_job *j, int64_t batch, int outcome, const ct_err *err, const char *to, size_t to_len,
                            size_t n)
{
    if (!j->jh.ud || !j->jh.on_outcome || batch < 0) return;
    /* the journal is a file: what the passcode must not reach */
    ct_err copy = *err;
    ct_redact(copy.message, j->e ? j->e->secret : j->secret);
    j->jh.on_outcome(j->jh.ud, batch, outcome, &copy, to, to_len, n);
}

/* A request's outcome for its journal: only batches the journal planned. */
static void journal_req(ct_job *j, const ct_req *r, int outcome, const ct_err *err)
{
    if (r->jbatch > 0) ct_eng_journal_outcome(j, r->jbatch, outcome, err, r->body + r->to_off, r->to_len, r->n_ids);
}

void ct_job_set_journal(ct_job *j, const ct_journal_hooks *h)
{
    if (h) j->jh = *h;
    else memset(&j->jh, 0, sizeof j->jh);
}

void ct_job_add_prior(ct_job *j, int outcome, const ct_err *err, const char *to, size_t to_len, size_t n)
{
    if (outcome == CT_JO_ACCEPTED) {
        j->rep.accepted += (long long)n;
        return;
    }
    int which = outcome == CT_JO_FAILED ? CT_REC_FAILED : outcome == CT_JO_UNKNOWN ? CT_REC_UNKNOWN : CT_REC_NOT_SENT;
    ct_eng_add_rec(j, NULL, which, err, to, to_len, n);
}

int ct_job_cancelled(const ct_job *j) { return j->cancelled; }
void ct_job_hold(ct_job *j) { j->held = 1; }
size_t ct_job_inflight(const ct_job *j) { return j->n_inflight - j->n_abandoned; }

void ct_job_set_read(ct_job *j, const long long read[CT_ID_NTYPES])
{
    for (int t = 0; t < CT_ID_NTYPES; t++) j->id_index[t] = read[t];
}

ct_req *ct_eng_req_new(ct_job *j)
{
    ct_req *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->job = j;
    r->tag = -1;
    return r;
}

static ct_req *produce_generic(ct_job *j)
{
    ct_reqspec spec;
    memset(&spec, 0, sizeof spec);
    int rc = j->rsrc.next(j->rsrc.ud, &spec, &j->src_err);
    if (rc <= 0) {
        if (rc < 0 && j->src_err.kind == CT_EK_NONE)
            ct_err_set(&j->src_err, CT_EK_VALIDATION, 0, 0, "request source failed");
        j->src_done = 1;
        return NULL;
    }
    ct_req *r = ct_eng_req_new(j);
    if (!r) return NULL;
    r->method = ct_strdup(spec.method ? spec.method : "POST");
    r->url = ct_strdup(spec.url ? spec.url : "");
    r->headers = copy_lines(spec.headers, spec.nheaders);
    r->nheaders = spec.nheaders;
    r->body = ct_strndup(spec.body ? spec.body : "", spec.body ? spec.body_len : 0);
    r->body_len = spec.body ? spec.body_len : 0;
    r->tag = spec.tag;
    r->n_ids = 1;
    if (!r->method || !r->url || !r->headers || !r->body) {
        req_free(r);
        return NULL;
    }
    return r;
}

static ct_req *produce(ct_job *j)
{
    if (j->src_done) return NULL;
    switch (j->kind) {
    case JOB_SINGLE: {
        j->src_done = 1;
        ct_req *r = ct_eng_req_new(j);
        if (!r) return NULL;
        r->body = j->single_body;
        r->body_len = j->single_len;
        j->single_body = NULL;
        r->n_ids = 1;
        return r;
    }
    case JOB_BATCH: return ct_batch_produce(j);
    case JOB_GENERIC: return produce_generic(j);
    }
    return NULL;
}

/* ---- scheduling -------------------------------------------------------- */

static ct_req *take_ready(ct_job *j, int64_t now)
{
    for (ct_req **p = &j->queue; *p; p = &(*p)->next) {
        if ((*p)->ready_ms <= now) {
            ct_req *r = *p;
            *p = r->next;
            r->next = NULL;
            return r;
        }
    }
    return NULL;
}

/* Lease renewals and releases no acquire carried (idle: none will soon). */
static void limiter_tick(ct_engine *e, int64_t now, int idle)
{
    if (!e->limiter) return;
    e->limiter->ops->tick(e->limiter->self, now, idle);
    limiter_notices(e);
}

static ct_req *engine_next(ct_engine *e, int64_t now);

static void settle_stopped(ct_job *j, ct_req *r, const ct_err *err, int unknown);
static void interrupt_job(ct_job *j, const char *why);
static void cancel_now(ct_job *j, const char *why);

/* Starts lane i (and its parents) could take now besides those in flight,
 * as far as their in-flight limits go, and at most the one handed out plus
 * the engine's build_ahead. */
static size_t lane_room(const ct_engine *e, int i)
{
    size_t room = (size_t)e->build_ahead + 1;
    for (int depth = 0; i >= 0 && depth < 4; depth++) {
        const ct_llane *l = &e->lanes[i].loc;
        if (l->max_inflight > 0) {
            size_t free_slots = l->inflight < l->max_inflight ? (size_t)(l->max_inflight - l->inflight) : 0;
            if (free_slots < room) room = free_slots;
        }
        i = e->lanes[i].o.parent;
    }
    return room;
}

/* A journaled job builds the batches that could start beside r (its lane's
 * free in-flight slots, at most build_ahead) and queues them, so that
 * one journal commit records them all as in flight (journal_first_send):
 * a commit per batch cost more than the rest of a send at a fast server.
 * A crash then leaves at most the lane's in-flight limit unknown, as
 * before. Called inside the job's busy section: the source may stop it. */
static void produce_ahead(ct_job *j, const ct_req *r, int64_t now)
{
    if (!r || r->jbatch <= 0 || r->attempts > 0 || !j->jh.before_first_send || !j->e) return;
    size_t room = lane_room(j->e, j->o.lane);
    ct_req **tail = &j->queue;
    while (*tail) tail = &(*tail)->next;
    for (size_t k = 1; k < room && !j->src_done && !j->cancel_pending && !j->released && !j->held; k++) {
        ct_req *q = produce(j);
        if (!q) break;
        q->first_ms = now;
        *tail = q;
        tail = &q->next;
    }
}

/* A journaled batch's first try: its journal must hold it as in flight
 * before a byte is sent; the queued batches built with it are recorded in
 * the same commit. 0 when it could not: the batch is not sent and the job
 * stops (its journal is no longer a true account). */
static int journal_first_send(ct_job *j, ct_req *r)
{
    if (r->attempts > 0 || r->jbatch <= 0 || r->jmarked || !j->jh.before_first_send) return 1;
    ct_req *reqs[CT_JOURNAL_AHEAD + 1];
    int64_t batches[CT_JOURNAL_AHEAD + 1];
    size_t n = 0, room = j->e ? lane_room(j->e, j->o.lane) : 1; /* r's own slot included */
    if (room > CT_JOURNAL_AHEAD + 1) room = CT_JOURNAL_AHEAD + 1;
    reqs[n++] = r;
    for (ct_req *q = j->queue; q && n < room; q = q->next)
        if (q->attempts == 0 && q->jbatch > 0 && !q->jmarked) reqs[n++] = q;
    for (size_t k = 0; k < n; k++) batches[k] = reqs[k]->jbatch;
    if (j->jh.before_first_send(j->jh.ud, batches, n)) {
        for (size_t k = 0; k < n; k++) reqs[k]->jmarked = 1;
        return 1;
    }
    ct_err err;
    ct_err_set(&err, CT_EK_NETWORK, 0, 1, "the journal could not record the batch as in flight: not sent");
    /* the account's limiter granted it a slot it will not use */
    if (r->lease && j->e->limiter) j->e->limiter->ops->release(j->e->limiter->self, r->lease);
    r->lease = 0;
    if (j->src_err.kind == CT_EK_NONE) j->src_err = err;
    settle_stopped(j, r, &err, 0);
    interrupt_job(j, "the journal failed");
    return 0;
}

ct_req *ct_engine_next(ct_engine *e, int64_t now)
{
    limiter_tick(e, now, 0);
    ct_req *r = engine_next(e, now);
    if (!r) limiter_tick(e, now, 1);
    return r;
}

static ct_req *engine_next(ct_engine *e, int64_t now)
{
    if (!e->jobs) return NULL;
    size_t njobs = 0;
    for (ct_job *k = e->jobs; k; k = k->next) njobs++;
    ct_job *j = e->rr ? e->rr : e->jobs;
    /* each job gets one chance per call; sources run Lua code that may
     * release jobs, so the next job is only looked up after them */
    for (size_t visit = 0; visit < njobs && j; visit++) {
        ct_job *following;
        if (!j->done && !j->released && !j->held && lane_wait(e, j->o.lane, now) == 0) {
            ct_req *r = take_ready(j, now);
            if (!r) {
                j->busy++;
                r = produce(j);
                produce_ahead(j, r, now);
                j->busy--;
                if (r) r->first_ms = now;
                if (j->cancel_pending && !j->released) { /* cancelled by its own source */
                    if (r) {
                        ct_err err;
                        ct_err_set(&err, CT_EK_NETWORK, 0, 1, "the job was cancelled before the request was sent");
                        settle_stopped(j, r, &err, 0);
                    }
                    following = j->next ? j->next : e->jobs;
                    cancel_now(j, "the job was cancelled");
                    j = following;
                    continue;
                }
                if (j->released) { /* released by its own source */
                    if (r) req_free(r);
                    following = j->next ? j->next : e->jobs;
                    if (following == j) following = NULL;
                    if (j->n_inflight == 0) job_free(j);
                    j = following;
                    continue;
                }
                if (j->held && r) { /* held by its own source: the batch waits in the queue */
                    r->next = j->queue;
                    j->queue = r;
                    r = NULL;
                    j = j->next ? j->next : e->jobs;
                    continue;
                }
            }
            following = j->next ? j->next : e->jobs;
            if (r && !lane_acquire(e, j->o.lane, r, now)) {
                /* the account's limits say not yet: back to the front */
                r->next = j->queue;
                j->queue = r;
                r = NULL;
                j = following;
                continue;
            }
            /* recorded in flight last, once nothing else can hold it back */
            if (r && !journal_first_send(j, r)) {
                check_done(j);
                j = following;
                continue;
            }
            if (r) {
                lane_take(e, j->o.lane, r, now);
                r->id = e->next_id++;
                r->attempts++;
                r->next = e->inflight;
                e->inflight = r;
                e->n_inflight++;
                j->n_inflight++;
                j->rep.requests++;
                e->rr = following;
                return r;
            }
            check_done(j);
        } else {
            following = j->next ? j->next : e->jobs;
        }
        j = following;
    }
    return NULL;
}

int64_t ct_engine_wait(ct_engine *e, int64_t now)
{
    int64_t best = -1;
    for (ct_job *j = e->jobs; j; j = j->next) {
        if (j->done || j->released || j->held) continue; /* a held job waits on its completions only */
        int64_t lw = lane_wait(e, j->o.lane, now);
        if (lw < 0) continue;
        int64_t t = -1;
        if (!j->src_done) t = lw;
        for (ct_req *r = j->queue; r; r = r->next) {
            int64_t d = r->ready_ms - now;
            if (d < lw) d = lw;
            if (d < 0) d = 0;
            if (t < 0 || d < t) t = d;
        }
        if (t >= 0 && (best < 0 || t < best)) best = t;
    }
    if (e->limiter) { /* a lease to renew wakes the transport too */
        int64_t d = e->limiter->ops->due(e->limiter->self, now);
        if (d >= 0 && (best < 0 || d < best)) best = d;
    }
    return best;
}

size_t ct_engine_pending(const ct_engine *e)
{
    size_t n = e->n_inflight;
    for (const ct_job *j = e->jobs; j; j = j->next) {
        if (j->done || j->released) continue;
        for (const ct_req *r = j->queue; r; r = r->next) n++;
        if (!j->src_done) n++;
    }
    return n;
}

size_t ct_engine_inflight(const ct_engine *e) { return e->n_inflight; }

ct_req *ct_engine_find(ct_engine *e, uint64_t id)
{
    for (ct_req *r = e->inflight; r; r = r->next)
        if (r->id == id) return r;
    return NULL;
}

static void unlink_inflight(ct_engine *e, ct_req *r)
{
    for (ct_req **p = &e->inflight; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            e->n_inflight--;
            break;
        }
    }
    r->next = NULL;
    r->transport = NULL;
    ct_job *j = r->job;
    j->n_inflight--;
    if (r->abandoned) j->n_abandoned--;
    lane_release(e, j->o.lane, r);
}

/* Schedules a retry; 0 when attempts, the time budget or the client's
 * retry quota are spent (*quota_out set for the last). */
static int schedule_retry(ct_job *j, ct_req *r, int64_t now, int64_t retry_after_ms, const ct_err *err, int *quota_out)
{
    const ct_retry *p = &j->o.retry;
    ct_engine *e = j->e;
    if (r->attempts >= p->attempts || e->stopping) return 0;
    int64_t delay;
    if (retry_after_ms >= 0) {
        /* the server's floor, plus jitter above it: retries told to come
         * back at the same instant must not all land in the same window */
        int64_t spread = retry_after_ms / 2;
        if (spread < CT_RETRY_AFTER_JITTER_MIN) spread = CT_RETRY_AFTER_JITTER_MIN;
        if (spread > p->max_ms && p->max_ms > 0) spread = p->max_ms;
        delay = retry_after_ms + (int64_t)(rnd(e) % (uint64_t)(spread + 1));
    } else {
        int64_t cap = p->base_ms;
        for (int i = 1; i < r->attempts && cap < p->max_ms; i++) cap *= 2;
        if (cap > p->max_ms) cap = p->max_ms;
        delay = cap > 0 ? (int64_t)(rnd(e) % (uint64_t)(cap + 1)) : 0; /* full jitter */
    }
    if (now + delay - r->first_ms > p->total_ms) return 0;
    if (e->retry_capacity > 0 && err->kind != CT_EK_RATE_LIMITED) {
        double cost = err->kind == CT_EK_TIMEOUT ? CT_RETRY_COST_TIMEOUT : CT_RETRY_COST;
        if (e->retry_tokens < cost) {
            *quota_out = 1;
            return 0;
        }
        e->retry_tokens -= cost;
        r->retry_cost += cost;
    }
    r->ready_ms = now + delay;
    r->next = j->queue;
    j->queue = r;
    return 1;
}

/* A request ended accepted: the quota gets back what its retries cost, or
 * one token when it needed none. */
static void refund_quota(ct_engine *e, const ct_req *r)
{
    if (e->retry_capacity <= 0) return;
    e->retry_tokens += r->retry_cost > 0 ? r->retry_cost : 1;
    if (e->retry_tokens > e->retry_capacity) e->retry_tokens = e->retry_capacity;
}

static void finish_req(ct_job *j, ct_req *r, ct_outcome out, const ct_err *err, const ct_resp *resp)
{
    j->rep.batches_done++;
    if (j->kind == JOB_SINGLE) {
        if (resp) {
            j->status = resp->status;
            free(j->body);
            j->body = ct_strndup(resp->body ? resp->body : "", resp->body ? resp->body_len : 0);
            j->body_len = j->body ? (resp->body ? resp->body_len : 0) : 0;
        }
        if (out == CT_OUT_OK) j->rep.accepted += 1;
        else {
            j->err = *err;
            redact(j->e, &j->err);
        }
    } else if (out == CT_OUT_OK) {
        j->rep.accepted += (long long)r->n_ids;
        journal_req(j, r, CT_JO_ACCEPTED, err);
    } else {
        const char *to = j->kind == JOB_BATCH ? r->body + r->to_off : NULL;
        ct_eng_add_rec(j, r, out == CT_OUT_UNKNOWN ? CT_REC_UNKNOWN : CT_REC_FAILED, err, to, r->to_len, r->n_ids);
        journal_req(j, r, out == CT_OUT_UNKNOWN ? CT_JO_UNKNOWN : CT_JO_FAILED, err);
    }
    req_free(r);
    check_done(j);
}

static void gave_up(ct_err *err, const ct_req *r)
{
    size_t n = strlen(err->message);
    if (r->attempts > 1 && n + 40 < sizeof err->message)
        snprintf(err->message + n, sizeof err->message - n, " (gave up after %d attempts)", r->attempts);
}

static void settle(ct_engine *e, ct_req *r, int64_t now, ct_outcome out, ct_err *err, int64_t ra, const ct_resp *resp)
{
    ct_job *j = r->job;
    if (j->released) {
        req_free(r);
        if (j->n_inflight == 0) job_free(j);
        return;
    }
    if (r->abandoned) { /* its job was cancelled: already unknown in its report */
        req_free(r);
        check_done(j);
        return;
    }
    (void)e;
    if (out == CT_OUT_UNKNOWN) {
        r->maybe_delivered = 1;
        if (j->o.resend_unknown || j->o.idempotent) out = CT_OUT_RETRY;
    }
    if (out == CT_OUT_OK) refund_quota(j->e, r);
    if (out == CT_OUT_RETRY) {
        int quota = 0;
        if (schedule_retry(j, r, now, ra, err, &quota)) {
            log_event(j->e, 1, "%s %s: %s; retry %d of %d in %lld ms", ct_req_method(r), ct_req_url(r), err->message,
                      r->attempts, j->o.retry.attempts - 1, (long long)(r->ready_ms - now));
            return;
        }
        gave_up(err, r);
        if (quota) {
            size_t n = strlen(err->message);
            snprintf(err->message + n, sizeof err->message - n, "%s",
                     " (not retried: the client's retry quota is spent; the server has been failing)");
        }
        /* once a try may have reached the server, giving up leaves it unknown */
        out = r->maybe_delivered ? CT_OUT_UNKNOWN : CT_OUT_FAIL;
        log_event(j->e, 1, "%s %s: %s", ct_req_method(r), ct_req_url(r), err->message);
    } else if (out == CT_OUT_UNKNOWN) {
        log_event(j->e, 1, "%s %s: %s (not re-sent: outcome unknown)", ct_req_method(r), ct_req_url(r), err->message);
    } else if (out == CT_OUT_FAIL && r->maybe_delivered) {
        /* a re-send refused says nothing of the earlier try that may have
         * reached the server: the identities may have been messaged */
        out = CT_OUT_UNKNOWN;
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof err->message - n, "%s",
                 " (re-send refused; an earlier try may have been processed: outcome unknown)");
        log_event(j->e, 1, "%s %s: %s", ct_req_method(r), ct_req_url(r), err->message);
    } else if (out == CT_OUT_FAIL) {
        log_event(j->e, 0, "%s %s: %s", ct_req_method(r), ct_req_url(r), err->message);
    }
    finish_req(j, r, out, err, resp);
}

void ct_engine_complete(ct_engine *e, ct_req *r, int64_t now, const ct_resp *resp)
{
    unlink_inflight(e, r);
    ct_job *j = r->job;
    ct_err err;
    memset(&err, 0, sizeof err);
    int64_t ra = -1;
    ct_outcome out;
    if (j->released || r->abandoned) {
        settle(e, r, now, CT_OUT_OK, &err, -1, resp);
        return;
    }
    if (j->o.classify) {
        j->busy++;
        out = j->o.classify(j->o.classify_ud, r, resp, &err, &ra);
        j->busy--;
    } else {
        out = ct_classify_clevertap(resp, j->o.result_call, e->secret, &err, &ra);
    }
    if (err.kind == CT_EK_RATE_LIMITED) lane_rate_limited(e, j->o.lane, now, ra);
    int cancel = j->cancel_pending && !j->released; /* cancelled by its own classify function */
    settle(e, r, now, out, &err, ra, resp);
    if (cancel) cancel_now(j, "the job was cancelled");
}

void ct_engine_fail(ct_engine *e, ct_req *r, int64_t now, ct_err_kind kind, int sent, const char *message)
{
    unlink_inflight(e, r);
    ct_err err;
    if (kind != CT_EK_TIMEOUT) kind = CT_EK_NETWORK;
    if (sent) {
        ct_err_set(&err, kind, 0, 0, "%s (the request was sent; its outcome is unknown)",
                   message ? message : "transport failure");
        /* idempotent calls may be tried again by the caller */
        err.retryable = r->job->o.idempotent || r->job->o.resend_unknown;
        settle(e, r, now, CT_OUT_UNKNOWN, &err, -1, NULL);
    } else {
        ct_err_set(&err, kind, 0, 1, "%s", message ? message : "transport failure");
        settle(e, r, now, CT_OUT_RETRY, &err, -1, NULL);
    }
}

/* ---- shutdown ----------------------------------------------------------- */

/* A request the shut-down engine will not start: unknown when an earlier
 * try may have reached the server, else never sent. */
static void settle_stopped(ct_job *j, ct_req *r, const ct_err *err, int unknown)
{
    if (j->kind == JOB_SINGLE) {
        j->err = *err;
        redact(j->e, &j->err);
    } else {
        const char *to = j->kind == JOB_BATCH ? r->body + r->to_off : NULL;
        ct_eng_add_rec(j, r, unknown ? CT_REC_UNKNOWN : CT_REC_NOT_SENT, err, to, r->to_len, r->n_ids);
        journal_req(j, r, unknown ? CT_JO_UNKNOWN : CT_JO_NOT_SENT, err);
    }
    req_free(r);
}

static void interrupt_job(ct_job *j, const char *why)
{
    if (j->done || j->released) return;
    ct_err unknown, not_sent;
    ct_err_set(&unknown, CT_EK_NETWORK, 0, 0, "%s: an earlier try may have reached the server; its outcome is unknown",
               why);
    ct_err_set(&not_sent, CT_EK_NETWORK, 0, 1, "%s before the request was sent", why);
    while (j->queue) {
        ct_req *r = j->queue;
        j->queue = r->next;
        r->next = NULL;
        settle_stopped(j, r, r->maybe_delivered ? &unknown : &not_sent, r->maybe_delivered);
    }
    /* arrays are data: their rest is listed as never sent; an iterator's
     * rest was never read and stays with its owner */
    if (j->kind == JOB_BATCH && !j->src_done && j->src.checked) {
        ct_req *r;
        while ((r = ct_batch_produce(j))) settle_stopped(j, r, &not_sent, 0);
    }
    j->src_done = 1;
    check_done(j);
}

/* ct_job_cancel's work, outside the job's own callbacks. */
static void cancel_now(ct_job *j, const char *why)
{
    j->cancel_pending = 0;
    if (j->done || j->released) return;
    j->cancelled = 1;
    ct_err unknown;
    ct_err_set(&unknown, CT_EK_NETWORK, 0, 0, "%s while the request was in flight: its outcome is unknown", why);
    /* in flight: the transport still owns them; their answers will be ignored */
    for (ct_req *r = j->e ? j->e->inflight : NULL; r; r = r->next) {
        if (r->job != j || r->abandoned) continue;
        r->abandoned = 1;
        j->n_abandoned++;
        j->rep.batches_done++;
        if (j->kind == JOB_SINGLE) {
            j->err = unknown;
            redact(j->e, &j->err);
        } else {
            const char *to = j->kind == JOB_BATCH ? r->body + r->to_off : NULL;
            ct_eng_add_rec(j, r, CT_REC_UNKNOWN, &unknown, to, r->to_len, r->n_ids);
            journal_req(j, r, CT_JO_UNKNOWN, &unknown);
        }
    }
    interrupt_job(j, why);
}

void ct_job_cancel(ct_job *j, const char *why)
{
    if (j->done || j->released || !j->e) return;
    if (j->busy) {
        /* inside its own source or classify: the engine is using the job */
        j->cancel_pending = 1;
        return;
    }
    cancel_now(j, why ? why : "the job was cancelled");
}

void ct_engine_shutdown(ct_engine *e, int64_t now, const char *why)
{
    e->stopping = 1;
    while (e->inflight) ct_engine_fail(e, e->inflight, now, CT_EK_NETWORK, 1, why);
    for (ct_job *j = e->jobs; j; j = j->next) interrupt_job(j, why);
}

int ct_job_detach(ct_job *j)
{
    if (!j->e) return 1;
    if (j->n_inflight) return 0;
    if (j->e->secret) j->secret = ct_strdup(j->e->secret);
    job_unlink(j);
    j->e = NULL;
    return 1;
}

void ct_engine_detach_jobs(ct_engine *e)
{
    ct_job *j = e->jobs;
    while (j) {
        ct_job *next = j->next;
        if (!j->released) ct_job_detach(j);
        j = next;
    }
}

/* ---- request accessors -------------------------------------------------- */

uint64_t ct_req_id(const ct_req *r) { return r->id; }
const char *ct_req_method(const ct_req *r) { return r->method ? r->method : r->job->method; }
const char *ct_req_url(const ct_req *r) { return r->url ? r->url : r->job->url; }
long ct_req_timeout_ms(const ct_req *r) { return r->job->o.timeout_ms; }
long ct_req_connect_timeout_ms(const ct_req *r) { return r->job->o.connect_timeout_ms; }
int ct_req_attempt(const ct_req *r) { return r->attempts; }
long ct_req_tag(const ct_req *r) { return r->tag; }
void ct_req_set_transport(ct_req *r, void *t) { r->transport = t; }

const char *const *ct_req_headers(const ct_req *r, size_t *n)
{
    if (r->headers) {
        *n = r->nheaders;
        return (const char *const *)r->headers;
    }
    *n = r->job->nheaders;
    return (const char *const *)r->job->headers;
}

const char *ct_req_body(const ct_req *r, size_t *len)
{
    *len = r->body_len;
    return r->body;
}

int ct_req_set_header(ct_req *r, const char *name, const char *value)
{
    size_t nl = strlen(name);
    if (!r->headers) {
        r->headers = copy_lines((const char *const *)r->job->headers, r->job->nheaders);
        if (!r->headers) return 0;
        r->nheaders = r->job->nheaders;
    }
    ct_sb b;
    ct_sb_init(&b);
    ct_sb_adds(&b, name);
    ct_sb_adds(&b, ": ");
    ct_sb_adds(&b, value);
    char *line = ct_sb_take(&b, NULL);
    if (!line) return 0;
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strncasecmp(r->headers[i], name, nl) == 0 && r->headers[i][nl] == ':') {
            free(r->headers[i]);
            r->headers[i] = line;
            return 1;
        }
    }
    char **h = realloc(r->headers, (r->nheaders + 1) * sizeof *h);
    if (!h) {
        free(line);
        return 0;
    }
    r->headers = h;
    r->headers[r->nheaders++] = line;
    return 1;
}
