/* Several threads, each with its own client, sending at the same time: what
 * docs/embedding.md says is safe (no state shared between clients; libcurl's
 * global init done once, before the threads start).
 *
 *   threads [threads] [players-per-thread]     (default 4 x 5000)
 * Credentials and the API address come from the environment as for host_c.
 * Exits 0 when every thread's send finished with every player accounted. */
#include <clevertap_client.h>
#include <curl/curl.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct worker {
    int index;
    long players;
    int ok;
    ct_send_summary s;
} worker;

static void *run(void *arg)
{
    worker *w = arg;
    char **ids = calloc((size_t)w->players, sizeof *ids);
    if (!ids) return NULL;
    for (long i = 0; i < w->players; i++) {
        char buf[48];
        snprintf(buf, sizeof buf, "thread%d-player-%ld", w->index, i + 1);
        if (!(ids[i] = strdup(buf))) return NULL;
    }
    char err[512];
    ct_client_opts o = { 0 };
    o.send_concurrency = 4;
    ct_client *c = ct_client_new(&o, err, sizeof err);
    if (!c) {
        fprintf(stderr, "thread %d: ct_client_new: %s\n", w->index, err);
        return NULL;
    }
    ct_identity_list list = { "Identity", (const char *const *)ids, (size_t)w->players };
    ct_job *j = ct_client_send(c, "push", "{\"content\":{\"title\":\"t\",\"body\":\"b\"}}", &list, 1, err, sizeof err);
    if (j) {
        for (int spins = 0; !ct_client_job_done(j) && spins < 60000; spins++) ct_client_poll(c, 5);
        ct_client_job_summary(j, &w->s);
        w->ok = ct_client_job_done(j) && w->s.accepted + w->s.failed + w->s.unknown == w->players;
        ct_client_job_free(j);
    } else {
        fprintf(stderr, "thread %d: ct_client_send: %s\n", w->index, err);
    }
    ct_client_free(c);
    for (long i = 0; i < w->players; i++) free(ids[i]);
    free(ids);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    long players = argc > 2 ? strtol(argv[2], NULL, 10) : 5000;
    if (n < 1 || n > 64 || players < 1) {
        fprintf(stderr, "usage: %s [threads] [players-per-thread]\n", argv[0]);
        return 2;
    }
    /* Once per process, before any thread uses libcurl. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return 1;
    worker *w = calloc((size_t)n, sizeof *w);
    pthread_t *t = calloc((size_t)n, sizeof *t);
    if (!w || !t) return 1;
    for (int i = 0; i < n; i++) {
        w[i].index = i;
        w[i].players = players;
        if (pthread_create(&t[i], NULL, run, &w[i]) != 0) return 1;
    }
    int ok = 1;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        printf("thread=%d accepted=%lld failed=%lld unknown=%lld requests=%lld\n", i, w[i].s.accepted, w[i].s.failed,
               w[i].s.unknown, w[i].s.requests);
        ok = ok && w[i].ok;
    }
    free(w);
    free(t);
    curl_global_cleanup();
    return ok ? 0 : 1;
}
