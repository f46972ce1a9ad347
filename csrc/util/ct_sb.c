#include "ct_sb.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ct_sb_init(ct_sb *b)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

void ct_sb_free(ct_sb *b)
{
    free(b->p);
    ct_sb_init(b);
}

int ct_sb_reserve(ct_sb *b, size_t extra)
{
    if (b->oom) return 0;
    if (b->cap - b->len > extra) return 1;
    size_t need = b->len + extra + 1;
    if (need <= b->len) {
        b->oom = 1;
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void ct_sb_adds(ct_sb *b, const char *s) { ct_sb_add(b, s, strlen(s)); }

void ct_sb_vprintf(ct_sb *b, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, aq);
    va_end(aq);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        ct_sb_add(b, tmp, (size_t)n);
        return;
    }
    if (!ct_sb_reserve(b, (size_t)n)) return;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void ct_sb_printf(ct_sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ct_sb_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *ct_sb_cstr(ct_sb *b)
{
    if (!ct_sb_reserve(b, 0)) return "";
    b->p[b->len] = '\0';
    return b->p;
}

char *ct_sb_take(ct_sb *b, size_t *len)
{
    if (b->oom) {
        ct_sb_free(b);
        return NULL;
    }
    if (!b->p && !ct_sb_reserve(b, 0)) return NULL;
    b->p[b->len] = '\0';
    char *p = b->p;
    if (len) *len = b->len;
    ct_sb_init(b);
    return p;
}
