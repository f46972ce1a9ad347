/* Validate a payload for a CleverTap endpoint from C, without Lua.
 *
 *   validate ENDPOINT FILE.json [--now EPOCH] [--encode]
 *
 * Prints one line per problem ("error   when.type: ... (at /when/type)") and, with --encode,
 * the exact JSON that would be sent. Exit status: 0 valid (warnings allowed),
 * 1 invalid, 2 usage or I/O error. Build:
 *
 *   cc -Iinclude/clevertap examples/c-validate/validate.c build/libclevertap.a -ljansson -lcurl -lhiredis -lsqlite3 -lm
 * -o validate
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clevertap.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (f != stdin) fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    const char *endpoint = NULL, *path = NULL;
    int encode = 0;
    ct_validate_opts opts = { 0 };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) opts.now = atoll(argv[++i]);
        else if (strcmp(argv[i], "--encode") == 0) encode = 1;
        else if (!endpoint) endpoint = argv[i];
        else if (!path) path = argv[i];
        else endpoint = NULL, i = argc; /* too many arguments */
    }
    if (!endpoint || !path) {
        fprintf(stderr, "usage: %s ENDPOINT FILE.json [--now EPOCH] [--encode]\n", argv[0]);
        return 2;
    }
    if (!ct_endpoint_known(endpoint)) {
        fprintf(stderr, "%s: unknown endpoint\n", endpoint);
        return 2;
    }
    size_t len;
    char *json = slurp(path, &len);
    if (!json) {
        perror(path);
        return 2;
    }

    ct_problems *problems = NULL;
    size_t out_len = 0;
    char *out = NULL;
    if (encode) out = ct_encode_json(endpoint, json, len, &opts, &out_len, &problems);
    else problems = ct_validate_json(endpoint, json, len, &opts);
    free(json);
    if (!problems) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }

    for (size_t i = 0; i < ct_problems_count(problems); i++) {
        const ct_problem *p = ct_problems_get(problems, i);
        /* the message starts with the field's readable path; the exact
         * JSON Pointer follows for tools */
        printf("%s %s", p->severity == CT_SEVERITY_ERROR ? "error  " : "warning", p->message);
        if (*p->pointer) printf(" (at %s)", p->pointer);
        printf("\n");
    }
    int invalid = ct_problems_errors(problems) > 0;
    printf("%s: %s (%zu problem%s)\n", path, invalid ? "INVALID" : "valid", ct_problems_count(problems),
           ct_problems_count(problems) == 1 ? "" : "s");
    if (out) printf("%.*s\n", (int)out_len, out);
    free(out);
    ct_problems_free(problems);
    return invalid ? 1 : 0;
}
