#ifndef CT_UTF8_H
#define CT_UTF8_H

#include <stddef.h>

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). Returns 1 when
 * valid; otherwise 0 and, when bad is not NULL, *bad = offset of the first
 * invalid byte. */
int ct_utf8_valid(const char *s, size_t n, size_t *bad);
size_t ct_utf8_chars(const char *s, size_t n); /* code points of valid UTF-8 */

#endif
