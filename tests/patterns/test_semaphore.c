/* semaphore: never more than C permits in use, waiters woken in FIFO order,
 * a barrier at each batch's end with its idle cost, errors as values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pattern.h"
#include "registry.h"
#include "rng.h"
#include "sim.h"

#define MS PB_USEC_PER_MS
#define SEC PB_USEC_PER_SEC

static void never_above_permits(void *data, sim *s)
{
    pb_pattern_state st = sim_state(s);
    assert_true(st.in_flight <= *(uint32_t *)data);
    assert_true(st.in_flight <= st.limit);
}

/* Latency 1..100 ms, one request in 7 failing. */
static void random_result(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    res->latency = (1 + pb_rng_below(data, 100)) * MS;
    if (pb_rng_below(data, 7) == 0)
        *res = (pb_result){.outcome = PB_OUTCOME_TIMEOUT, .latency = res->latency};
}

static void permits_fifo_and_the_barrier(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 5;
    p.batch = 20;
    p.total_tasks = 200;
    pb_rng rng;
    pb_rng_seed(&rng, 11);
    sim s;
    sim_init(&s, "semaphore", &p, random_result, &rng);
    uint32_t permits = 5;
    s.check = never_above_permits;
    s.check_data = &permits;
    sim_start(&s, 0);
    sim_run(&s, 3600 * SEC);
    assert_true(s.done);
    assert_int_equal(s.n_rec, 200);

    /* woken in FIFO order: tasks start in their order */
    for (size_t i = 0; i < s.n_rec; i++)
        assert_int_equal(s.rec[i].adm.task, i);
    /* all five permits were in use whenever a batch had waiters */
    assert_int_equal(s.rec[4].state.in_flight, 5);

    /* ten batches, each announced when the previous one ended */
    assert_int_equal(sim_count_events(&s, PB_EVENT_BATCH), 10);
    for (size_t b = 0; b < 10; b++) {
        const pb_event *ev = &s.ev[b];
        assert_int_equal(ev->kind, PB_EVENT_BATCH);
        assert_int_equal(ev->from, (int64_t)b - 1);
        assert_int_equal(ev->to, b);
        pb_usec prev_end = 0;
        if (b > 0)
            for (size_t i = (b - 1) * 20; i < b * 20; i++)
                prev_end = s.rec[i].end > prev_end ? s.rec[i].end : prev_end;
        /* the barrier: batch b starts when the slowest task of b-1 ended */
        assert_int_equal(ev->at, prev_end);
        for (size_t i = b * 20; i < (b + 1) * 20; i++) {
            assert_true(s.rec[i].at >= prev_end);
            /* created with its batch, so waiting for a permit is latency */
            assert_int_equal(s.rec[i].adm.intended_start, ev->at);
        }
    }
    pb_pattern_state st = sim_state(&s);
    assert_int_equal(st.consumed, 200);
    sim_cleanup(&s);
}

/* Task 3 of each batch is slow. */
static void one_slow_task(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    res->latency = adm->task % 4 == 3 ? 100 * MS : 10 * MS;
}

static void the_barrier_leaves_permits_idle(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 2;
    p.batch = 4;
    p.total_tasks = 8;
    sim s;
    sim_init(&s, "semaphore", &p, one_slow_task, NULL);
    sim_start(&s, 0);
    sim_run(&s, 10 * SEC);
    assert_true(s.done);
    /* tasks 0,1 at 0 ms; 2,3 at 10 ms; task 2 ends at 20 ms, task 3 at
     * 110 ms: one permit idled 90 ms behind the barrier */
    assert_int_equal(s.rec[2].at, 10 * MS);
    assert_int_equal(s.rec[3].at, 10 * MS);
    assert_int_equal(s.ev[1].at, 110 * MS);
    assert_true(s.ev[1].value == 90000);
    /* the second batch waited for it: task 4 started at 110 ms, not 20 ms */
    assert_int_equal(s.rec[4].at, 110 * MS);
    assert_int_equal(s.rec[4].adm.intended_start, 110 * MS);
    sim_cleanup(&s);
}

static void errors_are_results_not_exceptions(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 3;
    p.batch = 10;
    p.total_tasks = 25; /* the last batch is partial */
    pb_result fail = {.outcome = PB_OUTCOME_HTTP_ERROR, .http_status = 500, .latency = 5 * MS};
    sim s;
    sim_init(&s, "semaphore", &p, sim_result_fixed, &fail);
    sim_start(&s, 0);
    sim_run(&s, 10 * SEC);
    /* every task ran and the run ended despite 25 failures */
    assert_true(s.done);
    assert_int_equal(s.n_rec, 25);
    assert_int_equal(sim_count_events(&s, PB_EVENT_BATCH), 3);
    assert_int_equal(sim_state(&s).consumed, 25);
    sim_cleanup(&s);
}

static void open_loop_tasks_wait_for_their_batch(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 10;
    p.batch = 10;
    p.total_tasks = 30;
    p.rate = 100;
    pb_result fixed = {.outcome = PB_OUTCOME_OK, .http_status = 200, .latency = 15 * MS};
    sim s;
    sim_init(&s, "semaphore", &p, sim_result_fixed, &fixed);
    sim_start(&s, 0);
    sim_run(&s, 10 * SEC);
    assert_true(s.done);
    for (size_t i = 0; i < 30; i++)
        assert_int_equal(s.rec[i].adm.intended_start, i * 10 * MS);
    /* batch 0 (arrivals 0..90 ms) ends at 105 ms; task 10 arrived at 100 ms
     * but waited for the barrier */
    assert_int_equal(s.rec[10].at, 105 * MS);
    assert_int_equal(s.rec[11].at, 110 * MS);
    sim_cleanup(&s);
}

static void endless_batches_follow_each_other(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 4;
    p.batch = 8;
    pb_result fixed = {.outcome = PB_OUTCOME_OK, .http_status = 200, .latency = 10 * MS};
    sim s;
    sim_init(&s, "semaphore", &p, sim_result_fixed, &fixed);
    sim_start(&s, 0);
    sim_run(&s, 1 * SEC);
    assert_false(s.done);
    /* each batch takes two rounds of 10 ms: batches start at 0, 20, ... 1000 ms */
    assert_int_equal(sim_count_events(&s, PB_EVENT_BATCH), 51);
    assert_int_equal(sim_state(&s).queue_depth, 4);
    sim_cleanup(&s);
}

/* Task numbers that fail (a 503 after 10 ms); the others succeed, task i
 * after (1 + i % 3) * 10 ms, so results of a batch end before and after
 * its failure. */
typedef struct failing {
    uint64_t task[4];
    size_t n;
} failing;

static void failing_tasks(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    (void)s;
    const failing *f = data;
    for (size_t i = 0; i < f->n; i++) {
        if (f->task[i] == adm->task) {
            *res = (pb_result){
                .outcome = PB_OUTCOME_HTTP_ERROR, .http_status = 503, .latency = 10 * MS};
            return;
        }
    }
    *res = (pb_result){
        .outcome = PB_OUTCOME_OK, .http_status = 200, .latency = (1 + adm->task % 3) * 10 * MS};
}

/* Batches of 5 on 2 permits, task 2 failing: run under on_error. */
static void run_one_failure(sim *s, failing *f, pb_on_error on_error)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 2;
    p.batch = 5;
    p.total_tasks = 10;
    p.on_error = on_error;
    *f = (failing){.task = {2}, .n = 1};
    sim_init(s, "semaphore", &p, failing_tasks, f);
    sim_start(s, 0);
    sim_run(s, 10 * SEC);
}

static const pb_event *first_event(const sim *s, pb_event_kind kind)
{
    for (size_t i = 0; i < s->n_ev; i++)
        if (s->ev[i].kind == kind)
            return &s->ev[i];
    return NULL;
}

static void propagate_loses_the_batchs_other_results(void **state)
{
    failing f;
    sim s;
    run_one_failure(&s, &f, PB_ON_ERROR_PROPAGATE);
    assert_true(s.done);
    /* the other tasks were not cancelled: all ten reached the network */
    assert_int_equal(s.n_rec, 10);
    /* tasks 0 and 1 ended (10, 20 ms) before task 2 failed (20..30 ms), and
     * 3 and 4 after it: all four are lost, the two before as much as the two
     * after, since gather raised and returned nothing */
    assert_true(s.rec[0].end < s.rec[2].end && s.rec[1].end <= s.rec[2].end);
    assert_true(s.rec[3].end > s.rec[2].end && s.rec[4].end > s.rec[2].end);
    pb_pattern_state st = sim_state(&s);
    assert_int_equal(st.lost, 4);
    assert_int_equal(st.cascaded, 4);
    /* one LOST event, for batch 0 only, when its last task ended, before
     * batch 1 opened; batch 1 had no failure and lost nothing */
    assert_int_equal(sim_count_events(&s, PB_EVENT_LOST), 1);
    const pb_event *ev = first_event(&s, PB_EVENT_LOST);
    assert_int_equal(ev->from, 0);
    assert_int_equal(ev->to, 4);
    assert_true(ev->value == 4.0);
    pb_usec batch0_end = 0;
    for (size_t i = 0; i < 5; i++)
        batch0_end = s.rec[i].end > batch0_end ? s.rec[i].end : batch0_end;
    assert_int_equal(ev->at, batch0_end);
    assert_int_equal(s.ev[2].kind, PB_EVENT_BATCH); /* BATCH(-1,0), LOST(0), BATCH(0,1) */
    assert_int_equal(s.ev[2].to, 1);
    assert_int_equal(s.rec[5].at, batch0_end); /* the barrier held as in isolate */
    sim_cleanup(&s);
}

static void isolate_loses_nothing(void **state)
{
    failing f;
    sim s;
    run_one_failure(&s, &f, PB_ON_ERROR_ISOLATE);
    assert_true(s.done);
    assert_int_equal(s.n_rec, 10);
    pb_pattern_state st = sim_state(&s);
    assert_int_equal(st.lost, 0);
    assert_int_equal(st.cascaded, 0);
    assert_int_equal(sim_count_events(&s, PB_EVENT_LOST), 0);
    /* same schedule as propagate: only what reaches the caller differs */
    sim t;
    failing g;
    run_one_failure(&t, &g, PB_ON_ERROR_PROPAGATE);
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(s.rec[i].at, t.rec[i].at);
        assert_int_equal(s.rec[i].end, t.rec[i].end);
    }
    sim_cleanup(&t);
    sim_cleanup(&s);
}

static void only_successes_cascade(void **state)
{
    /* two failures in batch 0 (tasks 1 and 3), one in batch 2 (task 9 of a
     * last, partial batch of 2) */
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 3;
    p.batch = 4;
    p.total_tasks = 10;
    p.on_error = PB_ON_ERROR_PROPAGATE;
    failing f = {.task = {1, 3, 9}, .n = 3};
    sim s;
    sim_init(&s, "semaphore", &p, failing_tasks, &f);
    sim_start(&s, 0);
    sim_run(&s, 10 * SEC);
    assert_true(s.done);
    pb_pattern_state st = sim_state(&s);
    /* batch 0: 3 lost (task 1 or 3 raised, the other failure is lost too),
     * 2 of them successes; batch 2: 1 lost, a success */
    assert_int_equal(st.lost, 3 + 1);
    assert_int_equal(st.cascaded, 2 + 1);
    assert_int_equal(sim_count_events(&s, PB_EVENT_LOST), 2);
    sim_cleanup(&s);
}

static void a_batch_cut_short_is_not_judged(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 1;
    p.batch = 10;
    p.on_error = PB_ON_ERROR_PROPAGATE;
    failing f = {.task = {0}, .n = 1};
    sim s;
    sim_init(&s, "semaphore", &p, failing_tasks, &f);
    sim_start(&s, 0);
    /* endless: the run's end comes half way through batch 0 */
    sim_run(&s, 100 * MS);
    assert_false(s.done);
    assert_int_equal(sim_state(&s).lost, 0);
    assert_int_equal(sim_count_events(&s, PB_EVENT_LOST), 0);
    sim_cleanup(&s);
}

/* A ramp of workers: at most that many permits are held at once; a task
 * holding one above a fall keeps it to its end. */
static void set_workers_bounds_the_permits(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 4;
    p.batch = 8;
    pb_pattern pat;
    assert_int_equal(pb_pattern_create("semaphore", &p, NULL, NULL, &pat, NULL), 0);
    pat.ops->start(pat.state, 0);
    pat.ops->set_workers(pat.state, 0, 1);
    pb_admission a = sim_decide(&pat, 0);
    assert_int_equal(a.kind, PB_ADMIT_START);
    assert_int_equal(sim_decide(&pat, 0).kind, PB_ADMIT_WAIT);
    pat.ops->set_workers(pat.state, 5 * MS, 3);
    pb_admission b = sim_decide(&pat, 5 * MS), c = sim_decide(&pat, 5 * MS);
    assert_int_equal(b.kind, PB_ADMIT_START);
    assert_int_equal(c.kind, PB_ADMIT_START);
    assert_int_equal(sim_decide(&pat, 5 * MS).kind, PB_ADMIT_WAIT);
    pb_pattern_state st;
    pat.ops->state(pat.state, &st);
    assert_int_equal(st.limit, 3);
    assert_int_equal(st.in_flight, 3);
    pat.ops->set_workers(pat.state, 6 * MS, 2);
    sim_finish_ok(&pat, 10 * MS, &a);
    assert_int_equal(sim_decide(&pat, 10 * MS).kind, PB_ADMIT_WAIT); /* 2 held, 2 allowed */
    sim_finish_ok(&pat, 11 * MS, &b);
    assert_int_equal(sim_decide(&pat, 11 * MS).kind, PB_ADMIT_START);
    pb_pattern_destroy(&pat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(permits_fifo_and_the_barrier),
        cmocka_unit_test(the_barrier_leaves_permits_idle),
        cmocka_unit_test(errors_are_results_not_exceptions),
        cmocka_unit_test(open_loop_tasks_wait_for_their_batch),
        cmocka_unit_test(endless_batches_follow_each_other),
        cmocka_unit_test(propagate_loses_the_batchs_other_results),
        cmocka_unit_test(isolate_loses_nothing),
        cmocka_unit_test(only_successes_cascade),
        cmocka_unit_test(a_batch_cut_short_is_not_judged),
        cmocka_unit_test(set_workers_bounds_the_permits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
