/* A journal read by any process, without its lock: core.journal_report
 * (the counts and state) and core.journal_batches (the batches in one
 * state), for `clevertap report` and client:resume's checks. */
#include "l_core.h"
#include "ct_journal.h"
#include "l_client.h"

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

const luaL_Reg lc_journal_functions[] = {
    { "journal_report", l_journal_report },
    { "journal_batches", l_journal_batches },
    { NULL, NULL },
};
