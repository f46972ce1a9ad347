/* clevertap.core.validate / clevertap.core.encode: Lua tables -> ct_value,
 * then the engine (ct_walk) and the encoder (ct_encode).
 *
 * Conversion rules (docs/validation.md): a table with keys 1..n is an array,
 * one with string keys an object, an empty one is whatever the schema expects;
 * mixed and sparse tables, other keys, NaN/inf, functions, userdata, threads,
 * cycles, excess depth and invalid UTF-8 are reported (with pointers), never
 * crash. cjson.null (lightuserdata NULL) is null; OpenResty cjson's
 * empty_array and array_mt/empty_array_mt tables are arrays. Integral floats
 * are integers (the only numbers LuaJIT has). Members are sorted by key. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_encode.h"
#include "ct_format.h"
#include "ct_problems.h"
#include "ct_validate.h"
#include "ct_walk.h"
#include "l_core.h"

#define CTX_MT "clevertap.core.validate_ctx"
#define PROBLEMS_MT "clevertap.problems"

/* Per-state working memory, reused across calls (arena, scratch vectors). */
typedef struct lctx {
    ct_arena *arena;
    ct_problems *problems; /* held here so an error while building results cannot leak it */
    ct_sb out;
    ct_member *scratch; /* stack of members of the objects being converted */
    size_t nscratch, capscratch;
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
    free(c->scratch);
    c->scratch = NULL;
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
    c->nscratch = 0;
    c->out.len = 0;
    c->busy = 1;
    return c;
}

/* ---- Lua -> ct_value ---------------------------------------------------------- */

typedef struct conv {
    lua_State *L;
    lctx *ctx;
    ct_arena *a;
    ct_problems *p;
    ct_path path;
    const void *open[CT_MAX_DEPTH + 1]; /* tables on the current path (cycles) */
    int depth;
    int mt_array, mt_empty_array;       /* stack slots of cjson's array metatables, 0 = none */
    const void *empty_array;            /* cjson.empty_array sentinel, if any */
    const char *without;                /* root member not converted (opts.without) */
    size_t without_len;
    int oom;
} conv;

__attribute__((format(printf, 2, 3))) static void cerr(conv *c, const char *fmt, ...)
{
    ct_sb msg;
    ct_sb_init(&msg);
    va_list ap;
    va_start(ap, fmt);
    ct_sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    ct_problems_add_path(c->p, CT_SEVERITY_ERROR, &c->path, msg.p ? msg.p : "", msg.len);
    ct_sb_free(&msg);
}

static ct_value *new_value(conv *c, ct_vtype t)
{
    ct_value *v = ct_arena_alloc(c->a, sizeof *v);
    if (!v) {
        c->oom = 1;
        return NULL;
    }
    v->type = t;
    v->empty_as = CT_V_EMPTY;
    return v;
}

static int push_scratch(conv *c, const char *k, size_t kl, ct_value *val)
{
    lctx *x = c->ctx;
    if (x->nscratch == x->capscratch) {
        size_t cap = x->capscratch ? x->capscratch * 2 : 64;
        ct_member *m = realloc(x->scratch, cap * sizeof *m);
        if (!m) {
            c->oom = 1;
            return 0;
        }
        x->scratch = m;
        x->capscratch = cap;
    }
    ct_member *m = &x->scratch[x->nscratch++];
    m->key = k;
    m->klen = kl;
    m->val = val;
    return 1;
}

static ct_value *conv_value(conv *c, int idx);

static int check_utf8(conv *c, const char *s, size_t n, const char *what)
{
    size_t bad;
    if (ct_utf8_valid(s, n, &bad)) return 1;
    cerr(c, "%s is not valid UTF-8 (bad byte 0x%02x at offset %zu)", what, (unsigned char)s[bad], bad);
    return 0;
}

static int is_array_mt(conv *c, int idx)
{
    if (!c->mt_array && !c->mt_empty_array) return 0;
    if (!lua_getmetatable(c->L, idx)) return 0;
    int yes = (c->mt_array && lua_rawequal(c->L, -1, c->mt_array)) ||
              (c->mt_empty_array && lua_rawequal(c->L, -1, c->mt_empty_array));
    lua_pop(c->L, 1);
    return yes;
}

static const char *key_type_name(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) return "a non-integer number";
    return luaL_typename(L, idx);
}

static ct_value *conv_table(conv *c, int idx)
{
    lua_State *L = c->L;
    const void *self = lua_topointer(L, idx);
    for (int i = 0; i < c->depth; i++) {
        if (c->open[i] == self) {
            ct_path cut = c->path;
            cut.n = (size_t)i;
            ct_sb where;
            ct_sb_init(&where);
            /* readable, not the pointer: a member name's NUL byte would end the message */
            ct_path_render_readable(&cut, &where);
            cerr(c, "this table contains itself (a cycle back to %s): JSON cannot express it",
                 ct_sb_cstr(&where));
            ct_sb_free(&where);
            return new_value(c, CT_V_BAD);
        }
    }
    if (c->depth >= CT_MAX_DEPTH || !lua_checkstack(L, 6)) {
        cerr(c, "%s", CT_DEPTH_MSG);
        return new_value(c, CT_V_BAD);
    }
    c->open[c->depth++] = self;

    size_t hint = lua_rawlen(L, idx);
    ct_value **items = NULL;
    if (hint) {
        items = ct_arena_alloc(c->a, hint * sizeof *items);
        if (!items) {
            c->oom = 1;
            c->depth--;
            return NULL;
        }
        memset(items, 0, hint * sizeof *items);
    }
    size_t base = c->ctx->nscratch;
    size_t nint = 0, nstr = 0, outside = 0;
    const char *badkey = NULL;
    int failed = 0;

    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int kt = lua_type(L, -2);
        int vidx = lua_gettop(L);
        if (kt == LUA_TSTRING) {
            size_t kl;
            const char *k = lua_tolstring(L, -2, &kl);
            size_t bad;
            if (!ct_utf8_valid(k, kl, &bad)) {
                ct_value shown = { .type = CT_V_STR };
                char buf[96];
                shown.u.str.s = k;
                shown.u.str.len = bad; /* the valid part */
                ct_value_describe(&shown, buf, sizeof buf);
                cerr(c, "member name starting %s is not valid UTF-8 (bad byte 0x%02x at offset %zu)", buf,
                     (unsigned char)k[bad], bad);
                failed = 1;
                lua_pop(L, 1);
                continue;
            }
            if (c->depth == 1 && c->without && kl == c->without_len && memcmp(k, c->without, kl) == 0) {
                lua_pop(L, 1); /* left to the caller (batching): not converted, not walked, not encoded */
                continue;
            }
            ct_path_push_key(&c->path, k, kl);
            ct_value *v = conv_value(c, vidx);
            ct_path_pop(&c->path);
            if (!v || !push_scratch(c, k, kl, v)) {
                lua_pop(L, 2);
                c->depth--;
                return NULL;
            }
            nstr++;
        } else if (kt == LUA_TNUMBER) {
            lua_Number d = lua_tonumber(L, -2);
            long long k;
            int integral;
#if LUA_VERSION_NUM >= 503
            if (lua_isinteger(L, -2)) {
                k = (long long)lua_tointeger(L, -2);
                integral = 1;
            } else
#endif
            {
                integral = d == floor(d) && d >= 1 && d < 9.2e18;
                k = integral ? (long long)d : 0;
            }
            if (!integral || k < 1) {
                if (!badkey) badkey = key_type_name(L, -2);
                if (integral) badkey = "a zero or negative integer";
            } else {
                ct_path_push_index(&c->path, (size_t)(k - 1));
                ct_value *v = conv_value(c, vidx);
                ct_path_pop(&c->path);
                if (!v) {
                    lua_pop(L, 2);
                    c->depth--;
                    return NULL;
                }
                if ((unsigned long long)k <= hint) items[k - 1] = v;
                else outside++;
                nint++;
            }
        } else {
            if (!badkey) badkey = key_type_name(L, -2);
        }
        lua_pop(L, 1);
    }
    c->depth--;

    ct_value *v;
    if (badkey) {
        cerr(c, "table has %s key: keys must be strings (objects) or 1..n (arrays)", badkey);
        failed = 1;
    }
    if (nint && nstr) {
        cerr(c, "table mixes array items (1..%zu) and named members: use one or the other", nint);
        failed = 1;
    } else if (nint && (outside || nint != hint)) {
        size_t first_hole = 0;
        while (first_hole < hint && items[first_hole]) first_hole++;
        cerr(c, "array has holes: item %zu (index %zu here) is nil; arrays need items 1..n without nil",
             first_hole + 1, first_hole);
        failed = 1;
    }
    if (failed) {
        c->ctx->nscratch = base;
        return new_value(c, CT_V_BAD);
    }
    if (nint) {
        v = new_value(c, CT_V_ARR);
        if (!v) return NULL;
        v->u.arr.items = items;
        v->u.arr.n = nint;
    } else if (nstr) {
        v = new_value(c, CT_V_OBJ);
        if (!v) return NULL;
        ct_member *m = ct_arena_alloc(c->a, nstr * sizeof *m);
        if (!m) {
            c->oom = 1;
            return NULL;
        }
        memcpy(m, c->ctx->scratch + base, nstr * sizeof *m);
        c->ctx->nscratch = base;
        v->u.obj.members = m;
        v->u.obj.n = nstr;
        ct_obj_sort(v);
    } else if (is_array_mt(c, idx)) {
        v = new_value(c, CT_V_ARR);
        if (!v) return NULL;
        v->u.arr.items = NULL;
        v->u.arr.n = 0;
    } else {
        v = new_value(c, CT_V_EMPTY);
    }
    return v;
}

static ct_value *conv_value(conv *c, int idx)
{
    lua_State *L = c->L;
    ct_value *v;
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        v = new_value(c, CT_V_BOOL);
        if (v) v->u.b = lua_toboolean(L, idx);
        return v;
    case LUA_TNUMBER: {
#if LUA_VERSION_NUM >= 503
        if (lua_isinteger(L, idx)) {
            v = new_value(c, CT_V_INT);
            if (v) v->u.i = (int64_t)lua_tointeger(L, idx);
            return v;
        }
#endif
        double d = (double)lua_tonumber(L, idx);
        if (isnan(d) || isinf(d)) {
            cerr(c, "expected a finite number, got %s (JSON has no NaN or infinity)",
                 isnan(d) ? "NaN" : d > 0 ? "inf" : "-inf");
            return new_value(c, CT_V_BAD);
        }
        if (d == floor(d) && d >= CT_INT64_MIN_D && d < CT_INT64_END_D) {
            v = new_value(c, CT_V_INT);
            if (v) v->u.i = (int64_t)d;
        } else if (d == floor(d)) {
            char t[40];
            ct_describe_number(d, t, sizeof t);
            cerr(c, CT_BEYOND_INT64_MSG, t);
            return new_value(c, CT_V_BAD);
        } else {
            v = new_value(c, CT_V_NUM);
            if (v) v->u.n = d;
        }
        return v;
    }
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        if (!check_utf8(c, s, n, "this string")) return new_value(c, CT_V_BAD);
        v = new_value(c, CT_V_STR);
        if (v) {
            v->u.str.s = s;
            v->u.str.len = n;
        }
        return v;
    }
    case LUA_TTABLE: return conv_table(c, idx);
    case LUA_TLIGHTUSERDATA: {
        const void *p = lua_touserdata(L, idx);
        if (p == NULL) return new_value(c, CT_V_NULL); /* cjson.null */
        if (c->empty_array && p == c->empty_array) {
            v = new_value(c, CT_V_ARR);
            if (v) {
                v->u.arr.items = NULL;
                v->u.arr.n = 0;
            }
            return v;
        }
        cerr(c, "expected a JSON value, got a light userdata (only cjson.null is accepted)");
        return new_value(c, CT_V_BAD);
    }
    default:
        cerr(c, "expected a JSON value (string, number, boolean, table or cjson.null), got a %s",
             luaL_typename(L, idx));
        return new_value(c, CT_V_BAD);
    }
}

/* Converts the table at idx. Returns NULL only when memory ran out. */
static ct_value *lua_to_value(lua_State *L, lctx *ctx, int idx, ct_problems *p, const char *without)
{
    conv c;
    memset(&c, 0, sizeof c);
    c.without = without;
    c.without_len = without ? strlen(without) : 0;
    c.L = L;
    c.ctx = ctx;
    c.a = ctx->arena;
    c.p = p;
    ct_path_init(&c.path);
    int top = lua_gettop(L);
    /* OpenResty's cjson marks arrays; find its markers when cjson is loaded */
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "cjson");
        if (lua_istable(L, -1)) {
            int cj = lua_gettop(L);
            lua_getfield(L, cj, "array_mt");
            if (lua_istable(L, -1)) c.mt_array = lua_gettop(L);
            else lua_pop(L, 1);
            lua_getfield(L, cj, "empty_array_mt");
            if (lua_istable(L, -1)) c.mt_empty_array = lua_gettop(L);
            else lua_pop(L, 1);
            lua_getfield(L, cj, "empty_array");
            if (lua_type(L, -1) == LUA_TLIGHTUSERDATA) c.empty_array = lua_touserdata(L, -1);
            lua_pop(L, 1);
        }
    }
    ct_value *v = conv_value(&c, idx);
    lua_settop(L, top);
    ct_path_free(&c.path);
    if (c.oom) return NULL;
    return v;
}

/* ---- arguments ----------------------------------------------------------------- */

static const ct_schema *check_endpoint(lua_State *L, int arg)
{
    const char *e = luaL_checkstring(L, arg);
    const ct_schema *s = ct_schema_for(e);
    if (!s) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (size_t i = 0; ct_endpoint_names[i]; i++) {
            if (i) luaL_addstring(&b, ", ");
            luaL_addstring(&b, ct_endpoint_names[i]);
        }
        luaL_pushresult(&b);
        luaL_argerror(L, arg, lua_pushfstring(L, "unknown endpoint '%s' (expected one of %s)", e, lua_tostring(L, -1)));
    }
    return s;
}

static void check_opts(lua_State *L, int arg, ct_vopts *o)
{
    memset(o, 0, sizeof *o);
    if (lua_isnoneornil(L, arg)) return;
    luaL_checktype(L, arg, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, arg)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        if (k && strcmp(k, "now") == 0) {
            if (lua_type(L, -1) != LUA_TNUMBER)
                luaL_argerror(L, arg, "opts.now must be a number (epoch seconds)");
            lua_Number n = lua_tonumber(L, -1);
            if (!(n >= 1 && n < 253402300800.0)) luaL_argerror(L, arg, "opts.now must be epoch seconds > 0");
            o->now = (long long)n;
        } else if (k && strcmp(k, "without") == 0) {
            if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, arg, "opts.without must be a member name (\"to\")");
            o->without = lua_tostring(L, -1); /* anchored by the opts table */
        } else if (k && strcmp(k, "max_problems") == 0) {
            if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) < 1)
                luaL_argerror(L, arg, "opts.max_problems must be a positive number");
            lua_Number n = lua_tonumber(L, -1);
            o->max_problems = n > 1e9 ? (size_t)1e9 : (size_t)n;
        } else {
            lua_pushvalue(L, -2);
            const char *shown = luaL_tolstring(L, -1, NULL);
            luaL_argerror(L, arg,
                          lua_pushfstring(L, "unknown option '%s' (known: now, without, max_problems)", shown));
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
    ct_value *v = lua_to_value(L, ctx, 2, ctx->problems, o->without);
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
        ct_problems_addf(p, CT_SEVERITY_ERROR, "", "%s", ctx->out.oom ? "out of memory" : "the payload cannot be encoded");
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
    for (int i = 0; ct_endpoint_names[i]; i++) {
        lua_pushstring(L, ct_endpoint_names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, mod, "endpoints");
    lua_settop(L, mod);
}
