/* The payload as the validator and encoder see it: a JSON tree in an arena.
 * Built from a Lua table (l_value.c) or from JSON text (ct_json.c, jansson),
 * so that one walker and one encoder serve both the Lua module and the C API.
 * Object members are sorted by key (bytewise) by both builders: walks, problem
 * lists and encoded JSON are deterministic. */
#ifndef CT_VALUE_H
#define CT_VALUE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CT_V_NULL,
    CT_V_BOOL,
    CT_V_INT, /* integral number that fits int64 (Lua integer or integral float) */
    CT_V_NUM, /* any other finite number */
    CT_V_STR, /* bytes checked to be valid UTF-8 when built */
    CT_V_ARR,
    CT_V_OBJ,
    CT_V_EMPTY, /* empty Lua table: array or object, decided by the schema */
    CT_V_BAD    /* a value the builder already reported (function, NaN, bad UTF-8...):
                   the walker skips it, the encoder refuses it */
} ct_vtype;

typedef struct ct_value ct_value;

typedef struct ct_member {
    const char *key;
    size_t klen;
    ct_value *val;
} ct_member;

struct ct_value {
    ct_vtype type;
    /* CT_V_EMPTY only: set by the walker to CT_V_ARR or CT_V_OBJ when the schema
     * decides (the encoder writes [] or {}; CT_V_EMPTY left undecided -> {}). */
    ct_vtype empty_as;
    union {
        int b;
        int64_t i;
        double n;
        struct {
            const char *s;
            size_t len;
        } str;
        struct {
            ct_value **items;
            size_t n;
        } arr;
        struct {
            ct_member *members;
            size_t n;
        } obj;
    } u;
};

/* Arena: every ct_value, member array and string of one payload lives here
 * and is freed at once. Reusable: ct_arena_reset keeps the first block. */
typedef struct ct_arena ct_arena;
ct_arena *ct_arena_new(void);
void *ct_arena_alloc(ct_arena *a, size_t n); /* 8-byte aligned; NULL when out of memory */
void ct_arena_reset(ct_arena *a);
void ct_arena_free(ct_arena *a);

/* Lookups. NULL when absent (or when v is not an object/array). Objects are
 * sorted, so ct_obj_get is a binary search. */
const ct_value *ct_obj_get(const ct_value *v, const char *key);
const ct_value *ct_obj_getn(const ct_value *v, const char *key, size_t klen);
const ct_value *ct_arr_get(const ct_value *v, size_t i);
size_t ct_len(const ct_value *v);   /* items/members; 0 for scalars and EMPTY */
int ct_is_array(const ct_value *v); /* CT_V_ARR or CT_V_EMPTY */

/* Numbers: an integral value in int64 is CT_V_INT; every finite double at
 * or beyond 2^63 in magnitude is integral, and none of them can be written
 * as JSON integers exactly without an exponent (the contract: integral
 * numbers have none) nor read back by an int64 parser, so both builders
 * refuse them, with this message (%s: the number as ct_describe_number
 * writes it). */
#define CT_INT64_MIN_D (-9223372036854775808.0)
#define CT_INT64_END_D 9223372036854775808.0 /* 2^63, first double past INT64_MAX */
#define CT_BEYOND_INT64_MSG                                                                                            \
    "expected a number that can be written exactly, got %s: an integral number outside the int64 range "               \
    "(-9223372036854775808 to 9223372036854775807) cannot be written exactly without an exponent"

/* Sorts members by key (bytewise, shorter first on a common prefix) and
 * returns the index of the first duplicate key + 1, 0 when keys are unique. */
size_t ct_obj_sort(ct_value *obj);

#include "ct_utf8.h" /* ct_utf8_valid, ct_utf8_chars: strings are checked with these */

#endif
