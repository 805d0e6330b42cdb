/* The seeded generator: reproducible, uniform enough for fault injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "rng.h"

static void same_seed_same_sequence(void **state)
{
    pb_rng a, b, c;
    pb_rng_seed(&a, 42);
    pb_rng_seed(&b, 42);
    pb_rng_seed(&c, 43);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = pb_rng_next(&a);
        assert_int_equal(x, pb_rng_next(&b));
        differ += x != pb_rng_next(&c);
    }
    assert_true(differ > 990);
}

static void streams_are_independent_of_order(void **state)
{
    pb_rng r1, r2;
    pb_rng_seed_stream(&r1, 7, 1000);
    pb_rng_seed_stream(&r2, 7, 1001);
    assert_true(pb_rng_next(&r1) != pb_rng_next(&r2));
    pb_rng_seed_stream(&r2, 7, 1000);
    pb_rng_seed_stream(&r1, 7, 1000);
    assert_int_equal(pb_rng_next(&r1), pb_rng_next(&r2));
}

static void uniform_and_normal_moments(void **state)
{
    pb_rng r;
    pb_rng_seed(&r, 1);
    const int n = 200000;
    double sum = 0, sumsq = 0, nsum = 0, nsumsq = 0;
    uint64_t buckets[10] = {0};
    for (int i = 0; i < n; i++) {
        double u = pb_rng_double(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        sumsq += u * u;
        buckets[pb_rng_below(&r, 10)]++;
        double z = pb_rng_normal(&r);
        nsum += z;
        nsumsq += z * z;
    }
    assert_float_equal(sum / n, 0.5, 0.005);
    assert_float_equal(sumsq / n - (sum / n) * (sum / n), 1.0 / 12, 0.002);
    for (int i = 0; i < 10; i++)
        assert_true(fabs((double)buckets[i] / n - 0.1) < 0.005);
    assert_float_equal(nsum / n, 0.0, 0.01);
    assert_float_equal(nsumsq / n, 1.0, 0.02);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_sequence),
        cmocka_unit_test(streams_are_independent_of_order),
        cmocka_unit_test(uniform_and_normal_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
