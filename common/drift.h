/* Drift of a per-second series over a long run: the least-squares slope per
 * hour of its per-minute means with a 95 % interval, the means of its first
 * and last tenth, and a verdict. Reports (from the seconds table) and the
 * engine (for the p99_drift threshold) both judge drift here, so they agree. */
#ifndef PB_DRIFT_H
#define PB_DRIFT_H

#include <stddef.h>

/* Runs shorter than this get no drift verdict. */
#define PB_DRIFT_MIN_SPAN_S 600
/* The slope is fitted to means over this many seconds: one point a minute
 * keeps neighbouring seconds' correlation from narrowing the interval and
 * keeps a 72-hour fit at 4,320 points. */
#define PB_DRIFT_BUCKET_S 60
/* A slope whose fitted change over the run is below this share of the
 * series' mean is stable, however sure its sign. */
#define PB_DRIFT_MATERIAL 0.05

typedef enum pb_drift_verdict {
    PB_DRIFT_UNKNOWN, /* run too short, or too few minutes with data */
    PB_DRIFT_STABLE,
    PB_DRIFT_UP,
    PB_DRIFT_DOWN,
} pb_drift_verdict;

/* The drift of one series. Figures are in the series' unit (per hour for
 * slopes); NaN where they are not known. */
typedef struct pb_drift {
    pb_drift_verdict verdict;
    size_t seconds;            /* seconds that counted (not excluded) */
    size_t points;             /* per-minute means fitted */
    double mean;               /* of the seconds that counted */
    double slope_per_h;        /* least-squares slope */
    double lo_per_h, hi_per_h; /* its 95 % confidence interval */
    double pct_per_h;          /* slope_per_h / |mean| * 100 (NaN when the mean is 0) */
    double change;             /* slope over the run's span: the fitted change from start to end */
    double first, last;        /* means over the first and last 10 % of the span */
} pb_drift;

/* Judge y[0..n): one value per second of run time (index = second), NaN for
 * a second that does not count (a fault phase, no data). The verdict:
 * `drifting up` (or down) when the slope's 95 % interval lies wholly above
 * (below) 0 and the fitted change over the run is at least PB_DRIFT_MATERIAL
 * of |mean| (any change when the mean is 0); else `stable`; `unknown` when
 * n < PB_DRIFT_MIN_SPAN_S or fewer than 3 minutes hold data. */
void pb_drift_compute(const double *y, size_t n, pb_drift *out);

/* "stable", "drifting up", "drifting down" or "unknown". */
const char *pb_drift_verdict_name(pb_drift_verdict v);

#endif
