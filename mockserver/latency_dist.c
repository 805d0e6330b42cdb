#include "latency_dist.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* The standard normal quantile at 0.99: lognormal's sigma = ln(p99/median) / Z99. */
#define Z99 2.3263478740408408

#define SPEC_FORM(e, name, args, example, meaning) ", " #name ":" args
#define SPEC_FORMS "none" PB_LATENCY_MAP(SPEC_FORM) " (D a duration such as 150us, 10ms or 1s)"

/* What a family's parser needs to name the input in its errors. */
typedef struct spec_ctx {
    const char *what; /* the input, e.g. "--latency" */
    const char *spec; /* the whole spec as typed */
    const char *form; /* the family's form, "uniform:MIN,MAX such as uniform:5ms,20ms" */
} spec_ctx;

static int parse_dur(const char *s, const spec_ctx *c, pb_usec *out, pb_err *err)
{
    char label[300];
    snprintf(label, sizeof(label), "%s \"%s\"", c->what, c->spec);
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

/* Two durations "A,B" into d->a and d->b. */
static int parse_two(char *args, const spec_ctx *c, pb_latency_dist *d, pb_err *err)
{
    char *f[2];
    if (split(args, ',', f, 2) != 2)
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", c->what, c->form, c->spec);
    int rc = parse_dur(f[0], c, &d->a, err);
    if (rc == 0)
        rc = parse_dur(f[1], c, &d->b, err);
    return rc;
}

static void format_two(const pb_latency_dist *d, char *buf, size_t len)
{
    char a[32], b[32];
    snprintf(buf, len, "%s,%s", pb_format_duration_exact(d->a, a, sizeof(a)),
             pb_format_duration_exact(d->b, b, sizeof(b)));
}

/* Each family: parse the text after "NAME:" into d, format d back to that
 * text, and draw one value in microseconds (clamped by the caller). */

static int parse_fixed(char *args, const spec_ctx *c, pb_latency_dist *d, pb_err *err)
{
    return parse_dur(args, c, &d->a, err);
}

static void format_fixed(const pb_latency_dist *d, char *buf, size_t len)
{
    pb_format_duration_exact(d->a, buf, len);
}

static double draw_fixed(const pb_latency_dist *d, pb_rng *rng)
{
    (void)rng;
    return (double)d->a;
}

static int parse_uniform(char *args, const spec_ctx *c, pb_latency_dist *d, pb_err *err)
{
    int rc = parse_two(args, c, d, err);
    if (rc == 0 && d->b < d->a)
        rc = pb_err_set(err, PB_ERANGE, "%s: uniform needs MIN <= MAX, got \"%s\"", c->what,
                        c->spec);
    return rc;
}

#define format_uniform format_two

static double draw_uniform(const pb_latency_dist *d, pb_rng *rng)
{
    return (double)d->a + (double)(d->b - d->a) * pb_rng_double(rng);
}

#define parse_normal parse_two
#define format_normal format_two

static double draw_normal(const pb_latency_dist *d, pb_rng *rng)
{
    return (double)d->a + (double)d->b * pb_rng_normal(rng);
}

static int parse_lognormal(char *args, const spec_ctx *c, pb_latency_dist *d, pb_err *err)
{
    int rc = parse_two(args, c, d, err);
    if (rc == 0 && (d->a == 0 || d->b < d->a))
        rc = pb_err_set(err, PB_ERANGE, "%s: lognormal needs 0 < MEDIAN <= P99, got \"%s\"",
                        c->what, c->spec);
    if (rc == 0) {
        d->mu = log((double)d->a);
        d->sigma = log((double)d->b / (double)d->a) / Z99;
    }
    return rc;
}

#define format_lognormal format_two

static double draw_lognormal(const pb_latency_dist *d, pb_rng *rng)
{
    return exp(d->mu + d->sigma * pb_rng_normal(rng));
}

static int parse_pareto(char *args, const spec_ctx *c, pb_latency_dist *d, pb_err *err)
{
    char *f[2];
    if (split(args, ',', f, 2) != 2)
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", c->what, c->form, c->spec);
    int rc = parse_dur(f[0], c, &d->a, err);
    if (rc == 0) {
        char label[300];
        snprintf(label, sizeof(label), "%s \"%s\" shape", c->what, c->spec);
        rc = pb_parse_double(f[1], label, 0.01, 100, &d->shape, err);
    }
    if (rc == 0 && d->a == 0)
        rc = pb_err_set(err, PB_ERANGE, "%s: pareto needs a SCALE above 0, got \"%s\"", c->what,
                        c->spec);
    return rc;
}

static void format_pareto(const pb_latency_dist *d, char *buf, size_t len)
{
    char a[32], x[40];
    snprintf(buf, len, "%s,%s", pb_format_duration_exact(d->a, a, sizeof(a)),
             pb_format_real(d->shape, x, sizeof(x)));
}

static double draw_pareto(const pb_latency_dist *d, pb_rng *rng)
{
    /* inverse CDF with u in (0, 1]: scale / u^(1/shape) */
    double u = 1.0 - pb_rng_double(rng);
    return (double)d->a / pow(u, 1.0 / d->shape);
}

static int parse_mix(char *args, const spec_ctx *c, pb_latency_dist *d, pb_err *err)
{
    char *entries[PB_LATENCY_MIX_MAX];
    int n = split(args, ',', entries, PB_LATENCY_MIX_MAX);
    if (n < 0)
        return pb_err_set(err, PB_EPARSE, "%s: a mix has at most %d entries, got \"%s\"", c->what,
                          PB_LATENCY_MIX_MAX, c->spec);
    double total = 0;
    for (int i = 0; i < n; i++) {
        char *colon = strrchr(entries[i], ':');
        if (colon == NULL)
            return pb_err_set(err, PB_EPARSE,
                              "%s: expected mix entries DURATION:WEIGHT such as 2ms:5, got \"%s\" "
                              "in \"%s\"",
                              c->what, entries[i], c->spec);
        *colon = '\0';
        int rc = parse_dur(entries[i], c, &d->mix_value[i], err);
        if (rc != 0)
            return rc;
        char label[300];
        snprintf(label, sizeof(label), "%s \"%s\" weight", c->what, c->spec);
        rc = pb_parse_double(colon + 1, label, 0, 1e12, &d->mix_weight[i], err);
        if (rc != 0)
            return rc;
        if (d->mix_weight[i] <= 0)
            return pb_err_set(err, PB_ERANGE,
                              "%s: mix weights must be above 0, got \"%s\" in \"%s\"", c->what,
                              colon + 1, c->spec);
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

static void format_mix(const pb_latency_dist *d, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < d->n_mix && off < len; i++) {
        char a[32], x[40];
        off += (size_t)snprintf(buf + off, len - off, "%s%s:%s", i ? "," : "",
                                pb_format_duration_exact(d->mix_value[i], a, sizeof(a)),
                                pb_format_real(d->mix_weight[i], x, sizeof(x)));
    }
}

static double draw_mix(const pb_latency_dist *d, pb_rng *rng)
{
    double u = pb_rng_double(rng);
    for (int i = 0; i < d->n_mix; i++)
        if (u < d->mix_cum[i])
            return (double)d->mix_value[i];
    return (double)d->mix_value[d->n_mix - 1];
}

typedef struct family {
    const char *name;
    const char *form; /* "uniform:MIN,MAX such as uniform:5ms,20ms" */
    int (*parse)(char *args, const spec_ctx *c, pb_latency_dist *d, pb_err *err);
    void (*format)(const pb_latency_dist *d, char *buf, size_t len);
    double (*draw)(const pb_latency_dist *d, pb_rng *rng);
} family;

#define FAMILY(e, name, args, example, meaning)                                                    \
    [PB_LATENCY_##e] = {#name, #name ":" args " such as " #name ":" example, parse_##name,         \
                        format_##name, draw_##name},
static const family families[PB_LATENCY_KIND_COUNT] = {PB_LATENCY_MAP(FAMILY)};
#undef FAMILY

int pb_latency_parse(const char *spec, const char *what, pb_latency_dist *out, pb_err *err)
{
    pb_latency_dist d;
    memset(&d, 0, sizeof(d));
    if (spec == NULL || strlen(spec) >= PB_LATENCY_SPEC_MAX)
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got a missing or over-long value", what,
                          SPEC_FORMS);
    if (strcmp(spec, "none") == 0) {
        *out = d;
        return 0;
    }
    char buf[PB_LATENCY_SPEC_MAX];
    strcpy(buf, spec);
    char *args = strchr(buf, ':');
    if (args == NULL)
        return pb_err_set(err, PB_EPARSE, "%s: expected %s, got \"%s\"", what, SPEC_FORMS, spec);
    *args++ = '\0';
    for (int k = 0; k < PB_LATENCY_KIND_COUNT; k++) {
        if (strcmp(buf, families[k].name) != 0)
            continue;
        spec_ctx c = {what, spec, families[k].form};
        d.kind = (pb_latency_kind)k;
        int rc = families[k].parse(args, &c, &d, err);
        if (rc == 0)
            *out = d;
        return rc;
    }
    return pb_err_set(err, PB_EPARSE, "%s: unknown distribution \"%s\"; expected %s", what, buf,
                      SPEC_FORMS);
}

const char *pb_latency_format(const pb_latency_dist *d, char *buf, size_t len)
{
    assert(d->kind < PB_LATENCY_KIND_COUNT);
    if (pb_latency_is_zero(d)) {
        snprintf(buf, len, "none");
        return buf;
    }
    int off = snprintf(buf, len, "%s:", families[d->kind].name);
    if (off > 0 && (size_t)off < len)
        families[d->kind].format(d, buf + off, len - (size_t)off);
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
    assert(d->kind < PB_LATENCY_KIND_COUNT);
    return to_usec(families[d->kind].draw(d, rng), cap);
}

bool pb_latency_is_zero(const pb_latency_dist *d)
{
    return d->kind == PB_LATENCY_FIXED && d->a == 0;
}
