/* A game server raising a Bulletin from C, and the other campaign calls,
 * without Lua: the call is started from a frame loop and driven by one
 * non-blocking ct_client_poll(c, 0) per frame, so the game never waits for
 * CleverTap.
 *
 *   bulletin trigger PAYLOAD.json                 raise a Bulletin (targets/trigger)
 *   bulletin create PAYLOAD.json                  create a campaign
 *   bulletin estimate [--timeout-ms N] PAYLOAD.json   its reach, nothing created
 *   bulletin list FROM TO                         campaigns, dates as YYYYMMDD
 *   bulletin stop ID
 *   bulletin result ID
 *
 * Credentials and region (or CLEVERTAP_BASE_URL) come from the environment.
 * Prints one line `ok ...` or `error kind=... ...: message`, then `body JSON`.
 * Exit: 0 the call succeeded, 1 it failed, 2 usage or setup error (an
 * invalid payload included: nothing was sent). */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clevertap_client.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, r;
    char *s = malloc(cap);
    while (s && (r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) {
            char *t = realloc(s, cap *= 2);
            if (!t) free(s);
            s = t;
        }
    }
    fclose(f);
    if (s) s[n] = '\0';
    return s;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The rest of a frame: what the game does between two polls. */
static void game_work(double ms)
{
    struct timespec ts = { 0, (long)(ms * 1e6) };
    nanosleep(&ts, NULL);
}

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s trigger|create PAYLOAD.json | estimate [--timeout-ms N] PAYLOAD.json |"
            " list FROM TO | stop ID | result ID\n",
            argv0);
    return 2;
}

static ct_call *start(ct_client *c, int argc, char **argv, char *err, size_t errlen, int *bad_usage)
{
    const char *cmd = argv[1];
    long timeout_ms = 0;
    int i = 2;
    if (strcmp(cmd, "estimate") == 0 && i + 1 < argc && strcmp(argv[i], "--timeout-ms") == 0) {
        timeout_ms = atol(argv[i + 1]);
        i += 2;
    }
    int nargs = argc - i;
    *bad_usage = 0;
    if (strcmp(cmd, "trigger") == 0 || strcmp(cmd, "create") == 0 || strcmp(cmd, "estimate") == 0) {
        if (nargs != 1) goto usage;
        char *payload = slurp(argv[i]);
        if (!payload) {
            snprintf(err, errlen, "cannot read %s", argv[i]);
            return NULL;
        }
        ct_call *k;
        /* the payload is copied (validated and encoded) before the call returns */
        if (strcmp(cmd, "trigger") == 0) k = ct_client_trigger(c, payload, err, errlen);
        else if (strcmp(cmd, "create") == 0) k = ct_client_create_campaign(c, payload, err, errlen);
        else k = ct_client_estimate(c, payload, timeout_ms, err, errlen);
        free(payload);
        return k;
    }
    if (strcmp(cmd, "list") == 0 && nargs == 2) return ct_client_list(c, atol(argv[i]), atol(argv[i + 1]), err, errlen);
    if (strcmp(cmd, "stop") == 0 && nargs == 1) return ct_client_stop(c, atoll(argv[i]), err, errlen);
    if (strcmp(cmd, "result") == 0 && nargs == 1) return ct_client_result(c, atoll(argv[i]), err, errlen);
usage:
    *bad_usage = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage(argv[0]);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* once per process, before any client */
    char err[256];
    ct_client_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.retry_base_ms = 50;
    ct_client *client = ct_client_new(&opts, err, sizeof err);
    if (!client) {
        fprintf(stderr, "client: %s\n", err);
        curl_global_cleanup();
        return 2;
    }
    int bad_usage = 0;
    ct_call *call = start(client, argc, argv, err, sizeof err, &bad_usage);
    if (!call) {
        if (bad_usage) usage(argv[0]);
        else fprintf(stderr, "%s: %s\n", argv[1], err);
        ct_client_free(client);
        curl_global_cleanup();
        return 2;
    }

    /* the frame loop: 16 ms frames, one non-blocking poll each */
    long frames = 0;
    double worst_poll = 0;
    while (!ct_client_call_done(call)) {
        double t0 = now_ms();
        ct_client_poll(client, 0);
        double spent = now_ms() - t0;
        if (spent > worst_poll) worst_poll = spent;
        frames++;
        game_work(16.0 - (spent < 16.0 ? spent : 16.0));
    }

    ct_call_response r;
    int ok = ct_client_call_response(call, &r);
    if (ok == 1)
        printf("ok status=%d id=%lld requests=%lld frames=%ld worst_poll_ms=%.2f\n", r.status, r.id, r.requests, frames,
               worst_poll);
    else
        printf("error kind=%s status=%d code=%ld retryable=%d requests=%lld frames=%ld worst_poll_ms=%.2f: %s\n",
               r.kind, r.status, r.code, r.retryable, r.requests, frames, worst_poll, r.message);
    printf("body %.*s\n", (int)r.body_len, r.body);
    ct_client_call_free(call);
    ct_client_free(client);
    curl_global_cleanup();
    return ok == 1 ? 0 : 1;
}
