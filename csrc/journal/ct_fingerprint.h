/* The fingerprint of an identity list, as a journal records it: a resume
 * reads its source's prefix again and must get the same value, so the
 * format is fixed (spec/c/fingerprint_test.c pins it): per identity, one
 * word of its type (high byte) xor its length, then its bytes as
 * little-endian 8-byte words, the last one zero-padded; each word mixed in
 * by a multiply-xorshift step. */
#ifndef CT_FINGERPRINT_H
#define CT_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#define CT_FP_INIT 0xcbf29ce484222325ULL

/* h with one identity (type, bytes s[0..len)) mixed in. */
uint64_t ct_fp_add(uint64_t h, int type, const char *s, size_t len);

#endif
