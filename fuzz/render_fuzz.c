/* libFuzzer target over the SMS template encoders (csrc/sms/ct_render.c):
 * a placeholder value written into a JSON string, a whole JSON value, a
 * URL, a form body or a header, with any inner/outer pair.
 *
 * Input: byte 0 picks inner (low nibble) and outer (high nibble), byte 1
 * the number branch, the rest is the value. Checks, besides the sanitizers'
 * memory/UB/leak checks:
 *   - invalid UTF-8 is refused (CT_RENDER_BAD_UTF8) and nothing is written;
 *   - a JSON string position decodes (jansson) back to the value itself;
 *     a whole JSON value is a JSON string of the value;
 *   - a URL position holds unreserved bytes and %XX only, and decodes back;
 *     a form position the same with '+' for a space;
 *   - a header position never holds CR or LF (CR/LF is refused);
 *   - a number is written so that strtod reads the same double back.
 * Built and run by tools/fuzz.sh (`make fuzz`). */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_render.h"
#include "ct_utf8.h"

static const int kinds[] = { CT_ENC_NONE, CT_ENC_JSON_STR, CT_ENC_URL, CT_ENC_FORM, CT_ENC_HEADER, CT_ENC_JSON_VALUE };
#define NKINDS (sizeof kinds / sizeof kinds[0])

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes a URL (form: '+' is a space) position; aborts on a byte an
 * encoder must not write. Returns the decoded length in out. */
static size_t url_decode(const char *s, size_t n, int form, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out[k++] = c;
        } else if (form && c == '+') {
            out[k++] = ' ';
        } else if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            abort(); /* not unreserved, not %XX: the encoder let a byte through */
        }
    }
    return k;
}

static void check_json_string(const char *quoted, size_t qn, const char *want, size_t wn)
{
    json_error_t e;
    json_t *v = json_loadb(quoted, qn, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v || !json_is_string(v)) abort();
    if (json_string_length(v) != wn || memcmp(json_string_value(v), want, wn) != 0) abort();
    json_decref(v);
}

static void check_one(int kind, const char *out, size_t on, const char *s, size_t n)
{
    char *buf = malloc(on + 3);
    if (!buf) return;
    switch (kind) {
    case CT_ENC_JSON_STR:
        buf[0] = '"';
        memcpy(buf + 1, out, on);
        buf[on + 1] = '"';
        check_json_string(buf, on + 2, s, n);
        break;
    case CT_ENC_JSON_VALUE: check_json_string(out, on, s, n); break;
    case CT_ENC_URL:
    case CT_ENC_FORM: {
        size_t k = url_decode(out, on, kind == CT_ENC_FORM, buf);
        if (k != n || memcmp(buf, s, n) != 0) abort();
        break;
    }
    case CT_ENC_HEADER:
        if (memchr(out, '\r', on) || memchr(out, '\n', on)) abort();
        if (on != n || memcmp(out, s, n) != 0) abort();
        break;
    default:
        if (on != n || memcmp(out, s, n) != 0) abort();
    }
    free(buf);
}

static void check_number(const uint8_t *data, size_t size)
{
    double v;
    if (size < sizeof v) return;
    memcpy(&v, data, sizeof v);
    char buf[32];
    int n = ct_render_number(v, buf);
    if (v != v || v - v != 0) { /* NaN or infinite */
        if (n != CT_RENDER_NOT_FINITE) abort();
        return;
    }
    if (n <= 0 || n >= 32) abort();
    if (strtod(buf, NULL) != v) abort();
    /* an integral value below 2^53 is written without an exponent */
    if (v == floor(v) && fabs(v) < 9007199254740992.0 && strpbrk(buf, "eE")) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int inner = kinds[(data[0] & 15) % NKINDS];
    int outer = kinds[(data[0] >> 4) % NKINDS];
    if (data[1] & 1) {
        check_number(data + 2, size - 2);
        return 0;
    }
    const char *s = (const char *)data + 2;
    size_t n = size - 2;
    ct_sb out;
    ct_sb_init(&out);
    int rc = ct_render_text(&out, inner, outer, s, n);
    if (!ct_utf8_valid(s, n, NULL)) {
        if (rc != CT_RENDER_BAD_UTF8 || out.len != 0) abort();
    } else if (rc == CT_RENDER_CRLF) {
        /* only a header position refuses CR/LF */
        if (inner != CT_ENC_HEADER && outer != CT_ENC_HEADER) abort();
    } else if (rc == CT_RENDER_OK) {
        if (outer == CT_ENC_NONE) {
            check_one(inner, out.p ? out.p : "", out.len, s, n);
        } else {
            /* decode the outer layer, then the inner one */
            ct_sb in;
            ct_sb_init(&in);
            if (ct_render_text(&in, inner, CT_ENC_NONE, s, n) == CT_RENDER_OK && !in.oom)
                check_one(outer, out.p ? out.p : "", out.len, in.p ? in.p : "", in.len);
            ct_sb_free(&in);
        }
    } else if (rc != CT_RENDER_NOMEM) {
        abort();
    }
    ct_sb_free(&out);
    return 0;
}
