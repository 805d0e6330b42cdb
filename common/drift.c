/* Drift verdicts on per-second series (drift.h states the rule). */
#include "drift.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "stats.h"

const char *pb_drift_verdict_name(pb_drift_verdict v)
{
    switch (v) {
    case PB_DRIFT_STABLE:
        return "stable";
    case PB_DRIFT_UP:
        return "drifting up";
    case PB_DRIFT_DOWN:
        return "drifting down";
    case PB_DRIFT_UNKNOWN:
        break;
    }
    return "unknown";
}

/* Mean of the values of y[from..to) that are not NaN; NaN when none is. */
static double span_mean(const double *y, size_t from, size_t to, size_t *counted)
{
    double sum = 0.0;
    size_t k = 0;
    for (size_t i = from; i < to; i++)
        if (!isnan(y[i])) {
            sum += y[i];
            k++;
        }
    if (counted != NULL)
        *counted = k;
    return k > 0 ? sum / (double)k : NAN;
}

void pb_drift_compute(const double *y, size_t n, pb_drift *out)
{
    *out = (pb_drift){.verdict = PB_DRIFT_UNKNOWN,
                      .mean = NAN,
                      .slope_per_h = NAN,
                      .lo_per_h = NAN,
                      .hi_per_h = NAN,
                      .pct_per_h = NAN,
                      .change = NAN,
                      .first = NAN,
                      .last = NAN};
    if (n == 0)
        return;
    out->mean = span_mean(y, 0, n, &out->seconds);
    size_t tenth = (n + 9) / 10;
    out->first = span_mean(y, 0, tenth, NULL);
    out->last = span_mean(y, n - tenth, n, NULL);
    if (n < PB_DRIFT_MIN_SPAN_S)
        return;
    size_t buckets = (n + PB_DRIFT_BUCKET_S - 1) / PB_DRIFT_BUCKET_S;
    double *x = malloc(buckets * sizeof(*x)), *m = malloc(buckets * sizeof(*m));
    if (x == NULL || m == NULL)
        goto cleanup; /* unknown: the caller's run goes on without a verdict */
    for (size_t b = 0; b < buckets; b++) {
        size_t from = b * PB_DRIFT_BUCKET_S, to = from + PB_DRIFT_BUCKET_S;
        if (to > n)
            to = n;
        size_t k = 0;
        double tsum = 0.0;
        for (size_t i = from; i < to; i++)
            if (!isnan(y[i])) {
                tsum += (double)i;
                k++;
            }
        /* the point sits at the mean time of the seconds it holds, in hours */
        m[b] = span_mean(y, from, to, NULL);
        x[b] = k > 0 ? (tsum / (double)k + 0.5) / 3600.0 : NAN;
    }
    pb_slope s;
    pb_err err;
    if (pb_stats_slope(x, m, buckets, &s, &err) != 0)
        goto cleanup;
    out->points = s.n;
    out->slope_per_h = s.slope;
    out->lo_per_h = s.lo;
    out->hi_per_h = s.hi;
    out->pct_per_h = out->mean != 0.0 ? s.slope / fabs(out->mean) * 100.0 : NAN;
    out->change = s.slope * (double)n / 3600.0;
    double scale = fabs(out->mean);
    bool material =
        scale > 0.0 ? fabs(out->change) >= PB_DRIFT_MATERIAL * scale : out->change != 0.0;
    if (material && s.lo > 0.0)
        out->verdict = PB_DRIFT_UP;
    else if (material && s.hi < 0.0)
        out->verdict = PB_DRIFT_DOWN;
    else
        out->verdict = PB_DRIFT_STABLE;
cleanup:
    free(x);
    free(m);
}
