/* The walker (ct_walk.c): checks a ct_value tree against an endpoint's
 * schema (ct_schema_for), every problem into a ct_problems list.
 *
 * `without` (the client's batching): the client sends the same message to
 * many identity batches, so it validates and encodes everything but `to`
 * once, with without = "to": the walker treats the top-level member `to` as
 * present and valid and does not walk it, the encoder leaves it out, and the
 * client prepends each batch with ct_json_prepend_member (or writes
 * `{"to":{...},` + the rest after its '{' itself). */
#ifndef CT_WALK_H
#define CT_WALK_H

#include <stddef.h>

#include "ct_problems.h"
#include "ct_schema.h"
#include "ct_value.h"

typedef struct ct_vopts {
    long long now;       /* epoch seconds for "in the future" checks; 0 = time(NULL) */
    const char *without; /* top-level member skipped by walker and encoder (e.g. "to"), or NULL */
    size_t max_problems; /* problems kept, 0 = all (ct_problems_not_shown counts the rest) */
} ct_vopts;

/* Walks root against s; every problem goes to out. The tree is not const:
 * EMPTY values get their empty_as decided by the schema. */
void ct_walk(ct_value *root, const ct_schema *s, const ct_vopts *o, ct_problems *out);

#endif
