/* Keeping a secret (the passcode) out of text the client shows. */
#ifndef CT_REDACT_H
#define CT_REDACT_H

#include <stddef.h>

/* Replaces secret by *** in text, in place (never longer). */
void ct_redact(char *text, const char *secret);
/* A redacted copy of a response body (malloc'd; NULL when out of memory):
 * JSON is redacted decoded, every string and key, and written back compact. */
char *ct_redact_body(const char *body, size_t len, const char *secret);

#endif
