/* Problem lists and JSON Pointer paths. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_problems.h"

/* ---- paths ---------------------------------------------------------------- */

void ct_path_init(ct_path *p)
{
    p->f = p->fixed;
    p->n = 0;
    p->cap = sizeof p->fixed / sizeof p->fixed[0];
}

void ct_path_free(ct_path *p)
{
    if (p->f != p->fixed) free(p->f);
    ct_path_init(p);
}

ct_frame *ct_path_slot_slow(ct_path *p)
{
    if (p->n == p->cap) {
        size_t cap = p->cap * 2;
        ct_frame *f = malloc(cap * sizeof *f);
        if (!f) abort(); /* cannot happen with bounded depth; keep the walker simple */
        memcpy(f, p->f, p->n * sizeof *f);
        if (p->f != p->fixed) free(p->f);
        p->f = f;
        p->cap = cap;
    }
    return &p->f[p->n++];
}

void ct_path_push_raw(ct_path *p, const char *raw)
{
    ct_frame *f = p->n < p->cap ? &p->f[p->n++] : ct_path_slot_slow(p);
    f->key = raw ? raw : "";
    f->len = strlen(f->key);
    f->kind = 2;
}

void ct_pointer_escape(ct_sb *b, const char *key, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (c == '~' || c == '/') {
            ct_sb_add(b, key + run, i - run);
            ct_sb_add(b, c == '~' ? "~0" : "~1", 2);
            run = i + 1;
        }
    }
    ct_sb_add(b, key + run, len - run);
}

void ct_path_render(const ct_path *p, ct_sb *b)
{
    for (size_t i = 0; i < p->n; i++) {
        const ct_frame *f = &p->f[i];
        if (f->kind == 2) {
            if (f->len && f->key[0] != '/') ct_sb_addc(b, '/');
            ct_sb_add(b, f->key, f->len);
            continue;
        }
        ct_sb_addc(b, '/');
        if (f->kind == 1) ct_sb_printf(b, "%zu", f->len);
        else ct_pointer_escape(b, f->key, f->len);
    }
}

/* Readable path for messages: member names dotted, array indexes as [i], the
 * root "payload" ("when.dnd.dnd_info.2[0]", "to.Identity[5]"). A member name
 * that would read ambiguously (empty, or holding '.', '[', ']', '"', a space
 * or a control character) is written ["name"]. Long names are cut: the
 * pointer keeps the exact name. */
#define READABLE_KEY_MAX 64

static void put_readable_key(ct_sb *b, const char *key, size_t len, int first)
{
    int plain = len > 0;
    for (size_t i = 0; i < len && plain; i++) {
        unsigned char c = (unsigned char)key[i];
        plain = !(c == '.' || c == '[' || c == ']' || c == '"' || c == '\\' || c <= ' ' || c == 0x7f);
    }
    size_t shown = len > READABLE_KEY_MAX ? READABLE_KEY_MAX : len;
    /* do not cut inside a UTF-8 sequence */
    while (shown < len && shown > 0 && ((unsigned char)key[shown] & 0xC0) == 0x80) shown--;
    if (plain) {
        if (!first) ct_sb_addc(b, '.');
        ct_sb_add(b, key, shown);
        if (shown < len) ct_sb_adds(b, "...");
        return;
    }
    ct_sb_adds(b, "[\"");
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == '"' || c == '\\') {
            ct_sb_addc(b, '\\');
            ct_sb_addc(b, (char)c);
        } else if (c < ' ' || c == 0x7f) {
            ct_sb_printf(b, "\\x%02x", c);
        } else {
            ct_sb_addc(b, (char)c);
        }
    }
    if (shown < len) ct_sb_adds(b, "...");
    ct_sb_adds(b, "\"]");
}

static int all_digits(const char *s, size_t n)
{
    if (!n || n > 18) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* Tokens of pointer text (already escaped): unescaped, digits read as array
 * indexes (CHECK callbacks only use digits for array items). */
static int put_readable_pointer(ct_sb *b, const char *ptr, size_t len, int first)
{
    size_t i = 0;
    if (i < len && ptr[i] == '/') i++;
    else if (!len) return first;
    for (;;) {
        size_t j = i;
        while (j < len && ptr[j] != '/') j++;
        if (all_digits(ptr + i, j - i)) {
            ct_sb_addc(b, '[');
            ct_sb_add(b, ptr + i, j - i);
            ct_sb_addc(b, ']');
        } else {
            ct_sb tok;
            ct_sb_init(&tok);
            for (size_t k = i; k < j; k++) {
                if (ptr[k] == '~' && k + 1 < j && (ptr[k + 1] == '0' || ptr[k + 1] == '1')) {
                    ct_sb_addc(&tok, ptr[k + 1] == '0' ? '~' : '/');
                    k++;
                } else {
                    ct_sb_addc(&tok, ptr[k]);
                }
            }
            put_readable_key(b, tok.p ? tok.p : "", tok.len, first);
            ct_sb_free(&tok);
        }
        first = 0;
        if (j >= len) break;
        i = j + 1;
    }
    return first;
}

void ct_path_render_readable(const ct_path *p, ct_sb *b)
{
    size_t start = b->len;
    int first = 1;
    for (size_t i = 0; i < p->n; i++) {
        const ct_frame *f = &p->f[i];
        if (f->kind == 1) ct_sb_printf(b, "[%zu]", f->len);
        else if (f->kind == 0) put_readable_key(b, f->key, f->len, first);
        else {
            first = put_readable_pointer(b, f->key, f->len, first);
            continue;
        }
        first = 0;
    }
    if (b->len == start) ct_sb_adds(b, "payload");
    else if (b->p[start] == '[') {
        /* a root-level index or quoted name still reads as part of the payload */
        ct_sb_add(b, "payload", 7);
        memmove(b->p + start + 7, b->p + start, b->len - 7 - start);
        memcpy(b->p + start, "payload", 7);
    }
}

/* ---- problem lists --------------------------------------------------------- */

struct ct_problems {
    ct_problem *items;
    size_t n, cap;
    size_t max_kept;
    size_t errors, warnings; /* all reported, kept or not */
    size_t dropped;          /* counted, not kept: over max_kept */
};

ct_problems *ct_problems_new(size_t max_kept)
{
    ct_problems *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    /* 0 keeps all: the contract reports every problem; a cap is the caller's choice */
    p->max_kept = max_kept ? max_kept : SIZE_MAX;
    return p;
}

static void keep(ct_problems *p, ct_severity sev, const char *pointer, size_t plen, const char *msg, size_t mlen)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        ct_problem *items = realloc(p->items, cap * sizeof *items);
        if (!items) return;
        p->items = items;
        p->cap = cap;
    }
    char *s = malloc(plen + mlen + 2);
    if (!s) return;
    memcpy(s, pointer, plen);
    s[plen] = '\0';
    memcpy(s + plen + 1, msg, mlen);
    s[plen + 1 + mlen] = '\0';
    ct_problem *it = &p->items[p->n++];
    it->pointer = s;
    it->message = s + plen + 1;
    it->severity = sev;
    it->pointer_len = plen;
}

/* Keeps a problem whose message is "<readable path>: <msg>"; the caller has
 * put the readable path in `pre` (scratch, reused). */
static void keep_prefixed(ct_problems *p, ct_severity sev, const char *pointer, size_t plen, ct_sb *pre,
                          const char *msg, size_t mlen)
{
    ct_sb_add(pre, ": ", 2);
    ct_sb_add(pre, msg, mlen);
    if (pre->oom) keep(p, sev, pointer, plen, msg, mlen);
    else keep(p, sev, pointer, plen, pre->p, pre->len);
}

static int counted(ct_problems *p, ct_severity sev)
{
    if (sev == CT_SEVERITY_ERROR) p->errors++;
    else p->warnings++;
    if (p->n < p->max_kept) return 1;
    p->dropped++;
    return 0;
}

void ct_problems_add(ct_problems *p, ct_severity sev, const char *pointer, size_t plen, const char *msg, size_t mlen)
{
    if (!p || !counted(p, sev)) return;
    ct_sb pre;
    ct_sb_init(&pre);
    if (put_readable_pointer(&pre, pointer, plen, 1)) ct_sb_adds(&pre, "payload");
    keep_prefixed(p, sev, pointer, plen, &pre, msg, mlen);
    ct_sb_free(&pre);
}

void ct_problems_add_path(ct_problems *p, ct_severity sev, const ct_path *path, const char *msg, size_t mlen)
{
    if (!p || !counted(p, sev)) return;
    /* both renderings happen only here, for a problem that is kept */
    ct_sb ptr, pre;
    ct_sb_init(&ptr);
    ct_sb_init(&pre);
    ct_path_render(path, &ptr);
    ct_path_render_readable(path, &pre);
    keep_prefixed(p, sev, ptr.p ? ptr.p : "", ptr.len, &pre, msg, mlen);
    ct_sb_free(&ptr);
    ct_sb_free(&pre);
}

void ct_problems_addf(ct_problems *p, ct_severity sev, const char *pointer, const char *fmt, ...)
{
    ct_sb b;
    ct_sb_init(&b);
    va_list ap;
    va_start(ap, fmt);
    ct_sb_vprintf(&b, fmt, ap);
    va_end(ap);
    ct_problems_add(p, sev, pointer, strlen(pointer), b.p ? b.p : "", b.len);
    ct_sb_free(&b);
}

void ct_problems_addf_path(ct_problems *p, ct_severity sev, const ct_path *path, const char *fmt, ...)
{
    ct_sb b;
    ct_sb_init(&b);
    va_list ap;
    va_start(ap, fmt);
    ct_sb_vprintf(&b, fmt, ap);
    va_end(ap);
    ct_problems_add_path(p, sev, path, b.p ? b.p : "", b.len);
    ct_sb_free(&b);
}

/* pointer order: token by token, array indexes numerically; lengths, not
 * NUL bytes, end the pointers (a member name may hold NUL) */
static int pointer_cmp(const ct_problem *pa, const ct_problem *pb)
{
    const char *a = pa->pointer, *b = pb->pointer;
    const char *enda = a + pa->pointer_len, *endb = b + pb->pointer_len;
    while (a < enda && b < endb && *a == '/' && *b == '/') {
        a++;
        b++;
        const char *ea = a, *eb = b;
        while (ea < enda && *ea != '/') ea++;
        while (eb < endb && *eb != '/') eb++;
        size_t la = (size_t)(ea - a), lb = (size_t)(eb - b);
        int na = la > 0, nb = lb > 0;
        for (const char *q = a; q < ea; q++) na &= *q >= '0' && *q <= '9';
        for (const char *q = b; q < eb; q++) nb &= *q >= '0' && *q <= '9';
        int c;
        if (na && nb && la != lb) c = la < lb ? -1 : 1;
        else {
            size_t n = la < lb ? la : lb;
            c = n ? memcmp(a, b, n) : 0;
            if (!c) c = la < lb ? -1 : la > lb;
        }
        if (c) return c;
        a = ea;
        b = eb;
    }
    return (a < enda) - (b < endb);
}

void ct_problems_sort_from(ct_problems *p, size_t from)
{
    if (!p) return;
    /* insertion sort: stable, and these lists are short */
    for (size_t i = from + 1; i < p->n; i++) {
        ct_problem t = p->items[i];
        size_t j = i;
        while (j > from && pointer_cmp(&p->items[j - 1], &t) > 0) {
            p->items[j] = p->items[j - 1];
            j--;
        }
        p->items[j] = t;
    }
}

size_t ct_problems_count(const ct_problems *p) { return p ? p->n : 0; }

size_t ct_problems_errors(const ct_problems *p) { return p ? p->errors : 0; }

size_t ct_problems_not_shown(const ct_problems *p) { return p ? p->dropped : 0; }

const ct_problem *ct_problems_get(const ct_problems *p, size_t i)
{
    if (!p || i >= p->n) return NULL;
    return &p->items[i];
}

/* The public struct shows each pointer as const char *; the list owns it. */
static void free_pointer(const char *s) { free((void *)(uintptr_t)s); }

void ct_problems_clear(ct_problems *p, size_t max_kept)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) free_pointer(p->items[i].pointer);
    if (p->cap > 256) {
        free(p->items);
        p->items = NULL;
        p->cap = 0;
    }
    p->n = 0;
    p->errors = p->warnings = p->dropped = 0;
    p->max_kept = max_kept ? max_kept : SIZE_MAX;
}

void ct_problems_free(ct_problems *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) free_pointer(p->items[i].pointer);
    free(p->items);
    free(p);
}
