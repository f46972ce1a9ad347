/* The payload as the validator and encoder see it: a JSON tree in an arena.
 * Built from a Lua table (l_value.c) or from JSON text (jansson), so that one
 * walker and one encoder serve both the Lua module and the C API. */
#ifndef CT_VALUE_H
#define CT_VALUE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    CT_V_NULL,
    CT_V_BOOL,
    CT_V_INT,    /* integral number that fits int64 (Lua integer or integral float) */
    CT_V_NUM,    /* any other finite number */
    CT_V_STR,    /* bytes checked to be valid UTF-8 when built */
    CT_V_ARR,
    CT_V_OBJ,
    CT_V_EMPTY   /* empty Lua table: array or object, decided by the schema */
} ct_vtype;

typedef struct ct_value ct_value;

typedef struct ct_member {
    const char *key;
    size_t klen;
    ct_value *val;
} ct_member;

struct ct_value {
    ct_vtype type;
    union {
        int b;
        int64_t i;
        double n;
        struct { const char *s; size_t len; } str;
        struct { ct_value **items; size_t n; } arr;
        struct { ct_member *members; size_t n; } obj;
    } u;
};

/* Arena: every ct_value, member array and string of one payload lives here
 * and is freed at once. */
typedef struct ct_arena ct_arena;
ct_arena *ct_arena_new(void);
void *ct_arena_alloc(ct_arena *a, size_t n);
char *ct_arena_strdup(ct_arena *a, const char *s, size_t len);
void ct_arena_free(ct_arena *a);

/* Lookups. NULL when absent (or when v is not an object/array). */
const ct_value *ct_obj_get(const ct_value *v, const char *key);
const ct_value *ct_arr_get(const ct_value *v, size_t i);
int ct_is_object(const ct_value *v); /* CT_V_OBJ or CT_V_EMPTY */
int ct_is_array(const ct_value *v);  /* CT_V_ARR or CT_V_EMPTY */
int ct_str_eq(const ct_value *v, const char *s); /* string equal to s */

#endif
