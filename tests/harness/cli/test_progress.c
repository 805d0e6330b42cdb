/* The progress line: what it shows and how often it is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "progress.h"

static void progress_line_shows_time_rate_and_pattern_state(void **state)
{
    pb_run_view v = {
        .elapsed = 3 * PB_USEC_PER_SEC,
        .duration = 10 * PB_USEC_PER_SEC,
        .sec_network = 200,
        .sec_failed = 10,
        .sec_answered = 190,
        .p50 = 1200,
        .p99 = 45000,
        .in_flight = 8,
        .pattern = {.limit = 16, .queue_depth = 3, .breaker = PB_BREAKER_OPEN},
    };
    char line[512];
    pb_progress_format(&v, line, sizeof(line));
    assert_non_null(strstr(line, "3.00s / 10.00s"));
    assert_non_null(strstr(line, "ETA 7.00s"));
    assert_non_null(strstr(line, "200 req/s"));
    assert_non_null(strstr(line, "err 5.0%"));
    assert_non_null(strstr(line, "p50 1.20ms"));
    assert_non_null(strstr(line, "p99 45.00ms"));
    assert_non_null(strstr(line, "in flight 8"));
    assert_non_null(strstr(line, "limit 16"));
    assert_non_null(strstr(line, "breaker open"));
    v.pattern.breaker = PB_BREAKER_NONE;
    pb_progress_format(&v, line, sizeof(line));
    assert_null(strstr(line, "breaker"));
    /* bound by a count: the ETA comes from the rate so far */
    pb_run_view c = {.elapsed = 2 * PB_USEC_PER_SEC, .rows = 100, .total_requests = 1000};
    pb_progress_format(&c, line, sizeof(line));
    assert_non_null(strstr(line, "100 / 1000 requests"));
    assert_non_null(strstr(line, "ETA 18.00s"));
}

/* A second in which nothing was answered has no latency: "-", not "0us"; and
 * a run with nothing left shows no "ETA 0us". */
static void a_second_without_an_answer_shows_no_latency_and_the_end_no_eta(void **state)
{
    pb_run_view v = {.elapsed = 5 * PB_USEC_PER_SEC,
                     .duration = 5 * PB_USEC_PER_SEC,
                     .sec_network = 6000,
                     .sec_failed = 6000};
    char line[512];
    pb_progress_format(&v, line, sizeof(line));
    assert_non_null(strstr(line, "5.00s / 5.00s  6000 req/s"));
    assert_non_null(strstr(line, "err 100.0%  p50 -  p99 -"));
    assert_null(strstr(line, "0us"));
    assert_null(strstr(line, "ETA"));
    pb_run_view c = {.elapsed = 2 * PB_USEC_PER_SEC, .rows = 1000, .total_requests = 1000};
    pb_progress_format(&c, line, sizeof(line));
    assert_non_null(strstr(line, "1000 / 1000 requests  0 req/s"));
    assert_null(strstr(line, "ETA"));
}

/* Why the rate fell: attempts the breaker rejected and backpressure dropped
 * per second; in open loop the corrected p99 beside the service p99. */
static void progress_line_shows_rejections_drops_and_the_corrected_p99(void **state)
{
    pb_run_view v = {.elapsed = 4 * PB_USEC_PER_SEC,
                     .duration = 30 * PB_USEC_PER_SEC,
                     .sec_rejected = 200,
                     .sec_dropped = 7,
                     .pattern = {.breaker = PB_BREAKER_OPEN}};
    char line[512];
    pb_progress_format(&v, line, sizeof(line));
    assert_non_null(strstr(line, "0 req/s"));
    assert_non_null(strstr(line, "rejected 200/s  dropped 7/s"));
    assert_non_null(strstr(line, "breaker open"));
    assert_null(strstr(line, "cp99"));
    pb_run_view o = {.elapsed = PB_USEC_PER_SEC,
                     .sec_network = 100,
                     .sec_answered = 100,
                     .p50 = 10000,
                     .p99 = 12000,
                     .cp99 = 250000,
                     .open_loop = true};
    pb_progress_format(&o, line, sizeof(line));
    assert_non_null(strstr(line, "p50 10.00ms  p99 12.00ms  cp99 0.25s"));
    assert_null(strstr(line, "rejected"));
    assert_null(strstr(line, "dropped"));
}

static size_t count_lines(const char *buf, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n' || buf[i] == '\r';
    return n;
}

static void progress_prints_every_second_on_a_tty_every_ten_otherwise(void **state)
{
    for (int tty = 0; tty <= 1; tty++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&buf, &len);
        assert_non_null(out);
        pb_progress p;
        pb_progress_init(&p, out, tty);
        for (int sec = 1; sec <= 25; sec++) {
            pb_run_view v = {.elapsed = (pb_usec)sec * PB_USEC_PER_SEC,
                             .duration = 30 * PB_USEC_PER_SEC};
            pb_progress_update(&p, &v);
        }
        pb_progress_finish(&p);
        fclose(out);
        /* tty: 25 in-place lines (\r each) and one final newline; else lines at 10 s and 20 s */
        assert_int_equal(count_lines(buf, len), tty ? 26 : 2);
        if (!tty)
            assert_non_null(strstr(buf, "20.00s / 30.00s"));
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(progress_line_shows_time_rate_and_pattern_state),
        cmocka_unit_test(a_second_without_an_answer_shows_no_latency_and_the_end_no_eta),
        cmocka_unit_test(progress_line_shows_rejections_drops_and_the_corrected_p99),
        cmocka_unit_test(progress_prints_every_second_on_a_tty_every_ten_otherwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
