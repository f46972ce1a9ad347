/* One source for Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT 2.1. The binding is
 * written against the 5.2+ C API; on a 5.1 API (Lua 5.1, LuaJIT) the few
 * 5.2 calls it uses are provided here, so a build needs nothing but the
 * interpreter's own headers (no lua-compat53, no distribution path). */
#ifndef CT_L_COMPAT_H
#define CT_L_COMPAT_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#if LUA_VERSION_NUM < 502
/* Only what the binding calls: grep for a 5.2 function before using it on
 * a 5.1 build, and add it here. Functions are ct_l_* (hidden by
 * -fvisibility=hidden) so they never clash with an interpreter that has
 * its own copy (LuaJIT declares luaL_setfuncs and luaL_setmetatable). */
#ifndef LUA_OK
#define LUA_OK 0
#endif

/* A userdata's uservalue is its environment table on 5.1; the binding
 * only ever stores tables there, which is all 5.1 allows. */
#define lua_getuservalue(L, i) lua_getfenv((L), (i))
#define lua_setuservalue(L, i) ((void)lua_setfenv((L), (i)))
#define lua_rawlen(L, i) lua_objlen((L), (i))

#undef luaL_setmetatable
#define luaL_setmetatable(L, tname) ct_l_setmetatable((L), (tname))
#undef luaL_setfuncs
#define luaL_setfuncs(L, l, nup) ct_l_setfuncs((L), (l), (nup))
#define lua_absindex(L, i) ct_l_absindex((L), (i))
#define luaL_tolstring(L, i, len) ct_l_tolstring((L), (i), (len))

void ct_l_setmetatable(lua_State *L, const char *tname);
void ct_l_setfuncs(lua_State *L, const luaL_Reg *l, int nup);
int ct_l_absindex(lua_State *L, int idx);
const char *ct_l_tolstring(lua_State *L, int idx, size_t *len);
#endif

/* Lua 5.1/LuaJIT have no integer subtype: an integral double is an integer. */
#if LUA_VERSION_NUM >= 503
#define ct_lua_isinteger(L, i) lua_isinteger((L), (i))
#else
#define ct_lua_isinteger(L, i) 0
#endif

/* Array indices for lua_rawgeti/lua_rawseti: lua_Integer since 5.3, int in
 * 5.1, 5.2 and LuaJIT; casting to this keeps -Wconversion quiet in all. */
#if LUA_VERSION_NUM >= 503
typedef lua_Integer ct_l_index;
#else
typedef int ct_l_index;
#endif

/* lua_rawgeti pushing t[i] and giving its type: it returns the type since
 * 5.3; before, a lua_type after it. */
#if LUA_VERSION_NUM >= 503
#define ct_l_rawgeti_type(L, t, i) lua_rawgeti((L), (t), (i))
#else
#define ct_l_rawgeti_type(L, t, i) (lua_rawgeti((L), (t), (i)), lua_type((L), -1))
#endif

#define CT_EXPORT __attribute__((visibility("default")))

#endif
