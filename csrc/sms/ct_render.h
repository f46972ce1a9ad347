/* Encoders for SMS provider templates (clevertap.sms): a placeholder value
 * is written into its position in a request (a JSON string, a URL, a form
 * body, a header), byte for byte as lua/clevertap/sms/escape.lua writes it,
 * so the C fast path and the Lua path render identical requests. */
#ifndef CT_RENDER_H
#define CT_RENDER_H

#include <stddef.h>
#include "ct_sb.h"

enum {
    CT_ENC_NONE = 0,      /* as is (literal text, or no outer encoding) */
    CT_ENC_JSON_STR = 1,  /* inside a JSON string: quote, backslash, controls escaped */
    CT_ENC_URL = 2,       /* RFC 3986: unreserved pass, the rest %XX */
    CT_ENC_FORM = 3,      /* x-www-form-urlencoded: as URL, space as '+' */
    CT_ENC_HEADER = 4,    /* header value: as is, CR/LF refused */
    CT_ENC_JSON_VALUE = 5 /* a whole JSON value: strings quoted, numbers bare */
};

enum {
    CT_RENDER_OK = 0,
    CT_RENDER_BAD_UTF8 = -1,
    CT_RENDER_CRLF = -2,
    CT_RENDER_NOT_FINITE = -3,
    CT_RENDER_NOMEM = -4
};

/* Text s[0..n) into `out`, encoded with `inner` then `outer`. JSON_VALUE
 * as inner writes a quoted JSON string. */
int ct_render_text(ct_sb *out, int inner, int outer, const char *s, size_t n);

/* A number as escape.number writes it: integral values (|v| < 2^53) as
 * "%.0f", others "%.17g". buf has room for 32 bytes. Returns the length,
 * or CT_RENDER_NOT_FINITE. */
int ct_render_number(double v, char *buf);

/* A number in a position: bare for JSON_VALUE, else as text. */
int ct_render_num(ct_sb *out, int inner, int outer, double v);

#endif
