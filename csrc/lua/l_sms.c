/* clevertap.core.sms_records: the hot loop of clevertap.sms render, the
 * batch records of one request. The plan (lua/clevertap/sms/fast.lua) lists
 * literals and slots; a slot names a recipient field (or a custom value
 * under recipient.values), its encoders, the campaign-level fallback
 * already encoded, and whether it is $$MessageID. Any case the fast path
 * does not cover (a table value, a missing value, bad UTF-8, CR/LF) returns
 * nil and a reason: the Lua path then renders the request and reports every
 * problem. */
#include "l_core.h"
#include "ct_render.h"
#include "ct_utf8.h"

#include <stdio.h>
#include <string.h>

#define CT_SMS_MAX_PARTS 512

typedef struct {
    const char *s; /* literal text, or NULL for a slot */
    size_t n;
    int key;       /* stack index of the field/value name */
    int custom;    /* look under recipient.values */
    int is_to;     /* the "to" field: a string/number recipient is its own number */
    int mid;       /* $$MessageID: generated from the prefix when absent */
    int inner, outer;
    const char *dflt; /* campaign-level value, encoded; NULL when none */
    size_t dn;
} part_t;

/* "<prefix>-<k>" into buf; 0 when it does not fit. */
static size_t make_id(char *buf, size_t cap, const char *pre, size_t pren, lua_Integer k)
{
    if (pren + 24 > cap || k < 0) return 0;
    memcpy(buf, pre, pren);
    char digits[24];
    int nd = 0;
    unsigned long long u = (unsigned long long)k;
    do {
        digits[nd++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t n = pren;
    buf[n++] = '-';
    while (nd) buf[n++] = digits[--nd];
    return n;
}

static int give_up(lua_State *L, ct_sb *b, const char *why)
{
    ct_sb_free(b);
    lua_pushnil(L);
    lua_pushstring(L, why);
    return 2;
}

static int encode_value(lua_State *L, int idx, ct_sb *b, const part_t *p, const char **why)
{
    int t = lua_type(L, idx);
    int rc;
    if (t == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        rc = ct_render_text(b, p->inner, p->outer, s, n);
    } else if (t == LUA_TNUMBER) {
        rc = ct_render_num(b, p->inner, p->outer, lua_tonumber(L, idx));
    } else if (t == LUA_TBOOLEAN) {
        const char *s = lua_toboolean(L, idx) ? "true" : "false";
        rc = ct_render_text(b, p->inner == CT_ENC_JSON_VALUE ? CT_ENC_NONE : p->inner, p->outer, s, strlen(s));
    } else {
        *why = "value type";
        return 0;
    }
    if (rc != CT_RENDER_OK) {
        *why = rc == CT_RENDER_NOMEM ? "out of memory" : "value";
        return 0;
    }
    return 1;
}

/* Allowed recipient keys and their Lua types (render.lua's RECIPIENT). */
static int key_ok(const char *k, int t)
{
    if (strcmp(k, "to") == 0 || strcmp(k, "template_id") == 0 || strcmp(k, "message_id") == 0)
        return t == LUA_TSTRING || t == LUA_TNUMBER;
    if (strcmp(k, "body") == 0 || strcmp(k, "sender") == 0) return t == LUA_TSTRING;
    if (strcmp(k, "values") == 0) return t == LUA_TTABLE;
    if (strcmp(k, "template_variables") == 0) return 1;
    return 0;
}

/* The checks render.lua makes per recipient: known keys with the right
 * types, a non-empty UTF-8 number, a UTF-8 body, and no personal value for
 * a placeholder that takes one value per request (`guard`: { fields = {...},
 * custom = {...} }). 0 when anything is off: the Lua path reports it. */
static int recipient_ok(lua_State *L, int r, int gfields, int gcustom)
{
    int t = lua_type(L, r);
    size_t n;
    const char *s;
    if (t == LUA_TSTRING) {
        s = lua_tolstring(L, r, &n);
        return n > 0 && ct_utf8_valid(s, n, NULL);
    }
    if (t == LUA_TNUMBER) return 1;
    if (t != LUA_TTABLE) return 0;
    int ok = 1, has_to = 0;
    lua_pushnil(L);
    while (lua_next(L, r)) {
        if (lua_type(L, -2) != LUA_TSTRING || !key_ok(lua_tostring(L, -2), lua_type(L, -1))) {
            ok = 0;
        } else {
            const char *k = lua_tostring(L, -2);
            if (lua_type(L, -1) == LUA_TSTRING && (strcmp(k, "to") == 0 || strcmp(k, "body") == 0)) {
                s = lua_tolstring(L, -1, &n);
                if (!ct_utf8_valid(s, n, NULL) || (n == 0 && k[0] == 't')) ok = 0;
            }
            if (strcmp(k, "to") == 0) has_to = 1;
        }
        lua_pop(L, 1);
        if (!ok) {
            lua_pop(L, 1);
            return 0;
        }
    }
    if (!has_to) return 0;
    int nf = gfields ? (int)lua_rawlen(L, gfields) : 0;
    for (int i = 1; i <= nf; i++) {
        lua_rawgeti(L, gfields, i);
        lua_rawget(L, r);
        int present = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (present) return 0;
    }
    int nc = gcustom ? (int)lua_rawlen(L, gcustom) : 0;
    if (nc) {
        lua_getfield(L, r, "values");
        int v = lua_gettop(L);
        int present = 0;
        if (lua_type(L, v) == LUA_TTABLE) {
            for (int i = 1; i <= nc && !present; i++) {
                lua_rawgeti(L, gcustom, i);
                lua_rawget(L, v);
                present = !lua_isnil(L, -1);
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
        if (present) return 0;
    }
    return 1;
}

/* sms_records(plan, recipients, first, last, sep, id_prefix|nil, ids|nil,
 *             head, tail, guard|nil) -> head .. records .. tail | nil, reason
 * With `guard`, every recipient is checked too (see recipient_ok). */
static int l_sms_records(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer first = luaL_checkinteger(L, 3);
    lua_Integer last = luaL_checkinteger(L, 4);
    size_t sepn, pren = 0;
    const char *sep = luaL_checklstring(L, 5, &sepn);
    const char *pre = luaL_optlstring(L, 6, NULL, &pren);
    int ids = lua_type(L, 7) == LUA_TTABLE ? 7 : 0;
    size_t headn, tailn;
    const char *head = luaL_checklstring(L, 8, &headn);
    const char *tail = luaL_checklstring(L, 9, &tailn);
    int guard = lua_type(L, 10) == LUA_TTABLE ? 10 : 0;
    int np = (int)lua_rawlen(L, 1);
    ct_sb b;
    ct_sb_init(&b);
    if (np > CT_SMS_MAX_PARTS) return give_up(L, &b, "template too large");
    part_t parts[CT_SMS_MAX_PARTS];
    luaL_checkstack(L, np * 3 + 16, "sms_records");
    lua_settop(L, 10);
    int gfields = 0, gcustom = 0;
    if (guard) {
        lua_getfield(L, guard, "fields");
        if (lua_type(L, -1) == LUA_TTABLE) gfields = lua_gettop(L);
        lua_getfield(L, guard, "custom");
        if (lua_type(L, -1) == LUA_TTABLE) gcustom = lua_gettop(L);
    }
    lua_pushliteral(L, "values");
    int values_key = lua_gettop(L);
    lua_pushliteral(L, "message_id");
    int mid_key = lua_gettop(L);

    for (int i = 0; i < np; i++) {
        part_t *p = &parts[i];
        memset(p, 0, sizeof *p);
        lua_rawgeti(L, 1, i + 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            p->s = lua_tolstring(L, -1, &p->n); /* stays on the stack */
            continue;
        }
        if (lua_type(L, -1) != LUA_TTABLE) return luaL_error(L, "sms_records: bad plan entry %d", i + 1);
        int t = lua_gettop(L);
        lua_getfield(L, t, "key");
        p->key = lua_gettop(L);
        if (lua_type(L, p->key) != LUA_TSTRING) return luaL_error(L, "sms_records: plan entry %d has no key", i + 1);
        p->is_to = strcmp(lua_tostring(L, p->key), "to") == 0;
        lua_getfield(L, t, "custom");
        p->custom = lua_toboolean(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, t, "mid");
        p->mid = lua_toboolean(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, t, "inner");
        p->inner = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, t, "outer");
        p->outer = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_getfield(L, t, "dflt");
        if (lua_type(L, -1) == LUA_TSTRING) p->dflt = lua_tolstring(L, -1, &p->dn); /* stays */
    }

    int base = lua_gettop(L);
    lua_Integer nid = ids ? (lua_Integer)lua_rawlen(L, ids) : 0;
    char idbuf[256];
    /* Room for the whole text up front: the literals of a record plus some
     * bytes per value, so the buffer rarely moves. */
    size_t lit = 0;
    for (int i = 0; i < np; i++) lit += parts[i].s ? parts[i].n : (parts[i].dflt ? parts[i].dn : 24);
    if (last >= first) ct_sb_reserve(&b, headn + tailn + (size_t)(last - first + 1) * (lit + sepn));
    ct_sb_add(&b, head, headn);
    for (lua_Integer k = first; k <= last; k++) {
        if (k > first) ct_sb_add(&b, sep, sepn);
        lua_rawgeti(L, 2, (ct_l_index)k);
        int r = base + 1;
        int rt = lua_type(L, r);
        if (guard && !recipient_ok(L, r, gfields, gcustom)) return give_up(L, &b, "recipient check");
        int vals = 0;
        if (rt == LUA_TTABLE) {
            lua_pushvalue(L, values_key);
            lua_rawget(L, r);
            if (lua_type(L, -1) == LUA_TTABLE) vals = lua_gettop(L);
        } else {
            lua_pushnil(L);
        }
        for (int i = 0; i < np; i++) {
            const part_t *p = &parts[i];
            if (p->s) {
                ct_sb_add(&b, p->s, p->n);
                continue;
            }
            if (p->custom) {
                if (vals) {
                    lua_pushvalue(L, p->key);
                    lua_rawget(L, vals);
                } else {
                    lua_pushnil(L);
                }
            } else if (rt == LUA_TTABLE) {
                lua_pushvalue(L, p->key);
                lua_rawget(L, r);
            } else if (p->is_to) {
                lua_pushvalue(L, r);
            } else {
                lua_pushnil(L);
            }
            if (lua_isnil(L, -1)) {
                if (p->mid && pre) {
                    size_t n = make_id(idbuf, sizeof idbuf, pre, pren, k);
                    if (!n || ct_render_text(&b, p->inner, p->outer, idbuf, n) != CT_RENDER_OK)
                        return give_up(L, &b, "message id");
                } else if (p->dflt) {
                    ct_sb_add(&b, p->dflt, p->dn);
                } else {
                    return give_up(L, &b, "missing value");
                }
            } else {
                const char *why = NULL;
                if (!encode_value(L, -1, &b, p, &why)) return give_up(L, &b, why);
            }
            lua_pop(L, 1);
        }
        if (ids) {
            if (rt == LUA_TTABLE) {
                lua_pushvalue(L, mid_key);
                lua_rawget(L, r);
            } else {
                lua_pushnil(L);
            }
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                size_t n = pre ? make_id(idbuf, sizeof idbuf, pre, pren, k) : 0;
                if (!n) return give_up(L, &b, "message id");
                lua_pushlstring(L, idbuf, n);
            } else {
                lua_tolstring(L, -1, NULL);
            }
            lua_rawseti(L, ids, (ct_l_index)++nid);
        }
        lua_settop(L, base);
        if (b.oom) return give_up(L, &b, "out of memory");
    }
    ct_sb_add(&b, tail, tailn);
    if (b.oom) return give_up(L, &b, "out of memory");
    lua_pushlstring(L, b.p ? b.p : "", b.len);
    ct_sb_free(&b);
    return 1;
}

void ct_l_open_sms(lua_State *L)
{
    lua_pushcfunction(L, l_sms_records);
    lua_setfield(L, -2, "sms_records");
}
