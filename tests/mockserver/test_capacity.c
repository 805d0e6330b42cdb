/* The capacity model: N in service, Q waiting in FIFO order, the rest rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "capacity.h"

static void fills_slots_then_queue_then_rejects(void **state)
{
    pb_capacity c;
    pb_capacity_link l[6];
    pb_capacity_init(&c);
    assert_int_equal(pb_capacity_arrive(&c, 2, 2, &l[0]), PB_CAPACITY_START);
    assert_int_equal(pb_capacity_arrive(&c, 2, 2, &l[1]), PB_CAPACITY_START);
    assert_int_equal(pb_capacity_arrive(&c, 2, 2, &l[2]), PB_CAPACITY_QUEUED);
    assert_int_equal(pb_capacity_arrive(&c, 2, 2, &l[3]), PB_CAPACITY_QUEUED);
    assert_int_equal(pb_capacity_arrive(&c, 2, 2, &l[4]), PB_CAPACITY_REJECT);
    assert_int_equal(c.in_service, 2);
    assert_int_equal(c.queued, 2);
    assert_null(pb_capacity_next(&c, 2)); /* both slots busy */
}

static void queued_requests_start_in_arrival_order(void **state)
{
    pb_capacity c;
    pb_capacity_link l[5];
    pb_capacity_init(&c);
    assert_int_equal(pb_capacity_arrive(&c, 1, 10, &l[0]), PB_CAPACITY_START);
    for (int i = 1; i < 5; i++)
        assert_int_equal(pb_capacity_arrive(&c, 1, 10, &l[i]), PB_CAPACITY_QUEUED);
    for (int i = 1; i < 5; i++) {
        pb_capacity_finish(&c);
        assert_ptr_equal(pb_capacity_next(&c, 1), &l[i]);
        assert_null(pb_capacity_next(&c, 1));
    }
    assert_int_equal(c.queued, 0);
}

static void nobody_jumps_the_queue(void **state)
{
    pb_capacity c;
    pb_capacity_link l[3];
    pb_capacity_init(&c);
    assert_int_equal(pb_capacity_arrive(&c, 1, 10, &l[0]), PB_CAPACITY_START);
    assert_int_equal(pb_capacity_arrive(&c, 1, 10, &l[1]), PB_CAPACITY_QUEUED);
    pb_capacity_finish(&c);
    /* a slot is free, but l[1] waits ahead of the newcomer */
    assert_int_equal(pb_capacity_arrive(&c, 1, 10, &l[2]), PB_CAPACITY_QUEUED);
    assert_ptr_equal(pb_capacity_next(&c, 1), &l[1]);
}

static void a_higher_limit_lets_more_start(void **state)
{
    pb_capacity c;
    pb_capacity_link l[4];
    pb_capacity_init(&c);
    assert_int_equal(pb_capacity_arrive(&c, 1, 10, &l[0]), PB_CAPACITY_START);
    for (int i = 1; i < 4; i++)
        assert_int_equal(pb_capacity_arrive(&c, 1, 10, &l[i]), PB_CAPACITY_QUEUED);
    assert_ptr_equal(pb_capacity_next(&c, 3), &l[1]);
    assert_ptr_equal(pb_capacity_next(&c, 3), &l[2]);
    assert_null(pb_capacity_next(&c, 3));
    assert_ptr_equal(pb_capacity_next(&c, 0), &l[3]); /* 0 = unlimited */
    assert_int_equal(c.in_service, 4);
}

static void drain_hands_back_everyone_queued(void **state)
{
    pb_capacity c;
    pb_capacity_link l[4];
    pb_capacity_init(&c);
    for (int i = 0; i < 4; i++)
        (void)pb_capacity_arrive(&c, 1, 10, &l[i]);
    int n = 0;
    for (pb_capacity_link *p = pb_capacity_drain(&c); p != NULL; p = p->next)
        assert_ptr_equal(p, &l[1 + n++]);
    assert_int_equal(n, 3);
    assert_int_equal(c.queued, 0);
    assert_null(pb_capacity_next(&c, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fills_slots_then_queue_then_rejects),
        cmocka_unit_test(queued_requests_start_in_arrival_order),
        cmocka_unit_test(nobody_jumps_the_queue),
        cmocka_unit_test(a_higher_limit_lets_more_start),
        cmocka_unit_test(drain_hands_back_everyone_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
