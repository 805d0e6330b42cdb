/* The claims' pure parts: parsing --claims, the statistics of an arm's
 * trials, and each verdict on scripted figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "claims.h"

static void claims_parse_ids_and_name_a_bad_one(void **state)
{
    bool sel[PB_CLAIM_COUNT];
    pb_err err;
    assert_int_equal(pb_claims_parse("C1,c4", sel, &err), 0);
    assert_true(sel[PB_C1] && sel[PB_C4] && !sel[PB_C2] && !sel[PB_C3]);
    assert_int_equal(pb_claims_parse("C1,C9", sel, &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "unknown claim \"C9\""));
    assert_int_equal(pb_claims_parse("", sel, &err), PB_EINVAL);
    assert_int_equal(pb_claims_parse(",", sel, &err), PB_EINVAL);
}

/* Trials of an arm at the given req/s, ok = 99 % of them, one second each. */
static void fill(pb_arm_result *r, pb_arm_id arm, const double *rps, size_t n, double cpu)
{
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < n; i++)
        r->trials[i] = (pb_trial){.rps = rps[i],
                                  .goodput = rps[i] * 0.99,
                                  .elapsed_s = 1.0,
                                  .cpu_s = cpu,
                                  .mean_latency_ms = 7.0};
    r->n = n;
    pb_arm_result_finish(r, pb_claims_arm(arm), pb_claims_server_mean_ms());
}

static void an_arm_has_an_interval_a_bound_and_a_cpu_flag(void **state)
{
    pb_arm_result r;
    const double rps[] = {2847, 2790, 2901, 2830, 2868};
    fill(&r, PB_ARM_QUEUE_20, rps, 5, 0.95);
    assert_true(r.ready);
    assert_true(r.rps.half > 51.5 && r.rps.half < 51.6);
    /* 20 / 7.24 ms */
    assert_true(r.little_bound > 2750 && r.little_bound < 2775);
    assert_true(r.client_bound);
    fill(&r, PB_ARM_QUEUE_20, rps, 5, 0.5);
    assert_false(r.client_bound);
    fill(&r, PB_ARM_QUEUE_20, rps, 1, 0.5);
    assert_false(r.ready);
    /* the server's latency unknown (a target): no bound rather than one invented */
    fill(&r, PB_ARM_QUEUE_20, rps, 5, 0.5);
    pb_arm_result_finish(&r, pb_claims_arm(PB_ARM_QUEUE_20), 0.0);
    assert_true(r.ready);
    assert_true(r.little_bound == 0.0);
}

static pb_arm_result res[PB_ARM_COUNT];

static void c1(const double *q, const double *s30, const double *s20, pb_verdict *v)
{
    fill(&res[PB_ARM_QUEUE_20], PB_ARM_QUEUE_20, q, 3, 0.1);
    fill(&res[PB_ARM_SEMAPHORE_30], PB_ARM_SEMAPHORE_30, s30, 3, 0.1);
    fill(&res[PB_ARM_SEMAPHORE_20], PB_ARM_SEMAPHORE_20, s20, 3, 0.1);
    pb_claims_verdict(PB_C1, res, PB_IMPL_C, false, v);
}

static void c1_verdicts_follow_the_sign_of_the_difference(void **state)
{
    pb_verdict v;
    const double q[] = {2600, 2620, 2640}, hi[] = {3700, 3720, 3740}, lo[] = {2500, 2510, 2520};
    const double same[] = {2550, 2640, 2700}, noisy[] = {1000, 2600, 4000};
    c1(q, lo, lo, &v);
    assert_string_equal(v.word, "reproduced");
    c1(q, hi, lo, &v);
    assert_string_equal(v.word, "reproduced only when the concurrency is equal (20 vs 20)");
    assert_non_null(strstr(v.reason, "ratio 0.70"));
    c1(q, hi, hi, &v);
    assert_string_equal(v.word, "contradicted");
    c1(q, noisy, same, &v);
    assert_string_equal(v.word, "not testable as stated");
    assert_non_null(strstr(v.reason, "noise of 3 trials"));
}

static void c3_says_what_patternbench_offers(void **state)
{
    pb_verdict v;
    pb_claims_verdict(PB_C3, res, PB_IMPL_C, false, &v);
    assert_string_equal(v.word, "not testable as stated");
    assert_non_null(strstr(v.reason, "soak-72h.json"));
}

static void c4_stars_against_the_sheets(void **state)
{
    assert_int_equal(pb_claims_stars(100, 100), 5);
    assert_int_equal(pb_claims_stars(80, 100), 4);
    assert_int_equal(pb_claims_stars(1, 100), 1);
    const double best[] = {2600, 2610, 2620}, four[] = {2000, 2010, 2020},
                 three[] = {1500, 1510, 1520}, low[] = {300, 310, 320};
    /* healthy: the sheet's stars; fault: the breaker's 60 s open kills its goodput */
    const double *healthy[] = {best, four, four, three, best};
    const double *fault[] = {best, best, best, low, best};
    static const pb_arm_id h[] = {PB_ARM_QUEUE_20, PB_ARM_SEMAPHORE_20, PB_ARM_BACKPRESSURE_20,
                                  PB_ARM_BREAKER_20, PB_ARM_ADAPTIVE_20};
    static const pb_arm_id f[] = {PB_ARM_QUEUE_20_FAULT, PB_ARM_SEMAPHORE_20_FAULT,
                                  PB_ARM_BACKPRESSURE_20_FAULT, PB_ARM_BREAKER_20_FAULT,
                                  PB_ARM_ADAPTIVE_20_FAULT};
    for (int i = 0; i < 5; i++) {
        fill(&res[h[i]], h[i], healthy[i], 3, 0.1);
        fill(&res[f[i]], f[i], fault[i], 3, 0.1);
    }
    pb_verdict v;
    pb_claims_verdict(PB_C4, res, PB_IMPL_C, false, &v);
    assert_string_equal(v.word, "reproduced only when the server is healthy");
    assert_non_null(strstr(v.reason, "breaker 1 (sheet 3)"));
    fill(&res[PB_ARM_BREAKER_20_FAULT], PB_ARM_BREAKER_20_FAULT, three, 3, 0.1);
    pb_claims_verdict(PB_C4, res, PB_IMPL_C, false, &v);
    assert_string_equal(v.word, "reproduced");
    /* against a target the fault arms never ran: the healthy column decides */
    for (int i = 0; i < 5; i++)
        memset(&res[f[i]], 0, sizeof(res[f[i]]));
    pb_claims_verdict(PB_C4, res, PB_IMPL_C, true, &v);
    assert_string_equal(v.word, "reproduced only when the server is healthy");
    assert_non_null(strstr(v.reason, "goodput with a fault phase not measured"));
    pb_claims_verdict(PB_C4, res, PB_IMPL_C, false, &v);
    assert_string_equal(v.word, "not measured");
}

/* Two arms whose 95 % intervals overlap cannot be told apart: the same
 * stars, however their means round, and the reason says why. */
static void c4_overlapping_intervals_get_the_same_stars(void **state)
{
    const double wide[] = {2000, 2600, 3200}, near[] = {1900, 2000, 2100},
                 apart[] = {1000, 1010, 1020};
    const double *healthy[] = {wide, near, apart, apart, apart};
    static const pb_arm_id h[] = {PB_ARM_QUEUE_20, PB_ARM_SEMAPHORE_20, PB_ARM_BACKPRESSURE_20,
                                  PB_ARM_BREAKER_20, PB_ARM_ADAPTIVE_20};
    static const pb_arm_id f[] = {PB_ARM_QUEUE_20_FAULT, PB_ARM_SEMAPHORE_20_FAULT,
                                  PB_ARM_BACKPRESSURE_20_FAULT, PB_ARM_BREAKER_20_FAULT,
                                  PB_ARM_ADAPTIVE_20_FAULT};
    for (int i = 0; i < 5; i++) {
        fill(&res[h[i]], h[i], healthy[i], 3, 0.1);
        fill(&res[f[i]], f[i], healthy[i], 3, 0.1);
    }
    /* by the means alone: queue 5 (2600), semaphore 4 (2000 / 2600 = 3.8) */
    assert_int_equal(pb_claims_stars(2000, 2600), 4);
    pb_verdict v;
    pb_claims_verdict(PB_C4, res, PB_IMPL_C, false, &v);
    assert_non_null(strstr(v.reason, "queue 5 (sheet 5; its interval overlaps semaphore's"));
    assert_non_null(strstr(v.reason, "semaphore 5 (sheet 4; its interval overlaps queue's"));
    /* 1010 / 2600: 2 stars, apart from the others */
    assert_non_null(strstr(v.reason, "backpressure 2 (sheet 4; its interval overlaps breaker's"));
}

static void a_missing_column_says_why(void **state)
{
    pb_arm_result none[PB_ARM_COUNT];
    memset(none, 0, sizeof(none));
    snprintf(none[PB_ARM_QUEUE_20].missing, sizeof(none[0].missing), "no Python: --no-python");
    pb_verdict v;
    pb_claims_verdict(PB_C1, none, PB_IMPL_PYTHON, false, &v);
    assert_string_equal(v.word, "not measured");
    assert_string_equal(v.reason, "no Python: --no-python");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(claims_parse_ids_and_name_a_bad_one),
        cmocka_unit_test(an_arm_has_an_interval_a_bound_and_a_cpu_flag),
        cmocka_unit_test(c1_verdicts_follow_the_sign_of_the_difference),
        cmocka_unit_test(c3_says_what_patternbench_offers),
        cmocka_unit_test(c4_stars_against_the_sheets),
        cmocka_unit_test(c4_overlapping_intervals_get_the_same_stars),
        cmocka_unit_test(a_missing_column_says_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
