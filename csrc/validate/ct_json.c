/* JSON text -> ct_value through jansson: strict UTF-8, integers kept as
 * int64, integral reals are integers, duplicate keys and excess depth
 * reported. Strings point into the jansson tree (kept alive by the caller). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ct_json.h"
#include "ct_format.h"
#include "ct_problems.h"

typedef struct {
    ct_arena *a;
    ct_problems *out;
    ct_path path;
    int oom;
} jconv;

static void jreport(jconv *c, const char *fmt, const char *arg)
{
    ct_problems_addf_path(c->out, CT_SEVERITY_ERROR, &c->path, fmt, arg);
}

static ct_value *bad(jconv *c, ct_value *v)
{
    v->type = CT_V_BAD;
    (void)c;
    return v;
}

static ct_value *conv(jconv *c, json_t *j, int depth);

/* A JSON real: an integer when it is one int64 holds, refused when not
 * finite or an integer beyond int64. */
static ct_value *conv_real(jconv *c, json_t *j, ct_value *v)
{
    double d = json_real_value(j);
    if (!isfinite(d)) {
        jreport(c, "%s", "number is not finite");
        return bad(c, v);
    }
    if (d == floor(d) && d >= CT_INT64_MIN_D && d < CT_INT64_END_D) {
        v->type = CT_V_INT;
        v->u.i = (int64_t)d;
    } else if (d == floor(d)) {
        char t[40];
        ct_describe_number(d, t, sizeof t);
        jreport(c, CT_BEYOND_INT64_MSG, t);
        return bad(c, v);
    } else {
        v->type = CT_V_NUM;
        v->u.n = d;
    }
    return v;
}

static ct_value *conv_array(jconv *c, json_t *j, ct_value *v, int depth)
{
    size_t n = json_array_size(j);
    if (depth >= CT_MAX_DEPTH) {
        jreport(c, "%s", CT_DEPTH_MSG);
        return bad(c, v);
    }
    v->type = CT_V_ARR;
    v->u.arr.n = n;
    v->u.arr.items = n ? ct_arena_alloc(c->a, n * sizeof(ct_value *)) : NULL;
    if (n && !v->u.arr.items) {
        c->oom = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        ct_path_push_index(&c->path, i);
        v->u.arr.items[i] = conv(c, json_array_get(j, i), depth + 1);
        ct_path_pop(&c->path);
        if (!v->u.arr.items[i]) return NULL;
    }
    return v;
}

static ct_value *conv_object(jconv *c, json_t *j, ct_value *v, int depth)
{
    size_t n = json_object_size(j);
    if (depth >= CT_MAX_DEPTH) {
        jreport(c, "%s", CT_DEPTH_MSG);
        return bad(c, v);
    }
    v->type = CT_V_OBJ;
    v->u.obj.n = n;
    v->u.obj.members = n ? ct_arena_alloc(c->a, n * sizeof(ct_member)) : NULL;
    if (n && !v->u.obj.members) {
        c->oom = 1;
        return NULL;
    }
    size_t i = 0;
    const char *key;
    json_t *val;
    json_object_foreach(j, key, val) {
        if (i == n) break;
        ct_member *m = &v->u.obj.members[i++];
        m->key = key;
        m->klen = strlen(key); /* jansson keys cannot hold NUL */
        ct_path_push_key(&c->path, m->key, m->klen);
        m->val = conv(c, val, depth + 1);
        ct_path_pop(&c->path);
        if (!m->val) return NULL;
    }
    v->u.obj.n = i;
    ct_obj_sort(v); /* jansson already refused duplicates */
    return v;
}

/* A jansson value as a ct_value in the arena; NULL when out of memory. */
static ct_value *conv(jconv *c, json_t *j, int depth)
{
    ct_value *v = ct_arena_alloc(c->a, sizeof *v);
    if (!v) {
        c->oom = 1;
        return NULL;
    }
    v->empty_as = CT_V_EMPTY;
    switch (json_typeof(j)) {
    case JSON_NULL: v->type = CT_V_NULL; break;
    case JSON_TRUE:
        v->type = CT_V_BOOL;
        v->u.b = 1;
        break;
    case JSON_FALSE:
        v->type = CT_V_BOOL;
        v->u.b = 0;
        break;
    case JSON_INTEGER:
        v->type = CT_V_INT;
        v->u.i = (int64_t)json_integer_value(j);
        break;
    case JSON_REAL: return conv_real(c, j, v);
    case JSON_STRING:
        v->type = CT_V_STR;
        v->u.str.s = json_string_value(j);
        v->u.str.len = json_string_length(j);
        break;
    case JSON_ARRAY: return conv_array(c, j, v, depth);
    case JSON_OBJECT: return conv_object(c, j, v, depth);
    }
    return v;
}

ct_value *ct_json_parse(ct_arena *a, const char *json, size_t len, ct_problems *out, void **keep)
{
    *keep = NULL;
    json_error_t err;
    json_t *j = json_loadb(json, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        char msg[300];
        snprintf(msg, sizeof msg, "invalid JSON at line %d, column %d: %s", err.line, err.column, err.text);
        ct_problems_add(out, CT_SEVERITY_ERROR, "", 0, msg, strlen(msg));
        return NULL;
    }
    jconv c;
    c.a = a;
    c.out = out;
    c.oom = 0;
    ct_path_init(&c.path);
    ct_value *v = conv(&c, j, 0);
    ct_path_free(&c.path);
    if (!v) {
        json_decref(j);
        ct_problems_add(out, CT_SEVERITY_ERROR, "", 0, "out of memory", 13);
        return NULL;
    }
    *keep = j;
    return v;
}

void ct_json_release(void *keep)
{
    if (keep) json_decref((json_t *)keep);
}
