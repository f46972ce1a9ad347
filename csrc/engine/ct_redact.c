/* Keeping the passcode out of everything the client shows: messages, log
 * events and error bodies. */
#include "ct_redact.h"
#include "ct_str.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int alnum(char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }

void ct_redact(char *text, const char *secret)
{
    if (!text || !secret || !*secret) return;
    size_t pl = strlen(secret);
    /* A short secret ("p", "pass") also occurs inside ordinary words
     * ("CleverTap", "passcode"): replacing those would garble every message
     * without hiding anything, so it is replaced only as a whole word. */
    int whole_word = pl < 8;
    size_t rl = pl < 3 ? pl : 3;
    char *from = text, *p;
    while ((p = strstr(from, secret))) {
        if (whole_word && ((p > text && alnum(p[-1])) || alnum(p[pl]))) {
            from = p + 1;
            continue;
        }
        memset(p, '*', rl);
        memmove(p + rl, p + pl, strlen(p + pl) + 1);
        from = p + rl; /* a secret made of '*' must not match its own mask */
    }
}

static json_t *redact_value(json_t *v, const char *secret)
{
    if (json_is_string(v)) {
        char *s = ct_strdup(json_string_value(v));
        if (!s) return NULL;
        ct_redact(s, secret);
        json_t *out = json_string(s);
        free(s);
        return out;
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        for (size_t i = 0; out && i < json_array_size(v); i++) {
            json_t *item = redact_value(json_array_get(v, i), secret);
            if (!item || json_array_append_new(out, item) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_object(v)) {
        json_t *out = json_object();
        const char *key;
        json_t *member;
        json_object_foreach(v, key, member) {
            char *k = ct_strdup(key);
            json_t *item = k ? redact_value(member, secret) : NULL;
            if (k) ct_redact(k, secret);
            int bad = !item || json_object_set_new(out, k, item) != 0;
            free(k);
            if (bad) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_incref(v);
}

char *ct_redact_body(const char *body, size_t len, const char *secret)
{
    /* JSON is redacted decoded: "\u0050ASSCODE" is the passcode once the
     * caller decodes it, so every string is redacted as text and written
     * back; anything else is redacted as it stands */
    json_t *root = secret && *secret ? json_loadb(body, len, JSON_DECODE_ANY, NULL) : NULL;
    char *out = NULL;
    if (root) {
        json_t *clean = redact_value(root, secret);
        if (clean) out = json_dumps(clean, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        json_decref(clean);
        json_decref(root);
        /* and as text: a secret spanning JSON punctuation is in no one string */
        if (out) ct_redact(out, secret);
        if (out) return out;
    }
    out = malloc(len + 1);
    if (!out) return NULL;
    memcpy(out, body, len);
    out[len] = '\0';
    ct_redact(out, secret);
    return out;
}
