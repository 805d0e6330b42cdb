#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pb_parse_duration(const char *s, const char *what, pb_usec *out, pb_err *err)
{
    static const struct {
        const char *suffix;
        double usec;
    } units[] = {{"us", 1.0}, {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {"h", 3600e6}};

    if (s == NULL || *s == '\0')
        return pb_err_set(err, PB_EPARSE, "%s: expected a duration such as 10ms or 30s, got \"\"",
                          what);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(v) || v < 0 || isspace((unsigned char)*s))
        goto bad;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            double us = v * units[i].usec;
            if (us > 1e18)
                return pb_err_set(err, PB_ERANGE, "%s: duration \"%s\" is too large", what, s);
            *out = (pb_usec)llround(us);
            return 0;
        }
    }
bad:
    return pb_err_set(err, PB_EPARSE,
                      "%s: expected a duration with a unit (us, ms, s, m, h) such as 10ms or 30s, "
                      "got \"%s\"",
                      what, s);
}

int pb_parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out,
                 pb_err *err)
{
    /* a malformed number and one out of range get the same words: the bound */
    int code = PB_EPARSE;
    if (s != NULL && isdigit((unsigned char)*s)) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (*end == '\0' && errno == 0) {
            if (v >= min && v <= max) {
                *out = v;
                return 0;
            }
            code = PB_ERANGE;
        } else if (*end == '\0') {
            code = PB_ERANGE; /* past 2^64 */
        }
    }
    return pb_err_set(err, code, "%s: expected a whole number from %llu to %llu, got \"%s\"", what,
                      (unsigned long long)min, (unsigned long long)max, s ? s : "");
}

int pb_parse_double(const char *s, const char *what, double min, double max, double *out,
                    pb_err *err)
{
    if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
        goto bad;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno != 0 || !isfinite(v))
        goto bad;
    if (v < min || v > max)
        return pb_err_set(err, PB_ERANGE, "%s: expected a number from %g to %g, got %s", what, min,
                          max, s);
    *out = v;
    return 0;
bad:
    return pb_err_set(err, PB_EPARSE, "%s: expected a number, got \"%s\"", what, s ? s : "");
}

int pb_parse_fraction(const char *s, const char *what, double *out, pb_err *err)
{
    size_t n = s ? strlen(s) : 0;
    if (n > 1 && s[n - 1] == '%') {
        char tmp[64];
        if (n >= sizeof(tmp))
            goto bad;
        memcpy(tmp, s, n - 1);
        tmp[n - 1] = '\0';
        double pct;
        pb_err inner;
        if (pb_parse_double(tmp, what, 0, 100, &pct, &inner) != 0)
            goto bad;
        *out = pct / 100.0;
        return 0;
    }
    double v;
    pb_err inner;
    if (pb_parse_double(s, what, 0, 1, &v, &inner) != 0)
        goto bad;
    *out = v;
    return 0;
bad:
    return pb_err_set(err, PB_EPARSE,
                      "%s: expected a fraction from 0 to 1 or a percentage such as 5%%, got \"%s\"",
                      what, s ? s : "");
}

int pb_parse_size(const char *s, const char *what, uint64_t *out, pb_err *err)
{
    if (s == NULL || !isdigit((unsigned char)*s))
        goto bad;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        goto bad;
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10;
    else if (*end == 'm' || *end == 'M')
        shift = 20;
    else if (*end == 'g' || *end == 'G')
        shift = 30;
    else if (*end != '\0')
        goto bad;
    if (shift != 0 && end[1] != '\0')
        goto bad;
    if (v > (UINT64_MAX >> shift))
        return pb_err_set(err, PB_ERANGE, "%s: size \"%s\" is too large", what, s);
    *out = (uint64_t)v << shift;
    return 0;
bad:
    return pb_err_set(err, PB_EPARSE, "%s: expected a size in bytes such as 512, 4k or 1M, got \"%s\"",
                      what, s ? s : "");
}

const char *pb_format_duration(pb_usec d, char *buf, size_t len)
{
    if (d < 1000)
        snprintf(buf, len, "%lluus", (unsigned long long)d);
    else if (d < 100 * PB_USEC_PER_MS)
        snprintf(buf, len, "%.2fms", (double)d / 1e3);
    else if (d < 100 * PB_USEC_PER_SEC)
        snprintf(buf, len, "%.2fs", (double)d / 1e6);
    else if (d < 3600 * PB_USEC_PER_SEC)
        snprintf(buf, len, "%llum%02llus", (unsigned long long)(d / 60000000),
                 (unsigned long long)(d / 1000000 % 60));
    else
        snprintf(buf, len, "%lluh%02llum", (unsigned long long)(d / 3600000000ULL),
                 (unsigned long long)(d / 60000000 % 60));
    return buf;
}
