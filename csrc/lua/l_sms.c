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

#include <string.h>

#define CT_SMS_MAX_PARTS 512

typedef struct {
    const char *s; /* literal text, or NULL for a slot */
    size_t n;
    int key;    /* stack index of the field/value name */
    int custom; /* look under recipient.values */
    int is_to;  /* the "to" field: a string/number recipient is its own number */
    int mid;    /* $$MessageID: generated from the prefix when absent */
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

/* The recipient fields render.lua takes and the Lua types of each (its
 * RECIPIENT table, given as guard.types: name -> "string|number" or "any"),
 * read once per call: no second list here to keep in step. */
#define CT_SMS_MAX_KEYS 32
typedef struct {
    size_t n;
    struct {
        const char *k;  /* anchored by guard.types */
        unsigned types; /* bit 1 << LUA_T* per type taken */
    } e[CT_SMS_MAX_KEYS];
} rkeys_t;

/* One "string|number" or "any" into its type bits; raises on a name that is
 * no Lua type (a bug in render.lua, not the user's). */
static unsigned type_bits(lua_State *L, const char *want)
{
    if (strcmp(want, "any") == 0) return ~0u;
    unsigned bits = 0;
    for (const char *p = want; *p;) {
        size_t n = strcspn(p, "|");
        int t;
        for (t = LUA_TNIL; t <= LUA_TTHREAD; t++) {
            const char *name = lua_typename(L, t);
            if (strlen(name) == n && memcmp(name, p, n) == 0) break;
        }
        if (t > LUA_TTHREAD) luaL_error(L, "sms_records: guard.types: '%s' is not a Lua type", want);
        bits |= 1u << t;
        p += n;
        if (*p == '|') p++;
    }
    return bits;
}

/* guard.types (at stack index `types`, 0 = none: every table recipient is
 * declined) into k. */
static void rkeys_read(lua_State *L, int types, rkeys_t *k)
{
    k->n = 0;
    if (!types) return;
    lua_pushnil(L);
    while (lua_next(L, types)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING || k->n == CT_SMS_MAX_KEYS)
            luaL_error(L, "sms_records: guard.types must map at most %d field names to type names", CT_SMS_MAX_KEYS);
        k->e[k->n].k = lua_tostring(L, -2);
        k->e[k->n].types = type_bits(L, lua_tostring(L, -1));
        k->n++;
        lua_pop(L, 1);
    }
}

static int key_ok(const rkeys_t *keys, const char *k, int t)
{
    for (size_t i = 0; i < keys->n; i++)
        if (strcmp(k, keys->e[i].k) == 0) return (keys->e[i].types >> t) & 1u;
    return 0;
}

/* The checks render.lua makes per recipient: known keys with the right
 * types, a non-empty UTF-8 number, a UTF-8 body, and no personal value for
 * a placeholder that takes one value per request (`guard`: { types = {...},
 * fields = {...}, custom = {...} }). 0 when anything is off: the Lua path
 * reports it. */
static int recipient_ok(lua_State *L, int r, const rkeys_t *keys, int gfields, int gcustom)
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
        if (lua_type(L, -2) != LUA_TSTRING || !key_ok(keys, lua_tostring(L, -2), lua_type(L, -1))) {
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

/* One sms_records call: the plan read once, what every record needs. */
typedef struct {
    const part_t *parts;
    int np;
    const char *pre; /* message id prefix, or NULL */
    size_t pren;
    int ids;                     /* stack index of the ids out-array, 0 = none */
    lua_Integer nid;             /* ids already in it */
    int guard, gfields, gcustom; /* recipient checks (recipient_ok), 0 = none */
    rkeys_t keys;                /* the recipient fields taken, from guard.types */
    int values_key, mid_key;     /* stack indexes of the interned "values", "message_id" */
    char idbuf[256];
} records_t;

/* The plan (argument 1) into parts[0..np): its literal strings and the
 * slots' keys and defaults stay on the stack, for the pointers and stack
 * indexes parts keep. Raises on a malformed plan (fast.lua's bug, not the user's). */
static void plan_read(lua_State *L, part_t *parts, int np)
{
    for (int i = 0; i < np; i++) {
        part_t *p = &parts[i];
        memset(p, 0, sizeof *p);
        lua_rawgeti(L, 1, i + 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            p->s = lua_tolstring(L, -1, &p->n); /* stays on the stack */
            continue;
        }
        if (lua_type(L, -1) != LUA_TTABLE) luaL_error(L, "sms_records: bad plan entry %d", i + 1);
        int t = lua_gettop(L);
        lua_getfield(L, t, "key");
        p->key = lua_gettop(L);
        if (lua_type(L, p->key) != LUA_TSTRING) luaL_error(L, "sms_records: plan entry %d has no key", i + 1);
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
}

/* Pushes the recipient's value for slot p (nil when it has none): r is the
 * recipient (type rt), vals its `values` table or 0. */
static void slot_push(lua_State *L, const part_t *p, int r, int rt, int vals)
{
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
}

/* Slot p of record k, its value at the top (left there): the value
 * encoded, or the generated message id, or the campaign-level default.
 * NULL when done, else the reason to give up. */
static const char *slot_render(lua_State *L, ct_sb *b, records_t *rs, const part_t *p, lua_Integer k)
{
    if (!lua_isnil(L, -1)) {
        const char *why = NULL;
        return encode_value(L, -1, b, p, &why) ? NULL : why;
    }
    if (p->mid && rs->pre) {
        size_t n = make_id(rs->idbuf, sizeof rs->idbuf, rs->pre, rs->pren, k);
        if (!n || ct_render_text(b, p->inner, p->outer, rs->idbuf, n) != CT_RENDER_OK) return "message id";
        return NULL;
    }
    if (p->dflt) {
        ct_sb_add(b, p->dflt, p->dn);
        return NULL;
    }
    return "missing value";
}

/* Appends record k's message id to the ids array: its own message_id, or
 * one made from the prefix. NULL when done, else the reason to give up. */
static const char *record_id(lua_State *L, records_t *rs, int r, int rt, lua_Integer k)
{
    if (rt == LUA_TTABLE) {
        lua_pushvalue(L, rs->mid_key);
        lua_rawget(L, r);
    } else {
        lua_pushnil(L);
    }
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        size_t n = rs->pre ? make_id(rs->idbuf, sizeof rs->idbuf, rs->pre, rs->pren, k) : 0;
        if (!n) return "message id";
        lua_pushlstring(L, rs->idbuf, n);
    } else {
        lua_tolstring(L, -1, NULL);
    }
    lua_rawseti(L, rs->ids, (ct_l_index)++rs->nid);
    return NULL;
}

/* Record k (recipient k of argument 2) into b; the stack is back at its
 * height on success. NULL when done, else the reason to give up. */
static const char *record_render(lua_State *L, ct_sb *b, records_t *rs, lua_Integer k)
{
    lua_rawgeti(L, 2, (ct_l_index)k);
    int r = lua_gettop(L);
    int rt = lua_type(L, r);
    if (rs->guard && !recipient_ok(L, r, &rs->keys, rs->gfields, rs->gcustom)) return "recipient check";
    int vals = 0;
    if (rt == LUA_TTABLE) {
        lua_pushvalue(L, rs->values_key);
        lua_rawget(L, r);
        if (lua_type(L, -1) == LUA_TTABLE) vals = lua_gettop(L);
    } else {
        lua_pushnil(L);
    }
    for (int i = 0; i < rs->np; i++) {
        const part_t *p = &rs->parts[i];
        if (p->s) {
            ct_sb_add(b, p->s, p->n);
            continue;
        }
        slot_push(L, p, r, rt, vals);
        const char *why = slot_render(L, b, rs, p, k);
        if (why) return why;
        lua_pop(L, 1);
    }
    if (rs->ids) {
        const char *why = record_id(L, rs, r, rt, k);
        if (why) return why;
    }
    lua_settop(L, r - 1);
    return b->oom ? "out of memory" : NULL;
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
    size_t sepn;
    const char *sep = luaL_checklstring(L, 5, &sepn);
    records_t rs;
    memset(&rs, 0, sizeof rs);
    rs.pre = luaL_optlstring(L, 6, NULL, &rs.pren);
    rs.ids = lua_type(L, 7) == LUA_TTABLE ? 7 : 0;
    size_t headn, tailn;
    const char *head = luaL_checklstring(L, 8, &headn);
    const char *tail = luaL_checklstring(L, 9, &tailn);
    rs.guard = lua_type(L, 10) == LUA_TTABLE ? 10 : 0;
    int np = (int)lua_rawlen(L, 1);
    ct_sb b;
    ct_sb_init(&b);
    if (np > CT_SMS_MAX_PARTS) return give_up(L, &b, "template too large");
    part_t parts[CT_SMS_MAX_PARTS];
    luaL_checkstack(L, np * 3 + 16, "sms_records");
    lua_settop(L, 10);
    if (rs.guard) {
        lua_getfield(L, rs.guard, "fields");
        if (lua_type(L, -1) == LUA_TTABLE) rs.gfields = lua_gettop(L);
        lua_getfield(L, rs.guard, "custom");
        if (lua_type(L, -1) == LUA_TTABLE) rs.gcustom = lua_gettop(L);
        lua_getfield(L, rs.guard, "types");
        rkeys_read(L, lua_type(L, -1) == LUA_TTABLE ? lua_gettop(L) : 0, &rs.keys);
    }
    lua_pushliteral(L, "values");
    rs.values_key = lua_gettop(L);
    lua_pushliteral(L, "message_id");
    rs.mid_key = lua_gettop(L);
    plan_read(L, parts, np);
    rs.parts = parts;
    rs.np = np;
    rs.nid = rs.ids ? (lua_Integer)lua_rawlen(L, rs.ids) : 0;

    /* Room for the whole text up front: the literals of a record plus some
     * bytes per value, so the buffer rarely moves. */
    size_t lit = 0;
    for (int i = 0; i < np; i++) lit += parts[i].s ? parts[i].n : (parts[i].dflt ? parts[i].dn : 24);
    if (last >= first) ct_sb_reserve(&b, headn + tailn + (size_t)(last - first + 1) * (lit + sepn));
    ct_sb_add(&b, head, headn);
    for (lua_Integer k = first; k <= last; k++) {
        if (k > first) ct_sb_add(&b, sep, sepn);
        const char *why = record_render(L, &b, &rs, k);
        if (why) return give_up(L, &b, why);
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
