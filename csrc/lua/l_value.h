/* The Lua binding's value conversion (l_value.c), shared with l_validate.c. */
#ifndef CT_L_VALUE_H
#define CT_L_VALUE_H

#include "ct_value.h"
#include "l_core.h"

/* Per-state working memory, reused across calls (arena, scratch vectors). */
typedef struct lctx {
    ct_arena *arena;
    ct_problems *problems; /* held here so an error while building results cannot leak it */
    ct_sb out;
    ct_member *scratch; /* stack of members of the objects being converted */
    size_t nscratch, capscratch;
    int busy;
} lctx;

ct_value *lua_to_value(lua_State *L, lctx *ctx, int idx, ct_problems *p, const char *without);

#endif
