/* The 5.2 C API calls the binding uses, for a 5.1 API (Lua 5.1, LuaJIT 2.1);
 * see l_compat.h. Written for the binding's needs, not as a general shim. */
#include "l_compat.h"

#if LUA_VERSION_NUM < 502
void ct_l_setmetatable(lua_State *L, const char *tname)
{
    luaL_getmetatable(L, tname);
    lua_setmetatable(L, -2);
}

/* Each function gets its own copies of the nup upvalues below it. */
void ct_l_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
    luaL_checkstack(L, nup + 1, "too many upvalues");
    for (; l->name; l++) {
        for (int i = 0; i < nup; i++) lua_pushvalue(L, -nup);
        lua_pushcclosure(L, l->func, nup);
        lua_setfield(L, -(nup + 2), l->name);
    }
    lua_pop(L, nup);
}

/* Pseudo-indices (registry, upvalues) are already absolute. */
int ct_l_absindex(lua_State *L, int idx) { return idx > 0 || idx <= LUA_REGISTRYINDEX ? idx : lua_gettop(L) + idx + 1; }

/* tostring() as the 5.1 base library does it, pushed on the stack. */
const char *ct_l_tolstring(lua_State *L, int idx, size_t *len)
{
    idx = ct_l_absindex(L, idx);
    if (luaL_callmeta(L, idx, "__tostring")) {
        if (!lua_isstring(L, -1)) luaL_error(L, "'__tostring' must return a string");
        return lua_tolstring(L, -1, len);
    }
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
        lua_pushvalue(L, idx); /* converts the copy, not the caller's value */
        break;
    case LUA_TBOOLEAN: lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false"); break;
    case LUA_TNIL: lua_pushliteral(L, "nil"); break;
    default: lua_pushfstring(L, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx)); break;
    }
    return lua_tolstring(L, -1, len);
}
#else
typedef int ct_l_compat_unused; /* ISO C forbids an empty translation unit */
#endif
