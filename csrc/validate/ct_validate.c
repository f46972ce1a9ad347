/* The public C validation API (clevertap.h) over JSON text. */
#include <stdlib.h>
#include <string.h>

#include "ct_encode.h"
#include "ct_json.h"
#include "ct_problems.h"
#include "ct_validate.h"
#include "ct_walk.h"

int ct_endpoint_known(const char *endpoint) { return endpoint && ct_schema_for(endpoint) != NULL; }

static ct_problems *unknown_endpoint(const char *endpoint, ct_problems *p)
{
    ct_sb b;
    ct_sb_init(&b);
    const char *e;
    for (size_t i = 0; (e = ct_schema_endpoint(i)) != NULL; i++) ct_sb_printf(&b, "%s\"%s\"", i ? ", " : "", e);
    ct_problems_addf(p, CT_SEVERITY_ERROR, "", "unknown endpoint \"%s\" (expected one of %s)",
                     endpoint ? endpoint : "(null)", ct_sb_cstr(&b));
    ct_sb_free(&b);
    return p;
}

/* Parses and walks; returns the tree (in `a`) or NULL when the text is not JSON. */
static ct_value *run(const char *endpoint, const char *json, size_t len, const ct_vopts *o, ct_arena *a, ct_problems *p,
                     void **keep, int *known)
{
    *keep = NULL;
    const ct_schema *s = endpoint ? ct_schema_for(endpoint) : NULL;
    *known = s != NULL;
    if (!s) {
        unknown_endpoint(endpoint, p);
        return NULL;
    }
    if (!json) {
        ct_problems_add(p, CT_SEVERITY_ERROR, "", 0, "no JSON text given", 18);
        return NULL;
    }
    ct_value *v = ct_json_parse(a, json, len, p, keep);
    if (!v) return NULL;
    ct_walk(v, s, o, p);
    return v;
}

ct_problems *ct_validate_json_opts(const char *endpoint, const char *json, size_t len, const ct_vopts *o)
{
    ct_problems *p = ct_problems_new(o ? o->max_problems : 0);
    if (!p) return NULL;
    ct_arena *a = ct_arena_new();
    if (!a) {
        ct_problems_add(p, CT_SEVERITY_ERROR, "", 0, "out of memory", 13);
        return p;
    }
    void *keep;
    int known;
    run(endpoint, json, len, o, a, p, &keep, &known);
    ct_json_release(keep);
    ct_arena_free(a);
    return p;
}

char *ct_encode_json_opts(const char *endpoint, const char *json, size_t len, const ct_vopts *o, size_t *out_len,
                          ct_problems **problems)
{
    if (problems) *problems = NULL;
    if (out_len) *out_len = 0;
    ct_problems *p = ct_problems_new(o ? o->max_problems : 0);
    if (!p) return NULL;
    ct_arena *a = ct_arena_new();
    char *out = NULL;
    if (!a) {
        ct_problems_add(p, CT_SEVERITY_ERROR, "", 0, "out of memory", 13);
    } else {
        void *keep;
        int known;
        ct_value *v = run(endpoint, json, len, o, a, p, &keep, &known);
        if (v && ct_problems_errors(p) == 0) {
            ct_sb b;
            ct_sb_init(&b);
            if (ct_encode(v, o ? o->without : NULL, &b) == 0) {
                ct_sb_cstr(&b);
                if (!b.oom) {
                    out = b.p;
                    if (out_len) *out_len = b.len;
                    b.p = NULL;
                }
            } else {
                ct_problems_add(p, CT_SEVERITY_ERROR, "", 0, "the payload cannot be encoded", 29);
            }
            ct_sb_free(&b);
        }
        ct_json_release(keep);
        ct_arena_free(a);
    }
    if (problems) *problems = p;
    else ct_problems_free(p);
    return out;
}

static ct_vopts public_opts(const ct_validate_opts *opts)
{
    ct_vopts o;
    memset(&o, 0, sizeof o);
    if (opts) {
        o.now = opts->now;
        o.without = opts->without;
        o.max_problems = opts->max_problems;
    }
    return o;
}

ct_problems *ct_validate_json(const char *endpoint, const char *json, size_t len, const ct_validate_opts *opts)
{
    ct_vopts o = public_opts(opts);
    return ct_validate_json_opts(endpoint, json, len, &o);
}

char *ct_encode_json(const char *endpoint, const char *json, size_t len, const ct_validate_opts *opts, size_t *out_len,
                     ct_problems **problems)
{
    ct_vopts o = public_opts(opts);
    return ct_encode_json_opts(endpoint, json, len, &o, out_len, problems);
}
