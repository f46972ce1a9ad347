/* The strict UTF-8 check (csrc/util/ct_utf8.c) against a byte-at-a-time
 * reference decoder: plain ASCII of every length up to 40 (the word-at-a-time
 * path, its overlapping last word), and one multi-byte, stray or truncated
 * sequence at every offset of it, so a bad byte in the tail is never missed. */
#include "ct_utf8.h"

#include <stdio.h>
#include <string.h>

static int failures;

/* the reference: the code point rules, one sequence at a time */
static int reference(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], cp, need;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) need = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF) need = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4) need = 3, cp = c & 0x07;
        else return 0;
        if (i + need >= n) return 0; /* truncated */
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
        if (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
        i += need + 1;
    }
    return 1;
}

static void check(const unsigned char *s, size_t n, const char *what)
{
    int got = ct_utf8_valid((const char *)s, n, NULL), want = reference(s, n);
    if (got != want) {
        fprintf(stderr, "FAIL %s n=%zu: got %d want %d\n", what, n, got, want);
        failures++;
    }
}

int main(void)
{
    static const char *const seqs[] = {
        "\xc3\xa9",         /* é */
        "\xe2\x82\xac",     /* € */
        "\xf0\x9f\x98\x80", /* an emoji */
        "\x80",             /* a stray continuation byte */
        "\xff",             /* never in UTF-8 */
        "\xc3",             /* a lead byte without its continuation */
        "\xe2\x82",         /* truncated */
        "\xc0\xaf",         /* overlong */
        "\xed\xa0\x80",     /* a surrogate */
        "\x7f",             /* DEL: ASCII */
    };
    for (size_t n = 0; n <= 40; n++) {
        unsigned char s[64];
        for (size_t i = 0; i < n; i++) s[i] = (unsigned char)('a' + i % 26);
        check(s, n, "ascii");
        for (size_t k = 0; k < sizeof seqs / sizeof seqs[0]; k++) {
            size_t sl = strlen(seqs[k]);
            for (size_t at = 0; at + sl <= n; at++) {
                for (size_t i = 0; i < n; i++) s[i] = (unsigned char)('a' + i % 26);
                memcpy(s + at, seqs[k], sl);
                check(s, n, seqs[k]);
            }
        }
    }
    /* a known answer each way, so a reference that agreed by accident fails */
    if (!ct_utf8_valid("identity-\xc3\xa9", 11, NULL) || ct_utf8_valid("identity-\x80", 10, NULL)) {
        fprintf(stderr, "FAIL known answers\n");
        failures++;
    }
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    puts("utf8_test: ok");
    return 0;
}
