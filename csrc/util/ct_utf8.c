/* Strict UTF-8 checks shared by validation, batching and SMS rendering. */
#include "ct_utf8.h"

#include <stdint.h>
#include <string.h>

/* plain ASCII, the common case (identities, most text): a word at a time,
 * the last word overlapping the one before it */
static int ascii(const unsigned char *s, size_t n)
{
    uint64_t w, any = 0;
    if (n < 8) {
        for (size_t i = 0; i < n; i++) any |= s[i];
        return (any & 0x80) == 0;
    }
    for (size_t i = 0; i + 8 < n; i += 8) {
        memcpy(&w, s + i, 8);
        any |= w;
    }
    memcpy(&w, s + n - 8, 8);
    return ((any | w) & 0x8080808080808080ull) == 0;
}

int ct_utf8_valid(const char *str, size_t n, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)str;
    if (ascii(s, n)) return 1;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, 8 bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            if (bad) *bad = i;
            return 0;
        }
        if (n - i <= need) {
            if (bad) *bad = i;
            return 0;
        }
        for (size_t k = 1; k <= need; k++) {
            unsigned cc = s[i + k];
            if ((cc & 0xC0) != 0x80) {
                if (bad) *bad = i;
                return 0;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            if (bad) *bad = i;
            return 0;
        }
        i += need + 1;
    }
    return 1;
}

size_t ct_utf8_chars(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) c++;
    return c;
}
