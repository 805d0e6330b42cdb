/* Segments of a split run and the wall-clock start they share. */
#define _DEFAULT_SOURCE /* timegm */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "segment.h"

bool pb_segment_active(pb_segment s)
{
    return s.count > 0;
}

int pb_segment_parse(const char *text, pb_segment *out, pb_err *err)
{
    unsigned long long i, n;
    int used = 0;
    if (text == NULL || !isdigit((unsigned char)text[0]) ||
        sscanf(text, "%llu/%llu%n", &i, &n, &used) != 2 || text[used] != '\0' ||
        strchr(text, '-') != NULL || strchr(text, '+') != NULL || strchr(text, ' ') != NULL)
        return pb_err_set(err, PB_EPARSE,
                          "--segment: expected I/N, this process's segment I of N (0 <= I < N), "
                          "got \"%s\"",
                          text != NULL ? text : "");
    if (n == 0 || n > PB_SEGMENT_MAX)
        return pb_err_set(err, PB_ERANGE, "--segment: expected N from 1 to %d, got \"%s\"",
                          PB_SEGMENT_MAX, text);
    if (i >= n)
        return pb_err_set(err, PB_ERANGE,
                          "--segment: expected I below N (segments are numbered 0 to N-1), got "
                          "\"%s\"",
                          text);
    out->index = (uint32_t)i;
    out->count = (uint32_t)n;
    return 0;
}

uint64_t pb_segment_share(pb_segment s, uint64_t total)
{
    if (!pb_segment_active(s))
        return total;
    return total / s.count + (s.index < total % s.count ? 1 : 0);
}

uint64_t pb_segment_task(pb_segment s, uint64_t local)
{
    if (!pb_segment_active(s))
        return local;
    return local * s.count + s.index;
}

double pb_segment_rate(pb_segment s, double rate)
{
    return pb_segment_active(s) ? rate / s.count : rate;
}

int pb_segment_params(pb_segment s, uint64_t requests, pb_pattern_params *p, pb_err *err)
{
    p->total_tasks = requests;
    p->arrival_offset = 0;
    if (!pb_segment_active(s))
        return 0;
    uint64_t conc = pb_segment_share(s, p->concurrency);
    if (conc == 0)
        return pb_err_set(err, PB_ERANGE,
                          "--segment %" PRIu32 "/%" PRIu32 ": --concurrency %" PRIu32
                          " leaves this segment no worker; expected at least %" PRIu32,
                          s.index, s.count, p->concurrency, s.count);
    if (requests > 0 && pb_segment_share(s, requests) == 0)
        return pb_err_set(err, PB_ERANGE,
                          "--segment %" PRIu32 "/%" PRIu32 ": --requests %" PRIu64
                          " leaves this segment no task; expected at least %" PRIu32,
                          s.index, s.count, requests, s.count);
    p->concurrency = (uint32_t)conc;
    p->total_tasks = pb_segment_share(s, requests);
    p->rate = pb_segment_rate(s, p->rate);
    /* local task j arrives at the whole schedule's time of task j*N + I */
    p->arrival_offset = -(double)s.index / s.count;
    return 0;
}

/* Digits of a fixed width at *p; -1 when they are not there. */
static int fixed_digits(const char **p, int width)
{
    int v = 0;
    for (int k = 0; k < width; k++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

/* A fraction of a second ".123456" at *p, as microseconds (digits past 6 ignored). */
static int64_t fraction_us(const char **p)
{
    if (**p != '.')
        return 0;
    (*p)++;
    int64_t us = 0, scale = 100000;
    if (!isdigit((unsigned char)**p))
        return -1;
    for (; isdigit((unsigned char)**p); (*p)++, scale /= 10)
        us += (**p - '0') * scale;
    return us;
}

static int parse_rfc3339(const char *text, int64_t *out_us)
{
    const char *p = text;
    struct tm tm = {0};
    int y = fixed_digits(&p, 4);
    if (y < 0 || *p++ != '-')
        return -1;
    int mo = fixed_digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return -1;
    int d = fixed_digits(&p, 2);
    if (d < 1 || d > 31 || (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    p++;
    int h = fixed_digits(&p, 2);
    if (h < 0 || h > 23 || *p++ != ':')
        return -1;
    int mi = fixed_digits(&p, 2);
    if (mi < 0 || mi > 59 || *p++ != ':')
        return -1;
    int s = fixed_digits(&p, 2);
    if (s < 0 || s > 60)
        return -1;
    int64_t frac = fraction_us(&p);
    if (frac < 0)
        return -1;
    int64_t offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1;
        int oh = fixed_digits(&p, 2);
        if (oh < 0 || oh > 23 || *p++ != ':')
            return -1;
        int om = fixed_digits(&p, 2);
        if (om < 0 || om > 59)
            return -1;
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *out_us = ((int64_t)t - offset_s) * 1000000 + frac;
    return 0;
}

int pb_segment_parse_start(const char *text, int64_t *out_us, pb_err *err)
{
    const char *expected = "--start-at: expected Unix seconds (1718000000) or an RFC 3339 time "
                           "(2024-06-10T06:13:20Z)";
    if (text == NULL || text[0] == '\0')
        return pb_err_set(err, PB_EPARSE, "%s", expected);
    if (strchr(text, '-') == NULL && strchr(text, ':') == NULL) {
        /* Unix seconds, maybe with a fraction */
        const char *p = text;
        int64_t sec = 0;
        if (!isdigit((unsigned char)*p))
            return pb_err_set(err, PB_EPARSE, "%s, got \"%s\"", expected, text);
        for (; isdigit((unsigned char)*p); p++) {
            if (sec > (INT64_MAX / 1000000 - 9) / 10)
                return pb_err_set(err, PB_ERANGE, "--start-at: \"%s\" is too far ahead", text);
            sec = sec * 10 + (*p - '0');
        }
        int64_t frac = fraction_us(&p);
        if (frac < 0 || *p != '\0')
            return pb_err_set(err, PB_EPARSE, "%s, got \"%s\"", expected, text);
        *out_us = sec * 1000000 + frac;
        return 0;
    }
    /* a refused time leaves *out_us as it was */
    int64_t us;
    if (parse_rfc3339(text, &us) != 0)
        return pb_err_set(err, PB_EPARSE, "%s, got \"%s\"", expected, text);
    if (us <= 0)
        return pb_err_set(err, PB_ERANGE, "--start-at: expected a time after 1970, got \"%s\"",
                          text);
    *out_us = us;
    return 0;
}

int64_t pb_segment_wall_now(void)
{
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    (void)rc; /* CLOCK_REALTIME always exists */
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
