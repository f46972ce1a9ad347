/* client:generic(next, classify, opts): a job whose requests come from a
 * Lua function and whose responses a Lua function classifies (the request
 * runner of clevertap.http, which the SMS sends use), both under
 * lua_pcall. */
#include <stdio.h>
#include <string.h>

#include "l_core.h"
#include "ct_client.h"
#include "ct_engine.h"
#include "l_client.h"

/* The Lua `next` returns tag, method, url, headers (array of "Name: value"),
 * body. They are kept in a table anchored in the registry (hold_ref) until
 * the next call, so the pointers handed to the engine stay valid while it
 * copies them. */
static int generic_next(void *ud, ct_reqspec *out, ct_err *err)
{
    ljob *lj = ud;
    lua_State *L = lj->cl->L;
    if (lj->next_ref == LUA_NOREF || lj->cl->close_pending) return 0; /* cancelled or closed from inside */
    lua_rawgeti(L, LUA_REGISTRYINDEX, lj->next_ref);
    if (lua_pcall(L, 0, 5, 0) != LUA_OK) {
        ct_err_set(err, CT_EK_VALIDATION, 0, 0, "request source raised: %.200s",
                   lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error)");
        lua_pop(L, 1);
        return -1;
    }
    if (lua_isnil(L, -5)) {
        lua_pop(L, 5);
        return 0;
    }
    lua_createtable(L, 5, 0);
    for (int i = 5; i >= 1; i--) {
        lua_insert(L, -2);
        lua_rawseti(L, -2, i);
    }
    int t = lua_gettop(L);
    lua_rawgeti(L, t, 1);
    out->tag = (long)lua_tointeger(L, -1);
    lua_rawgeti(L, t, 2);
    out->method = lua_tostring(L, -1);
    lua_rawgeti(L, t, 3);
    out->url = lua_tostring(L, -1);
    lua_rawgeti(L, t, 5);
    out->body = lua_tolstring(L, -1, &out->body_len);
    lua_rawgeti(L, t, 4);
    size_t nh = lua_istable(L, -1) ? lua_rawlen(L, -1) : 0;
    if (nh > CT_MAX_REQ_HEADERS) nh = CT_MAX_REQ_HEADERS;
    for (size_t i = 0; i < nh; i++) {
        lua_rawgeti(L, -1, (ct_l_index)i + 1);
        lj->hdrs[i] = lua_tostring(L, -1); /* anchored by the headers table */
        lua_pop(L, 1);
        if (!lj->hdrs[i]) lj->hdrs[i] = "";
    }
    out->headers = lj->hdrs;
    out->nheaders = nh;
    lua_settop(L, t);
    lua_rawseti(L, LUA_REGISTRYINDEX, lj->hold_ref);
    return 1;
}

static ct_outcome generic_classify(void *ud, ct_req *r, const ct_resp *resp, ct_err *err, int64_t *retry_after_ms)
{
    ljob *lj = ud;
    lua_State *L = lj->cl->L;
    if (lj->classify_ref == LUA_NOREF) return CT_OUT_OK; /* cancelled: the outcome is discarded */
    if (lj->cl->close_pending) {
        ct_err_set(err, CT_EK_NETWORK, resp->status, 0,
                   "the client was closed before the response was classified; its outcome is unknown");
        return CT_OUT_UNKNOWN;
    }
    int top = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lj->classify_ref);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, resp->status);
    lua_setfield(L, -2, "status");
    lua_pushlstring(L, resp->body ? resp->body : "", resp->body_len);
    lua_setfield(L, -2, "body");
    lua_createtable(L, 0, (int)resp->nheaders);
    for (size_t i = 0; i < resp->nheaders; i++) {
        lua_pushstring(L, resp->headers[2 * i + 1]);
        lua_setfield(L, -2, resp->headers[2 * i]);
    }
    lua_setfield(L, -2, "headers");
    lua_pushinteger(L, (lua_Integer)ct_req_tag(r));
    lua_pushinteger(L, ct_req_attempt(r));
    ct_outcome out;
    if (lua_pcall(L, 3, 2, 0) != LUA_OK) {
        ct_err_set(err, CT_EK_API, resp->status, 0, "classify raised: %.200s",
                   lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error)");
        lua_settop(L, top);
        return CT_OUT_FAIL;
    }
    const char *verdict = lua_tostring(L, -2);
    int info = lua_gettop(L);
    if (verdict && strcmp(verdict, "ok") == 0) out = CT_OUT_OK;
    else if (verdict && strcmp(verdict, "retry") == 0) out = CT_OUT_RETRY;
    else if (verdict && strcmp(verdict, "unknown") == 0) out = CT_OUT_UNKNOWN;
    else out = CT_OUT_FAIL;
    ct_err_set(err, CT_EK_HTTP, resp->status, out == CT_OUT_RETRY, "HTTP %d", resp->status);
    if (lua_istable(L, info)) {
        const char *kind = lc_opt_str(L, info, "kind");
        static const ct_err_kind kinds[] = { CT_EK_VALIDATION, CT_EK_HTTP,         CT_EK_API,          CT_EK_NETWORK,
                                             CT_EK_TIMEOUT,    CT_EK_RATE_LIMITED, CT_EK_NOT_COMPLETED };
        for (size_t k = 0; kind && k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(kind, ct_err_kind_name(kinds[k])) == 0) err->kind = kinds[k];
        const char *msg = lc_opt_str(L, info, "message");
        if (msg) snprintf(err->message, sizeof err->message, "%s", msg);
        lc_raw_field(L, info, "code");
        if (lua_isnumber(L, -1)) {
            err->has_code = 1;
            err->code = (long)lua_tointeger(L, -1);
        }
        lua_pop(L, 1);
        lc_raw_field(L, info, "retryable");
        if (!lua_isnil(L, -1)) err->retryable = lua_toboolean(L, -1);
        lua_pop(L, 1);
        lc_raw_field(L, info, "after");
        if (lua_isnumber(L, -1)) *retry_after_ms = (int64_t)(lua_tonumber(L, -1) * 1000.0);
        lua_pop(L, 1);
        lc_raw_field(L, info, "headers");
        if (lua_istable(L, -1)) {
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING &&
                    !ct_header_value_problem(lua_tostring(L, -1)))
                    ct_req_set_header(r, lua_tostring(L, -2), lua_tostring(L, -1));
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    } else if (lua_isstring(L, info)) {
        snprintf(err->message, sizeof err->message, "%s", lua_tostring(L, info));
    }
    lua_settop(L, top);
    return out;
}

/* client:generic(next, classify, {concurrency=, rate=}) -> job */
static int l_client_generic(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    lc_check_not_in_step(L, cl, "generic");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    luaL_checktype(L, 4, LUA_TTABLE);
    ct_lane_opts lane = { (int)lc_opt_num(L, 4, "concurrency", 8), lc_opt_num(L, 4, "rate", 0), 1, -1 };
    lane.burst = lane.max_inflight > 0 ? lane.max_inflight : 1;
    ct_job_opts o;
    if (!ct_client_generic_opts(cl->c, &lane, &o)) return luaL_error(L, "out of memory");
    o.idempotent = lc_opt_bool(L, 4, "idempotent");
    lua_Number total = lc_opt_num(L, 4, "total", -1);
    ljob *lj = lc_job_new(L, cl, 1, J_GENERIC);
    int job_idx = lua_gettop(L);
    lua_pushvalue(L, 2);
    lj->next_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, 3);
    lj->classify_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0);
    lj->hold_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    o.classify = generic_classify;
    o.classify_ud = lj;
    ct_reqsource src = { generic_next, lj, (long long)total };
    lj->j = ct_job_generic(ct_client_engine(cl->c), &o, &src);
    if (!lj->j) return luaL_error(L, "out of memory");
    lc_job_track(L, lj, 1, job_idx);
    lua_pushvalue(L, job_idx);
    return 1;
}

const luaL_Reg lc_generic_methods[] = {
    { "generic", l_client_generic },
    { NULL, NULL },
};
