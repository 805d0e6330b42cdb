/* The deadline heap: earliest first, ties in insertion order, grows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rng.h"
#include "timer_heap.h"

static void pops_in_deadline_order_and_grows(void **state)
{
    pb_timer_heap h;
    assert_int_equal(pb_timer_heap_init(&h, 4), 0);
    pb_rng rng;
    pb_rng_seed(&rng, 3);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(pb_timer_heap_push(&h, pb_rng_below(&rng, 1000000), 0, NULL), 0);
    assert_int_equal(pb_timer_heap_size(&h), 5000);
    pb_timer_entry e;
    pb_usec last = 0;
    int n = 0;
    while (pb_timer_heap_pop(&h, &e)) {
        assert_true(e.deadline >= last);
        last = e.deadline;
        n++;
    }
    assert_int_equal(n, 5000);
    assert_int_equal(pb_timer_heap_next(&h), PB_USEC_NEVER);
    pb_timer_heap_cleanup(&h);
}

static void equal_deadlines_keep_insertion_order(void **state)
{
    pb_timer_heap h;
    assert_int_equal(pb_timer_heap_init(&h, 2), 0);
    int items[50];
    for (int i = 0; i < 50; i++)
        assert_int_equal(pb_timer_heap_push(&h, 100, i, &items[i]), 0);
    pb_timer_entry e;
    for (int i = 0; i < 50; i++) {
        assert_true(pb_timer_heap_pop(&h, &e));
        assert_int_equal(e.kind, i);
        assert_ptr_equal(e.item, &items[i]);
    }
    pb_timer_heap_cleanup(&h);
}

static void pop_due_only_takes_what_is_due(void **state)
{
    pb_timer_heap h;
    assert_int_equal(pb_timer_heap_init(&h, 8), 0);
    assert_int_equal(pb_timer_heap_push(&h, 300, 3, NULL), 0);
    assert_int_equal(pb_timer_heap_push(&h, 100, 1, NULL), 0);
    assert_int_equal(pb_timer_heap_push(&h, 200, 2, NULL), 0);
    pb_timer_entry e;
    assert_false(pb_timer_heap_pop_due(&h, 99, &e));
    assert_int_equal(pb_timer_heap_next(&h), 100);
    assert_true(pb_timer_heap_pop_due(&h, 250, &e));
    assert_int_equal(e.kind, 1);
    assert_true(pb_timer_heap_pop_due(&h, 250, &e));
    assert_int_equal(e.kind, 2);
    assert_false(pb_timer_heap_pop_due(&h, 250, &e));
    assert_int_equal(pb_timer_heap_size(&h), 1);
    pb_timer_heap_cleanup(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pops_in_deadline_order_and_grows),
        cmocka_unit_test(equal_deadlines_keep_insertion_order),
        cmocka_unit_test(pop_due_only_takes_what_is_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
