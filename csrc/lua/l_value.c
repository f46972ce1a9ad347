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
    ct_l_members *scratch; /* members of the objects being converted, as a stack */
    ct_arena *a;
    ct_problems *p;
    ct_path path;
    const void *open[CT_MAX_DEPTH + 1]; /* tables on the current path (cycles) */
    int depth;
    int mt_array, mt_empty_array; /* stack slots of cjson's array metatables, 0 = none */
    const void *empty_array;      /* cjson.empty_array sentinel, if any */
    const char *without;          /* root member not converted (opts.without) */
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

/* What the keys of one table turned out to be, gathered by table_entries. */
typedef struct tshape {
    ct_value **items; /* items 1..hint by index (the border lua_rawlen gives) */
    size_t hint;
    size_t base;        /* c->scratch->n when the table began: its members are above */
    size_t nint, nstr;  /* integer keys >= 1, string keys converted */
    size_t outside;     /* integer keys beyond hint */
    const char *badkey; /* the first key of no JSON meaning, as "a boolean" etc. */
    int failed;         /* a problem already reported: the table is CT_V_BAD */
} tshape;

/* Marks the table open (cycles are told by this stack); 0 when it is one of
 * its own ancestors or too deep, reported here. */
static int table_enter(conv *c, int idx)
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
            cerr(c, "this table contains itself (a cycle back to %s): JSON cannot express it", ct_sb_cstr(&where));
            ct_sb_free(&where);
            return 0;
        }
    }
    if (c->depth >= CT_MAX_DEPTH || !lua_checkstack(L, 6)) {
        cerr(c, "%s", CT_DEPTH_MSG);
        return 0;
    }
    c->open[c->depth++] = self;
    return 1;
}

/* The member whose name is at -2 and value at vidx. 0 when memory ran out. */
static int table_string_key(conv *c, int vidx, tshape *sh)
{
    lua_State *L = c->L;
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
        sh->failed = 1;
        return 1;
    }
    if (c->depth == 1 && c->without && kl == c->without_len && memcmp(k, c->without, kl) == 0)
        return 1; /* left to the caller (batching): not converted, not walked, not encoded */
    ct_path_push_key(&c->path, k, kl);
    ct_value *v = conv_value(c, vidx);
    ct_path_pop(&c->path);
    if (!v || !push_scratch(c, k, kl, v)) return 0;
    sh->nstr++;
    return 1;
}

/* The item whose number key is at -2 and value at vidx: an array index when
 * it is an integer >= 1, else a bad key. 0 when memory ran out. */
static int table_number_key(conv *c, int vidx, tshape *sh)
{
    lua_State *L = c->L;
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
        if (!sh->badkey) sh->badkey = key_type_name(L, -2);
        if (integral) sh->badkey = "a zero or negative integer";
        return 1;
    }
    ct_path_push_index(&c->path, (size_t)(k - 1));
    ct_value *v = conv_value(c, vidx);
    ct_path_pop(&c->path);
    if (!v) return 0;
    if ((unsigned long long)k <= sh->hint) sh->items[k - 1] = v;
    else sh->outside++;
    sh->nint++;
    return 1;
}

/* Converts every key and value of the open table at idx into sh. 0 when
 * memory ran out (the table is still open then; the caller closes it). */
static int table_entries(conv *c, int idx, tshape *sh)
{
    lua_State *L = c->L;
    sh->hint = lua_rawlen(L, idx);
    if (sh->hint) {
        sh->items = ct_arena_alloc(c->a, sh->hint * sizeof *sh->items);
        if (!sh->items) {
            c->oom = 1;
            return 0;
        }
        memset(sh->items, 0, sh->hint * sizeof *sh->items);
    }
    sh->base = c->scratch->n;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int kt = lua_type(L, -2);
        int vidx = lua_gettop(L);
        int ok = 1;
        if (kt == LUA_TSTRING) ok = table_string_key(c, vidx, sh);
        else if (kt == LUA_TNUMBER) ok = table_number_key(c, vidx, sh);
        else if (!sh->badkey) sh->badkey = key_type_name(L, -2);
        if (!ok) {
            lua_pop(L, 2);
            return 0;
        }
        lua_pop(L, 1);
    }
    return 1;
}

/* Reports what makes the keys gathered in sh no JSON array or object;
 * 1 when they are one. */
static int table_shape_ok(conv *c, const tshape *sh)
{
    int ok = !sh->failed;
    if (sh->badkey) {
        cerr(c, "table has %s key: keys must be strings (objects) or 1..n (arrays)", sh->badkey);
        ok = 0;
    }
    if (sh->nint && sh->nstr) {
        cerr(c, "table mixes array items (1..%zu) and named members: use one or the other", sh->nint);
        ok = 0;
    } else if (sh->nint && (sh->outside || sh->nint != sh->hint)) {
        size_t first_hole = 0;
        while (first_hole < sh->hint && sh->items[first_hole]) first_hole++;
        cerr(c, "array has holes: item %zu (index %zu here) is nil; arrays need items 1..n without nil", first_hole + 1,
             first_hole);
        ok = 0;
    }
    return ok;
}

/* The array, object or empty value of a well-shaped table. */
static ct_value *table_value(conv *c, int idx, const tshape *sh)
{
    ct_value *v;
    if (sh->nint) {
        v = new_value(c, CT_V_ARR);
        if (!v) return NULL;
        v->u.arr.items = sh->items;
        v->u.arr.n = sh->nint;
    } else if (sh->nstr) {
        v = new_value(c, CT_V_OBJ);
        if (!v) return NULL;
        ct_member *m = ct_arena_alloc(c->a, sh->nstr * sizeof *m);
        if (!m) {
            c->oom = 1;
            return NULL;
        }
        memcpy(m, c->scratch->v + sh->base, sh->nstr * sizeof *m);
        c->scratch->n = sh->base;
        v->u.obj.members = m;
        v->u.obj.n = sh->nstr;
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

/* A table: open it, convert its entries, close it, then judge its shape. */
static ct_value *conv_table(conv *c, int idx)
{
    if (!table_enter(c, idx)) return new_value(c, CT_V_BAD);
    tshape sh;
    memset(&sh, 0, sizeof sh);
    int ok = table_entries(c, idx, &sh);
    c->depth--;
    if (!ok) return NULL;
    if (!table_shape_ok(c, &sh)) {
        c->scratch->n = sh.base;
        return new_value(c, CT_V_BAD);
    }
    return table_value(c, idx, &sh);
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
                 isnan(d) ? "NaN"
                 : d > 0  ? "inf"
                          : "-inf");
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
