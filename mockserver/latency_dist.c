#include "latency_dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* The standard normal quantile at 0.99: lognormal's sigma = ln(p99/median) / Z99. */
#define Z99 2.3263478740408408

#define SPEC_FORMS                                                                                 \
    "none, fixed:D, uniform:MIN,MAX, normal:MEAN,SD, lognormal:MEDIAN,P99, pareto:SCALE,SHAPE "    \
    "or mix:D:WEIGHT,D:WEIGHT,... (D a duration such as 150us, 10ms or 1s)"

static int parse_dur(const char *s, const char *what, const char *spec, pb_usec *out, pb_err *err)
{
    char label[300];
    snprintf(label, sizeof(label), "%s \"%s\"", what, spec);
    return pb_parse_duration(s, label, out, err);
}

/* Split `args` at commas into at most `max` fields; returns the count, or
 * -1 if there are more. Empty fields are kept (and rejected by the parsers). */
static int split(char *args, char sep, char **fields, int max)
{
    int n = 0;
    char *p = args;
    for (;;) {
        if (n == max)
            return -1;
        fields[n++] = p;
        char *c = strchr(p, sep);
        if (c == NULL)
            return n;
        *c = '\0';
        p = c + 1;
    }
}

static int parse_two(char *args, const char *what, const char *spec, const char *form, char **f,
                     pb_err *err)
{
    if (split(args, ',', f, 2) != 2)
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", what, form, spec);
    return 0;
}

static int parse_mix(char *args, const char *what, const char *spec, pb_latency_dist *d,
                     pb_err *err)
{
    char *entries[PB_LATENCY_MIX_MAX];
    int n = split(args, ',', entries, PB_LATENCY_MIX_MAX);
    if (n < 0)
        return pb_err_set(err, PB_EPARSE, "%s: a mix has at most %d entries, got \"%s\"", what,
                          PB_LATENCY_MIX_MAX, spec);
    double total = 0;
    for (int i = 0; i < n; i++) {
        char *colon = strrchr(entries[i], ':');
        if (colon == NULL)
            return pb_err_set(err, PB_EPARSE,
                              "%s: expected mix entries DURATION:WEIGHT such as 2ms:5, got \"%s\" "
                              "in \"%s\"",
                              what, entries[i], spec);
        *colon = '\0';
        int rc = parse_dur(entries[i], what, spec, &d->mix_value[i], err);
        if (rc != 0)
            return rc;
        char label[300];
        snprintf(label, sizeof(label), "%s \"%s\" weight", what, spec);
        rc = pb_parse_double(colon + 1, label, 0, 1e12, &d->mix_weight[i], err);
        if (rc != 0)
            return rc;
        if (d->mix_weight[i] <= 0)
            return pb_err_set(err, PB_ERANGE,
                              "%s: mix weights must be above 0, got \"%s\" in \"%s\"", what,
                              colon + 1, spec);
        total += d->mix_weight[i];
    }
    double cum = 0;
    for (int i = 0; i < n; i++) {
        cum += d->mix_weight[i];
        d->mix_cum[i] = cum / total;
    }
    d->mix_cum[n - 1] = 1.0;
    d->n_mix = n;
    return 0;
}

int pb_latency_parse(const char *spec, const char *what, pb_latency_dist *out, pb_err *err)
{
    pb_latency_dist d;
    memset(&d, 0, sizeof(d));
    if (spec == NULL || strlen(spec) >= 256)
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got a missing or over-long value", what,
                          SPEC_FORMS);
    if (strcmp(spec, "none") == 0) {
        *out = d;
        return 0;
    }
    char buf[256];
    strcpy(buf, spec);
    char *args = strchr(buf, ':');
    if (args == NULL)
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", what, SPEC_FORMS, spec);
    *args++ = '\0';
    char *f[2];
    int rc;
    if (strcmp(buf, "fixed") == 0) {
        d.kind = PB_LATENCY_FIXED;
        rc = parse_dur(args, what, spec, &d.a, err);
    } else if (strcmp(buf, "uniform") == 0) {
        d.kind = PB_LATENCY_UNIFORM;
        rc = parse_two(args, what, spec, "uniform:MIN,MAX such as uniform:5ms,20ms", f, err);
        if (rc == 0)
            rc = parse_dur(f[0], what, spec, &d.a, err);
        if (rc == 0)
            rc = parse_dur(f[1], what, spec, &d.b, err);
        if (rc == 0 && d.b < d.a)
            rc = pb_err_set(err, PB_ERANGE, "%s: uniform needs MIN <= MAX, got \"%s\"", what, spec);
    } else if (strcmp(buf, "normal") == 0) {
        d.kind = PB_LATENCY_NORMAL;
        rc = parse_two(args, what, spec, "normal:MEAN,SD such as normal:20ms,5ms", f, err);
        if (rc == 0)
            rc = parse_dur(f[0], what, spec, &d.a, err);
        if (rc == 0)
            rc = parse_dur(f[1], what, spec, &d.b, err);
    } else if (strcmp(buf, "lognormal") == 0) {
        d.kind = PB_LATENCY_LOGNORMAL;
        rc = parse_two(args, what, spec, "lognormal:MEDIAN,P99 such as lognormal:20ms,200ms", f,
                       err);
        if (rc == 0)
            rc = parse_dur(f[0], what, spec, &d.a, err);
        if (rc == 0)
            rc = parse_dur(f[1], what, spec, &d.b, err);
        if (rc == 0 && (d.a == 0 || d.b < d.a))
            rc = pb_err_set(err, PB_ERANGE, "%s: lognormal needs 0 < MEDIAN <= P99, got \"%s\"",
                            what, spec);
        if (rc == 0) {
            d.mu = log((double)d.a);
            d.sigma = log((double)d.b / (double)d.a) / Z99;
        }
    } else if (strcmp(buf, "pareto") == 0) {
        d.kind = PB_LATENCY_PARETO;
        rc = parse_two(args, what, spec, "pareto:SCALE,SHAPE such as pareto:5ms,1.5", f, err);
        if (rc == 0)
            rc = parse_dur(f[0], what, spec, &d.a, err);
        if (rc == 0) {
            char label[300];
            snprintf(label, sizeof(label), "%s \"%s\" shape", what, spec);
            rc = pb_parse_double(f[1], label, 0.01, 100, &d.shape, err);
        }
        if (rc == 0 && d.a == 0)
            rc = pb_err_set(err, PB_ERANGE, "%s: pareto needs a SCALE above 0, got \"%s\"", what,
                            spec);
    } else if (strcmp(buf, "mix") == 0) {
        d.kind = PB_LATENCY_MIX;
        rc = parse_mix(args, what, spec, &d, err);
    } else {
        rc = pb_err_set(err, PB_EPARSE, "%s: unknown distribution \"%s\"; expected %s", what, buf,
                        SPEC_FORMS);
    }
    if (rc == 0)
        *out = d;
    return rc;
}

const char *pb_latency_format(const pb_latency_dist *d, char *buf, size_t len)
{
    char a[32], b[32], x[40];
    pb_format_duration_exact(d->a, a, sizeof(a));
    pb_format_duration_exact(d->b, b, sizeof(b));
    switch (d->kind) {
    case PB_LATENCY_FIXED:
        if (d->a == 0)
            snprintf(buf, len, "none");
        else
            snprintf(buf, len, "fixed:%s", a);
        break;
    case PB_LATENCY_UNIFORM:
        snprintf(buf, len, "uniform:%s,%s", a, b);
        break;
    case PB_LATENCY_NORMAL:
        snprintf(buf, len, "normal:%s,%s", a, b);
        break;
    case PB_LATENCY_LOGNORMAL:
        snprintf(buf, len, "lognormal:%s,%s", a, b);
        break;
    case PB_LATENCY_PARETO:
        pb_format_real(d->shape, x, sizeof(x));
        snprintf(buf, len, "pareto:%s,%s", a, x);
        break;
    case PB_LATENCY_MIX: {
        size_t off = (size_t)snprintf(buf, len, "mix:");
        for (int i = 0; i < d->n_mix && off < len; i++) {
            pb_format_duration_exact(d->mix_value[i], a, sizeof(a));
            pb_format_real(d->mix_weight[i], x, sizeof(x));
            off += (size_t)snprintf(buf + off, len - off, "%s%s:%s", i ? "," : "", a, x);
        }
        break;
    }
    }
    return buf;
}

static pb_usec to_usec(double x, pb_usec cap)
{
    if (!(x > 0)) /* also catches NaN */
        return 0;
    double limit = (double)(cap != 0 && cap < PB_LATENCY_HARD_CAP ? cap : PB_LATENCY_HARD_CAP);
    if (x >= limit)
        return (pb_usec)limit;
    return (pb_usec)llround(x);
}

pb_usec pb_latency_draw(const pb_latency_dist *d, pb_usec cap, pb_rng *rng)
{
    switch (d->kind) {
    case PB_LATENCY_FIXED:
        return to_usec((double)d->a, cap);
    case PB_LATENCY_UNIFORM:
        return to_usec((double)d->a + (double)(d->b - d->a) * pb_rng_double(rng), cap);
    case PB_LATENCY_NORMAL:
        return to_usec((double)d->a + (double)d->b * pb_rng_normal(rng), cap);
    case PB_LATENCY_LOGNORMAL:
        return to_usec(exp(d->mu + d->sigma * pb_rng_normal(rng)), cap);
    case PB_LATENCY_PARETO: {
        /* inverse CDF with u in (0, 1]: scale / u^(1/shape) */
        double u = 1.0 - pb_rng_double(rng);
        return to_usec((double)d->a / pow(u, 1.0 / d->shape), cap);
    }
    case PB_LATENCY_MIX: {
        double u = pb_rng_double(rng);
        for (int i = 0; i < d->n_mix; i++)
            if (u < d->mix_cum[i])
                return to_usec((double)d->mix_value[i], cap);
        return to_usec((double)d->mix_value[d->n_mix - 1], cap);
    }
    }
    return 0;
}

bool pb_latency_is_zero(const pb_latency_dist *d)
{
    return d->kind == PB_LATENCY_FIXED && d->a == 0;
}
