/* The send journal: an SQLite file that makes a batch send survive a crash
 * of the sending process (docs/journal.md).
 *
 * It holds the channel, the message (the encoded payload without "to",
 * once), the account id (never the passcode), the identity source's
 * position with a fingerprint of what was read, and one row per batch with
 * its identities and state: planned, in_flight, accepted, failed (with its
 * error) or unknown. The engine drives it through ct_journal_hooks; the
 * client (csrc/client) opens it for ct_client_send_opts and ct_client_resume.
 *
 * One process drives a journal at a time: opening takes an exclusive
 * flock() on the database file, released when the send is done or the
 * journal closed (or by the kernel when the process dies). */
#ifndef CT_JOURNAL_H
#define CT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ct_engine.h"

typedef struct ct_journal ct_journal;

typedef struct ct_journal_meta {
    const char *channel; /* "push", ... */
    const char *account_id;
    const char *rest; /* the encoded message without "to" */
    size_t rest_len;
    int arrays;      /* 1: the source is arrays (total known), 0: an iterator/stream */
    long long total; /* identities of an array source, -1 otherwise */
    int keep_ids;    /* 1: accepted batches keep their identities (audit) */
} ct_journal_meta;

/* A new journal at path (created; one already holding a send is refused).
 * NULL with a message in err when the file cannot be created, written,
 * locked, or is in use. Nothing is sent before this succeeds. */
ct_journal *ct_journal_create(const char *path, const ct_journal_meta *m, char *err, size_t errlen);
/* An existing journal, for a resume: locked; in_flight batches become
 * unknown (with resend_unknown: planned, like the unknown ones). */
ct_journal *ct_journal_resume(const char *path, int resend_unknown, char *err, size_t errlen);
/* Its recorded meta (strings live as long as the journal). */
const ct_journal_meta *ct_journal_get_meta(const ct_journal *jr);
/* 1 when the recorded source was read to its end. */
int ct_journal_source_read(const ct_journal *jr);

/* Wraps the job's identity source so the journal follows its position. */
void ct_journal_wrap_source(ct_journal *jr, const ct_source *inner, ct_source *out);
/* Resume: reads again the part of the source the earlier run consumed,
 * comparing its fingerprint; 0 with err when the source differs (nothing
 * sent then). */
int ct_journal_skip_read(ct_journal *jr, char *err, size_t errlen);
/* After ct_journal_skip_read: how many identities of each type it skipped. */
const long long *ct_journal_skipped(const ct_journal *jr);
/* Resume: calls fn for each outcome recorded earlier (accepted batches as
 * counts), for the report of the whole send. */
void ct_journal_prior(ct_journal *jr,
                      void (*fn)(void *ud, int outcome, const ct_err *err, const char *to, size_t to_len, size_t n),
                      void *ud);
/* The hooks for ct_job_set_journal. */
void ct_journal_hooks_of(ct_journal *jr, ct_journal_hooks *h);
/* Commits, marks the send interrupted unless it is done, unlocks and frees. */
void ct_journal_close(ct_journal *jr);

/* A journal's counts, read without taking its lock (any process). */
typedef struct ct_journal_summary {
    long long accepted, failed, unknown, in_flight, planned; /* identities */
    long long batches;
    long long sent;     /* batches sent at least once (a bad identity's row is not) */
    long long position; /* identities read from the source so far (the batches' last end) */
    long long total;    /* an array source's identities, -1 otherwise */
    int source_read;
    char state[16]; /* "running" (locked by a live process), "done", "interrupted" */
} ct_journal_summary;
int ct_journal_read_summary(const char *path, ct_journal_summary *s, char *err, size_t errlen);
/* Calls fn for each batch in `state` ("failed", "unknown", "in_flight",
 * "planned"), in order, with its identities (the "to" object as sent, NULL
 * once dropped) and error (kind and message NULL when it has none); read
 * without the lock. 0 with err when the file is not a readable journal. */
int ct_journal_read_batches(const char *path, const char *state,
                            void (*fn)(void *ud, long long n, const char *to, size_t to_len, const char *err_kind,
                                       const char *err_message),
                            void *ud, char *err, size_t errlen);

#endif
