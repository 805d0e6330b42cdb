/* Adaptive concurrency: the seed controller's pinned misbehaviour, the
 * corrected policy, AIMD and Gradient2 on scripted traces with the limits
 * their published formulas give, and the pattern keeping every limit within
 * bounds under random traces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "limit.h"
#include "pattern.h"
#include "rng.h"
#include "sim.h"

#define MS PB_USEC_PER_MS
#define SEC PB_USEC_PER_SEC

static pb_pattern_params limit_params(pb_adaptive_policy policy, uint32_t initial)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.adaptive_policy = policy;
    p.concurrency = initial;
    p.min_limit = 1;
    p.max_limit = 50;
    return p;
}

static void start_limit(pb_limit *l, const pb_pattern_params *p)
{
    assert_int_equal(pb_limit_init(l, p, NULL, NULL, NULL), 0);
    pb_limit_start(l, 0);
}

/* --- seed --- */

static void seed_cannot_grow_from_four_or_below(void **state)
{
    for (uint32_t initial = 1; initial <= 4; initial++) {
        pb_pattern_params p = limit_params(PB_ADAPTIVE_SEED, initial);
        pb_limit l;
        start_limit(&l, &p);
        /* ten minutes of perfectly healthy, fast results */
        for (int i = 0; i < 6000; i++)
            pb_limit_sample(&l, (pb_usec)i * 100 * MS, 5 * MS, initial, false);
        /* int(n * 1.2) == n for n <= 4: stuck */
        assert_int_equal(l.limit, initial);
        assert_int_equal(l.changes, 0);
        pb_limit_cleanup(&l);
    }
}

static void seed_adjusts_on_every_result(void **state)
{
    /* from 5 it grows, one step per result once ten are in the window */
    pb_pattern_params p = limit_params(PB_ADAPTIVE_SEED, 5);
    pb_limit l;
    start_limit(&l, &p);
    static const uint32_t growth[] = {6, 7, 8, 9, 10, 12, 14, 16, 19, 22, 26, 31, 37, 44, 50, 50};
    for (int i = 0; i < 9; i++)
        pb_limit_sample(&l, (pb_usec)i * MS, 5 * MS, 5, false);
    assert_int_equal(l.limit, 5);
    for (size_t i = 0; i < sizeof(growth) / sizeof(growth[0]); i++) {
        pb_limit_sample(&l, (9 + i) * MS, 5 * MS, 5, false);
        assert_int_equal(l.limit, growth[i]);
    }
    pb_limit_cleanup(&l);

    /* a burst of errors: one back-off per result, 10 -> 1 in six results */
    p = limit_params(PB_ADAPTIVE_SEED, 10);
    start_limit(&l, &p);
    static const uint32_t backoff[] = {10, 10, 10, 10, 10, 10, 10, 10, 10, 8, 6, 4, 3, 2, 1, 1};
    for (size_t i = 0; i < sizeof(backoff) / sizeof(backoff[0]); i++) {
        pb_limit_sample(&l, i * MS, 5 * MS, 10, true);
        assert_int_equal(l.limit, backoff[i]);
    }
    /* the errors age out of the 60 s window, the service is healthy again,
     * and the limit never leaves 1 */
    for (int i = 0; i < 2000; i++)
        pb_limit_sample(&l, 61 * SEC + (pb_usec)i * 50 * MS, 5 * MS, 1, false);
    assert_int_equal(l.limit, 1);
    pb_limit_cleanup(&l);
}

static void seed_window_is_sixty_seconds_of_success_latency(void **state)
{
    pb_pattern_params p = limit_params(PB_ADAPTIVE_SEED, 10);
    pb_limit l;
    start_limit(&l, &p);
    /* ten slow successes (3 s) back it off on the tenth */
    for (int i = 0; i < 10; i++)
        pb_limit_sample(&l, (pb_usec)i * SEC, 3 * SEC, 10, false);
    assert_int_equal(l.limit, 8);
    /* more than 60 s later they are forgotten: nine fast results are below
     * the ten-sample minimum, the tenth grows the limit (8 -> 9) */
    for (int i = 0; i < 9; i++)
        pb_limit_sample(&l, 80 * SEC + (pb_usec)i * MS, 5 * MS, 8, false);
    assert_int_equal(l.limit, 8);
    pb_limit_sample(&l, 80 * SEC + 9 * MS, 5 * MS, 8, false);
    assert_int_equal(l.limit, 9);
    pb_limit_cleanup(&l);
}

/* --- corrected --- */

static void corrected_decides_once_per_window(void **state)
{
    pb_pattern_params p = limit_params(PB_ADAPTIVE_CORRECTED, 10);
    p.adaptive_window = 1 * SEC;
    pb_limit l;
    start_limit(&l, &p);
    /* 100 errors inside one window: one step down, not a collapse to 1 */
    for (int i = 0; i < 100; i++)
        pb_limit_sample(&l, (pb_usec)i * 5 * MS, 5 * MS, 10, true);
    assert_int_equal(l.limit, 10);
    pb_limit_tick(&l, 1 * SEC);
    assert_int_equal(l.limit, 8);
    pb_limit_cleanup(&l);
}

static void corrected_grows_from_small_limits(void **state)
{
    pb_pattern_params p = limit_params(PB_ADAPTIVE_CORRECTED, 2);
    p.adaptive_window = 1 * SEC;
    pb_limit l;
    start_limit(&l, &p);
    static const uint32_t growth[] = {3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 19, 22};
    pb_usec t = 0;
    for (size_t w = 0; w < sizeof(growth) / sizeof(growth[0]); w++) {
        for (int i = 0; i < 20; i++, t += 50 * MS)
            pb_limit_sample(&l, t, 5 * MS, l.limit, false);
        pb_limit_tick(&l, t);
        assert_int_equal(l.limit, growth[w]);
    }
    pb_limit_cleanup(&l);
}

static void corrected_does_not_grow_an_unused_limit(void **state)
{
    pb_pattern_params p = limit_params(PB_ADAPTIVE_CORRECTED, 10);
    pb_limit l;
    start_limit(&l, &p);
    /* healthy, but never more than 4 of the 10 allowed were in flight */
    for (int i = 0; i < 100; i++)
        pb_limit_sample(&l, (pb_usec)i * 100 * MS, 5 * MS, 4, false);
    assert_int_equal(l.limit, 10);
    /* too few results to judge carry over instead of deciding on noise */
    pb_limit_start(&l, 0);
    for (int i = 0; i < 9; i++)
        pb_limit_sample(&l, (pb_usec)i * 300 * MS, 5 * MS, 10, true);
    assert_int_equal(l.limit, 10); /* 9 errors over 2.7 s: still under 10 samples */
    pb_limit_sample(&l, 3 * SEC, 5 * MS, 10, true);
    pb_limit_tick(&l, 4 * SEC);
    assert_int_equal(l.limit, 8);
    pb_limit_cleanup(&l);
}

/* --- aimd (AIMDLimit) --- */

static void aimd_follows_additive_increase_multiplicative_decrease(void **state)
{
    pb_pattern_params p = limit_params(PB_ADAPTIVE_AIMD, 10);
    p.max_limit = 12;
    pb_limit l;
    start_limit(&l, &p);
    struct {
        pb_usec rtt;
        uint32_t inflight;
        bool failed;
        uint32_t limit;
    } trace[] = {
        {10 * MS, 10, false, 11}, /* inflight*2 >= limit: +1 */
        {10 * MS, 3, false, 11},  /* 6 < 11: application limited, no change */
        {10 * MS, 6, false, 12},  /* 12 >= 11: +1 */
        {10 * MS, 12, false, 12}, /* capped at max-limit */
        {10 * MS, 12, true, 10},  /* a drop: int(12 * 0.9) = 10 */
        {6 * SEC, 10, false, 9},  /* slower than aimd-timeout 5s: int(10 * 0.9) */
        {5 * SEC, 9, false, 10},  /* exactly the timeout is not a drop */
    };
    for (size_t i = 0; i < sizeof(trace) / sizeof(trace[0]); i++) {
        pb_limit_sample(&l, i * SEC, trace[i].rtt, trace[i].inflight, trace[i].failed);
        assert_int_equal(l.limit, trace[i].limit);
    }
    /* at the floor: int(1 * 0.9) = 0, held at min-limit */
    pb_limit_start(&l, 0);
    for (int i = 0; i < 30; i++)
        pb_limit_sample(&l, (pb_usec)i, 1 * MS, 1, true);
    assert_int_equal(l.limit, 1);
    pb_limit_cleanup(&l);
}

/* --- gradient2 (Gradient2Limit) --- */

/* Expected values computed by transcribing Gradient2Limit._update and
 * ExpAvgMeasurement into a few lines of Python (initial 20, smoothing 0.2,
 * queue size 4, long window 600, tolerance 1.5). */
static void gradient2_follows_the_published_formula(void **state)
{
    pb_pattern_params p = limit_params(PB_ADAPTIVE_GRADIENT2, 20);
    p.max_limit = 200;
    pb_limit l;
    start_limit(&l, &p);
    struct {
        pb_usec rtt;
        uint32_t inflight;
        uint32_t limit;
        double estimate, long_rtt;
    } trace[] = {
        /* steady 10 ms: gradient 1, each sample adds smoothing * queue = 0.8 */
        {10 * MS, 20, 20, 20.8, 10000.0},
        {10 * MS, 20, 21, 21.6, 10000.0},
        {10 * MS, 20, 22, 22.4, 10000.0},
        {10 * MS, 20, 23, 23.2, 10000.0},
        {10 * MS, 20, 24, 24.0, 10000.0},
        {10 * MS, 20, 24, 24.8, 10000.0},
        {10 * MS, 20, 25, 25.6, 10000.0},
        {10 * MS, 20, 26, 26.4, 10000.0},
        {10 * MS, 20, 27, 27.2, 10000.0},
        {10 * MS, 20, 28, 28.0, 10000.0},
        /* 40 ms: 1.5 * long / short < 0.5, the gradient is held at 0.5 */
        {40 * MS, 28, 26, 26.0, 10099.833610648919},
        {40 * MS, 28, 24, 24.2, 10199.334996303998},
        {40 * MS, 28, 22, 22.58, 10298.50526253926},
        {40 * MS, 28, 21, 21.122, 10397.345511249612},
        {40 * MS, 28, 19, 19.8098, 10495.856840663091},
        /* fewer than half the limit in flight: no change */
        {10 * MS, 3, 19, 19.8098, 10494.206734704147},
        {10 * MS, 25, 20, 20.6098, 10492.562119946397},
        {10 * MS, 25, 21, 21.4098, 10490.922978116292},
    };
    for (size_t i = 0; i < sizeof(trace) / sizeof(trace[0]); i++) {
        pb_limit_sample(&l, i * SEC, trace[i].rtt, trace[i].inflight, false);
        assert_int_equal(l.limit, trace[i].limit);
        assert_float_equal(l.estimate, trace[i].estimate, 1e-9);
        assert_float_equal(l.long_rtt, trace[i].long_rtt, 1e-6);
    }
    pb_limit_cleanup(&l);
}

static void gradient2_pulls_a_stale_long_rtt_down(void **state)
{
    pb_pattern_params p = limit_params(PB_ADAPTIVE_GRADIENT2, 10);
    pb_limit l;
    start_limit(&l, &p);
    for (int i = 0; i < 10; i++)
        pb_limit_sample(&l, (pb_usec)i, 40 * MS, 10, false);
    assert_float_equal(l.long_rtt, 40000.0, 1e-9);
    /* latency drops to 10 ms: long/short > 2, so the long RTT also decays
     * by 5% per sample on top of its average */
    pb_limit_sample(&l, 10, 10 * MS, 10, false);
    assert_float_equal(l.long_rtt, 37905.158069883524, 1e-6);
    pb_limit_sample(&l, 11, 10 * MS, 10, false);
    assert_float_equal(l.long_rtt, 35921.68086467091, 1e-6);
    assert_int_equal(l.limit, 19);
    pb_limit_cleanup(&l);
}

/* --- the adaptive pattern --- */

typedef struct bounds {
    uint32_t min, max;
    int64_t last_to;
} bounds;

static void within_bounds(void *data, sim *s)
{
    bounds *b = data;
    pb_pattern_state st = sim_state(s);
    assert_true(st.limit >= b->min && st.limit <= b->max);
    assert_true(st.in_flight <= b->max);
    /* a request only starts below the limit */
    if (s->n_rec > 0 && s->rec[s->n_rec - 1].at == s->now &&
        s->rec[s->n_rec - 1].adm.kind == PB_ADMIT_START)
        assert_true(s->rec[s->n_rec - 1].state.in_flight <= s->rec[s->n_rec - 1].state.limit);
}

static void random_trace(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    /* phases of health and trouble, 8 s each */
    bool trouble = (s->now / (8 * SEC)) % 2 == 1;
    res->latency = (1 + pb_rng_below(data, trouble ? 3000 : 50)) * MS;
    if (pb_rng_below(data, 100) < (trouble ? 40u : 1u))
        *res = (pb_result){
            .outcome = PB_OUTCOME_HTTP_ERROR, .http_status = 503, .latency = res->latency};
}

static void limits_stay_within_bounds_for_every_policy(void **state)
{
    for (int policy = PB_ADAPTIVE_SEED; policy <= PB_ADAPTIVE_GRADIENT2; policy++) {
        pb_pattern_params p;
        pb_pattern_params_default(&p);
        p.adaptive_policy = (pb_adaptive_policy)policy;
        p.min_limit = 2;
        p.max_limit = 20;
        p.concurrency = 10;
        p.adaptive_window = 500 * MS;
        pb_rng rng;
        pb_rng_seed(&rng, 100 + (uint64_t)policy);
        bounds b = {.min = 2, .max = 20};
        sim s;
        sim_init(&s, "adaptive", &p, random_trace, &rng);
        s.check = within_bounds;
        s.check_data = &b;
        sim_start(&s, 0);
        sim_run(&s, 64 * SEC);
        /* every change is an event, chained from the previous one */
        int64_t last = 10;
        for (size_t i = 0; i < s.n_ev; i++) {
            assert_int_equal(s.ev[i].kind, PB_EVENT_LIMIT_CHANGE);
            assert_int_equal(s.ev[i].from, last);
            assert_true(s.ev[i].to >= 2 && s.ev[i].to <= 20 && s.ev[i].to != last);
            last = s.ev[i].to;
        }
        pb_pattern_state st = sim_state(&s);
        assert_int_equal(st.limit, last);
        assert_int_equal(st.limit_changes, s.n_ev);
        assert_true(s.n_ev > 0);
        sim_cleanup(&s);
    }
}

typedef struct phases {
    pb_usec trouble_from, trouble_until;
} phases;

static void phased_result(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    const phases *ph = data;
    res->latency = 20 * MS;
    if (s->now >= ph->trouble_from && s->now < ph->trouble_until)
        *res = (pb_result){.outcome = PB_OUTCOME_TIMEOUT, .latency = 20 * MS};
}

static void backs_off_on_errors_and_grows_on_health(void **state)
{
    for (int policy = PB_ADAPTIVE_CORRECTED; policy <= PB_ADAPTIVE_AIMD; policy++) {
        pb_pattern_params p;
        pb_pattern_params_default(&p);
        p.adaptive_policy = (pb_adaptive_policy)policy;
        p.concurrency = 10;
        p.min_limit = 1;
        p.max_limit = 40;
        phases ph = {.trouble_from = 10 * SEC, .trouble_until = 15 * SEC};
        sim s;
        sim_init(&s, "adaptive", &p, phased_result, &ph);
        sim_start(&s, 0);
        sim_run(&s, 10 * SEC);
        /* healthy: the closed loop uses its whole limit, so it grows to max */
        assert_int_equal(sim_state(&s).limit, 40);
        sim_run(&s, 15 * SEC);
        /* every request timing out for 5 s. corrected: one x0.8 step per
         * 1 s window, 40 -> 32 -> 25 -> 20 -> 16 -> 12; aimd: x0.9 per
         * failed request, down to the floor */
        assert_int_equal(sim_state(&s).limit, policy == PB_ADAPTIVE_AIMD ? 1 : 12);
        sim_run(&s, 40 * SEC);
        /* healthy again: back up, from 1 */
        assert_int_equal(sim_state(&s).limit, 40);
        sim_cleanup(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_cannot_grow_from_four_or_below),
        cmocka_unit_test(seed_adjusts_on_every_result),
        cmocka_unit_test(seed_window_is_sixty_seconds_of_success_latency),
        cmocka_unit_test(corrected_decides_once_per_window),
        cmocka_unit_test(corrected_grows_from_small_limits),
        cmocka_unit_test(corrected_does_not_grow_an_unused_limit),
        cmocka_unit_test(aimd_follows_additive_increase_multiplicative_decrease),
        cmocka_unit_test(gradient2_follows_the_published_formula),
        cmocka_unit_test(gradient2_pulls_a_stale_long_rtt_down),
        cmocka_unit_test(limits_stay_within_bounds_for_every_policy),
        cmocka_unit_test(backs_off_on_errors_and_grows_on_health),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
