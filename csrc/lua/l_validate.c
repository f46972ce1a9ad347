/* clevertap.core.validate / clevertap.core.encode: Lua tables -> ct_value
 * (l_value.c), then the walker (ct_walk) and the encoder (ct_encode). */
#include <stdlib.h>
#include <string.h>

#include "ct_encode.h"
#include "ct_problems.h"
#include "ct_validate.h"
#include "ct_walk.h"
#include "l_core.h"
#include "l_value.h"

#define CTX_MT "clevertap.core.validate_ctx"
#define PROBLEMS_MT "clevertap.problems"

/* Per-state working memory, reused across calls (arena, scratch vectors). */
typedef struct lctx {
    ct_arena *arena;
    ct_problems *problems; /* held here so an error while building results cannot leak it */
    ct_sb out;
    ct_l_members members; /* the conversion's stack of object members */
    int busy;
} lctx;

/* Drops the problems of the last call (the list itself is kept for reuse). */
static void ctx_release(lctx *c)
{
    if (c->problems) ct_problems_clear(c->problems, 0);
}

static int ctx_gc(lua_State *L)
{
    lctx *c = luaL_checkudata(L, 1, CTX_MT);
    ct_problems_free(c->problems);
    c->problems = NULL;
    ct_arena_free(c->arena);
    c->arena = NULL;
    ct_sb_free(&c->out);
    free(c->members.v);
    c->members.v = NULL;
    return 0;
}

static lctx *ctx_new(lua_State *L)
{
    lctx *c = lua_newuserdata(L, sizeof *c);
    memset(c, 0, sizeof *c);
    ct_sb_init(&c->out);
    luaL_setmetatable(L, CTX_MT);
    c->arena = ct_arena_new();
    if (!c->arena) luaL_error(L, "out of memory");
    return c;
}

/* The cached context (upvalue 1), or a fresh one when it is in use (a
 * finalizer re-entering validate) or was left busy by an error. The context
 * used is pushed on the stack to keep it alive. */
static lctx *ctx_acquire(lua_State *L)
{
    lctx *c = lua_touserdata(L, lua_upvalueindex(1));
    if (c && !c->busy) {
        lua_pushvalue(L, lua_upvalueindex(1));
    } else {
        c = ctx_new(L);
    }
    ctx_release(c);
    ct_arena_reset(c->arena);
    c->members.n = 0;
    c->out.len = 0;
    c->busy = 1;
    return c;
}

/* ---- arguments ----------------------------------------------------------------- */

static const ct_schema *check_endpoint(lua_State *L, int arg)
{
    const char *e = luaL_checkstring(L, arg);
    const ct_schema *s = ct_schema_for(e);
    if (!s) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        const char *name;
        for (size_t i = 0; (name = ct_schema_endpoint(i)) != NULL; i++) {
            if (i) luaL_addstring(&b, ", ");
            luaL_addstring(&b, name);
        }
        luaL_pushresult(&b);
        luaL_argerror(L, arg, lua_pushfstring(L, "unknown endpoint '%s' (expected one of %s)", e, lua_tostring(L, -1)));
    }
    return s;
}

/* The options validate and encode take; the unknown-option error lists
 * these names, so an option added here is listed there too. */
enum { OPT_NOW, OPT_WITHOUT, OPT_MAX_PROBLEMS };
static const char *const opt_names[] = { "now", "without", "max_problems", NULL };

static void check_opts(lua_State *L, int arg, ct_vopts *o)
{
    memset(o, 0, sizeof *o);
    if (lua_isnoneornil(L, arg)) return;
    luaL_checktype(L, arg, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, arg)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        int which = -1;
        for (int i = 0; k && opt_names[i]; i++)
            if (strcmp(k, opt_names[i]) == 0) which = i;
        if (which == OPT_NOW) {
            if (lua_type(L, -1) != LUA_TNUMBER) luaL_argerror(L, arg, "opts.now must be a number (epoch seconds)");
            lua_Number n = lua_tonumber(L, -1);
            if (!(n >= 1 && n < 253402300800.0)) luaL_argerror(L, arg, "opts.now must be epoch seconds > 0");
            o->now = (long long)n;
        } else if (which == OPT_WITHOUT) {
            if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, arg, "opts.without must be a member name (\"to\")");
            o->without = lua_tostring(L, -1); /* anchored by the opts table */
        } else if (which == OPT_MAX_PROBLEMS) {
            if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) < 1)
                luaL_argerror(L, arg, "opts.max_problems must be a positive number");
            lua_Number n = lua_tonumber(L, -1);
            o->max_problems = n > 1e9 ? (size_t)1e9 : (size_t)n;
        } else {
            lua_pushvalue(L, -2);
            const char *shown = luaL_tolstring(L, -1, NULL);
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            for (int i = 0; opt_names[i]; i++) {
                if (i) luaL_addstring(&b, ", ");
                luaL_addstring(&b, opt_names[i]);
            }
            luaL_pushresult(&b);
            luaL_argerror(L, arg, lua_pushfstring(L, "unknown option '%s' (known: %s)", shown, lua_tostring(L, -1)));
        }
        lua_pop(L, 1);
    }
}

static void check_payload(lua_State *L, int arg)
{
    if (lua_type(L, arg) != LUA_TTABLE)
        luaL_argerror(L, arg, lua_pushfstring(L, "payload must be a table, got %s", luaL_typename(L, arg)));
}

/* ---- results ------------------------------------------------------------------- */

static void push_problems(lua_State *L, const ct_problems *p)
{
    size_t n = ct_problems_count(p);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const ct_problem *q = ct_problems_get(p, i);
        lua_createtable(L, 0, 3);
        lua_pushlstring(L, q->pointer, q->pointer_len); /* member names may hold NUL */
        lua_setfield(L, -2, "pointer");
        lua_pushstring(L, q->message);
        lua_setfield(L, -2, "message");
        lua_pushstring(L, q->severity == CT_SEVERITY_ERROR ? "error" : "warning");
        lua_setfield(L, -2, "severity");
        lua_rawseti(L, -2, (ct_l_index)(i + 1));
    }
    /* a cap the caller asked for (opts.max_problems): the rest is a count in
     * a field of the list, not a made-up problem */
    size_t more = ct_problems_not_shown(p);
    if (more) {
        lua_pushinteger(L, (lua_Integer)more);
        lua_setfield(L, -2, "not_shown");
    }
    luaL_setmetatable(L, PROBLEMS_MT);
}

/* __tostring: one line per problem, "error   when.type: expected ..." (the
 * message already starts with the field's readable path; the exact pointer
 * stays in .pointer) */
static int problems_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t n = lua_rawlen(L, 1);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, (ct_l_index)i);
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "severity");
            lua_getfield(L, -2, "message");
            const char *sev = lua_tostring(L, -2), *msg = lua_tostring(L, -1);
            lua_pushfstring(L, "%s%s %s", i > 1 ? "\n" : "", sev && strcmp(sev, "warning") == 0 ? "warning" : "error  ",
                            msg ? msg : "?");
            lua_replace(L, -4); /* drop the two fields below, keep the line */
            lua_pop(L, 2);
            luaL_addvalue(&b);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_getfield(L, 1, "not_shown");
    if (lua_isnumber(L, -1)) {
        lua_pushfstring(L, "%s(%d more problems not shown)", n ? "\n" : "", (int)lua_tointeger(L, -1));
        lua_remove(L, -2);
        luaL_addvalue(&b);
    } else {
        lua_pop(L, 1);
    }
    luaL_pushresult(&b);
    return 1;
}

/* Shared front half: converts and walks; leaves the lctx on the stack. */
static ct_value *run(lua_State *L, lctx **out_ctx, ct_vopts *o)
{
    const ct_schema *s = check_endpoint(L, 1);
    check_payload(L, 2);
    check_opts(L, 3, o);
    lua_settop(L, 3);
    lctx *ctx = ctx_acquire(L); /* at index 4 */
    *out_ctx = ctx;
    if (ctx->problems) ct_problems_clear(ctx->problems, o->max_problems);
    else ctx->problems = ct_problems_new(o->max_problems);
    if (!ctx->problems) {
        ctx->busy = 0;
        luaL_error(L, "out of memory");
    }
    ct_value *v = ct_lua_to_value(L, 2, ctx->arena, &ctx->members, ctx->problems, o->without);
    if (!v) {
        ctx->busy = 0;
        luaL_error(L, "out of memory");
    }
    ct_problems_sort_from(ctx->problems, 0);
    ct_walk(v, s, o, ctx->problems);
    return v;
}

/* ok, problems = validate(endpoint, payload [, opts]) */
static int l_validate(lua_State *L)
{
    ct_vopts o;
    lctx *ctx;
    run(L, &ctx, &o);
    ct_problems *p = ctx->problems;
    int ok = ct_problems_errors(p) == 0;
    if (ok) lua_pushboolean(L, 1);
    else lua_pushnil(L);
    push_problems(L, p);
    ctx_release(ctx);
    ctx->busy = 0;
    return 2;
}

/* json, errors = encode(endpoint, payload [, opts]) */
static int l_encode(lua_State *L)
{
    ct_vopts o;
    lctx *ctx;
    ct_value *v = run(L, &ctx, &o);
    ct_problems *p = ctx->problems;
    if (ct_problems_errors(p) == 0) {
        ctx->out.len = 0;
        if (ct_encode(v, o.without, &ctx->out) == 0) {
            lua_pushlstring(L, ctx->out.p ? ctx->out.p : "", ctx->out.len);
            if (ctx->out.cap > (1u << 20)) ct_sb_free(&ctx->out); /* do not hoard a huge buffer */
            ctx_release(ctx);
            ctx->busy = 0;
            return 1;
        }
        ct_problems_addf(p, CT_SEVERITY_ERROR, "", "%s",
                         ctx->out.oom ? "out of memory" : "the payload cannot be encoded");
    }
    lua_pushnil(L);
    push_problems(L, p);
    ctx_release(ctx);
    ctx->busy = 0;
    return 2;
}

/* bool = endpoint_known(name) */
static int l_endpoint_known(lua_State *L)
{
    lua_pushboolean(L, ct_endpoint_known(luaL_checkstring(L, 1)));
    return 1;
}

void ct_l_open_validate(lua_State *L)
{
    int mod = lua_gettop(L);
    if (luaL_newmetatable(L, CTX_MT)) {
        lua_pushcfunction(L, ctx_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, PROBLEMS_MT)) {
        lua_pushcfunction(L, problems_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);

    ctx_new(L); /* shared by validate and encode */
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, l_validate, 1);
    lua_setfield(L, mod, "validate");
    lua_pushcclosure(L, l_encode, 1);
    lua_setfield(L, mod, "encode");
    lua_pushcfunction(L, l_endpoint_known);
    lua_setfield(L, mod, "endpoint_known");
    lua_newtable(L);
    const char *name;
    for (size_t i = 0; (name = ct_schema_endpoint(i)) != NULL; i++) {
        lua_pushstring(L, name);
        lua_rawseti(L, -2, (ct_l_index)(i + 1));
    }
    lua_setfield(L, mod, "endpoints");
    lua_settop(L, mod);
}
