/* The lists that messages show are the registries themselves: the endpoint
 * names of an unknown-endpoint error are the registry's (ct_schema_endpoint),
 * and the missing-target_mode warning of targets/create names every variant
 * of its schema, in order. A name added to a registry shows up in its
 * message with no second list to edit. Built and run by spec/c/registry_test.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clevertap.h"
#include "ct_problems.h"
#include "ct_schema_parts.h"

static int failures;

#define FAIL(...)                                                                                                      \
    do {                                                                                                               \
        failures++;                                                                                                    \
        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                           \
        fprintf(stderr, __VA_ARGS__);                                                                                  \
        fputc('\n', stderr);                                                                                           \
    } while (0)

/* The message of the first problem whose pointer is `pointer`, or NULL. */
static const char *message_at(const ct_problems *p, const char *pointer)
{
    for (size_t i = 0; i < ct_problems_count(p); i++) {
        const ct_problem *q = ct_problems_get(p, i);
        if (q->pointer_len == strlen(pointer) && memcmp(q->pointer, pointer, q->pointer_len) == 0) return q->message;
    }
    return NULL;
}

static void endpoints(void)
{
    char want[1024] = "";
    size_t n = 0;
    for (const char *e; (e = ct_schema_endpoint(n)) != NULL; n++) {
        if (!ct_schema_for(e)) FAIL("registry name %s has no schema", e);
        if (!ct_endpoint_known(e)) FAIL("registry name %s not known", e);
        size_t len = strlen(want);
        snprintf(want + len, sizeof want - len, "%s\"%s\"", n ? ", " : "", e);
    }
    if (n != 9) FAIL("expected the 9 endpoints of docs/contract.md, the registry has %zu", n);
    ct_problems *p = ct_validate_json("targets/nope", "{}", 2, NULL);
    const char *msg = p ? message_at(p, "") : NULL;
    char expect[1200];
    snprintf(expect, sizeof expect, "unknown endpoint \"targets/nope\" (expected one of %s)", want);
    /* the message starts with the readable path of the root ("payload: ") */
    size_t ml = msg ? strlen(msg) : 0, el = strlen(expect);
    if (!msg || ml < el || strcmp(msg + ml - el, expect) != 0)
        FAIL("unknown endpoint message:\n  got  %s\n  want ...%s", msg, expect);
    ct_problems_free(p);
}

static void target_modes(void)
{
    char want[512] = "";
    size_t n = 0;
    for (const ct_variant *v = ct_sc_targets_create.variants; v->value; v++, n++) {
        size_t len = strlen(want);
        snprintf(want + len, sizeof want - len, "%s%s", n ? ", " : "", v->value);
    }
    if (n < 7) FAIL("expected at least the 7 documented target modes, got %zu", n);
    const char *json = "{\"name\":\"x\",\"where\":{},\"when\":\"now\",\"content\":{\"title\":\"t\",\"body\":\"b\"}}";
    ct_problems *p = ct_validate_json("targets/create", json, strlen(json), NULL);
    const char *msg = p ? message_at(p, "/target_mode") : NULL;
    char expect[700];
    snprintf(expect, sizeof expect, "one of %s", want);
    if (!msg || !strstr(msg, "taken as \"push\"") || !strstr(msg, expect))
        FAIL("target_mode warning:\n  got  %s\n  want ... %s", msg, expect);
    else {
        const char *tail = strstr(msg, expect) + strlen(expect);
        if (*tail) FAIL("target_mode warning goes on after the modes: \"%s\"", tail);
    }
    ct_problems_free(p);
}

int main(void)
{
    endpoints();
    target_modes();
    if (failures) {
        fprintf(stderr, "registry_test: %d failure(s)\n", failures);
        return 1;
    }
    printf("registry_test: ok\n");
    return 0;
}
