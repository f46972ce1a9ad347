/* Limiters: what decides whether a request may start now.
 *
 * The local limiter is one lane's in-flight cap, token bucket and
 * sliding-second ring, for one process (ct_llane). A shared limiter holds
 * an account's limits for every member (process, worker, host) using the
 * same store: token buckets and lease semaphores behind ct_limiter's
 * operations. The engine asks the local lanes first and a shared limiter
 * only when they allow a start, so a member never exceeds its own options
 * either. No clock is read here: times are the caller's monotonic ms. */
#ifndef CT_LIMIT_H
#define CT_LIMIT_H

#include <stddef.h>
#include <stdint.h>

/* ---- the local limiter --------------------------------------------------- */

typedef struct ct_llane {
    int max_inflight; /* 0 = unlimited */
    double rate;      /* starts per second, 0 = unlimited */
    double burst;     /* token bucket size (>= 1) */
    int inflight, peak;
    double tokens;
    int64_t last_ms;
    int started;
    /* the last starts, a ring of floor(rate) entries: the token bucket's
     * burst alone would let rate + burst start in one sliding second */
    int64_t *win;
    size_t win_cap, win_head, win_n;
} ct_llane;

/* (Re)configures a lane: a full bucket, an empty ring; in-flight kept. */
void ct_llane_set(ct_llane *l, int max_inflight, double rate, double burst);
void ct_llane_free(ct_llane *l);
/* ms until the lane may start one request: 0 = now, -1 = needs a completion. */
int64_t ct_llane_wait(ct_llane *l, int64_t now);
void ct_llane_take(ct_llane *l, int64_t now);
void ct_llane_release(ct_llane *l);

/* ---- shared limiters ----------------------------------------------------- */

enum { CT_LIMIT_BUCKET, CT_LIMIT_SEM };
#define CT_LIMITS_MAX 8

/* One account limit: a token bucket (rate per second, burst; its rate also
 * holds in every sliding second) or a semaphore of max leases. */
typedef struct ct_limit_def {
    const char *name; /* "send_rate", "create_rate", "targets_concurrency", ... */
    int kind;
    double rate, burst;
    int max;
    double pace; /* buckets fill at rate * pace (0 = 1): the rate stays the one configured */
} ct_limit_def;

/* acquire's answers */
enum { CT_LIMIT_WAIT = 0, CT_LIMIT_GRANTED = 1, CT_LIMIT_FALLBACK = 2 };

typedef struct ct_limiter_ops {
    /* Adds a limit; returns its index or -1. Called before the first acquire. */
    int (*define)(void *self, const ct_limit_def *d);
    /* Takes one start of every limit in limits[0..n) at once, or none:
     * CT_LIMIT_GRANTED with *lease set (0 when no semaphore is held),
     * CT_LIMIT_WAIT with *wait_ms set, CT_LIMIT_FALLBACK when the store
     * is unusable and the fail mode says to use the local fallback lanes. */
    int (*acquire)(void *self, const int *limits, int n, int64_t now, uint64_t *lease, int64_t *wait_ms);
    /* Gives a lease's slots back (may be sent with the next acquire). */
    void (*release)(void *self, uint64_t lease);
    /* A 429 seen: every member holds off limit for ms. */
    void (*backoff)(void *self, int limit, int64_t ms);
    /* Renews leases and sends pending releases when due (idle = 1: no
     * acquire will carry them soon). */
    void (*tick)(void *self, int64_t now, int idle);
    /* ms until tick has work (a lease to renew), -1 = none. */
    int64_t (*due)(void *self, int64_t now);
    /* The next log line (copied into buf), 0 when none; *warn set. */
    int (*notice)(void *self, char *buf, size_t cap, int *warn);
    /* Members seen sharing the store (at least 1). */
    int (*members)(void *self);
    void (*free)(void *self);
} ct_limiter_ops;

typedef struct ct_limiter {
    const ct_limiter_ops *ops;
    void *self;
} ct_limiter;

/* fail modes */
enum { CT_FAIL_CLOSED = 0, CT_FAIL_LOCAL = 1 };

typedef struct ct_limiter_cfg {
    const char *url;        /* "redis://[user:pass@]host:port[/db]" */
    const char *account_id; /* the keys' namespace */
    int fail_mode;
    long lease_ms;        /* semaphore lease; 0 = 10000 */
    int expected_members; /* fail_mode local divides by at least this many */
    uint64_t seed;        /* for the member id and jitter */
} ct_limiter_cfg;

/* A Redis limiter (hiredis). NULL with a message in err (never the
 * password) when the URL is wrong; the store is reached on first use. */
ct_limiter *ct_limiter_redis_new(const ct_limiter_cfg *cfg, char *err, size_t errlen);
void ct_limiter_free(ct_limiter *l);
/* The Redis limiter's script (its KEYS and ARGV are documented above it in
 * ct_limit_redis.c) and the sliding window it is called with, for members
 * that talk to Redis otherwise (the nginx cosocket limiter). */
const char *ct_limiter_redis_script(size_t *len, int *span_ms);

#endif
