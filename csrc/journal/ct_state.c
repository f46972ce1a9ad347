/* The state database of creates (ct_state.h), on SQLite.
 *
 * Durability: WAL mode with synchronous=FULL: creates are few and each
 * record must hold across a power loss too (a `sending` record lost would
 * let a re-run create the campaign twice), so every commit syncs the WAL.
 * A busy timeout lets two processes sharing the file wait for each other
 * instead of failing. */
#include "ct_state.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ct_state {
    sqlite3 *db;
};

static const char *const status_name[] = { "", "sending", "created", "unknown" };

static int fail(char *err, size_t errlen, const char *what, sqlite3 *db)
{
    snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
    return -1;
}

ct_state *ct_state_open(const char *path, char *err, size_t errlen)
{
    ct_state *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "state %s: cannot open it: %s", path, st->db ? sqlite3_errmsg(st->db) : "no memory");
        ct_state_close(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, 5000);
    char *msg = NULL;
    if (sqlite3_exec(st->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE IF NOT EXISTS creates(account TEXT NOT NULL, key TEXT NOT NULL,"
                     " status TEXT NOT NULL CHECK(status IN ('sending','created','unknown')),"
                     " campaign_id TEXT, updated_at INTEGER NOT NULL, PRIMARY KEY(account, key))",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "state %s: %s", path, msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        ct_state_close(st);
        return NULL;
    }
    return st;
}

void ct_state_close(ct_state *st)
{
    if (!st) return;
    sqlite3_close(st->db);
    free(st);
}

size_t ct_state_create_key(const char *name, size_t name_len, const char *body, size_t body_len, char *out,
                           size_t outlen)
{
    /* FNV-1a: a stable, dependency-free fingerprint of the body; the name
     * beside it keeps the key readable (it is not a security boundary) */
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < body_len; i++) {
        h ^= (unsigned char)body[i];
        h *= 1099511628211ULL;
    }
    if (outlen < name_len + 18) return 0;
    memcpy(out, name, name_len);
    snprintf(out + name_len, outlen - name_len, "#%016llx", (unsigned long long)h);
    return name_len + 17;
}

int ct_state_create_get(ct_state *st, const char *account, const char *key, int *status, char *id, size_t idlen,
                        char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    *status = CT_CREATE_NONE;
    if (idlen) id[0] = '\0';
    if (sqlite3_prepare_v2(st->db, "SELECT status, campaign_id FROM creates WHERE account = ?1 AND key = ?2", -1, &s,
                           NULL) != SQLITE_OK)
        return fail(err, errlen, "state", st->db);
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        for (int i = CT_CREATE_SENDING; i <= CT_CREATE_UNKNOWN; i++)
            if (name && strcmp(name, status_name[i]) == 0) *status = i;
        const char *cid = (const char *)sqlite3_column_text(s, 1);
        if (cid && idlen) snprintf(id, idlen, "%s", cid);
    } else if (rc != SQLITE_DONE) {
        sqlite3_finalize(s);
        return fail(err, errlen, "state", st->db);
    }
    sqlite3_finalize(s);
    return 0;
}

static int exec_bound(ct_state *st, const char *sql, const char *account, const char *key, const char *status,
                      const char *id, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) return fail(err, errlen, "state", st->db);
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
    if (status) {
        sqlite3_bind_text(s, 3, status, -1, SQLITE_STATIC);
        if (id) sqlite3_bind_text(s, 4, id, -1, SQLITE_STATIC);
        else sqlite3_bind_null(s, 4);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
    }
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return fail(err, errlen, "state: cannot record the create", st->db);
    return 0;
}

int ct_state_create_put(ct_state *st, const char *account, const char *key, int status, const char *id, char *err,
                        size_t errlen)
{
    if (status < CT_CREATE_SENDING || status > CT_CREATE_UNKNOWN) {
        snprintf(err, errlen, "state: bad create status %d", status);
        return -1;
    }
    return exec_bound(st,
                      "INSERT INTO creates(account, key, status, campaign_id, updated_at) VALUES(?1, ?2, ?3, ?4, ?5)"
                      " ON CONFLICT(account, key) DO UPDATE SET status = ?3, campaign_id = ?4, updated_at = ?5",
                      account, key, status_name[status], id, err, errlen);
}

int ct_state_create_forget(ct_state *st, const char *account, const char *key, char *err, size_t errlen)
{
    return exec_bound(st, "DELETE FROM creates WHERE account = ?1 AND key = ?2", account, key, NULL, NULL, err, errlen);
}
