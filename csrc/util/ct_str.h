/* Small string helpers: heap copies of C strings, the one pair every layer
 * uses instead of a private copy of its own. */
#ifndef CT_STR_H
#define CT_STR_H

#include <stddef.h>

/* A NUL-terminated copy of the n bytes at s (which may hold NULs), NULL
 * when out of memory. s may be NULL when n is 0. */
char *ct_strndup(const char *s, size_t n);
/* A copy of the C string s; NULL when s is NULL or out of memory. */
char *ct_strdup(const char *s);

#endif
