/* The validator's walker: one for every endpoint. It checks a ct_value
 * tree against a schema (ct_schema.h) and reports EVERY problem with an
 * RFC 6901 pointer; it never stops at the first one.
 *
 * ONEOF alternatives are first tried in "trial" mode, which only counts
 * errors and how far each alternative got (no messages are formatted, no
 * EMPTY value is decided); the chosen alternative is then walked for real. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct_format.h"
#include "ct_problems.h"
#include "ct_walk.h"

#define MAX_CHAIN 8

/* ---- shared leaves --------------------------------------------------------- */
const ct_schema ct_s_any = { .kind = CT_K_ANY };
const ct_schema ct_s_string = { .kind = CT_K_STRING };
const ct_schema ct_s_nonempty = { .kind = CT_K_STRING, .flags = CT_S_NONEMPTY };
const ct_schema ct_s_integer = { .kind = CT_K_INTEGER };
const ct_schema ct_s_number = { .kind = CT_K_NUMBER };
const ct_schema ct_s_boolean = { .kind = CT_K_BOOLEAN };
const ct_schema ct_s_scalar = { .kind = CT_K_ONEOF,
                                .expect = "a string, a number or a boolean",
                                .alts = (const ct_schema *const[]){ &ct_s_string, &ct_s_number, &ct_s_boolean, NULL } };
const ct_schema ct_s_object = { .kind = CT_K_MAP };
static const ct_field no_fields[] = { CT_FIELDS_END };
const ct_schema ct_s_empty_object = { .kind = CT_K_OBJECT, .fields = no_fields };
const ct_schema ct_s_date = { .kind = CT_K_STRING, .format = CT_FMT_DATE };
const ct_schema ct_s_datetime = { .kind = CT_K_STRING, .format = CT_FMT_DATETIME };
const ct_schema ct_s_time = { .kind = CT_K_STRING, .format = CT_FMT_TIME };

/* ---- walker state -------------------------------------------------------------- */
typedef struct walker {
    ct_problems *out;
    ct_path path;
    long long now;
    const char *without;
    size_t without_len;
    const ct_value *root;
    int trial;   /* >0: count only */
    int soft;    /* >0: errors become warnings (warning-severity rules) */
    int in_key;  /* >0: checking a MAP key, not a value */
    size_t nerr; /* errors reported (real or trial) */
    int score;   /* trial: best "how far it got" of the errors counted */
    size_t base; /* trial: path depth where the ONEOF started */
    ct_sb msg;   /* scratch */
} walker;

struct ct_check {
    walker *w;
    const ct_rule *rule;
};

static void walk(walker *w, ct_value *v, const ct_schema *s);

/* The walker records EMPTY decisions (empty_as) in the tree it was handed
 * mutable; member lookups and rule callbacks see const views of that same
 * tree, so dropping the qualifier here writes only to memory we may write. */
static ct_value *walkable(const ct_value *v) { return (ct_value *)(uintptr_t)v; }

/* NUL-terminated name equal to the key bytes (no strlen, no memcmp call);
 * stops at the name's end, so a key holding a NUL byte never matches nor
 * reads past the name */
static inline int name_eq(const char *name, const char *key, size_t klen)
{
    size_t i = 0;
    while (i < klen && name[i] && name[i] == key[i]) i++;
    return i == klen && name[klen] == '\0';
}

/* levels: how far a value got before failing (ONEOF picks the furthest) */
enum { LV_TYPE = 0, LV_SHAPE = 1, LV_VALUE = 2 };

static void vreport(walker *w, ct_severity sev, int level, const char *fmt, va_list ap)
{
    if (w->soft > 0) sev = CT_SEVERITY_WARNING;
    if (sev == CT_SEVERITY_ERROR) {
        w->nerr++;
        if (w->trial) {
            int sc = (int)(w->path.n - w->base) * 4 + level;
            if (sc > w->score) w->score = sc;
        }
    }
    if (w->trial) return;
    w->msg.len = 0;
    if (w->in_key) ct_sb_adds(&w->msg, "invalid key: ");
    ct_sb_vprintf(&w->msg, fmt, ap);
    ct_problems_add_path(w->out, sev, &w->path, w->msg.p ? w->msg.p : "", w->msg.len);
}

__attribute__((format(printf, 4, 5))) static void report(walker *w, ct_severity sev, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(w, sev, level, fmt, ap);
    va_end(ap);
}

#define ERR CT_SEVERITY_ERROR
#define WARN CT_SEVERITY_WARNING

static ct_severity csev(const ct_schema *s) { return (s->flags & CT_S_SOFT) ? WARN : ERR; }

/* ---- descriptions ------------------------------------------------------------- */

static void put_enum_list(ct_sb *b, const char *const *e)
{
    size_t n = 0;
    while (e[n]) n++;
    if (n == 1) {
        ct_sb_printf(b, "\"%s\"", e[0]);
        return;
    }
    ct_sb_adds(b, "one of ");
    for (size_t i = 0; i < n; i++) ct_sb_printf(b, "%s\"%s\"", i ? ", " : "", e[i]);
}

static void put_num(ct_sb *b, double d)
{
    char t[40];
    ct_describe_number(d, t, sizeof t);
    ct_sb_adds(b, t);
}

static void put_range(ct_sb *b, const ct_schema *s)
{
    if (s->has_min && s->has_max) {
        ct_sb_adds(b, " from ");
        put_num(b, s->min);
        ct_sb_adds(b, " to ");
        put_num(b, s->max);
    } else if (s->has_min) {
        ct_sb_adds(b, " >= ");
        put_num(b, s->min);
    } else if (s->has_max) {
        ct_sb_adds(b, " <= ");
        put_num(b, s->max);
    }
}

static void describe_schema(ct_sb *b, const ct_schema *s)
{
    if (!s) s = &ct_s_any;
    if (s->expect) {
        ct_sb_adds(b, s->expect);
        return;
    }
    switch (s->kind) {
    case CT_K_ANY: ct_sb_adds(b, "any value"); break;
    case CT_K_NULL: ct_sb_adds(b, "null"); break;
    case CT_K_BOOLEAN: ct_sb_adds(b, "true or false"); break;
    case CT_K_OBJECT:
    case CT_K_VARIANT:
    case CT_K_MAP: ct_sb_adds(b, "an object"); break;
    case CT_K_ARRAY:
        ct_sb_adds(b, "an array");
        if (s->min_items && s->min_items == s->max_items) ct_sb_printf(b, " of %zu items", s->min_items);
        break;
    case CT_K_STRING:
        if (s->enums) put_enum_list(b, s->enums);
        else if (s->format) ct_sb_adds(b, ct_fmt_expect(s->format));
        else if ((s->flags & CT_S_NONEMPTY) || s->min_chars) ct_sb_adds(b, "a non-empty string");
        else ct_sb_adds(b, "a string");
        break;
    case CT_K_INTEGER:
        if (s->format) {
            ct_sb_adds(b, ct_fmt_expect(s->format));
            break;
        }
        ct_sb_adds(b, "an integer");
        put_range(b, s);
        break;
    case CT_K_NUMBER:
        ct_sb_adds(b, "a number");
        put_range(b, s);
        break;
    case CT_K_ONEOF: {
        /* "A or B or C", each distinct description once */
        size_t start = b->len, n = 0;
        for (size_t i = 0; s->alts && s->alts[i]; i++) {
            ct_sb one;
            ct_sb_init(&one);
            describe_schema(&one, s->alts[i]);
            const char *text = ct_sb_cstr(&one);
            int seen = 0;
            if (n && !b->oom) { /* out of memory, cstr is "": no offset into it */
                const char *all = ct_sb_cstr(b) + start;
                size_t tl = strlen(text);
                for (const char *q = strstr(all, text); q && !seen; q = strstr(q + 1, text))
                    seen = (q == all || strncmp(q - 4, " or ", 4) == 0) &&
                           (q[tl] == '\0' || strncmp(q + tl, " or ", 4) == 0);
            }
            if (!seen) {
                if (n++) ct_sb_adds(b, " or ");
                ct_sb_adds(b, text);
            }
            ct_sb_free(&one);
        }
        break;
    }
    }
}

/* "expected <schema>, got <value><suffix>" */
static void expected(walker *w, ct_severity sev, int level, const ct_schema *s, const ct_value *v, const char *suffix)
{
    if (w->trial) { /* nothing is formatted in trial mode */
        report(w, sev, level, "%s", "");
        return;
    }
    ct_sb b;
    ct_sb_init(&b);
    describe_schema(&b, s);
    char got[96];
    ct_value_describe(v, got, sizeof got);
    report(w, sev, level, "expected %s, got %s%s", ct_sb_cstr(&b), got, suffix ? suffix : "");
    ct_sb_free(&b);
}

/* ---- did you mean ------------------------------------------------------------- */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* optimal string alignment distance, case-insensitive; capped */
static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
    if (n > 64 || m > 64) return 99;
    size_t d[66][66];
    for (size_t i = 0; i <= n; i++) d[i][0] = i;
    for (size_t j = 0; j <= m; j++) d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            size_t x = d[i - 1][j] + 1, y = d[i][j - 1] + 1, z = d[i - 1][j - 1] + cost;
            size_t r = x < y ? x : y;
            r = r < z ? r : z;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < r)
                r = d[i - 2][j - 2] + 1;
            d[i][j] = r;
        }
    return d[n][m];
}

typedef struct {
    const char *best;
    size_t dist;
    const char *key;
    size_t klen;
} suggest;

static void suggest_init(suggest *sg, const char *key, size_t klen)
{
    sg->best = NULL;
    sg->dist = (size_t)-1;
    sg->key = key;
    sg->klen = klen;
}

static void suggest_try(suggest *sg, const char *cand)
{
    size_t m = strlen(cand);
    size_t d = edit_distance(sg->key, sg->klen, cand, m);
    size_t len = sg->klen > m ? sg->klen : m;
    size_t limit = len <= 2 ? 0 : len <= 4 ? 1 : len <= 8 ? 2 : 3;
    if (d <= limit && d < sg->dist) {
        sg->best = cand;
        sg->dist = d;
    }
}

/* ---- scalars ------------------------------------------------------------------ */

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return 0;
    return 1;
}

static void check_future(walker *w, const ct_schema *s, const ct_value *v, const ct_moment *m)
{
    if (!(s->flags & (CT_S_FUTURE | CT_S_FUTURE_WARN))) return;
    long long t;
    if (s->format == CT_FMT_EPOCH) t = v->u.i;
    else if (s->format == CT_FMT_DATE) t = ct_moment_epoch(m) + 86400 - 60; /* the whole day counts */
    else if (s->format == CT_FMT_TIME) return;
    else t = ct_moment_epoch(m);
    if (t + CT_FUTURE_SLACK >= w->now) return;
    ct_severity sev = (s->flags & CT_S_FUTURE) ? ERR : WARN;
    if (w->trial) {
        report(w, sev, LV_VALUE, "%s", "");
        return;
    }
    char got[96];
    ct_value_describe(v, got, sizeof got);
    report(w, sev, LV_VALUE, "expected a time in the future, got %s (already past)", got);
}

static void check_format(walker *w, const ct_schema *s, const ct_value *v)
{
    ct_moment m;
    char detail[96];
    int rc = ct_fmt_check(s->format, v, &m, detail, sizeof detail);
    if (rc) {
        char suffix[104];
        suffix[0] = '\0';
        if (rc == 2 && detail[0] && s->format != CT_FMT_TIME) snprintf(suffix, sizeof suffix, " (%s)", detail);
        /* the format reads better than a possible .expect override here */
        if (w->trial) report(w, csev(s), rc == 2 ? LV_VALUE : LV_SHAPE, "%s", "");
        else {
            char got[96];
            ct_value_describe(v, got, sizeof got);
            report(w, csev(s), rc == 2 ? LV_VALUE : LV_SHAPE, "expected %s, got %s%s", ct_fmt_expect(s->format), got,
                   suffix);
        }
        return;
    }
    check_future(w, s, v, &m);
}

static void walk_string(walker *w, ct_value *v, const ct_schema *s)
{
    /* A STRING node takes strings only, dates included: the API reference
     * types these fields String ("end_by_date" : "20220420") and an integer
     * would be sent as one. Fields typed Int are INTEGER nodes. */
    if (v->type != CT_V_STR) {
        if (v->type == CT_V_INT && s->format == CT_FMT_DATE && !s->expect)
            report(w, ERR, LV_TYPE,
                   "expected a string \"YYYYMMDD\", got %lld (an integer: the API reference types this field String, "
                   "write \"%lld\")",
                   (long long)v->u.i, (long long)v->u.i);
        else expected(w, ERR, LV_TYPE, s, v, NULL);
        return;
    }
    {
        const char *str = v->u.str.s;
        size_t len = v->u.str.len;
        if (s->enums) {
            size_t i;
            for (i = 0; s->enums[i]; i++)
                if (name_eq(s->enums[i], str, len)) break;
            if (!s->enums[i]) {
                if (w->trial) {
                    report(w, csev(s), LV_SHAPE, "%s", "");
                    return;
                }
                suggest sg;
                suggest_init(&sg, str, len);
                for (i = 0; s->enums[i]; i++) suggest_try(&sg, s->enums[i]);
                char sfx[96];
                sfx[0] = '\0';
                if (sg.best) snprintf(sfx, sizeof sfx, " (did you mean \"%s\"?)", sg.best);
                expected(w, csev(s), LV_SHAPE, s, v, sfx);
                return;
            }
        }
        if ((s->flags & CT_S_NONEMPTY) && is_blank(str, len)) {
            expected(w, csev(s), LV_SHAPE, &ct_s_nonempty, v, NULL);
            return;
        }
        if (s->min_chars || s->max_chars) {
            size_t chars = s->min_chars <= 1 && !s->max_chars ? len : ct_utf8_chars(str, len);
            if (chars < s->min_chars) {
                if (s->min_chars == 1) expected(w, csev(s), LV_SHAPE, &ct_s_nonempty, v, NULL);
                else report(w, csev(s), LV_VALUE, "expected at least %zu characters, got %zu", s->min_chars, chars);
            } else if (s->max_chars && chars > s->max_chars) {
                report(w, csev(s), LV_VALUE, "expected at most %zu characters, got %zu", s->max_chars, chars);
            }
        }
        if (s->max_bytes && len > s->max_bytes)
            report(w, csev(s), LV_VALUE, "expected at most %zu bytes, got %zu bytes", s->max_bytes, len);
    }
    if (s->format) check_format(w, s, v);
}

static void check_range(walker *w, const ct_schema *s, const ct_value *v, double d)
{
    int bad = (s->has_min && d < s->min) || (s->has_max && d > s->max);
    if (!bad) return;
    {
        ct_schema plain = *s;
        plain.expect = NULL;
        plain.format = CT_FMT_NONE;
        expected(w, csev(s), LV_VALUE, s->expect ? s : &plain, v, NULL);
    }
}

static void walk_integer(walker *w, ct_value *v, const ct_schema *s)
{
    if (v->type != CT_V_INT) {
        expected(w, ERR, LV_TYPE, s, v, NULL);
        return;
    }
    check_range(w, s, v, (double)v->u.i);
    if (s->format) check_format(w, s, v);
}

static void walk_number(walker *w, ct_value *v, const ct_schema *s)
{
    if (v->type != CT_V_INT && v->type != CT_V_NUM) {
        expected(w, ERR, LV_TYPE, s, v, NULL);
        return;
    }
    check_range(w, s, v, v->type == CT_V_INT ? (double)v->u.i : v->u.n);
}

/* ---- arrays --------------------------------------------------------------------- */

static int scalar_cmp(const ct_value *a, const ct_value *b, int *cmp)
{
    if (a->type == CT_V_STR && b->type == CT_V_STR) {
        size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
        int c = n ? memcmp(a->u.str.s, b->u.str.s, n) : 0;
        if (!c) c = a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
        *cmp = c;
        return 1;
    }
    if ((a->type == CT_V_INT || a->type == CT_V_NUM) && (b->type == CT_V_INT || b->type == CT_V_NUM)) {
        if (a->type == CT_V_INT && b->type == CT_V_INT) *cmp = (a->u.i > b->u.i) - (a->u.i < b->u.i);
        else {
            double x = a->type == CT_V_INT ? (double)a->u.i : a->u.n;
            double y = b->type == CT_V_INT ? (double)b->u.i : b->u.n;
            *cmp = (x > y) - (x < y);
        }
        return 1;
    }
    if (a->type == CT_V_BOOL && b->type == CT_V_BOOL) {
        *cmp = a->u.b - b->u.b;
        return 1;
    }
    if (a->type == CT_V_NULL && b->type == CT_V_NULL) {
        *cmp = 0;
        return 1;
    }
    return 0;
}

typedef struct {
    const ct_value *v;
    size_t i;
} indexed;

static int indexed_cmp(const void *x, const void *y)
{
    const indexed *a = x, *b = y;
    int c = 0;
    if (a->v->type != b->v->type) c = (int)a->v->type - (int)b->v->type;
    else if (!scalar_cmp(a->v, b->v, &c)) c = 0;
    if (!c) c = (a->i > b->i) - (a->i < b->i);
    return c;
}

static void check_unique(walker *w, ct_value *v, const ct_schema *s)
{
    ct_severity sev = (s->flags & CT_S_UNIQUE) ? csev(s) : WARN;
    size_t n = v->u.arr.n;
    ct_value **it = v->u.arr.items;
    if (n < 2) return;
    if (n <= 32) {
        for (size_t j = 1; j < n; j++)
            for (size_t i = 0; i < j; i++) {
                int c;
                if (scalar_cmp(it[i], it[j], &c) && c == 0) {
                    ct_path_push_index(&w->path, j);
                    report(w, sev, LV_VALUE, "duplicate item (same as item %zu)", i);
                    ct_path_pop(&w->path);
                    break;
                }
            }
        return;
    }
    /* sort (value, index) pairs, then report each duplicate at its index, in index order */
    indexed *ix = malloc(n * sizeof *ix);
    size_t *first = malloc(n * sizeof *first);
    if (ix && first) {
        for (size_t i = 0; i < n; i++) {
            ix[i].v = it[i];
            ix[i].i = i;
            first[i] = (size_t)-1;
        }
        qsort(ix, n, sizeof *ix, indexed_cmp);
        for (size_t k = 1; k < n; k++) {
            int c;
            const ct_value *a = ix[k - 1].v, *b = ix[k].v;
            if (a->type == b->type && scalar_cmp(a, b, &c) && c == 0)
                first[ix[k].i] = first[ix[k - 1].i] != (size_t)-1 ? first[ix[k - 1].i] : ix[k - 1].i;
        }
        for (size_t i = 0; i < n; i++)
            if (first[i] != (size_t)-1) {
                ct_path_push_index(&w->path, i);
                report(w, sev, LV_VALUE, "duplicate item (same as item %zu)", first[i]);
                ct_path_pop(&w->path);
            }
    }
    free(ix);
    free(first);
}

static void walk_array(walker *w, ct_value *v, const ct_schema *s)
{
    if (v->type == CT_V_EMPTY) {
        if (!w->trial) v->empty_as = CT_V_ARR;
    } else if (v->type != CT_V_ARR) {
        expected(w, ERR, LV_TYPE, s, v, NULL);
        return;
    }
    size_t n = v->type == CT_V_ARR ? v->u.arr.n : 0;
    if (n < s->min_items) {
        if (s->min_items == s->max_items)
            report(w, csev(s), LV_VALUE, "expected exactly %zu item%s, got %zu", s->min_items,
                   s->min_items == 1 ? "" : "s", n);
        else
            report(w, csev(s), LV_VALUE, "expected at least %zu item%s, got %zu", s->min_items,
                   s->min_items == 1 ? "" : "s", n);
    } else if (s->max_items && n > s->max_items) {
        if (s->min_items == s->max_items)
            report(w, csev(s), LV_VALUE, "expected exactly %zu item%s, got %zu", s->max_items,
                   s->max_items == 1 ? "" : "s", n);
        else
            report(w, csev(s), LV_VALUE, "expected at most %zu item%s, got %zu", s->max_items,
                   s->max_items == 1 ? "" : "s", n);
    }
    for (size_t i = 0; i < n; i++) {
        ct_path_push_index(&w->path, i);
        walk(w, v->u.arr.items[i], s->items);
        ct_path_pop(&w->path);
    }
    if ((s->flags & CT_S_ASCENDING) && n > 1) {
        for (size_t i = 1; i < n; i++) {
            int c;
            if (scalar_cmp(v->u.arr.items[i - 1], v->u.arr.items[i], &c) && c >= 0) {
                ct_path_push_index(&w->path, i);
                if (w->trial) report(w, csev(s), LV_VALUE, "%s", "");
                else {
                    char a[96], b[96];
                    ct_value_describe(v->u.arr.items[i - 1], a, sizeof a);
                    ct_value_describe(v->u.arr.items[i], b, sizeof b);
                    report(w, csev(s), LV_VALUE,
                           "expected a value after %s (items must be in increasing order), got %s", a, b);
                }
                ct_path_pop(&w->path);
            }
        }
    }
    if ((s->flags & (CT_S_UNIQUE | CT_S_UNIQUE_WARN)) && v->type == CT_V_ARR) check_unique(w, v, s);
}

/* ---- objects ------------------------------------------------------------------- */

static const ct_field *find_field(const ct_field *f, const char *key, size_t klen)
{
    if (!f) return NULL;
    for (; f->name; f++)
        if (name_eq(f->name, key, klen)) return f;
    return NULL;
}

static int is_root_without(walker *w, const ct_value *obj, const char *key, size_t klen)
{
    return w->without && obj == w->root && klen == w->without_len && memcmp(key, w->without, klen) == 0;
}

/* present for rules: given and not null (the `without` member counts as present) */
static const ct_value *member(walker *w, const ct_value *obj, const char *name, int *present)
{
    size_t len = strlen(name);
    if (is_root_without(w, obj, name, len)) {
        *present = 1;
        return NULL;
    }
    const ct_value *m = ct_obj_getn(obj, name, len);
    *present = m && m->type != CT_V_NULL;
    return m;
}

/* textual value for conditions */
static int value_text(const ct_value *v, char *buf, size_t n, const char **s, size_t *len)
{
    switch (v->type) {
    case CT_V_STR:
        *s = v->u.str.s;
        *len = v->u.str.len;
        return 1;
    case CT_V_INT: {
        char *e = buf + n, *q = e;
        uint64_t u = v->u.i < 0 ? (uint64_t)0 - (uint64_t)v->u.i : (uint64_t)v->u.i;
        do {
            *--q = (char)('0' + u % 10);
            u /= 10;
        } while (u && q > buf + 1);
        if (v->u.i < 0) *--q = '-';
        *s = q;
        *len = (size_t)(e - q);
        return 1;
    }
    case CT_V_BOOL:
        *s = v->u.b ? "true" : "false";
        *len = strlen(*s);
        return 1;
    default: return 0;
    }
}

static int cond_match(walker *w, const ct_value *obj, const ct_rule *r)
{
    int present;
    const ct_value *m = member(w, obj, r->other, &present);
    if (!r->equals) return present;
    const char *eq = r->equals;
    int neg = eq[0] == '!';
    if (neg) eq++;
    int hit = 0;
    char buf[32];
    const char *s;
    size_t len;
    if (present && m && value_text(m, buf, sizeof buf, &s, &len)) {
        const char *p = eq;
        for (;;) {
            const char *bar = strchr(p, '|');
            size_t alen = bar ? (size_t)(bar - p) : strlen(p);
            if (alen == len && memcmp(p, s, len) == 0) {
                hit = 1;
                break;
            }
            if (!bar) break;
            p = bar + 1;
        }
    }
    return neg ? !hit : hit;
}

/* " when <other> is <value>" / " unless <other> is one of ..." */
static void put_condition(ct_sb *b, walker *w, const ct_value *obj, const ct_rule *r)
{
    int present;
    const ct_value *m = member(w, obj, r->other, &present);
    if (!r->equals) {
        ct_sb_printf(b, " when \"%s\" is given", r->other);
        return;
    }
    char got[96];
    if (present && m) {
        ct_value_describe(m, got, sizeof got);
        ct_sb_printf(b, " when %s is %s", r->other, got);
        return;
    }
    /* negated condition with the member absent */
    const char *eq = r->equals[0] == '!' ? r->equals + 1 : r->equals;
    ct_sb_printf(b, " unless %s is ", r->other);
    const char *p = eq;
    int first = 1;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t alen = bar ? (size_t)(bar - p) : strlen(p);
        ct_sb_printf(b, "%s\"%.*s\"", first ? "" : (bar ? ", " : " or "), (int)alen, p);
        first = 0;
        if (!bar) break;
        p = bar + 1;
    }
}

/* Does v match s? A trial walk: nothing reported, no EMPTY decided. */
static int matches(walker *w, const ct_value *v, const ct_schema *s)
{
    int saved_trial = w->trial, saved_score = w->score;
    size_t saved_nerr = w->nerr, saved_base = w->base;
    w->trial = 1;
    w->nerr = 0;
    w->score = -1;
    w->base = w->path.n;
    walk(w, walkable(v), s);
    int ok = w->nerr == 0;
    w->trial = saved_trial;
    w->score = saved_score;
    w->nerr = saved_nerr;
    w->base = saved_base;
    return ok;
}

/* A date (YYYYMMDD, *is_date = 1) or a date-time; 0 when neither. */
static int read_moment(const ct_value *v, ct_moment *m, int *is_date)
{
    *is_date = 1;
    if (ct_fmt_parse(CT_FMT_DATE, v, m)) return 1;
    *is_date = 0;
    return ct_fmt_parse(CT_FMT_DATETIME, v, m);
}

static void not_before(walker *w, const ct_value *obj, const ct_rule *r)
{
    int pa, pb, da, db;
    const ct_value *later = member(w, obj, r->field, &pa), *earlier = member(w, obj, r->other, &pb);
    ct_moment a, b;
    if (!pa || !pb || !later || !earlier || !read_moment(later, &a, &da) || !read_moment(earlier, &b, &db)) return;
    if (r->schema && (!matches(w, later, r->schema) || !matches(w, earlier, r->schema))) return;
    long long ka = ct_days_from_civil(a.year, a.month, a.day), kb = ct_days_from_civil(b.year, b.month, b.day);
    int by_day = da || db;
    if (!by_day) {
        ka = ka * 1440 + a.hour * 60 + a.minute;
        kb = kb * 1440 + b.hour * 60 + b.minute;
    }
    if (ka >= kb) return;
    ct_path_push_key(&w->path, r->field, strlen(r->field));
    if (r->message) report(w, r->severity, LV_VALUE, "%s", r->message);
    else if (w->trial) report(w, r->severity, LV_VALUE, "%s", "");
    else if (by_day)
        report(w, r->severity, LV_VALUE, "expected a day on or after %s\"%s\" (%04d%02d%02d), got %04d%02d%02d",
               db ? "" : "the day of ", r->other, b.year, b.month, b.day, a.year, a.month, a.day);
    else
        report(w, r->severity, LV_VALUE,
               "expected a time on or after \"%s\" (%04d%02d%02d %02d:%02d), got %04d%02d%02d %02d:%02d", r->other,
               b.year, b.month, b.day, b.hour, b.minute, a.year, a.month, a.day, a.hour, a.minute);
    ct_path_pop(&w->path);
}

static void run_rules(walker *w, ct_value *obj, const ct_rule *rules)
{
    if (!rules) return;
    for (const ct_rule *r = rules; r->kind; r++) {
        ct_severity sev = r->severity;
        int present;
        switch (r->kind) {
        case CT_R_EXCLUSIVE: {
            int pa, pb;
            member(w, obj, r->field, &pa);
            member(w, obj, r->other, &pb);
            if (pa && pb) {
                ct_path_push_key(&w->path, r->other, strlen(r->other));
                if (r->message) report(w, sev, LV_VALUE, "%s", r->message);
                else report(w, sev, LV_VALUE, "cannot be combined with \"%s\": give only one of them", r->field);
                ct_path_pop(&w->path);
            }
            break;
        }
        case CT_R_REQUIRED_IF:
        case CT_R_FORBIDDEN_IF: {
            member(w, obj, r->field, &present);
            int want = r->kind == CT_R_REQUIRED_IF;
            if (present == want || !cond_match(w, obj, r)) break;
            ct_path_push_key(&w->path, r->field, strlen(r->field));
            if (r->message) report(w, sev, LV_VALUE, "%s", r->message);
            else if (w->trial) report(w, sev, LV_VALUE, "%s", "");
            else {
                ct_sb b;
                ct_sb_init(&b);
                put_condition(&b, w, obj, r);
                if (want) report(w, sev, LV_TYPE, "missing, required%s", ct_sb_cstr(&b));
                else report(w, sev, LV_VALUE, "not allowed%s", ct_sb_cstr(&b));
                ct_sb_free(&b);
            }
            ct_path_pop(&w->path);
            break;
        }
        case CT_R_AT_LEAST_ONE_OF: {
            int any = 0;
            for (const char *const *n = r->names; n && *n && !any; n++) member(w, obj, *n, &any);
            if (any) break;
            if (r->message) report(w, sev, LV_TYPE, "%s", r->message);
            else if (w->trial) report(w, sev, LV_TYPE, "%s", "");
            else {
                ct_sb b;
                ct_sb_init(&b);
                for (const char *const *n = r->names; n && *n; n++)
                    ct_sb_printf(&b, "%s\"%s\"", n == r->names ? "" : ", ", *n);
                report(w, sev, LV_TYPE, "expected at least one of %s", ct_sb_cstr(&b));
                ct_sb_free(&b);
            }
            break;
        }
        case CT_R_MATCH_IF: {
            const ct_value *m = member(w, obj, r->field, &present);
            if (!present || !m || !cond_match(w, obj, r)) break;
            ct_path_push_key(&w->path, r->field, strlen(r->field));
            if (sev == WARN) w->soft++;
            walk(w, walkable(m), r->schema);
            if (sev == WARN) w->soft--;
            ct_path_pop(&w->path);
            break;
        }
        case CT_R_REQUIRED_UNLESS: {
            /* a null .field is there (its node reports the null), a null
             * .other is not */
            int other;
            const ct_value *f = member(w, obj, r->field, &present);
            member(w, obj, r->other, &other);
            if (present || f || other) break;
            ct_path_push_key(&w->path, r->field, strlen(r->field));
            if (r->message) report(w, sev, LV_TYPE, "%s", r->message);
            else report(w, sev, LV_TYPE, "missing, required unless \"%s\" is given", r->other);
            ct_path_pop(&w->path);
            break;
        }
        case CT_R_NOT_BEFORE: not_before(w, obj, r); break;
        case CT_R_CHECK: {
            if (!r->check) break;
            ct_check cx = { w, r };
            r->check(&cx, obj, r);
            break;
        }
        }
    }
}

/* Is `key` a member some variant of VARIANT s (or of its nested variants)
 * knows? Then it is documented, only not for the variant at hand. */
static int variant_knows(const ct_schema *s, const char *key, size_t klen, int depth)
{
    if (!s || depth > MAX_CHAIN) return 0;
    if (find_field(s->fields, key, klen)) return 1;
    if (s->kind == CT_K_VARIANT && s->discriminator && name_eq(s->discriminator, key, klen)) return 1;
    if (s->kind != CT_K_VARIANT) return 0;
    for (const ct_variant *x = s->variants; x && x->value; x++)
        if (variant_knows(x->schema, key, klen, depth + 1)) return 1;
    return 0;
}

/* A member the chosen variants do not know. Documented members are not
 * "unknown": when the variant could not be chosen (`open`, the VARIANT whose
 * discriminator is missing or invalid) they are not checked, and when they
 * belong to other variants they are ignored here; both are said as such. */
static void report_unknown(walker *w, ct_value *v, const ct_member *m, const ct_schema **chain, size_t nchain,
                           const ct_schema *open)
{
    if (open && variant_knows(open, m->key, m->klen, 0)) {
        if (open->discriminator) {
            const ct_value *d = ct_obj_get(v, open->discriminator);
            report(w, WARN, LV_VALUE, "not checked: %s is %s", open->discriminator,
                   d && d->type != CT_V_NULL ? "invalid" : "missing");
        } else {
            report(w, WARN, LV_VALUE, "not checked: the kind of this object cannot be told (see its error)");
        }
        return;
    }
    for (size_t c = 0; c + 1 < nchain; c++) {
        const ct_schema *s = chain[c];
        if (s->kind != CT_K_VARIANT || !s->discriminator) continue;
        ct_sb b;
        ct_sb_init(&b);
        size_t n = 0;
        for (const ct_variant *x = s->variants; x && x->value; x++) {
            if (x->schema == chain[c + 1] || !variant_knows(x->schema, m->key, m->klen, 0)) continue;
            ct_sb_printf(&b, "%s\"%s\"", n++ ? " or " : "", x->value);
        }
        if (n) {
            const ct_value *d = ct_obj_get(v, s->discriminator);
            int given = d && d->type == CT_V_STR;
            const char *chosen = "";
            for (const ct_variant *x = s->variants; x && x->value; x++)
                if ((x->schema ? x->schema : &ct_s_empty_object) == chain[c + 1]) chosen = x->value;
            report(w, WARN, LV_VALUE, "only used when %s is %s (ignored here: %s is \"%s\"%s)", s->discriminator,
                   ct_sb_cstr(&b), s->discriminator, chosen, given ? "" : ", the default");
            ct_sb_free(&b);
            return;
        }
        ct_sb_free(&b);
    }
    suggest sg;
    suggest_init(&sg, m->key, m->klen);
    for (size_t c = 0; c < nchain; c++) {
        for (const ct_field *g = chain[c]->fields; g && g->name; g++) suggest_try(&sg, g->name);
        if (chain[c]->kind == CT_K_VARIANT && chain[c]->discriminator) suggest_try(&sg, chain[c]->discriminator);
    }
    if (sg.best) report(w, WARN, LV_VALUE, "unknown member (did you mean \"%s\"?)", sg.best);
    else report(w, WARN, LV_VALUE, "unknown member (not in the API reference)");
}

/* Members of an OBJECT, or of a VARIANT after the discriminators chose the
 * chain: chain[0] is the outermost node, chain[n-1] the most specific;
 * `open` is the VARIANT whose variant could not be chosen, or NULL. */
static void walk_members(walker *w, ct_value *v, const ct_schema **chain, size_t nchain, const ct_schema *open)
{
    size_t n = v->type == CT_V_OBJ ? v->u.obj.n : 0;
    const ct_schema *extra = NULL;
    for (size_t c = 0; c < nchain; c++)
        if (chain[c]->extra) extra = chain[c]->extra;
    for (size_t i = 0; i < n; i++) {
        ct_member *m = &v->u.obj.members[i];
        if (is_root_without(w, v, m->key, m->klen)) continue; /* left to the caller */
        const ct_field *f = NULL;
        for (size_t c = nchain; c-- > 0 && !f;) f = find_field(chain[c]->fields, m->key, m->klen);
        if (f) {
            if (m->val->type == CT_V_NULL && (f->flags & CT_NULLABLE)) continue;
            ct_path_push_key(&w->path, m->key, m->klen);
            walk(w, m->val, f->schema);
            ct_path_pop(&w->path);
            continue;
        }
        int is_disc = 0;
        for (size_t c = 0; c < nchain && !is_disc; c++)
            if (chain[c]->kind == CT_K_VARIANT && chain[c]->discriminator &&
                name_eq(chain[c]->discriminator, m->key, m->klen))
                is_disc = 1;
        if (is_disc) continue;
        ct_path_push_key(&w->path, m->key, m->klen);
        if (extra) {
            walk(w, m->val, extra);
        } else if (!w->trial) {
            report_unknown(w, v, m, chain, nchain, open);
        }
        ct_path_pop(&w->path);
    }
    /* required members */
    for (size_t c = 0; c < nchain; c++) {
        for (const ct_field *f = chain[c]->fields; f && f->name; f++) {
            if (!(f->flags & (CT_REQUIRED | CT_REQUIRED_SOFT))) continue;
            size_t klen = strlen(f->name);
            int overridden = 0;
            for (size_t d = c + 1; d < nchain && !overridden; d++)
                if (find_field(chain[d]->fields, f->name, klen)) overridden = 1;
            if (overridden || is_root_without(w, v, f->name, klen)) continue;
            const ct_value *m = ct_obj_getn(v, f->name, klen);
            if (m && !(m->type == CT_V_NULL && (f->flags & CT_NULLABLE))) continue;
            ct_path_push_key(&w->path, f->name, klen);
            report(w, (f->flags & CT_REQUIRED) ? ERR : WARN, LV_TYPE, "%s",
                   f->schema && f->schema->missing ? f->schema->missing : "missing required member");
            ct_path_pop(&w->path);
        }
    }
    for (size_t c = 0; c < nchain; c++) run_rules(w, v, chain[c]->rules);
}

static const ct_schema *variant_named(const ct_schema *s, const char *name)
{
    if (!name) return NULL;
    for (const ct_variant *x = s->variants; x && x->value; x++)
        if (strcmp(x->value, name) == 0) return x->schema ? x->schema : &ct_s_empty_object;
    return NULL;
}

static void put_variant_values(ct_sb *b, const ct_schema *s)
{
    size_t n = 0;
    for (const ct_variant *x = s->variants; x && x->value; x++) n++;
    if (n > 1) ct_sb_adds(b, "one of ");
    size_t i = 0;
    for (const ct_variant *x = s->variants; x && x->value; x++, i++)
        ct_sb_printf(b, "%s\"%s\"", i ? ", " : "", x->value);
}

/* Picks the variant of `s` for object v; NULL (after reporting) when none. */
static const ct_schema *pick_variant(walker *w, ct_value *v, const ct_schema *s)
{
    if (s->flags & CT_S_BY_PRESENCE) {
        for (const ct_variant *x = s->variants; x && x->value; x++)
            if (ct_obj_get(v, x->value)) return x->schema ? x->schema : &ct_s_empty_object;
        const ct_schema *d = variant_named(s, s->default_variant);
        if (d) return d;
        if (w->trial) report(w, ERR, LV_TYPE, "%s", "");
        else {
            ct_sb b;
            ct_sb_init(&b);
            for (const ct_variant *x = s->variants; x && x->value; x++)
                ct_sb_printf(&b, "%s\"%s\"", x == s->variants ? "" : ", ", x->value);
            report(w, ERR, LV_TYPE, "expected at least one of %s", ct_sb_cstr(&b));
            ct_sb_free(&b);
        }
        return NULL;
    }
    const char *disc = s->discriminator;
    if (!disc) return NULL;
    const ct_value *d = ct_obj_get(v, disc);
    if (!d || d->type == CT_V_NULL) {
        const ct_schema *def = variant_named(s, s->default_variant);
        if (def) return def;
        ct_path_push_key(&w->path, disc, strlen(disc));
        if (w->trial) report(w, ERR, LV_TYPE, "%s", "");
        else {
            ct_sb b;
            ct_sb_init(&b);
            put_variant_values(&b, s);
            report(w, ERR, LV_TYPE, "missing required member (%s)", ct_sb_cstr(&b));
            ct_sb_free(&b);
        }
        ct_path_pop(&w->path);
        return NULL;
    }
    if (d->type == CT_V_STR) {
        for (const ct_variant *x = s->variants; x && x->value; x++)
            if (name_eq(x->value, d->u.str.s, d->u.str.len)) return x->schema ? x->schema : &ct_s_empty_object;
    }
    ct_path_push_key(&w->path, disc, strlen(disc));
    if (w->trial) report(w, ERR, d->type == CT_V_STR ? LV_SHAPE : LV_TYPE, "%s", "");
    else {
        ct_sb b;
        ct_sb_init(&b);
        put_variant_values(&b, s);
        char got[96], sfx[96];
        ct_value_describe(d, got, sizeof got);
        sfx[0] = '\0';
        if (d->type == CT_V_STR) {
            suggest sg;
            suggest_init(&sg, d->u.str.s, d->u.str.len);
            for (const ct_variant *x = s->variants; x && x->value; x++) suggest_try(&sg, x->value);
            if (sg.best) snprintf(sfx, sizeof sfx, " (did you mean \"%s\"?)", sg.best);
        }
        report(w, ERR, d->type == CT_V_STR ? LV_SHAPE : LV_TYPE, "expected %s, got %s%s", ct_sb_cstr(&b), got, sfx);
        ct_sb_free(&b);
    }
    ct_path_pop(&w->path);
    return NULL;
}

static void walk_object(walker *w, ct_value *v, const ct_schema *s)
{
    if (v->type == CT_V_EMPTY) {
        if (!w->trial) v->empty_as = CT_V_OBJ;
    } else if (v->type != CT_V_OBJ) {
        expected(w, ERR, LV_TYPE, s, v, NULL);
        return;
    }
    const ct_schema *chain[MAX_CHAIN];
    size_t n = 0;
    chain[n++] = s;
    const ct_schema *cur = s, *open = NULL;
    while (cur->kind == CT_K_VARIANT && n < MAX_CHAIN) {
        const ct_schema *next = pick_variant(w, v, cur);
        if (!next) {
            open = cur;
            break;
        }
        chain[n++] = next;
        cur = next;
    }
    walk_members(w, v, chain, n, open);
}

static void walk_map(walker *w, ct_value *v, const ct_schema *s)
{
    if (v->type == CT_V_EMPTY) {
        if (!w->trial) v->empty_as = CT_V_OBJ;
    } else if (v->type != CT_V_OBJ) {
        expected(w, ERR, LV_TYPE, s, v, NULL);
        return;
    }
    size_t n = v->type == CT_V_OBJ ? v->u.obj.n : 0;
    if (n < s->min_items)
        report(w, csev(s), LV_VALUE, "expected at least %zu member%s, got %zu", s->min_items,
               s->min_items == 1 ? "" : "s", n);
    else if (s->max_items && n > s->max_items)
        report(w, csev(s), LV_VALUE, "expected at most %zu member%s, got %zu", s->max_items,
               s->max_items == 1 ? "" : "s", n);
    for (size_t i = 0; i < n; i++) {
        ct_member *m = &v->u.obj.members[i];
        ct_path_push_key(&w->path, m->key, m->klen);
        if (s->keys) {
            ct_value k = { .type = CT_V_STR };
            k.u.str.s = m->key;
            k.u.str.len = m->klen;
            w->in_key++;
            walk(w, &k, s->keys);
            w->in_key--;
        }
        if (s->values) walk(w, m->val, s->values);
        ct_path_pop(&w->path);
    }
    run_rules(w, v, s->rules);
}

/* ---- ONEOF ---------------------------------------------------------------------- */

static void walk_oneof(walker *w, ct_value *v, const ct_schema *s)
{
    if (!s->alts || !s->alts[0]) return;
    int saved_trial = w->trial, saved_score = w->score;
    size_t saved_nerr = w->nerr, saved_base = w->base;
    int best = -1, best_score = -1, ties = 0, winner = -1;
    size_t best_err = (size_t)-1;
    for (int i = 0; s->alts[i]; i++) {
        w->trial = 1;
        w->nerr = 0;
        w->score = -1;
        w->base = w->path.n;
        walk(w, v, s->alts[i]);
        if (w->nerr == 0) {
            winner = i;
            break;
        }
        if (w->score > best_score || (w->score == best_score && w->nerr < best_err)) {
            best = i;
            best_score = w->score;
            best_err = w->nerr;
            ties = 1;
        } else if (w->score == best_score) {
            ties++;
        }
    }
    w->trial = saved_trial;
    w->score = saved_score;
    w->nerr = saved_nerr;
    w->base = saved_base;
    if (winner >= 0) {
        walk(w, v, s->alts[winner]);
        return;
    }
    if (best_score <= LV_SHAPE || (ties > 1 && best_score <= LV_VALUE && s->expect)) {
        /* the value itself matches no alternative: one message listing them */
        expected(w, ERR, best_score < 0 ? LV_TYPE : best_score, s, v, NULL);
        return;
    }
    walk(w, v, s->alts[best]);
}

/* ---- dispatch ------------------------------------------------------------------ */

static void walk(walker *w, ct_value *v, const ct_schema *s)
{
    if (!v || v->type == CT_V_BAD) return;
    if (!s) s = &ct_s_any;
    size_t before = w->nerr;
    switch (s->kind) {
    case CT_K_ANY: break;
    case CT_K_NULL:
        if (v->type != CT_V_NULL) expected(w, ERR, LV_TYPE, s, v, NULL);
        break;
    case CT_K_BOOLEAN:
        if (v->type != CT_V_BOOL) expected(w, ERR, LV_TYPE, s, v, NULL);
        break;
    case CT_K_STRING: walk_string(w, v, s); break;
    case CT_K_INTEGER: walk_integer(w, v, s); break;
    case CT_K_NUMBER: walk_number(w, v, s); break;
    case CT_K_ARRAY: walk_array(w, v, s); break;
    case CT_K_OBJECT:
    case CT_K_VARIANT: walk_object(w, v, s); break; /* rules run in walk_members */
    case CT_K_MAP: walk_map(w, v, s); break;        /* and in walk_map */
    case CT_K_ONEOF: walk_oneof(w, v, s); break;    /* alternatives have their own */
    }
    if (w->nerr == before && s->rules &&
        (s->kind == CT_K_ANY || s->kind == CT_K_NULL || s->kind == CT_K_BOOLEAN || s->kind == CT_K_STRING ||
         s->kind == CT_K_INTEGER || s->kind == CT_K_NUMBER || s->kind == CT_K_ARRAY))
        run_rules(w, v, s->rules);
    if (s->note && w->nerr == before) report(w, WARN, LV_VALUE, "%s", s->note);
}

void ct_walk(ct_value *root, const ct_schema *s, const ct_vopts *o, ct_problems *out)
{
    walker w;
    memset(&w, 0, sizeof w);
    w.out = out;
    ct_path_init(&w.path);
    ct_sb_init(&w.msg);
    w.now = o && o->now ? o->now : (long long)time(NULL);
    w.without = o ? o->without : NULL;
    w.without_len = w.without ? strlen(w.without) : 0;
    w.root = root;
    w.score = -1;
    walk(&w, root, s);
    ct_path_free(&w.path);
    ct_sb_free(&w.msg);
}

/* ---- CHECK context --------------------------------------------------------------- */

static void check_vreport(ct_check *cx, ct_severity sev, const char *rel, const char *fmt, va_list ap)
{
    walker *w = cx->w;
    ct_path_push_raw(&w->path, rel);
    vreport(w, sev, LV_VALUE, fmt, ap);
    ct_path_pop(&w->path);
}

void ct_check_report(ct_check *cx, const char *rel, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_vreport(cx, cx->rule ? cx->rule->severity : ERR, rel, fmt, ap);
    va_end(ap);
}

void ct_check_error(ct_check *cx, const char *rel, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_vreport(cx, ERR, rel, fmt, ap);
    va_end(ap);
}

void ct_check_warning(ct_check *cx, const char *rel, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    check_vreport(cx, WARN, rel, fmt, ap);
    va_end(ap);
}

long long ct_check_now(const ct_check *cx) { return cx->w->now; }

void ct_check_walk(ct_check *cx, const char *rel, const ct_value *v, const ct_schema *s)
{
    walker *w = cx->w;
    ct_path_push_raw(&w->path, rel);
    int soft = cx->rule && cx->rule->severity == WARN;
    if (soft) w->soft++;
    walk(w, walkable(v), s);
    if (soft) w->soft--;
    ct_path_pop(&w->path);
}
