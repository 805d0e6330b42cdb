/* The harness watching itself: the generator-bound rule on made-up seconds,
 * the lag probe's p99, the figures of a real process, and the p99 drift
 * that the p99_drift threshold reads (synthetic per-second series). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "selfmon.h"
#include "threshold.h"

static void add(pb_selfmon *m, int n, double cpu_pct, pb_usec lag_us)
{
    pb_selfmon_second s = {.cpu_pct = cpu_pct, .rss_bytes = 40000000, .lag_p99 = lag_us};
    for (int i = 0; i < n; i++)
        pb_selfmon_add_second(m, &s, 5.0);
}

static void quiet_run_is_not_generator_bound(void **state)
{
    pb_selfmon m;
    pb_selfmon_init(&m, 2.0, 0);
    add(&m, 100, 60.0, 2000);
    add(&m, 4, 150.0, 10000); /* at the lag limit, not above it; CPU 75 % of two */
    pb_selfmon_verdict v;
    pb_selfmon_verdict_get(&m, &v);
    assert_false(v.generator_bound);
    assert_int_equal(v.seconds, 104);
    assert_int_equal(v.seconds_saturated, 0);
    assert_int_equal(v.lag_p99_max, 10000);
    assert_true(fabs(v.cpu_pct_max - 150.0) < 1e-9);
    assert_int_equal(v.rss_max_bytes, 40000000);
    pb_selfmon_cleanup(&m);
}

static void lagging_loop_in_five_percent_of_seconds_is_bound(void **state)
{
    pb_selfmon m;
    pb_selfmon_init(&m, 2.0, 0);
    add(&m, 95, 60.0, 2000);
    add(&m, 4, 60.0, 10001);
    pb_selfmon_verdict v;
    pb_selfmon_verdict_get(&m, &v);
    assert_false(v.generator_bound); /* 4 of 99 s */
    add(&m, 1, 60.0, 25000);
    pb_selfmon_verdict_get(&m, &v);
    assert_true(v.generator_bound); /* 5 of 100 s */
    assert_int_equal(v.seconds_lagged, 5);
    assert_int_equal(v.seconds_cpu_bound, 0);
    pb_selfmon_cleanup(&m);
}

static void busy_cpus_in_five_percent_of_seconds_are_bound(void **state)
{
    pb_selfmon m;
    pb_selfmon_init(&m, 2.0, 0);
    add(&m, 90, 100.0, 1000); /* one CPU of two: half the capacity */
    add(&m, 10, 189.0, 1000); /* 94.5 % of two CPUs */
    pb_selfmon_verdict v;
    pb_selfmon_verdict_get(&m, &v);
    assert_false(v.generator_bound);
    add(&m, 6, 190.0, 1000); /* 95 % */
    pb_selfmon_verdict_get(&m, &v);
    assert_true(v.generator_bound);
    assert_int_equal(v.seconds_cpu_bound, 6);
    assert_int_equal(v.seconds_saturated, 6);
    assert_true(fabs(v.cpus - 2.0) < 1e-12);
    pb_selfmon_cleanup(&m);
}

/* probes on a fake clock: lateness past each 10 ms due time; p99 by nearest rank */
static void lag_p99_of_the_probes(void **state)
{
    pb_selfmon m;
    pb_selfmon_init(&m, 1.0, 0);
    pb_usec now = 0;
    for (int i = 0; i < 99; i++)
        pb_selfmon_probe(&m, now += 10000);
    pb_selfmon_probe(&m, now += 60000); /* 50 ms late */
    pb_selfmon_second s;
    pb_selfmon_close_second(&m, now, &s);
    assert_int_equal(s.lag_p99, 0); /* one late probe in 100 is the max, not the p99 */
    for (int i = 0; i < 98; i++)
        pb_selfmon_probe(&m, now += 10000);
    pb_selfmon_probe(&m, now += 40000);
    pb_selfmon_probe(&m, now += 60000);
    pb_selfmon_close_second(&m, now, &s);
    assert_int_equal(s.lag_p99, 30000); /* the second-worst of 100 */
    pb_selfmon_cleanup(&m);
}

/* the real process: CPU within 0..100 per CPU, a resident size */
static void figures_of_this_process(void **state)
{
    pb_selfmon m;
    pb_usec t0 = pb_monotime_now();
    pb_selfmon_init(&m, 1.0, t0);
    volatile double x = 0.0;
    while (pb_monotime_now() - t0 < 50 * PB_USEC_PER_MS)
        x += 1.0; /* burn CPU: this one thread, busy for 50 ms */
    pb_selfmon_second s;
    pb_selfmon_close_second(&m, pb_monotime_now(), &s);
    /* one busy thread: above 0 (a loaded machine may give it little), at most one CPU and
     * the clock tick getrusage counts in */
    if (!(s.cpu_pct > 0.0 && s.cpu_pct <= 125.0))
        fail_msg("cpu_pct %.1f", s.cpu_pct);
    assert_true(s.rss_bytes > 1000000);
    pb_selfmon_cleanup(&m);
}

/* the per-second p99 of 20 minutes, flat or rising, judged by the threshold p99_drift */
static bool drift_passes(const char *expr, double rise_ms, size_t seconds, double *value)
{
    pb_selfmon m;
    pb_selfmon_init(&m, 2.0, 0);
    pb_selfmon_second s = {.cpu_pct = 50.0, .rss_bytes = 1, .lag_p99 = 100};
    for (size_t i = 0; i < seconds; i++) {
        /* a saw of +-0.5 ms around a line from 6 ms, and a fault phase left out */
        double p99 = 6.0 + rise_ms * (double)i / 1200.0 + (i % 7 == 0 ? 0.5 : -0.1);
        pb_selfmon_add_second(&m, &s, i >= 300 && i < 360 ? NAN : p99);
    }
    pb_run_summary sum;
    memset(&sum, 0, sizeof(sum));
    sum.network = sum.answered = 1000;
    sum.has_harness = true;
    pb_selfmon_verdict_get(&m, &sum.harness);
    pb_selfmon_p99_drift(&m, &sum.p99_drift);
    pb_selfmon_cleanup(&m);
    pb_threshold t;
    pb_err err;
    assert_int_equal(pb_threshold_parse(expr, &t, &err), 0);
    pb_threshold_result r;
    pb_threshold_eval(&t, &sum, &r);
    if (value != NULL)
        *value = r.has_value ? r.value : NAN;
    return r.pass;
}

static void p99_drift_threshold_on_synthetic_series(void **state)
{
    double v;
    assert_true(drift_passes("p99_drift<5%/h", 0.0, 1200, &v));
    assert_true(fabs(v) < 1.0);
    /* +3 ms over 20 minutes from 6 ms: 9 ms an hour, about 120 % of the mean */
    assert_false(drift_passes("p99_drift<5%/h", 3.0, 1200, &v));
    assert_true(v > 100.0 && v < 140.0);
    assert_true(drift_passes("p99_drift>-5%", -3.0, 1200, &v) == false);
    assert_true(v < -100.0);
    /* under 10 minutes there is no drift: no data, which fails */
    assert_false(drift_passes("p99_drift<1000", 0.0, 599, &v));
    assert_true(isnan(v));
    /* generator_bound as a threshold */
    assert_true(drift_passes("generator_bound==0", 0.0, 1200, &v));
    assert_true(v == 0.0);
}

static void p99_drift_limits_parse(void **state)
{
    pb_threshold t;
    pb_err err;
    assert_int_equal(pb_threshold_parse("p99_drift<5%/h", &t, &err), 0);
    assert_true(t.limit == 5.0 && t.kind == PB_THRESHOLD_DRIFT);
    assert_int_equal(pb_threshold_parse("p99_drift < 2.5%", &t, &err), 0);
    assert_true(t.limit == 2.5);
    assert_int_equal(pb_threshold_parse("p99_drift>-5", &t, &err), 0);
    assert_true(t.limit == -5.0);
    assert_int_equal(pb_threshold_parse("p99_drift<5ms", &t, &err), PB_EPARSE);
    assert_non_null(strstr(err.msg, "5%/h"));
    assert_int_equal(pb_threshold_parse("generator_bound<1", &t, &err), 0);
    assert_int_equal(pb_threshold_parse("generator_bound==yes", &t, &err), PB_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quiet_run_is_not_generator_bound),
        cmocka_unit_test(lagging_loop_in_five_percent_of_seconds_is_bound),
        cmocka_unit_test(busy_cpus_in_five_percent_of_seconds_are_bound),
        cmocka_unit_test(lag_p99_of_the_probes),
        cmocka_unit_test(figures_of_this_process),
        cmocka_unit_test(p99_drift_threshold_on_synthetic_series),
        cmocka_unit_test(p99_drift_limits_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
