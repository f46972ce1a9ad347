/* Lua binding of the client core: clevertap.core.client_new() returns a
 * low-level client (engine + libcurl or a Lua transport's pump) on which
 * lua/clevertap/client.lua and lua/clevertap/http.lua build the public API.
 *
 * The binding reads top-down by concern: this file is the client object
 * (options, lifetime, the guard around engine steps, introspection);
 * l_send.c starts sends and single calls, whose identities l_identities.c
 * checks and reads; l_generic.c runs Lua-defined request sources; l_drive.c
 * drives them (libcurl poll, the pump of a Lua transport); l_job.c is the
 * job and its report; l_journal.c reads journals; l_field.c reads option
 * fields raw. The client's lua_State is refreshed at every entry point so
 * coroutines may drive it. */
#include <string.h>

#include "l_core.h"
#include "ct_client.h"
#include "ct_curl.h"
#include "ct_engine.h"
#include "l_client.h"

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

lclient *lc_check_client(lua_State *L, int i)
{
    lclient *cl = luaL_checkudata(L, i, CLIENT_MT);
    if (cl->closed) luaL_error(L, "clevertap client is closed");
    cl->L = L;
    return cl;
}

/* The client's uservalue: { jobs = {[lightuserdata] = job}, finished = {job...} } */
void lc_push_uv_field(lua_State *L, int client_idx, const char *field)
{
    lua_getuservalue(L, client_idx);
    lua_getfield(L, -1, field);
    lua_remove(L, -2);
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

void lc_check_not_in_step(lua_State *L, const lclient *cl, const char *what)
{
    if (cl->depth > 0)
        luaL_error(L,
                   "%s: not allowed inside the client's own callback (an identity iterator, request "
                   "source or classify function runs in the middle of a client step)",
                   what);
}

/* A step of the engine runs Lua callbacks (identity iterators, request
 * sources, classify). One of them may close the client: the engine's memory
 * is still in use below it, so the close waits for the step to end. */
void lc_step_begin(lua_State *L, lclient *cl, const char *what)
{
    lc_check_not_in_step(L, cl, what);
    cl->depth++;
}

void lc_step_end(lua_State *L, lclient *cl)
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
        for (ljob *lj = cl->jobs; lj; lj = lj->next) lc_source_stop(L, lj);
        lua_pushboolean(L, 0);
        return 1;
    }
    close_now(L, cl);
    lua_pushboolean(L, 1);
    return 1;
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

static const luaL_Reg client_methods[] = {
    { "peak", l_client_peak },   { "events", l_client_events },       { "info", l_client_info },
    { "close", l_client_close }, { "is_closed", l_client_is_closed }, { NULL, NULL },
};

/* The client and job metatables; the module's functions (module table on top). */
void ct_l_open_client(lua_State *L)
{
    if (luaL_newmetatable(L, CLIENT_MT)) {
        lua_newtable(L);
        luaL_setfuncs(L, client_methods, 0);
        luaL_setfuncs(L, lc_send_methods, 0);
        luaL_setfuncs(L, lc_generic_methods, 0);
        luaL_setfuncs(L, lc_drive_methods, 0);
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
    luaL_setfuncs(L, lc_drive_functions, 0);
    luaL_setfuncs(L, lc_journal_functions, 0);
    luaL_setfuncs(L, lc_identities_functions, 0);
    lc_push_identity_types(L);
    lua_setfield(L, -2, "identity_types");
    lua_pushstring(L, ct_curl_version());
    lua_setfield(L, -2, "curl_version");
}
