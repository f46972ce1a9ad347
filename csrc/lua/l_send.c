/* Starting jobs on a client: client:call (one request), client:send (a
 * batched send of identities, journaled when asked) and client:resume (a
 * journaled send carried on). The identities are checked and read by
 * l_identities.c; the job they start is l_job.c's. */
#include <stdlib.h>
#include <string.h>

#include "l_core.h"
#include "ct_client.h"
#include "ct_engine.h"
#include "l_client.h"

static int build_url(lua_State *L, lclient *cl, const char *endpoint, ct_job_opts *o)
{
    if (!ct_client_job_opts(cl->c, endpoint, o)) return luaL_error(L, "unknown endpoint '%s'", endpoint);
    char *url = ct_client_url(cl->c, endpoint);
    if (!url) return luaL_error(L, "out of memory");
    lua_pushstring(L, url);
    free(url);
    o->url = lua_tostring(L, -1); /* copied by the engine; popped by the caller */
    return 0;
}

/* client:call(endpoint, body [, {idempotent=, result_call=}]) -> job */
static int l_client_call(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    lc_check_not_in_step(L, cl, "call");
    const char *endpoint = luaL_checkstring(L, 2);
    size_t len;
    const char *body = luaL_checklstring(L, 3, &len);
    ct_job_opts o;
    build_url(L, cl, endpoint, &o);
    if (lua_istable(L, 4)) {
        o.idempotent = lc_opt_bool(L, 4, "idempotent");
        o.result_call = lc_opt_bool(L, 4, "result_call");
    }
    ljob *lj = lc_job_new(L, cl, 1, J_SINGLE);
    int job_idx = lua_gettop(L);
    lj->j = ct_job_single(ct_client_engine(cl->c), &o, body, len);
    if (!lj->j) return luaL_error(L, "out of memory");
    lc_job_track(L, lj, 1, job_idx);
    lua_pushvalue(L, job_idx);
    return 1;
}

/* Send options of the core: { journal = path, keep_ids = bool, resend_unknown = bool } at index i
 * (client:send also reads arrays_checked: see lc_check_to). */
static const char *send_opts(lua_State *L, int i, ct_send_opts *so)
{
    memset(so, 0, sizeof *so);
    if (!lua_istable(L, i)) return NULL;
    so->journal = lc_opt_str(L, i, "journal");
    so->keep_ids = lc_opt_bool(L, i, "keep_ids");
    so->resend_unknown = lc_opt_bool(L, i, "resend_unknown");
    return so->journal;
}

/* opts.on_iterator_error (at index i): the message handler an identity
 * iterator's error runs through, given the raised value and returning the
 * error's text (client.lua keeps the value as err.cause). */
static void take_iterator_error_handler(lua_State *L, int i, ljob *lj)
{
    if (!lua_istable(L, i)) return;
    lc_raw_field(L, i, "on_iterator_error");
    if (lua_isfunction(L, -1)) lj->errh_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    else lua_pop(L, 1);
}

/* client:send(endpoint, rest_json, to [, opts]) -> job | nil, problems | nil, journal error text */
static int l_client_send(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    lc_check_not_in_step(L, cl, "send");
    const char *endpoint = luaL_checkstring(L, 2);
    size_t rest_len;
    const char *rest = luaL_checklstring(L, 3, &rest_len);
    long long total = 0;
    lc_check_to(L, 4, &total, lua_istable(L, 5) && lc_opt_bool(L, 5, "arrays_checked"));
    if (lua_rawlen(L, -1) > 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    lua_pop(L, 1);
    ct_job_opts o;
    build_url(L, cl, endpoint, &o);
    ljob *lj = lc_job_new(L, cl, 1, J_BATCH);
    int job_idx = lua_gettop(L);
    lua_pushvalue(L, 4);
    lj->to_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lc_source_refs(L, lj);
    take_iterator_error_handler(L, 5, lj);
    /* arrays were checked above; iterators are checked as they are read */
    ct_source src = { lc_batch_next, lj, total, total >= 0 };
    ct_send_opts so;
    if (send_opts(L, 5, &so)) {
        char err[512];
        lj->j = ct_client_journaled_batch(cl->c, endpoint + strlen("send/"), rest, rest_len, &src, so.journal, 0, &so,
                                          &lj->jr, err, sizeof err);
        if (!lj->j) {
            lc_job_unbind(lj, L);
            lua_pushnil(L);
            lua_pushstring(L, err);
            return 2;
        }
    } else {
        lj->j = ct_job_batch(ct_client_engine(cl->c), &o, rest, rest_len, &src);
    }
    if (!lj->j) return luaL_error(L, "out of memory");
    lc_job_track(L, lj, 1, job_idx);
    lua_pushvalue(L, job_idx);
    return 1;
}

/* client:resume(path, to | nil [, opts]) -> job | nil, problems | nil, error text */
static int l_client_resume(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    lc_check_not_in_step(L, cl, "resume");
    const char *path = luaL_checkstring(L, 2);
    long long total = -1;
    int has_to = !lua_isnoneornil(L, 3);
    if (has_to) {
        lc_check_to(L, 3, &total, 0);
        if (lua_rawlen(L, -1) > 0) {
            lua_pushnil(L);
            lua_insert(L, -2);
            return 2;
        }
        lua_pop(L, 1);
    }
    ct_send_opts so;
    send_opts(L, 4, &so);
    ljob *lj = lc_job_new(L, cl, 1, J_BATCH);
    int job_idx = lua_gettop(L);
    if (has_to) {
        lua_pushvalue(L, 3);
        lj->to_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lc_source_refs(L, lj);
    take_iterator_error_handler(L, 4, lj);
    ct_source src = { has_to ? lc_batch_next : NULL, lj, total, total >= 0 };
    char err[512];
    /* the part read before is read again here: iterators run */
    lc_step_begin(L, cl, "resume");
    lj->j = ct_client_journaled_batch(cl->c, NULL, NULL, 0, &src, path, 1, &so, &lj->jr, err, sizeof err);
    if (!lj->j) {
        lc_job_unbind(lj, L);
        lc_step_end(L, cl);
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lc_job_track(L, lj, 1, job_idx);
    lc_step_end(L, cl);
    lua_pushvalue(L, job_idx);
    return 1;
}

const luaL_Reg lc_send_methods[] = {
    { "call", l_client_call },
    { "send", l_client_send },
    { "resume", l_client_resume },
    { NULL, NULL },
};
