/* The run summary: counting rows, percentiles against exact values, the JSON
 * stored in runs.summary_json and the printed table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mock_stats.h"
#include "run_summary.h"
#include "tally.h"

static pb_request_row row(uint8_t outcome, uint16_t status, uint64_t wait, uint64_t total)
{
    pb_request_row r = {
        .outcome = outcome, .status = status, .wait_us = wait, .total_us = total, .bytes = 100};
    return r;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void rejections_count_as_rows_but_not_as_traffic(void **state)
{
    pb_tally t;
    assert_int_equal(pb_tally_init(&t, NULL), 0);
    for (int i = 0; i < 90; i++) {
        pb_request_row r = row(PB_OUTCOME_OK, 200, 0, 1000);
        pb_tally_add(&t, &r);
    }
    for (int i = 0; i < 10; i++) {
        pb_request_row r = row(PB_OUTCOME_HTTP_ERROR, 503, 0, 1000);
        pb_tally_add(&t, &r);
    }
    for (int i = 0; i < 50; i++) {
        pb_request_row r = row(PB_OUTCOME_REJECTED_BY_BREAKER, 0, 0, 0);
        pb_tally_add(&t, &r);
    }
    pb_run_summary s;
    memset(&s, 0, sizeof(s));
    pb_tally_fill(&t, 2.0, &s);
    assert_int_equal(s.requests, 150);
    assert_int_equal(s.network, 100);
    assert_int_equal(s.failed, 10);
    assert_int_equal(s.outcomes[PB_OUTCOME_OK], 90);
    assert_int_equal(s.outcomes[PB_OUTCOME_HTTP_ERROR], 10);
    assert_int_equal(s.outcomes[PB_OUTCOME_REJECTED_BY_BREAKER], 50);
    assert_int_equal(s.status_counts[200], 90);
    assert_int_equal(s.status_counts[503], 10);
    assert_true(s.rps > 49.99 && s.rps < 50.01);
    assert_true(s.error_rate > 0.0999 && s.error_rate < 0.1001);
    /* a rejection's zero latency does not drag the percentiles down */
    assert_true(s.min >= 999 && s.min <= 1001);
    assert_int_equal(s.bytes, 100 * 100);
    pb_tally_cleanup(&t);
}

static void percentiles_match_exact_values_within_three_digits(void **state)
{
    enum { N = 20000 };
    pb_tally t;
    assert_int_equal(pb_tally_init(&t, NULL), 0);
    uint64_t *svc = malloc(N * sizeof(*svc)), *corr = malloc(N * sizeof(*corr));
    assert_non_null(svc);
    assert_non_null(corr);
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t total = 200 + x % 50000, wait = (x >> 32) % 3000;
        svc[i] = total;
        corr[i] = total + wait;
        pb_request_row r = row(PB_OUTCOME_OK, 200, wait, total);
        pb_tally_add(&t, &r);
    }
    pb_run_summary s;
    memset(&s, 0, sizeof(s));
    pb_tally_fill(&t, 1.0, &s);
    qsort(svc, N, sizeof(*svc), cmp_u64);
    qsort(corr, N, sizeof(*corr), cmp_u64);
    struct {
        pb_usec got;
        uint64_t *v;
        double p;
    } checks[] = {{s.p50, svc, 50},    {s.p90, svc, 90},   {s.p99, svc, 99},
                  {s.p999, svc, 99.9}, {s.cp50, corr, 50}, {s.cp99, corr, 99}};
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        size_t rank = (size_t)(checks[i].p / 100.0 * N + 0.5);
        double exact = (double)checks[i].v[rank - 1];
        double rel = ((double)checks[i].got - exact) / exact;
        assert_true(rel > -0.001 && rel < 0.001);
    }
    assert_int_equal(s.min, svc[0]);
    assert_true((double)s.max >= (double)svc[N - 1] && (double)s.max <= svc[N - 1] * 1.001);
    free(svc);
    free(corr);
    pb_tally_cleanup(&t);
}

static void a_second_closes_with_its_own_figures(void **state)
{
    pb_tally t;
    assert_int_equal(pb_tally_init(&t, NULL), 0);
    for (int i = 0; i < 100; i++) {
        pb_request_row r = row(i < 25 ? PB_OUTCOME_TIMEOUT : PB_OUTCOME_OK, i < 25 ? 0 : 200, 0,
                               (uint64_t)(i + 1) * 100);
        pb_tally_add(&t, &r);
    }
    pb_tally_second sec;
    pb_tally_roll_second(&t, &sec);
    assert_int_equal(sec.network, 100);
    assert_int_equal(sec.failed, 25);
    /* the timeouts got no answer: their times are no latency of the server's */
    assert_int_equal(sec.answered, 75);
    assert_true(sec.p50 >= 6290 && sec.p50 <= 6310);
    assert_true(sec.p99 >= 9990 && sec.p99 <= 10010);
    pb_request_row r = row(PB_OUTCOME_OK, 200, 0, 7);
    pb_tally_add(&t, &r);
    pb_tally_roll_second(&t, &sec);
    assert_int_equal(sec.network, 1);
    assert_int_equal(sec.failed, 0);
    assert_int_equal(sec.p99, 7);
    assert_int_equal(t.network, 101); /* the run's totals keep everything */
    assert_int_equal(t.answered, 76);
    pb_run_summary s;
    memset(&s, 0, sizeof(s));
    pb_tally_fill(&t, 1.0, &s);
    assert_int_equal(s.min, 7);
    assert_int_equal(s.answered, 76);
    pb_tally_cleanup(&t);
}

static void summary_json_has_the_documented_keys(void **state)
{
    pb_run_summary *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->run_id = 7;
    snprintf(s->status, sizeof(s->status), "interrupted");
    s->requests = 12;
    s->network = 10;
    s->answered = 9;
    s->outcomes[PB_OUTCOME_OK] = 9;
    s->outcomes[PB_OUTCOME_RESET] = 1;
    s->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] = 2;
    s->status_counts[200] = 9;
    s->p99 = 1234;
    s->cp99 = 2345;
    s->pattern.rejected = 2;
    s->pattern.lost = 5;
    s->pattern.cascaded = 4;
    s->phase_sent[0] = 4;
    s->phase_sent[1] = 6;
    snprintf(s->errors[PB_OUTCOME_RESET], sizeof(s->errors[0]), "Recv failure: reset");
    char *text = pb_run_summary_to_json(s);
    assert_non_null(text);
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "requests")), 12);
    assert_string_equal(json_string_value(json_object_get(j, "run_status")), "interrupted");
    json_t *outcomes = json_object_get(j, "outcomes");
    assert_int_equal(json_integer_value(json_object_get(outcomes, "ok")), 9);
    assert_int_equal(json_integer_value(json_object_get(outcomes, "reset")), 1);
    assert_int_equal(json_integer_value(json_object_get(outcomes, "rejected_by_breaker")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "status"), "200")), 9);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "latency_us"), "p99")),
                     1234);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "corrected_latency_us"), "p99")),
        2345);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "pattern"), "rejected")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "pattern"), "lost")), 5);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "pattern"), "cascaded")), 4);
    assert_int_equal(json_array_size(json_object_get(j, "phase_sent")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "errors"), "reset")),
                        "Recv failure: reset");
    assert_non_null(json_object_get(j, "writer_stalls"));
    assert_null(json_object_get(j, "server")); /* no built-in mock in this run */
    json_decref(j);
    free(text);
    free(s);
}

/* A run against the built-in mock carries the mock's own stats JSON, the
 * same object GET /__admin/stats answers, under "server". */
static void server_is_the_mocks_own_json(void **state)
{
    pb_run_summary *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->has_server = true;
    s->server.requests = 20;
    s->server.ok = 12;
    s->server.errors = 3;
    s->server.rejected_capacity = 1;
    s->server.rate_limited = 1;
    s->server.resets = 2;
    s->server.slow_bodies = 1;
    s->server.resent_resets = 1;
    s->server.status[200] = 13;
    s->server.status[503] = 4;
    char *text = pb_run_summary_to_json(s);
    assert_non_null(text);
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    json_t *server = json_object_get(j, "server");
    assert_non_null(server);
    json_t *mock = pb_mock_stats_json(&s->server);
    assert_non_null(mock);
    assert_true(json_equal(server, mock));
    /* the keys the summary had before it reused the mock's writer */
    assert_int_equal(json_integer_value(json_object_get(server, "requests")), 20);
    assert_int_equal(json_integer_value(json_object_get(server, "ok")), 12);
    assert_int_equal(json_integer_value(json_object_get(server, "errors")), 3);
    assert_int_equal(json_integer_value(json_object_get(server, "rejected_capacity")), 1);
    assert_int_equal(json_integer_value(json_object_get(server, "rate_limited")), 1);
    assert_int_equal(json_integer_value(json_object_get(server, "resets")), 2);
    assert_int_equal(json_integer_value(json_object_get(server, "hangs")), 0);
    assert_int_equal(json_integer_value(json_object_get(server, "slow_bodies")), 1);
    assert_int_equal(json_integer_value(json_object_get(server, "malformed")), 0);
    json_decref(mock);
    json_decref(j);
    free(text);
    free(s);
}

/* When nothing was answered (nothing listening at the target), the summary
 * says so in words and shows no latency; the JSON holds none. */
static void a_run_without_an_answer_says_so_and_has_no_latency(void **state)
{
    pb_tally t;
    assert_int_equal(pb_tally_init(&t, NULL), 0);
    for (int i = 0; i < 500; i++) {
        pb_request_row r = row(PB_OUTCOME_CONNECT_ERROR, 0, 0, 294);
        pb_tally_add(&t, &r);
    }
    pb_run_summary *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    pb_tally_fill(&t, 1.0, s);
    pb_tally_cleanup(&t);
    snprintf(s->target, sizeof(s->target), "http://127.0.0.1:1/");
    snprintf(s->errors[PB_OUTCOME_CONNECT_ERROR], sizeof(s->errors[0]), "Couldn't connect");
    assert_int_equal(s->network, 500);
    assert_int_equal(s->answered, 0);
    assert_int_equal(s->p50, 0);
    char why[512];
    assert_true(pb_run_summary_unanswered(s, why, sizeof(why)));
    assert_string_equal(why, "no request got an answer from http://127.0.0.1:1/: 500 connect_error "
                             "(Couldn't connect)");
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    pb_run_summary_print(s, NULL, out);
    fclose(out);
    assert_non_null(strstr(buf, "latency     none: no request got an answer"));
    assert_null(strstr(buf, "p50"));
    free(buf);
    char *text = pb_run_summary_to_json(s);
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "answered")), 0);
    assert_int_equal(json_object_size(json_object_get(j, "latency_us")), 0);
    assert_int_equal(json_object_size(json_object_get(j, "corrected_latency_us")), 0);
    json_decref(j);
    free(text);
    /* one answer, even an error status, is an answer */
    s->answered = 1;
    assert_false(pb_run_summary_unanswered(s, why, sizeof(why)));
    free(s);
}

static void the_table_names_outcomes_and_the_run(void **state)
{
    pb_run_summary *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->run_id = 42;
    snprintf(s->status, sizeof(s->status), "completed");
    snprintf(s->pattern_name, sizeof(s->pattern_name), "breaker");
    s->requests = 3;
    s->network = 2;
    s->answered = 2;
    s->outcomes[PB_OUTCOME_OK] = 2;
    s->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] = 1;
    s->p50 = 1500;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    pb_run_summary_print(s, "x.db", out);
    fclose(out);
    assert_non_null(strstr(buf, "completed run of breaker"));
    assert_non_null(strstr(buf, "rejected_by_breaker 1"));
    assert_non_null(strstr(buf, "p50 1.50ms"));
    assert_non_null(strstr(buf, "run 42 in x.db"));
    free(buf);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rejections_count_as_rows_but_not_as_traffic),
        cmocka_unit_test(percentiles_match_exact_values_within_three_digits),
        cmocka_unit_test(a_second_closes_with_its_own_figures),
        cmocka_unit_test(summary_json_has_the_documented_keys),
        cmocka_unit_test(server_is_the_mocks_own_json),
        cmocka_unit_test(a_run_without_an_answer_says_so_and_has_no_latency),
        cmocka_unit_test(the_table_names_outcomes_and_the_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
