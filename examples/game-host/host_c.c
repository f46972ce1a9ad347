/* Game host using the C API (no Lua): a 60 Hz frame loop that starts a
 * push to N players and calls ct_client_poll(c, 0) once per frame.
 *
 *   host_c [players]      (default 100000)
 * Credentials and the API address come from the environment:
 * CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE, CLEVERTAP_REGION or
 * CLEVERTAP_BASE_URL. Prints the frame timing (frame.h) and the send
 * report; exits 0 when the send finished and every player is accounted for. */
#include "frame.h"

#include <clevertap_client.h>
#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HZ 60
#define WORK_MS 4.0 /* simulated game logic per frame */

static const char PAYLOAD[] =
    "{\"content\":{\"title\":\"Season 3 is live\",\"body\":\"New maps, new rewards. Jump in!\"}}";

typedef struct game {
    ct_client *client;
    ct_job *job;
} game;

static int tick(void *ud)
{
    game *g = ud;
    ct_client_poll(g->client, 0); /* 0: never waits */
    return ct_client_job_done(g->job) ? 0 : 1;
}

int main(int argc, char **argv)
{
    long players = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
    if (players < 1) {
        fprintf(stderr, "usage: %s [players]\n", argv[0]);
        return 2;
    }
    /* libcurl's process-wide setup, once, before any thread or client. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "curl_global_init failed\n");
        return 1;
    }

    /* The identity arrays must outlive the job. */
    char **ids = calloc((size_t)players, sizeof *ids);
    if (!ids) return 1;
    for (long i = 0; i < players; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "player-%ld", i + 1);
        if (!(ids[i] = strdup(buf))) return 1;
    }

    char err[512];
    ct_client_opts o = { 0 };
    o.send_concurrency = 8; /* each new batch costs the poll that starts it ~0.2-0.5 ms */
    game g = { 0 };
    if (!(g.client = ct_client_new(&o, err, sizeof err))) {
        fprintf(stderr, "ct_client_new: %s\n", err);
        return 1;
    }
    ct_identity_list list = { "Identity", (const char *const *)ids, (size_t)players };
    if (!(g.job = ct_client_send(g.client, "push", PAYLOAD, &list, 1, err, sizeof err))) {
        fprintf(stderr, "ct_client_send: %s\n", err);
        return 1;
    }

    frame_stats st;
    int rc = frame_run(HZ, WORK_MS, frame_limit(HZ), tick, &g, &st);
    frame_print(&st, stdout);

    ct_send_summary s;
    ct_client_job_summary(g.job, &s);
    printf("players=%ld accepted=%lld failed=%lld unknown=%lld requests=%lld batches=%lld\n", players, s.accepted,
           s.failed, s.unknown, s.requests, s.batches_done);
    size_t n = ct_client_job_outcomes(g.job);
    for (size_t i = 0; i < n && i < 5; i++) {
        ct_send_outcome out;
        if (ct_client_job_outcome(g.job, i, &out)) {
            printf("outcome %s kind=%s status=%d count=%zu: %s\n", out.unknown ? "unknown" : "failed", out.kind,
                   out.status, out.count, out.message);
        }
    }
    int accounted = s.accepted + s.failed + s.unknown == players;
    int ok = rc == 0 && accounted;
    if (rc != 0) fprintf(stderr, "the send did not finish within %ld frames\n", frame_limit(HZ));
    if (!accounted) fprintf(stderr, "identities not accounted for\n");

    ct_client_job_free(g.job);
    ct_client_free(g.client);
    for (long i = 0; i < players; i++) free(ids[i]);
    free(ids);
    curl_global_cleanup();
    return ok ? 0 : 1;
}
