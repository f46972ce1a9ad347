/* Keeping the passcode out of everything the client shows: messages, log
 * events and error bodies. */
#include "ct_engine.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int alnum(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

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

