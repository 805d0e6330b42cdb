/* backpressure: conservation at every step under random schedules, drops
 * exactly at put_timeout on a full queue, consumption counted when done. */
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

typedef struct invariants {
    uint32_t consumers, queue_size;
    uint64_t last_produced, last_consumed, last_dropped;
    uint64_t checks;
    size_t records_seen;
    uint64_t rejects;
} invariants;

static void conservation(void *data, sim *s)
{
    invariants *inv = data;
    pb_pattern_state st = sim_state(s);
    assert_int_equal(st.produced, st.consumed + st.queue_depth + st.in_flight + st.dropped);
    assert_true(st.queue_depth <= inv->queue_size);
    assert_true(st.in_flight <= inv->consumers);
    /* the engine's view agrees: requests in flight are the pattern's */
    assert_int_equal(st.in_flight, s->n_in_flight);
    for (; inv->records_seen < s->n_rec; inv->records_seen++)
        inv->rejects += s->rec[inv->records_seen].adm.kind == PB_ADMIT_REJECT;
    assert_int_equal(st.dropped, inv->rejects);
    /* counters only grow */
    assert_true(st.produced >= inv->last_produced);
    assert_true(st.consumed >= inv->last_consumed);
    assert_true(st.dropped >= inv->last_dropped);
    inv->last_produced = st.produced;
    inv->last_consumed = st.consumed;
    inv->last_dropped = st.dropped;
    inv->checks++;
}

static void random_latency(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    res->latency = (1 + pb_rng_below(data, 100)) * MS;
    if (pb_rng_below(data, 10) == 0)
        res->outcome = PB_OUTCOME_RESET;
}

/* One random trial; returns the number of pattern calls checked. */
static uint64_t random_trial(uint64_t seed, bool finite)
{
    pb_rng rng;
    pb_rng_seed(&rng, seed);
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 1 + (uint32_t)pb_rng_below(&rng, 8);
    p.queue_size = 1 + (uint32_t)pb_rng_below(&rng, 20);
    p.put_timeout = (1 + pb_rng_below(&rng, 50)) * MS;
    p.rate = pb_rng_below(&rng, 2) ? 0 : 10 + (double)pb_rng_below(&rng, 2000);
    p.total_tasks = finite ? 500 + pb_rng_below(&rng, 1000) : 0;
    invariants inv = {.consumers = p.concurrency, .queue_size = p.queue_size};
    sim s;
    sim_init(&s, "backpressure", &p, random_latency, &rng);
    s.check = conservation;
    s.check_data = &inv;
    sim_start(&s, 0);
    /* phases of random length at random rates, closed loop included */
    pb_usec t = 0;
    for (int phase = 0; phase < 8 && !s.done; phase++) {
        t += (100 + pb_rng_below(&rng, 1000)) * MS;
        sim_run(&s, t);
        sim_set_rate(&s, pb_rng_below(&rng, 3) == 0 ? 0 : 10 + (double)pb_rng_below(&rng, 3000));
    }
    sim_run(&s, finite ? 3600 * SEC : t + SEC);

    pb_pattern_state st = sim_state(&s);
    if (finite) {
        assert_true(s.done);
        assert_int_equal(st.produced, p.total_tasks);
        assert_int_equal(st.consumed + st.dropped, p.total_tasks);
    }
    /* items are consumed in the order they were produced, and each task is
     * consumed or dropped, never both; the only tasks not seen yet are those
     * still sitting in the queue */
    uint64_t max_task = 0;
    for (size_t i = 0; i < s.n_rec; i++)
        max_task = s.rec[i].adm.task > max_task ? s.rec[i].adm.task : max_task;
    uint64_t last_start = 0;
    bool any_start = false;
    char *seen = calloc(max_task + 1, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < s.n_rec; i++) {
        const sim_record *r = &s.rec[i];
        assert_int_equal(seen[r->adm.task], 0);
        seen[r->adm.task] = 1;
        assert_true(r->at >= r->adm.intended_start);
        if (r->adm.kind == PB_ADMIT_START) {
            assert_true(!any_start || r->adm.task > last_start);
            last_start = r->adm.task;
            any_start = true;
        } else {
            assert_int_equal(r->adm.reject_outcome, PB_OUTCOME_DROPPED_BY_BACKPRESSURE);
        }
    }
    uint64_t unseen = 0;
    for (uint64_t i = 0; i <= max_task && s.n_rec > 0; i++)
        unseen += !seen[i];
    assert_true(unseen <= st.queue_depth);
    free(seen);
    /* every drop happened exactly put_timeout after its put began, on a full queue */
    size_t d = 0;
    for (size_t i = 0; i < s.n_ev; i++) {
        const pb_event *ev = &s.ev[i];
        assert_int_equal(ev->kind, PB_EVENT_DROP);
        assert_int_equal(ev->to, p.queue_size);
        while (s.rec[d].adm.kind != PB_ADMIT_REJECT)
            d++;
        assert_int_equal(ev->from, s.rec[d].adm.task);
        assert_int_equal(ev->at, s.rec[d].adm.intended_start + p.put_timeout);
        d++;
    }
    uint64_t checks = inv.checks;
    sim_cleanup(&s);
    return checks;
}

static void conservation_holds_under_random_schedules(void **state)
{
    uint64_t checks = 0;
    for (uint64_t seed = 1; seed <= 30; seed++)
        checks += random_trial(seed, seed % 2 == 0);
    /* hundreds of thousands of steps, each one checked */
    assert_true(checks > 100000);
}

static void a_blocked_put_drops_after_put_timeout(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 1;
    p.queue_size = 2;
    p.put_timeout = 100 * MS;
    p.total_tasks = 10;
    pb_result slow = {.outcome = PB_OUTCOME_OK, .http_status = 200, .latency = 1 * SEC};
    invariants inv = {.consumers = 1, .queue_size = 2};
    sim s;
    sim_init(&s, "backpressure", &p, sim_result_fixed, &slow);
    s.check = conservation;
    s.check_data = &inv;
    sim_start(&s, 0);
    /* the consumer took item 0; items 1 and 2 fill the queue; item 3's put blocks */
    pb_pattern_state st = sim_state(&s);
    assert_int_equal(s.n_rec, 1);
    assert_int_equal(st.in_flight, 1);
    assert_int_equal(st.queue_depth, 2);
    /* taken is not consumed: the cheat sheet counts it (and calls
     * task_done) before processing; we count it when its request ends */
    assert_int_equal(st.consumed, 0);
    assert_int_equal(s.wake_at, 100 * MS);

    sim_run(&s, 999 * MS);
    /* items 3..9 each waited 100 ms on the full queue, one after the other */
    assert_int_equal(sim_count(&s, PB_ADMIT_REJECT), 7);
    for (int i = 0; i < 7; i++) {
        const sim_record *r = &s.rec[1 + i];
        assert_int_equal(r->adm.task, 3 + i);
        assert_int_equal(r->adm.kind, PB_ADMIT_REJECT);
        assert_int_equal(r->adm.intended_start, (pb_usec)i * 100 * MS);
        assert_int_equal(r->at, (pb_usec)(i + 1) * 100 * MS);
        assert_int_equal(s.ev[i].at, (pb_usec)(i + 1) * 100 * MS);
    }
    sim_run(&s, 60 * SEC);
    assert_true(s.done);
    st = sim_state(&s);
    assert_int_equal(st.consumed, 3);
    assert_int_equal(st.dropped, 7);
    assert_int_equal(st.produced, 10);
    assert_int_equal(s.now, 3 * SEC);
    sim_cleanup(&s);
}

static void open_loop_arrivals_do_not_slow_down(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 1;
    p.queue_size = 5;
    p.put_timeout = 200 * MS;
    p.rate = 100;
    pb_result fixed = {.outcome = PB_OUTCOME_OK, .http_status = 200, .latency = 100 * MS};
    invariants inv = {.consumers = 1, .queue_size = 5};
    sim s;
    sim_init(&s, "backpressure", &p, sim_result_fixed, &fixed);
    s.check = conservation;
    s.check_data = &inv;
    sim_start(&s, 0);
    sim_run(&s, 10 * SEC);
    /* 1001 arrivals by 10 s; one consumer serves 10 per second */
    pb_pattern_state st = sim_state(&s);
    assert_int_equal(st.consumed, 100);
    /* every offered item has its arrival time as intended start, whether it
     * was consumed or dropped */
    for (size_t i = 0; i < s.n_rec; i++)
        assert_int_equal(s.rec[i].adm.intended_start, s.rec[i].adm.task * 10 * MS);
    /* what could not fit was dropped, 200 ms after arriving */
    assert_true(st.dropped > 850);
    /* arrivals up to 9.8 s have had their put settled; the last 20 may still
     * be blocked */
    assert_true(st.produced >= 981 && st.produced <= 1001);
    sim_cleanup(&s);
}

/* A ramp of workers: at most that many consumers take items; the queue
 * holds the rest. */
static void set_workers_bounds_the_consumers(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 4;
    p.queue_size = 8;
    pb_pattern pat;
    assert_int_equal(pb_pattern_create("backpressure", &p, NULL, NULL, &pat, NULL), 0);
    pat.ops->start(pat.state, 0);
    pat.ops->set_workers(pat.state, 0, 2);
    pb_admission a = sim_decide(&pat, 0), b = sim_decide(&pat, 0);
    assert_int_equal(a.kind, PB_ADMIT_START);
    assert_int_equal(b.kind, PB_ADMIT_START);
    assert_int_equal(sim_decide(&pat, 0).kind, PB_ADMIT_WAIT);
    pb_pattern_state st;
    pat.ops->state(pat.state, &st);
    assert_int_equal(st.limit, 2);
    assert_int_equal(st.in_flight, 2);
    assert_int_equal(st.queue_depth, 8); /* the producer filled the queue meanwhile */
    pat.ops->set_workers(pat.state, 1 * MS, 0);
    sim_finish_ok(&pat, 2 * MS, &a);
    sim_finish_ok(&pat, 3 * MS, &b);
    assert_int_equal(sim_decide(&pat, 3 * MS).kind, PB_ADMIT_WAIT);
    pat.ops->set_workers(pat.state, 4 * MS, 1);
    assert_int_equal(sim_decide(&pat, 4 * MS).kind, PB_ADMIT_START);
    assert_int_equal(sim_decide(&pat, 4 * MS).kind, PB_ADMIT_WAIT);
    pb_pattern_destroy(&pat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conservation_holds_under_random_schedules),
        cmocka_unit_test(a_blocked_put_drops_after_put_timeout),
        cmocka_unit_test(open_loop_arrivals_do_not_slow_down),
        cmocka_unit_test(set_workers_bounds_the_consumers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
