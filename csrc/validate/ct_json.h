/* JSON text in (ct_json.c, over jansson). */
#ifndef CT_JSON_H
#define CT_JSON_H

#include <stddef.h>

#include "ct_problems.h"
#include "ct_value.h"

/* JSON text -> ct_value (jansson; strict UTF-8, int64, duplicate keys and
 * excess depth reported). Returns NULL (after reporting) when the text is not
 * JSON. The jansson tree is kept alive through *keep (json_t*, release with
 * ct_json_release) because strings point into it. */
ct_value *ct_json_parse(ct_arena *a, const char *json, size_t len, ct_problems *out, void **keep);
void ct_json_release(void *keep);

#endif
