/* The exact JSON to send. Compact (no spaces), members in the tree's order
 * (sorted bytewise by the builders), integers as plain decimal (int64: no
 * exponent, no ".0"), other numbers in the shortest form that reads back to
 * the same double, strings escaped per RFC 8259 with UTF-8 kept as is (the
 * builders reject invalid UTF-8), EMPTY as [] or {} as the walker decided. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_format.h"
#include "ct_encode.h"
#include "ct_jstr.h"

void ct_encode_string(ct_sb *b, const char *str, size_t len) { ct_jstr_add(b, str, len, CT_JSTR_QUOTED); }

static void put_int(ct_sb *b, int64_t i)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0) *--p = '-';
    ct_sb_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

static int enc(const ct_value *v, const char *without, size_t wlen, ct_sb *b)
{
    switch (v->type) {
    case CT_V_NULL: ct_sb_add(b, "null", 4); return 0;
    case CT_V_BOOL:
        if (v->u.b) ct_sb_add(b, "true", 4);
        else ct_sb_add(b, "false", 5);
        return 0;
    case CT_V_INT: put_int(b, v->u.i); return 0;
    case CT_V_NUM: {
        char t[40];
        ct_describe_number(v->u.n, t, sizeof t);
        ct_sb_adds(b, t);
        return 0;
    }
    case CT_V_STR: ct_encode_string(b, v->u.str.s, v->u.str.len); return 0;
    case CT_V_EMPTY:
        if (v->empty_as == CT_V_ARR) ct_sb_add(b, "[]", 2);
        else ct_sb_add(b, "{}", 2);
        return 0;
    case CT_V_ARR:
        ct_sb_addc(b, '[');
        for (size_t i = 0; i < v->u.arr.n; i++) {
            if (i) ct_sb_addc(b, ',');
            if (enc(v->u.arr.items[i], NULL, 0, b)) return -1;
        }
        ct_sb_addc(b, ']');
        return 0;
    case CT_V_OBJ: {
        ct_sb_addc(b, '{');
        int first = 1;
        for (size_t i = 0; i < v->u.obj.n; i++) {
            const ct_member *m = &v->u.obj.members[i];
            if (without && m->klen == wlen && memcmp(m->key, without, wlen) == 0) continue;
            if (!first) ct_sb_addc(b, ',');
            first = 0;
            ct_encode_string(b, m->key, m->klen);
            ct_sb_addc(b, ':');
            if (enc(m->val, NULL, 0, b)) return -1;
        }
        ct_sb_addc(b, '}');
        return 0;
    }
    case CT_V_BAD: return -1;
    }
    return -1;
}

int ct_encode(const ct_value *v, const char *without, ct_sb *b)
{
    if (!v) return -1;
    int rc = enc(v, without, without ? strlen(without) : 0, b);
    return rc || b->oom ? -1 : 0;
}

char *ct_json_prepend_member(const char *key, const char *member_json, size_t mlen, const char *rest, size_t rlen,
                             size_t *out_len)
{
    size_t i = 0;
    while (i < rlen && (rest[i] == ' ' || rest[i] == '\n' || rest[i] == '\t' || rest[i] == '\r')) i++;
    if (i >= rlen || rest[i] != '{') return NULL;
    i++;
    size_t j = i;
    while (j < rlen && (rest[j] == ' ' || rest[j] == '\n' || rest[j] == '\t' || rest[j] == '\r')) j++;
    int empty = j < rlen && rest[j] == '}';
    ct_sb b;
    ct_sb_init(&b);
    ct_sb_addc(&b, '{');
    ct_encode_string(&b, key, strlen(key));
    ct_sb_addc(&b, ':');
    ct_sb_add(&b, member_json, mlen);
    if (!empty) ct_sb_addc(&b, ',');
    ct_sb_add(&b, rest + (empty ? j : i), rlen - (empty ? j : i));
    ct_sb_cstr(&b);
    if (b.oom) {
        ct_sb_free(&b);
        return NULL;
    }
    if (out_len) *out_len = b.len;
    return b.p;
}
