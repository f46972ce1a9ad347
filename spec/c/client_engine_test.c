/* Unit test of the request engine (csrc/engine/ct_engine.c) with a fake clock and
 * no network: batching, lanes (in-flight caps, rates), retries (backoff
 * bounds, Retry-After, attempts, total time), unknown outcomes, the report's
 * accounting, and the CleverTap classification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_engine.h"
#include "ct_redact.h"

static int failures;
#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                                      \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

/* A source handing over runs of at most RUN_LEN identities (fewer than a
 * batch, so batches are put together from several runs). */
#define RUN_LEN 7
typedef struct src {
    int n, i, type;
    const char *bad_at; /* index with an empty identity when non-NULL */
    int bad_index;
    char buf[RUN_LEN][32];
} src;

static int next_id(void *ud, size_t max, ct_idrun *run, ct_err *err)
{
    (void)err;
    src *x = ud;
    if (x->i >= x->n) return 0;
    size_t k = 0;
    run->type = x->type;
    while (k < max && k < RUN_LEN && x->i < x->n) {
        if (x->bad_at && x->i == x->bad_index) {
            run->s[k] = "";
            run->len[k] = 0;
        } else {
            snprintf(x->buf[k], sizeof x->buf[k], "id-%d", x->i);
            run->s[k] = x->buf[k];
            run->len[k] = strlen(x->buf[k]);
        }
        x->i++;
        k++;
    }
    run->n = k;
    return 1;
}

static ct_job_opts opts(int lane)
{
    ct_job_opts o;
    memset(&o, 0, sizeof o);
    o.lane = lane;
    o.url = "http://h/1/send/push.json";
    o.timeout_ms = 1000;
    o.connect_timeout_ms = 1000;
    o.retry.attempts = 3;
    o.retry.base_ms = 100;
    o.retry.max_ms = 1000;
    o.retry.total_ms = 10000;
    return o;
}

static ct_resp ok_resp(void)
{
    static const char body[] = "{\"status\":\"success\"}";
    ct_resp r = { 200, NULL, 0, body, sizeof body - 1 };
    return r;
}

static void test_batching(void)
{
    ct_engine *e = ct_engine_new(1);
    ct_lane_opts lo = { 0, 0, 1, -1 };
    int lane = ct_engine_lane(e, &lo);
    src s = { 2500, 0, CT_ID_IDENTITY, NULL, 0, { { 0 } } };
    ct_source so = { next_id, &s, 2500, 0 };
    ct_job_opts o = opts(lane);
    const char rest[] = "{\"content\":{\"title\":\"t\"}}";
    ct_job *j = ct_job_batch(e, &o, rest, strlen(rest), &so);
    CHECK(ct_job_report(j)->batches_total == 3);
    ct_req *r[4];
    for (int i = 0; i < 3; i++) r[i] = ct_engine_next(e, 0);
    r[3] = ct_engine_next(e, 0);
    CHECK(r[0] && r[1] && r[2] && !r[3]);
    size_t len;
    const char *b = ct_req_body(r[0], &len);
    CHECK(strncmp(b, "{\"to\":{\"Identity\":[\"id-0\",\"id-1\",", 32) == 0);
    CHECK(strstr(b, "\"id-999\"]},\"content\":{\"title\":\"t\"}}") != NULL);
    CHECK(strstr(b, "id-1000") == NULL);
    b = ct_req_body(r[2], &len);
    CHECK(strncmp(b, "{\"to\":{\"Identity\":[\"id-2000\",", 29) == 0);
    CHECK(b[len - 1] == '}');
    ct_resp ok = ok_resp();
    for (int i = 0; i < 3; i++) ct_engine_complete(e, r[i], 0, &ok);
    CHECK(ct_job_done(j));
    CHECK(ct_job_report(j)->accepted == 2500);
    CHECK(ct_job_report(j)->requests == 3);
    CHECK(ct_engine_take_finished(e) == j);
    CHECK(ct_engine_take_finished(e) == NULL);
    ct_job_release(j);
    ct_engine_free(e);
}

static void test_empty_rest_and_types(void)
{
    ct_engine *e = ct_engine_new(1);
    ct_lane_opts lo = { 0, 0, 1, -1 };
    int lane = ct_engine_lane(e, &lo);
    src s = { 2, 0, CT_ID_EMAIL, NULL, 0, { { 0 } } };
    ct_source so = { next_id, &s, 2, 0 };
    ct_job_opts o = opts(lane);
    ct_job *j = ct_job_batch(e, &o, "{}", 2, &so);
    ct_req *r = ct_engine_next(e, 0);
    size_t len;
    CHECK(strcmp(ct_req_body(r, &len), "{\"to\":{\"Email\":[\"id-0\",\"id-1\"]}}") == 0);
    ct_resp ok = ok_resp();
    ct_engine_complete(e, r, 0, &ok);
    CHECK(ct_job_report(j)->accepted == 2);
    ct_engine_free(e);
}

static void test_caps_and_rates(void)
{
    ct_engine *e = ct_engine_new(1);
    ct_lane_opts parent = { 3, 0, 1, -1 };
    int lp = ct_engine_lane(e, &parent);
    ct_lane_opts create = { 0, 1.0, 1, lp };
    int lc = ct_engine_lane(e, &create);
    /* five calls on the capped lane */
    ct_job *jobs[5];
    ct_job_opts o = opts(lp);
    for (int i = 0; i < 5; i++) jobs[i] = ct_job_single(e, &o, "{}", 2);
    ct_req *r[5] = { 0 };
    int started = 0;
    while ((r[started] = ct_engine_next(e, 0))) started++;
    CHECK(started == 3);
    CHECK(ct_engine_lane_inflight(e, lp) == 3);
    CHECK(ct_engine_wait(e, 0) == -1); /* only a completion unblocks */
    ct_resp ok = ok_resp();
    ct_engine_complete(e, r[0], 5, &ok);
    CHECK(ct_engine_next(e, 5) != NULL);
    CHECK(ct_engine_next(e, 5) == NULL);
    CHECK(ct_engine_lane_peak(e, lp) == 3);
    (void)jobs;
    ct_engine_free(e);

    /* the create lane: 1 per second, also charged to the parent's cap */
    e = ct_engine_new(1);
    lp = ct_engine_lane(e, &parent);
    lc = ct_engine_lane(e, &create);
    o = opts(lc);
    for (int i = 0; i < 3; i++) ct_job_single(e, &o, "{}", 2);
    ct_req *a = ct_engine_next(e, 1000);
    CHECK(a != NULL);
    CHECK(ct_engine_next(e, 1000) == NULL);
    int64_t w = ct_engine_wait(e, 1000);
    CHECK(w > 900 && w <= 1001);
    CHECK(ct_engine_next(e, 1500) == NULL);
    CHECK(ct_engine_next(e, 2001) != NULL);
    CHECK(ct_engine_lane_inflight(e, lp) == 2);
    ct_engine_free(e);
}

static int64_t retry_gap(uint64_t seed, int status, const char *retry_after, int *attempts_out)
{
    ct_engine *e = ct_engine_new(seed);
    ct_lane_opts lo = { 0, 0, 1, -1 };
    int lane = ct_engine_lane(e, &lo);
    ct_job_opts o = opts(lane);
    ct_job *j = ct_job_single(e, &o, "{}", 2);
    ct_req *r = ct_engine_next(e, 0);
    const char *h[2] = { "retry-after", retry_after };
    ct_resp resp = { status, h, retry_after ? 1 : 0, "{}", 2 };
    ct_engine_complete(e, r, 0, &resp);
    int64_t t = 0;
    while (!ct_engine_next(e, t) && t < 100000) t++;
    *attempts_out = (int)ct_job_report(j)->requests;
    ct_engine_free(e);
    return t;
}

static void test_retries(void)
{
    int n;
    /* full jitter: the first backoff is within [0, base] */
    int64_t lo = 1000, hi = 0;
    for (uint64_t seed = 1; seed < 40; seed++) {
        int64_t g = retry_gap(seed, 503, NULL, &n);
        if (g < lo) lo = g;
        if (g > hi) hi = g;
        CHECK(g >= 0 && g <= 100);
    }
    CHECK(hi > lo); /* jittered, not fixed */
    /* Retry-After is a floor; jitter above it spreads the retries (up to
     * half the wait, capped by max_ms = 1000 here) */
    int64_t ra_lo = 1000000, ra_hi = 0;
    for (uint64_t seed = 1; seed < 40; seed++) {
        int64_t g = retry_gap(seed, 429, "2", &n);
        CHECK(n == 2);
        CHECK(g >= 2000 && g <= 3000);
        if (g < ra_lo) ra_lo = g;
        if (g > ra_hi) ra_hi = g;
    }
    CHECK(ra_hi - ra_lo > 100);

    /* attempts are bounded: 3 tries, then failed with the last error */
    ct_engine *e = ct_engine_new(3);
    ct_lane_opts lane = { 0, 0, 1, -1 };
    int l = ct_engine_lane(e, &lane);
    src s = { 5, 0, CT_ID_IDENTITY, NULL, 0, { { 0 } } };
    ct_source so = { next_id, &s, 5, 0 };
    ct_job_opts o = opts(l);
    ct_job *j = ct_job_batch(e, &o, "{}", 2, &so);
    static const char b89[] = "{\"status\":\"fail\",\"error\":\"Unexpected error, please try again\",\"code\":89}";
    ct_resp r89 = { 500, NULL, 0, b89, sizeof b89 - 1 };
    for (int64_t t = 0; !ct_job_done(j) && t < 100000; t++) {
        ct_req *r = ct_engine_next(e, t);
        if (r) ct_engine_complete(e, r, t, &r89);
    }
    CHECK(ct_job_done(j));
    CHECK(ct_job_report(j)->requests == 3);
    CHECK(ct_job_outrec_count(j) == 1);
    const ct_outrec *rec = ct_job_outrec(j, 0);
    CHECK(rec && !rec->unknown && rec->err.kind == CT_EK_API && rec->err.code == 89 && rec->err.retryable);
    CHECK(rec && rec->n_ids == 5 && strncmp(rec->to_json, "{\"Identity\":[\"id-0\"", 18) == 0);
    CHECK(strstr(rec->err.message, "gave up after 3 attempts") != NULL);
    ct_engine_free(e);

    /* total time: a Retry-After beyond the budget ends the retries */
    e = ct_engine_new(3);
    l = ct_engine_lane(e, &lane);
    o = opts(l);
    o.retry.attempts = 10;
    o.retry.total_ms = 1500;
    j = ct_job_single(e, &o, "{}", 2);
    ct_req *r = ct_engine_next(e, 0);
    const char *h[2] = { "retry-after", "2" };
    ct_resp r429 = { 429, h, 1, "", 0 };
    ct_engine_complete(e, r, 0, &r429);
    CHECK(ct_job_done(j));
    CHECK(ct_job_error(j)->kind == CT_EK_RATE_LIMITED);
    ct_engine_free(e);
}

static void test_unknown(void)
{
    for (int resend = 0; resend <= 1; resend++) {
        ct_engine *e = ct_engine_new(5);
        ct_lane_opts lane = { 0, 0, 1, -1 };
        int l = ct_engine_lane(e, &lane);
        src s = { 1500, 0, CT_ID_IDENTITY, NULL, 0, { { 0 } } };
        ct_source so = { next_id, &s, 1500, 0 };
        ct_job_opts o = opts(l);
        o.resend_unknown = resend;
        ct_job *j = ct_job_batch(e, &o, "{}", 2, &so);
        ct_req *a = ct_engine_next(e, 0), *b = ct_engine_next(e, 0);
        ct_engine_fail(e, a, 0, CT_EK_TIMEOUT, 1, "timed out waiting");
        ct_resp ok = ok_resp();
        ct_engine_complete(e, b, 0, &ok);
        if (!resend) {
            CHECK(ct_job_done(j));
            CHECK(ct_job_report(j)->unknown_ids == 1000);
            CHECK(ct_job_report(j)->accepted == 500);
            CHECK(ct_job_report(j)->requests == 2);
            CHECK(ct_job_outrec(j, 0)->unknown == 1 && ct_job_outrec(j, 0)->err.kind == CT_EK_TIMEOUT);
        } else {
            CHECK(!ct_job_done(j));
            ct_req *again = NULL;
            for (int64_t t = 0; !again && t < 10000; t++) again = ct_engine_next(e, t);
            CHECK(again != NULL);
            ct_engine_complete(e, again, 0, &ok);
            CHECK(ct_job_report(j)->accepted == 1500);
        }
        ct_engine_free(e);
    }
    /* a failure before sending is retried, then failed (not unknown) */
    ct_engine *e = ct_engine_new(5);
    ct_lane_opts lane = { 0, 0, 1, -1 };
    int l = ct_engine_lane(e, &lane);
    ct_job_opts o = opts(l);
    src s = { 3, 0, CT_ID_FBID, NULL, 0, { { 0 } } };
    ct_source so = { next_id, &s, 3, 0 };
    ct_job *j = ct_job_batch(e, &o, "{}", 2, &so);
    for (int64_t t = 0; !ct_job_done(j) && t < 100000; t++) {
        ct_req *r = ct_engine_next(e, t);
        if (r) ct_engine_fail(e, r, t, CT_EK_NETWORK, 0, "connection refused");
    }
    CHECK(ct_job_report(j)->requests == 3);
    CHECK(ct_job_report(j)->failed_ids == 3 && ct_job_report(j)->unknown_ids == 0);
    CHECK(ct_job_outrec(j, 0)->err.retryable);
    ct_engine_free(e);
}

static void test_bad_identity_and_release(void)
{
    ct_engine *e = ct_engine_new(5);
    ct_lane_opts lane = { 0, 0, 1, -1 };
    int l = ct_engine_lane(e, &lane);
    ct_job_opts o = opts(l);
    src s = { 10, 0, CT_ID_OBJECTID, "", 4, { { 0 } } };
    ct_source so = { next_id, &s, -1, 0 };
    ct_job *j = ct_job_batch(e, &o, "{}", 2, &so);
    ct_req *r = ct_engine_next(e, 0);
    ct_resp ok = ok_resp();
    ct_engine_complete(e, r, 0, &ok);
    CHECK(ct_job_done(j));
    CHECK(ct_job_report(j)->accepted == 9);
    CHECK(ct_job_report(j)->failed_ids == 1);
    CHECK(strcmp(ct_job_outrec(j, 0)->err.pointer, "/to/objectId/4") == 0);
    CHECK(ct_job_outrec(j, 0)->err.kind == CT_EK_VALIDATION);
    ct_job_release(j);

    /* released with a request in flight: completing it later is safe */
    src s2 = { 3000, 0, CT_ID_IDENTITY, NULL, 0, { { 0 } } };
    ct_source so2 = { next_id, &s2, 3000, 0 };
    j = ct_job_batch(e, &o, "{}", 2, &so2);
    r = ct_engine_next(e, 0);
    ct_job_release(j);
    CHECK(ct_engine_next(e, 0) == NULL);
    ct_engine_complete(e, r, 0, &ok);
    CHECK(ct_engine_pending(e) == 0);
    ct_engine_free(e);
}

static void test_classify(void)
{
    ct_err err;
    int64_t ra;
    static const char nc[] = "{\"error\":\"This target hasn't been completed\",\"status\":\"fail\"}";
    ct_resp r = { 200, NULL, 0, nc, sizeof nc - 1 };
    CHECK(ct_classify_clevertap(&r, 1, NULL, &err, &ra) == CT_OUT_FAIL && err.kind == CT_EK_NOT_COMPLETED);
    CHECK(ct_classify_clevertap(&r, 0, NULL, &err, &ra) == CT_OUT_FAIL && err.kind == CT_EK_API);
    static const char f89[] = "{\"status\":\"fail\",\"error\":\"x\",\"code\":89}";
    ct_resp r89 = { 200, NULL, 0, f89, sizeof f89 - 1 };
    CHECK(ct_classify_clevertap(&r89, 0, NULL, &err, &ra) == CT_OUT_RETRY && err.kind == CT_EK_API && err.code == 89);
    ct_resp html = { 200, NULL, 0, "<html>", 6 };
    CHECK(ct_classify_clevertap(&html, 0, NULL, &err, &ra) == CT_OUT_UNKNOWN && err.kind == CT_EK_HTTP);
    ct_resp r503 = { 503, NULL, 0, "<html>", 6 };
    CHECK(ct_classify_clevertap(&r503, 0, NULL, &err, &ra) == CT_OUT_RETRY && err.retryable);
    static const char f400[] = "{\"status\":\"fail\",\"error\":\"Invalid recipients\",\"code\":84}";
    ct_resp r400 = { 400, NULL, 0, f400, sizeof f400 - 1 };
    CHECK(ct_classify_clevertap(&r400, 0, NULL, &err, &ra) == CT_OUT_FAIL && err.kind == CT_EK_API &&
          err.status == 400 && err.code == 84 && !err.retryable);
    CHECK(ct_parse_retry_after("3") == 3000);
    CHECK(ct_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0);
    CHECK(ct_parse_retry_after("soon") == -1);
    /* beyond int64 when converted to ms: clamped, never undefined (UBSan) */
    CHECK(ct_parse_retry_after("1e30") == 3600LL * 1000);
    CHECK(ct_parse_retry_after("1e400") == 3600LL * 1000);
    CHECK(ct_parse_retry_after("nan") == -1);
    CHECK(ct_parse_retry_after("-5") == -1);
    CHECK(ct_parse_retry_after("99999999999999999999") == 3600LL * 1000);
    CHECK(ct_parse_retry_after("0.0001") == 0);
    CHECK(ct_parse_retry_after("inf") == -1);
}

static void test_redaction(void)
{
    ct_engine *e = ct_engine_new(5);
    ct_engine_set_secret(e, "PASS-123");
    ct_lane_opts lane = { 0, 0, 1, -1 };
    int l = ct_engine_lane(e, &lane);
    ct_job_opts o = opts(l);
    o.retry.attempts = 1;
    ct_job *j = ct_job_single(e, &o, "{}", 2);
    ct_req *r = ct_engine_next(e, 0);
    static const char b[] = "{\"status\":\"fail\",\"error\":\"bad passcode PASS-123\",\"code\":1}";
    ct_resp resp = { 401, NULL, 0, b, sizeof b - 1 };
    ct_engine_complete(e, r, 0, &resp);
    CHECK(strstr(ct_job_error(j)->message, "PASS-123") == NULL);
    CHECK(strstr(ct_job_error(j)->message, "***") != NULL);
    ct_engine_free(e);

    /* the passcode at every offset of a long message, plain and \u-escaped:
     * redacted before the message is cut to fit, so no prefix of it remains */
    for (int esc = 0; esc < 2; esc++) {
        for (int off = 0; off < 300; off++) {
            ct_engine *e2 = ct_engine_new(5);
            ct_engine_set_secret(e2, "PASSCODE-SECRET");
            int l2 = ct_engine_lane(e2, &lane);
            ct_job_opts o2 = opts(l2);
            o2.retry.attempts = 1;
            ct_job *j2 = ct_job_single(e2, &o2, "{}", 2);
            ct_req *r2 = ct_engine_next(e2, 0);
            char body[1024];
            const char *pc = esc ? "\\u0050\\u0041SSCODE-SECRET" : "PASSCODE-SECRET";
            snprintf(body, sizeof body, "{\"status\":\"fail\",\"code\":1,\"error\":\"%*s%s tail\"}", off, "", pc);
            ct_resp resp2 = { 400, NULL, 0, body, strlen(body) };
            ct_engine_complete(e2, r2, 0, &resp2);
            const char *m = ct_job_error(j2)->message;
            CHECK(strstr(m, "PASSC") == NULL && strstr(m, "SECRET") == NULL);
            ct_job_release(j2);
            ct_engine_free(e2);
        }
    }

    /* a long secret goes wherever it stands, even inside a word */
    char t1[] = "xPASS-123y PASS-123";
    ct_redact(t1, "PASS-123");
    CHECK(strcmp(t1, "x***y ***") == 0);
    /* a short one only as a whole word: "CleverTap" stays readable */
    char t2[] = "CleverTap: passcode p is wrong (p)";
    ct_redact(t2, "p");
    CHECK(strcmp(t2, "CleverTap: passcode * is wrong (*)") == 0);
    char t3[] = "pass passcode \"pass\"";
    ct_redact(t3, "pass");
    CHECK(strcmp(t3, "*** passcode \"***\"") == 0);
    /* a secret made of the mask's own character terminates */
    char t4[] = "a *** b ****";
    ct_redact(t4, "***");
    CHECK(strcmp(t4, "a *** b ****") == 0);
    char t5[] = "x * y";
    ct_redact(t5, "*");
    CHECK(strcmp(t5, "x * y") == 0);
}

/* jobs queued together start in the order they were queued */
static void test_job_order(void)
{
    ct_engine *e = ct_engine_new(1);
    ct_lane_opts lo = { 0, 0, 4, -1 };
    int lane = ct_engine_lane(e, &lo);
    ct_job_opts o = opts(lane);
    const char *bodies[] = { "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}" };
    ct_job *j[4];
    for (int i = 0; i < 4; i++) j[i] = ct_job_single(e, &o, bodies[i], strlen(bodies[i]));
    ct_req *r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = ct_engine_next(e, 0);
        CHECK(r[i] != NULL);
        size_t len;
        CHECK(r[i] && strcmp(ct_req_body(r[i], &len), bodies[i]) == 0);
    }
    ct_resp ok = ok_resp();
    for (int i = 0; i < 4; i++)
        if (r[i]) ct_engine_complete(e, r[i], 0, &ok);
    for (int i = 0; i < 4; i++) ct_job_release(j[i]);
    ct_engine_free(e);
}

/* shutdown: in flight -> unknown, a retry after a possibly delivered try ->
 * unknown, queued and the array's rest -> not_sent; a detached job keeps
 * its report after the engine is freed */
static void test_shutdown(void)
{
    ct_engine *e = ct_engine_new(1);
    ct_engine_set_secret(e, "PASS-9");
    ct_lane_opts lo = { 2, 0, 2, -1 };
    int lane = ct_engine_lane(e, &lo);
    src s = { 5500, 0, CT_ID_IDENTITY, NULL, 0, { { 0 } } };
    ct_source so = { next_id, &s, 5500, 1 };
    ct_job_opts o = opts(lane);
    o.resend_unknown = 1;
    const char rest[] = "{\"content\":{\"title\":\"t\"}}";
    ct_job *j = ct_job_batch(e, &o, rest, strlen(rest), &so);
    ct_req *a = ct_engine_next(e, 0);
    ct_req *b = ct_engine_next(e, 0);
    CHECK(a && b && ct_engine_next(e, 0) == NULL); /* two in flight: the lane's cap */
    ct_resp ok = ok_resp();
    ct_engine_complete(e, a, 0, &ok);
    /* b's connection drops after sending: re-sent later (resend_unknown) */
    ct_engine_fail(e, b, 0, CT_EK_NETWORK, 1, "reset");
    ct_req *c = ct_engine_next(e, 0); /* the third batch starts */
    CHECK(c != NULL);
    ct_engine_shutdown(e, 10, "closed");
    CHECK(ct_job_done(j));
    const ct_report *r = ct_job_report(j);
    CHECK(r->accepted == 1000);
    CHECK(r->unknown_ids == 2000); /* b (retry pending) and c (in flight) */
    CHECK(r->not_sent_ids == 2500);
    CHECK(r->accepted + r->failed_ids + r->unknown_ids + r->not_sent_ids == 5500);
    /* no retry starts once shut down */
    CHECK(ct_engine_next(e, 1000000) == NULL);
    CHECK(ct_job_detach(j));
    ct_engine_free(e);
    size_t n = ct_job_outrec_count(j), not_sent = 0;
    for (size_t i = 0; i < n; i++) not_sent += ct_job_outrec(j, i)->not_sent ? ct_job_outrec(j, i)->n_ids : 0;
    CHECK(not_sent == 2500);
    char *body = ct_job_redact_body(j, "{\"error\":\"PASS-9\"}", 19);
    CHECK(body && !strstr(body, "PASS-9"));
    free(body);
    ct_job_release(j);
}

/* an outage: every answer a 503. The retry quota (500 tokens, 5 a retry)
 * ends retrying after 100 retries client-wide, instead of attempts-1 per
 * request; successes refill it */
static int storm_requests(double quota, int batches, int *failed_batches)
{
    ct_engine *e = ct_engine_new(7);
    ct_engine_set_retry_quota(e, quota);
    ct_lane_opts lo = { 0, 0, 1, -1 };
    int lane = ct_engine_lane(e, &lo);
    ct_job_opts o = opts(lane);
    o.retry.attempts = 5;
    o.retry.total_ms = 1000000;
    src s = { batches * 1000, 0, CT_ID_IDENTITY, NULL, 0, { { 0 } } };
    ct_source so = { next_id, &s, batches * 1000, 1 };
    ct_job *j = ct_job_batch(e, &o, "{}", 2, &so);
    ct_resp r503 = { 503, NULL, 0, "<html>", 6 };
    for (int64_t t = 0; !ct_job_done(j) && t < 10000000; t++) {
        ct_req *r;
        while ((r = ct_engine_next(e, t))) ct_engine_complete(e, r, t, &r503);
    }
    int requests = (int)ct_job_report(j)->requests;
    *failed_batches = (int)ct_job_outrec_count(j);
    ct_job_release(j);
    ct_engine_free(e);
    return requests;
}

static void test_retry_quota(void)
{
    int failed = 0;
    CHECK(storm_requests(0, 200, &failed) == 200 * 5); /* no quota: 5 tries each */
    CHECK(failed == 200);
    int with = storm_requests(500, 200, &failed);
    CHECK(with == 200 + 100);
    CHECK(failed == 200);
    for (int i = 0; i < 1; i++) {
        /* a quota message says why the batch was not retried */
        ct_engine *e = ct_engine_new(7);
        ct_engine_set_retry_quota(e, 4); /* less than one retry */
        ct_lane_opts lo = { 0, 0, 1, -1 };
        ct_job_opts o = opts(ct_engine_lane(e, &lo));
        ct_job *j = ct_job_single(e, &o, "{}", 2);
        ct_resp r503 = { 503, NULL, 0, "<html>", 6 };
        ct_engine_complete(e, ct_engine_next(e, 0), 0, &r503);
        CHECK(ct_job_done(j));
        CHECK(strstr(ct_job_error(j)->message, "retry quota") != NULL);
        /* 429 does not spend the quota: it is retried */
        ct_job *k = ct_job_single(e, &o, "{}", 2);
        ct_resp r429 = { 429, NULL, 0, "", 0 };
        ct_engine_complete(e, ct_engine_next(e, 0), 0, &r429);
        CHECK(!ct_job_done(k));
        ct_job_release(j);
        ct_job_release(k);
        ct_engine_free(e);
    }
}

/* the rate holds in every sliding second, burst included: at 1000/s with a
 * burst of 50, no 1000 ms window holds more than 1000 starts */
static void test_sliding_second(void)
{
    ct_engine *e = ct_engine_new(1);
    ct_lane_opts lo = { 0, 1000, 50, -1 };
    int lane = ct_engine_lane(e, &lo);
    ct_job_opts o = opts(lane);
    src s = { 5000 * 1000, 0, CT_ID_IDENTITY, NULL, 0, { { 0 } } };
    ct_source so = { next_id, &s, 5000 * 1000, 1 };
    ct_job *j = ct_job_batch(e, &o, "{}", 2, &so);
    static int64_t starts[5000];
    int n = 0;
    ct_resp ok = ok_resp();
    for (int64_t t = 0; t < 5000 && n < 5000; t++) {
        ct_req *r;
        while (n < 5000 && (r = ct_engine_next(e, t))) {
            starts[n++] = t;
            ct_engine_complete(e, r, t, &ok);
        }
    }
    int worst = 0;
    for (int a = 0, b = 0; b < n; b++) {
        while (starts[b] - starts[a] >= 1000) a++;
        if (b - a + 1 > worst) worst = b - a + 1;
    }
    CHECK(worst <= 1000);
    CHECK(n >= 4500); /* and the rate is still reached */
    ct_job_release(j);
    ct_engine_free(e);
}

/* A fake journal: what the engine told it, in order. */
typedef struct fake_journal {
    char log[2048];
    int64_t next_id;
    int64_t fail_send_of; /* before_first_send of this batch fails */
    int replay_left;      /* next_planned gives this many batches */
    int done_calls, done_cancelled;
    int send_calls; /* before_first_send calls: one commit each */
    char last_err[320];
} fake_journal;

static void jlog(fake_journal *f, const char *fmt, long long a, long long b)
{
    size_t n = strlen(f->log);
    snprintf(f->log + n, sizeof f->log - n, fmt, a, b);
}

static int64_t fj_planned(void *ud, const char *to, size_t to_len, size_t n)
{
    fake_journal *f = ud;
    (void)to;
    (void)to_len;
    int64_t id = ++f->next_id;
    jlog(f, "P%lld:%lld ", (long long)id, (long long)n);
    return id;
}

static int fj_first_send(void *ud, const int64_t *batches, size_t n)
{
    fake_journal *f = ud;
    int fail = 0;
    f->send_calls++;
    for (size_t k = 0; k < n; k++) {
        jlog(f, k ? "+%lld" : "S%lld", (long long)batches[k], 0);
        if (batches[k] == f->fail_send_of) fail = 1;
    }
    jlog(f, fail ? "! " : " ", 0, 0);
    return !fail;
}

static void fj_outcome(void *ud, int64_t batch, int outcome, const ct_err *err, const char *to, size_t to_len, size_t n)
{
    fake_journal *f = ud;
    (void)to;
    (void)to_len;
    (void)n;
    jlog(f, "O%lld=%lld ", (long long)batch, (long long)outcome);
    snprintf(f->last_err, sizeof f->last_err, "%s", err->message);
}

static int fj_next_planned(void *ud, int64_t *batch, const char **to, size_t *to_len, size_t *n)
{
    fake_journal *f = ud;
    if (f->replay_left <= 0) return 0;
    f->replay_left--;
    *batch = 100 + f->replay_left;
    *to = "{\"Email\":[\"a@x\",\"b@x\"]}";
    *to_len = strlen(*to);
    *n = 2;
    return 1;
}

static void fj_done(void *ud, int cancelled)
{
    fake_journal *f = ud;
    f->done_calls++;
    f->done_cancelled = cancelled;
}

static ct_journal_hooks fj_hooks(fake_journal *f)
{
    ct_journal_hooks h = { f, fj_planned, fj_first_send, fj_outcome, fj_next_planned, fj_done };
    return h;
}

/* A job of n identities on one lane, journaled into the fake: set up by
 * journaled_init, adjusted by the test (t->o, t->f's knobs, the engine),
 * then started by journaled_start. */
typedef struct journaled {
    ct_engine *e;
    src s;
    ct_source so;
    ct_job_opts o;
    fake_journal f;
    ct_journal_hooks h;
    ct_job *j;
} journaled;

static void journaled_init(journaled *t, ct_lane_opts lo, size_t n)
{
    memset(t, 0, sizeof *t);
    t->e = ct_engine_new(1);
    t->o = opts(ct_engine_lane(t->e, &lo));
    src s = { n, 0, CT_ID_IDENTITY, NULL, 0, { { 0 } } };
    t->s = s;
    ct_source so = { next_id, &t->s, n, 1 };
    t->so = so;
}

static ct_job *journaled_start(journaled *t)
{
    t->j = ct_job_batch(t->e, &t->o, "{}", 2, &t->so);
    t->h = fj_hooks(&t->f);
    ct_job_set_journal(t->j, &t->h);
    return t->j;
}

static void test_journal_hooks(void)
{
    journaled t;
    journaled_init(&t, (ct_lane_opts){ 3, 0, 1, -1 }, 3500);
    ct_engine *e = t.e;
    ct_engine_set_secret(e, "PASS-7");
    t.o.retry.attempts = 1;
    t.f.fail_send_of = 3;
    t.f.replay_left = 1;
    ct_job *j = journaled_start(&t);
    /* a replayed batch first, as recorded; then batches built from the source.
     * The two the lane's free slots allow beside it are built ahead and
     * recorded in flight with it, in one commit, before it is handed out */
    ct_req *a = ct_engine_next(e, 0);
    size_t len;
    CHECK(a && strcmp(ct_req_body(a, &len), "{\"to\":{\"Email\":[\"a@x\",\"b@x\"]}}") == 0);
    CHECK(strcmp(t.f.log, "P1:1000 P2:1000 S100+1+2 ") == 0);
    ct_req *b = ct_engine_next(e, 0);
    ct_req *c = ct_engine_next(e, 0);
    CHECK(b && c && strcmp(t.f.log, "P1:1000 P2:1000 S100+1+2 ") == 0 && t.f.send_calls == 1);
    CHECK(ct_engine_next(e, 0) == NULL); /* the lane is full */
    ct_resp ok = ok_resp();
    ct_engine_complete(e, a, 0, &ok);
    /* the journal cannot record batch 3: it is not sent, the job stops */
    CHECK(ct_engine_next(e, 0) == NULL);
    CHECK(strstr(t.f.log, "O100=0 P3:1000 S3! O3=3 ") != NULL);
    CHECK(ct_job_source_error(j)->kind != CT_EK_NONE);
    static const char bad[] = "{\"status\":\"fail\",\"error\":\"bad PASS-7\",\"code\":84}";
    ct_resp refused = { 400, NULL, 0, bad, sizeof bad - 1 };
    ct_engine_complete(e, b, 0, &refused);
    ct_engine_fail(e, c, 0, CT_EK_NETWORK, 1, "reset after sending");
    CHECK(strstr(t.f.log, "O3=3 P4:500 O4=3 O1=1 O2=2 ") != NULL);
    CHECK(strstr(t.f.last_err, "PASS-7") == NULL);
    CHECK(ct_job_done(j));
    CHECK(t.f.done_calls == 1);
    const ct_report *r = ct_job_report(j);
    /* not_sent: batch 3 and the 500 identities the array still held */
    CHECK(r->accepted == 2 && r->failed_ids == 1000 && r->unknown_ids == 1000 && r->not_sent_ids == 1500);
    /* earlier runs' outcomes join the report */
    ct_err prior;
    ct_err_set(&prior, CT_EK_HTTP, 400, 0, "refused earlier");
    ct_job_add_prior(j, CT_JO_ACCEPTED, &prior, NULL, 0, 5000);
    ct_job_add_prior(j, CT_JO_FAILED, &prior, "{\"Identity\":[\"x\"]}", 16, 1);
    CHECK(r->accepted == 5002 && r->failed_ids == 1001);
    ct_job_release(j);
    ct_engine_free(e);
}

static void test_cancel(void)
{
    journaled t;
    journaled_init(&t, (ct_lane_opts){ 2, 0, 2, -1 }, 5500);
    ct_engine *e = t.e;
    ct_job *j = journaled_start(&t);
    ct_req *a = ct_engine_next(e, 0);
    ct_req *b = ct_engine_next(e, 0);
    CHECK(a && b);
    ct_resp ok = ok_resp();
    ct_engine_complete(e, a, 0, &ok);
    ct_job_cancel(j, "stopped");
    /* done at once, the report complete: b unknown, the rest never sent (and
     * not journaled: the journal's position stays before it) */
    CHECK(ct_job_done(j) && ct_job_cancelled(j));
    const ct_report *r = ct_job_report(j);
    CHECK(r->accepted == 1000 && r->unknown_ids == 1000 && r->not_sent_ids == 3500);
    CHECK(r->accepted + r->failed_ids + r->unknown_ids + r->not_sent_ids == 5500);
    CHECK(strcmp(t.f.log, "P1:1000 P2:1000 S1+2 O1=0 O2=2 ") == 0);
    CHECK(t.f.done_calls == 1 && t.f.done_cancelled == 1);
    /* b still belongs to the transport; its answer is ignored */
    CHECK(ct_engine_inflight(e) == 1);
    ct_engine_complete(e, b, 0, &ok);
    CHECK(r->accepted == 1000 && ct_engine_inflight(e) == 0);
    CHECK(ct_engine_next(e, 0) == NULL);
    ct_job_cancel(j, "again"); /* a no-op */
    CHECK(t.f.done_calls == 1);
    ct_job_release(j);
    ct_engine_free(e);
}

/* Without an in-flight limit a journaled job builds CT_JOURNAL_AHEAD
 * batches ahead: one commit per 16 batches; those still queued at a cancel
 * were never sent and go back to planned (not unknown). */
static void test_journal_ahead(void)
{
    journaled t;
    journaled_init(&t, (ct_lane_opts){ 0, 0, 1, -1 }, 20000);
    ct_engine *e = t.e;
    ct_job *j = journaled_start(&t);
    ct_req *got[20];
    for (int k = 0; k < 17; k++) {
        got[k] = ct_engine_next(e, 0);
        CHECK(got[k] != NULL);
        CHECK(t.f.send_calls == (k < 16 ? 1 : 2));
    }
    CHECK(strstr(t.f.log, "S1+2+3+4+5+6+7+8+9+10+11+12+13+14+15+16 ") != NULL);
    CHECK(strstr(t.f.log, "P20:1000 S17+18+19+20 ") != NULL);
    ct_job_cancel(j, "stopped");
    CHECK(strstr(t.f.log, "O18=3 O19=3 O20=3 ") != NULL);
    const ct_report *r = ct_job_report(j);
    CHECK(r->unknown_ids == 17000 && r->not_sent_ids == 3000);
    ct_resp ok = ok_resp();
    for (int k = 0; k < 17; k++) ct_engine_complete(e, got[k], 0, &ok);
    CHECK(ct_engine_inflight(e) == 0);
    ct_job_release(j);
    ct_engine_free(e);
}

/* A transport whose caller must not wait (poll(0)) sets no building ahead:
 * a commit per batch, each built only when handed out. */
static void test_journal_no_ahead(void)
{
    journaled t;
    journaled_init(&t, (ct_lane_opts){ 0, 0, 1, -1 }, 3000);
    ct_engine *e = t.e;
    ct_engine_set_build_ahead(e, 0);
    ct_job *j = journaled_start(&t);
    ct_req *got[3];
    for (int k = 0; k < 3; k++) got[k] = ct_engine_next(e, 0);
    CHECK(got[0] && got[1] && got[2] && t.f.send_calls == 3);
    CHECK(strcmp(t.f.log, "P1:1000 S1 P2:1000 S2 P3:1000 S3 ") == 0);
    ct_resp ok = ok_resp();
    for (int k = 0; k < 3; k++) ct_engine_complete(e, got[k], 0, &ok);
    CHECK(ct_engine_next(e, 0) == NULL); /* reads the source's end */
    CHECK(ct_job_done(j));
    ct_job_release(j);
    ct_engine_free(e);
}

int main(void)
{
    test_journal_hooks();
    test_journal_ahead();
    test_journal_no_ahead();
    test_cancel();
    test_retry_quota();
    test_sliding_second();
    test_shutdown();
    test_batching();
    test_job_order();
    test_empty_rest_and_types();
    test_caps_and_rates();
    test_retries();
    test_unknown();
    test_bad_identity_and_release();
    test_classify();
    test_redaction();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("engine: ok\n");
    return 0;
}
