/* The retry decorator: backoff schedules and jitter bounds, attempts on the
 * same slot, one final result for the inner pattern, Retry-After, and what
 * is not retried. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pattern.h"
#include "retry.h"
#include "rng.h"
#include "sim.h"

#define MS PB_USEC_PER_MS
#define SEC PB_USEC_PER_SEC

static void exponential_backoff_and_its_jitter_bounds(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.retry_base = 100 * MS;
    p.retry_cap = 10 * SEC;
    pb_rng rng;
    pb_rng_seed(&rng, 1);

    p.retry_jitter = PB_JITTER_NONE;
    static const pb_usec expected[] = {100 * MS,  200 * MS,  400 * MS, 800 * MS, 1600 * MS,
                                       3200 * MS, 6400 * MS, 10 * SEC, 10 * SEC};
    for (uint32_t n = 0; n < 9; n++)
        assert_int_equal(pb_retry_backoff(&p, n, 0, &rng), expected[n]);
    /* huge retry numbers saturate at the cap */
    assert_int_equal(pb_retry_backoff(&p, 99, 0, &rng), 10 * SEC);

    p.retry_jitter = PB_JITTER_FULL;
    for (uint32_t n = 0; n < 9; n++) {
        double sum = 0;
        pb_usec lo = PB_USEC_NEVER, hi = 0;
        for (int i = 0; i < 20000; i++) {
            pb_usec b = pb_retry_backoff(&p, n, 0, &rng);
            assert_true(b <= expected[n]);
            lo = b < lo ? b : lo;
            hi = b > hi ? b : hi;
            sum += (double)b;
        }
        /* uniform over [0, expected]: mean about half, range nearly all */
        assert_float_equal(sum / 20000, expected[n] / 2.0, expected[n] * 0.02);
        assert_true(lo < expected[n] / 50 && hi > expected[n] - expected[n] / 50);
    }

    p.retry_jitter = PB_JITTER_DECORRELATED;
    pb_usec prev = p.retry_base;
    for (int i = 0; i < 10000; i++) {
        pb_usec b = pb_retry_backoff(&p, (uint32_t)i, prev, &rng);
        pb_usec hi = 3 * prev < p.retry_cap ? 3 * prev : p.retry_cap;
        assert_true(b >= p.retry_base && b <= hi);
        prev = b;
    }
}

typedef struct script {
    uint32_t fail_attempts; /* attempts 0 .. fail_attempts-1 fail */
    pb_outcome outcome;
    int status;
    pb_usec retry_after;
} script;

static void scripted(void *data, sim *s, const pb_admission *adm, pb_result *res)
{
    const script *sc = data;
    res->latency = 10 * MS;
    if (adm->attempt < sc->fail_attempts)
        *res = (pb_result){.outcome = sc->outcome,
                           .http_status = sc->status,
                           .latency = 10 * MS,
                           .retry_after = sc->retry_after};
}

static pb_pattern_params retry_params(void)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 2;
    p.total_tasks = 10;
    p.retry_max_attempts = 3;
    p.retry_jitter = PB_JITTER_NONE;
    p.retry_base = 100 * MS;
    return p;
}

static void attempts_reuse_the_slot_and_the_inner_sees_one_result(void **state)
{
    pb_pattern_params p = retry_params();
    script sc = {.fail_attempts = 2, .outcome = PB_OUTCOME_HTTP_ERROR, .status = 503};
    sim s;
    sim_init(&s, "queue", &p, scripted, &sc);
    sim_start(&s, 0);
    sim_run(&s, 600 * SEC);
    assert_true(s.done);
    /* three attempts per task, each retry on the slot of the first */
    assert_int_equal(s.n_rec, 30);
    for (uint64_t task = 0; task < 10; task++) {
        const sim_record *first = NULL, *prev = NULL;
        uint32_t attempts = 0;
        for (size_t i = 0; i < s.n_rec; i++) {
            const sim_record *r = &s.rec[i];
            if (r->adm.task != task)
                continue;
            assert_int_equal(r->adm.attempt, attempts);
            if (first == NULL) {
                first = r;
            } else {
                assert_int_equal(r->adm.slot, first->adm.slot);
                /* backoff 100 ms after the first failure, 200 ms after the second */
                pb_usec backoff = attempts == 1 ? 100 * MS : 200 * MS;
                assert_int_equal(r->adm.intended_start, prev->end + backoff);
                assert_int_equal(r->at, prev->end + backoff);
            }
            prev = r;
            attempts++;
        }
        assert_int_equal(attempts, 3);
    }
    /* the queue saw ten tasks finish, and both its workers stayed reserved
     * during backoff: tasks 2 and 3 start only after tasks 0 and 1 ended */
    pb_pattern_state st = sim_state(&s);
    assert_int_equal(st.consumed, 10);
    assert_int_equal(st.retries, 20);
    assert_int_equal(sim_count_events(&s, PB_EVENT_RETRY), 20);
    assert_int_equal(s.ev[0].from, 0);
    assert_int_equal(s.ev[0].to, 1);
    assert_true(s.ev[0].value == 100 * MS);
    /* task 0: fails at 10 ms, retried at 110, fails at 120, retried at 320,
     * ends at 330 ms: only then does its worker take task 2 */
    for (size_t i = 0; i < s.n_rec; i++)
        if (s.rec[i].adm.task == 2 && s.rec[i].adm.attempt == 0)
            assert_int_equal(s.rec[i].at, 330 * MS);
    sim_cleanup(&s);
}

static void retry_after_is_honoured_when_asked(void **state)
{
    for (int honour = 0; honour <= 1; honour++) {
        pb_pattern_params p = retry_params();
        p.total_tasks = 1;
        p.retry_max_attempts = 2;
        p.retry_jitter = PB_JITTER_FULL;
        p.retry_honour_retry_after = honour;
        script sc = {.fail_attempts = 1,
                     .outcome = PB_OUTCOME_HTTP_ERROR,
                     .status = 429,
                     .retry_after = 3 * SEC};
        sim s;
        sim_init(&s, "queue", &p, scripted, &sc);
        sim_start(&s, 0);
        sim_run(&s, 60 * SEC);
        assert_int_equal(s.n_rec, 2);
        pb_usec waited = s.rec[1].at - s.rec[0].end;
        if (honour)
            assert_int_equal(waited, 3 * SEC);
        else
            assert_true(waited <= 100 * MS);
        sim_cleanup(&s);
    }
}

static void client_errors_and_rejections_are_not_retried(void **state)
{
    pb_pattern_params p = retry_params();
    script sc = {.fail_attempts = 3, .outcome = PB_OUTCOME_HTTP_ERROR, .status = 404};
    sim s;
    sim_init(&s, "queue", &p, scripted, &sc);
    sim_start(&s, 0);
    sim_run(&s, 60 * SEC);
    assert_int_equal(s.n_rec, 10);
    assert_int_equal(sim_state(&s).retries, 0);
    sim_cleanup(&s);

    /* an open breaker's fail-fast rejection is not an attempt to retry */
    p = retry_params();
    p.concurrency = 1;
    p.total_tasks = 20;
    p.failure_threshold = 1;
    p.retry_max_attempts = 2;
    sc = (script){.fail_attempts = 2, .outcome = PB_OUTCOME_TIMEOUT};
    sim_init(&s, "breaker", &p, scripted, &sc);
    sim_start(&s, 0);
    sim_run(&s, 60 * SEC);
    /* task 0 tried twice, then the breaker opened; 19 rejections follow */
    assert_int_equal(sim_count(&s, PB_ADMIT_START), 2);
    assert_int_equal(sim_count(&s, PB_ADMIT_REJECT), 19);
    assert_int_equal(sim_state(&s).retries, 1);
    sim_cleanup(&s);
}

static void the_breaker_counts_tasks_not_attempts(void **state)
{
    pb_pattern_params p = retry_params();
    p.concurrency = 1;
    p.total_tasks = 5;
    p.failure_threshold = 3;
    script sc = {.fail_attempts = 3, .outcome = PB_OUTCOME_RESET};
    sim s;
    sim_init(&s, "breaker", &p, scripted, &sc);
    sim_start(&s, 0);
    sim_run(&s, 60 * SEC);
    /* 3 tasks x 3 attempts fail before the breaker sees its third failure */
    size_t opened_at_record = 0;
    for (size_t i = 0; i < s.n_rec; i++)
        if (s.rec[i].state.breaker == PB_BREAKER_OPEN) {
            opened_at_record = i;
            break;
        }
    assert_int_equal(opened_at_record, 9);
    assert_int_equal(s.ev[s.n_ev - 1].kind, PB_EVENT_BREAKER_STATE);
    assert_int_equal(s.ev[s.n_ev - 1].at, s.rec[8].end);
    sim_cleanup(&s);
}

/* The backoffs drawn for ten tasks' first retries with a given seed. */
static void draw_backoffs(uint64_t seed, pb_usec out[10])
{
    pb_pattern_params p = retry_params();
    p.retry_jitter = PB_JITTER_FULL;
    p.retry_max_attempts = 2;
    p.seed = seed;
    script sc = {.fail_attempts = 1, .outcome = PB_OUTCOME_TIMEOUT};
    sim s;
    sim_init(&s, "queue", &p, scripted, &sc);
    sim_start(&s, 0);
    sim_run(&s, 60 * SEC);
    size_t n = 0;
    for (size_t i = 0; i < s.n_ev; i++) {
        assert_int_equal(s.ev[i].kind, PB_EVENT_RETRY);
        assert_true(n < 10);
        out[n++] = (pb_usec)s.ev[i].value;
    }
    assert_int_equal(n, 10);
    sim_cleanup(&s);
}

static void backoffs_are_reproducible_from_the_seed(void **state)
{
    pb_usec a[10], b[10], c[10];
    draw_backoffs(42, a);
    draw_backoffs(42, b);
    draw_backoffs(43, c);
    int differ = 0;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(a[i], b[i]);
        differ += a[i] != c[i];
    }
    assert_true(differ >= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exponential_backoff_and_its_jitter_bounds),
        cmocka_unit_test(attempts_reuse_the_slot_and_the_inner_sees_one_result),
        cmocka_unit_test(retry_after_is_honoured_when_asked),
        cmocka_unit_test(client_errors_and_rejections_are_not_retried),
        cmocka_unit_test(the_breaker_counts_tasks_not_attempts),
        cmocka_unit_test(backoffs_are_reproducible_from_the_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
