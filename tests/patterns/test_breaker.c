/* The circuit breaker: transitions for both policies, half-open probe
 * limits, recovery timed on the clock passed in, stale results, and the
 * breaker pattern's fail-fast behaviour in closed and open loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "circuit_breaker.h"
#include "pattern.h"
#include "sim.h"

#define MS PB_USEC_PER_MS
#define SEC PB_USEC_PER_SEC

typedef struct event_log {
    pb_event ev[64];
    size_t n;
} event_log;

static void log_event(void *data, const pb_event *ev)
{
    event_log *log = data;
    assert_true(log->n < 64);
    log->ev[log->n++] = *ev;
}

static void expect_transition(const event_log *log, size_t i, pb_usec at, pb_breaker_state from,
                              pb_breaker_state to)
{
    assert_true(i < log->n);
    assert_int_equal(log->ev[i].kind, PB_EVENT_BREAKER_STATE);
    assert_int_equal(log->ev[i].at, at);
    assert_int_equal(log->ev[i].from, from);
    assert_int_equal(log->ev[i].to, to);
}

/* Record one call made and ended at `now`. */
static void call(pb_breaker *b, pb_usec now, bool failed, pb_usec latency)
{
    uint32_t epoch;
    assert_true(pb_breaker_acquire(b, now, &epoch));
    pb_breaker_record(b, now, epoch, failed, latency);
}

static pb_pattern_params consecutive_params(void)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.breaker_policy = PB_BREAKER_POLICY_CONSECUTIVE;
    p.failure_threshold = 3;
    p.recovery_timeout = 30 * SEC;
    p.half_open_calls = 1;
    return p;
}

static void consecutive_opens_half_opens_and_closes(void **state)
{
    pb_pattern_params p = consecutive_params();
    event_log log = {0};
    pb_breaker b;
    assert_int_equal(pb_breaker_init(&b, &p, log_event, &log, NULL), 0);
    /* a monotonic clock reading far from any wall-clock time: only the
     * differences between the `now`s passed in matter */
    pb_usec t = 987654321 * SEC;
    pb_breaker_start(&b, t);
    call(&b, t, true, 0);
    call(&b, t, true, 0);
    call(&b, t, false, 0); /* a success resets the count */
    call(&b, t, true, 0);
    call(&b, t, true, 0);
    assert_int_equal(b.state, PB_BREAKER_CLOSED);
    call(&b, t + 1, true, 0);
    assert_int_equal(b.state, PB_BREAKER_OPEN);
    expect_transition(&log, 0, t + 1, PB_BREAKER_CLOSED, PB_BREAKER_OPEN);

    /* open: fail fast until exactly recovery_timeout after opening */
    uint32_t epoch;
    assert_false(pb_breaker_acquire(&b, t + 2, &epoch));
    assert_false(pb_breaker_acquire(&b, t + 1 + 30 * SEC - 1, &epoch));
    assert_int_equal(pb_breaker_half_open_at(&b), t + 1 + 30 * SEC);
    assert_true(pb_breaker_acquire(&b, t + 1 + 30 * SEC, &epoch));
    expect_transition(&log, 1, t + 1 + 30 * SEC, PB_BREAKER_OPEN, PB_BREAKER_HALF_OPEN);
    /* half-open: one probe permitted, the next call is refused */
    uint32_t other;
    assert_false(pb_breaker_acquire(&b, t + 1 + 30 * SEC, &other));
    /* the probe fails: open again, the timeout restarts */
    pb_usec t2 = t + 31 * SEC;
    pb_breaker_record(&b, t2, epoch, true, 0);
    expect_transition(&log, 2, t2, PB_BREAKER_HALF_OPEN, PB_BREAKER_OPEN);
    pb_breaker_tick(&b, t2 + 30 * SEC - 1);
    assert_int_equal(b.state, PB_BREAKER_OPEN);
    pb_breaker_tick(&b, t2 + 30 * SEC);
    assert_int_equal(b.state, PB_BREAKER_HALF_OPEN);
    /* a successful probe closes it */
    call(&b, t2 + 30 * SEC + 5, false, 0);
    expect_transition(&log, 4, t2 + 30 * SEC + 5, PB_BREAKER_HALF_OPEN, PB_BREAKER_CLOSED);
    assert_int_equal(log.n, 5);
    pb_breaker_cleanup(&b);
}

static void half_open_probe_limit_and_the_seeds_unlimited_probes(void **state)
{
    for (uint32_t limit = 0; limit <= 10; limit += 10) {
        pb_pattern_params p = consecutive_params();
        p.half_open_calls = limit;
        pb_breaker b;
        assert_int_equal(pb_breaker_init(&b, &p, NULL, NULL, NULL), 0);
        pb_breaker_start(&b, 0);
        for (int i = 0; i < 3; i++)
            call(&b, 0, true, 0);
        pb_breaker_tick(&b, 30 * SEC);
        assert_int_equal(b.state, PB_BREAKER_HALF_OPEN);
        int permitted = 0;
        uint32_t epoch;
        for (int i = 0; i < 100; i++)
            permitted += pb_breaker_acquire(&b, 30 * SEC, &epoch);
        /* 0 = the cheat sheet's half-open, which lets every call through */
        assert_int_equal(permitted, limit == 0 ? 100 : 10);
        pb_breaker_cleanup(&b);
    }
}

static void results_from_before_a_state_change_are_ignored(void **state)
{
    pb_pattern_params p = consecutive_params();
    pb_breaker b;
    assert_int_equal(pb_breaker_init(&b, &p, NULL, NULL, NULL), 0);
    pb_breaker_start(&b, 0);
    uint32_t slow_call;
    assert_true(pb_breaker_acquire(&b, 0, &slow_call));
    for (int i = 0; i < 3; i++)
        call(&b, 1, true, 0);
    assert_int_equal(b.state, PB_BREAKER_OPEN);
    /* a call admitted while closed succeeds after the breaker opened: the
     * cheat sheet's _on_success would close the breaker; it stays open */
    pb_breaker_record(&b, 2, slow_call, false, 0);
    assert_int_equal(b.state, PB_BREAKER_OPEN);
    assert_int_equal(b.stale_results, 1);
    pb_breaker_cleanup(&b);
}

static pb_pattern_params rate_params(void)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.breaker_policy = PB_BREAKER_POLICY_RATE;
    p.window_kind = PB_WINDOW_COUNT;
    p.window_size = 10;
    p.minimum_calls = 5;
    p.failure_rate_threshold = 0.5;
    p.slow_call_rate_threshold = 1.0;
    p.slow_call_duration = 1 * SEC;
    p.half_open_calls = 4;
    p.recovery_timeout = 10 * SEC;
    return p;
}

static void rate_policy_needs_minimum_calls_then_opens_at_threshold(void **state)
{
    pb_pattern_params p = rate_params();
    event_log log = {0};
    pb_breaker b;
    assert_int_equal(pb_breaker_init(&b, &p, log_event, &log, NULL), 0);
    pb_breaker_start(&b, 0);
    for (int i = 0; i < 4; i++)
        call(&b, 0, true, 0);
    assert_int_equal(b.state, PB_BREAKER_CLOSED); /* 4 calls < minimum-calls 5 */
    call(&b, 1, false, 0);
    /* 4 of 5 failed: 80% >= 50% */
    assert_int_equal(b.state, PB_BREAKER_OPEN);
    assert_true(log.ev[0].value == 0.8);
    assert_non_null(strstr(log.ev[0].detail, "failure rate"));

    /* the window slides: 4 failures then 10 successes push them out */
    pb_breaker_tick(&b, 20 * SEC);
    for (int i = 0; i < 4; i++)
        call(&b, 20 * SEC, false, 0); /* 4 good probes close it */
    assert_int_equal(b.state, PB_BREAKER_CLOSED);
    for (int i = 0; i < 4; i++)
        call(&b, 21 * SEC, i % 2 == 0, 0); /* 2 of 4: below minimum calls */
    for (int i = 0; i < 6; i++)
        call(&b, 21 * SEC, false, 0); /* 2 of 10: 20% */
    assert_int_equal(b.state, PB_BREAKER_CLOSED);
    /* the window holds the last 10 calls: four more failures push out one
     * old failure and three successes, 4 of 10 failed */
    for (int i = 0; i < 4; i++)
        call(&b, 21 * SEC, true, 0);
    assert_int_equal(b.state, PB_BREAKER_CLOSED);
    call(&b, 21 * SEC, true, 0); /* 5 of 10 */
    assert_int_equal(b.state, PB_BREAKER_OPEN);
    assert_true(log.ev[log.n - 1].value == 0.5);
    pb_breaker_cleanup(&b);
}

static void rate_policy_opens_on_slow_calls(void **state)
{
    pb_pattern_params p = rate_params();
    p.slow_call_rate_threshold = 0.6;
    event_log log = {0};
    pb_breaker b;
    assert_int_equal(pb_breaker_init(&b, &p, log_event, &log, NULL), 0);
    pb_breaker_start(&b, 0);
    /* exactly slow-call-duration is not slow: slow means longer */
    call(&b, 0, false, 1 * SEC);
    call(&b, 0, false, 1 * SEC);
    call(&b, 0, false, 1 * SEC);
    call(&b, 0, false, 2 * SEC);
    call(&b, 0, false, 0);
    assert_int_equal(b.state, PB_BREAKER_CLOSED); /* 1 of 5 */
    pb_breaker_cleanup(&b);

    log.n = 0;
    assert_int_equal(pb_breaker_init(&b, &p, log_event, &log, NULL), 0);
    pb_breaker_start(&b, 0);
    call(&b, 0, false, 0);
    call(&b, 0, false, 2 * SEC);
    call(&b, 0, false, 2 * SEC);
    call(&b, 0, false, 2 * SEC);
    call(&b, 0, false, 0);
    assert_int_equal(b.state, PB_BREAKER_OPEN); /* 3 of 5 = 60%, at the threshold */
    assert_non_null(strstr(log.ev[0].detail, "slow-call rate"));
    pb_breaker_cleanup(&b);
}

static void time_window_forgets_old_seconds(void **state)
{
    pb_pattern_params p = rate_params();
    p.window_kind = PB_WINDOW_TIME;
    p.window_size = 5; /* seconds */
    p.minimum_calls = 4;
    pb_breaker b;
    assert_int_equal(pb_breaker_init(&b, &p, NULL, NULL, NULL), 0);
    pb_breaker_start(&b, 0);
    call(&b, 0 * SEC, true, 0);
    call(&b, 1 * SEC, true, 0);
    call(&b, 2 * SEC, true, 0);
    /* at 6.5 s the window is seconds 2..6: the failures at 0 s and 1 s are
     * gone, so 2 calls in the window is below minimum-calls */
    call(&b, 6 * SEC + 500 * MS, true, 0);
    assert_int_equal(b.state, PB_BREAKER_CLOSED);
    assert_int_equal(b.w_calls, 2);
    call(&b, 6 * SEC + 600 * MS, false, 0);
    call(&b, 6 * SEC + 700 * MS, true, 0);
    /* 4 calls, 3 failed */
    assert_int_equal(b.state, PB_BREAKER_OPEN);
    pb_breaker_cleanup(&b);
}

static void rate_policy_judges_a_fixed_number_of_probes(void **state)
{
    for (int failures = 1; failures <= 2; failures++) {
        pb_pattern_params p = rate_params();
        pb_breaker b;
        assert_int_equal(pb_breaker_init(&b, &p, NULL, NULL, NULL), 0);
        pb_breaker_start(&b, 0);
        for (int i = 0; i < 5; i++)
            call(&b, 0, true, 0);
        assert_int_equal(b.state, PB_BREAKER_OPEN);
        pb_breaker_tick(&b, 10 * SEC);
        uint32_t probe[4], extra;
        for (int i = 0; i < 4; i++)
            assert_true(pb_breaker_acquire(&b, 10 * SEC, &probe[i]));
        assert_false(pb_breaker_acquire(&b, 10 * SEC, &extra)); /* 4 probes only */
        for (int i = 0; i < 3; i++) {
            pb_breaker_record(&b, 11 * SEC, probe[i], i < failures, 0);
            assert_int_equal(b.state, PB_BREAKER_HALF_OPEN); /* judged after all 4 */
        }
        pb_breaker_record(&b, 11 * SEC, probe[3], false, 0);
        /* 1 of 4 = 25% closes it; 2 of 4 = 50% reopens it */
        assert_int_equal(b.state, failures == 1 ? PB_BREAKER_CLOSED : PB_BREAKER_OPEN);
        pb_breaker_cleanup(&b);
    }
}

/* --- the breaker pattern, driven like the engine does --- */

typedef struct outage {
    pb_usec until; /* requests started before this fail */
    pb_outcome outcome;
    int status;
} outage;

static void outage_result(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    const outage *o = data;
    res->latency = 5 * MS;
    if (s->now < o->until) {
        res->outcome = o->outcome;
        res->http_status = o->status;
    }
}

static void closed_loop_rejections_pause_the_worker(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 5;
    p.failure_threshold = 5;
    p.recovery_timeout = 1 * SEC;
    p.half_open_calls = 1;
    p.reject_pause = 10 * MS;
    outage o = {.until = 2 * SEC, .outcome = PB_OUTCOME_TIMEOUT};
    sim s;
    sim_init(&s, "breaker", &p, outage_result, &o);
    sim_start(&s, 0);
    sim_run(&s, 5 * SEC);

    /* closed -> open after 5 failures (the first round, at 5 ms) */
    assert_true(s.n_ev >= 5);
    assert_int_equal(s.ev[0].at, 5 * MS);
    assert_int_equal(s.ev[0].to, PB_BREAKER_OPEN);
    /* half-open exactly recovery_timeout later; the probe still fails */
    assert_int_equal(s.ev[1].at, 1 * SEC + 5 * MS);
    assert_int_equal(s.ev[1].to, PB_BREAKER_HALF_OPEN);
    assert_int_equal(s.ev[2].to, PB_BREAKER_OPEN);
    assert_int_equal(s.ev[3].to, PB_BREAKER_HALF_OPEN);
    assert_int_equal(s.ev[3].at, s.ev[2].at + 1 * SEC);
    /* that probe started after the outage and closes it */
    assert_int_equal(s.ev[4].to, PB_BREAKER_CLOSED);

    /* while open, each worker is refused about once per reject_pause: no spin */
    size_t rejects = 0;
    pb_usec last_reject[5] = {0};
    for (size_t i = 0; i < s.n_rec; i++) {
        const sim_record *r = &s.rec[i];
        if (r->adm.kind != PB_ADMIT_REJECT)
            continue;
        rejects++;
        assert_int_equal(r->adm.reject_outcome, PB_OUTCOME_REJECTED_BY_BREAKER);
        assert_true(r->adm.slot < 5);
        if (last_reject[r->adm.slot] != 0)
            assert_true(r->at - last_reject[r->adm.slot] >= 10 * MS);
        last_reject[r->adm.slot] = r->at;
        assert_int_equal(r->state.breaker,
                         PB_BREAKER_OPEN + (r->at == s.ev[1].at || r->at == s.ev[3].at));
    }
    /* two open spells of 1 s, 5 workers, one try per 10 ms each (500 each),
     * plus the 4 workers refused at 2.01 s because the one probe was taken */
    assert_int_equal(rejects, 2 * 500 + 4);
    assert_int_equal(sim_state(&s).rejected, rejects);
    sim_cleanup(&s);
}

static void open_loop_arrivals_fail_fast_without_a_worker(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 2;
    p.failure_threshold = 2;
    p.recovery_timeout = 1 * SEC;
    p.rate = 100;
    p.total_tasks = 100;
    outage o = {.until = 10 * SEC, .outcome = PB_OUTCOME_HTTP_ERROR, .status = 503};
    sim s;
    sim_init(&s, "breaker", &p, outage_result, &o);
    sim_start(&s, 0);
    sim_run(&s, 60 * SEC);
    assert_true(s.done);
    /* two failures open it; every later arrival during the outage is refused
     * at its arrival time, with no wait */
    size_t rejects = 0;
    for (size_t i = 0; i < s.n_rec; i++) {
        const sim_record *r = &s.rec[i];
        assert_int_equal(r->adm.intended_start, r->adm.task * 10 * MS);
        if (r->adm.kind == PB_ADMIT_REJECT) {
            assert_int_equal(r->at, r->adm.intended_start);
            rejects++;
        }
    }
    assert_true(rejects >= 90);
    sim_cleanup(&s);
}

static void client_errors_do_not_open_the_breaker(void **state)
{
    for (int status = 404; status <= 429; status += 25) {
        pb_pattern_params p;
        pb_pattern_params_default(&p);
        p.concurrency = 1;
        p.total_tasks = 20;
        outage o = {.until = 10 * SEC, .outcome = PB_OUTCOME_HTTP_ERROR, .status = status};
        sim s;
        sim_init(&s, "breaker", &p, outage_result, &o);
        sim_start(&s, 0);
        sim_run(&s, 60 * SEC);
        /* a 404 is the caller's mistake; a 429 is the server pushing back */
        assert_int_equal(sim_count_events(&s, PB_EVENT_BREAKER_STATE), status == 404 ? 0 : 1);
        sim_cleanup(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(consecutive_opens_half_opens_and_closes),
        cmocka_unit_test(half_open_probe_limit_and_the_seeds_unlimited_probes),
        cmocka_unit_test(results_from_before_a_state_change_are_ignored),
        cmocka_unit_test(rate_policy_needs_minimum_calls_then_opens_at_threshold),
        cmocka_unit_test(rate_policy_opens_on_slow_calls),
        cmocka_unit_test(time_window_forgets_old_seconds),
        cmocka_unit_test(rate_policy_judges_a_fixed_number_of_probes),
        cmocka_unit_test(closed_loop_rejections_pause_the_worker),
        cmocka_unit_test(open_loop_arrivals_fail_fast_without_a_worker),
        cmocka_unit_test(client_errors_do_not_open_the_breaker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
