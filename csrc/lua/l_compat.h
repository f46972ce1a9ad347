/* One source for Lua 5.4 and LuaJIT 2.1: LuaJIT speaks the 5.1 C API, so the
 * few 5.2+ calls we use come from Debian's lua-compat53 shim there. */
#ifndef CT_L_COMPAT_H
#define CT_L_COMPAT_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#if LUA_VERSION_NUM < 502
#include <compat-5.3.h>
#endif

/* Lua 5.1/LuaJIT have no integer subtype: an integral double is an integer. */
#if LUA_VERSION_NUM >= 503
#define ct_lua_isinteger(L, i) lua_isinteger((L), (i))
#else
#define ct_lua_isinteger(L, i) 0
#endif

/* Array indices for lua_rawgeti/lua_rawseti: lua_Integer since 5.3, int in
 * 5.1/LuaJIT; casting to this keeps -Wconversion quiet in both builds. */
#if LUA_VERSION_NUM >= 503
typedef lua_Integer ct_l_index;
#else
typedef int ct_l_index;
#endif

#define CT_EXPORT __attribute__((visibility("default")))

#endif
