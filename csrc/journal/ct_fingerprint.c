/* The identity fingerprint (ct_fingerprint.h). Every identity of a
 * journaled send passes through it, so it works a word at a time: a
 * byte-at-a-time hash, or a variable-length memcpy for the last word (a
 * call per identity), cost more than the rest of the journal at a fast
 * server. */
#include "ct_fingerprint.h"

#include <string.h>

static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

/* The n (1..7) bytes at s as a zero-padded little-endian word; before
 * bytes of the same string precede s. */
static uint64_t tail_word(const char *s, size_t n, size_t before)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (before >= 8 - n) {
        /* the 8 bytes ending at s + n are all the string's */
        uint64_t w;
        memcpy(&w, s + n - 8, 8);
        return w >> (8 * (8 - n));
    }
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4); /* overlaps lo: the same bytes */
        return (uint64_t)lo | ((uint64_t)hi << (8 * (n - 4)));
    }
#else
    (void)before;
#endif
    /* the reference every faster read above must equal */
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    return w;
}

static uint64_t word_at(const char *s)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
#else
    return tail_word(s, 8, 0);
#endif
}

uint64_t ct_fp_add(uint64_t h, int type, const char *s, size_t len)
{
    h = mix(h, ((uint64_t)(unsigned)type << 56) ^ (uint64_t)len);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) h = mix(h, word_at(s + i));
    if (i < len) h = mix(h, tail_word(s + i, len - i, i));
    return h;
}
