/* The identity fingerprint (ct_fingerprint.h). Every identity of a
 * journaled send passes through it, so it mixes 8 bytes at a time (a
 * multiply-xorshift step per word): byte-at-a-time FNV cost more than the
 * rest of the journal at an instant sink. */
#include "ct_fingerprint.h"

#include <string.h>

static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

uint64_t ct_fp_add(uint64_t h, int type, const char *s, size_t len)
{
    h = mix(h, ((uint64_t)(unsigned)type << 56) ^ (uint64_t)len);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = mix(h, w);
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, s + i, len - i);
        h = mix(h, w);
    }
    return h;
}
