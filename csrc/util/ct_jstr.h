/* The one JSON string escaper (RFC 8259, UTF-8 kept as is): request bodies,
 * encoded payloads, identities and the SMS renderer all write strings
 * through it, so they escape alike. */
#ifndef CT_JSTR_H
#define CT_JSTR_H

#include "ct_sb.h"

#include <stddef.h>

enum {
    CT_JSTR_QUOTED = 1, /* wrap in double quotes (a JSON value); without: the inside of one */
    CT_JSTR_DEL = 2,    /* escape DEL (0x7f) too, as \u007f: what the SMS templates' escape.lua does */
};

/* Appends s (n bytes, valid UTF-8) escaped: '"', '\\' and controls as
 * \" \\ \b \f \n \r \t or \u00XX. Identities and most strings need no
 * escape at all, so plain ASCII goes 8 bytes at a time. */
void ct_jstr_add(ct_sb *b, const char *s, size_t n, unsigned flags);

#endif
