/* Lua values -> ct_value (l_value.h), for clevertap.core.validate and encode.
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
#include <stdlib.h>
#include <string.h>

#include "ct_format.h"
#include "ct_problems.h"
#include "ct_walk.h"
#include "l_value.h"

typedef struct conv {
    lua_State *L;
    ct_l_members *scratch;              /* members of the objects being converted, as a stack */
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
    ct_l_members *x = c->scratch;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        ct_member *m = realloc(x->v, cap * sizeof *m);
        if (!m) {
            c->oom = 1;
            return 0;
        }
        x->v = m;
        x->cap = cap;
    }
    ct_member *m = &x->v[x->n++];
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
    size_t base = c->scratch->n;
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
        c->scratch->n = base;
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
        memcpy(m, c->scratch->v + base, nstr * sizeof *m);
        c->scratch->n = base;
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

ct_value *ct_lua_to_value(lua_State *L, int idx, ct_arena *a, ct_l_members *scratch, ct_problems *p,
                          const char *without)
{
    conv c;
    memset(&c, 0, sizeof c);
    c.without = without;
    c.without_len = without ? strlen(without) : 0;
    c.L = L;
    c.scratch = scratch;
    c.a = a;
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
