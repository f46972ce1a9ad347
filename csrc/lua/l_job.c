/* The job object: made and tracked when a job starts, moved to the
 * client's finished list, let go at close (keeping its report) or by the
 * GC; its methods read the progress, the report and a single call's
 * response. */
#include <stdlib.h>
#include <string.h>

#include "l_core.h"
#include "ct_client.h"
#include "ct_engine.h"
#include "l_client.h"

ljob *lc_check_job(lua_State *L, int i)
{
    ljob *j = luaL_checkudata(L, i, JOB_MT);
    if (!j->j) luaL_error(L, "clevertap job belongs to a closed client");
    j->cl->L = L;
    return j;
}

ljob *lc_job_new(lua_State *L, lclient *cl, int client_idx, int kind)
{
    ljob *lj = lua_newuserdata(L, sizeof *lj);
    memset(lj, 0, sizeof *lj);
    lj->cl = cl;
    lj->kind = kind;
    lj->to_ref = lj->hold_ref = lj->next_ref = lj->classify_ref = lj->errh_ref = LUA_NOREF;
    lj->iter_ref = lj->ctl_ref = LUA_NOREF;
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
void lc_job_track(lua_State *L, ljob *lj, int client_idx, int job_idx)
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
        luaL_unref(L, LUA_REGISTRYINDEX, lj->errh_ref);
        luaL_unref(L, LUA_REGISTRYINDEX, lj->iter_ref);
        luaL_unref(L, LUA_REGISTRYINDEX, lj->ctl_ref);
    }
    lj->to_ref = lj->hold_ref = lj->next_ref = lj->classify_ref = lj->errh_ref = LUA_NOREF;
    lj->iter_ref = lj->ctl_ref = LUA_NOREF;
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
        lc_source_stop(L, lj);
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
    if (lj->j && lj->kind == J_BATCH) {
        lc_source_stop(L, lj);
        ct_job_hold(lj->j);
    }
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
