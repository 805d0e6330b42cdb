/* Drift verdicts on synthetic per-second series: flat with noise, rising,
 * falling, a sure but immaterial slope, a fault phase left out, a short run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drift.h"
#include "rng.h"

#define SPAN 1200 /* 20 minutes */

/* base + rise * (s / SPAN) + noise of sd `noise`, one value a second */
static void series(double *y, size_t n, double base, double rise, double noise, uint64_t seed)
{
    pb_rng rng;
    pb_rng_seed(&rng, seed);
    for (size_t s = 0; s < n; s++)
        y[s] = base + rise * (double)s / (double)SPAN + noise * pb_rng_normal(&rng);
}

static void flat_series_is_stable(void **state)
{
    static double y[SPAN];
    series(y, SPAN, 100.0, 0.0, 5.0, 1);
    pb_drift d;
    pb_drift_compute(y, SPAN, &d);
    assert_int_equal(d.verdict, PB_DRIFT_STABLE);
    assert_string_equal(pb_drift_verdict_name(d.verdict), "stable");
    assert_int_equal(d.points, 20);
    assert_int_equal(d.seconds, SPAN);
    assert_true(d.lo_per_h <= 0.0 && d.hi_per_h >= 0.0);
    assert_true(fabs(d.mean - 100.0) < 1.0);
}

static void rising_series_drifts_up(void **state)
{
    static double y[SPAN];
    series(y, SPAN, 100.0, 20.0, 5.0, 2); /* +20 % over 20 minutes: +60 per hour */
    pb_drift d;
    pb_drift_compute(y, SPAN, &d);
    assert_int_equal(d.verdict, PB_DRIFT_UP);
    assert_string_equal(pb_drift_verdict_name(d.verdict), "drifting up");
    assert_true(d.lo_per_h > 0.0);
    assert_true(d.lo_per_h < 60.0 && d.hi_per_h > 60.0);
    assert_true(d.last > d.first + 15.0);
    assert_true(fabs(d.pct_per_h - 60.0 / 110.0 * 100.0) < 5.0);
}

static void falling_series_drifts_down(void **state)
{
    static double y[SPAN];
    series(y, SPAN, 100.0, -20.0, 5.0, 3);
    pb_drift d;
    pb_drift_compute(y, SPAN, &d);
    assert_int_equal(d.verdict, PB_DRIFT_DOWN);
    assert_string_equal(pb_drift_verdict_name(d.verdict), "drifting down");
    assert_true(d.hi_per_h < 0.0);
    assert_true(d.change < -15.0 && d.change > -25.0);
}

/* +1 % over the run with almost no noise: the slope is sure, but too small to matter */
static void sure_but_small_slope_is_stable(void **state)
{
    static double y[SPAN];
    series(y, SPAN, 100.0, 1.0, 0.01, 4);
    pb_drift d;
    pb_drift_compute(y, SPAN, &d);
    assert_true(d.lo_per_h > 0.0);
    assert_int_equal(d.verdict, PB_DRIFT_STABLE);
}

/* a flat series whose last 200 s are a slow fault phase, which the caller marks as excluded */
static void excluded_seconds_do_not_count(void **state)
{
    static double y[SPAN];
    series(y, SPAN, 100.0, 0.0, 2.0, 5);
    for (size_t s = 1000; s < SPAN; s++)
        y[s] = 150.0;
    pb_drift d;
    pb_drift_compute(y, SPAN, &d);
    assert_int_equal(d.verdict, PB_DRIFT_UP); /* the phase alone tilts the line */
    for (size_t s = 1000; s < SPAN; s++)
        y[s] = NAN;
    pb_drift_compute(y, SPAN, &d);
    assert_int_equal(d.verdict, PB_DRIFT_STABLE);
    assert_int_equal(d.seconds, SPAN - 200);
}

static void short_run_has_no_verdict(void **state)
{
    static double y[PB_DRIFT_MIN_SPAN_S - 1];
    series(y, PB_DRIFT_MIN_SPAN_S - 1, 100.0, 50.0, 1.0, 6);
    pb_drift d;
    pb_drift_compute(y, PB_DRIFT_MIN_SPAN_S - 1, &d);
    assert_int_equal(d.verdict, PB_DRIFT_UNKNOWN);
    assert_true(isnan(d.slope_per_h));
    assert_false(isnan(d.first)); /* the tenths are still known */
    /* an all-zero series (no errors at all) is stable, not unknown */
    static double z[SPAN];
    memset(z, 0, sizeof(z));
    pb_drift_compute(z, SPAN, &d);
    assert_int_equal(d.verdict, PB_DRIFT_STABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flat_series_is_stable),
        cmocka_unit_test(rising_series_drifts_up),
        cmocka_unit_test(falling_series_drifts_down),
        cmocka_unit_test(sure_but_small_slope_is_stable),
        cmocka_unit_test(excluded_seconds_do_not_count),
        cmocka_unit_test(short_run_has_no_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
