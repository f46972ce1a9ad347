/* The project's growable string builder: request bodies, encoded payloads,
 * problem messages and JSON Pointers are all built in one (JSON strings
 * go in through ct_jstr). */
#ifndef CT_SB_H
#define CT_SB_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct ct_sb {
    char *p; /* NULL until the first append; p[len] == '\0' after each append */
    size_t len, cap;
    int oom; /* set once an allocation failed: the buffer never grows again and
                its contents are incomplete (callers check oom, or use take) */
} ct_sb;

void ct_sb_init(ct_sb *b);
void ct_sb_free(ct_sb *b);
/* Makes room for extra bytes plus a NUL; 0 on out of memory (b->oom set). */
int ct_sb_reserve(ct_sb *b, size_t extra);
static inline void ct_sb_add(ct_sb *b, const void *s, size_t n)
{
    if (b->cap - b->len <= n && !ct_sb_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}
static inline void ct_sb_addc(ct_sb *b, char c)
{
    if (b->cap - b->len <= 1 && !ct_sb_reserve(b, 1)) return;
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}
void ct_sb_adds(ct_sb *b, const char *s);
void ct_sb_printf(ct_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ct_sb_vprintf(ct_sb *b, const char *fmt, va_list ap);
/* The contents NUL-terminated (never NULL); "" when out of memory. */
const char *ct_sb_cstr(ct_sb *b);
/* Hands the bytes over (NUL-terminated) and resets b; NULL when out of memory. */
char *ct_sb_take(ct_sb *b, size_t *len);

#endif
