/* The identities of a send: `to` checked whole before anything is sent
 * (arrays; iterators are checked as they are read), then read by the
 * engine through lc_batch_next a run at a time, iterators under lua_pcall. */
#include <stdio.h>

#include "l_core.h"
#include "l_client.h"

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

/* The key of the entry lua_next pushed (at -2) is an index 1..n. */
static int array_key(lua_State *L, lua_Integer n)
{
    if (lua_type(L, -2) != LUA_TNUMBER) return 0;
#if LUA_VERSION_NUM >= 503
    int isint = 0; /* an integral float key is stored as an integer */
    lua_Integer k = lua_tointegerx(L, -2, &isint);
    return isint && k >= 1 && k <= n;
#else
    lua_Number k = lua_tonumber(L, -2);
    return k >= 1 && k <= (lua_Number)n && k == (lua_Number)(lua_Integer)k;
#endif
}

/* The value on top of the stack is a usable identity. */
static int usable_value(lua_State *L)
{
    size_t sl = 0;
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &sl) : NULL;
    return ct_identity_problem(s, sl) == NULL;
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
        if (!array_key(L, n)) stray++;
        if (!any_bad) any_bad = !usable_value(L);
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
 * *total to the identities (-1 when an iterator is involved).
 * arrays_checked: the caller found every array a usable sequence just
 * before (core.check_identities_slice, in slices): they are not read again. */
void lc_check_to(lua_State *L, int t, long long *total, int arrays_checked)
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
            if (!arrays_checked && !check_sequence(L, list, ty, n)) n = 0;
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

/* core.check_identities(to) -> problems (empty when usable) */
static int l_check_identities(lua_State *L)
{
    long long total = 0;
    lc_check_to(L, 1, &total, 0);
    return 1;
}

/* core.check_identities_slice(arr, key, budget) -> next_key, entries, usable, n
 * One slice of check_sequence's pass over an identity array, for a driver
 * that must not hold its event loop for a large one (light threads in
 * nginx): the traversal of arr continued after key (nil: from the start)
 * for at most budget entries. next_key is nil once the traversal ended;
 * usable is false when an entry seen is not an index 1..n holding a usable
 * identity (n: the array's length now). The caller sums entries: a sequence
 * has n. A key removed between slices raises (lua_next): so does a table
 * changed under the traversal. */
static int l_check_identities_slice(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer budget = luaL_checkinteger(L, 3);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1), entries = 0;
    int usable = 1, ended = 0;
    lua_settop(L, 2);
    while (entries < budget) {
        if (!lua_next(L, 1)) {
            ended = 1;
            break;
        }
        entries++;
        if (usable) usable = array_key(L, n) && usable_value(L);
        lua_pop(L, 1); /* the key stays, for the next lua_next */
    }
    if (ended) lua_pushnil(L);
    lua_pushinteger(L, entries);
    lua_pushboolean(L, usable);
    lua_pushinteger(L, n);
    return 4;
}

void lc_push_identity_types(lua_State *L)
{
    lua_createtable(L, CT_ID_NTYPES, 0);
    for (int ty = 0; ty < CT_ID_NTYPES; ty++) {
        lua_pushstring(L, ct_id_type_names[ty]);
        lua_rawseti(L, -2, ty + 1);
    }
}

#define ARRAY_CHUNK 64

/* The value on top of the stack as run entry k: a string (kept alive by
 * whatever holds it), or NULL for anything else (reported, not sent). */
static void take_value(lua_State *L, int type, ct_idrun *run, size_t k)
{
    if (type == LUA_TSTRING) {
        run->s[k] = lua_tolstring(L, -1, &run->len[k]);
    } else {
        run->s[k] = NULL;
        run->len[k] = 0;
    }
}

void lc_source_refs(lua_State *L, ljob *lj)
{
    lua_pushboolean(L, 0);
    lj->hold_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushboolean(L, 0);
    lj->iter_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_createtable(L, 0, 2);
    lj->ctl_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Up to max entries of the array in hold_ref into run: one lua_rawgeti and
 * one lua_tolstring each; the array keeps the strings alive, and no Lua
 * code runs before the engine has copied them. */
static int array_run(lua_State *L, ljob *lj, size_t max, ct_idrun *run, ct_err *err)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, lj->hold_ref);
    int arr = lua_gettop(L);
    size_t k = 0;
    while (k < max && lj->i < lj->n) {
        /* values stay on the stack for a chunk: one lua_settop per chunk
         * instead of a pop per identity */
        if (!lua_checkstack(L, ARRAY_CHUNK)) {
            if (k > 0) break; /* what was read goes out; the next call tries again */
            lua_settop(L, arr - 1);
            ct_err_set(err, CT_EK_NETWORK, 0, 1, "out of memory reading the identities of %s",
                       ct_id_type_names[lj->type]);
            return -1;
        }
        for (int c = 0; c < ARRAY_CHUNK && k < max && lj->i < lj->n; c++, k++)
            take_value(L, ct_l_rawgeti_type(L, arr, (ct_l_index)++lj->i), run, k);
        lua_settop(L, arr);
    }
    lua_settop(L, arr - 1);
    run->type = lj->type;
    run->n = k;
    return 1;
}

/* The loop that calls an identity iterator, in Lua: a call from Lua costs a
 * fraction of a lua_pcall from C, so a run takes one lua_pcall, not one per
 * identity. Its values go into a fresh table, ctl.hold (its length is what
 * was read, even when the iterator raised); it returns true once the
 * iterator returned nil. ctl.stop, set by lc_source_stop (a cancel, a hold
 * or a close from inside the iterator), ends the run there: the iterator is
 * not called again. A flag and not a C function, so LuaJIT compiles the
 * loop; the table is made in here, so running out of memory raises under
 * the pcall and not through the engine. */
static const char ITERATOR_PUMP[] = "local it, max, ctl = ...\n"
                                    "local hold = {}\n"
                                    "ctl.hold = hold\n"
                                    "for k = 1, max do\n"
                                    "  local v = it()\n"
                                    "  if v == nil then return true end\n"
                                    "  hold[k] = v\n"
                                    "  if ctl.stop then return false end\n"
                                    "end\n"
                                    "return false\n";
#define PUMP_KEY "clevertap.iterator_pump"

void lc_source_stop(lua_State *L, ljob *lj)
{
    /* only a job on an iterator can be inside its source; an array-only
     * send's rest is still read once, to be listed as never sent */
    if (lj->src_kind != LC_SRC_ITER || lj->ctl_ref == LUA_NOREF) return;
    lj->stopped = 1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, lj->ctl_ref);
    if (lua_istable(L, -1)) {
        lua_pushliteral(L, "stop");
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
    }
    lua_pop(L, 1);
}

/* Pushes the pump (loaded once per Lua state); 0 when it could not be loaded
 * (out of memory), nothing pushed. */
static int push_pump(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, PUMP_KEY);
    if (lua_isfunction(L, -1)) return 1;
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, ITERATOR_PUMP, sizeof ITERATOR_PUMP - 1, "=clevertap identity iterator") != 0) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, PUMP_KEY);
    return 1;
}

/* Up to max values of the iterator into run, anchored in hold_ref until the
 * next run. Returns -1 when the iterator raised (err set, its text through
 * the job's message handler when it has one; the values before it are in
 * run); 0 once it ended (run->n may still be > 0); 1 otherwise. */
static int iterator_run(lua_State *L, ljob *lj, size_t max, ct_idrun *run, ct_err *err)
{
    int base = lua_gettop(L), errh = 0, rc = 1;
    run->type = lj->type;
    run->n = 0;
    if (lj->errh_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, lj->errh_ref);
        errh = lua_gettop(L);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, lj->ctl_ref);
    int ctl = lua_gettop(L);
    if (!push_pump(L)) {
        lua_settop(L, base);
        ct_err_set(err, CT_EK_NETWORK, 0, 1, "out of memory calling the identity iterator for %s",
                   ct_id_type_names[lj->type]);
        return -1;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, lj->iter_ref);
    lua_pushinteger(L, (lua_Integer)max);
    lua_pushvalue(L, ctl);
    if (lua_pcall(L, 3, 1, errh) != LUA_OK) {
        /* a string from the handler; without one, only a string is shown
         * (converting a number here could raise) */
        const char *why = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(error)";
        ct_err_set(err, CT_EK_VALIDATION, 0, 0, "identity iterator for %s raised: %.180s", ct_id_type_names[lj->type],
                   why);
        rc = -1;
    } else if (lua_toboolean(L, -1)) {
        rc = 0;
    }
    lua_pop(L, 1);
    lc_raw_field(L, ctl, "hold");
    if (lua_istable(L, -1)) {
        int hold = lua_gettop(L);
        size_t k = (size_t)lua_rawlen(L, hold);
        if (k > max) k = max;
        for (size_t i = 0; i < k; i++) {
            take_value(L, ct_l_rawgeti_type(L, hold, (ct_l_index)(i + 1)), run, i);
            lua_pop(L, 1);
        }
        run->n = k;
        lua_pushvalue(L, hold);
        lua_rawseti(L, LUA_REGISTRYINDEX, lj->hold_ref); /* the strings stay alive until the next run */
    }
    lua_settop(L, base);
    lj->i += (lua_Integer)run->n;
    return rc;
}

/* The type's source, read from `to` once when the type starts: an array
 * (anchored in hold_ref) or an iterator (in iter_ref). A `to` changed
 * during the send does not change what it reads. */
static void start_type(lua_State *L, ljob *lj)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, lj->to_ref);
    lc_raw_field(L, -1, ct_id_type_names[lj->type]);
    if (lua_istable(L, -1)) {
        lj->src_kind = LC_SRC_ARRAY;
        lj->n = (lua_Integer)lua_rawlen(L, -1);
        lua_rawseti(L, LUA_REGISTRYINDEX, lj->hold_ref);
    } else if (lua_isfunction(L, -1)) {
        lj->src_kind = LC_SRC_ITER;
        lua_rawseti(L, LUA_REGISTRYINDEX, lj->iter_ref);
    } else {
        lj->src_kind = LC_SRC_NONE;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

int lc_batch_next(void *ud, size_t max, ct_idrun *run, ct_err *err)
{
    ljob *lj = ud;
    lua_State *L = lj->cl->L;
    if (max > CT_BATCH_MAX) max = CT_BATCH_MAX;
    run->type = lj->type < CT_ID_NTYPES ? lj->type : 0;
    run->n = 0;
    if (lj->iter_failed) {
        *err = lj->iter_err;
        return -1;
    }
    while (lj->type < CT_ID_NTYPES) {
        /* the client closed from inside the iterator: the end */
        if (lj->to_ref == LUA_NOREF || lj->cl->close_pending) return 0;
        /* cancelled or held from inside it: nothing more is read (an empty
         * run: the engine stops the batch there) */
        if (lj->stopped || max == 0) return 1;
        if (lj->src_kind == LC_SRC_UNSET) start_type(L, lj);
        if (lj->src_kind == LC_SRC_ARRAY && lj->i < lj->n) return array_run(L, lj, max, run, err);
        if (lj->src_kind == LC_SRC_ITER) {
            int rc = iterator_run(L, lj, max, run, err);
            if (rc < 0 && run->n > 0) {
                /* what it gave before raising is sent, and the error is the
                 * send's already (err is the job's source error); the next
                 * call ends the source with it */
                lj->iter_err = *err;
                lj->iter_failed = 1;
                return 1;
            }
            if (rc < 0) return -1;
            if (rc == 0) lj->src_kind = LC_SRC_NONE; /* ended: the next call moves on */
            if (run->n > 0) return 1;
        }
        lj->type++;
        lj->i = lj->n = 0;
        lj->src_kind = LC_SRC_UNSET;
    }
    return 0;
}

const luaL_Reg lc_identities_functions[] = {
    { "check_identities", l_check_identities },
    { "check_identities_slice", l_check_identities_slice },
    { NULL, NULL },
};
