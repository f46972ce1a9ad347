/* The JSON Pointer being walked and the problem list (ct_problems.c): what
 * the walker, the JSON reader and the Lua conversion report into. */
#ifndef CT_PROBLEMS_H
#define CT_PROBLEMS_H

#include <stddef.h>

#include "clevertap.h"
#include "ct_sb.h"

/* Nesting levels accepted in a payload, the payload itself counting as one.
 * A hard limit on the whole payload, not a schema rule: it bounds the
 * converters' and the encoder's recursion, and what is under an unknown
 * member is sent too, so it is an error there as well (docs/validation.md). */
#define CT_MAX_DEPTH 64
#define CT_MAX_DEPTH_TEXT "64"
#define CT_DEPTH_MSG                                                                                                   \
    "nested too deeply: more than " CT_MAX_DEPTH_TEXT " levels (a limit for the whole payload, unknown "               \
    "members included)"

/* ---- JSON Pointer being walked ------------------------------------------- */
typedef struct ct_frame {
    const char *key; /* member name (escaped when rendered) or raw pointer text */
    size_t len;      /* key length, or array index */
    int kind;        /* 0 member, 1 index, 2 raw (already escaped, may hold several tokens) */
} ct_frame;
typedef struct ct_path {
    ct_frame *f;
    size_t n, cap;
    ct_frame fixed[CT_MAX_DEPTH + 8];
} ct_path;
void ct_path_init(ct_path *p);
void ct_path_free(ct_path *p);
ct_frame *ct_path_slot_slow(ct_path *p);
static inline void ct_path_push_key(ct_path *p, const char *key, size_t len)
{
    ct_frame *f = p->n < p->cap ? &p->f[p->n++] : ct_path_slot_slow(p);
    f->key = key;
    f->len = len;
    f->kind = 0;
}
static inline void ct_path_push_index(ct_path *p, size_t i)
{
    ct_frame *f = p->n < p->cap ? &p->f[p->n++] : ct_path_slot_slow(p);
    f->key = 0;
    f->len = i;
    f->kind = 1;
}
void ct_path_push_raw(ct_path *p, const char *raw);
static inline void ct_path_pop(ct_path *p) { p->n--; }
void ct_path_render(const ct_path *p, ct_sb *b); /* RFC 6901 ("" = root) */
/* For messages: "when.dnd.dnd_info.2[0]", "to.Identity[5]", "payload" = root. */
void ct_path_render_readable(const ct_path *p, ct_sb *b);
void ct_pointer_escape(ct_sb *b, const char *key, size_t len); /* ~ -> ~0, / -> ~1 */

/* ---- problem list (the public accessors are in clevertap.h) ------------ */
/* Every kept problem's message starts with the readable path of its pointer
 * and ": " ("when.dnd.dnd_info.2[0]: expected HH:MM ..."); the path is built
 * here, only for problems that are kept, so callers pass the bare explanation.
 * _path variants take the walked path (member vs. index known); the others
 * read the pointer text (digits taken as indexes: for root-level problems). */
ct_problems *ct_problems_new(size_t max_kept); /* 0 = keep all */
void ct_problems_add(ct_problems *p, ct_severity sev, const char *pointer, size_t plen, const char *msg, size_t mlen);
void ct_problems_addf(ct_problems *p, ct_severity sev, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ct_problems_add_path(ct_problems *p, ct_severity sev, const ct_path *path, const char *msg, size_t mlen);
void ct_problems_addf_path(ct_problems *p, ct_severity sev, const ct_path *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Empties the list for reuse (max_kept 0 = keep all). */
void ct_problems_clear(ct_problems *p, size_t max_kept);
/* Stable sort of the kept problems from index `from` on, by pointer (tokens
 * compared bytewise, array indexes numerically): Lua tables are read in hash
 * order, so conversion problems are sorted to come out deterministic. */
void ct_problems_sort_from(ct_problems *p, size_t from);

#endif
