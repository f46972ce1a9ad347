/* The registry: endpoint name -> root schema. The names are the ones of
 * docs/contract.md; anything else is unknown (NULL), which the callers turn into a
 * misuse error. It is the one list of endpoints: messages and the Lua
 * module's `endpoints` read it through ct_schema_endpoint. */
#include <string.h>

#include "ct_schema_parts.h"

static const struct {
    const char *endpoint;
    const ct_schema *schema;
} registry[] = {
    { "targets/create", &ct_sc_targets_create },
    { "targets/list", &ct_sc_targets_list },
    { "targets/stop", &ct_sc_targets_stop },
    { "targets/result", &ct_sc_targets_result },
    { "targets/trigger", &ct_sc_targets_trigger },
    { "send/push", &ct_sc_send_push },
    { "send/webpush", &ct_sc_send_webpush },
    { "send/email", &ct_sc_send_email },
    { "send/sms", &ct_sc_send_sms },
};

const ct_schema *ct_schema_for(const char *endpoint)
{
    size_t i;
    if (endpoint == NULL) return NULL;
    for (i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i].endpoint, endpoint) == 0) return registry[i].schema;
    return NULL;
}

const char *ct_schema_endpoint(size_t i)
{
    return i < sizeof registry / sizeof registry[0] ? registry[i].endpoint : NULL;
}
