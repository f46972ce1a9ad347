/* Lua binding of the client core: clevertap.core.client_new() returns a
 * low-level client (engine + libcurl or a Lua transport's pump) on which
 * lua/clevertap/client.lua and lua/clevertap/http.lua build the public API.
 *
 * This file: the client object, job creation and driving (libcurl poll, the
 * pump for Lua transports). Jobs and the Lua code the engine calls
 * (identity iterators, classify functions, always under lua_pcall) are in
 * l_client_job.c. The client's lua_State is refreshed at every entry point
 * so coroutines may drive it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l_core.h"
#include "ct_client.h"
#include "ct_curl.h"
#include "ct_engine.h"
#include "l_client.h"
#include "ct_journal.h"

/* ---- client ------------------------------------------------------------ */

static int l_client_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    ct_client_opts o;
    memset(&o, 0, sizeof o);
    ct_client_ext x;
    memset(&x, 0, sizeof x);
    o.account_id = lc_opt_str(L, 1, "account_id");
    o.passcode = lc_opt_str(L, 1, "passcode");
    o.region = lc_opt_str(L, 1, "region");
    o.base_url = lc_opt_str(L, 1, "base_url");
    o.ca_file = lc_opt_str(L, 1, "ca_file");
    o.max_body = (long long)lc_opt_num(L, 1, "max_body", 0);
    o.connect_timeout_ms = (long)lc_opt_num(L, 1, "connect_timeout_ms", 0);
    o.timeout_ms = (long)lc_opt_num(L, 1, "timeout_ms", 0);
    o.send_concurrency = (int)lc_opt_num(L, 1, "send_concurrency", 0);
    o.send_rate = lc_opt_num(L, 1, "send_rate", 0);
    o.targets_concurrency = (int)lc_opt_num(L, 1, "targets_concurrency", 0);
    o.create_rate = lc_opt_num(L, 1, "create_rate", 0);
    o.retry_attempts = (int)lc_opt_num(L, 1, "retry_attempts", 0);
    o.retry_base_ms = (long)lc_opt_num(L, 1, "retry_base_ms", 0);
    o.retry_max_ms = (long)lc_opt_num(L, 1, "retry_max_ms", 0);
    o.retry_total_ms = (long)lc_opt_num(L, 1, "retry_total_ms", 0);
    o.retry_quota = lc_opt_num(L, 1, "retry_quota", 0);
    o.resend_unknown = lc_opt_bool(L, 1, "resend_unknown");
    o.insecure = lc_opt_bool(L, 1, "insecure");
    o.limiter = lc_opt_str(L, 1, "limiter");
    o.fail_mode = lc_opt_str(L, 1, "fail_mode");
    o.limiter_members = (int)lc_opt_num(L, 1, "limiter_members", 0);
    o.limiter_lease_ms = (long)lc_opt_num(L, 1, "limiter_lease_ms", 0);
    o.limiter_send_concurrency = lc_opt_bool(L, 1, "limiter_send_concurrency");
    x.generic = lc_opt_bool(L, 1, "generic");
    x.lua_transport = lc_opt_bool(L, 1, "lua_transport");
    x.ua_extra = lc_opt_str(L, 1, "ua_extra");
    x.seed = (unsigned long long)lc_opt_num(L, 1, "seed", 0);

    lclient *cl = lua_newuserdata(L, sizeof *cl);
    memset(cl, 0, sizeof *cl);
    cl->closed = 1; /* until the C client exists */
    luaL_setmetatable(L, CLIENT_MT);
    lua_createtable(L, 0, 2);
    lua_newtable(L);
    lua_setfield(L, -2, "jobs");
    lua_newtable(L);
    lua_setfield(L, -2, "finished");
    lua_setuservalue(L, -2);
    char err[256];
    cl->c = ct_client_new_ext(&o, &x, err, sizeof err);
    if (!cl->c) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    cl->closed = 0;
    cl->lua_transport = x.lua_transport;
    cl->L = L;
    return 1;
}

/* Closes now: every job ends with its report complete (in-flight requests
 * unknown, the rest never sent) and stays readable, detached from the
 * engine; then the C client is freed. */
static void close_now(lua_State *L, lclient *cl)
{
    cl->closed = 1;
    cl->close_pending = 0;
    cl->L = L;
    ct_client_shutdown(cl->c, "the client was closed");
    while (cl->jobs) lc_job_orphan(cl->jobs, L);
    ct_client_free(cl->c);
    cl->c = NULL;
}

/* A step of the engine runs Lua callbacks (identity iterators, request
 * sources, classify). One of them may close the client: the engine's memory
 * is still in use below it, so the close waits for the step to end. */
static void step_begin(lua_State *L, lclient *cl, const char *what)
{
    lc_check_not_in_step(L, cl, what);
    cl->depth++;
}

static void step_end(lua_State *L, lclient *cl)
{
    cl->depth--;
    if (cl->depth == 0 && cl->close_pending) close_now(L, cl);
}

/* client:close() -> true when closed now, false when it waits for the
 * current step to end (called from inside a callback). Idempotent; also
 * __gc and __close. */
static int l_client_close(lua_State *L)
{
    lclient *cl = luaL_checkudata(L, 1, CLIENT_MT);
    if (cl->closed) {
        lua_pushboolean(L, !cl->close_pending);
        return 1;
    }
    if (cl->depth > 0) {
        cl->closed = 1;
        cl->close_pending = 1;
        lua_pushboolean(L, 0);
        return 1;
    }
    close_now(L, cl);
    lua_pushboolean(L, 1);
    return 1;
}

static ljob *new_job(lua_State *L, lclient *cl, int client_idx, int kind)
{
    ljob *lj = lua_newuserdata(L, sizeof *lj);
    memset(lj, 0, sizeof *lj);
    lj->cl = cl;
    lj->kind = kind;
    lj->to_ref = lj->hold_ref = lj->next_ref = lj->classify_ref = LUA_NOREF;
    luaL_setmetatable(L, JOB_MT);
    /* the job keeps its client alive */
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, client_idx);
    lua_setfield(L, -2, "client");
    lua_setuservalue(L, -2);
    lj->next = cl->jobs;
    if (cl->jobs) cl->jobs->prev = lj;
    cl->jobs = lj;
    lj->listed = 1;
    return lj;
}

/* Registers a started job as running (strong reference until finished). */
static void track(lua_State *L, ljob *lj, int client_idx, int job_idx)
{
    ct_job_set_user(lj->j, lj);
    lc_push_uv_field(L, client_idx, "jobs");
    lua_pushlightuserdata(L, lj);
    lua_pushvalue(L, job_idx);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    /* a job with nothing to do (e.g. cancelled at once) finishes here */
    lc_drain_finished(L, lj->cl, client_idx);
}

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
    ljob *lj = new_job(L, cl, 1, J_SINGLE);
    int job_idx = lua_gettop(L);
    lj->j = ct_job_single(ct_client_engine(cl->c), &o, body, len);
    if (!lj->j) return luaL_error(L, "out of memory");
    track(L, lj, 1, job_idx);
    lua_pushvalue(L, job_idx);
    return 1;
}

/* core.check_identities(to) -> problems (empty when usable) */
static int l_check_identities(lua_State *L)
{
    long long total = 0;
    lc_check_to(L, 1, &total);
    return 1;
}

/* Send options of the core: { journal = path, keep_ids = bool, resend_unknown = bool } at index i. */
static const char *send_opts(lua_State *L, int i, ct_send_opts *so)
{
    memset(so, 0, sizeof *so);
    if (!lua_istable(L, i)) return NULL;
    so->journal = lc_opt_str(L, i, "journal");
    so->keep_ids = lc_opt_bool(L, i, "keep_ids");
    so->resend_unknown = lc_opt_bool(L, i, "resend_unknown");
    return so->journal;
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
    lc_check_to(L, 4, &total);
    if (lua_rawlen(L, -1) > 0) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    lua_pop(L, 1);
    ct_job_opts o;
    build_url(L, cl, endpoint, &o);
    ljob *lj = new_job(L, cl, 1, J_BATCH);
    int job_idx = lua_gettop(L);
    lua_pushvalue(L, 4);
    lj->to_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0);
    lj->hold_ref = luaL_ref(L, LUA_REGISTRYINDEX);
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
    track(L, lj, 1, job_idx);
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
        lc_check_to(L, 3, &total);
        if (lua_rawlen(L, -1) > 0) {
            lua_pushnil(L);
            lua_insert(L, -2);
            return 2;
        }
        lua_pop(L, 1);
    }
    ct_send_opts so;
    send_opts(L, 4, &so);
    ljob *lj = new_job(L, cl, 1, J_BATCH);
    int job_idx = lua_gettop(L);
    if (has_to) {
        lua_pushvalue(L, 3);
        lj->to_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_pushboolean(L, 0);
    lj->hold_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    ct_source src = { has_to ? lc_batch_next : NULL, lj, total, total >= 0 };
    char err[512];
    /* the part read before is read again here: iterators run */
    step_begin(L, cl, "resume");
    lj->j = ct_client_journaled_batch(cl->c, NULL, NULL, 0, &src, path, 1, &so, &lj->jr, err, sizeof err);
    if (!lj->j) {
        lc_job_unbind(lj, L);
        step_end(L, cl);
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    track(L, lj, 1, job_idx);
    step_end(L, cl);
    lua_pushvalue(L, job_idx);
    return 1;
}

static void push_batch(void *ud, long long n, const char *to, size_t to_len, const char *err_kind,
                       const char *err_message)
{
    lua_State *L = ud;
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)n);
    lua_setfield(L, -2, "count");
    if (to) {
        lua_pushlstring(L, to, to_len);
        lua_setfield(L, -2, "to");
    }
    if (err_kind) {
        lua_pushstring(L, err_kind);
        lua_setfield(L, -2, "kind");
    }
    if (err_message) {
        lua_pushstring(L, err_message);
        lua_setfield(L, -2, "message");
    }
    lua_rawseti(L, -2, (ct_l_index)lua_rawlen(L, -2) + 1);
}

/* core.journal_batches(path, state) -> array of { count, to = JSON text | nil, kind, message } | nil, err:
 * a journal's batches in one state, read without its lock */
static int l_journal_batches(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    const char *state = luaL_checkstring(L, 2);
    char err[512];
    lua_newtable(L);
    if (!ct_journal_read_batches(path, state, push_batch, L, err, sizeof err)) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    return 1;
}

/* core.journal_report(path) -> { accepted, failed, unknown, in_flight, planned, batches, sent, position, total,
 *   source_read, state }
 * | nil, err: a journal read by any process, without its lock */
static int l_journal_report(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    ct_journal_summary sm;
    char err[512];
    if (!ct_journal_read_summary(path, &sm, err, sizeof err)) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, (lua_Integer)sm.accepted);
    lua_setfield(L, -2, "accepted");
    lua_pushinteger(L, (lua_Integer)sm.failed);
    lua_setfield(L, -2, "failed");
    lua_pushinteger(L, (lua_Integer)sm.unknown);
    lua_setfield(L, -2, "unknown");
    lua_pushinteger(L, (lua_Integer)sm.in_flight);
    lua_setfield(L, -2, "in_flight");
    lua_pushinteger(L, (lua_Integer)sm.planned);
    lua_setfield(L, -2, "planned");
    lua_pushinteger(L, (lua_Integer)sm.batches);
    lua_setfield(L, -2, "batches");
    lua_pushboolean(L, sm.source_read);
    lua_setfield(L, -2, "source_read");
    lua_pushinteger(L, (lua_Integer)sm.sent);
    lua_setfield(L, -2, "sent");
    lua_pushinteger(L, (lua_Integer)sm.position);
    lua_setfield(L, -2, "position");
    if (sm.total >= 0) {
        lua_pushinteger(L, (lua_Integer)sm.total);
        lua_setfield(L, -2, "total");
    }
    lua_pushstring(L, sm.state);
    lua_setfield(L, -2, "state");
    return 1;
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
    ljob *lj = new_job(L, cl, 1, J_GENERIC);
    int job_idx = lua_gettop(L);
    lua_pushvalue(L, 2);
    lj->next_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, 3);
    lj->classify_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0);
    lj->hold_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    o.classify = lc_generic_classify;
    o.classify_ud = lj;
    ct_reqsource src = { lc_generic_next, lj, (long long)total };
    lj->j = ct_job_generic(ct_client_engine(cl->c), &o, &src);
    if (!lj->j) return luaL_error(L, "out of memory");
    track(L, lj, 1, job_idx);
    lua_pushvalue(L, job_idx);
    return 1;
}

/* ---- driving ------------------------------------------------------------ */

/* client:poll(timeout_ms) -> requests pending (libcurl transport) */
static int l_client_poll(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    lua_Integer ms = luaL_optinteger(L, 2, 0);
    if (cl->lua_transport) return luaL_error(L, "poll: this client uses a Lua transport (use next_request)");
    step_begin(L, cl, "poll");
    int rc = ct_client_drive(cl->c, ms < 0 ? 0 : (int)ms);
    lc_drain_finished(L, cl, 1);
    lua_Integer pending = (lua_Integer)ct_engine_pending(ct_client_engine(cl->c));
    step_end(L, cl);
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
    step_begin(L, cl, "next_request");
    ct_req *r = ct_engine_next(e, now);
    lua_settop(L, top);
    lc_drain_finished(L, cl, 1);
    step_end(L, cl);
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
            step_begin(L, cl, "complete");
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
            step_begin(L, cl, "complete");
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
        step_begin(L, cl, "complete");
        ct_engine_fail(e, r, now, kind, sent, msg);
    }
    lua_settop(L, top);
    lc_drain_finished(L, cl, 1);
    step_end(L, cl);
    return 0;
}

/* client:events() -> array of { level = "info"|"warn", message = } since the last call */
static int l_client_events(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    ct_engine *e = ct_client_engine(cl->c);
    if (lua_toboolean(L, 2)) ct_engine_log_enable(e, 1);
    ct_event ev[16];
    size_t n, k = 0;
    lua_newtable(L);
    while ((n = ct_engine_events(e, ev, 16)) > 0) {
        for (size_t i = 0; i < n; i++) {
            lua_createtable(L, 0, 2);
            lua_pushstring(L, ev[i].warn ? "warn" : "info");
            lua_setfield(L, -2, "level");
            lua_pushstring(L, ev[i].message);
            lua_setfield(L, -2, "message");
            lua_rawseti(L, -2, (ct_l_index)++k);
        }
    }
    return 1;
}

/* client:peak(endpoint) -> highest in-flight count seen on its lane */
static int l_client_peak(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    int lane = ct_client_lane_of(cl->c, luaL_checkstring(L, 2));
    if (lane < 0) return luaL_error(L, "unknown endpoint");
    lua_pushinteger(L, ct_engine_lane_peak(ct_client_engine(cl->c), lane));
    return 1;
}

static int l_client_info(lua_State *L)
{
    lclient *cl = lc_check_client(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, ct_client_user_agent(cl->c));
    lua_setfield(L, -2, "user_agent");
    if (ct_client_base_url(cl->c)) {
        lua_pushstring(L, ct_client_base_url(cl->c));
        lua_setfield(L, -2, "base_url");
    }
    return 1;
}

static int l_client_is_closed(lua_State *L)
{
    lclient *cl = luaL_checkudata(L, 1, CLIENT_MT);
    lua_pushboolean(L, cl->closed);
    return 1;
}

static int l_client_tostring(lua_State *L)
{
    lclient *cl = luaL_checkudata(L, 1, CLIENT_MT);
    lua_pushfstring(L, "clevertap.core.client (%s)", cl->closed ? "closed" : "open");
    return 1;
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

static const luaL_Reg client_methods[] = {
    { "call", l_client_call },
    { "send", l_client_send },
    { "resume", l_client_resume },
    { "generic", l_client_generic },
    { "poll", l_client_poll },
    { "finished", l_client_finished },
    { "pending", l_client_pending },
    { "next_request", l_client_next_request },
    { "complete", l_client_complete },
    { "peak", l_client_peak },
    { "events", l_client_events },
    { "info", l_client_info },
    { "close", l_client_close },
    { "is_closed", l_client_is_closed },
    { NULL, NULL },
};

void ct_l_open_client(lua_State *L)
{
    if (luaL_newmetatable(L, CLIENT_MT)) {
        lua_newtable(L);
        luaL_setfuncs(L, client_methods, 0);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_client_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_client_close);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, l_client_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    lc_open_job(L);
    lua_pushcfunction(L, l_client_new);
    lua_setfield(L, -2, "client_new");
    lua_pushcfunction(L, l_now);
    lua_setfield(L, -2, "now");
    lua_pushcfunction(L, l_sleep);
    lua_setfield(L, -2, "sleep");
    lua_pushcfunction(L, l_header_problem);
    lua_setfield(L, -2, "header_problem");
    lua_pushcfunction(L, l_journal_report);
    lua_setfield(L, -2, "journal_report");
    lua_pushcfunction(L, l_journal_batches);
    lua_setfield(L, -2, "journal_batches");
    lua_pushcfunction(L, l_check_identities);
    lua_setfield(L, -2, "check_identities");
    lua_pushstring(L, ct_curl_version());
    lua_setfield(L, -2, "curl_version");
}
