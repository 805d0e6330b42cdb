/* The live page's history: the last 600 seconds kept one by one, the whole
 * run in at most 600 points however long it runs (72 hours here), counts
 * summed exactly when points merge, gauges taken from the later one, the
 * worst kept, and the whole series covering the run from its first second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "live_history.h"

static const pb_live_merge rules[3] = {PB_LIVE_SUM, PB_LIVE_LAST, PB_LIVE_MAX};

/* Second s (from 1): s requests, gauge s, lag 1 except a spike in second 7. */
static pb_live_point second(uint64_t s)
{
    pb_live_point p = {.end = s * PB_USEC_PER_SEC, .span = PB_USEC_PER_SEC};
    p.v[0] = s;
    p.v[1] = s;
    p.v[2] = s == 7 ? 900 : 1;
    return p;
}

static void the_last_ten_minutes_are_kept_second_by_second(void **state)
{
    (void)state;
    pb_live_history *h;
    assert_int_equal(pb_live_history_create(rules, 3, &h), 0);
    pb_live_point *out = malloc((PB_LIVE_WHOLE + 1) * sizeof(*out));
    assert_non_null(out);
    for (uint64_t s = 1; s <= 1000; s++)
        pb_live_history_add(h, &(pb_live_point){0});
    pb_live_history_reset(h, rules, 3);
    assert_int_equal(pb_live_history_recent(h, 0, out), 0);
    pb_live_point last;
    assert_false(pb_live_history_last(h, &last));

    for (uint64_t s = 1; s <= 1000; s++) {
        pb_live_point p = second(s);
        pb_live_history_add(h, &p);
    }
    size_t n = pb_live_history_recent(h, 0, out);
    assert_int_equal(n, PB_LIVE_RECENT);
    assert_int_equal(out[0].end, 401 * PB_USEC_PER_SEC);
    assert_int_equal(out[n - 1].end, 1000 * PB_USEC_PER_SEC);
    /* only what the page has not seen */
    n = pb_live_history_recent(h, 998 * PB_USEC_PER_SEC, out);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].v[0], 999);
    assert_true(pb_live_history_last(h, &last));
    assert_int_equal(last.v[0], 1000);
    free(out);
    pb_live_history_destroy(h);
}

static void seventy_two_hours_fit_in_six_hundred_points(void **state)
{
    (void)state;
    pb_live_history *h;
    assert_int_equal(pb_live_history_create(rules, 3, &h), 0);
    pb_live_point *out = malloc((PB_LIVE_WHOLE + 1) * sizeof(*out));
    assert_non_null(out);
    const uint64_t seconds = 72 * 3600;
    unsigned stride = 0;
    for (uint64_t s = 1; s <= seconds; s++) {
        {
            pb_live_point p = second(s);
            pb_live_history_add(h, &p);
        }
        if (s % 997 == 0)
            assert_true(pb_live_history_whole(h, out, &stride) <= PB_LIVE_WHOLE + 1);
    }
    size_t n = pb_live_history_whole(h, out, &stride);
    assert_true(n <= PB_LIVE_WHOLE + 1);
    assert_true(n >= PB_LIVE_WHOLE / 2);
    assert_true(stride >= seconds / PB_LIVE_WHOLE);
    /* from the first second to the last, without a gap, nothing counted twice */
    assert_int_equal(out[0].end - out[0].span, 0);
    uint64_t requests = 0, spans = 0, max_lag = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            assert_int_equal(out[i].end - out[i].span, out[i - 1].end);
        requests += out[i].v[0];
        spans += out[i].span;
        if (out[i].v[2] > max_lag)
            max_lag = out[i].v[2];
        /* a gauge is the last second's of its span */
        assert_int_equal(out[i].v[1], out[i].end / PB_USEC_PER_SEC);
    }
    assert_int_equal(out[n - 1].end, seconds * PB_USEC_PER_SEC);
    assert_int_equal(spans, seconds * PB_USEC_PER_SEC);
    assert_true(requests == seconds * (seconds + 1) / 2);
    assert_int_equal(max_lag, 900);
    assert_int_equal(out[0].v[2], 900);
    free(out);
    pb_live_history_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_last_ten_minutes_are_kept_second_by_second),
        cmocka_unit_test(seventy_two_hours_fit_in_six_hundred_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
