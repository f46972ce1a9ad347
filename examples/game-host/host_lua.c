/* Game host embedding Lua 5.4: a 60 Hz frame loop that loads a campaign
 * script, starts its send with client:start_send and calls client:poll(0)
 * once per frame.
 *
 *   host_lua campaign.lua
 * The script returns { channel =, payload =, options = } (see campaign.lua).
 * require finds the library through LUA_PATH / LUA_CPATH as usual.
 * Prints the frame timing (frame.h) and the report; exits 0 when the send
 * finished and every identity is accounted for. */
#include "frame.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <stdio.h>
#include <stdlib.h>

#define HZ 60
#define WORK_MS 4.0 /* simulated game logic per frame */

typedef struct game {
    lua_State *L;
    int client; /* registry refs */
    int job;
    int failed;
} game;

static int traceback(lua_State *L)
{
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
    return 1;
}

/* Calls a function with nargs arguments on the stack under a traceback
 * handler; prints the error and returns 0 when it raised. */
static int pcall_report(lua_State *L, int nargs, int nresults)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    if (rc != LUA_OK) {
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 0;
    }
    return 1;
}

/* Pushes obj[name] and obj (for a method call). */
static void method(lua_State *L, int ref, const char *name)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_getfield(L, -1, name);
    lua_insert(L, -2);
}

static int tick(void *ud)
{
    game *g = ud;
    lua_State *L = g->L;
    method(L, g->client, "poll");
    lua_pushinteger(L, 0); /* 0 s: never waits */
    if (!pcall_report(L, 2, 0)) return g->failed = -1;
    method(L, g->job, "is_done");
    if (!pcall_report(L, 1, 1)) return g->failed = -1;
    int done = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return done ? 0 : 1;
}

static long long field_int(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    long long v = (long long)lua_tointeger(L, -1);
    lua_pop(L, 1);
    return v;
}

/* Identities in an outcome list entry: its "count", else the sizes of "to". */
static long long entry_count(lua_State *L, int e)
{
    lua_getfield(L, e, "count");
    if (lua_isinteger(L, -1)) {
        long long n = (long long)lua_tointeger(L, -1);
        lua_pop(L, 1);
        return n;
    }
    lua_pop(L, 1);
    long long n = 0;
    lua_getfield(L, e, "to");
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            n += (long long)luaL_len(L, -1);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    return n;
}

static long long list_count(lua_State *L, int report, const char *name)
{
    long long n = 0;
    lua_getfield(L, report, name);
    lua_Integer len = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= len; i++) {
        lua_geti(L, -1, i);
        n += entry_count(L, lua_gettop(L));
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return n;
}

static long long identities_in(lua_State *L, int payload)
{
    long long n = 0;
    lua_getfield(L, payload, "to");
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_istable(L, -1)) n += (long long)luaL_len(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s campaign.lua\n", argv[0]);
        return 2;
    }
    lua_State *L = luaL_newstate();
    if (!L) return 1;
    luaL_openlibs(L);

    /* campaign = dofile(script) */
    if (luaL_loadfile(L, argv[1]) != LUA_OK) {
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
        return 1;
    }
    if (!pcall_report(L, 0, 1) || !lua_istable(L, -1)) {
        fprintf(stderr, "%s must return a table { channel =, payload =, options = }\n", argv[1]);
        return 1;
    }
    int campaign = lua_gettop(L);
    lua_getfield(L, campaign, "payload");
    int payload = lua_gettop(L);
    long long total = identities_in(L, payload);

    /* client = require("clevertap").new(campaign.options or {}) */
    lua_getglobal(L, "require");
    lua_pushliteral(L, "clevertap");
    if (!pcall_report(L, 1, 1)) return 1;
    lua_getfield(L, -1, "new");
    lua_getfield(L, campaign, "options");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
    }
    if (!pcall_report(L, 1, 2)) return 1;
    if (lua_isnil(L, -2)) {
        fprintf(stderr, "clevertap.new: %s\n", luaL_tolstring(L, -1, NULL));
        return 1;
    }
    lua_pop(L, 1);
    game g = { L, luaL_ref(L, LUA_REGISTRYINDEX), LUA_NOREF, 0 };
    lua_pop(L, 1); /* the module */

    /* job = client:start_send(campaign.channel, campaign.payload) */
    method(L, g.client, "start_send");
    lua_getfield(L, campaign, "channel");
    lua_pushvalue(L, payload);
    if (!pcall_report(L, 3, 2)) return 1;
    if (lua_isnil(L, -2)) {
        fprintf(stderr, "start_send: %s\n", luaL_tolstring(L, -1, NULL));
        return 1;
    }
    lua_pop(L, 1);
    g.job = luaL_ref(L, LUA_REGISTRYINDEX);

    frame_stats st;
    int rc = frame_run(HZ, WORK_MS, frame_limit(HZ), tick, &g, &st);
    frame_print(&st, stdout);

    int ok = 0;
    if (rc == 0) {
        /* report, err = job:result() */
        method(L, g.job, "result");
        if (pcall_report(L, 1, 2)) {
            if (lua_istable(L, -2)) {
                int report = lua_gettop(L) - 1;
                long long accepted = field_int(L, report, "accepted");
                long long failed = list_count(L, report, "failed");
                long long unknown = list_count(L, report, "unknown");
                printf("players=%lld accepted=%lld failed=%lld unknown=%lld requests=%lld\n", total, accepted, failed,
                       unknown, field_int(L, report, "requests"));
                ok = accepted + failed + unknown == total;
                if (!ok) fprintf(stderr, "identities not accounted for\n");
            } else {
                fprintf(stderr, "send failed: %s\n", luaL_tolstring(L, -1, NULL));
                lua_pop(L, 1);
            }
            lua_pop(L, 2);
        }
    } else if (rc > 0) {
        fprintf(stderr, "the send did not finish within %ld frames\n", frame_limit(HZ));
    }

    /* client:close() */
    method(L, g.client, "close");
    pcall_report(L, 1, 0);
    luaL_unref(L, LUA_REGISTRYINDEX, g.job);
    luaL_unref(L, LUA_REGISTRYINDEX, g.client);
    lua_close(L);
    return ok ? 0 : 1;
}
