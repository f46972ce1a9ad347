/* Format parsing and value descriptions shared by the walker and the schema
 * CHECK callbacks (ct_fmt_parse and ct_value_describe are declared for them in
 * ct_schema.h). */
#ifndef CT_FORMAT_H
#define CT_FORMAT_H

#include <stddef.h>

#include "ct_schema.h"

/* 0 when v is a valid value of format f (filling *m), 1 when its shape is
 * wrong, 2 when it has the shape but names something that does not exist
 * (month 13, February 30, 25:00); `detail` then says what (may be NULL). */
int ct_fmt_check(ct_format f, const ct_value *v, ct_moment *m, char *detail, size_t dn);
/* How a format reads in "expected ..." messages. */
const char *ct_fmt_expect(ct_format f);
/* Shortest round-trip text of a double ("0.1", "1e+300"). */
void ct_describe_number(double d, char *buf, size_t n);

#endif
