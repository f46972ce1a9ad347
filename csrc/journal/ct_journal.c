/* The send journal (ct_journal.h), on SQLite.
 *
 * Durability: WAL mode with synchronous=NORMAL. A commit is then a write()
 * into the WAL file, in the kernel's page cache once it returns: a crash of
 * the process (kill -9, abort) loses nothing committed. A power loss or
 * kernel crash can lose the transactions after the WAL's last sync (at a
 * checkpoint): the journal stays consistent but may be behind, so batches
 * sent after that point can be sent again on resume (docs/journal.md).
 *
 * Grouping: a batch becomes in_flight in a commit made just before its
 * first byte is sent; the outcomes that landed since (accepted, failed,
 * unknown) and the batch rows planned with it ride in that same commit.
 * Outcomes alone are committed every CT_JOURNAL_GROUP of them and at the end.
 *
 * Source position: the identities read from the source so far (in the
 * engine's order: FBID, GPID, Email, Identity, objectId) and a hash of
 * them. Every batch row (and every bad-identity row) records both as they
 * were after it was read, so the furthest row is where a resume continues and
 * the hash is what the prefix read again must match. */
#include "ct_journal.h"
#include "ct_fingerprint.h"
#include "ct_str.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define CT_JOURNAL_GROUP 64
#define CT_JOURNAL_VERSION 1

enum { S_INS, S_INS_IDS, S_INFLIGHT, S_STATE, S_ACCEPT, S_DROP, S_FAIL, S_BAD, S_GET, S_N };

/* A batch's identities live in their own table: its state changes then
 * rewrite a small row, not the 20 kB of its identities (SQLite rewrites a
 * whole record on UPDATE), and dropping them once accepted is one DELETE. */
static const char *const sql_of[S_N] = {
    "INSERT INTO batches(state, n, end_pos, end_hash) VALUES('planned', ?1, ?2, ?3)",
    "INSERT INTO identities(batch, ids) VALUES(?1, ?2)",
    "UPDATE batches SET state = 'in_flight' WHERE id = ?1",
    "UPDATE batches SET state = ?2 WHERE id = ?1",
    "UPDATE batches SET state = 'accepted' WHERE id = ?1",
    "DELETE FROM identities WHERE batch = ?1",
    "UPDATE batches SET state = ?2, err_kind = ?3, err_message = ?4, err_status = ?5, err_code = ?6 WHERE id = ?1",
    "INSERT INTO batches(state, n, end_pos, end_hash, err_kind, err_message, err_pointer)"
    " VALUES('failed', ?1, ?2, ?3, ?4, ?5, ?6)",
    "SELECT i.ids, b.n FROM batches b JOIN identities i ON i.batch = b.id WHERE b.id = ?1",
};

struct ct_journal {
    sqlite3 *db;
    int lock_fd;
    sqlite3_stmt *st[S_N];
    int in_tx, failed, done;
    int started; /* driving a job: closing records how its send ended */
    int pending; /* outcomes written since the last commit */
    ct_journal_meta meta;
    char *channel, *account_id, *rest;
    int source_read; /* recorded: the source was read to its end */
    /* the source, wrapped */
    ct_source inner;
    long long pos; /* identities read so far */
    uint64_t hash;
    long long row_pos;               /* pos when the last row was written */
    long long end_pos;               /* pos where the source ended, -1 = not yet */
    long long resume_pos;            /* resume: where the earlier run stopped reading */
    long long skipped[CT_ID_NTYPES]; /* resume: what was read again, by type */
    uint64_t resume_hash;
    /* resume: planned batches to send first */
    int64_t *planned;
    size_t nplanned, iplanned;
    char *cur_ids; /* the last one handed out */
};

static void seterr(char *err, size_t n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
#include <stdarg.h>
static void seterr(char *err, size_t n, const char *fmt, ...)
{
    if (!err || !n) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

static int exec(ct_journal *jr, const char *sql)
{
    if (sqlite3_exec(jr->db, sql, NULL, NULL, NULL) == SQLITE_OK) return 1;
    jr->failed = 1;
    return 0;
}

static int begin(ct_journal *jr)
{
    if (jr->in_tx) return 1;
    if (!exec(jr, "BEGIN")) return 0;
    jr->in_tx = 1;
    return 1;
}

static int commit(ct_journal *jr)
{
    if (!jr->in_tx) return !jr->failed;
    jr->in_tx = 0;
    jr->pending = 0;
    return exec(jr, "COMMIT");
}

static int step_done(ct_journal *jr, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return 1;
    jr->failed = 1;
    return 0;
}

static void meta_set(ct_journal *jr, const char *k, const char *v, size_t len)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(jr->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", -1, &s, NULL) !=
        SQLITE_OK) {
        jr->failed = 1;
        return;
    }
    sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, v, (int)len, SQLITE_STATIC);
    step_done(jr, s);
    sqlite3_finalize(s);
}

static void meta_setn(ct_journal *jr, const char *k, long long v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%lld", v);
    meta_set(jr, k, b, (size_t)n);
}

/* The meta value of k, malloc'd (NULL when absent); *len its size. */
static char *meta_get(sqlite3 *db, const char *k, size_t *len)
{
    sqlite3_stmt *s = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        v = ct_strndup((const char *)t, n);
        if (len) *len = n;
    }
    sqlite3_finalize(s);
    return v;
}

static long long meta_getn(sqlite3 *db, const char *k, long long d)
{
    char *v = meta_get(db, k, NULL);
    long long n = v ? strtoll(v, NULL, 10) : d;
    free(v);
    return n;
}

static void jr_free(ct_journal *jr)
{
    for (int i = 0; i < S_N; i++) sqlite3_finalize(jr->st[i]);
    memset(jr->st, 0, sizeof jr->st);
    if (jr->db) sqlite3_close(jr->db);
    jr->db = NULL;
    /* after SQLite let go of the file: closing another descriptor of it
     * while SQLite holds its POSIX locks would drop those */
    if (jr->lock_fd >= 0) close(jr->lock_fd);
    jr->lock_fd = -1;
}

/* Opens path for writing: the lock, then SQLite in WAL mode, the schema. */
static ct_journal *jr_open(const char *path, int create, char *err, size_t errlen)
{
    ct_journal *jr = calloc(1, sizeof *jr);
    if (!jr) {
        seterr(err, errlen, "journal: out of memory");
        return NULL;
    }
    /* owner-only: a journal holds the identities of batches not accepted
     * (and all of them with keep_ids); SQLite gives its -wal and -shm files
     * the database's mode */
    jr->lock_fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
    if (jr->lock_fd < 0) {
        seterr(err, errlen, "journal %s: cannot %s it: %s", path, create ? "create" : "open", strerror(errno));
        free(jr);
        return NULL;
    }
    if (flock(jr->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        seterr(err, errlen, "journal %s: in use by another process (one process drives a journal at a time)", path);
        jr_free(jr);
        free(jr);
        return NULL;
    }
    if (sqlite3_open_v2(path, &jr->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        seterr(err, errlen, "journal %s: %s", path, jr->db ? sqlite3_errmsg(jr->db) : "cannot open");
        jr_free(jr);
        free(jr);
        return NULL;
    }
    sqlite3_busy_timeout(jr->db, 2000);
    /* journal_mode answers the mode it is in: a directory where the -wal
     * file cannot be created leaves it at "delete" or fails */
    /* 16 kB pages: a batch's identities (about 35 kB for 1000) take 3 pages
     * instead of 9, and every page is a WAL frame written with its own
     * system calls. Only a new file takes it. */
    sqlite3_exec(jr->db, "PRAGMA page_size=16384", NULL, NULL, NULL);
    sqlite3_stmt *s = NULL;
    int wal = 0, rc = sqlite3_prepare_v2(jr->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *m = sqlite3_column_text(s, 0);
        wal = m && strcmp((const char *)m, "wal") == 0;
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_NOTADB) {
        seterr(err, errlen, "journal %s: the file exists and is not a send journal (not an SQLite database)", path);
        jr_free(jr);
        free(jr);
        return NULL;
    }
    if (!wal || sqlite3_exec(jr->db,
                             "PRAGMA synchronous=NORMAL; PRAGMA secure_delete=OFF; PRAGMA wal_autocheckpoint=2048;"
                             "PRAGMA cache_size=-16384; PRAGMA mmap_size=67108864;"
                             "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);"
                             "CREATE TABLE IF NOT EXISTS batches(id INTEGER PRIMARY KEY, state TEXT NOT NULL,"
                             " n INTEGER NOT NULL, end_pos INTEGER, end_hash INTEGER,"
                             " err_kind TEXT, err_message TEXT, err_status INTEGER, err_code INTEGER,"
                             " err_pointer TEXT);"
                             "CREATE TABLE IF NOT EXISTS identities(batch INTEGER PRIMARY KEY, ids TEXT NOT NULL);"
                             "",
                             NULL, NULL, NULL) != SQLITE_OK) {
        seterr(err, errlen, "journal %s: cannot write it: %s", path,
               wal ? sqlite3_errmsg(jr->db) : "WAL mode is not available (is its directory writable?)");
        jr_free(jr);
        free(jr);
        return NULL;
    }
    for (int i = 0; i < S_N; i++) {
        if (sqlite3_prepare_v2(jr->db, sql_of[i], -1, &jr->st[i], NULL) != SQLITE_OK) {
            seterr(err, errlen, "journal %s: %s", path, sqlite3_errmsg(jr->db));
            jr_free(jr);
            free(jr);
            return NULL;
        }
    }
    return jr;
}

ct_journal *ct_journal_create(const char *path, const ct_journal_meta *m, char *err, size_t errlen)
{
    ct_journal *jr = jr_open(path, 1, err, errlen);
    if (!jr) return NULL;
    char *had = meta_get(jr->db, "channel", NULL);
    if (had) {
        char *state = meta_get(jr->db, "state", NULL);
        seterr(err, errlen, "journal %s: already holds a send (%s): resume it, or give a new path", path,
               state ? state : "?");
        free(state);
        free(had);
        ct_journal_close(jr);
        return NULL;
    }
    begin(jr);
    meta_setn(jr, "version", CT_JOURNAL_VERSION);
    meta_set(jr, "channel", m->channel, strlen(m->channel));
    meta_set(jr, "account_id", m->account_id ? m->account_id : "", m->account_id ? strlen(m->account_id) : 0);
    meta_set(jr, "message", m->rest, m->rest_len);
    meta_set(jr, "source", m->arrays ? "arrays" : "iterator", m->arrays ? 6 : 8);
    meta_setn(jr, "total", m->total);
    meta_setn(jr, "keep_ids", m->keep_ids);
    meta_setn(jr, "source_read", 0);
    meta_set(jr, "state", "running", 7);
    if (!commit(jr)) {
        seterr(err, errlen, "journal %s: cannot write it: %s", path, sqlite3_errmsg(jr->db));
        ct_journal_close(jr);
        return NULL;
    }
    jr->meta = *m;
    jr->channel = ct_strdup(m->channel);
    jr->meta.channel = jr->channel;
    jr->meta.account_id = jr->account_id = ct_strdup(m->account_id);
    jr->meta.rest = jr->rest = NULL; /* the engine copies the message itself */
    jr->meta.rest_len = 0;
    return jr;
}

ct_journal *ct_journal_resume(const char *path, int resend_unknown, char *err, size_t errlen)
{
    if (access(path, F_OK) != 0) {
        seterr(err, errlen, "journal %s: %s", path, strerror(errno));
        return NULL;
    }
    ct_journal *jr = jr_open(path, 0, err, errlen);
    if (!jr) return NULL;
    size_t rl = 0;
    jr->channel = meta_get(jr->db, "channel", NULL);
    jr->rest = meta_get(jr->db, "message", &rl);
    jr->account_id = meta_get(jr->db, "account_id", NULL);
    char *src = meta_get(jr->db, "source", NULL);
    if (!jr->channel || !jr->rest || meta_getn(jr->db, "version", 0) != CT_JOURNAL_VERSION) {
        seterr(err, errlen, "journal %s: not a send journal of this version", path);
        free(src);
        ct_journal_close(jr);
        return NULL;
    }
    jr->meta.channel = jr->channel;
    jr->meta.rest = jr->rest;
    jr->meta.rest_len = rl;
    jr->meta.account_id = jr->account_id;
    jr->meta.arrays = src && strcmp(src, "arrays") == 0;
    free(src);
    jr->meta.total = meta_getn(jr->db, "total", -1);
    jr->meta.keep_ids = (int)meta_getn(jr->db, "keep_ids", 0);
    jr->source_read = (int)meta_getn(jr->db, "source_read", 0);
    /* where the earlier run stopped reading */
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(jr->db, "SELECT end_pos, end_hash FROM batches ORDER BY end_pos DESC LIMIT 1", -1, &s,
                           NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        jr->resume_pos = sqlite3_column_int64(s, 0);
        jr->resume_hash = (uint64_t)sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (jr->resume_pos == 0) jr->resume_hash = CT_FP_INIT;
    /* a batch in flight when the process stopped may have been processed:
     * unknown, never re-sent unless asked (then planned again) */
    begin(jr);
    exec(jr, "UPDATE batches SET state = 'unknown', err_kind = 'network', err_message = 'in flight when the"
             " sending process stopped: its outcome is unknown' WHERE state = 'in_flight'");
    if (resend_unknown) exec(jr, "UPDATE batches SET state = 'planned' WHERE state = 'unknown'");
    if (!commit(jr)) {
        seterr(err, errlen, "journal %s: cannot write it: %s", path, sqlite3_errmsg(jr->db));
        ct_journal_close(jr);
        return NULL;
    }
    size_t cap = 0;
    if (sqlite3_prepare_v2(jr->db, "SELECT id FROM batches WHERE state = 'planned' ORDER BY id", -1, &s, NULL) ==
        SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            if (jr->nplanned == cap) {
                cap = cap ? cap * 2 : 64;
                int64_t *p = realloc(jr->planned, cap * sizeof *p);
                if (!p) break;
                jr->planned = p;
            }
            jr->planned[jr->nplanned++] = sqlite3_column_int64(s, 0);
        }
    }
    sqlite3_finalize(s);
    return jr;
}

const ct_journal_meta *ct_journal_get_meta(const ct_journal *jr) { return &jr->meta; }
int ct_journal_source_read(const ct_journal *jr) { return jr->source_read; }

/* ---- the wrapped source ------------------------------------------------- */

/* A run read from the source: the position and the hash move past it. */
static void read_run(ct_journal *jr, const ct_idrun *run)
{
    for (size_t k = 0; k < run->n; k++)
        jr->hash = ct_fp_add(jr->hash, run->type, run->s[k] ? run->s[k] : "", run->s[k] ? run->len[k] : 0);
    jr->pos += (long long)run->n;
}

static int wrapped_next(void *ud, size_t max, ct_idrun *run, ct_err *err)
{
    ct_journal *jr = ud;
    if (jr->source_read) return 0; /* a resume of a source read to its end */
    int rc = jr->inner.next(jr->inner.ud, max, run, err);
    if (rc == 1) {
        read_run(jr, run);
    } else if (rc == 0) {
        /* recorded once every identity read is in a row: a cancel or a
         * shutdown reads an array's rest only to list it as never sent */
        jr->end_pos = jr->pos;
    }
    return rc;
}

/* The source was read to its end and every identity is in a row. */
static void note_source_read(ct_journal *jr)
{
    if (jr->source_read || jr->end_pos < 0 || jr->end_pos != jr->row_pos || !begin(jr)) return;
    meta_setn(jr, "source_read", 1);
    jr->source_read = 1;
}

void ct_journal_wrap_source(ct_journal *jr, const ct_source *inner, ct_source *out)
{
    jr->inner = *inner;
    jr->end_pos = -1;
    jr->row_pos = jr->resume_pos;
    jr->pos = 0;
    jr->hash = CT_FP_INIT;
    *out = *inner;
    out->next = wrapped_next;
    out->ud = jr;
}

int ct_journal_skip_read(ct_journal *jr, char *err, size_t errlen)
{
    memset(jr->skipped, 0, sizeof jr->skipped);
    jr->pos = 0;
    jr->hash = CT_FP_INIT;
    if (jr->meta.arrays && jr->inner.total >= 0 && jr->meta.total >= 0 && jr->inner.total != jr->meta.total) {
        seterr(err, errlen,
               "journal: the identities given are not the journal's (%lld identities, the journal's send had %lld)",
               jr->inner.total, jr->meta.total);
        return 0;
    }
    ct_err e;
    memset(&e, 0, sizeof e);
    ct_idrun *run = malloc(sizeof *run);
    if (!run) {
        seterr(err, errlen, "journal: out of memory");
        return 0;
    }
    while (jr->pos < jr->resume_pos) {
        long long want = jr->resume_pos - jr->pos;
        int rc = jr->inner.next(jr->inner.ud, want < CT_BATCH_MAX ? (size_t)want : CT_BATCH_MAX, run, &e);
        if (rc != 1 || run->n == 0) {
            seterr(err, errlen,
                   "journal: the identities given are not the journal's (they end after %lld, the earlier run read "
                   "%lld)%s%s",
                   jr->pos, jr->resume_pos, rc < 0 ? ": " : "", rc < 0 ? e.message : "");
            free(run);
            return 0;
        }
        read_run(jr, run);
        if (run->type >= 0 && run->type < CT_ID_NTYPES) jr->skipped[run->type] += (long long)run->n;
    }
    free(run);
    if (jr->hash != jr->resume_hash) {
        seterr(err, errlen,
               "journal: the identities given are not the journal's (the first %lld differ from those the earlier "
               "run read)",
               jr->pos);
        return 0;
    }
    return 1;
}

const long long *ct_journal_skipped(const ct_journal *jr) { return jr->skipped; }

void ct_journal_prior(ct_journal *jr,
                      void (*fn)(void *ud, int outcome, const ct_err *err, const char *to, size_t to_len, size_t n),
                      void *ud)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(jr->db,
                           "SELECT b.state, b.n, i.ids, b.err_kind, b.err_message, b.err_status, b.err_code,"
                           " b.err_pointer"
                           " FROM batches b LEFT JOIN identities i ON i.batch = b.id"
                           " WHERE b.state IN ('accepted', 'failed', 'unknown') ORDER BY b.id",
                           -1, &s, NULL) != SQLITE_OK)
        return;
    static const ct_err_kind kinds[] = { CT_EK_VALIDATION, CT_EK_HTTP,         CT_EK_API,          CT_EK_NETWORK,
                                         CT_EK_TIMEOUT,    CT_EK_RATE_LIMITED, CT_EK_NOT_COMPLETED };
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *state = (const char *)sqlite3_column_text(s, 0);
        size_t n = (size_t)sqlite3_column_int64(s, 1);
        int out = strcmp(state, "accepted") == 0 ? CT_JO_ACCEPTED
                  : strcmp(state, "failed") == 0 ? CT_JO_FAILED
                                                 : CT_JO_UNKNOWN;
        ct_err e;
        memset(&e, 0, sizeof e);
        const char *kind = (const char *)sqlite3_column_text(s, 3);
        e.kind = CT_EK_NETWORK;
        for (size_t k = 0; kind && k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(kind, ct_err_kind_name(kinds[k])) == 0) e.kind = kinds[k];
        const char *msg = (const char *)sqlite3_column_text(s, 4);
        snprintf(e.message, sizeof e.message, "%s", msg ? msg : "");
        e.status = sqlite3_column_int(s, 5);
        if (sqlite3_column_type(s, 6) != SQLITE_NULL) {
            e.has_code = 1;
            e.code = (long)sqlite3_column_int64(s, 6);
        }
        const char *ptr = (const char *)sqlite3_column_text(s, 7);
        if (ptr) snprintf(e.pointer, sizeof e.pointer, "%s", ptr);
        const char *ids = (const char *)sqlite3_column_text(s, 2);
        size_t ilen = (size_t)sqlite3_column_bytes(s, 2);
        fn(ud, out, &e, ids, ids ? ilen : 0, n);
    }
    sqlite3_finalize(s);
}

/* ---- the hooks ------------------------------------------------------------ */

static int64_t h_planned(void *ud, const char *to, size_t to_len, size_t n)
{
    ct_journal *jr = ud;
    if (!jr->db || jr->failed || !begin(jr)) return -1;
    sqlite3_stmt *s = jr->st[S_INS];
    sqlite3_bind_int64(s, 1, (sqlite3_int64)n);
    sqlite3_bind_int64(s, 2, jr->pos);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)jr->hash);
    if (!step_done(jr, s)) return -1;
    int64_t id = sqlite3_last_insert_rowid(jr->db); /* before the meta row below */
    s = jr->st[S_INS_IDS];
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, to, (int)to_len, SQLITE_STATIC);
    if (!step_done(jr, s)) return -1;
    jr->row_pos = jr->pos;
    note_source_read(jr);
    return id;
}

static int h_first_send(void *ud, const int64_t *batches, size_t n)
{
    ct_journal *jr = ud;
    if (!jr->db || jr->failed || !begin(jr)) return 0;
    sqlite3_stmt *s = jr->st[S_INFLIGHT];
    for (size_t k = 0; k < n; k++) {
        sqlite3_bind_int64(s, 1, batches[k]);
        if (!step_done(jr, s)) return 0;
    }
    return commit(jr); /* durable before the first byte is sent */
}

static void h_outcome(void *ud, int64_t batch, int outcome, const ct_err *err, const char *to, size_t to_len, size_t n)
{
    ct_journal *jr = ud;
    if (!jr->db || jr->failed || !begin(jr)) return;
    sqlite3_stmt *s;
    if (batch == 0) {
        /* a bad identity read from the source: its own failed row, at its
         * place in the source; committed with the batch read with it */
        s = jr->st[S_BAD];
        sqlite3_bind_int64(s, 1, (sqlite3_int64)n);
        sqlite3_bind_int64(s, 2, jr->pos);
        sqlite3_bind_int64(s, 3, (sqlite3_int64)jr->hash);
        sqlite3_bind_text(s, 4, ct_err_kind_name(err->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, err->message, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, err->pointer, -1, SQLITE_STATIC);
        if (!step_done(jr, s)) return;
        jr->row_pos = jr->pos;
        if (to) {
            s = jr->st[S_INS_IDS];
            sqlite3_bind_int64(s, 1, sqlite3_last_insert_rowid(jr->db));
            sqlite3_bind_text(s, 2, to, (int)to_len, SQLITE_STATIC);
            step_done(jr, s);
        }
        return;
    }
    if (outcome == CT_JO_ACCEPTED) {
        s = jr->st[S_ACCEPT];
        sqlite3_bind_int64(s, 1, batch);
        if (!jr->meta.keep_ids) {
            sqlite3_stmt *d = jr->st[S_DROP];
            sqlite3_bind_int64(d, 1, batch);
            step_done(jr, d);
        }
    } else if (outcome == CT_JO_NOT_SENT) {
        s = jr->st[S_STATE];
        sqlite3_bind_int64(s, 1, batch);
        sqlite3_bind_text(s, 2, "planned", -1, SQLITE_STATIC);
    } else {
        s = jr->st[S_FAIL];
        sqlite3_bind_int64(s, 1, batch);
        sqlite3_bind_text(s, 2, outcome == CT_JO_FAILED ? "failed" : "unknown", -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, ct_err_kind_name(err->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, err->message, -1, SQLITE_STATIC);
        if (err->status) sqlite3_bind_int(s, 5, err->status);
        if (err->has_code) sqlite3_bind_int64(s, 6, err->code);
    }
    (void)to;
    (void)to_len; /* the batch's identities were recorded when it was planned */
    step_done(jr, s);
    if (++jr->pending >= CT_JOURNAL_GROUP) commit(jr);
}

static int h_next_planned(void *ud, int64_t *batch, const char **to, size_t *to_len, size_t *n)
{
    ct_journal *jr = ud;
    free(jr->cur_ids);
    jr->cur_ids = NULL;
    while (jr->db && jr->iplanned < jr->nplanned) {
        int64_t id = jr->planned[jr->iplanned++];
        sqlite3_stmt *s = jr->st[S_GET];
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
            size_t len = (size_t)sqlite3_column_bytes(s, 0);
            jr->cur_ids = ct_strndup((const char *)sqlite3_column_text(s, 0), len);
            *n = (size_t)sqlite3_column_int64(s, 1);
        }
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        if (jr->cur_ids) {
            *batch = id;
            *to = jr->cur_ids;
            *to_len = strlen(jr->cur_ids);
            return 1;
        }
    }
    return 0;
}

static void finish(ct_journal *jr, int done)
{
    if (!jr->db) return;
    /* a resume refused before it started leaves the journal as it was */
    if (jr->started && begin(jr)) {
        const char *st = done ? "done" : "interrupted";
        meta_set(jr, "state", st, strlen(st));
    }
    commit(jr);
    jr_free(jr); /* the lock goes with it: the send is over */
}

static void h_done(void *ud, int cancelled)
{
    ct_journal *jr = ud;
    if (jr->db && !jr->failed) note_source_read(jr);
    /* done means every batch has its final outcome and the source was read */
    finish(jr, !cancelled && jr->source_read && jr->iplanned >= jr->nplanned);
}

void ct_journal_hooks_of(ct_journal *jr, ct_journal_hooks *h)
{
    memset(h, 0, sizeof *h);
    if (!jr->started && jr->db && begin(jr)) meta_set(jr, "state", "running", 7);
    jr->started = 1;
    h->ud = jr;
    h->on_batch_planned = h_planned;
    h->before_first_send = h_first_send;
    h->on_outcome = h_outcome;
    h->next_planned = h_next_planned;
    h->on_done = h_done;
}

void ct_journal_close(ct_journal *jr)
{
    if (!jr) return;
    finish(jr, 0);
    free(jr->planned);
    free(jr->cur_ids);
    free(jr->channel);
    free(jr->account_id);
    free(jr->rest);
    free(jr);
}

/* ---- reading without the lock ------------------------------------------- */

int ct_journal_read_summary(const char *path, ct_journal_summary *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        seterr(err, errlen, "journal %s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return 0;
    }
    sqlite3_busy_timeout(db, 2000);
    char *state = meta_get(db, "state", NULL);
    if (!state) {
        seterr(err, errlen, "journal %s: not a send journal", path);
        sqlite3_close(db);
        return 0;
    }
    out->source_read = (int)meta_getn(db, "source_read", 0);
    out->total = meta_getn(db, "total", -1);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(end_pos), 0) FROM batches", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        out->position = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    /* a bad identity of the source is a failed row with its pointer, never sent */
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM batches WHERE state <> 'planned'"
                           " AND NOT (state = 'failed' AND err_pointer IS NOT NULL)",
                           -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        out->sent = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT state, sum(n), count(*) FROM batches GROUP BY state", -1, &s, NULL) ==
        SQLITE_OK) {
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *st = (const char *)sqlite3_column_text(s, 0);
            long long n = sqlite3_column_int64(s, 1);
            out->batches += sqlite3_column_int64(s, 2);
            if (strcmp(st, "accepted") == 0) out->accepted = n;
            else if (strcmp(st, "failed") == 0) out->failed = n;
            else if (strcmp(st, "unknown") == 0) out->unknown = n;
            else if (strcmp(st, "in_flight") == 0) out->in_flight = n;
            else if (strcmp(st, "planned") == 0) out->planned = n;
        }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    /* "running" is only true while its process holds the lock */
    if (strcmp(state, "running") == 0) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
            free(state);
            state = ct_strdup("interrupted");
        }
        if (fd >= 0) close(fd);
    }
    snprintf(out->state, sizeof out->state, "%s", state ? state : "?");
    free(state);
    return 1;
}

int ct_journal_read_batches(const char *path, const char *state,
                            void (*fn)(void *ud, long long n, const char *to, size_t to_len, const char *err_kind,
                                       const char *err_message),
                            void *ud, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        seterr(err, errlen, "journal %s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return 0;
    }
    sqlite3_busy_timeout(db, 2000);
    char *version = meta_get(db, "version", NULL);
    if (!version) {
        seterr(err, errlen, "journal %s: not a send journal", path);
        sqlite3_close(db);
        return 0;
    }
    free(version);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT b.n, i.ids, b.err_kind, b.err_message FROM batches b"
                           " LEFT JOIN identities i ON i.batch = b.id WHERE b.state = ?1 ORDER BY b.id",
                           -1, &s, NULL) != SQLITE_OK) {
        seterr(err, errlen, "journal %s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return 0;
    }
    sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *ids = (const char *)sqlite3_column_text(s, 1);
        size_t ilen = (size_t)sqlite3_column_bytes(s, 1);
        fn(ud, sqlite3_column_int64(s, 0), ids, ids ? ilen : 0, (const char *)sqlite3_column_text(s, 2),
           (const char *)sqlite3_column_text(s, 3));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return 1;
}
