/* A growable byte buffer and the JSON string escaping the engine needs to
 * build request bodies without a JSON library in the hot path. */
#ifndef CT_SB_H
#define CT_SB_H

#include <stddef.h>

typedef struct ct_sb {
    char *p;
    size_t len, cap;
    int oom; /* set once an allocation failed; later appends are no-ops */
} ct_sb;

void ct_sb_init(ct_sb *b);
void ct_sb_free(ct_sb *b);
int ct_sb_reserve(ct_sb *b, size_t extra);
void ct_sb_add(ct_sb *b, const void *s, size_t n);
void ct_sb_adds(ct_sb *b, const char *s);
void ct_sb_addc(ct_sb *b, char c);
/* Appends s as a JSON string literal (quotes included). s is valid UTF-8. */
void ct_sb_add_json_string(ct_sb *b, const char *s, size_t n);
/* Hands the bytes over (NUL-terminated) and resets b; NULL when out of memory. */
char *ct_sb_take(ct_sb *b, size_t *len);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int ct_sb_utf8_valid(const char *s, size_t n);

#endif
