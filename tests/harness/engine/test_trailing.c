/* pb_trailing: the last N closed seconds as a summary, what live thresholds
 * are judged on; the oldest second leaves a full window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tally.h"
#include "threshold.h"
#include "trailing.h"

/* One second of `n` answered attempts taking `us` each, `rejected` more
 * rejected by the breaker; pushed into w and closed. */
static void second(pb_tally *t, pb_trailing *w, int n, uint64_t us, int rejected)
{
    for (int i = 0; i < n; i++)
        pb_tally_add(t, &(pb_request_row){.total_us = us, .status = 200, .outcome = PB_OUTCOME_OK});
    for (int i = 0; i < rejected; i++)
        pb_tally_add(t, &(pb_request_row){.outcome = PB_OUTCOME_REJECTED_BY_BREAKER});
    assert_int_equal(pb_trailing_push(w, t), 0);
    pb_tally_second sec;
    pb_tally_roll_second(t, &sec);
    assert_int_equal(sec.rejected, (uint64_t)rejected);
}

static void the_window_holds_the_last_seconds_only(void **state)
{
    pb_tally t;
    pb_err err;
    assert_int_equal(pb_tally_init(&t, &err), 0);
    pb_trailing *w = NULL;
    assert_int_equal(pb_trailing_create(3, &w, &err), 0);
    /* two slow seconds, then three fast ones: the slow ones leave the window */
    second(&t, w, 100, 500000, 0);
    second(&t, w, 100, 500000, 0);
    const pb_run_summary *s = pb_trailing_summary(w);
    assert_int_equal(pb_trailing_seconds(w), 2);
    assert_true(s->p99 >= 499000 && s->p99 <= 501000);
    assert_int_equal(s->requests, 200);
    second(&t, w, 100, 2000, 50);
    s = pb_trailing_summary(w);
    assert_int_equal(pb_trailing_seconds(w), 3);
    assert_true(s->p50 >= 499000); /* 200 slow of 300 */
    second(&t, w, 100, 2000, 50);
    second(&t, w, 100, 2000, 50);
    s = pb_trailing_summary(w);
    assert_int_equal(pb_trailing_seconds(w), 3);
    assert_true(s->p99 >= 1990 && s->p99 <= 2010);
    assert_int_equal(s->requests, 450);
    assert_int_equal(s->network, 300);
    assert_int_equal(s->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER], 150);
    assert_float_equal(s->rps, 100.0, 1e-9);
    /* what a live threshold sees: the window, not the run */
    pb_threshold th;
    assert_int_equal(pb_threshold_parse("p99<200ms:abort", &th, &err), 0);
    assert_true(th.abort);
    pb_threshold_result r;
    pb_threshold_eval(&th, s, &r);
    assert_true(r.has_value && r.pass);
    assert_int_equal(pb_threshold_parse("rejected<100:abort", &th, &err), 0);
    pb_threshold_eval(&th, s, &r);
    assert_true(r.has_value && !r.pass);
    pb_trailing_destroy(w);
    pb_tally_cleanup(&t);
}

static void window_sizes_and_whole_run_metrics_are_refused(void **state)
{
    pb_trailing *w = NULL;
    pb_err err;
    assert_int_equal(pb_trailing_create(0, &w, &err), PB_ERANGE);
    assert_int_equal(pb_trailing_create(PB_TRAILING_MAX_SECONDS + 1, &w, &err), PB_ERANGE);
    pb_trailing_destroy(NULL);
    pb_threshold th;
    const char *whole[] = {"p99_drift<5%/h:abort", "retries<10:abort", "generator_bound==0:abort"};
    for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
        assert_int_equal(pb_threshold_parse(whole[i], &th, &err), PB_EPARSE);
        assert_non_null(strstr(err.msg, "judged on the whole run only"));
    }
    /* without the suffix they are fine, judged at the end */
    assert_int_equal(pb_threshold_parse("p99_drift<5%/h", &th, &err), 0);
    assert_false(th.abort);
    assert_false(pb_threshold_is_live(&th));
    assert_int_equal(pb_threshold_parse("p99<200ms:abort", &th, &err), 0);
    assert_string_equal(th.expr, "p99<200ms:abort");
    assert_float_equal(th.limit, 200000, 0);
    assert_int_equal(pb_threshold_parse("p99<:abort", &th, &err), PB_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_window_holds_the_last_seconds_only),
        cmocka_unit_test(window_sizes_and_whole_run_metrics_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
