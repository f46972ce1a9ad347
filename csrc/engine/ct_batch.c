/* Batches of identities: each request of a batch job is {"to":{...},
 * followed by the payload's other members, encoded once (the job's `rest`).
 * Identities are pulled from the job's source only when a request may start,
 * so a source of any length is never held in memory. */
#include "ct_engine_int.h"
#include "ct_jstr.h"
#include "ct_sb.h"
#include "ct_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ct_id_type_names[CT_ID_NTYPES] = { "FBID", "GPID", "Email", "Identity", "objectId" };

int ct_id_type_from_name(const char *name, size_t len)
{
    for (int i = 0; i < CT_ID_NTYPES; i++)
        if (strlen(ct_id_type_names[i]) == len && memcmp(ct_id_type_names[i], name, len) == 0) return i;
    return -1;
}

const char *ct_identity_problem(const char *s, size_t len)
{
    if (!s) return "identity must be a string";
    if (len == 0) return "identity must be a non-empty string";
    if (!ct_utf8_valid(s, len, NULL)) return "identity must be valid UTF-8";
    return NULL;
}

static void bad_identity(ct_job *j, int type, const char *s, size_t len, const char *why)
{
    ct_err err;
    ct_err_set(&err, CT_EK_VALIDATION, 0, 0, "to.%s[%lld]: %s", ct_id_type_names[type], j->id_index[type], why);
    snprintf(err.pointer, sizeof err.pointer, "/to/%s/%lld", ct_id_type_names[type], j->id_index[type]);
    ct_sb b;
    ct_sb_init(&b);
    ct_sb_addc(&b, '{');
    ct_jstr_add(&b, ct_id_type_names[type], strlen(ct_id_type_names[type]), CT_JSTR_QUOTED);
    ct_sb_adds(&b, ":[");
    if (!s) s = "", len = 0;
    /* invalid UTF-8 cannot go into JSON text: report it escaped per byte */
    if (ct_utf8_valid(s, len, NULL)) {
        ct_jstr_add(&b, s, len, CT_JSTR_QUOTED);
    } else {
        ct_sb_addc(&b, '"');
        for (size_t i = 0; i < len; i++) {
            char hx[8];
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ct_sb_addc(&b, (char)c);
            else {
                snprintf(hx, sizeof hx, "\\\\x%02x", c);
                ct_sb_adds(&b, hx);
            }
        }
        ct_sb_addc(&b, '"');
    }
    ct_sb_adds(&b, "]}");
    ct_eng_add_rec(j, NULL, 0, &err, b.oom ? NULL : b.p, b.len, 1);
    ct_eng_journal_outcome(j, 0, CT_JO_FAILED, &err, b.oom ? NULL : b.p, b.len, 1);
    ct_sb_free(&b);
}

/* A run's identities into their type's list, escaped; the unusable ones
 * (only from sources not checked in advance) reported one by one. */
static void add_run(ct_job *j, const ct_idrun *run, size_t *n)
{
    int type = run->type;
    ct_sb *b = &j->types[type];
    for (size_t k = 0; k < run->n; k++) {
        const char *s = run->s[k];
        size_t len = run->len[k];
        const char *why = (j->src.checked && s) ? NULL : ct_identity_problem(s, len);
        if (why) {
            bad_identity(j, type, s, len, why);
        } else {
            if (b->len) ct_sb_addc(b, ',');
            ct_jstr_add(b, s, len, CT_JSTR_QUOTED);
            (*n)++;
        }
        j->id_index[type]++;
    }
}

/* Held (from inside an iterator): the source is not read further. A cancel
 * or a shutdown still reads an array's rest, to list it as never sent. */
static int reading_held(const ct_job *j) { return j->held && !j->cancelled && !(j->e && j->e->stopping); }

/* The request {"to":<to>, + the job's rest; NULL when out of memory (the
 * batch is then failed here). */
static ct_req *batch_request(ct_job *j, const char *to, size_t to_len, size_t n, int64_t jbatch)
{
    ct_sb body;
    ct_sb_init(&body);
    ct_sb_reserve(&body, 16 + j->rest_len + to_len);
    ct_sb_adds(&body, "{\"to\":");
    size_t to_off = body.len;
    ct_sb_add(&body, to, to_len);
    if (j->rest_empty) ct_sb_addc(&body, '}');
    else {
        ct_sb_addc(&body, ',');
        ct_sb_add(&body, j->rest, j->rest_len);
    }
    ct_req *r = ct_eng_req_new(j);
    size_t blen = 0;
    char *p = ct_sb_take(&body, &blen);
    if (!r || !p) {
        free(r);
        free(p);
        ct_err err;
        ct_err_set(&err, CT_EK_NETWORK, 0, 1, "out of memory building a request");
        ct_eng_add_rec(j, NULL, 0, &err, NULL, 0, n);
        if (jbatch > 0) ct_eng_journal_outcome(j, jbatch, CT_JO_NOT_SENT, &err, NULL, 0, n);
        return NULL;
    }
    r->body = p;
    r->body_len = blen;
    r->to_off = to_off;
    r->to_len = to_len;
    r->n_ids = n;
    r->jbatch = jbatch;
    return r;
}

ct_req *ct_batch_produce(ct_job *j)
{
    /* a resumed send: the batches its journal had planned go first, as
     * they were recorded */
    if (j->jh.ud && j->jh.next_planned && !j->released) {
        int64_t id = 0;
        const char *to = NULL;
        size_t to_len = 0, n = 0;
        if (j->jh.next_planned(j->jh.ud, &id, &to, &to_len, &n) == 1) return batch_request(j, to, to_len, n, id);
    }
    size_t n = 0;
    for (int t = 0; t < CT_ID_NTYPES; t++) j->types[t].len = 0;
    while (n < CT_BATCH_MAX && !j->src_done && !j->released && !j->cancel_pending && !reading_held(j)) {
        ct_idrun *run = j->run;
        int rc = j->src.next(j->src.ud, CT_BATCH_MAX - n, run, &j->src_err);
        if (rc == 0) {
            j->src_done = 1;
            break;
        }
        /* an empty run: the job was cancelled or held from inside its source */
        if (rc == 1 && run->n == 0 && (j->cancel_pending || j->held || j->released)) break;
        if (rc < 0 || run->type < 0 || run->type >= CT_ID_NTYPES || run->n == 0 || run->n > CT_BATCH_MAX - n) {
            if (j->src_err.kind == CT_EK_NONE)
                ct_err_set(&j->src_err, CT_EK_VALIDATION, 0, 0, "identity source failed");
            j->src_done = 1;
            break;
        }
        add_run(j, run, &n);
    }
    if (n == 0) return NULL;
    ct_sb to;
    ct_sb_init(&to);
    ct_sb_addc(&to, '{');
    int first = 1;
    for (int t = 0; t < CT_ID_NTYPES; t++) {
        if (!j->types[t].len) continue;
        if (!first) ct_sb_addc(&to, ',');
        first = 0;
        ct_sb_addc(&to, '"');
        ct_sb_adds(&to, ct_id_type_names[t]);
        ct_sb_adds(&to, "\":[");
        ct_sb_add(&to, j->types[t].p, j->types[t].len);
        ct_sb_addc(&to, ']');
    }
    ct_sb_addc(&to, '}');
    int64_t id = 0;
    /* batches built only to be listed as never sent (a cancel, a shutdown)
     * are not journaled: the journal's source position stays before them */
    if (j->jh.ud && !to.oom && !j->cancelled && !(j->e && j->e->stopping)) {
        id = j->jh.on_batch_planned(j->jh.ud, to.p, to.len, n);
        if (id < 0) {
            ct_err err;
            ct_err_set(&err, CT_EK_NETWORK, 0, 1, "the journal could not record the batch: not sent");
            if (j->src_err.kind == CT_EK_NONE) j->src_err = err;
            j->src_done = 1;
            ct_eng_add_rec(j, NULL, CT_REC_NOT_SENT, &err, to.p, to.len, n);
            ct_sb_free(&to);
            return NULL;
        }
    }
    ct_req *r = to.oom ? NULL : batch_request(j, to.p, to.len, n, id);
    if (to.oom) {
        ct_err err;
        ct_err_set(&err, CT_EK_NETWORK, 0, 1, "out of memory building a request");
        ct_eng_add_rec(j, NULL, 0, &err, NULL, 0, n);
    }
    ct_sb_free(&to);
    return r;
}
