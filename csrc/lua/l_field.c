/* Reads of a Lua table's fields for the client binding. Raw: these also
 * run inside engine callbacks, where a metamethod raising an error must not
 * unwind through C. */
#include "l_core.h"
#include "l_client.h"

/* Raw field access: these also run inside engine callbacks, where a
 * metamethod raising an error must not unwind through C. */
void lc_raw_field(lua_State *L, int t, const char *k)
{
    t = lua_absindex(L, t);
    lua_pushstring(L, k);
    lua_rawget(L, t);
}

lua_Number lc_opt_num(lua_State *L, int t, const char *k, lua_Number d)
{
    lc_raw_field(L, t, k);
    lua_Number v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : d;
    lua_pop(L, 1);
    return v;
}

const char *lc_opt_str(lua_State *L, int t, const char *k)
{
    lc_raw_field(L, t, k);
    const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1); /* the string stays alive in the options table */
    return v;
}

int lc_opt_bool(lua_State *L, int t, const char *k)
{
    lc_raw_field(L, t, k);
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}
