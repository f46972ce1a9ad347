/* libFuzzer target over the Lua binding's value conversion: Lua values
 * built from the input (strings with any bytes, integers, floats including
 * NaN and infinities, booleans, nested tables with array and hash parts,
 * holes, cycles, cjson's array marker, non-string keys) handed to
 * clevertap.core.validate, encode and check_identities, in a real Lua 5.4
 * state with the real module.
 *
 * Input: byte 0 picks the endpoint; the rest is a small program for a
 * stack machine (see build()). Checks, besides the sanitizers' memory, UB
 * and leak checks:
 *   - no call raises except on misuse (validate/encode never raise for a
 *     table payload; check_identities never raises);
 *   - validate and encode agree: encode gives text exactly when validate
 *     reports no error;
 *   - encoded text is one JSON object that jansson parses;
 *   - every problem has a string pointer (starting with '/' or empty) and
 *     a non-empty message.
 * Built and run by tools/fuzz.sh (`make fuzz`). */
#include <jansson.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int luaopen_clevertap_core(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const endpoints[] = { "targets/create", "targets/list",    "targets/stop",
                                         "targets/result", "targets/trigger", "send/push",
                                         "send/webpush",   "send/email",      "send/sms" };
/* member names worth hitting, with their lengths (one holds a NUL) */
static const struct {
    const char *s;
    size_t n;
} names[] = {
    { "to", 2 },
    { "content", 7 },
    { "title", 5 },
    { "body", 4 },
    { "Identity", 8 },
    { "Email", 5 },
    { "when", 4 },
    { "where", 5 },
    { "name", 4 },
    { "target_mode", 11 },
    { "event_name", 10 },
    { "from", 4 },
    { "id", 2 },
    { "devices", 7 },
    { "platform_specific", 17 },
    { "respect_frequency_caps", 22 },
    { "estimate_only", 13 },
    { "ttl", 3 },
    { "profile_fields", 14 },
    { "common_profile_properties", 25 },
    { "a\0b", 3 },
    { "", 0 },
};
#define NNAMES (sizeof names / sizeof names[0])
#define MAX_DEPTH 80

/* Runs the program in data: each op byte's low 3 bits pick an operation.
 * Values go on the Lua stack above `base`; the result is the first table
 * created (or an empty one). */
static void build(lua_State *L, const uint8_t *p, size_t n)
{
    int base = lua_gettop(L);
    if (!lua_checkstack(L, MAX_DEPTH + 8)) abort(); /* the values wait on the stack */
    lua_newtable(L);                                /* the payload: the root every set lands in at depth 0 */
    size_t i = 0;
    while (i < n && lua_gettop(L) < base + MAX_DEPTH) {
        uint8_t op = p[i++];
        switch (op & 7) {
        case 0: { /* string of the next (op >> 3) bytes */
            size_t len = op >> 3;
            if (len > n - i) len = n - i;
            lua_pushlstring(L, (const char *)p + i, len);
            i += len;
            break;
        }
        case 1: /* a known member name */
            lua_pushlstring(L, names[(op >> 3) % NNAMES].s, names[(op >> 3) % NNAMES].n);
            break;
        case 2: { /* a number: integer or float from the next 8 bytes */
            int64_t v = 0;
            size_t len = n - i < 8 ? n - i : 8;
            memcpy(&v, p + i, len);
            i += len;
            if (op & 8) {
                double d;
                memcpy(&d, &v, sizeof d);
                lua_pushnumber(L, d);
            } else {
                lua_pushinteger(L, (lua_Integer)v);
            }
            break;
        }
        case 3: lua_pushboolean(L, op & 8); break;
        case 4: lua_newtable(L); break;
        case 5: /* t[k] = v: value on top, key below it, table below that */
            if (lua_gettop(L) >= base + 3 && lua_istable(L, -3) && !lua_isnil(L, -2) &&
                !(lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2) != lua_tonumber(L, -2))) {
                lua_rawset(L, -3);
            } else if (lua_gettop(L) > base + 1) {
                lua_pop(L, 1); /* never the root */
            }
            break;
        case 6: /* t[#t + 1 + (op >> 3)] = v: arrays, with a hole when op >> 3 > 0 */
            if (lua_gettop(L) >= base + 2 && lua_istable(L, -2))
                lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1 + (op >> 3));
            else if (lua_gettop(L) > base + 1) lua_pop(L, 1); /* never the root */
            break;
        default: /* a cycle: the table below gets itself, or the root, as a value */
            if (lua_gettop(L) >= base + 2 && lua_istable(L, -1)) {
                lua_pushvalue(L, (op & 8) ? -1 : base + 1);
                lua_rawseti(L, -2, 1);
            }
            break;
        }
    }
    lua_settop(L, base + 1);
}

static void check_problems(lua_State *L, int idx)
{
    if (!lua_istable(L, idx)) abort();
    size_t n = lua_rawlen(L, idx);
    for (size_t k = 1; k <= n; k++) {
        lua_rawgeti(L, idx, (lua_Integer)k);
        lua_getfield(L, -1, "pointer");
        size_t pl = 0;
        const char *ptr = lua_tolstring(L, -1, &pl);
        if (!ptr || (pl > 0 && ptr[0] != '/')) abort();
        lua_getfield(L, -2, "message");
        size_t ml = 0;
        if (!lua_tolstring(L, -1, &ml) || ml == 0) abort();
        lua_pop(L, 3);
    }
}

/* jansson refuses a NUL in an object key, which JSON allows: a copy of the
 * text with every \u0000 escape (an odd run of backslashes before it)
 * turned into \u0001, so the parse checks everything else. */
static char *without_nul_escapes(const char *text, size_t len)
{
    char *t = malloc(len + 1);
    if (!t) abort();
    memcpy(t, text, len);
    t[len] = '\0';
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '\\') {
            run++;
            continue;
        }
        if ((run & 1) && t[i] == 'u' && i + 4 < len && memcmp(t + i + 1, "0000", 4) == 0) t[i + 4] = '1';
        run = 0;
    }
    return t;
}

/* A call raised: print what, then stop the run. */
static void raised(lua_State *L, const char *what)
{
    fprintf(stderr, "%s raised: %s\n", what, lua_tostring(L, -1) ? lua_tostring(L, -1) : "(not a string)");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    /* a fresh state per input: what one input breaks shows in that input */
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "clevertap.core", luaopen_clevertap_core, 0);
    lua_setglobal(L, "core");
    const char *endpoint = endpoints[data[0] % (sizeof endpoints / sizeof endpoints[0])];

    lua_getglobal(L, "core");
    int core = lua_gettop(L);
    build(L, data + 1, size - 1);
    int payload = lua_gettop(L);

    lua_getfield(L, core, "validate");
    lua_pushstring(L, endpoint);
    lua_pushvalue(L, payload);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK) raised(L, "validate");
    int valid = lua_toboolean(L, -2);
    check_problems(L, lua_gettop(L));
    lua_pop(L, 2);

    lua_getfield(L, core, "encode");
    lua_pushstring(L, endpoint);
    lua_pushvalue(L, payload);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK) raised(L, "encode");
    if (lua_type(L, -2) == LUA_TSTRING) {
        if (!valid) abort();
        size_t len = 0;
        const char *text = lua_tolstring(L, -2, &len);
        json_error_t e;
        char *checked = without_nul_escapes(text, len);
        json_t *j = json_loadb(checked, len, JSON_ALLOW_NUL, &e);
        free(checked);
        if (!j || !json_is_object(j)) {
            fprintf(stderr, "encode wrote what is not a JSON object (%s): %.*s\n", e.text, (int)len, text);
            abort();
        }
        json_decref(j);
    } else if (valid) {
        abort();
    }
    lua_pop(L, 2);

    lua_getfield(L, core, "check_identities");
    lua_getfield(L, payload, "to");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) raised(L, "check_identities");
    check_problems(L, lua_gettop(L));
    lua_close(L);
    return 0;
}
