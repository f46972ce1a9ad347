/* Heap copies of strings (ct_str.h). ct_strndup copies exactly n bytes
 * (strndup stops at a NUL), and ct_strdup takes NULL, which the option
 * copies need. */
#include "ct_str.h"

#include <stdlib.h>
#include <string.h>

char *ct_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ct_strdup(const char *s) { return s ? ct_strndup(s, strlen(s)) : NULL; }
