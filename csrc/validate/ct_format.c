/* Formats (YYYYMMDD, "YYYYMMDD HH:MM", "HH:MM", yyyyMMddHHmm, epoch) and
 * the "got ..." descriptions of values used in messages. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ct_format.h"

static const char *const month_names[] = { "January", "February", "March",     "April",   "May",      "June",
                                           "July",    "August",   "September", "October", "November", "December" };

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

long long ct_days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's days_from_civil */
    long long yy = (long long)y - (m <= 2);
    long long era = (yy >= 0 ? yy : yy - 399) / 400;
    long long yoe = yy - era * 400;
    long long doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

long long ct_moment_epoch(const ct_moment *m)
{
    return ct_days_from_civil(m->year, m->month, m->day) * 86400LL + m->hour * 3600LL + m->minute * 60LL;
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int check_date(int y, int mo, int d, ct_moment *m, char *detail, size_t dn)
{
    if (y < 1) {
        if (detail) snprintf(detail, dn, "year %04d does not exist", y);
        return 2;
    }
    if (mo < 1 || mo > 12) {
        if (detail) snprintf(detail, dn, "there is no month %02d", mo);
        return 2;
    }
    if (d < 1 || d > days_in_month(y, mo)) {
        if (detail) snprintf(detail, dn, "%s %d has %d days", month_names[mo - 1], y, days_in_month(y, mo));
        return 2;
    }
    m->year = y;
    m->month = mo;
    m->day = d;
    return 0;
}

static int check_time(int h, int mi, ct_moment *m, char *detail, size_t dn)
{
    if (h > 23) {
        if (detail) snprintf(detail, dn, "hours go from 00 to 23");
        return 2;
    }
    if (mi > 59) {
        if (detail) snprintf(detail, dn, "minutes go from 00 to 59");
        return 2;
    }
    m->hour = h;
    m->minute = mi;
    return 0;
}

/* YYYYMMDD digits */
static int parse_date8(const char *s, ct_moment *m, char *detail, size_t dn)
{
    int y, mo, d;
    if (!digits(s, 4, &y) || !digits(s + 4, 2, &mo) || !digits(s + 6, 2, &d)) return 1;
    return check_date(y, mo, d, m, detail, dn);
}

int ct_fmt_check(ct_format f, const ct_value *v, ct_moment *out, char *detail, size_t dn)
{
    ct_moment tmp;
    ct_moment *m = out ? out : &tmp;
    memset(m, 0, sizeof *m);
    if (detail && dn) detail[0] = '\0';
    char num[24];
    const char *s = NULL;
    size_t n = 0;
    if (v->type == CT_V_STR) {
        s = v->u.str.s;
        n = v->u.str.len;
    } else if (v->type == CT_V_INT) {
        if (f == CT_FMT_EPOCH) {
            if (v->u.i < 0) return 1;
            long long days = v->u.i / 86400, rem = v->u.i % 86400;
            /* civil_from_days */
            long long z = days + 719468;
            long long era = z / 146097;
            long long doe = z - era * 146097;
            long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
            long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            long long mp = (5 * doy + 2) / 153;
            long long d = doy - (153 * mp + 2) / 5 + 1;
            long long mo = mp < 10 ? mp + 3 : mp - 9;
            long long y = yoe + era * 400 + (mo <= 2);
            if (y > 9999) return 1;
            m->year = (int)y;
            m->month = (int)mo;
            m->day = (int)d;
            m->hour = (int)(rem / 3600);
            m->minute = (int)(rem % 3600 / 60);
            return 0;
        }
        if (v->u.i < 0 || v->u.i > 999999999999LL) return 1; /* at most 12 digits */
        char *q = num + sizeof num;
        uint64_t u = (uint64_t)v->u.i;
        do {
            *--q = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        s = q;
        n = (size_t)(num + sizeof num - q);
    } else {
        return 1;
    }
    switch (f) {
    case CT_FMT_NONE: return 0;
    case CT_FMT_DATE:
        if (n != 8) return 1;
        return parse_date8(s, m, detail, dn);
    case CT_FMT_STAMP12: {
        int h, mi;
        if (n != 12 || !digits(s + 8, 2, &h) || !digits(s + 10, 2, &mi)) return 1;
        int rc = parse_date8(s, m, detail, dn);
        if (rc) return rc;
        return check_time(h, mi, m, detail, dn);
    }
    case CT_FMT_DATETIME: {
        int h, mi;
        if (v->type != CT_V_STR || n != 14 || s[8] != ' ' || s[11] != ':' || !digits(s + 9, 2, &h) ||
            !digits(s + 12, 2, &mi))
            return 1;
        int rc = parse_date8(s, m, detail, dn);
        if (rc) return rc;
        return check_time(h, mi, m, detail, dn);
    }
    case CT_FMT_TIME: {
        int h, mi;
        if (v->type != CT_V_STR || n != 5 || s[2] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &mi)) return 1;
        m->year = 1970;
        m->month = 1;
        m->day = 1;
        return check_time(h, mi, m, detail, dn);
    }
    case CT_FMT_EPOCH: return 1; /* strings are not epochs */
    }
    return 1;
}

int ct_fmt_parse(ct_format f, const ct_value *v, ct_moment *m) { return v && ct_fmt_check(f, v, m, NULL, 0) == 0; }

const char *ct_fmt_expect(ct_format f)
{
    switch (f) {
    case CT_FMT_DATE: return "a date YYYYMMDD";
    case CT_FMT_DATETIME: return "a date and time \"YYYYMMDD HH:MM\"";
    case CT_FMT_TIME: return "HH:MM (00:00-23:59)";
    case CT_FMT_STAMP12: return "a yyyyMMddHHmm number (like 202207200000)";
    case CT_FMT_EPOCH: return "a UNIX timestamp in seconds";
    case CT_FMT_NONE: break;
    }
    return "a value";
}

/* ---- value descriptions ------------------------------------------------------ */

void ct_describe_number(double d, char *buf, size_t n)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, d);
        double back;
        if (sscanf(buf, "%lg", &back) == 1 && back == d) break;
    }
    for (char *p = buf; *p; p++)
        if (*p == ',') *p = '.'; /* a host's locale must not leak into JSON */
}

void ct_value_describe(const ct_value *v, char *buf, size_t n)
{
    if (!n) return;
    buf[0] = '\0';
    if (!v) {
        snprintf(buf, n, "nothing");
        return;
    }
    switch (v->type) {
    case CT_V_NULL: snprintf(buf, n, "null"); break;
    case CT_V_BOOL: snprintf(buf, n, "%s", v->u.b ? "true" : "false"); break;
    case CT_V_INT: snprintf(buf, n, "%lld", (long long)v->u.i); break;
    case CT_V_NUM: ct_describe_number(v->u.n, buf, n); break;
    case CT_V_ARR: snprintf(buf, n, "an array of %zu item%s", v->u.arr.n, v->u.arr.n == 1 ? "" : "s"); break;
    case CT_V_OBJ: snprintf(buf, n, "an object"); break;
    case CT_V_EMPTY: snprintf(buf, n, "an empty table"); break;
    case CT_V_BAD: snprintf(buf, n, "an invalid value"); break;
    case CT_V_STR: {
        /* "text", cut at 60 bytes on a character boundary, control chars escaped */
        if (n < 8) break;
        size_t lim = n - 8 < 60 ? n - 8 : 60, o = 0, i = 0, len = v->u.str.len;
        const unsigned char *s = (const unsigned char *)v->u.str.s;
        buf[o++] = '"';
        while (i < len) {
            unsigned c = s[i];
            char tmp[8];
            size_t tl, adv = 1;
            if (c == '"' || c == '\\') {
                tmp[0] = '\\';
                tmp[1] = (char)c;
                tl = 2;
            } else if (c < 0x20 || c == 0x7f) {
                tl = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", c);
            } else {
                size_t cl = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
                if (i + cl > len) cl = len - i;
                memcpy(tmp, s + i, cl);
                tl = adv = cl;
            }
            if (o - 1 + tl > lim) break;
            memcpy(buf + o, tmp, tl);
            o += tl;
            i += adv;
        }
        if (i < len) {
            memcpy(buf + o, "...", 3);
            o += 3;
        }
        buf[o++] = '"';
        buf[o] = '\0';
        break;
    }
    }
}
