/* A C host as one member of an account on a shared limiter (spec/limiter_redis_spec.lua):
 * CT_SENDS one-identity send jobs through the C client, whose limiter comes
 * from CLEVERTAP_LIMITER like the credentials from CLEVERTAP_*; writes
 * {"accepted":N,"failed":N,"unknown":N,"not_sent":N} to CT_OUT. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clevertap_client.h"

int main(void)
{
    const char *name = getenv("CT_NAME") ? getenv("CT_NAME") : "c";
    int n = getenv("CT_SENDS") ? atoi(getenv("CT_SENDS")) : 100;
    const char *out = getenv("CT_OUT");
    if (n <= 0 || !out) return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char err[256];
    ct_client_opts o;
    memset(&o, 0, sizeof o);
    ct_client *c = ct_client_new(&o, err, sizeof err);
    if (!c) {
        fprintf(stderr, "ct_client_new: %s\n", err);
        return 2;
    }
    /* one request first: libcurl holds requests to a new host until the
     * first answer, and the held ones would then leave together */
    const char *warm_id = "warm";
    ct_identity_list wl = { "Identity", &warm_id, 1 };
    ct_job *warm =
        ct_client_send(c, "push", "{\"content\":{\"title\":\"Hi\",\"body\":\"There\"}}", &wl, 1, err, sizeof err);
    if (!warm) return 2;
    while (!ct_client_job_done(warm)) ct_client_poll(c, 50);
    ct_client_job_free(warm);
    char(*ids)[32] = calloc((size_t)n, sizeof *ids);
    const char **ptrs = calloc((size_t)n, sizeof *ptrs);
    ct_job **jobs = calloc((size_t)n, sizeof *jobs);
    if (!ids || !ptrs || !jobs) return 2;
    for (int i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "%s-%d", name, i + 1);
        ptrs[i] = ids[i];
        ct_identity_list l = { "Identity", &ptrs[i], 1 };
        jobs[i] =
            ct_client_send(c, "push", "{\"content\":{\"title\":\"Hi\",\"body\":\"There\"}}", &l, 1, err, sizeof err);
        if (!jobs[i]) {
            fprintf(stderr, "ct_client_send: %s\n", err);
            return 2;
        }
    }
    while (ct_client_poll(c, 50) > 0) {
    }
    ct_send_summary total = { 0, 0, 0, 0, 0, 0, 0 };
    for (int i = 0; i < n; i++) {
        ct_send_summary s;
        ct_client_job_summary(jobs[i], &s);
        total.accepted += s.accepted;
        total.failed += s.failed;
        total.unknown += s.unknown;
        total.not_sent += s.not_sent;
        ct_client_job_free(jobs[i]);
    }
    ct_client_free(c);
    FILE *f = fopen(out, "w");
    if (!f) return 2;
    fprintf(f, "{\"accepted\":%lld,\"failed\":%lld,\"unknown\":%lld,\"not_sent\":%lld}\n", total.accepted, total.failed,
            total.unknown, total.not_sent);
    fclose(f);
    free(ids);
    free(ptrs);
    free(jobs);
    curl_global_cleanup();
    return 0;
}
