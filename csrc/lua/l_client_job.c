/* Lua binding of the client core, part 2: the job object and the Lua code
 * the engine calls (identity arrays and iterators, request sources,
 * classify functions), always under lua_pcall. Part 1 (l_client.c) is the
 * client object and its driving. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l_core.h"
#include "ct_client.h"
#include "ct_engine.h"
#include "l_client.h"

/* ---- helpers ----------------------------------------------------------- */

lclient *lc_check_client(lua_State *L, int i)
{
    lclient *cl = luaL_checkudata(L, i, CLIENT_MT);
    if (cl->closed) luaL_error(L, "clevertap client is closed");
    cl->L = L;
    return cl;
}

ljob *lc_check_job(lua_State *L, int i)
{
    ljob *j = luaL_checkudata(L, i, JOB_MT);
    if (!j->j) luaL_error(L, "clevertap job belongs to a closed client");
    j->cl->L = L;
    return j;
}

/* Raw field access: these also run inside engine callbacks, where a
 * metamethod raising an error must not unwind through C. */
void lc_raw_field(lua_State *L, int t, const char *k)
{
    t = lua_absindex(L, t);
    lua_pushstring(L, k);
    lua_rawget(L, t);
}

lua_Number lc_opt_num(lua_State *L, int t, const char *k, lua_Number d)
{
    lc_raw_field(L, t, k);
    lua_Number v = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : d;
    lua_pop(L, 1);
    return v;
}

const char *lc_opt_str(lua_State *L, int t, const char *k)
{
    lc_raw_field(L, t, k);
    const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1); /* the string stays alive in the options table */
    return v;
}

int lc_opt_bool(lua_State *L, int t, const char *k)
{
    lc_raw_field(L, t, k);
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

void lc_push_err(lua_State *L, const ct_err *e)
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
void lc_push_uv_field(lua_State *L, int client_idx, const char *field)
{
    lua_getuservalue(L, client_idx);
    lua_getfield(L, -1, field);
    lua_remove(L, -2);
}

/* Moves finished jobs from the engine to the client's `finished` list. */
void lc_drain_finished(lua_State *L, lclient *cl, int client_idx)
{
    ct_job *j;
    lc_push_uv_field(L, client_idx, "jobs");
    lc_push_uv_field(L, client_idx, "finished");
    int jobs = lua_gettop(L) - 1, fin = lua_gettop(L);
    while ((j = ct_engine_take_finished(ct_client_engine(cl->c)))) {
        ljob *lj = ct_job_user(j);
        if (!lj) continue;
        lua_pushlightuserdata(L, lj);
        lua_rawget(L, jobs);
        if (!lua_isnil(L, -1)) lua_rawseti(L, fin, (ct_l_index)lua_rawlen(L, fin) + 1);
        else lua_pop(L, 1);
        lua_pushlightuserdata(L, lj);
        lua_pushnil(L);
        lua_rawset(L, jobs);
    }
    lua_pop(L, 2);
}

static void unlist(ljob *lj)
{
    if (lj->listed) {
        if (lj->prev) lj->prev->next = lj->next;
        else lj->cl->jobs = lj->next;
        if (lj->next) lj->next->prev = lj->prev;
        lj->listed = 0;
    }
    lj->prev = lj->next = NULL;
}

static void unref_sources(ljob *lj, lua_State *L)
{
    if (L) {
        luaL_unref(L, LUA_REGISTRYINDEX, lj->to_ref);
        luaL_unref(L, LUA_REGISTRYINDEX, lj->hold_ref);
        luaL_unref(L, LUA_REGISTRYINDEX, lj->next_ref);
        luaL_unref(L, LUA_REGISTRYINDEX, lj->classify_ref);
    }
    lj->to_ref = lj->hold_ref = lj->next_ref = lj->classify_ref = LUA_NOREF;
}

void lc_job_end_journal(ljob *lj)
{
    if (!lj->jr) return;
    ct_client_journal_end(lj->j, lj->jr);
    lj->jr = NULL;
}

void lc_job_unbind(ljob *lj, lua_State *L)
{
    lc_job_end_journal(lj);
    unlist(lj);
    unref_sources(lj, L);
    lj->j = NULL;
}

void lc_job_orphan(ljob *lj, lua_State *L)
{
    lc_job_end_journal(lj); /* the shutdown ended the send: its journal is complete */
    unlist(lj);
    unref_sources(lj, L);
    if (!ct_job_detach(lj->j)) lj->j = NULL; /* still the engine's: freed with it */
}

void lc_check_not_in_step(lua_State *L, const lclient *cl, const char *what)
{
    if (cl->depth > 0)
        luaL_error(L,
                   "%s: not allowed inside the client's own callback (an identity iterator, request "
                   "source or classify function runs in the middle of a client step)",
                   what);
}

/* ---- batch sources ------------------------------------------------------ */

/* A problem whose pointer is the string on top of the stack (popped). */
static void lc_problem_at(lua_State *L, int list, const char *msg)
{
    lua_createtable(L, 0, 3);
    lua_insert(L, -2);
    lua_setfield(L, -2, "pointer");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    lua_pushliteral(L, "error");
    lua_setfield(L, -2, "severity");
    lua_rawseti(L, list, (ct_l_index)lua_rawlen(L, list) + 1);
}

static void lc_problem(lua_State *L, int list, const char *pointer, const char *msg)
{
    lua_createtable(L, 0, 3);
    lua_pushstring(L, pointer);
    lua_setfield(L, -2, "pointer");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    lua_pushliteral(L, "error");
    lua_setfield(L, -2, "severity");
    lua_rawseti(L, list, (ct_l_index)lua_rawlen(L, list) + 1);
}

/* The identity array on top of the stack, its length n (lua_rawlen): every
 * entry a usable string at keys 1..n and nothing else. Interpreters read the
 * length of an array with holes differently ({"a", nil, "b"}: 1 on LuaJIT,
 * 3 on Lua 5.4), so an array that is not a sequence is refused whole.
 * Returns 0 when it was refused. */
static int check_sequence(lua_State *L, int list, int ty, lua_Integer n)
{
    int arr = lua_gettop(L);
    const char *name = ct_id_type_names[ty];
    char ptr[96], msg[200];
    lua_Integer entries = 0, stray = 0;
    int any_bad = 0;
    /* one pass reads each entry once: the keys make an array, and the
     * values are usable identities (the common case: nothing to report) */
    lua_pushnil(L);
    while (lua_next(L, arr)) {
        entries++;
        if (lua_type(L, -2) == LUA_TNUMBER) {
            lua_Number k = lua_tonumber(L, -2);
            if (!(k >= 1 && k <= (lua_Number)n && k == (lua_Number)(lua_Integer)k)) stray++;
        } else {
            stray++;
        }
        if (!any_bad) {
            size_t sl = 0;
            const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &sl) : NULL;
            any_bad = ct_identity_problem(s, sl) != NULL;
        }
        lua_pop(L, 1);
    }
    if (stray || entries != n) {
        snprintf(ptr, sizeof ptr, "/to/%s", name);
        snprintf(msg, sizeof msg,
                 "to.%s: must be an array (keys 1..n without holes): it has %lld entries for a length of %lld", name,
                 (long long)entries, (long long)n);
        lc_problem(L, list, ptr, msg);
        return 0;
    }
    if (!any_bad) return 1;
    /* something to report: again, in index order */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, arr, (ct_l_index)i);
        size_t sl = 0;
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &sl) : NULL;
        const char *why = ct_identity_problem(s, sl);
        if (why) {
            /* messages begin with the field's path, as clevertap.validate's do */
            snprintf(ptr, sizeof ptr, "/to/%s/%lld", name, (long long)(i - 1));
            snprintf(msg, sizeof msg, "to.%s[%lld]: %s", name, (long long)(i - 1), why);
            lc_problem(L, list, ptr, msg);
        }
        lua_pop(L, 1);
    }
    return 1;
}

/* Checks `to` (at index t): known types, arrays of usable strings or
 * iterator functions, at least one identity. Pushes the problem list; sets
 * *total to the identities (-1 when an iterator is involved). */
void lc_check_to(lua_State *L, int t, long long *total)
{
    lua_newtable(L);
    int list = lua_gettop(L);
    *total = 0;
    if (!lua_istable(L, t)) {
        lc_problem(L, list, "/to", "to: required, a table of identity arrays (FBID, GPID, Email, Identity, objectId)");
        return;
    }
    int any_fn = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        size_t kl = 0;
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &kl) : NULL;
        if (!k || ct_id_type_from_name(k, kl) < 0) {
            char msg[200];
            lua_pushvalue(L, -2);
            size_t ksl = 0;
            const char *ks = luaL_tolstring(L, -1, &ksl);
            snprintf(msg, sizeof msg, "to.%.60s: unknown identity type (known: FBID, GPID, Email, Identity, objectId)",
                     ks);
            /* the pointer names the key exactly, whatever its bytes (RFC 6901) */
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            luaL_addstring(&b, "/to/");
            for (size_t i = 0; i < ksl; i++) {
                if (ks[i] == '~') luaL_addstring(&b, "~0");
                else if (ks[i] == '/') luaL_addstring(&b, "~1");
                else luaL_addchar(&b, ks[i]);
            }
            luaL_pushresult(&b);
            lc_problem_at(L, list, msg);
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
    }
    for (int ty = 0; ty < CT_ID_NTYPES; ty++) {
        /* raw, as batching reads it: what is checked is what is sent */
        lc_raw_field(L, t, ct_id_type_names[ty]);
        char ptr[96];
        if (lua_isfunction(L, -1)) {
            any_fn = 1;
        } else if (lua_istable(L, -1)) {
            lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
            if (!check_sequence(L, list, ty, n)) n = 0;
            *total += (long long)n;
        } else if (!lua_isnil(L, -1)) {
            char msg[128];
            snprintf(ptr, sizeof ptr, "/to/%s", ct_id_type_names[ty]);
            snprintf(msg, sizeof msg, "to.%s: must be an array of strings or an iterator function",
                     ct_id_type_names[ty]);
            lc_problem(L, list, ptr, msg);
        }
        lua_pop(L, 1);
    }
    if (!any_fn && *total == 0 && lua_rawlen(L, list) == 0)
        lc_problem(L, list, "/to",
                   lua_getmetatable(L, t) ? (lua_pop(L, 1), "to: at least one identity is required "
                                                            "(read from the table itself: its metatable is not used)")
                                          : "to: at least one identity is required");
    if (any_fn) *total = -1;
}

int lc_batch_next(void *ud, int *type, const char **s, size_t *len, ct_err *err)
{
    ljob *lj = ud;
    lua_State *L = lj->cl->L;
    /* cancelled, or the client closed, from inside the iterator */
    if (lj->to_ref == LUA_NOREF || lj->cl->close_pending) return 0;
    while (lj->type < CT_ID_NTYPES) {
        if (lj->src_kind == LC_SRC_UNSET) {
            /* this type's array, read once: the per-identity step below is
             * one lua_rawgeti and one lua_tolstring */
            lua_rawgeti(L, LUA_REGISTRYINDEX, lj->to_ref);
            lc_raw_field(L, -1, ct_id_type_names[lj->type]);
            if (lua_istable(L, -1)) {
                lj->src_kind = LC_SRC_ARRAY;
                lj->n = (lua_Integer)lua_rawlen(L, -1);
                lua_rawseti(L, LUA_REGISTRYINDEX, lj->hold_ref); /* hold_ref anchors the array */
            } else {
                lj->src_kind = lua_isfunction(L, -1) ? LC_SRC_ITER : LC_SRC_NONE;
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
        if (lj->src_kind == LC_SRC_ARRAY && lj->i < lj->n) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, lj->hold_ref);
            lua_rawgeti(L, -1, (ct_l_index)++lj->i);
            *type = lj->type;
            /* the array keeps the string alive */
            *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
            if (!*s) *len = 0;
            lua_pop(L, 2);
            return 1;
        }
        if (lj->src_kind == LC_SRC_ITER) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, lj->to_ref);
            lc_raw_field(L, -1, ct_id_type_names[lj->type]);
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
            lua_pop(L, 2);
        }
        lj->type++;
        lj->i = lj->n = 0;
        lj->src_kind = LC_SRC_UNSET;
    }
    return 0;
}

/* ---- generic jobs ------------------------------------------------------- */

/* The Lua `next` returns tag, method, url, headers (array of "Name: value"),
 * body. They are kept in a table anchored in the registry (hold_ref) until
 * the next call, so the pointers handed to the engine stay valid while it
 * copies them. */
int lc_generic_next(void *ud, ct_reqspec *out, ct_err *err)
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

ct_outcome lc_generic_classify(void *ud, ct_req *r, const ct_resp *resp, ct_err *err, int64_t *retry_after_ms)
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

/* ---- jobs --------------------------------------------------------------- */

static int l_job_done(lua_State *L)
{
    ljob *lj = lc_check_job(L, 1);
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
    lua_pushinteger(L, (lua_Integer)r->not_sent_ids);
    lua_setfield(L, -2, "not_sent_count");
}

static void push_cancelled(lua_State *L, const ct_job *j)
{
    lua_pushboolean(L, ct_job_cancelled(j));
    lua_setfield(L, -2, "cancelled");
}

/* job:progress() -> { accepted, requests, batches_done, batches_total, ... } */
static int l_job_progress(lua_State *L)
{
    ljob *lj = lc_check_job(L, 1);
    lua_createtable(L, 0, 7);
    push_report_counts(L, ct_job_report(lj->j));
    lua_pushinteger(L, (lua_Integer)ct_job_inflight(lj->j));
    lua_setfield(L, -2, "in_flight");
    return 1;
}

/* job:report() -> counts + failed/unknown/not_sent arrays of { to = json | tag = n, count, error } */
static int l_job_report(lua_State *L)
{
    ljob *lj = lc_check_job(L, 1);
    const ct_report *r = ct_job_report(lj->j);
    lua_createtable(L, 0, 10);
    push_report_counts(L, r);
    int report = lua_gettop(L);
    lua_newtable(L); /* report + 1: failed */
    lua_newtable(L); /* report + 2: unknown */
    lua_newtable(L); /* report + 3: not_sent */
    size_t n = ct_job_outrec_count(lj->j);
    for (size_t i = 0; i < n; i++) {
        const ct_outrec *o = ct_job_outrec(lj->j, i);
        int list = report + (o->not_sent ? 3 : o->unknown ? 2 : 1);
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
        lc_push_err(L, &o->err);
        lua_setfield(L, -2, "error");
        lua_rawseti(L, list, (ct_l_index)lua_rawlen(L, list) + 1);
    }
    lua_setfield(L, report, "not_sent");
    lua_setfield(L, report, "unknown");
    lua_setfield(L, report, "failed");
    push_cancelled(L, lj->j);
    const ct_err *se = ct_job_source_error(lj->j);
    if (se->kind != CT_EK_NONE) {
        lc_push_err(L, se);
        lua_setfield(L, -2, "source_error");
    }
    return 1;
}

/* job:response() -> status, body, err (single calls) */
static int l_job_response(lua_State *L)
{
    ljob *lj = lc_check_job(L, 1);
    size_t len = 0;
    const char *body = ct_job_body(lj->j, &len);
    const ct_err *e = ct_job_error(lj->j);
    if (ct_job_status(lj->j)) lua_pushinteger(L, ct_job_status(lj->j));
    else lua_pushnil(L);
    if (body && e->kind != CT_EK_NONE) {
        /* an error's body becomes err.body: a server echoing the passcode,
         * even \u-escaped, must not put it there */
        char *copy = ct_job_redact_body(lj->j, body, len);
        if (!copy) return luaL_error(L, "out of memory");
        lua_pushstring(L, copy);
        free(copy);
    } else if (body) {
        lua_pushlstring(L, body, len);
    } else {
        lua_pushnil(L);
    }
    if (e->kind != CT_EK_NONE) lc_push_err(L, e);
    else lua_pushnil(L);
    return 3;
}

/* job:cancel(): a send keeps its report (queued batches and an array's
 * rest not_sent, requests in flight unknown) and is done, at once or, from
 * inside its own iterator, when that returns: true when done now. Other
 * jobs: queued requests are dropped, in-flight ones forgotten. */
static int l_job_cancel(lua_State *L)
{
    ljob *lj = luaL_checkudata(L, 1, JOB_MT);
    if (!lj->j) return 0;
    lj->cl->L = L;
    if (lj->kind == J_BATCH && lj->cl->c) {
        ct_job_cancel(lj->j, "the job was cancelled");
        lua_pushboolean(L, ct_job_done(lj->j));
        return 1;
    }
    ct_job_release(lj->j);
    lc_job_unbind(lj, L);
    return 0;
}

/* job:hold(): a send starts no request any more; those in flight finish
 * (a clean stop: hold, wait for them, then cancel) */
static int l_job_hold(lua_State *L)
{
    ljob *lj = luaL_checkudata(L, 1, JOB_MT);
    if (lj->j && lj->kind == J_BATCH) ct_job_hold(lj->j);
    return 0;
}

static int l_job_gc(lua_State *L)
{
    ljob *lj = luaL_checkudata(L, 1, JOB_MT);
    lc_job_end_journal(lj);
    if (lj->j) {
        ct_job_release(lj->j);
        lc_job_unbind(lj, L);
    }
    return 0;
}

static const luaL_Reg job_methods[] = {
    { "done", l_job_done },
    { "progress", l_job_progress },
    { "report", l_job_report },
    { "response", l_job_response },
    { "cancel", l_job_cancel },
    { "hold", l_job_hold },
    { NULL, NULL },
};

void lc_open_job(lua_State *L)
{
    if (luaL_newmetatable(L, JOB_MT)) {
        lua_newtable(L);
        luaL_setfuncs(L, job_methods, 0);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_job_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
}
