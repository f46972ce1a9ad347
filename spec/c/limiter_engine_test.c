/* Unit test of the engine's shared-limiter interface (csrc/limit/ct_limit.h)
 * with a fake limiter and a fake clock: a grant's lease goes back when its
 * request ends, a "wait" holds the lane (ct_engine_wait says how long) and
 * the request is started later, not lost; a 429 becomes a hold-off for every
 * limit of the lane; a store in fallback mode makes the fallback lanes (the
 * local limits divided by the members) apply; grants per engine step are
 * bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_engine.h"

static int failures;
#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                                      \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

typedef struct fake {
    ct_limiter base;
    int mode; /* CT_LIMIT_GRANTED, CT_LIMIT_WAIT or CT_LIMIT_FALLBACK */
    int64_t wait_ms;
    int acquires, released, defined;
    int64_t backoff_ms;
    int backoff_limit;
    uint64_t next;
    int members;
} fake;

static int f_define(void *self, const ct_limit_def *d)
{
    (void)d;
    fake *f = self;
    return f->defined++;
}

static int f_acquire(void *self, const int *limits, int n, int64_t now, uint64_t *lease, int64_t *wait_ms)
{
    (void)limits;
    (void)n;
    (void)now;
    fake *f = self;
    f->acquires++;
    if (f->mode == CT_LIMIT_WAIT) *wait_ms = f->wait_ms;
    if (f->mode == CT_LIMIT_GRANTED) *lease = ++f->next;
    return f->mode;
}

static void f_release(void *self, uint64_t lease)
{
    fake *f = self;
    if (lease) f->released++;
}

static void f_backoff(void *self, int limit, int64_t ms)
{
    fake *f = self;
    f->backoff_limit = limit;
    f->backoff_ms = ms;
}

static void f_tick(void *self, int64_t now, int idle)
{
    (void)self;
    (void)now;
    (void)idle;
}

static int64_t f_due(void *self, int64_t now)
{
    (void)self;
    (void)now;
    return -1;
}

static int f_notice(void *self, char *buf, size_t cap, int *warn)
{
    (void)self;
    (void)buf;
    (void)cap;
    (void)warn;
    return 0;
}

static int f_members(void *self) { return ((fake *)self)->members; }
static void f_free(void *self) { (void)self; }

static const ct_limiter_ops ops = { f_define, f_acquire, f_release, f_backoff, f_tick,
                                    f_due,    f_notice,  f_members, f_free };

static ct_job_opts opts(int lane)
{
    ct_job_opts o;
    memset(&o, 0, sizeof o);
    o.lane = lane;
    o.url = "http://h/1/targets/list.json";
    o.timeout_ms = 1000;
    o.retry.attempts = 3;
    o.retry.base_ms = 10;
    o.retry.max_ms = 100;
    o.retry.total_ms = 10000;
    return o;
}

static const ct_resp ok_resp = { 200, NULL, 0, "{\"status\":\"success\"}", 20 };

int main(void)
{
    fake f;
    memset(&f, 0, sizeof f);
    f.base.ops = &ops;
    f.base.self = &f;
    f.members = 2;
    ct_engine *e = ct_engine_new(7);
    ct_lane_opts lo = { 4, 0, 1, -1 };
    int lane = ct_engine_lane(e, &lo);
    ct_engine_set_limiter(e, &f.base);
    ct_limit_def d = { "targets_concurrency", CT_LIMIT_SEM, 0, 1, 4, 1 };
    CHECK(ct_engine_lane_share(e, lane, &d) == 0);
    ct_job_opts o = opts(lane);

    /* granted: the lease goes back when the request ends */
    f.mode = CT_LIMIT_GRANTED;
    ct_job *j = ct_job_single(e, &o, "{}", 2);
    ct_req *r = ct_engine_next(e, 0);
    CHECK(r != NULL && f.acquires == 1);
    ct_engine_complete(e, r, 5, &ok_resp);
    CHECK(f.released == 1 && ct_job_done(j));
    ct_job_release(j);

    /* wait: nothing starts, the lane is held that long, then it starts */
    f.mode = CT_LIMIT_WAIT;
    f.wait_ms = 40;
    j = ct_job_single(e, &o, "{}", 2);
    CHECK(ct_engine_next(e, 100) == NULL);
    CHECK(ct_engine_wait(e, 100) == 40);
    CHECK(ct_engine_next(e, 120) == NULL); /* held: the store is not asked again */
    CHECK(f.acquires == 2);
    f.mode = CT_LIMIT_GRANTED;
    r = ct_engine_next(e, 140);
    CHECK(r != NULL && f.acquires == 3);

    /* a 429: every limit of the lane is held off for its Retry-After */
    const char *hdr[] = { "Retry-After", "2" }; /* name, value pairs */
    ct_resp busy = { 429, hdr, 1, "{\"status\":\"fail\",\"code\":429}", 29 };
    ct_engine_complete(e, r, 150, &busy);
    CHECK(f.backoff_limit == 0 && f.backoff_ms == 2000);
    CHECK(ct_engine_wait(e, 150) >= 2000);
    CHECK(ct_engine_next(e, 1000) == NULL);
    r = ct_engine_next(e, 150 + 3100);
    CHECK(r != NULL);
    if (r) ct_engine_complete(e, r, 3300, &ok_resp);
    CHECK(ct_job_done(j));
    ct_job_release(j);

    /* fallback: the local cap of 4 divided by 2 members */
    f.mode = CT_LIMIT_FALLBACK;
    ct_job *jobs[4];
    ct_req *rs[4];
    int started = 0;
    for (int i = 0; i < 4; i++) jobs[i] = ct_job_single(e, &o, "{}", 2);
    for (int i = 0; i < 4; i++)
        if ((rs[started] = ct_engine_next(e, 5000 + i))) started++;
    CHECK(started == 2);
    CHECK(ct_engine_lane_inflight(e, lane) == 2);
    for (int i = 0; i < started; i++) ct_engine_complete(e, rs[i], 5010, &ok_resp);
    /* the store back: the shared limits again, the local cap of 4 */
    f.mode = CT_LIMIT_GRANTED;
    started = 0;
    for (int i = 0; i < 4; i++)
        if ((rs[started] = ct_engine_next(e, 6000 + i))) started++;
    CHECK(started == 2); /* the two left */
    for (int i = 0; i < started; i++) ct_engine_complete(e, rs[i], 6010, &ok_resp);
    for (int i = 0; i < 4; i++) {
        CHECK(ct_job_done(jobs[i]));
        ct_job_release(jobs[i]);
    }

    /* at most a few grants in one engine step (one `now`) */
    ct_lane_opts wide = { 0, 0, 1, -1 };
    int lane2 = ct_engine_lane(e, &wide);
    ct_limit_def d2 = { "send_rate", CT_LIMIT_BUCKET, 1000, 10, 0, 1 };
    CHECK(ct_engine_lane_share(e, lane2, &d2) == 1);
    ct_job_opts o2 = opts(lane2);
    ct_job *many[20];
    for (int i = 0; i < 20; i++) many[i] = ct_job_single(e, &o2, "{}", 2);
    int n = 0;
    while ((rs[0] = ct_engine_next(e, 9000))) {
        n++;
        ct_engine_complete(e, rs[0], 9000, &ok_resp);
    }
    CHECK(n > 0 && n < 20);
    CHECK(ct_engine_wait(e, 9000) == 1);
    for (int t = 9001; t < 9100; t++) {
        while ((rs[0] = ct_engine_next(e, t))) ct_engine_complete(e, rs[0], t, &ok_resp);
    }
    for (int i = 0; i < 20; i++) {
        CHECK(ct_job_done(many[i]));
        ct_job_release(many[i]);
    }

    ct_engine_free(e);
    if (failures) {
        fprintf(stderr, "limiter engine: %d failures\n", failures);
        return 1;
    }
    printf("limiter engine: ok\n");
    return 0;
}
