/* The open-loop schedule: exact arrival times, continuity across rate
 * changes, the backlog count, and closed-loop tasks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arrivals.h"

static pb_usec next_arrival(pb_arrivals *a)
{
    pb_usec at;
    bool scheduled;
    assert_true(pb_arrivals_peek(a, &at, &scheduled));
    assert_true(scheduled);
    pb_arrivals_take(a);
    return at;
}

static void task_i_arrives_at_start_plus_i_over_rate(void **state)
{
    pb_arrivals a;
    pb_usec start = 5 * PB_USEC_PER_SEC;
    pb_arrivals_start(&a, 0, 1000, start);
    for (uint64_t i = 0; i < 10000; i++)
        assert_int_equal(next_arrival(&a), start + i * 1000);

    /* a rate that does not divide a second: rounded up, never early */
    pb_arrivals_start(&a, 0, 3, 0);
    assert_int_equal(next_arrival(&a), 0);
    assert_int_equal(next_arrival(&a), 333334);
    assert_int_equal(next_arrival(&a), 666667);
    assert_int_equal(next_arrival(&a), 1000000);
}

static void a_rate_change_keeps_the_schedule_continuous(void **state)
{
    pb_arrivals a;
    pb_arrivals_start(&a, 0, 10, 0); /* every 100 ms */
    assert_int_equal(next_arrival(&a), 0);
    assert_int_equal(next_arrival(&a), 100000);
    assert_int_equal(next_arrival(&a), 200000);
    /* at 250 ms, half way to task 3, the rate doubles: the remaining half
     * interval takes 25 ms at the new rate (not 0 as a restart would, nor 50
     * as the old rate would) */
    pb_arrivals_set_rate(&a, 250000, 20);
    assert_int_equal(next_arrival(&a), 275000);
    assert_int_equal(next_arrival(&a), 325000);
    assert_true(pb_arrivals_rate(&a) == 20);
}

static void backlog_counts_arrived_untaken_tasks(void **state)
{
    pb_arrivals a;
    pb_arrivals_start(&a, 0, 1000, 0);
    assert_int_equal(pb_arrivals_backlog(&a, 10000 - 1), 10);
    assert_int_equal(pb_arrivals_backlog(&a, 10000), 11);
    pb_arrivals_take(&a);
    pb_arrivals_take(&a);
    assert_int_equal(pb_arrivals_backlog(&a, 10000), 9);
    /* a rate change does not lose the backlog that arrived before it */
    pb_arrivals_set_rate(&a, 10000, 1);
    assert_int_equal(pb_arrivals_backlog(&a, 10000), 9);
    assert_int_equal(pb_arrivals_backlog(&a, 10000 + PB_USEC_PER_SEC), 10);
    assert_int_equal(next_arrival(&a), 2000);

    /* finite: never more than the tasks left */
    pb_arrivals_start(&a, 5, 1000, 0);
    assert_int_equal(pb_arrivals_backlog(&a, PB_USEC_PER_SEC), 5);
    for (int i = 0; i < 5; i++)
        pb_arrivals_take(&a);
    assert_true(pb_arrivals_exhausted(&a));
    pb_usec at;
    bool scheduled;
    assert_false(pb_arrivals_peek(&a, &at, &scheduled));
}

static void closed_then_open_then_closed(void **state)
{
    pb_arrivals a;
    pb_usec at;
    bool scheduled;
    pb_arrivals_start(&a, 0, 0, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(pb_arrivals_peek(&a, &at, &scheduled));
        assert_false(scheduled);
        pb_arrivals_take(&a);
    }
    assert_int_equal(pb_arrivals_backlog(&a, PB_USEC_PER_SEC), 0);
    /* open at 1 s: the next task arrives at once, then every 10 ms */
    pb_arrivals_set_rate(&a, PB_USEC_PER_SEC, 100);
    assert_int_equal(pb_arrivals_backlog(&a, 1015000), 2);
    /* closed again at 1.015 s: tasks 3 and 4 already arrived and keep their
     * times; task 5 on are ready whenever asked */
    pb_arrivals_set_rate(&a, 1015000, 0);
    assert_int_equal(a.next, 3);
    assert_int_equal(next_arrival(&a), 1000000);
    assert_int_equal(next_arrival(&a), 1010000);
    assert_true(pb_arrivals_peek(&a, &at, &scheduled));
    assert_false(scheduled);
    assert_int_equal(a.next, 5);
}

static void many_rate_changes_stay_bounded_and_ordered(void **state)
{
    pb_arrivals a;
    pb_arrivals_start(&a, 0, 1000, 0);
    pb_usec t = 0;
    for (int i = 0; i < 3 * PB_ARRIVAL_SEGMENTS; i++) {
        t += 1000 + (pb_usec)i;
        pb_arrivals_set_rate(&a, t, i % 2 ? 1000 : 2000);
        assert_true(a.count <= PB_ARRIVAL_SEGMENTS);
    }
    /* everything that arrived by t comes out in order and not in the future */
    uint64_t backlog = pb_arrivals_backlog(&a, t);
    assert_true(backlog > 200);
    pb_usec prev = 0;
    for (uint64_t i = 0; i < backlog; i++) {
        pb_usec at = next_arrival(&a);
        assert_true(at >= prev);
        assert_true(at <= t);
        prev = at;
    }
}

/* Segment I of N (rate/N, offset -I/N, the same rate changes at the same
 * times) sees arrival j when the whole schedule sees task j*N + I, to the
 * microsecond of rounding; the N segments together are the whole schedule. */
static void a_thinned_schedule_is_every_nth_arrival(void **state)
{
    (void)state;
    enum { N = 3, TASKS = 3000 };
    static pb_usec whole[TASKS];
    pb_arrivals a;
    pb_arrivals_start(&a, 0, 1000, 0);
    for (int k = 0; k < 1000; k++)
        whole[k] = next_arrival(&a);
    /* a rate change between two arrivals, then one that does not divide a second */
    pb_arrivals_set_rate(&a, 1000500, 3000);
    for (int k = 1000; k < 2000; k++)
        whole[k] = next_arrival(&a);
    pb_arrivals_set_rate(&a, whole[1999] + 100, 700);
    for (int k = 2000; k < TASKS; k++)
        whole[k] = next_arrival(&a);
    for (int i = 0; i < N; i++) {
        pb_arrivals s;
        pb_arrivals_start(&s, 0, 1000.0 / N, 0);
        pb_arrivals_offset(&s, -(double)i / N);
        for (int k = i; k < TASKS; k += N) {
            if (k >= 1000 && k - N < 1000)
                pb_arrivals_set_rate(&s, 1000500, 3000.0 / N);
            if (k >= 2000 && k - N < 2000)
                pb_arrivals_set_rate(&s, whole[1999] + 100, 700.0 / N);
            pb_usec at = next_arrival(&s);
            assert_true(at + 1 >= whole[k] && at <= whole[k] + 1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(task_i_arrives_at_start_plus_i_over_rate),
        cmocka_unit_test(a_rate_change_keeps_the_schedule_continuous),
        cmocka_unit_test(backlog_counts_arrived_untaken_tasks),
        cmocka_unit_test(closed_then_open_then_closed),
        cmocka_unit_test(many_rate_changes_stay_bounded_and_ordered),
        cmocka_unit_test(a_thinned_schedule_is_every_nth_arrival),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
