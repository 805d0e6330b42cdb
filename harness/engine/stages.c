#include "stages.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

int pb_stages_parse(const char *text, const char *what, pb_stages *out, pb_err *err)
{
    pb_stages s = {.n = 0};
    const char *p = text != NULL ? text : "";
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        char part[64], label[96];
        if (s.n == PB_STAGES_MAX)
            return pb_err_set(err, PB_ERANGE, "%s: expected at most %d stages", what,
                              PB_STAGES_MAX);
        snprintf(label, sizeof(label), "%s stage %d", what, s.n + 1);
        char *colon = NULL;
        if (len < sizeof(part)) {
            memcpy(part, p, len);
            part[len] = '\0';
            colon = strchr(part, ':');
        }
        if (colon == NULL)
            return pb_err_set(err, PB_EPARSE,
                              "%s: expected DURATION:RATE such as 2m:1000, got \"%.*s\"", label,
                              (int)len, p);
        *colon = '\0';
        pb_stage *st = &s.stage[s.n];
        int rc = pb_parse_duration(part, label, &st->duration, err);
        if (rc == 0 && st->duration == 0)
            rc = pb_err_set(err, PB_ERANGE, "%s: expected a duration above 0, got \"%s\"", label,
                            part);
        if (rc == 0)
            rc = pb_parse_rate(colon + 1, label, 0, 1e7, &st->target, err);
        if (rc != 0)
            return rc;
        s.n++;
        p += len;
        if (*p == ',' && *++p == '\0')
            return pb_err_set(err, PB_EPARSE, "%s: expected a stage after the last comma", what);
    }
    if (s.n == 0)
        return pb_err_set(err, PB_EPARSE,
                          "%s: expected stages DURATION:RATE,... such as 2m:1000,1h:1000,2m:0",
                          what);
    *out = s;
    return 0;
}

int pb_stages_check(const pb_stages *s, double start, const char *what, pb_err *err)
{
    double prev = start;
    for (int i = 0; i < s->n; i++) {
        if (prev == 0 && s->stage[i].target == 0)
            return pb_err_set(err, PB_EINVAL,
                              "%s stage %d: goes from 0 to 0 and would send nothing; "
                              "end the run before it instead",
                              what, i + 1);
        prev = s->stage[i].target;
    }
    return 0;
}

int pb_stages_check_workers(const pb_stages *s, const char *what, pb_err *err)
{
    for (int i = 0; i < s->n; i++) {
        double t = s->stage[i].target;
        if (t != floor(t) || t > PB_STAGES_MAX_WORKERS)
            return pb_err_set(err, PB_ERANGE,
                              "%s stage %d: expected a whole number of workers from 0 to %d, "
                              "got %g",
                              what, i + 1, PB_STAGES_MAX_WORKERS, t);
    }
    return 0;
}

pb_usec pb_stages_length(const pb_stages *s)
{
    pb_usec total = 0;
    for (int i = 0; i < s->n; i++)
        total += s->stage[i].duration;
    return total;
}

double pb_stages_target(const pb_stages *s, double start, pb_usec t)
{
    double from = start;
    for (int i = 0; i < s->n; i++) {
        const pb_stage *st = &s->stage[i];
        if (t < st->duration)
            return from + (st->target - from) * (double)t / (double)st->duration;
        t -= st->duration;
        from = st->target;
    }
    return from;
}

/* The integral of the target over [0, t), in arrivals. */
static double arrivals_by(const pb_stages *s, double start, pb_usec t)
{
    double from = start, sum = 0;
    for (int i = 0; i < s->n && t > 0; i++) {
        const pb_stage *st = &s->stage[i];
        pb_usec part = t < st->duration ? t : st->duration;
        double at_end = from + (st->target - from) * (double)part / (double)st->duration;
        sum += (from + at_end) / 2 * (double)part / 1e6; /* a trapezoid */
        t -= part;
        from = st->target;
    }
    return sum + from * (double)t / 1e6;
}

double pb_stages_mean(const pb_stages *s, double start, pb_usec a, pb_usec b)
{
    return (arrivals_by(s, start, b) - arrivals_by(s, start, a)) * 1e6 / (double)(b - a);
}

double pb_stages_max(const pb_stages *s, double start)
{
    double m = start;
    for (int i = 0; i < s->n; i++)
        if (s->stage[i].target > m)
            m = s->stage[i].target;
    return m;
}

static uint32_t level_of(double target)
{
    return (uint32_t)floor(target + 0.5);
}

uint32_t pb_stages_workers(const pb_stages *s, double start, pb_usec t)
{
    return level_of(pb_stages_target(s, start, t));
}

pb_usec pb_stages_next_change(const pb_stages *s, double start, pb_usec t)
{
    uint32_t now = pb_stages_workers(s, start, t);
    double from = start;
    pb_usec begin = 0;
    for (int i = 0; i < s->n; i++) {
        const pb_stage *st = &s->stage[i];
        pb_usec end = begin + st->duration;
        if (end > t && st->target != from) {
            /* the level changes where the line crosses the half-way mark
             * towards its neighbour in the stage's direction */
            double mark = st->target > from ? (double)now + 0.5 : (double)now - 0.5;
            double frac = (mark - from) / (st->target - from);
            if (frac >= 0 && frac <= 1) {
                pb_usec at = begin + (pb_usec)ceil(frac * (double)st->duration);
                if (at <= t)
                    at = t + 1;
                /* rounding of the crossing: step on to where the level has changed */
                while (at < end && pb_stages_workers(s, start, at) == now)
                    at++;
                if (at < end || pb_stages_workers(s, start, at) != now)
                    return at;
            }
        }
        from = st->target;
        begin = end;
    }
    return PB_USEC_NEVER;
}
