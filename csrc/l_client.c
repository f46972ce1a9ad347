/* Lua binding of the client core: clevertap.core.client_new() returns a
 * low-level client (engine + libcurl or a Lua transport's pump) on which
 * lua/clevertap/client.lua and lua/clevertap/http.lua build the public API.
 *
 * Lua code runs from inside the engine (identity iterators, classify
 * functions) only under lua_pcall; the client's lua_State is refreshed at
 * every entry point so coroutines may drive it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "l_core.h"
#include "ct_client.h"
#include "ct_curl.h"
#include "ct_engine.h"

#define CLIENT_MT "clevertap.core.client"
#define JOB_MT "clevertap.core.job"
#define CT_MAX_REQ_HEADERS 64

typedef struct ljob ljob;

typedef struct lclient {
    ct_client *c;
    lua_State *L;
    ljob *jobs;      /* every job userdata still bound to this client */
    int closed;
    int lua_transport;
} lclient;

enum { J_SINGLE, J_BATCH, J_GENERIC };

struct ljob {
    ct_job *j;
    lclient *cl;
    int kind;
    /* batch source */
    int to_ref, hold_ref;
    int type;
    lua_Integer i, n;
    /* generic source and classifier */
    int next_ref, classify_ref;
    const char *hdrs[CT_MAX_REQ_HEADERS];
    ljob *prev, *next;
};

/* ---- helpers ----------------------------------------------------------- */

static lclient *check_client(lua_State *L, int i)
{
    lclient *cl = luaL_checkudata(L, i, CLIENT_MT);
    if (cl->closed) luaL_error(L, "clevertap client is closed");
    cl->L = L;
    return cl;
}

static ljob *check_job(lua_State *L, int i)
{
    ljob *j = luaL_checkudata(L, i, JOB_MT);
    if (!j->j) luaL_error(L, "clevertap job belongs to a closed client");
    j->cl->L = L;
    return j;
}

/* Raw field access: these also run inside engine callbacks, where a
 * metamethod raising an error must not unwind through C. */
static void raw_field(lua_State *L, int t, const char *k)
{
    t = lua_absindex(L, t);
    lua_pushstring(L, k);
    lua_rawget(L, t);
}

static lua_Number opt_num(lua_State *L, int t, const char *k, lua_Number d)
{
    raw_field(L, t, k);
    lua_Number v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : d;
    lua_pop(L, 1);
    return v;
}

static const char *opt_str(lua_State *L, int t, const char *k)
{
    raw_field(L, t, k);
    const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1); /* the string stays alive in the options table */
    return v;
}

static int opt_bool(lua_State *L, int t, const char *k)
{
    raw_field(L, t, k);
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static void push_err(lua_State *L, const ct_err *e)
{
    lua_createtable(L, 0, 6);
    lua_pushstring(L, ct_err_kind_name(e->kind));
    lua_setfield(L, -2, "kind");
    lua_pushstring(L, e->message);
    lua_setfield(L, -2, "message");
    if (e->status) {
        lua_pushinteger(L, e->status);
        lua_setfield(L, -2, "status");
    }
    if (e->has_code) {
        lua_pushinteger(L, (lua_Integer)e->code);
        lua_setfield(L, -2, "code");
    }
    lua_pushboolean(L, e->retryable);
    lua_setfield(L, -2, "retryable");
    if (e->pointer[0]) {
        lua_pushstring(L, e->pointer);
        lua_setfield(L, -2, "pointer");
    }
}

/* The client's uservalue: { jobs = {[lightuserdata] = job}, finished = {job...} } */
static void push_uv_field(lua_State *L, int client_idx, const char *field)
{
    lua_getuservalue(L, client_idx);
    lua_getfield(L, -1, field);
    lua_remove(L, -2);
}

/* Moves finished jobs from the engine to the client's `finished` list. */
static void drain_finished(lua_State *L, lclient *cl, int client_idx)
{
    ct_job *j;
    push_uv_field(L, client_idx, "jobs");
    push_uv_field(L, client_idx, "finished");
    int jobs = lua_gettop(L) - 1, fin = lua_gettop(L);
    while ((j = ct_engine_take_finished(ct_client_engine(cl->c)))) {
        ljob *lj = ct_job_user(j);
        if (!lj) continue;
        lua_pushlightuserdata(L, lj);
        lua_rawget(L, jobs);
        if (!lua_isnil(L, -1)) lua_rawseti(L, fin, (lua_Integer)lua_rawlen(L, fin) + 1);
        else lua_pop(L, 1);
        lua_pushlightuserdata(L, lj);
        lua_pushnil(L);
        lua_rawset(L, jobs);
    }
    lua_pop(L, 2);
}

/* ---- client ------------------------------------------------------------ */

static int l_client_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    ct_client_opts o;
    memset(&o, 0, sizeof o);
    ct_client_ext x;
    memset(&x, 0, sizeof x);
    o.account_id = opt_str(L, 1, "account_id");
    o.passcode = opt_str(L, 1, "passcode");
    o.region = opt_str(L, 1, "region");
    o.base_url = opt_str(L, 1, "base_url");
    o.ca_file = opt_str(L, 1, "ca_file");
    o.connect_timeout_ms = (long)opt_num(L, 1, "connect_timeout_ms", 0);
    o.timeout_ms = (long)opt_num(L, 1, "timeout_ms", 0);
    o.send_concurrency = (int)opt_num(L, 1, "send_concurrency", 0);
    o.send_rate = opt_num(L, 1, "send_rate", 0);
    o.targets_concurrency = (int)opt_num(L, 1, "targets_concurrency", 0);
    o.create_rate = opt_num(L, 1, "create_rate", 0);
    o.retry_attempts = (int)opt_num(L, 1, "retry_attempts", 0);
    o.retry_base_ms = (long)opt_num(L, 1, "retry_base_ms", 0);
    o.retry_max_ms = (long)opt_num(L, 1, "retry_max_ms", 0);
    o.retry_total_ms = (long)opt_num(L, 1, "retry_total_ms", 0);
    o.resend_unknown = opt_bool(L, 1, "resend_unknown");
    o.insecure = opt_bool(L, 1, "insecure");
    x.generic = opt_bool(L, 1, "generic");
    x.lua_transport = opt_bool(L, 1, "lua_transport");
    x.ua_extra = opt_str(L, 1, "ua_extra");
    x.seed = (unsigned long long)opt_num(L, 1, "seed", 0);

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

static void job_unbind(ljob *lj, lua_State *L)
{
    if (lj->cl) {
        if (lj->prev) lj->prev->next = lj->next;
        else lj->cl->jobs = lj->next;
        if (lj->next) lj->next->prev = lj->prev;
    }
    lj->prev = lj->next = NULL;
    if (L) {
        luaL_unref(L, LUA_REGISTRYINDEX, lj->to_ref);
        luaL_unref(L, LUA_REGISTRYINDEX, lj->hold_ref);
        luaL_unref(L, LUA_REGISTRYINDEX, lj->next_ref);
        luaL_unref(L, LUA_REGISTRYINDEX, lj->classify_ref);
    }
    lj->to_ref = lj->hold_ref = lj->next_ref = lj->classify_ref = LUA_NOREF;
    lj->j = NULL;
}

static int l_client_close(lua_State *L)
{
    lclient *cl = luaL_checkudata(L, 1, CLIENT_MT);
    if (cl->closed) return 0;
    cl->closed = 1;
    cl->L = L;
    /* the jobs' engine state goes with the client */
    while (cl->jobs) job_unbind(cl->jobs, L);
    ct_client_free(cl->c);
    cl->c = NULL;
    return 0;
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
    return lj;
}

/* Registers a started job as running (strong reference until finished). */
static void track(lua_State *L, ljob *lj, int client_idx, int job_idx)
{
    ct_job_set_user(lj->j, lj);
    push_uv_field(L, client_idx, "jobs");
    lua_pushlightuserdata(L, lj);
    lua_pushvalue(L, job_idx);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    /* a job with nothing to do (e.g. cancelled at once) finishes here */
    drain_finished(L, lj->cl, client_idx);
}

static int build_url(lua_State *L, lclient *cl, const char *endpoint, ct_job_opts *o)
{
    if (!ct_client_job_opts(cl->c, endpoint, o)) return luaL_error(L, "unknown endpoint '%s'", endpoint);
    lua_pushfstring(L, "%s/%s.json", ct_client_base_url(cl->c), endpoint);
    o->url = lua_tostring(L, -1); /* copied by the engine; popped by the caller */
    return 0;
}

/* client:call(endpoint, body [, {idempotent=, result_call=}]) -> job */
static int l_client_call(lua_State *L)
{
    lclient *cl = check_client(L, 1);
    const char *endpoint = luaL_checkstring(L, 2);
    size_t len;
    const char *body = luaL_checklstring(L, 3, &len);
    ct_job_opts o;
    build_url(L, cl, endpoint, &o);
    if (lua_istable(L, 4)) {
        o.idempotent = opt_bool(L, 4, "idempotent");
        o.result_call = opt_bool(L, 4, "result_call");
    }
    ljob *lj = new_job(L, cl, 1, J_SINGLE);
    int job_idx = lua_gettop(L);
    lj->j = ct_job_single(ct_client_engine(cl->c), &o, body, len);
    if (!lj->j) return luaL_error(L, "out of memory");
    track(L, lj, 1, job_idx);
    lua_pushvalue(L, job_idx);
    return 1;
}

/* ---- batch sources ------------------------------------------------------ */

static void problem(lua_State *L, int list, const char *pointer, const char *msg)
{
    lua_createtable(L, 0, 3);
    lua_pushstring(L, pointer);
    lua_setfield(L, -2, "pointer");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    lua_pushliteral(L, "error");
    lua_setfield(L, -2, "severity");
    lua_rawseti(L, list, (lua_Integer)lua_rawlen(L, list) + 1);
}

/* Checks `to` (at index t): known types, arrays of usable strings or
 * iterator functions, at least one identity. Pushes the problem list; sets
 * *total to the identities (-1 when an iterator is involved). */
static void check_to(lua_State *L, int t, long long *total)
{
    lua_newtable(L);
    int list = lua_gettop(L);
    *total = 0;
    if (!lua_istable(L, t)) {
        problem(L, list, "/to", "to is required: a table of identity arrays (FBID, GPID, Email, Identity, objectId)");
        return;
    }
    int any_fn = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        size_t kl = 0;
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &kl) : NULL;
        if (!k || ct_id_type_from_name(k, kl) < 0) {
            char ptr[96], msg[200];
            lua_pushvalue(L, -2);
            const char *ks = luaL_tolstring(L, -1, NULL);
            snprintf(ptr, sizeof ptr, "/to/%.80s", ks);
            snprintf(msg, sizeof msg, "unknown identity type '%.60s' (known: FBID, GPID, Email, Identity, objectId)", ks);
            lua_pop(L, 2);
            problem(L, list, ptr, msg);
        }
        lua_pop(L, 1);
    }
    for (int ty = 0; ty < CT_ID_NTYPES; ty++) {
        lua_getfield(L, t, ct_id_type_names[ty]);
        char ptr[96];
        if (lua_isfunction(L, -1)) {
            any_fn = 1;
        } else if (lua_istable(L, -1)) {
            lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
            for (lua_Integer i = 1; i <= n; i++) {
                lua_rawgeti(L, -1, i);
                size_t sl = 0;
                const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &sl) : NULL;
                const char *why = ct_identity_problem(s, sl);
                if (why) {
                    snprintf(ptr, sizeof ptr, "/to/%s/%lld", ct_id_type_names[ty], (long long)(i - 1));
                    problem(L, list, ptr, why);
                }
                lua_pop(L, 1);
            }
            *total += (long long)n;
        } else if (!lua_isnil(L, -1)) {
            snprintf(ptr, sizeof ptr, "/to/%s", ct_id_type_names[ty]);
            problem(L, list, ptr, "must be an array of strings or an iterator function");
        }
        lua_pop(L, 1);
    }
    if (!any_fn && *total == 0 && lua_rawlen(L, list) == 0)
        problem(L, list, "/to", "at least one identity is required");
    if (any_fn) *total = -1;
}

static int batch_next(void *ud, int *type, const char **s, size_t *len, ct_err *err)
{
    ljob *lj = ud;
    lua_State *L = lj->cl->L;
    if (lj->to_ref == LUA_NOREF) return 0; /* cancelled from inside the iterator */
    while (lj->type < CT_ID_NTYPES) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, lj->to_ref);
        raw_field(L, -1, ct_id_type_names[lj->type]);
        if (lua_istable(L, -1)) {
            if (lj->i == 0) lj->n = (lua_Integer)lua_rawlen(L, -1);
            if (lj->i < lj->n) {
                lua_rawgeti(L, -1, ++lj->i);
                *type = lj->type;
                /* the array keeps the string alive */
                *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
                if (!*s) *len = 0;
                lua_pop(L, 3);
                return 1;
            }
        } else if (lua_isfunction(L, -1)) {
            if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
                ct_err_set(err, CT_EK_VALIDATION, 0, 0, "identity iterator for %s raised: %.180s",
                           ct_id_type_names[lj->type], lua_tostring(L, -1) ? lua_tostring(L, -1) : "(error)");
                lua_pop(L, 2);
                return -1;
            }
            if (!lua_isnil(L, -1)) {
                *type = lj->type;
                *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
                if (!*s) *len = 0;
                /* keep the string alive until the next call */
                lua_rawseti(L, LUA_REGISTRYINDEX, lj->hold_ref);
                lua_pop(L, 1);
                lj->i++;
                return 1;
            }
        }
        lua_pop(L, 2);
        lj->type++;
        lj->i = lj->n = 0;
    }
    return 0;
}

/* core.check_identities(to) -> problems (empty when usable) */
static int l_check_identities(lua_State *L)
{
    long long total = 0;
    check_to(L, 1, &total);
    return 1;
}

/* client:send(endpoint, rest_json, to) -> job | nil, problems */
static int l_client_send(lua_State *L)
{
    lclient *cl = check_client(L, 1);
    const char *endpoint = luaL_checkstring(L, 2);
    size_t rest_len;
    const char *rest = luaL_checklstring(L, 3, &rest_len);
    long long total = 0;
    check_to(L, 4, &total);
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
    ct_source src = { batch_next, lj, total, total >= 0 };
    lj->j = ct_job_batch(ct_client_engine(cl->c), &o, rest, rest_len, &src);
    if (!lj->j) return luaL_error(L, "out of memory");
    track(L, lj, 1, job_idx);
    lua_pushvalue(L, job_idx);
    return 1;
}

/* ---- generic jobs ------------------------------------------------------- */

/* The Lua `next` returns tag, method, url, headers (array of "Name: value"),
 * body. They are kept in a table anchored in the registry (hold_ref) until
 * the next call, so the pointers handed to the engine stay valid while it
 * copies them. */
static int generic_next(void *ud, ct_reqspec *out, ct_err *err)
{
    ljob *lj = ud;
    lua_State *L = lj->cl->L;
    if (lj->next_ref == LUA_NOREF) return 0; /* cancelled from inside the source */
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
        lua_rawgeti(L, -1, (lua_Integer)i + 1);
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
        const char *kind = opt_str(L, info, "kind");
        static const ct_err_kind kinds[] = { CT_EK_VALIDATION, CT_EK_HTTP, CT_EK_API, CT_EK_NETWORK,
                                             CT_EK_TIMEOUT, CT_EK_RATE_LIMITED, CT_EK_NOT_COMPLETED };
        for (size_t k = 0; kind && k < sizeof kinds / sizeof kinds[0]; k++)
            if (strcmp(kind, ct_err_kind_name(kinds[k])) == 0) err->kind = kinds[k];
        const char *msg = opt_str(L, info, "message");
        if (msg) snprintf(err->message, sizeof err->message, "%s", msg);
        raw_field(L, info, "code");
        if (lua_isnumber(L, -1)) {
            err->has_code = 1;
            err->code = (long)lua_tointeger(L, -1);
        }
        lua_pop(L, 1);
        raw_field(L, info, "retryable");
        if (!lua_isnil(L, -1)) err->retryable = lua_toboolean(L, -1);
        lua_pop(L, 1);
        raw_field(L, info, "after");
        if (lua_isnumber(L, -1)) *retry_after_ms = (int64_t)(lua_tonumber(L, -1) * 1000.0);
        lua_pop(L, 1);
        raw_field(L, info, "headers");
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
    lclient *cl = check_client(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    luaL_checktype(L, 4, LUA_TTABLE);
    ct_lane_opts lane = { (int)opt_num(L, 4, "concurrency", 8), opt_num(L, 4, "rate", 0), 1, -1 };
    lane.burst = lane.max_inflight > 0 ? lane.max_inflight : 1;
    ct_job_opts o;
    if (!ct_client_generic_opts(cl->c, &lane, &o)) return luaL_error(L, "out of memory");
    o.idempotent = opt_bool(L, 4, "idempotent");
    lua_Number total = opt_num(L, 4, "total", -1);
    ljob *lj = new_job(L, cl, 1, J_GENERIC);
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
    track(L, lj, 1, job_idx);
    lua_pushvalue(L, job_idx);
    return 1;
}

/* ---- driving ------------------------------------------------------------ */

/* client:poll(timeout_ms) -> requests pending (libcurl transport) */
static int l_client_poll(lua_State *L)
{
    lclient *cl = check_client(L, 1);
    lua_Integer ms = luaL_optinteger(L, 2, 0);
    if (cl->lua_transport) return luaL_error(L, "poll: this client uses a Lua transport (use next_request)");
    int rc = ct_client_drive(cl->c, ms < 0 ? 0 : (int)ms);
    drain_finished(L, cl, 1);
    if (rc < 0) return luaL_error(L, "out of memory starting libcurl");
    lua_pushinteger(L, (lua_Integer)ct_engine_pending(ct_client_engine(cl->c)));
    return 1;
}

/* client:finished() -> array of jobs finished since the last call */
static int l_client_finished(lua_State *L)
{
    check_client(L, 1);
    lua_getuservalue(L, 1);
    lua_getfield(L, -1, "finished");
    lua_newtable(L);
    lua_setfield(L, -3, "finished");
    return 1;
}

static int l_client_pending(lua_State *L)
{
    lclient *cl = check_client(L, 1);
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
    lclient *cl = check_client(L, 1);
    ct_engine *e = ct_client_engine(cl->c);
    int top = lua_gettop(L);
    int64_t now = ct_now_ms();
    ct_req *r = ct_engine_next(e, now);
    lua_settop(L, top);
    drain_finished(L, cl, 1);
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
    lclient *cl = check_client(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2);
    ct_engine *e = ct_client_engine(cl->c);
    ct_req *r = ct_engine_find(e, (uint64_t)id);
    if (!r) return luaL_error(L, "complete: request %d is not in flight", (int)id);
    int64_t now = ct_now_ms();
    int top = lua_gettop(L);
    if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "status");
        int isnum = lua_isnumber(L, -1);
        int status = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (!isnum || status < 100 || status > 599) {
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
            ct_engine_complete(e, r, now, &resp);
        }
    } else {
        ct_err_kind kind = CT_EK_NETWORK;
        int sent = 1;
        const char *msg = "transport failure";
        if (lua_istable(L, 4)) {
            const char *k = opt_str(L, 4, "kind");
            if (k && strcmp(k, "timeout") == 0) kind = CT_EK_TIMEOUT;
            lua_getfield(L, 4, "sent");
            if (lua_isboolean(L, -1)) sent = lua_toboolean(L, -1);
            lua_pop(L, 1);
            const char *m = opt_str(L, 4, "message");
            if (m) msg = m;
        } else if (lua_type(L, 4) == LUA_TSTRING) {
            msg = lua_tostring(L, 4);
        }
        ct_engine_fail(e, r, now, kind, sent, msg);
    }
    lua_settop(L, top);
    drain_finished(L, cl, 1);
    return 0;
}

/* client:events() -> array of { level = "info"|"warn", message = } since the last call */
static int l_client_events(lua_State *L)
{
    lclient *cl = check_client(L, 1);
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
            lua_rawseti(L, -2, (lua_Integer)++k);
        }
    }
    return 1;
}

/* client:peak(endpoint) -> highest in-flight count seen on its lane */
static int l_client_peak(lua_State *L)
{
    lclient *cl = check_client(L, 1);
    int lane = ct_client_lane_of(cl->c, luaL_checkstring(L, 2));
    if (lane < 0) return luaL_error(L, "unknown endpoint");
    lua_pushinteger(L, ct_engine_lane_peak(ct_client_engine(cl->c), lane));
    return 1;
}

static int l_client_info(lua_State *L)
{
    lclient *cl = check_client(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, ct_client_user_agent(cl->c));
    lua_setfield(L, -2, "user_agent");
    if (ct_client_base_url(cl->c)) {
        lua_pushstring(L, ct_client_base_url(cl->c));
        lua_setfield(L, -2, "base_url");
    }
    return 1;
}

static int l_client_tostring(lua_State *L)
{
    lclient *cl = luaL_checkudata(L, 1, CLIENT_MT);
    lua_pushfstring(L, "clevertap.core.client (%s)", cl->closed ? "closed" : "open");
    return 1;
}

/* ---- jobs --------------------------------------------------------------- */

static int l_job_done(lua_State *L)
{
    ljob *lj = check_job(L, 1);
    lua_pushboolean(L, ct_job_done(lj->j));
    return 1;
}

static void push_report_counts(lua_State *L, const ct_report *r)
{
    lua_pushinteger(L, (lua_Integer)r->accepted);
    lua_setfield(L, -2, "accepted");
    lua_pushinteger(L, (lua_Integer)r->requests);
    lua_setfield(L, -2, "requests");
    lua_pushinteger(L, (lua_Integer)r->batches_done);
    lua_setfield(L, -2, "batches_done");
    if (r->batches_total >= 0) {
        lua_pushinteger(L, (lua_Integer)r->batches_total);
        lua_setfield(L, -2, "batches_total");
    }
    lua_pushinteger(L, (lua_Integer)r->failed_ids);
    lua_setfield(L, -2, "failed_count");
    lua_pushinteger(L, (lua_Integer)r->unknown_ids);
    lua_setfield(L, -2, "unknown_count");
}

/* job:progress() -> { accepted, requests, batches_done, batches_total, ... } */
static int l_job_progress(lua_State *L)
{
    ljob *lj = check_job(L, 1);
    lua_createtable(L, 0, 6);
    push_report_counts(L, ct_job_report(lj->j));
    return 1;
}

/* job:report() -> counts + failed/unknown arrays of { to = json | tag = n, count, error } */
static int l_job_report(lua_State *L)
{
    ljob *lj = check_job(L, 1);
    const ct_report *r = ct_job_report(lj->j);
    lua_createtable(L, 0, 9);
    push_report_counts(L, r);
    lua_newtable(L);
    lua_newtable(L);
    size_t n = ct_job_outrec_count(lj->j);
    for (size_t i = 0; i < n; i++) {
        const ct_outrec *o = ct_job_outrec(lj->j, i);
        int list = o->unknown ? -1 : -2;
        lua_createtable(L, 0, 3);
        if (o->to_json) {
            lua_pushlstring(L, o->to_json, o->to_len);
            lua_setfield(L, -2, "to");
        }
        if (o->tag >= 0) {
            lua_pushinteger(L, (lua_Integer)o->tag);
            lua_setfield(L, -2, "tag");
        }
        lua_pushinteger(L, (lua_Integer)o->n_ids);
        lua_setfield(L, -2, "count");
        push_err(L, &o->err);
        lua_setfield(L, -2, "error");
        lua_rawseti(L, list - 1, (lua_Integer)lua_rawlen(L, list - 1) + 1);
    }
    lua_setfield(L, -3, "unknown");
    lua_setfield(L, -2, "failed");
    const ct_err *se = ct_job_source_error(lj->j);
    if (se->kind != CT_EK_NONE) {
        push_err(L, se);
        lua_setfield(L, -2, "source_error");
    }
    return 1;
}

/* job:response() -> status, body, err (single calls) */
static int l_job_response(lua_State *L)
{
    ljob *lj = check_job(L, 1);
    size_t len = 0;
    const char *body = ct_job_body(lj->j, &len);
    const ct_err *e = ct_job_error(lj->j);
    if (ct_job_status(lj->j)) lua_pushinteger(L, ct_job_status(lj->j));
    else lua_pushnil(L);
    if (body) lua_pushlstring(L, body, len);
    else lua_pushnil(L);
    if (e->kind != CT_EK_NONE) push_err(L, e);
    else lua_pushnil(L);
    return 3;
}

/* job:cancel(): queued requests are dropped; in-flight ones are forgotten */
static int l_job_cancel(lua_State *L)
{
    ljob *lj = luaL_checkudata(L, 1, JOB_MT);
    if (!lj->j) return 0;
    lj->cl->L = L;
    ct_job_release(lj->j);
    job_unbind(lj, L);
    return 0;
}

static int l_job_gc(lua_State *L)
{
    ljob *lj = luaL_checkudata(L, 1, JOB_MT);
    if (lj->j) {
        ct_job_release(lj->j);
        job_unbind(lj, L);
    }
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

static const luaL_Reg client_methods[] = {
    { "call", l_client_call },
    { "send", l_client_send },
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
    { NULL, NULL },
};

static const luaL_Reg job_methods[] = {
    { "done", l_job_done },
    { "progress", l_job_progress },
    { "report", l_job_report },
    { "response", l_job_response },
    { "cancel", l_job_cancel },
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
    if (luaL_newmetatable(L, JOB_MT)) {
        lua_newtable(L);
        luaL_setfuncs(L, job_methods, 0);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_job_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_client_new);
    lua_setfield(L, -2, "client_new");
    lua_pushcfunction(L, l_now);
    lua_setfield(L, -2, "now");
    lua_pushcfunction(L, l_sleep);
    lua_setfield(L, -2, "sleep");
    lua_pushcfunction(L, l_header_problem);
    lua_setfield(L, -2, "header_problem");
    lua_pushcfunction(L, l_check_identities);
    lua_setfield(L, -2, "check_identities");
    lua_pushstring(L, ct_curl_version());
    lua_setfield(L, -2, "curl_version");
}
