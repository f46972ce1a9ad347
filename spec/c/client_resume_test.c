/* The C API's durable sends against the sandbox: ct_client_send_opts with a
 * journal, the client freed half-way, ct_client_resume with the same lists
 * (a different list refused, a journal in use refused), ct_client_job_cancel
 * keeping the report and a resume from a stream; the sandbox's request log
 * then holds every identity exactly once. Run by spec/c/client_resume.sh
 * (argv[1]: the sandbox root, argv[2]: a scratch directory). */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <jansson.h>
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

#define N_ID 8000
#define N_EMAIL 4000
#define TOTAL (N_ID + N_EMAIL)
static const char *MSG = "{\"content\":{\"title\":\"Resume\",\"body\":\"From C\"}}";

static char *ids[N_ID], *emails[N_EMAIL];

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
    o.send_concurrency = 2;
    ct_client *c = ct_client_new(&o, err, sizeof err);
    if (!c) {
        printf("client: %s\n", err);
        exit(2);
    }
    return c;
}

static void lists(ct_identity_list l[2])
{
    l[0].type = "Identity";
    l[0].ids = (const char *const *)ids;
    l[0].count = N_ID;
    l[1].type = "Email";
    l[1].ids = (const char *const *)emails;
    l[1].count = N_EMAIL;
}

static void run(ct_client *c, ct_job *j)
{
    double t0 = now_s();
    while (!ct_client_job_done(j) && now_s() - t0 < 60) ct_client_poll(c, 10);
}

static void poll_until_batches(ct_client *c, ct_job *j, long long n)
{
    ct_send_summary s;
    double t0 = now_s();
    do {
        ct_client_poll(c, 5);
        ct_client_job_summary(j, &s);
    } while (s.batches_done < n && now_s() - t0 < 20);
}

/* Identities in outcomes of a kind (0 failed, 1 unknown, 2 not_sent). */
static long long outcome_ids(const ct_job *j, int which)
{
    long long n = 0;
    ct_send_outcome o;
    for (size_t i = 0; i < ct_client_job_outcomes(j); i++) {
        if (!ct_client_job_outcome(j, i, &o)) continue;
        int w = o.not_sent ? 2 : o.unknown ? 1 : 0;
        if (w == which) n += (long long)o.count;
    }
    return n;
}

/* A stream over the same identities, in the lists' order. */
typedef struct stream {
    size_t i;
} stream;

static int next_id(void *ud, const char **type, const char **id, size_t *len)
{
    stream *s = ud;
    if (s->i >= TOTAL) return 0;
    size_t i = s->i++;
    *type = i < N_ID ? "Identity" : "Email";
    *id = i < N_ID ? ids[i] : emails[i - N_ID];
    *len = strlen(*id);
    return 1;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    FILE *f = ud;
    return fwrite(p, size, n, f);
}

/* The sandbox's log: each identity sent at most once, and how many were. */
static long long check_log(const char *root)
{
    char url[512];
    snprintf(url, sizeof url, "%s/_sandbox/requests?path=/1/send/push.json", root);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    CHECK(curl_easy_perform(h) == CURLE_OK, "GET %s", url);
    curl_easy_cleanup(h);
    fclose(f);
    json_t *log = json_loadb(buf, len, 0, NULL);
    free(buf);
    CHECK(json_is_array(log), "the request log");
    static unsigned char seen[TOTAL];
    memset(seen, 0, sizeof seen);
    long long n = 0;
    size_t i;
    json_t *rec;
    json_array_foreach(log, i, rec) {
        json_t *body = json_loads(json_string_value(json_object_get(rec, "body")), 0, NULL);
        json_t *to = json_object_get(body, "to");
        const char *types[2] = { "Identity", "Email" };
        for (int t = 0; t < 2; t++) {
            size_t k;
            json_t *v;
            json_array_foreach(json_object_get(to, types[t]), k, v) {
                const char *s = json_string_value(v);
                int idx = atoi(s + 2) - 1; /* "u-<n>", "e-<n>" */
                size_t at = (size_t)idx + (t == 0 ? 0 : N_ID);
                CHECK(idx >= 0 && at < TOTAL, "unexpected identity %s", s);
                if (idx < 0 || at >= TOTAL) continue;
                CHECK(seen[at] == 0, "%s sent twice", s);
                seen[at]++;
                n++;
            }
        }
        json_decref(body);
    }
    json_decref(log);
    return n;
}

static void post(const char *root, const char *path, const char *body)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", root, path);
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    FILE *null = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_WRITEDATA, null);
    CHECK(curl_easy_perform(h) == CURLE_OK, "POST %s", url);
    fclose(null);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
}

int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    const char *root = argv[1];
    char db[512], db2[512];
    snprintf(db, sizeof db, "%s/send.db", argv[2]);
    snprintf(db2, sizeof db2, "%s/cancel.db", argv[2]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int i = 0; i < N_ID; i++) {
        ids[i] = malloc(16);
        snprintf(ids[i], 16, "u-%d", i + 1);
    }
    for (int i = 0; i < N_EMAIL; i++) {
        emails[i] = malloc(16);
        snprintf(emails[i], 16, "e-%d", i + 1);
    }
    char err[512];
    ct_identity_list l[2];
    lists(l);
    ct_send_summary s;
    post(root, "/_sandbox/reset", "{}");
    post(root, "/_sandbox/faults", "{\"rules\":[{\"path\":\"/1/send/push.json\",\"fault\":\"latency\",\"ms\":100}]}");

    /* a journaled send whose client is freed half-way */
    ct_client *c = client();
    ct_send_opts so;
    memset(&so, 0, sizeof so);
    so.journal = "/proc/self/no.db";
    CHECK(ct_client_send_opts(c, "push", MSG, l, 2, NULL, NULL, &so, err, sizeof err) == NULL, "unwritable journal");
    CHECK(strstr(err, "journal /proc/self/no.db") != NULL, "%s", err);
    so.journal = db;
    ct_job *j = ct_client_send_opts(c, "push", MSG, l, 2, NULL, NULL, &so, err, sizeof err);
    CHECK(j != NULL, "%s", err);
    poll_until_batches(c, j, 3);
    ct_client_free(c);
    ct_client_job_summary(j, &s);
    CHECK(s.not_sent > 0, "not_sent %lld", s.not_sent);
    CHECK(s.accepted + s.unknown + s.not_sent == TOTAL, "%lld %lld %lld", s.accepted, s.unknown, s.not_sent);
    long long first_accepted = s.accepted, first_unknown = s.unknown;
    ct_client_job_free(j);

    /* a different list is refused, nothing sent */
    c = client();
    char *keep = ids[5];
    ids[5] = "someone-else";
    CHECK(ct_client_resume(c, db, l, 2, NULL, NULL, NULL, err, sizeof err) == NULL, "a different list");
    CHECK(strstr(err, "not the journal's") != NULL, "%s", err);
    ids[5] = keep;
    CHECK(ct_client_resume(c, db, NULL, 0, NULL, NULL, NULL, err, sizeof err) == NULL, "no source");
    CHECK(strstr(err, "give them again") != NULL, "%s", err);

    /* the resume; a second one while it runs is refused */
    j = ct_client_resume(c, db, l, 2, NULL, NULL, NULL, err, sizeof err);
    CHECK(j != NULL, "%s", err);
    ct_client *c2 = client();
    CHECK(ct_client_resume(c2, db, l, 2, NULL, NULL, NULL, err, sizeof err) == NULL, "two resumers");
    CHECK(strstr(err, "in use by another process") != NULL, "%s", err);
    ct_client_free(c2);
    run(c, j);
    CHECK(ct_client_job_done(j), "resume not done");
    ct_client_job_summary(j, &s);
    CHECK(s.failed == 0 && s.not_sent == 0, "failed %lld not_sent %lld", s.failed, s.not_sent);
    CHECK(s.unknown == first_unknown, "unknown %lld, was %lld", s.unknown, first_unknown);
    CHECK(s.accepted + s.unknown == TOTAL, "accepted %lld unknown %lld", s.accepted, s.unknown);
    CHECK(s.accepted > first_accepted, "nothing more accepted");
    CHECK(outcome_ids(j, 1) == s.unknown, "unknown outcomes");
    ct_client_job_free(j);
    long long sent = check_log(root);
    CHECK(sent >= s.accepted && sent <= TOTAL, "sandbox received %lld", sent);

    /* cancel keeps the report; a stream resumes it */
    post(root, "/_sandbox/reset", "{}");
    post(root, "/_sandbox/faults", "{\"rules\":[{\"path\":\"/1/send/push.json\",\"fault\":\"latency\",\"ms\":100}]}");
    so.journal = db2;
    j = ct_client_send_opts(c, "push", MSG, l, 2, NULL, NULL, &so, err, sizeof err);
    CHECK(j != NULL, "%s", err);
    poll_until_batches(c, j, 2);
    ct_client_job_cancel(j);
    CHECK(ct_client_job_done(j), "cancel: not done at once");
    ct_client_job_summary(j, &s);
    CHECK(s.cancelled == 1, "cancelled");
    CHECK(s.accepted + s.unknown + s.not_sent == TOTAL, "%lld %lld %lld", s.accepted, s.unknown, s.not_sent);
    CHECK(s.not_sent == outcome_ids(j, 2) && s.not_sent > 0, "not_sent %lld", s.not_sent);
    long long cancel_unknown = s.unknown;
    ct_client_job_free(j);
    stream st = { 0 };
    j = ct_client_resume(c, db2, NULL, 0, next_id, &st, NULL, err, sizeof err);
    CHECK(j != NULL, "%s", err);
    run(c, j);
    ct_client_job_summary(j, &s);
    CHECK(s.accepted + s.unknown == TOTAL && s.unknown == cancel_unknown, "accepted %lld unknown %lld", s.accepted,
          s.unknown);
    ct_client_job_free(j);
    ct_client_free(c);
    /* let the requests cancelled in flight land before reading the log */
    struct timespec ts = { 0, 300000000L };
    nanosleep(&ts, NULL);
    sent = check_log(root);
    CHECK(sent <= TOTAL && sent >= TOTAL - cancel_unknown, "sandbox received %lld", sent);

    for (int i = 0; i < N_ID; i++) free(ids[i]);
    for (int i = 0; i < N_EMAIL; i++) free(emails[i]);
    curl_global_cleanup();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("client_resume: ok\n");
    return 0;
}
