/* The state database of creates: `targets/create` is not idempotent at the
 * API, so a client given a state path records each create under a key
 * before sending it and its outcome after, and a re-run of the same
 * campaign is answered from the record instead of creating it twice
 * (docs/journal.md, "Campaigns created once").
 *
 * A record is `sending` (written and synced before the request's first
 * byte), then `created` with the campaign id, or `unknown` when the
 * request was sent and its answer lost; a definite failure removes it.
 * A `sending` record found later is a create whose process died in flight:
 * as unknown as `unknown`.
 *
 * One SQLite file (WAL, busy timeout) may serve several processes and
 * accounts: rows are keyed by account id and create key. */
#ifndef CT_STATE_H
#define CT_STATE_H

#include <stddef.h>

typedef struct ct_state ct_state;

enum { CT_CREATE_NONE = 0, CT_CREATE_SENDING, CT_CREATE_CREATED, CT_CREATE_UNKNOWN };

/* Opens (creating the file and its table) the state database at path.
 * NULL with a message in err when it cannot be created or read. */
ct_state *ct_state_open(const char *path, char *err, size_t errlen);
void ct_state_close(ct_state *st);

/* A create's key: the campaign's name, '#', and the FNV-1a 64-bit hash of
 * the encoded body (16 hex digits). out needs name_len + 18 bytes; returns
 * the key's length, or 0 when outlen is too small. */
size_t ct_state_create_key(const char *name, size_t name_len, const char *body, size_t body_len, char *out,
                           size_t outlen);

/* The record of (account, key): *status is CT_CREATE_NONE when there is
 * none; the campaign id (created) is copied to id. 0 on success, -1 with
 * err. */
int ct_state_create_get(ct_state *st, const char *account, const char *key, int *status, char *id, size_t idlen,
                        char *err, size_t errlen);
/* Records (account, key) as status (SENDING, CREATED with id, UNKNOWN);
 * durable when it returns. 0 or -1 with err. */
int ct_state_create_put(ct_state *st, const char *account, const char *key, int status, const char *id, char *err,
                        size_t errlen);
/* Removes the record (a definite failure: nothing was created). */
int ct_state_create_forget(ct_state *st, const char *account, const char *key, char *err, size_t errlen);

#endif
