/* The identity fingerprint (csrc/journal/ct_fingerprint.c) against its
 * format written out byte by byte, for every length and position the word
 * loads can meet; and against the value journals written by 0.2.0 hold for
 * a fixed list (a resume compares them). */
#include "ct_fingerprint.h"

#include <stdio.h>
#include <string.h>

static int failures;
#define CHECK(c)                                                                                                       \
    do {                                                                                                               \
        if (!(c)) {                                                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                                      \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

/* The format as ct_fingerprint.h states it, one byte at a time. */
static uint64_t reference(uint64_t h, int type, const unsigned char *s, size_t len)
{
    h = mix(h, ((uint64_t)(unsigned)type << 56) ^ (uint64_t)len);
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w = 0;
        for (size_t b = 0; b < 8 && i + b < len; b++) w |= (uint64_t)s[i + b] << (8 * b);
        h = mix(h, w);
    }
    return h;
}

int main(void)
{
    /* every length 0..48 at every offset 0..15 into a buffer whose bytes
     * around the string differ from it (a load past either end would show) */
    unsigned char buf[96];
    for (size_t off = 0; off < 16; off++) {
        for (size_t len = 0; len <= 48; len++) {
            for (size_t i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(0xA5 ^ (i * 7));
            for (size_t i = 0; i < len; i++) buf[off + i] = (unsigned char)(i * 37 + len + 1);
            uint64_t want = reference(CT_FP_INIT, (int)(len % 5), buf + off, len);
            CHECK(ct_fp_add(CT_FP_INIT, (int)(len % 5), (const char *)buf + off, len) == want);
        }
    }
    /* the types and the split between identities count */
    CHECK(ct_fp_add(ct_fp_add(CT_FP_INIT, 3, "ab", 2), 3, "c", 1) !=
          ct_fp_add(ct_fp_add(CT_FP_INIT, 3, "a", 1), 3, "bc", 2));
    CHECK(ct_fp_add(CT_FP_INIT, 1, "x", 1) != ct_fp_add(CT_FP_INIT, 2, "x", 1));
    /* journals of 0.2.0: this list's fingerprint */
    static const char *const ids[] = { "",
                                       "a",
                                       "ab",
                                       "abc",
                                       "abcd",
                                       "abcde",
                                       "abcdef",
                                       "abcdefg",
                                       "abcdefgh",
                                       "abcdefghi",
                                       "user-0000000001",
                                       "someone@example.com",
                                       "caf\xc3\xa9 \xe2\x82\xac",
                                       "0123456789abcdef0123456789abcdef0123456789" };
    uint64_t h = CT_FP_INIT;
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) h = ct_fp_add(h, (int)(k % 5), ids[k], strlen(ids[k]));
    CHECK(h == 0x9b66587fec6dc949ULL);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    puts("fingerprint: ok");
    return 0;
}
