/* The per-second rollup: which second a request lands in, when seconds are
 * written, and how late requests are merged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rollup.h"

#define MAX_EMITS 64

struct emitted {
    uint64_t sec, count, ok, http_error, rejected, retries, bytes, hist_count, p50, lost, cascaded;
    bool late, marked;
    uint32_t lim;
};

struct sink {
    struct emitted e[MAX_EMITS];
    int n;
    int fail_with; /* make the next emit fail */
};

static int collect(void *data, int64_t run_id, const pb_rollup_second *s, bool late)
{
    struct sink *k = data;
    assert_int_equal(run_id, 7);
    assert_true(k->n < MAX_EMITS);
    if (k->fail_with != 0) {
        int rc = k->fail_with;
        k->fail_with = 0;
        return rc;
    }
    k->e[k->n++] = (struct emitted){
        .sec = s->row.sec,
        .count = s->row.count,
        .ok = s->row.outcomes[PB_OUTCOME_OK],
        .http_error = s->row.outcomes[PB_OUTCOME_HTTP_ERROR],
        .rejected = s->row.outcomes[PB_OUTCOME_REJECTED_BY_BREAKER],
        .retries = s->row.retries,
        .bytes = s->row.bytes,
        .hist_count = pb_hist_count(s->hist),
        .p50 = pb_hist_percentile(s->hist, 50),
        .lost = s->row.lost,
        .cascaded = s->row.cascaded,
        .late = late,
        .marked = s->row.marked,
        .lim = (uint32_t)s->row.lim,
    };
    return 0;
}

static pb_rollup *make(struct sink *k)
{
    memset(k, 0, sizeof(*k));
    pb_rollup *ru = NULL;
    assert_int_equal(pb_rollup_create(7, collect, k, &ru), 0);
    return ru;
}

/* A request that ended at `end_us` after running `total_us`. */
static pb_request_row row_ending(uint64_t end_us, uint64_t total_us, pb_outcome outcome)
{
    return (pb_request_row){.run_id = 7,
                            .t_us = end_us - total_us - 10,
                            .wait_us = 10,
                            .total_us = total_us,
                            .status = 200,
                            .outcome = (uint8_t)outcome,
                            .bytes = 100};
}

static void add(pb_rollup *ru, pb_request_row row)
{
    assert_int_equal(pb_rollup_add(ru, &row), 0);
}

static void mark(pb_rollup *ru, uint64_t sec, uint32_t lim)
{
    pb_second_mark m = {.run_id = 7, .sec = sec, .lim = lim, .phase = -1};
    assert_int_equal(pb_rollup_mark(ru, &m), 0);
}

/* A request counts in the second it ended, not the one it started. */
static void second_of_a_row_is_its_end(void **state)
{
    pb_request_row r = {.t_us = 900000, .wait_us = 50000, .total_us = 60000};
    assert_int_equal(pb_rollup_row_second(&r), 1);
    r.total_us = 49999;
    assert_int_equal(pb_rollup_row_second(&r), 0);
}

/* A mark for second M writes seconds up to M - grace, each exactly once, in
 * order, with their counts, outcomes and the state the mark carried. */
static void marks_close_seconds_after_the_grace(void **state)
{
    struct sink k;
    pb_rollup *ru = make(&k);
    for (uint64_t s = 0; s < 6; s++) {
        for (uint64_t i = 0; i < 10 + s; i++)
            add(ru, row_ending(s * 1000000 + 1000 + i, 2000 + s,
                               i == 0 ? PB_OUTCOME_HTTP_ERROR : PB_OUTCOME_OK));
        mark(ru, s, 100 + (uint32_t)s);
        uint64_t expect_written = s >= PB_ROLLUP_GRACE ? s - PB_ROLLUP_GRACE + 1 : 0;
        assert_int_equal(k.n, expect_written);
    }
    for (int i = 0; i < k.n; i++) {
        assert_int_equal(k.e[i].sec, i);
        assert_int_equal(k.e[i].count, 10 + i);
        assert_int_equal(k.e[i].http_error, 1);
        assert_int_equal(k.e[i].ok, 9 + i);
        assert_int_equal(k.e[i].bytes, 100 * (10 + i));
        assert_int_equal(k.e[i].p50, 2000 + i);
        assert_true(k.e[i].marked);
        assert_int_equal(k.e[i].lim, 100 + i);
        assert_false(k.e[i].late);
    }
    assert_int_equal(pb_rollup_flush(ru), 0);
    assert_int_equal(k.n, 6);
    assert_int_equal(k.e[5].count, 15);
    assert_int_equal(pb_rollup_late_rows(ru), 0);
    pb_rollup_destroy(ru);
}

/* Within the grace a request ending in an earlier second still lands there;
 * after it, it comes out as a late delta to merge. */
static void late_rows_are_merged_not_lost(void **state)
{
    struct sink k;
    pb_rollup *ru = make(&k);
    add(ru, row_ending(100, 50, PB_OUTCOME_OK));
    mark(ru, 0, 1);
    mark(ru, 1, 1);
    add(ru, row_ending(200, 50, PB_OUTCOME_OK)); /* second 0, still open */
    assert_int_equal(k.n, 0);
    mark(ru, 2, 1); /* closes second 0 */
    assert_int_equal(k.n, 1);
    assert_int_equal(k.e[0].count, 2);

    add(ru, row_ending(300, 70, PB_OUTCOME_HTTP_ERROR)); /* second 0 again: late */
    add(ru, row_ending(400, 70, PB_OUTCOME_OK));
    assert_int_equal(k.n, 1);
    mark(ru, 3, 1); /* closes second 1 and writes the late delta for 0 */
    assert_int_equal(k.n, 3);
    assert_int_equal(k.e[1].sec, 1);
    assert_false(k.e[1].late);
    assert_int_equal(k.e[2].sec, 0);
    assert_true(k.e[2].late);
    assert_int_equal(k.e[2].count, 2);
    assert_int_equal(k.e[2].http_error, 1);
    assert_false(k.e[2].marked); /* the stored state stays */
    assert_int_equal(pb_rollup_late_rows(ru), 2);

    /* late rows for two different seconds: the first is written when the second arrives */
    add(ru, row_ending(1000100, 70, PB_OUTCOME_OK));
    add(ru, row_ending(500, 70, PB_OUTCOME_OK));
    assert_int_equal(k.n, 4);
    assert_int_equal(k.e[3].sec, 1);
    assert_true(k.e[3].late);
    assert_int_equal(pb_rollup_flush(ru), 0);
    assert_int_equal(k.e[k.n - 1].sec, 0);
    assert_true(k.e[k.n - 1].late);
    pb_rollup_destroy(ru);
}

/* Without marks, a request far ahead pushes old seconds out; a jump past the
 * whole window writes what was open and nothing for the empty seconds. */
static void rows_far_ahead_move_the_window(void **state)
{
    struct sink k;
    pb_rollup *ru = make(&k);
    add(ru, row_ending(500000, 10, PB_OUTCOME_OK));
    add(ru, row_ending(2500000, 10, PB_OUTCOME_OK));
    add(ru, row_ending((PB_ROLLUP_SLOTS + 1) * 1000000ULL, 10, PB_OUTCOME_OK));
    assert_int_equal(k.n, 1); /* second 0 went out, second 2 is still open */
    assert_int_equal(k.e[0].sec, 0);
    add(ru, row_ending(1000 * 1000000ULL, 10, PB_OUTCOME_OK));
    assert_int_equal(k.n, 3);
    assert_int_equal(k.e[1].sec, 2);
    assert_int_equal(k.e[2].sec, PB_ROLLUP_SLOTS + 1);
    assert_int_equal(pb_rollup_flush(ru), 0);
    assert_int_equal(k.n, 4);
    assert_int_equal(k.e[3].sec, 1000);
    assert_int_equal(k.e[3].count, 1);
    pb_rollup_destroy(ru);
}

/* Rejections and drops are counted but never reached the network: they stay
 * out of the latency histogram. Retries are counted. */
static void rejections_are_not_latencies(void **state)
{
    struct sink k;
    pb_rollup *ru = make(&k);
    add(ru, row_ending(1000, 0, PB_OUTCOME_REJECTED_BY_BREAKER));
    add(ru, row_ending(1000, 0, PB_OUTCOME_DROPPED_BY_BACKPRESSURE));
    pb_request_row retry = row_ending(2000, 500, PB_OUTCOME_OK);
    retry.attempt = 2;
    add(ru, retry);
    assert_int_equal(pb_rollup_flush(ru), 0);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.e[0].count, 3);
    assert_int_equal(k.e[0].rejected, 1);
    assert_int_equal(k.e[0].hist_count, 1);
    assert_int_equal(k.e[0].p50, 500);
    assert_int_equal(k.e[0].retries, 1);
    pb_rollup_destroy(ru);
}

static void lost(pb_rollup *ru, uint64_t t_us, uint64_t n, uint64_t cascaded)
{
    assert_int_equal(pb_rollup_lost(ru, t_us, n, cascaded), 0);
}

/* A batch's lost results count in the second of the `lost` event, whatever
 * the seconds its requests ended in; two in one second add up; a second that
 * holds nothing else still comes out; and one arriving after its second was
 * written comes out as a late delta for that second. */
static void lost_results_land_in_the_second_of_their_event(void **state)
{
    struct sink k;
    pb_rollup *ru = make(&k);
    add(ru, row_ending(900000, 50, PB_OUTCOME_OK));
    lost(ru, 999999, 9, 7); /* a batch ending just before second 1 */
    lost(ru, 1000000, 4, 4);
    lost(ru, 1500000, 5, 0);
    lost(ru, 3200000, 2, 1); /* second 3: no request ended there */
    mark(ru, 0, 1);
    mark(ru, 1, 1);
    mark(ru, 2, 1); /* writes second 0 */
    assert_int_equal(k.n, 1);
    assert_int_equal(k.e[0].sec, 0);
    assert_int_equal(k.e[0].count, 1);
    assert_int_equal(k.e[0].lost, 9);
    assert_int_equal(k.e[0].cascaded, 7);
    mark(ru, 3, 1); /* writes second 1 */
    assert_int_equal(k.n, 2);
    assert_int_equal(k.e[1].sec, 1);
    assert_int_equal(k.e[1].count, 0);
    assert_int_equal(k.e[1].lost, 9);
    assert_int_equal(k.e[1].cascaded, 4);
    assert_false(k.e[1].late);

    /* second 0 was written: this event comes out as a delta, with the next mark */
    lost(ru, 400000, 3, 2);
    assert_int_equal(k.n, 2);
    mark(ru, 4, 1); /* writes second 2, then the late delta for 0 */
    assert_int_equal(k.n, 4);
    assert_int_equal(k.e[2].sec, 2);
    assert_int_equal(k.e[2].lost, 0);
    assert_int_equal(k.e[3].sec, 0);
    assert_true(k.e[3].late);
    assert_int_equal(k.e[3].count, 0);
    assert_int_equal(k.e[3].lost, 3);
    assert_int_equal(k.e[3].cascaded, 2);
    assert_false(k.e[3].marked); /* the stored state stays */
    /* an event is not a row */
    assert_int_equal(pb_rollup_late_rows(ru), 0);

    assert_int_equal(pb_rollup_flush(ru), 0);
    assert_int_equal(k.e[4].sec, 3);
    assert_int_equal(k.e[4].lost, 2);
    assert_int_equal(k.e[4].cascaded, 1);
    uint64_t total = 0;
    for (int i = 0; i < k.n; i++)
        total += k.e[i].lost;
    assert_int_equal(total, 9 + 4 + 5 + 2 + 3);
    pb_rollup_destroy(ru);
}

/* A failing write is passed back, the seconds behind it are not tried again
 * (the recorder has stopped writing), and the window keeps moving. */
static void emit_errors_propagate(void **state)
{
    struct sink k;
    pb_rollup *ru = make(&k);
    add(ru, row_ending(1000, 10, PB_OUTCOME_OK));
    add(ru, row_ending(1001000, 10, PB_OUTCOME_OK));
    k.fail_with = PB_EFULL;
    pb_second_mark m = {.run_id = 7, .sec = 3, .phase = -1};
    assert_int_equal(pb_rollup_mark(ru, &m), PB_EFULL);
    assert_int_equal(k.n, 0);
    assert_int_equal(pb_rollup_flush(ru), 0);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.e[0].sec, 3);
    pb_rollup_destroy(ru);
    pb_rollup_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(second_of_a_row_is_its_end),
        cmocka_unit_test(marks_close_seconds_after_the_grace),
        cmocka_unit_test(late_rows_are_merged_not_lost),
        cmocka_unit_test(rows_far_ahead_move_the_window),
        cmocka_unit_test(rejections_are_not_latencies),
        cmocka_unit_test(lost_results_land_in_the_second_of_their_event),
        cmocka_unit_test(emit_errors_propagate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
