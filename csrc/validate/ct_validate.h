/* End to end over JSON text (ct_validate.c), behind the public C API.
 *
 * Pipeline: a payload becomes a ct_value tree (ct_lua_to_value in the Lua
 * binding, ct_json_parse in ct_json.h), the walker (ct_walk.h) checks it
 * against the endpoint's schema into a ct_problems list (ct_problems.h), and
 * ct_encode (ct_encode.h) writes the exact JSON to send. */
#ifndef CT_VALIDATE_H
#define CT_VALIDATE_H

#include <stddef.h>

#include "clevertap.h"
#include "ct_walk.h"

/* ---- end to end over JSON text (public API = these with default opts) --- */
ct_problems *ct_validate_json_opts(const char *endpoint, const char *json, size_t len, const ct_vopts *o);
char *ct_encode_json_opts(const char *endpoint, const char *json, size_t len, const ct_vopts *o, size_t *out_len,
                          ct_problems **problems);

#endif
