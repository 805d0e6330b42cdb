/* The rate limiter's token bucket, on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "token_bucket.h"

static int take_all(pb_token_bucket *b, double rate, double burst, pb_usec now)
{
    int n = 0;
    while (pb_token_bucket_take(b, rate, burst, now))
        n++;
    return n;
}

static void starts_full_then_refills_at_the_rate(void **state)
{
    pb_token_bucket b;
    pb_token_bucket_init(&b);
    pb_usec t = 1000000;
    assert_int_equal(take_all(&b, 10, 5, t), 5);
    assert_int_equal(take_all(&b, 10, 5, t + 99999), 0); /* a token takes 100 ms */
    assert_int_equal(take_all(&b, 10, 5, t + 100000), 1);
    assert_int_equal(take_all(&b, 10, 5, t + 400000), 3);
}

static void never_holds_more_than_the_burst(void **state)
{
    pb_token_bucket b;
    pb_token_bucket_init(&b);
    assert_int_equal(take_all(&b, 10, 5, 0), 5);
    assert_int_equal(take_all(&b, 10, 5, 3600 * PB_USEC_PER_SEC), 5);
    /* a smaller burst (a new phase) caps what was saved */
    assert_int_equal(take_all(&b, 10, 5, 7200 * PB_USEC_PER_SEC), 5);
    assert_int_equal(take_all(&b, 10, 2, 9000 * PB_USEC_PER_SEC), 2);
}

static void long_run_rate_matches(void **state)
{
    pb_token_bucket b;
    pb_token_bucket_init(&b);
    int ok = 0;
    /* a request every ms for 10 s at 100/s, burst 1: 1 + 1000 */
    for (pb_usec t = 0; t <= 10 * PB_USEC_PER_SEC; t += 1000)
        ok += pb_token_bucket_take(&b, 100, 1, t);
    assert_int_equal(ok, 1001);
}

static void a_clock_going_back_takes_nothing_extra(void **state)
{
    pb_token_bucket b;
    pb_token_bucket_init(&b);
    assert_int_equal(take_all(&b, 10, 1, 500000), 1);
    assert_int_equal(take_all(&b, 10, 1, 100000), 0);
    assert_int_equal(take_all(&b, 10, 1, 600000), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(starts_full_then_refills_at_the_rate),
        cmocka_unit_test(never_holds_more_than_the_burst),
        cmocka_unit_test(long_run_rate_matches),
        cmocka_unit_test(a_clock_going_back_takes_nothing_extra),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
