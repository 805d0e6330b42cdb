/* queue: W workers, FIFO, errors stay in the worker, finite and endless
 * modes, closed and open loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pattern.h"
#include "registry.h"
#include "rng.h"
#include "sim.h"

#define MS PB_USEC_PER_MS
#define SEC PB_USEC_PER_SEC

static void never_above_concurrency(void *data, sim *s)
{
    pb_pattern_state st = sim_state(s);
    assert_true(st.in_flight <= *(uint32_t *)data);
}

/* Every request fails, in a different way, after 1..20 ms. */
static void all_fail(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    static const pb_outcome how[] = {PB_OUTCOME_TIMEOUT, PB_OUTCOME_RESET, PB_OUTCOME_CONNECT_ERROR,
                                     PB_OUTCOME_HTTP_ERROR};
    pb_outcome o = how[adm->task % 4];
    *res = (pb_result){.outcome = o,
                       .http_status = o == PB_OUTCOME_HTTP_ERROR ? 503 : 0,
                       .latency = (1 + adm->task % 20) * MS};
}

static void workers_survive_failures(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 4;
    p.total_tasks = 100;
    sim s;
    sim_init(&s, "queue", &p, all_fail, NULL);
    uint32_t limit = 4;
    s.check = never_above_concurrency;
    s.check_data = &limit;
    sim_start(&s, 0);
    sim_run(&s, 60 * SEC);

    /* every task ran exactly once, in FIFO order, and the run finished */
    assert_true(s.done);
    assert_int_equal(s.n_rec, 100);
    for (size_t i = 0; i < s.n_rec; i++) {
        assert_int_equal(s.rec[i].adm.kind, PB_ADMIT_START);
        assert_int_equal(s.rec[i].adm.task, i);
        assert_true(s.rec[i].end > 0);
    }
    /* all four workers were still taking tasks at the end, after 90+ failures */
    bool used[4] = {false};
    for (size_t i = 90; i < 100; i++)
        used[s.rec[i].adm.slot] = true;
    assert_true(used[0] && used[1] && used[2] && used[3]);
    pb_pattern_state st = sim_state(&s);
    assert_int_equal(st.consumed, 100);
    assert_int_equal(st.in_flight, 0);
    assert_int_equal(st.limit, 4);
    sim_cleanup(&s);
}

/* Latency 1..50 ms drawn from a seeded generator. */
static void random_latency(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    res->latency = (1 + pb_rng_below(data, 50)) * MS;
}

static void closed_loop_starts_when_a_worker_frees(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 3;
    p.total_tasks = 500;
    pb_rng rng;
    pb_rng_seed(&rng, 7);
    sim s;
    sim_init(&s, "queue", &p, random_latency, &rng);
    sim_start(&s, 1 * SEC);
    /* the first three start at once on workers 0, 1, 2 */
    assert_int_equal(s.n_rec, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(s.rec[i].adm.slot, i);
        assert_int_equal(s.rec[i].adm.intended_start, 1 * SEC);
    }
    sim_run(&s, 60 * SEC);
    assert_true(s.done);
    /* no queueing delay in a closed loop: a task's intended start is the
     * moment its worker became free, which is when it started */
    for (size_t i = 0; i < s.n_rec; i++)
        assert_int_equal(s.rec[i].adm.intended_start, s.rec[i].at);
    /* and the workers were always busy: 500 tasks of 25.5 ms mean on 3 workers */
    pb_usec span = s.now - 1 * SEC;
    assert_true(span < 500 * 26 * MS / 3 + 50 * MS);
    sim_cleanup(&s);
}

static void open_loop_counts_waiting_for_a_worker_as_latency(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 2;
    p.total_tasks = 50;
    p.rate = 100; /* one every 10 ms, but 2 workers x 50 ms serve only 40/s */
    pb_result fixed = {.outcome = PB_OUTCOME_OK, .http_status = 200, .latency = 50 * MS};
    sim s;
    sim_init(&s, "queue", &p, sim_result_fixed, &fixed);
    sim_start(&s, 0);
    sim_run(&s, 60 * SEC);
    assert_true(s.done);
    assert_int_equal(s.n_rec, 50);
    for (size_t i = 0; i < s.n_rec; i++) {
        /* the intended start is the schedule, whatever the actual start */
        assert_int_equal(s.rec[i].adm.intended_start, i * 10 * MS);
        assert_true(s.rec[i].at >= s.rec[i].adm.intended_start);
    }
    /* task 49 arrived at 490 ms but started only when a worker freed: tasks
     * 2k and 2k+1 start at k * 50 ms and k * 50 + 10 ms */
    assert_int_equal(s.rec[48].at, 24 * 50 * MS);
    assert_int_equal(s.rec[49].at, 24 * 50 * MS + 10 * MS);
    /* the backlog was visible as queue depth */
    /* task 30 started at 750 ms, when all 50 had arrived: 19 still waited */
    assert_int_equal(s.rec[30].state.queue_depth, 19);
    sim_cleanup(&s);
}

static void endless_mode_runs_until_stopped(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 5;
    pb_result fixed = {.outcome = PB_OUTCOME_OK, .http_status = 200, .latency = 10 * MS};
    sim s;
    sim_init(&s, "queue", &p, sim_result_fixed, &fixed);
    sim_start(&s, 0);
    sim_run(&s, 10 * SEC);
    assert_false(s.done);
    /* 5 workers x 100 per second x 10 s, the last round still in flight */
    assert_int_equal(sim_count(&s, PB_ADMIT_START), 5005);
    assert_int_equal(sim_state(&s).in_flight, 5);
    sim_cleanup(&s);
}

static void rate_changes_mid_run(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 50;
    p.rate = 10;
    pb_result fixed = {.outcome = PB_OUTCOME_OK, .http_status = 200, .latency = 1 * MS};
    sim s;
    sim_init(&s, "queue", &p, sim_result_fixed, &fixed);
    sim_start(&s, 0);
    sim_run(&s, 1 * SEC - 1); /* tasks at 0, 100, ..., 900 ms */
    assert_int_equal(s.n_rec, 10);
    sim_set_rate(&s, 100);
    sim_run(&s, 2 * SEC - 1); /* from 1 s (task 10 due then), every 10 ms */
    assert_int_equal(s.n_rec, 110);
    assert_int_equal(s.rec[10].adm.intended_start, 1 * SEC);
    assert_int_equal(s.rec[11].adm.intended_start, 1 * SEC + 10 * MS);
    sim_set_rate(&s, 0); /* closed loop: all 50 workers busy at once */
    assert_int_equal(sim_state(&s).in_flight, 50);
    /* idle workers were not "ready" for closed-loop tasks before the switch */
    assert_int_equal(s.n_rec, 160);
    for (size_t i = 110; i < 160; i++)
        assert_int_equal(s.rec[i].adm.intended_start, s.now);
    sim_cleanup(&s);
}

/* A ramp of workers (set_workers): at most that many take tasks; one above a
 * fall finishes its request and takes no other; a worker let in later starts
 * its task as soon as its place opened, which is its intended start (the
 * time it sat idle above the count is no task's wait). With the retry
 * decorator around it too. */
static void set_workers_bounds_the_closed_loop(void **state)
{
    for (int retry = 0; retry < 2; retry++) {
        pb_pattern_params p;
        pb_pattern_params_default(&p);
        p.concurrency = 4;
        p.retry_max_attempts = retry ? 3 : 1;
        pb_pattern pat;
        assert_int_equal(pb_pattern_create("queue", &p, NULL, NULL, &pat, NULL), 0);
        pat.ops->start(pat.state, 0);
        pat.ops->set_workers(pat.state, 0, 2);
        pb_admission a = sim_decide(&pat, 0), b = sim_decide(&pat, 0);
        assert_int_equal(a.kind, PB_ADMIT_START);
        assert_int_equal(b.kind, PB_ADMIT_START);
        assert_int_equal(sim_decide(&pat, 0).kind, PB_ADMIT_WAIT); /* two idle workers held */
        pb_pattern_state st;
        pat.ops->state(pat.state, &st);
        assert_int_equal(st.limit, 2);
        assert_int_equal(st.slots, 4);
        /* one more at 20 ms: its task was ready then, not at 0 */
        pat.ops->set_workers(pat.state, 20 * MS, 3);
        pb_admission c = sim_decide(&pat, 21 * MS);
        assert_int_equal(c.kind, PB_ADMIT_START);
        assert_int_equal(c.intended_start, 20 * MS);
        assert_int_equal(sim_decide(&pat, 21 * MS).kind, PB_ADMIT_WAIT);
        /* down to 1 at 30 ms: the three in flight finish, only the last gets a new task */
        pat.ops->set_workers(pat.state, 30 * MS, 1);
        sim_finish_ok(&pat, 40 * MS, &a);
        assert_int_equal(sim_decide(&pat, 40 * MS).kind, PB_ADMIT_WAIT);
        sim_finish_ok(&pat, 50 * MS, &b);
        assert_int_equal(sim_decide(&pat, 50 * MS).kind, PB_ADMIT_WAIT);
        sim_finish_ok(&pat, 60 * MS, &c);
        pb_admission d = sim_decide(&pat, 60 * MS);
        assert_int_equal(d.kind, PB_ADMIT_START);
        assert_int_equal(d.intended_start, 60 * MS);
        assert_int_equal(sim_decide(&pat, 60 * MS).kind, PB_ADMIT_WAIT);
        /* at one worker, each completion hands the next task on at once */
        sim_finish_ok(&pat, 70 * MS, &d);
        pb_admission e = sim_decide(&pat, 70 * MS);
        assert_int_equal(e.kind, PB_ADMIT_START);
        assert_int_equal(e.intended_start, 70 * MS);
        pb_pattern_destroy(&pat);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(workers_survive_failures),
        cmocka_unit_test(closed_loop_starts_when_a_worker_frees),
        cmocka_unit_test(open_loop_counts_waiting_for_a_worker_as_latency),
        cmocka_unit_test(endless_mode_runs_until_stopped),
        cmocka_unit_test(rate_changes_mid_run),
        cmocka_unit_test(set_workers_bounds_the_closed_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
