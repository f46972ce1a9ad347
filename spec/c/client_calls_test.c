/* The C API's campaign calls against the sandbox, past what the example
 * shows: the lifetime rules (a call freed while in flight, a client freed
 * before its calls, NULL), answers read before the end, several calls at once
 * kept within the targets limits, and validation messages with pointers.
 * Run by spec/c/client_calls.sh; built with ${SAN:-} under make sanitize. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clevertap_client.h"

static int failures;
#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            failures++;                                                                                                \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                                     \
            printf(__VA_ARGS__);                                                                                       \
            printf("\n");                                                                                              \
        }                                                                                                              \
    } while (0)

static const char *CAMPAIGN =
    "{\"name\":\"C test\",\"where\":{\"event_name\":\"App Launched\",\"from\":20240101,\"to\":20240131},"
    "\"content\":{\"title\":\"Hi\",\"body\":\"There\"},\"devices\":[\"android\"],\"when\":\"now\"}";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ct_client *client(void)
{
    char err[256];
    ct_client_opts o;
    memset(&o, 0, sizeof o);
    o.retry_base_ms = 20;
    ct_client *c = ct_client_new(&o, err, sizeof err);
    if (!c) {
        printf("client: %s\n", err);
        exit(2);
    }
    return c;
}

static void wait_all(ct_client *c, ct_call **calls, size_t n)
{
    double t0 = now_s();
    for (;;) {
        size_t done = 0;
        for (size_t i = 0; i < n; i++) done += (size_t)ct_client_call_done(calls[i]);
        if (done == n || now_s() - t0 > 20) return;
        ct_client_poll(c, 5);
    }
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char err[256];
    ct_call_response r;

    /* not done yet: -1 and out untouched; the client freed first: the call
     * is finished (kind network) and still freed afterwards */
    ct_client *c = client();
    ct_call *k = ct_client_list(c, 20240101, 20240131, err, sizeof err);
    CHECK(k != NULL, "%s", err);
    memset(&r, 0x5a, sizeof r);
    CHECK(ct_client_call_response(k, &r) == -1, "not done");
    CHECK(r.requests == 0x5a5a5a5a5a5a5a5aLL, "out touched");
    ct_client_poll(c, 0); /* the request starts, its answer is 200 ms away */
    CHECK(!ct_client_call_done(k), "done at once");
    ct_client_free(c);
    CHECK(ct_client_call_done(k), "not finished by ct_client_free");
    CHECK(ct_client_call_response(k, &r) == 0, "ok after free");
    CHECK(r.kind && strcmp(r.kind, "network") == 0, "kind %s", r.kind ? r.kind : "(null)");
    CHECK(strstr(r.message, "client was freed") != NULL, "%s", r.message);
    ct_client_call_free(k);
    ct_client_call_free(NULL);

    /* a send job outlives its client: freed first, the job is done with
     * every identity in one outcome (in flight unknown, the rest not_sent) */
    {
        static char bufs[3500][16];
        static const char *ids[3500];
        for (int i = 0; i < 3500; i++) {
            snprintf(bufs[i], sizeof bufs[i], "free-%d", i);
            ids[i] = bufs[i];
        }
        ct_identity_list lists[1] = { { "Identity", ids, 3500 } };
        ct_client_opts so;
        memset(&so, 0, sizeof so);
        so.send_rate = 1; /* one batch starts, three wait */
        c = ct_client_new(&so, err, sizeof err);
        CHECK(c != NULL, "%s", err);
        ct_job *j =
            ct_client_send(c, "push", "{\"content\":{\"title\":\"t\",\"body\":\"b\"}}", lists, 1, err, sizeof err);
        CHECK(j != NULL, "%s", err);
        ct_client_poll(c, 0);
        ct_client_free(c);
        CHECK(ct_client_job_done(j), "send job not done after ct_client_free");
        ct_send_summary sum;
        ct_client_job_summary(j, &sum);
        CHECK(sum.accepted + sum.failed + sum.unknown + sum.not_sent == 3500, "accounted %lld+%lld+%lld+%lld",
              sum.accepted, sum.failed, sum.unknown, sum.not_sent);
        CHECK(sum.not_sent > 0, "nothing listed as not sent");
        size_t n_not_sent = 0;
        ct_send_outcome out;
        for (size_t i = 0; ct_client_job_outcome(j, i, &out); i++) n_not_sent += out.not_sent ? out.count : 0;
        CHECK((long long)n_not_sent == sum.not_sent, "outcomes %zu vs %lld", n_not_sent, sum.not_sent);
        ct_client_job_free(j);
    }

    /* a call freed in flight: its answer is dropped, the client carries on */
    c = client();
    k = ct_client_create_campaign(c, CAMPAIGN, err, sizeof err);
    CHECK(k != NULL, "%s", err);
    ct_client_poll(c, 0);
    ct_client_call_free(k);
    ct_call *l = ct_client_list(c, 20000101, 20991231, err, sizeof err);
    wait_all(c, &l, 1);
    CHECK(ct_client_call_response(l, &r) == 1, "list: %s", r.message);
    CHECK(r.status == 200 && r.requests == 1, "status %d requests %lld", r.status, r.requests);
    CHECK(strstr(r.body, "\"targets\"") != NULL, "%s", r.body);
    ct_client_call_free(l);
    while (ct_client_poll(c, 5) > 0) {
    }

    /* eight calls at once: at most 3 targets requests in flight (the
     * sandbox answers a 4th with 429), two creates a second apart (the
     * sandbox refuses a second within 0.9 s): all succeed, none retried */
    ct_call *many[8];
    for (size_t i = 0; i < 6; i++) {
        many[i] = ct_client_list(c, 20240101, 20240131, err, sizeof err);
        CHECK(many[i] != NULL, "%s", err);
    }
    double t0 = now_s();
    many[6] = ct_client_create_campaign(c, CAMPAIGN, err, sizeof err);
    many[7] = ct_client_create_campaign(c, CAMPAIGN, err, sizeof err);
    CHECK(many[6] && many[7], "%s", err);
    wait_all(c, many, 8);
    double took = now_s() - t0;
    long long ids[2] = { 0, 0 };
    for (size_t i = 0; i < 8; i++) {
        int ok = ct_client_call_response(many[i], &r);
        CHECK(ok == 1, "call %zu: %s %s", i, r.kind ? r.kind : "", r.message);
        CHECK(r.requests == 1, "call %zu: %lld requests (retried)", i, r.requests);
        if (i >= 6) ids[i - 6] = r.id;
        ct_client_call_free(many[i]);
    }
    CHECK(ids[0] > 0 && ids[1] > 0 && ids[0] != ids[1], "ids %lld %lld", ids[0], ids[1]);
    CHECK(took >= 0.9, "two creates in %.2f s", took);
    printf("8 calls at once: %.2f s\n", took);
    /* the id read from the answer is the one the next call uses */
    k = ct_client_stop(c, ids[0], err, sizeof err);
    CHECK(k != NULL, "%s", err);
    wait_all(c, &k, 1);
    CHECK(ct_client_call_response(k, &r) == 1 && strcmp(r.body, "{\"status\":\"success\"}") == 0, "stop: %s %s",
          r.message, r.body);
    ct_client_call_free(k);

    /* validation: NULL, a message with the JSON pointer, nothing queued */
    k = ct_client_create_campaign(c,
                                  "{\"name\":\"x\",\"where\":{},\"content\":{\"title\":\"t\",\"body\":\"b\"},"
                                  "\"devices\":[\"toaster\"],\"when\":\"now\"}",
                                  err, sizeof err);
    CHECK(k == NULL && strstr(err, "validation: /devices/0") != NULL, "%s", err);
    k = ct_client_estimate(c, "not json", 0, err, sizeof err);
    CHECK(k == NULL && strstr(err, "validation") != NULL, "%s", err);
    k = ct_client_estimate(c, NULL, 0, err, sizeof err);
    CHECK(k == NULL && strstr(err, "validation") != NULL, "%s", err);
    k = ct_client_result(c, -3, err, sizeof err);
    CHECK(k == NULL && strstr(err, "validation: /id") != NULL, "%s", err);
    k = ct_client_trigger(NULL, "{}", err, sizeof err);
    CHECK(k == NULL && strstr(err, "client") != NULL, "%s", err);
    /* an unknown channel is refused with the send endpoints' names; a name
     * as long as the endpoint buffer is one too */
    {
        const char *one[] = { "u-1" };
        ct_identity_list l1[1] = { { "Identity", one, 1 } };
        const char *bad[] = { "fax", "", "send/push", "pushpushpushpushpushpushpushpushpush" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            ct_job *j =
                ct_client_send(c, bad[i], "{\"content\":{\"title\":\"t\",\"body\":\"b\"}}", l1, 1, err, sizeof err);
            CHECK(j == NULL && strcmp(err, "channel: must be push, webpush, email or sms") == 0, "'%s': %s", bad[i],
                  j ? "sent" : err);
        }
    }
    CHECK(ct_client_poll(c, 0) == 0, "something queued");
    /* an unknown region (given in code, so CLEVERTAP_BASE_URL does not
     * apply) is refused with every known one */
    {
        ct_client_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.region = "mars";
        ct_client *rc = ct_client_new(&ro, err, sizeof err);
        CHECK(rc == NULL && strcmp(err, "region: unknown region 'mars' (known: eu1, in1, sg1, us1, aps3, mec1)") == 0,
              "%s", rc ? "made" : err);
        ct_client_free(rc);
    }
    ct_client_free(c);

    curl_global_cleanup();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("client calls: ok\n");
    return 0;
}
