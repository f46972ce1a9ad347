#include "ct_jstr.h"

#include <stdint.h>
#include <string.h>

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* bytes of w equal to c have their high bit set in the result */
static inline uint64_t eq_bytes(uint64_t w, unsigned char c)
{
    uint64_t x = w ^ (ONES * c);
    return (x - ONES) & ~x & HIGHS;
}

/* does any byte of w need an escape? controls (< 0x20), '"', '\\', and DEL
 * when asked (SWAR: eight bytes in a few instructions) */
static inline int word_needs_escape(uint64_t w, int del)
{
    uint64_t hit = ((w - ONES * 0x20) & ~w & HIGHS) | eq_bytes(w, '"') | eq_bytes(w, '\\');
    if (del) hit |= eq_bytes(w, 0x7f);
    return hit != 0;
}

static inline int byte_needs_escape(unsigned char c, int del)
{
    return c < 0x20 || c == '"' || c == '\\' || (del && c == 0x7f);
}

/* writes the escape of c at o, returns its length */
static size_t escape_byte(char *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e = 0;
    switch (c) {
    case '"': e = '"'; break;
    case '\\': e = '\\'; break;
    case '\b': e = 'b'; break;
    case '\f': e = 'f'; break;
    case '\n': e = 'n'; break;
    case '\r': e = 'r'; break;
    case '\t': e = 't'; break;
    default: break;
    }
    o[0] = '\\';
    if (e) {
        o[1] = e;
        return 2;
    }
    memcpy(o + 1, "u00", 3);
    o[4] = hex[c >> 4];
    o[5] = hex[c & 15];
    return 6;
}

/* nothing in s needs an escape: a word at a time, the last word overlapping
 * the one before it (no byte loop for the tail of a 10-byte identity) */
static int plain(const unsigned char *s, size_t n, int del)
{
    uint64_t w;
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            if (byte_needs_escape(s[i], del)) return 0;
        return 1;
    }
    for (size_t i = 0; i + 8 < n; i += 8) {
        memcpy(&w, s + i, 8);
        if (word_needs_escape(w, del)) return 0;
    }
    memcpy(&w, s + n - 8, 8);
    return !word_needs_escape(w, del);
}

void ct_jstr_add(ct_sb *b, const char *str, size_t n, unsigned flags)
{
    const unsigned char *s = (const unsigned char *)str;
    int del = (flags & CT_JSTR_DEL) != 0, quoted = (flags & CT_JSTR_QUOTED) != 0;
    /* room for the plain case at once; escapes grow the buffer as they come */
    if (b->cap - b->len <= n + 2 && !ct_sb_reserve(b, n + 2)) return;
    char *o = b->p + b->len;
    if (quoted) *o++ = '"';
    if (plain(s, n, del)) { /* most strings: one copy */
        memcpy(o, s, n);
        o += n;
        if (quoted) *o++ = '"';
        b->len = (size_t)(o - b->p);
        b->p[b->len] = '\0';
        return;
    }
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (word_needs_escape(w, del)) break;
            i += 8;
        }
        while (i < n && !byte_needs_escape(s[i], del)) i++;
        memcpy(o, s + start, i - start);
        o += i - start;
        if (i >= n) break;
        /* an escape: up to 6 bytes for 1, plus what is left and the quote */
        b->len = (size_t)(o - b->p);
        if (!ct_sb_reserve(b, 6 + (n - i - 1) + 2)) return;
        o = b->p + b->len;
        o += escape_byte(o, s[i++]);
    }
    if (quoted) *o++ = '"';
    b->len = (size_t)(o - b->p);
    b->p[b->len] = '\0';
}
