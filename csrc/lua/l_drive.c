/* Driving a client's jobs: client:poll (libcurl), or, for a Lua transport,
 * client:next_request and client:complete (the pump); the finished jobs;
 * the clock and sleep the Lua drivers use. */
#include <string.h>
#include <time.h>

#include "l_core.h"
#include "ct_client.h"
#include "ct_curl.h"
#include "ct_engine.h"
#include "l_client.h"

/* client:poll(timeout_ms) -> requests pending (libcurl transport) */
static int l_client_poll(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    lua_Integer ms = luaL_optinteger(L, 2, 0);
    if (cl->lua_transport) return luaL_error(L, "poll: this client uses a Lua transport (use next_request)");
    lc_step_begin(L, cl, "poll");
    int rc = ct_client_drive(cl->c, ms < 0 ? 0 : (int)ms);
    lc_drain_finished(L, cl, 1);
    lua_Integer pending = (lua_Integer)ct_engine_pending(ct_client_engine(cl->c));
    lc_step_end(L, cl);
    if (rc < 0) return luaL_error(L, "out of memory starting libcurl");
    lua_pushinteger(L, cl->closed ? 0 : pending);
    return 1;
}

/* client:finished() -> array of jobs finished since the last call */
static int l_client_finished(lua_State *L)
{
    lc_check_client(L, 1);
    lua_getuservalue(L, 1);
    lua_getfield(L, -1, "finished");
    lua_newtable(L);
    lua_setfield(L, -3, "finished");
    return 1;
}

static int l_client_pending(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    lua_pushinteger(L, (lua_Integer)ct_engine_pending(ct_client_engine(cl->c)));
    return 1;
}

static void set_ms_field(lua_State *L, const char *k, long ms)
{
    lua_pushnumber(L, (lua_Number)ms / 1000.0);
    lua_setfield(L, -2, k);
}

/* client:next_request() -> req | nil, wait_seconds | nil */
static int l_client_next_request(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    ct_engine *e = ct_client_engine(cl->c);
    int top = lua_gettop(L);
    int64_t now = ct_now_ms();
    lc_step_begin(L, cl, "next_request");
    ct_req *r = ct_engine_next(e, now);
    lua_settop(L, top);
    lc_drain_finished(L, cl, 1);
    lc_step_end(L, cl);
    if (cl->closed) {
        /* a source closed the client: its request went with it (never sent) */
        lua_pushnil(L);
        lua_pushnil(L);
        return 2;
    }
    if (!r) {
        lua_pushnil(L);
        int64_t w = ct_engine_wait(e, ct_now_ms());
        if (w >= 0) lua_pushnumber(L, (lua_Number)w / 1000.0);
        else if (ct_engine_inflight(e) > 0) lua_pushnumber(L, 0.001);
        else lua_pushnil(L);
        return 2;
    }
    lua_createtable(L, 0, 10);
    lua_pushinteger(L, (lua_Integer)ct_req_id(r));
    lua_setfield(L, -2, "id");
    lua_pushstring(L, ct_req_method(r));
    lua_setfield(L, -2, "method");
    lua_pushstring(L, ct_req_url(r));
    lua_setfield(L, -2, "url");
    size_t nh = 0;
    const char *const *h = ct_req_headers(r, &nh);
    lua_createtable(L, 0, (int)nh);
    for (size_t i = 0; i < nh; i++) {
        const char *colon = strchr(h[i], ':');
        if (!colon) continue;
        lua_pushlstring(L, h[i], (size_t)(colon - h[i]));
        const char *v = colon + 1;
        while (*v == ' ') v++;
        lua_pushstring(L, v);
        lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "headers");
    size_t blen = 0;
    const char *body = ct_req_body(r, &blen);
    lua_pushlstring(L, body, blen);
    lua_setfield(L, -2, "body");
    set_ms_field(L, "timeout", ct_req_timeout_ms(r));
    set_ms_field(L, "connect_timeout", ct_req_connect_timeout_ms(r));
    lua_pushinteger(L, ct_req_attempt(r));
    lua_setfield(L, -2, "attempt");
    return 1;
}

/* client:complete(id, res | nil, terr | nil) */
static int l_client_complete(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2);
    ct_engine *e = ct_client_engine(cl->c);
    ct_req *r = ct_engine_find(e, (uint64_t)id);
    if (!r) return luaL_error(L, "complete: request %d is not in flight", (int)id);
    int64_t now = ct_now_ms();
    int top = lua_gettop(L);
    lc_check_not_in_step(L, cl, "complete");
    if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "status");
        int isnum = lua_isnumber(L, -1);
        int status = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (!isnum || status < 100 || status > 599) {
            lc_step_begin(L, cl, "complete");
            ct_engine_fail(e, r, now, CT_EK_NETWORK, 1, "transport returned a response without a valid status");
        } else {
            const char *pairs[2 * 32];
            char names[32][64];
            size_t np = 0;
            lua_getfield(L, 3, "headers");
            if (lua_istable(L, -1)) {
                int ht = lua_gettop(L);
                lua_pushnil(L);
                while (lua_next(L, ht)) {
                    size_t kl = 0;
                    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &kl) : NULL;
                    if (np < 32 && k && kl < sizeof names[0] && lua_type(L, -1) == LUA_TSTRING) {
                        for (size_t i = 0; i <= kl; i++) {
                            char ch = k[i];
                            names[np][i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
                        }
                        pairs[2 * np] = names[np];
                        pairs[2 * np + 1] = lua_tostring(L, -1); /* anchored by the headers table */
                        np++;
                    }
                    lua_pop(L, 1);
                }
            }
            size_t blen = 0;
            lua_getfield(L, 3, "body");
            const char *body = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &blen) : "";
            ct_resp resp = { status, pairs, np, body, blen };
            lc_step_begin(L, cl, "complete");
            ct_engine_complete(e, r, now, &resp); /* a classify function may run */
        }
    } else {
        ct_err_kind kind = CT_EK_NETWORK;
        int sent = 1;
        const char *msg = "transport failure";
        if (lua_istable(L, 4)) {
            const char *k = lc_opt_str(L, 4, "kind");
            if (k && strcmp(k, "timeout") == 0) kind = CT_EK_TIMEOUT;
            lua_getfield(L, 4, "sent");
            if (lua_isboolean(L, -1)) sent = lua_toboolean(L, -1);
            lua_pop(L, 1);
            const char *m = lc_opt_str(L, 4, "message");
            if (m) msg = m;
        } else if (lua_type(L, 4) == LUA_TSTRING) {
            msg = lua_tostring(L, 4);
        }
        lc_step_begin(L, cl, "complete");
        ct_engine_fail(e, r, now, kind, sent, msg);
    }
    lua_settop(L, top);
    lc_drain_finished(L, cl, 1);
    lc_step_end(L, cl);
    return 0;
}

static int l_now(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)ct_now_ms() / 1000.0);
    return 1;
}

static int l_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    if (s > 0) {
        struct timespec ts;
        ts.tv_sec = (time_t)s;
        ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL);
    }
    return 0;
}

static int l_header_problem(lua_State *L)
{
    const char *why = ct_header_value_problem(luaL_checkstring(L, 1));
    if (why) lua_pushstring(L, why);
    else lua_pushnil(L);
    return 1;
}

const luaL_Reg lc_drive_methods[] = {
    { "poll", l_client_poll },         { "finished", l_client_finished },
    { "pending", l_client_pending },   { "next_request", l_client_next_request },
    { "complete", l_client_complete }, { NULL, NULL },
};

const luaL_Reg lc_drive_functions[] = {
    { "now", l_now },
    { "sleep", l_sleep },
    { "header_problem", l_header_problem },
    { NULL, NULL },
};
