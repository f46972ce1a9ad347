/* The Lua binding's value conversion (l_value.c): a Lua value as the walker
 * and the encoder see it. Its rules are in l_value.c and docs/validation.md. */
#ifndef CT_L_VALUE_H
#define CT_L_VALUE_H

#include "ct_problems.h"
#include "ct_value.h"
#include "l_core.h"

/* Members of the objects being converted, stacked until their table is
 * done. Owned by the caller so the memory is reused from call to call:
 * zero it once, free(v) at the end; n is 0 between calls. */
typedef struct ct_l_members {
    ct_member *v;
    size_t n, cap;
} ct_l_members;

/* Converts the value at idx (a table for a payload) into a tree allocated
 * in a. What JSON cannot hold is a problem in p, at its pointer, and a
 * CT_V_BAD node; a root member named `without` (may be NULL) is left out.
 * Returns NULL only when memory ran out. */
ct_value *ct_lua_to_value(lua_State *L, int idx, ct_arena *a, ct_l_members *scratch, ct_problems *p,
                          const char *without);

#endif
