#include "ct_render.h"
#include "ct_jstr.h"
#include "ct_utf8.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char HEX[] = "0123456789ABCDEF";

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static void enc_pct(ct_sb *b, const unsigned char *s, size_t n, int form)
{
    if (!ct_sb_reserve(b, n * 3)) return;
    char *o = b->p + b->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (unreserved(c)) {
            *o++ = (char)c;
        } else if (form && c == ' ') {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = HEX[c >> 4];
            *o++ = HEX[c & 15];
        }
    }
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
}

/* Appends s encoded with one encoder. */
static int enc_one(ct_sb *b, int kind, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    switch (kind) {
    case CT_ENC_JSON_STR: ct_jstr_add(b, s, n, CT_JSTR_DEL); break;
    case CT_ENC_URL: enc_pct(b, u, n, 0); break;
    case CT_ENC_FORM: enc_pct(b, u, n, 1); break;
    case CT_ENC_JSON_VALUE: ct_jstr_add(b, s, n, CT_JSTR_QUOTED | CT_JSTR_DEL); break;
    case CT_ENC_HEADER:
        if (memchr(s, '\r', n) || memchr(s, '\n', n)) return CT_RENDER_CRLF;
        ct_sb_add(b, s, n);
        break;
    default: ct_sb_add(b, s, n); break;
    }
    return b->oom ? CT_RENDER_NOMEM : CT_RENDER_OK;
}

static int with_outer(ct_sb *out, int inner, int outer, const char *s, size_t n)
{
    if (outer == CT_ENC_NONE) return enc_one(out, inner, s, n);
    ct_sb tmp;
    ct_sb_init(&tmp);
    int rc = enc_one(&tmp, inner, s, n);
    if (rc == CT_RENDER_OK) rc = enc_one(out, outer, tmp.p ? tmp.p : "", tmp.len);
    ct_sb_free(&tmp);
    return rc;
}

int ct_render_text(ct_sb *out, int inner, int outer, const char *s, size_t n)
{
    if (!ct_utf8_valid(s, n, NULL)) return CT_RENDER_BAD_UTF8;
    return with_outer(out, inner, outer, s, n);
}

int ct_render_number(double v, char *buf)
{
    if (isnan(v) || isinf(v)) return CT_RENDER_NOT_FINITE;
    const double lim = 9007199254740992.0; /* 2^53 */
    if (v == floor(v) && v > -lim && v < lim) return snprintf(buf, 32, "%.0f", v);
    return snprintf(buf, 32, "%.17g", v);
}

int ct_render_num(ct_sb *out, int inner, int outer, double v)
{
    char buf[32];
    int n = ct_render_number(v, buf);
    if (n < 0) return n;
    if (inner == CT_ENC_JSON_VALUE) inner = CT_ENC_NONE;
    return with_outer(out, inner, outer, buf, (size_t)n);
}
