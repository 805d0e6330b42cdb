#include "units.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A duration's units, longest suffix first so that "ms" is not read as "m"
 * followed by a stray "s". */
static const struct {
    const char *suffix;
    double usec;
} duration_units[] = {{"us", 1.0}, {"ms", 1e3},   {"s", 1e6},
                      {"m", 60e6}, {"h", 3600e6}, {"d", 86400e6}};
enum { N_DURATION_UNITS = sizeof(duration_units) / sizeof(duration_units[0]) };

/* Read a plain decimal "12" or "1.5" (no sign, exponent, hex or spaces, which
 * strtod would take) at *p; 0 and *p past it, or -1. */
static int scan_decimal(const char **p, double *out)
{
    const char *s = *p;
    const char *start = s;
    while (isdigit((unsigned char)*s))
        s++;
    size_t whole = (size_t)(s - start);
    size_t frac = 0;
    if (*s == '.') {
        const char *f = ++s;
        while (isdigit((unsigned char)*s))
            s++;
        frac = (size_t)(s - f);
    }
    if (whole == 0 && frac == 0)
        return -1;
    if (whole + frac > 30) /* more digits than any duration or rate needs */
        return -1;
    char buf[40];
    memcpy(buf, start, (size_t)(s - start));
    buf[s - start] = '\0';
    *out = strtod(buf, NULL);
    *p = s;
    return 0;
}

int pb_parse_duration(const char *s, const char *what, pb_usec *out, pb_err *err)
{
    if (s == NULL || *s == '\0')
        return pb_err_set(err, PB_EPARSE, "%s: expected a duration such as 10ms or 30s, got \"\"",
                          what);
    /* "1d12h", "1m30s", "1.5h": parts in falling units, each unit once */
    const char *p = s;
    double total = 0;
    int prev = -1;
    while (*p != '\0') {
        double v;
        if (scan_decimal(&p, &v) != 0)
            goto bad;
        int u = -1;
        for (size_t i = 0; i < N_DURATION_UNITS; i++) {
            size_t n = strlen(duration_units[i].suffix);
            if (strncmp(p, duration_units[i].suffix, n) == 0 &&
                (p[n] == '\0' || isdigit((unsigned char)p[n]))) {
                u = (int)i;
                p += n;
                break;
            }
        }
        if (u < 0)
            goto bad;
        if (prev >= 0 && duration_units[u].usec >= duration_units[prev].usec)
            return pb_err_set(err, PB_EPARSE,
                              "%s: expected the parts of a duration from the largest unit to the "
                              "smallest, each once, such as 1d12h or 1m30s, got \"%s\"",
                              what, s);
        prev = u;
        total += v * duration_units[u].usec;
    }
    if (total > 1e18)
        return pb_err_set(err, PB_ERANGE, "%s: duration \"%s\" is too large", what, s);
    *out = (pb_usec)llround(total);
    return 0;
bad:
    return pb_err_set(err, PB_EPARSE,
                      "%s: expected a duration with a unit (us, ms, s, m, h, d) such as 10ms, 30s, "
                      "1.5h or 1d12h, got \"%s\"",
                      what, s);
}

int pb_parse_rate(const char *s, const char *what, double min, double max, double *out, pb_err *err)
{
    const char *p = s;
    double v;
    /* a minus sign reads, so that "-5" is refused for its range like "0" */
    bool negative = s != NULL && *p == '-';
    p += negative;
    if (s == NULL || scan_decimal(&p, &v) != 0)
        goto bad;
    if (*p == 'k' && p[1] == '\0')
        v *= 1e3;
    else if (*p != '\0')
        goto bad;
    if (negative)
        v = -v;
    if (v < min || v > max)
        return pb_err_set(err, PB_ERANGE,
                          "%s: expected a rate from %g to %g per second, got \"%s\"", what, min,
                          max, s);
    *out = v;
    return 0;
bad:
    return pb_err_set(err, PB_EPARSE,
                      "%s: expected a rate per second such as 250, 0.5 or 1.5k, got \"%s\"", what,
                      s ? s : "");
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

/* The size units, powers of 1024 whether written "G", "g" or "GiB". */
static const char size_units[] = "kmgtpe";

/* pb_parse_size; a malformed size's message says a percentage would do too
 * when the caller takes one. */
static int parse_size(const char *s, const char *what, bool or_percent, uint64_t *out, pb_err *err)
{
    if (s == NULL || !isdigit((unsigned char)*s))
        goto bad;
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    bool fraction = *p == '.';
    double v = 0;
    unsigned long long whole = 0;
    if (fraction) {
        p = s;
        if (scan_decimal(&p, &v) != 0)
            goto bad;
    } else {
        char *end;
        errno = 0;
        whole = strtoull(s, &end, 10);
        if (errno == ERANGE)
            return pb_err_set(err, PB_ERANGE, "%s: size \"%s\" is too large", what, s);
        p = end;
    }
    unsigned shift = 0;
    const char *unit = *p != '\0' ? strchr(size_units, tolower((unsigned char)*p)) : NULL;
    if (unit != NULL) {
        shift = 10 * (unsigned)(unit - size_units + 1);
        p++;
        if (p[0] == 'i' && p[1] == 'B')
            p += 2;
    } else if (*p == 'B') {
        p++; /* "512B"; but "5GB" is refused: GB may mean 10^9 to the one who typed it */
    }
    if (*p == '%' && !or_percent)
        return pb_err_set(err, PB_EPARSE,
                          "%s: expected a size in bytes such as 512, 4k, 1.5G or 100GiB, not a "
                          "percentage, got \"%s\"",
                          what, s);
    if (*p != '\0')
        goto bad;
    if (fraction) {
        /* "1.5G": whole bytes, to the nearest; "0.5" alone is not a size */
        double bytes = ldexp(v, (int)shift);
        if (shift == 0)
            return pb_err_set(err, PB_EPARSE,
                              "%s: expected a whole number of bytes, or a unit after the "
                              "fraction (1.5G), got \"%s\"",
                              what, s);
        if (bytes >= 18446744073709551616.0)
            return pb_err_set(err, PB_ERANGE, "%s: size \"%s\" is too large", what, s);
        *out = (uint64_t)(bytes + 0.5);
        return 0;
    }
    if (whole > (UINT64_MAX >> shift))
        return pb_err_set(err, PB_ERANGE, "%s: size \"%s\" is too large", what, s);
    *out = (uint64_t)whole << shift;
    return 0;
bad:
    if (or_percent)
        return pb_err_set(err, PB_EPARSE,
                          "%s: expected a size such as 512, 4k, 1.5G, 100GiB or a percentage such "
                          "as 5%%, got \"%s\"",
                          what, s ? s : "");
    return pb_err_set(err, PB_EPARSE,
                      "%s: expected a size in bytes such as 512, 4k, 1.5G or 100GiB (k, M, G, T, "
                      "P, E: powers of 1024), got \"%s\"",
                      what, s ? s : "");
}

int pb_parse_size(const char *s, const char *what, uint64_t *out, pb_err *err)
{
    return parse_size(s, what, false, out, err);
}

int pb_parse_size_or_percent(const char *s, const char *what, uint64_t *bytes, double *share,
                             pb_err *err)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 2 || s[n - 1] != '%') {
        int rc = parse_size(s, what, true, bytes, err);
        if (rc == 0)
            *share = 0;
        return rc;
    }
    char num[40];
    const char *p = num;
    double pct;
    if (n - 1 >= sizeof(num))
        goto bad;
    memcpy(num, s, n - 1);
    num[n - 1] = '\0';
    if (scan_decimal(&p, &pct) != 0 || *p != '\0')
        goto bad;
    if (!(pct > 0 && pct < 100))
        return pb_err_set(err, PB_ERANGE,
                          "%s: expected a percentage above 0%% and below 100%%, got \"%s\"", what,
                          s);
    *share = pct / 100;
    *bytes = 0;
    return 0;
bad:
    return pb_err_set(err, PB_EPARSE,
                      "%s: expected a size such as 512, 4k, 1.5G, 100GiB or a percentage such as "
                      "5%%, got \"%s\"",
                      what, s);
}

const char *pb_format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned u = 0;
    while (u + 1 < sizeof(unit) / sizeof(unit[0]) && bytes >> (10 * (u + 1)) != 0)
        u++;
    if (u == 0 || bytes % (1ULL << (10 * u)) == 0) {
        snprintf(buf, len, "%llu %s", (unsigned long long)(bytes >> (10 * u)), unit[u]);
        return buf;
    }
    double v = ldexp((double)bytes, -(int)(10 * u));
    snprintf(buf, len, "%.*f %s", v < 10.0 ? 2 : v < 100.0 ? 1 : 0, v, unit[u]);
    return buf;
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

const char *pb_format_duration_exact(pb_usec d, char *buf, size_t len)
{
    if (d != 0 && d % PB_USEC_PER_SEC == 0)
        snprintf(buf, len, "%llus", (unsigned long long)(d / PB_USEC_PER_SEC));
    else if (d != 0 && d % PB_USEC_PER_MS == 0)
        snprintf(buf, len, "%llums", (unsigned long long)(d / PB_USEC_PER_MS));
    else
        snprintf(buf, len, "%lluus", (unsigned long long)d);
    return buf;
}

const char *pb_format_real(double v, char *buf, size_t len)
{
    return pb_format_real_from(v, 6, buf, len);
}

const char *pb_format_rate(double v, char *buf, size_t len)
{
    /* a rate below 0.1 needs more than 17 decimals for 17 digits: from
     * 1e-9, 17 digits after 8 zeros; the parser reads at most 30 digits */
    for (int decimals = 0; decimals <= 29; decimals++) {
        snprintf(buf, len, "%.*f", decimals, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

const char *pb_format_real_from(double v, int min_digits, char *buf, size_t len)
{
    for (int prec = min_digits; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}
