/* core.state_open(path) and core.create_key(name, body): the Lua face of
 * the state database of creates (csrc/journal/ct_state.h), for
 * client:create_campaign with clevertap.new{ state = PATH }. */
#include <string.h>

#include "ct_state.h"
#include "l_core.h"

#define STATE_MT "clevertap.state"

static const char *const status_names[] = { "sending", "created", "unknown", NULL };

typedef struct {
    ct_state *st;
} l_state;

static l_state *check_open(lua_State *L)
{
    l_state *s = (l_state *)luaL_checkudata(L, 1, STATE_MT);
    if (!s->st) luaL_error(L, "state database is closed");
    return s;
}

/* core.state_open(path) -> state | nil, message */
static int l_state_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[512];
    l_state *s = (l_state *)lua_newuserdata(L, sizeof *s);
    s->st = NULL;
    luaL_getmetatable(L, STATE_MT);
    lua_setmetatable(L, -2);
    s->st = ct_state_open(path, err, sizeof err);
    if (!s->st) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    return 1;
}

/* state:get(account, key) -> nil | "sending"|"created"|"unknown", campaign id (string or nil) */
static int l_state_get(lua_State *L)
{
    l_state *s = check_open(L);
    char id[128], err[512];
    int status;
    if (ct_state_create_get(s->st, luaL_checkstring(L, 2), luaL_checkstring(L, 3), &status, id, sizeof id, err,
                            sizeof err) != 0)
        return luaL_error(L, "%s", err);
    if (status == CT_CREATE_NONE) return 0;
    lua_pushstring(L, status_names[status - CT_CREATE_SENDING]);
    if (id[0]) lua_pushstring(L, id);
    else lua_pushnil(L);
    return 2;
}

/* state:put(account, key, status [, id]) -> true | nil, message */
static int l_state_put(lua_State *L)
{
    l_state *s = check_open(L);
    int status = CT_CREATE_SENDING + luaL_checkoption(L, 4, NULL, status_names);
    char err[512];
    if (ct_state_create_put(s->st, luaL_checkstring(L, 2), luaL_checkstring(L, 3), status, luaL_optstring(L, 5, NULL),
                            err, sizeof err) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* state:forget(account, key) -> true | nil, message */
static int l_state_forget(lua_State *L)
{
    l_state *s = check_open(L);
    char err[512];
    if (ct_state_create_forget(s->st, luaL_checkstring(L, 2), luaL_checkstring(L, 3), err, sizeof err) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int l_state_close(lua_State *L)
{
    l_state *s = (l_state *)luaL_checkudata(L, 1, STATE_MT);
    ct_state_close(s->st);
    s->st = NULL;
    return 0;
}

/* core.create_key(name, body) -> "name#<16 hex digits>" */
static int l_create_key(lua_State *L)
{
    size_t nlen, blen;
    const char *name = luaL_checklstring(L, 1, &nlen);
    const char *body = luaL_checklstring(L, 2, &blen);
    /* a userdata as scratch space: collected like any value, on every Lua */
    char *out = (char *)lua_newuserdata(L, nlen + 18);
    size_t n = ct_state_create_key(name, nlen, body, blen, out, nlen + 18);
    lua_pushlstring(L, out, n);
    return 1;
}

static const luaL_Reg state_methods[] = {
    { "get", l_state_get },     { "put", l_state_put }, { "forget", l_state_forget },
    { "close", l_state_close }, { NULL, NULL },
};

void ct_l_open_state(lua_State *L)
{
    if (luaL_newmetatable(L, STATE_MT)) {
        lua_newtable(L);
        for (const luaL_Reg *r = state_methods; r->name; r++) {
            lua_pushcfunction(L, r->func);
            lua_setfield(L, -2, r->name);
        }
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_state_close);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_state_open);
    lua_setfield(L, -2, "state_open");
    lua_pushcfunction(L, l_create_key);
    lua_setfield(L, -2, "create_key");
}
