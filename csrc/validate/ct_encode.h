/* JSON text out (ct_encode.c): the exact bytes sent. */
#ifndef CT_ENCODE_H
#define CT_ENCODE_H

#include <stddef.h>

#include "ct_sb.h"
#include "ct_value.h"

/* Exact JSON of v (members in the tree's order: sorted bytewise), appended
 * to b; a top-level member named `without` is left out. Returns 0, or -1 when
 * the tree holds a CT_V_BAD value or memory ran out. */
int ct_encode(const ct_value *v, const char *without, ct_sb *b);
/* One JSON string literal (escaped, quotes included). */
void ct_encode_string(ct_sb *b, const char *s, size_t len);

/* {"<key>":<member_json>,<rest of `rest` after its '{'> or {"<key>":<member_json>}
 * when rest is "{}". malloc'd, NUL-terminated; NULL when out of memory or
 * rest is not an object text. */
char *ct_json_prepend_member(const char *key, const char *member_json, size_t mlen, const char *rest, size_t rlen,
                             size_t *out_len);

#endif
