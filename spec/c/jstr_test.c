/* The one JSON string escaper (csrc/util/ct_jstr.c): every escape, the
 * flags, and the word-at-a-time path against a byte-at-a-time reference at
 * every length and offset. */
#include "ct_jstr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void expect(const char *in, size_t n, unsigned flags, const char *want)
{
    ct_sb b;
    ct_sb_init(&b);
    ct_jstr_add(&b, in, n, flags);
    if (b.oom || b.len != strlen(want) || memcmp(b.p, want, b.len) != 0) {
        fprintf(stderr, "FAIL flags %u: got [%s] want [%s]\n", flags, b.p ? b.p : "(null)", want);
        failures++;
    }
    ct_sb_free(&b);
}

/* the reference: one byte at a time */
static void reference(ct_sb *b, const unsigned char *s, size_t n, unsigned flags)
{
    if (flags & CT_JSTR_QUOTED) ct_sb_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        char u[8];
        if (c == '"') ct_sb_adds(b, "\\\"");
        else if (c == '\\') ct_sb_adds(b, "\\\\");
        else if (c == '\b') ct_sb_adds(b, "\\b");
        else if (c == '\f') ct_sb_adds(b, "\\f");
        else if (c == '\n') ct_sb_adds(b, "\\n");
        else if (c == '\r') ct_sb_adds(b, "\\r");
        else if (c == '\t') ct_sb_adds(b, "\\t");
        else if (c < 0x20 || (c == 0x7f && (flags & CT_JSTR_DEL))) {
            snprintf(u, sizeof u, "\\u%04x", c);
            ct_sb_adds(b, u);
        } else ct_sb_addc(b, (char)c);
    }
    if (flags & CT_JSTR_QUOTED) ct_sb_addc(b, '"');
}

int main(void)
{
    expect("", 0, CT_JSTR_QUOTED, "\"\"");
    expect("", 0, 0, "");
    expect("user-0000001", 12, CT_JSTR_QUOTED, "\"user-0000001\"");
    expect("a\"b\\c", 5, CT_JSTR_QUOTED, "\"a\\\"b\\\\c\"");
    expect("\b\f\n\r\t\x01\x1f", 7, 0, "\\b\\f\\n\\r\\t\\u0001\\u001f");
    expect("x\x7fy", 3, 0, "x\x7fy");
    expect("x\x7fy", 3, CT_JSTR_DEL, "x\\u007fy");
    expect("caf\xc3\xa9 \xe2\x82\xac", 9, CT_JSTR_QUOTED, "\"caf\xc3\xa9 \xe2\x82\xac\"");
    expect("0123456789abcdef\"", 17, CT_JSTR_QUOTED, "\"0123456789abcdef\\\"\"");
    /* an escape at every position of strings up to 40 bytes, alone or with
     * a second one at the end, each flag set */
    static const unsigned char specials[] = { '"', '\\', '\n', 0x01, 0x1f, 0x7f, 0xc3, ' ', '~' };
    for (unsigned second = 0; second < 2; second++)
        for (unsigned flags = 0; flags < 4; flags++)
            for (size_t n = 1; n <= 40; n++)
                for (size_t at = 0; at < n; at++)
                    for (size_t k = 0; k < sizeof specials; k++) {
                        unsigned char s[48];
                        for (size_t i = 0; i < n; i++) s[i] = (unsigned char)('a' + i % 26);
                        s[at] = specials[k];
                        if (second && at + 1 < n) s[n - 1] = '"';
                        ct_sb got, want;
                        ct_sb_init(&got);
                        ct_sb_init(&want);
                        ct_sb_adds(&got, "prefix:"); /* appends after what is there */
                        ct_sb_adds(&want, "prefix:");
                        ct_jstr_add(&got, (const char *)s, n, flags);
                        reference(&want, s, n, flags);
                        if (got.len != want.len || memcmp(got.p, want.p, got.len) != 0 || got.p[got.len] != '\0') {
                            fprintf(stderr, "FAIL n=%zu at=%zu byte=0x%02x flags=%u: [%s] vs [%s]\n", n, at,
                                    specials[k], flags, got.p, want.p);
                            failures++;
                        }
                        ct_sb_free(&got);
                        ct_sb_free(&want);
                    }
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    puts("jstr_test: ok");
    return 0;
}
