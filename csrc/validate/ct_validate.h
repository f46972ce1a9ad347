/* Internal interface of the validation engine, shared by the Lua binding
 * (l_validate.c), the public C API (ct_validate.c) and the C client.
 *
 * Pipeline: a payload becomes a ct_value tree (ct_lua_to_value in
 * l_validate.c, ct_json_parse here), ct_walk checks it against the endpoint's
 * schema (ct_schema_for) into a ct_problems list, ct_encode writes the exact
 * JSON to send.
 *
 * `without` (the client's batching): the client sends the same message to
 * many identity batches, so it validates and encodes everything but `to`
 * once, with without = "to": the walker treats the top-level member `to` as
 * present and valid and does not walk it, the encoder leaves it out, and the
 * client prepends each batch with ct_json_prepend_member (or writes
 * `{"to":{...},` + the rest after its '{' itself). */
#ifndef CT_VALIDATE_H
#define CT_VALIDATE_H

#include <stdarg.h>
#include <stddef.h>

#include "clevertap.h"
#include "ct_sb.h"
#include "ct_schema.h"
#include "ct_value.h"

#define CT_MAX_DEPTH 64             /* nesting levels accepted in a payload */
#define CT_MAX_DEPTH_TEXT "64"
#define CT_MAX_PROBLEMS_DEFAULT 1000 /* problems kept (the count goes on) */

typedef struct ct_vopts {
    long long now;       /* epoch seconds for "in the future" checks; 0 = time(NULL) */
    const char *without; /* top-level member skipped by walker and encoder (e.g. "to"), or NULL */
    size_t max_problems; /* 0 = CT_MAX_PROBLEMS_DEFAULT */
} ct_vopts;

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

/* ---- problem list (ct_problems.c; the public accessors are in clevertap.h) */
/* Every kept problem's message starts with the readable path of its pointer
 * and ": " ("when.dnd.dnd_info.2[0]: expected HH:MM ..."); the path is built
 * here, only for problems that are kept, so callers pass the bare explanation.
 * _path variants take the walked path (member vs. index known); the others
 * read the pointer text (digits taken as indexes: for root-level problems). */
ct_problems *ct_problems_new(size_t max_kept); /* 0 = default */
void ct_problems_add(ct_problems *p, ct_severity sev, const char *pointer, size_t plen,
                     const char *msg, size_t mlen);
void ct_problems_addf(ct_problems *p, ct_severity sev, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ct_problems_add_path(ct_problems *p, ct_severity sev, const ct_path *path, const char *msg, size_t mlen);
void ct_problems_addf_path(ct_problems *p, ct_severity sev, const ct_path *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends "N more problems not shown" when some were dropped; call once at the end. */
void ct_problems_finish(ct_problems *p);
/* Empties the list for reuse (0 = default max_kept). */
void ct_problems_clear(ct_problems *p, size_t max_kept);
size_t ct_problems_warnings(const ct_problems *p);
/* Stable sort of the kept problems from index `from` on, by pointer (tokens
 * compared bytewise, array indexes numerically): Lua tables are read in hash
 * order, so conversion problems are sorted to come out deterministic. */
void ct_problems_sort_from(ct_problems *p, size_t from);

/* ---- the engine --------------------------------------------------------- */
/* Walks root against s; every problem goes to out. The tree is not const:
 * EMPTY values get their empty_as decided by the schema. */
void ct_walk(ct_value *root, const ct_schema *s, const ct_vopts *o, ct_problems *out);

/* JSON text -> ct_value (jansson; strict UTF-8, int64, duplicate keys and
 * excess depth reported). Returns NULL (after reporting) when the text is not
 * JSON. The jansson tree is kept alive through *keep (json_t*, release with
 * ct_json_release) because strings point into it. */
ct_value *ct_json_parse(ct_arena *a, const char *json, size_t len, ct_problems *out, void **keep);
void ct_json_release(void *keep);

/* Exact JSON of v (members in the tree's order: sorted bytewise), appended
 * to b; a top-level member named `without` is left out. Returns 0, or -1 when
 * the tree holds a CT_V_BAD value or memory ran out. */
int ct_encode(const ct_value *v, const char *without, ct_sb *b);
/* One JSON string literal (escaped, quotes included). */
void ct_encode_string(ct_sb *b, const char *s, size_t len);

/* ---- end to end over JSON text (public API = these with default opts) --- */
ct_problems *ct_validate_json_opts(const char *endpoint, const char *json, size_t len, const ct_vopts *o);
char *ct_encode_json_opts(const char *endpoint, const char *json, size_t len, const ct_vopts *o,
                          size_t *out_len, ct_problems **problems);

/* {"<key>":<member_json>,<rest of `rest` after its '{'> or {"<key>":<member_json>}
 * when rest is "{}". malloc'd, NUL-terminated; NULL when out of memory or
 * rest is not an object text. */
char *ct_json_prepend_member(const char *key, const char *member_json, size_t mlen, const char *rest,
                             size_t rlen, size_t *out_len);

/* The endpoints SPEC.md names, NULL-terminated (for messages). */
extern const char *const ct_endpoint_names[];

#endif
