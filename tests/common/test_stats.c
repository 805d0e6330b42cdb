/* Means, standard deviations and Student-t intervals against values worked by
 * hand and from printed t tables. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void t_quantiles_match_the_printed_table(void **state)
{
    assert_near(pb_stats_t975(1), 12.706, 1e-9);
    assert_near(pb_stats_t975(2), 4.303, 1e-9);
    assert_near(pb_stats_t975(4), 2.776, 1e-9);
    assert_near(pb_stats_t975(9), 2.262, 1e-9);
    assert_near(pb_stats_t975(30), 2.042, 1e-9);
    assert_near(pb_stats_t975(60), 2.000, 1e-9);
    assert_near(pb_stats_t975(1e9), 1.960, 1e-3);
    /* between rows: t(0.975, 50) = 2.009 and t(0.975, 7.5) = 2.3330 (exact values) */
    assert_near(pb_stats_t975(50), 2.009, 2e-3);
    assert_near(pb_stats_t975(7.5), 2.333, 2e-3);
    /* monotone: more degrees of freedom, a smaller quantile */
    for (double df = 1.0; df < 200.0; df += 0.25)
        assert_true(pb_stats_t975(df + 0.25) <= pb_stats_t975(df));
}

static void mean_and_sd_of_a_textbook_sample(void **state)
{
    const double x[] = {1, 2, 3, 4, 5};
    assert_near(pb_stats_mean(x, 5), 3.0, 1e-12);
    assert_near(pb_stats_sd(x, 5), sqrt(2.5), 1e-12);
    assert_near(pb_stats_sd(x, 1), 0.0, 0);
    assert_near(pb_stats_mean(x, 0), 0.0, 0);
}

static void ci95_of_five_trials(void **state)
{
    /* mean 2847.2, sd 41.5175, half = 2.776 * 41.5175 / sqrt(5) = 51.542 */
    const double x[] = {2847, 2790, 2901, 2830, 2868};
    pb_ci ci;
    pb_err err;
    assert_int_equal(pb_stats_ci95(x, 5, &ci, &err), 0);
    assert_near(ci.mean, 2847.2, 1e-9);
    assert_near(ci.sd, 41.5175, 1e-3);
    assert_near(ci.df, 4.0, 0);
    assert_near(ci.half, 51.5425, 1e-3);
    assert_near(ci.lo, 2795.6575, 1e-3);
    assert_near(ci.hi, 2898.7425, 1e-3);
}

static void one_sample_has_no_interval(void **state)
{
    const double x[] = {2847};
    pb_ci ci;
    pb_err err;
    assert_int_equal(pb_stats_ci95(x, 1, &ci, &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "at least 2 samples, got 1"));
    assert_int_equal(pb_stats_diff_ci95(x, 1, x, 1, &ci, &err), PB_EINVAL);
}

static void welch_difference_of_two_arms(void **state)
{
    const double a[] = {2847, 2790, 2901, 2830, 2868};
    const double b[] = {2491, 2530, 2460, 2512, 2475};
    pb_ci d;
    pb_err err;
    assert_int_equal(pb_stats_diff_ci95(a, 5, b, 5, &d, &err), 0);
    /* worked by hand: means 2847.2 and 2493.6, se 22.4054, Welch df 7.0208,
     * t(0.975, 7.0208) = 2.3634 */
    assert_near(d.mean, 353.6, 1e-9);
    assert_near(d.sd, 22.4054, 1e-3);
    assert_near(d.df, 7.0208, 1e-3);
    assert_near(d.half, 2.3634 * 22.4054, 0.05);
    assert_true(d.lo > 0.0);
    /* swapped arms: the same interval mirrored */
    pb_ci m;
    assert_int_equal(pb_stats_diff_ci95(b, 5, a, 5, &m, &err), 0);
    assert_near(m.lo, -d.hi, 1e-9);
    assert_near(m.hi, -d.lo, 1e-9);
}

static void welch_with_no_spread_uses_the_pooled_df(void **state)
{
    const double a[] = {10, 10, 10}, b[] = {7, 7};
    pb_ci d;
    assert_int_equal(pb_stats_diff_ci95(a, 3, b, 2, &d, NULL), 0);
    assert_near(d.mean, 3.0, 1e-12);
    assert_near(d.df, 3.0, 0);
    assert_near(d.half, 0.0, 0);
}

/* y = {2, 4, 5, 4, 5} over x = 1..5, worked by hand: slope 0.6, intercept
 * 2.2, residual sum of squares 2.4, se = sqrt(2.4 / 3 / 10), t(0.975, 3) = 3.182. */
static void slope_of_a_textbook_line(void **state)
{
    const double x[] = {1, 2, 3, 4, 5, 6}, y[] = {2, 4, 5, 4, 5, NAN};
    pb_slope s;
    assert_int_equal(pb_stats_slope(x, y, 6, &s, NULL), 0);
    assert_int_equal(s.n, 5);
    assert_near(s.slope, 0.6, 1e-12);
    assert_near(s.intercept, 2.2, 1e-12);
    assert_near(s.mean_y, 4.0, 1e-12);
    assert_near(s.se, sqrt(0.08), 1e-12);
    assert_near(s.half, 3.182 * sqrt(0.08), 1e-9);
    assert_near(s.lo, 0.6 - 3.182 * sqrt(0.08), 1e-9);
}

static void slope_needs_three_points_at_two_x(void **state)
{
    const double x[] = {1, 2, 3}, y[] = {1, 2, NAN}, same[] = {4, 4, 4};
    pb_slope s;
    pb_err err;
    assert_int_equal(pb_stats_slope(x, y, 3, &s, &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "at least 3 points"));
    assert_int_equal(pb_stats_slope(same, x, 3, &s, &err), PB_EINVAL);
    /* far from 0 (a 72-hour run in seconds) the centred sums keep their digits */
    const double far_x[] = {259197, 259198, 259199, 259200}, far_y[] = {1, 3, 5, 7};
    assert_int_equal(pb_stats_slope(far_x, far_y, 4, &s, NULL), 0);
    assert_near(s.slope, 2.0, 1e-9);
    assert_near(s.half, 0.0, 1e-9);
}

static void wilson_matches_worked_values(void **state)
{
    pb_ci ci;
    pb_err err;
    /* 5 of 10: 0.5 -+ 0.2634 (Wilson 1927, as tabulated by Newcombe 1998) */
    assert_int_equal(pb_stats_wilson(5, 10, 1.96, &ci, &err), 0);
    assert_near(ci.lo, 0.2366, 1e-4);
    assert_near(ci.hi, 0.7634, 1e-4);
    /* 0 of 10: [0, 0.2775], not the empty 0 +- 0 of a normal interval */
    assert_int_equal(pb_stats_wilson(0, 10, 1.96, &ci, &err), 0);
    assert_near(ci.lo, 0.0, 0);
    assert_near(ci.hi, 0.2775, 1e-4);
    assert_int_equal(pb_stats_wilson(10, 10, 1.96, &ci, &err), 0);
    assert_near(ci.hi, 1.0, 0);
    assert_near(ci.lo, 0.7225, 1e-4);
    assert_int_equal(pb_stats_wilson(1, 0, 1.96, &ci, &err), PB_EINVAL);
}

static void share_of_trials_never_leaves_0_to_1(void **state)
{
    pb_ci ci;
    pb_err err;
    /* trials that disagree wildly: t on the shares would give 0.5 -+ 1.24 */
    const double k[] = {0, 10, 5}, n[] = {10, 10, 10};
    assert_int_equal(pb_stats_share95(k, n, 3, &ci, &err), 0);
    assert_near(ci.mean, 0.5, 1e-12);
    assert_true(ci.lo >= 0.0 && ci.hi <= 1.0);
    assert_true(ci.lo < 0.2 && ci.hi > 0.8); /* the spread widens it past 10 + 10 + 10 flips */
    pb_ci pooled;
    assert_int_equal(pb_stats_wilson(15, 30, 1.96, &pooled, &err), 0);
    assert_true(ci.hi - ci.lo > pooled.hi - pooled.lo);
    /* trials that agree as well as coin flips would: the pooled Wilson interval */
    const double k2[] = {2, 2, 2}, n2[] = {100, 100, 100};
    assert_int_equal(pb_stats_share95(k2, n2, 3, &ci, &err), 0);
    assert_int_equal(pb_stats_wilson(6, 300, 1.96, &pooled, &err), 0);
    assert_near(ci.lo, pooled.lo, 1e-12);
    assert_near(ci.hi, pooled.hi, 1e-12);
    /* every trial at 0 % or at 100 %: the interval touches the bound, never crosses it */
    const double none[] = {0, 0, 0}, all[] = {100, 100, 100};
    assert_int_equal(pb_stats_share95(none, n2, 3, &ci, &err), 0);
    assert_true(ci.lo == 0.0 && ci.hi > 0.0 && ci.hi < 0.02);
    assert_int_equal(pb_stats_share95(all, n2, 3, &ci, &err), 0);
    assert_true(ci.hi == 1.0 && ci.lo > 0.98);
    const double zero[] = {0, 0};
    assert_int_equal(pb_stats_share95(zero, zero, 2, &ci, &err), PB_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_quantiles_match_the_printed_table),
        cmocka_unit_test(mean_and_sd_of_a_textbook_sample),
        cmocka_unit_test(ci95_of_five_trials),
        cmocka_unit_test(one_sample_has_no_interval),
        cmocka_unit_test(welch_difference_of_two_arms),
        cmocka_unit_test(welch_with_no_spread_uses_the_pooled_df),
        cmocka_unit_test(slope_of_a_textbook_line),
        cmocka_unit_test(slope_needs_three_points_at_two_x),
        cmocka_unit_test(wilson_matches_worked_values),
        cmocka_unit_test(share_of_trials_never_leaves_0_to_1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
