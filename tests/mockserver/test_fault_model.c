/* The per-request decision: fractions as configured, and the same decision
 * for the same seed and sequence number whichever thread computes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include <cmocka.h>

#include "fault_model.h"

#define N 100000

static pb_mock_settings mixed(void)
{
    pb_mock_settings s;
    pb_mock_settings_default(&s);
    s.n_errors = 2;
    s.error_status[0] = 503;
    s.error_fraction[0] = 0.2;
    s.error_status[1] = 500;
    s.error_fraction[1] = 0.05;
    s.fault_fraction[PB_FAULT_RESET] = 0.01;
    s.fault_fraction[PB_FAULT_SLOW_BODY] = 0.02;
    pb_err err;
    assert_int_equal(pb_latency_parse("lognormal:5ms,50ms", "x", &s.latency, &err), 0);
    return s;
}

/* |count - n p| within 4.5 binomial standard deviations. */
static void assert_binomial(uint64_t count, double p, const char *what)
{
    double mean = N * p, sd = sqrt(N * p * (1 - p));
    if (fabs((double)count - mean) > 4.5 * sd)
        fail_msg("%s: %llu of %d, expected %.0f +- %.0f", what, (unsigned long long)count, N, mean,
                 4.5 * sd);
}

static void status_mix_follows_the_fractions(void **state)
{
    pb_mock_settings s = mixed();
    uint64_t n503 = 0, n500 = 0, reset = 0, slow = 0, ok = 0;
    for (uint64_t seq = 0; seq < N; seq++) {
        pb_fault_decision d;
        pb_fault_decide(&s, 11, seq, &d);
        switch (d.action) {
        case PB_MOCK_OK:
            ok++;
            assert_int_equal(d.status, 200);
            break;
        case PB_MOCK_ERROR:
            n503 += d.status == 503;
            n500 += d.status == 500;
            break;
        case PB_MOCK_RESET:
            reset++;
            assert_int_equal(d.status, 0);
            break;
        case PB_MOCK_SLOW_BODY:
            slow++;
            assert_int_equal(d.status, 200);
            break;
        default:
            fail_msg("unexpected action %d", d.action);
        }
    }
    assert_int_equal(n503 + n500 + reset + slow + ok, N);
    assert_binomial(n503, 0.2, "503");
    assert_binomial(n500, 0.05, "500");
    assert_binomial(reset, 0.01, "reset");
    assert_binomial(slow, 0.02, "slow-body");
    assert_binomial(ok, 0.72, "ok");
}

static void all_or_nothing_fractions(void **state)
{
    pb_mock_settings s;
    pb_mock_settings_default(&s);
    s.fault_fraction[PB_FAULT_HANG] = 1.0;
    for (uint64_t seq = 0; seq < 1000; seq++) {
        pb_fault_decision d;
        pb_fault_decide(&s, 1, seq, &d);
        assert_int_equal(d.action, PB_MOCK_HANG);
    }
    pb_mock_settings_default(&s);
    for (uint64_t seq = 0; seq < 1000; seq++) {
        pb_fault_decision d;
        pb_fault_decide(&s, 1, seq, &d);
        assert_int_equal(d.action, PB_MOCK_OK);
        assert_int_equal(d.latency, 0);
    }
}

/* Each fault of the table, given to every request, is the action named after
 * it, with the status its row counts. */
static void every_fault_is_its_own_action(void **state)
{
    static const struct {
        pb_mock_action action;
        uint16_t status;
    } want[PB_FAULT_COUNT] = {
#define FAULT_WANT(e, name, counter, outcome, status) [PB_FAULT_##e] = {PB_MOCK_##e, status},
        PB_MOCK_FAULT_MAP(FAULT_WANT)
#undef FAULT_WANT
    };
    for (int k = 0; k < PB_FAULT_COUNT; k++) {
        pb_mock_settings s;
        pb_mock_settings_default(&s);
        s.fault_fraction[k] = 1.0;
        assert_int_equal(PB_MOCK_FAULT_ACTION(k), want[k].action);
        assert_true(want[k].action != PB_MOCK_OK && want[k].action != PB_MOCK_ERROR);
        for (uint64_t seq = 0; seq < 100; seq++) {
            pb_fault_decision d;
            pb_fault_decide(&s, 1, seq, &d);
            assert_int_equal(d.action, want[k].action);
            assert_int_equal(d.status, want[k].status);
        }
    }
}

typedef struct worker {
    const pb_mock_settings *s;
    int index, stride;
    pb_fault_decision *out;
} worker;

/* Decide seqs index, index+stride, ... walking downwards. */
static void *decide_backwards(void *arg)
{
    worker *w = arg;
    int last = N - 1 - ((N - 1 - w->index) % w->stride);
    for (int seq = last; seq >= 0; seq -= w->stride)
        pb_fault_decide(w->s, 99, (uint64_t)seq, &w->out[seq]);
    return NULL;
}

static void same_decisions_whatever_the_thread_count(void **state)
{
    pb_mock_settings s = mixed();
    static pb_fault_decision one[N], many[N];
    for (uint64_t seq = 0; seq < N; seq++)
        pb_fault_decide(&s, 99, seq, &one[seq]);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){&s, i, 4, many};
        assert_int_equal(pthread_create(&t[i], NULL, decide_backwards, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int seq = 0; seq < N; seq++) {
        assert_int_equal(one[seq].action, many[seq].action);
        assert_int_equal(one[seq].status, many[seq].status);
        assert_int_equal(one[seq].latency, many[seq].latency);
    }
}

static void another_seed_gives_other_decisions(void **state)
{
    pb_mock_settings s = mixed();
    int differ = 0;
    for (uint64_t seq = 0; seq < 1000; seq++) {
        pb_fault_decision a, b;
        pb_fault_decide(&s, 1, seq, &a);
        pb_fault_decide(&s, 2, seq, &b);
        differ += a.latency != b.latency;
    }
    assert_true(differ > 990);
}

static void latency_does_not_depend_on_the_errors(void **state)
{
    /* the same request is as slow whether it fails or not, so changing
     * --errors leaves the latency sequence alone */
    pb_mock_settings with = mixed(), without = mixed();
    without.n_errors = 0;
    memset(without.fault_fraction, 0, sizeof(without.fault_fraction));
    for (uint64_t seq = 0; seq < 1000; seq++) {
        pb_fault_decision a, b;
        pb_fault_decide(&with, 5, seq, &a);
        pb_fault_decide(&without, 5, seq, &b);
        assert_int_equal(a.latency, b.latency);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_mix_follows_the_fractions),
        cmocka_unit_test(all_or_nothing_fractions),
        cmocka_unit_test(every_fault_is_its_own_action),
        cmocka_unit_test(same_decisions_whatever_the_thread_count),
        cmocka_unit_test(another_seed_gives_other_decisions),
        cmocka_unit_test(latency_does_not_depend_on_the_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
