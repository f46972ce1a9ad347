/* ct_value: arena, lookups, member sorting, UTF-8 checks. */
#include "ct_value.h"

#include <stdlib.h>
#include <string.h>

typedef struct ct_block {
    struct ct_block *next;
    size_t size, used;
    /* data follows, 16-byte aligned */
} ct_block;

#define CT_BLOCK_HDR ((sizeof(ct_block) + 15u) & ~(size_t)15u)
#define CT_FIRST_BLOCK (32u * 1024u)

struct ct_arena {
    ct_block *head;  /* current block (first of the list) */
    ct_block *first; /* the block kept by reset */
};

static ct_block *block_new(size_t size)
{
    ct_block *b = malloc(CT_BLOCK_HDR + size);
    if (!b) return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

ct_arena *ct_arena_new(void)
{
    ct_arena *a = malloc(sizeof *a);
    if (!a) return NULL;
    a->first = a->head = block_new(CT_FIRST_BLOCK);
    if (!a->head) {
        free(a);
        return NULL;
    }
    return a;
}

void *ct_arena_alloc(ct_arena *a, size_t n)
{
    ct_block *b = a->head;
    n = (n + 7u) & ~(size_t)7u;
    if (n == 0) n = 8;
    if (b->size - b->used < n) {
        size_t size = b->size * 2;
        if (size < n) size = n;
        if (size > (size_t)64 << 20 && n < ((size_t)64 << 20)) size = (size_t)64 << 20;
        if (size < n) size = n;
        b = block_new(size);
        if (!b) return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = (char *)b + CT_BLOCK_HDR + b->used;
    b->used += n;
    return p;
}

void ct_arena_reset(ct_arena *a)
{
    ct_block *b = a->head;
    while (b != a->first) {
        ct_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = a->first;
    a->first->used = 0;
    a->first->next = NULL;
}

void ct_arena_free(ct_arena *a)
{
    if (!a) return;
    ct_block *b = a->head;
    while (b) {
        ct_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

/* ---- lookups ------------------------------------------------------------ */

static inline int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    /* keys are short: a plain loop beats a memcmp call */
    size_t n = alen < blen ? alen : blen;
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

const ct_value *ct_obj_getn(const ct_value *v, const char *key, size_t klen)
{
    if (!v || v->type != CT_V_OBJ) return NULL;
    size_t lo = 0, hi = v->u.obj.n;
    const ct_member *m = v->u.obj.members;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(m[mid].key, m[mid].klen, key, klen);
        if (c == 0) return m[mid].val;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const ct_value *ct_obj_get(const ct_value *v, const char *key) { return ct_obj_getn(v, key, strlen(key)); }

const ct_value *ct_arr_get(const ct_value *v, size_t i)
{
    if (!v || v->type != CT_V_ARR || i >= v->u.arr.n) return NULL;
    return v->u.arr.items[i];
}

size_t ct_len(const ct_value *v)
{
    if (!v) return 0;
    if (v->type == CT_V_ARR) return v->u.arr.n;
    if (v->type == CT_V_OBJ) return v->u.obj.n;
    return 0;
}

int ct_is_array(const ct_value *v) { return v && (v->type == CT_V_ARR || v->type == CT_V_EMPTY); }

static int member_cmp(const void *a, const void *b)
{
    const ct_member *x = a, *y = b;
    return key_cmp(x->key, x->klen, y->key, y->klen);
}

size_t ct_obj_sort(ct_value *obj)
{
    if (!obj || obj->type != CT_V_OBJ) return 0;
    ct_member *m = obj->u.obj.members;
    size_t n = obj->u.obj.n;
    if (n < 2) return 0;
    if (n <= 16) { /* insertion sort: small objects are the common case */
        for (size_t i = 1; i < n; i++) {
            ct_member t = m[i];
            size_t j = i;
            while (j > 0 && key_cmp(m[j - 1].key, m[j - 1].klen, t.key, t.klen) > 0) {
                m[j] = m[j - 1];
                j--;
            }
            m[j] = t;
        }
    } else {
        qsort(m, n, sizeof *m, member_cmp);
    }
    for (size_t i = 1; i < n; i++)
        if (key_cmp(m[i - 1].key, m[i - 1].klen, m[i].key, m[i].klen) == 0) return i + 1;
    return 0;
}
