/* Sends one push message to identities read from a file (one per line),
 * without Lua: the C client batches them (1000 per request), keeps within
 * the API's limits, retries what may be retried, and reports every identity.
 *
 *   send [--stream] [--concurrency N] PAYLOAD.json IDS.txt
 *
 * Credentials and region (or CLEVERTAP_BASE_URL) come from the environment.
 * The loop below is what a game server's tick does: poll with a short
 * timeout, do other work, until the job is done.
 * Exit: 0 all accepted, 1 some failed or unknown, 2 usage or setup error. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clevertap_client.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t r;
    while (s && (r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *t = realloc(s, cap *= 2);
            if (!t) {
                free(s);
                s = NULL;
            }
            s = t;
        }
    }
    fclose(f);
    if (s) s[n] = '\0';
    return s;
}

/* Streaming source: one identity per line of a file, never all in memory. */
typedef struct line_src {
    FILE *f;
    char line[512];
} line_src;

static int next_line(void *ud, const char **type, const char **id, size_t *len)
{
    line_src *s = ud;
    if (!fgets(s->line, sizeof s->line, s->f)) return 0;
    size_t n = strcspn(s->line, "\r\n");
    s->line[n] = '\0';
    *type = "Identity";
    *id = s->line;
    *len = n;
    return 1;
}

int main(int argc, char **argv)
{
    int stream = 0, concurrency = 0, i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--stream") == 0) stream = 1;
        else if (strcmp(argv[i], "--concurrency") == 0 && i + 1 < argc) concurrency = atoi(argv[++i]);
        else break;
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: %s [--stream] [--concurrency N] PAYLOAD.json IDS.txt\n", argv[0]);
        return 2;
    }
    const char *payload_path = argv[i], *ids_path = argv[i + 1];
    char *payload = slurp(payload_path);
    if (!payload) {
        fprintf(stderr, "cannot read %s\n", payload_path);
        return 2;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT); /* once per process, before any client */
    char err[256];
    ct_client_opts opts;
    memset(&opts, 0, sizeof opts);
    opts.send_concurrency = concurrency;
    opts.retry_base_ms = 50;
    ct_client *client = ct_client_new(&opts, err, sizeof err);
    if (!client) {
        fprintf(stderr, "client: %s\n", err);
        free(payload);
        return 2;
    }

    ct_job *job;
    char *text = NULL;
    char **ids = NULL;
    size_t nids = 0;
    line_src src;
    src.f = NULL;
    if (stream) {
        src.f = fopen(ids_path, "r");
        if (!src.f) {
            fprintf(stderr, "cannot read %s\n", ids_path);
            ct_client_free(client);
            free(payload);
            return 2;
        }
        job = ct_client_send_stream(client, "push", payload, next_line, &src, err, sizeof err);
    } else {
        text = slurp(ids_path);
        if (!text) {
            fprintf(stderr, "cannot read %s\n", ids_path);
            ct_client_free(client);
            free(payload);
            return 2;
        }
        size_t cap = 1024;
        ids = malloc(cap * sizeof *ids);
        for (char *line = strtok(text, "\r\n"); line && ids; line = strtok(NULL, "\r\n")) {
            if (nids == cap) {
                char **t = realloc(ids, (cap *= 2) * sizeof *ids);
                if (!t) free(ids);
                ids = t;
            }
            if (ids) ids[nids++] = line;
        }
        if (!ids) {
            fprintf(stderr, "out of memory\n");
            ct_client_free(client);
            free(payload);
            free(text);
            return 2;
        }
        /* the arrays must outlive the job: they are read as batches are built */
        ct_identity_list list = { "Identity", (const char *const *)ids, nids };
        job = ct_client_send(client, "push", payload, &list, 1, err, sizeof err);
    }
    if (!job) {
        fprintf(stderr, "send: %s\n", err);
        ct_client_free(client);
        free(payload);
        free(ids);
        free(text);
        if (src.f) fclose(src.f);
        return 2;
    }

    /* the host loop: a bounded step per tick */
    long ticks = 0;
    while (!ct_client_job_done(job)) {
        ct_client_poll(client, 10);
        ticks++;
    }

    ct_send_summary s;
    ct_client_job_summary(job, &s);
    printf("accepted %lld failed %lld unknown %lld requests %lld batches %lld ticks %ld\n", s.accepted, s.failed,
           s.unknown, s.requests, s.batches_done, ticks);
    for (size_t k = 0; k < ct_client_job_outcomes(job); k++) {
        ct_send_outcome o;
        ct_client_job_outcome(job, k, &o);
        printf("%s %zu %s status=%d code=%ld retryable=%d: %s%s%s\n", o.unknown ? "unknown" : "failed", o.count, o.kind,
               o.status, o.code, o.retryable, o.message, *o.pointer ? " at " : "", o.pointer);
    }
    int rc = (s.failed || s.unknown) ? 1 : 0;
    ct_client_job_free(job);
    ct_client_free(client);
    if (src.f) fclose(src.f);
    free(ids);
    free(text);
    free(payload);
    curl_global_cleanup();
    return rc;
}
