/* The Prometheus page: families once each with HELP and TYPE, cumulative
 * buckets that end in +Inf = count, counters that never go down between
 * snapshots, label values escaped as the text format wants, and a page that
 * promtool accepts (skipped without promtool). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "live_page.h"
#include "metrics_page.h"
#include "tally.h"
#include "scrape.h"

/* A run's tally and view, filled by hand. */
struct fake {
    pb_tally tally;
    pb_run_view view;
};

static void fake_init(struct fake *f, const char *label)
{
    pb_err err;
    assert_int_equal(pb_tally_init(&f->tally, &err), 0);
    f->view = (pb_run_view){.run_id = 7,
                            .label = label,
                            .pattern_name = "breaker",
                            .tally = &f->tally,
                            .phase = 1,
                            .recording = true,
                            .in_flight = 3};
    f->view.pattern.breaker = PB_BREAKER_OPEN;
}

static void add(struct fake *f, int n, pb_usec total_us, uint16_t status, pb_outcome o)
{
    for (int i = 0; i < n; i++) {
        pb_request_row row = {.total_us = total_us, .status = status, .outcome = (uint8_t)o};
        pb_tally_add(&f->tally, &row);
    }
    f->view.rows = f->tally.rows;
}

static char *page_of(struct fake *f, size_t n)
{
    pb_metrics_run *runs = calloc(n, sizeof(*runs));
    assert_non_null(runs);
    for (size_t i = 0; i < n; i++)
        pb_metrics_run_from_view(&f[i].view, &runs[i]);
    pb_metrics_process proc = {.rss_bytes = 1 << 20, .cpu_seconds = 0.25};
    size_t len = 0;
    char *page = pb_metrics_page(runs, n, &proc, &len);
    free(runs);
    assert_non_null(page);
    assert_int_equal(strlen(page), len);
    return page;
}

/* The value of the sample line that starts with `series ` (name and labels). */
static double sample(const char *page, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = page; p != NULL && *p != '\0';) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    fail_msg("no sample %s in the page", series);
    return 0;
}

static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

#define RUN "run_id=\"7\",label=\"breaker-a\",pattern=\"breaker\""

static void families_buckets_and_values(void **state)
{
    struct fake f;
    fake_init(&f, "breaker-a");
    add(&f, 5, 80, 200, PB_OUTCOME_OK);           /* 80 us */
    add(&f, 3, 2000, 503, PB_OUTCOME_HTTP_ERROR); /* 2 ms */
    add(&f, 2, 0, 0, PB_OUTCOME_REJECTED_BY_BREAKER);
    add(&f, 1, 45000000, 0, PB_OUTCOME_TIMEOUT); /* 45 s */
    char *page = page_of(&f, 1);

    /* every family's HELP and TYPE once, and before its first sample */
    static const char *const families[] = {"patternbench_requests_total",
                                           "patternbench_responses_total",
                                           "patternbench_request_duration_seconds",
                                           "patternbench_breaker_state",
                                           "patternbench_in_flight",
                                           "patternbench_mock_phase",
                                           "patternbench_recorder_backlog",
                                           "process_resident_memory_bytes",
                                           "process_cpu_seconds_total"};
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        char help[128], type[128], first[128];
        snprintf(help, sizeof(help), "# HELP %s ", families[i]);
        snprintf(type, sizeof(type), "# TYPE %s ", families[i]);
        snprintf(first, sizeof(first), "\n%s", families[i]);
        assert_int_equal(occurrences(page, help), 1);
        assert_int_equal(occurrences(page, type), 1);
        assert_true(strstr(page, type) < strstr(strstr(page, type), first));
    }
    assert_non_null(strstr(page, "# TYPE patternbench_requests_total counter\n"));
    assert_non_null(strstr(page, "# TYPE patternbench_request_duration_seconds histogram\n"));
    assert_non_null(strstr(page, "# TYPE patternbench_in_flight gauge\n"));

    assert_true(sample(page, "patternbench_requests_total{" RUN ",outcome=\"ok\"}") == 5);
    assert_true(
        sample(page, "patternbench_requests_total{" RUN ",outcome=\"rejected_by_breaker\"}") == 2);
    assert_true(sample(page, "patternbench_responses_total{" RUN ",status=\"503\"}") == 3);
    assert_null(strstr(page, "status=\"0\""));
    assert_true(sample(page, "patternbench_breaker_state{" RUN ",state=\"open\"}") == 1);
    assert_true(sample(page, "patternbench_breaker_state{" RUN ",state=\"closed\"}") == 0);
    assert_true(sample(page, "patternbench_mock_phase{" RUN "}") == 1);
    assert_true(sample(page, "patternbench_in_flight{" RUN "}") == 3);

    /* buckets: cumulative in seconds, +Inf = count = answered attempts (the 45 s
     * timeout got no answer, so it has no latency, as in the summary) */
#define BUCKET(le)                                                                                 \
    sample(page, "patternbench_request_duration_seconds_bucket{" RUN ",le=\"" le "\"}")
    assert_true(BUCKET("0.0001") == 5);
    assert_true(BUCKET("0.001") == 5);
    assert_true(BUCKET("0.0025") == 8);
    assert_true(BUCKET("30") == 8);
    assert_true(BUCKET("60") == 8);
    assert_true(BUCKET("+Inf") == 8);
#undef BUCKET
    assert_true(sample(page, "patternbench_request_duration_seconds_count{" RUN "}") == 8);
    assert_float_equal(sample(page, "patternbench_request_duration_seconds_sum{" RUN "}"),
                       (5 * 80 + 3 * 2000) / 1e6, 1e-9);
    double prev = -1;
    for (const char *p = page;
         (p = strstr(p, "patternbench_request_duration_seconds_bucket{")) != NULL; p++) {
        double v = strtod(strchr(p, '}') + 2, NULL);
        assert_true(v >= prev);
        prev = v;
    }
    free(page);
    pb_tally_cleanup(&f.tally);
}

/* A later snapshot of the same run never shows a smaller counter. */
static void counters_never_go_down(void **state)
{
    struct fake f;
    fake_init(&f, "breaker-a");
    add(&f, 10, 300, 200, PB_OUTCOME_OK);
    char *before = page_of(&f, 1);
    add(&f, 4, 30000, 200, PB_OUTCOME_OK);
    add(&f, 1, 300, 0, PB_OUTCOME_RESET);
    char *after = page_of(&f, 1);
    int counters = 0;
    for (const char *p = before; *p != '\0'; p = strchr(p, '\n') + 1) {
        const char *brace = strchr(p, '{');
        const char *end = strchr(p, '\n');
        if (*p != '#' && brace != NULL && brace < end &&
            (strncmp(brace - 6, "_total", 6) == 0 || strncmp(brace - 7, "_bucket", 7) == 0 ||
             strncmp(brace - 6, "_count", 6) == 0 || strncmp(brace - 4, "_sum", 4) == 0)) {
            char series[512];
            size_t n = (size_t)(strchr(p, ' ') - p);
            assert_true(n < sizeof(series));
            memcpy(series, p, n);
            series[n] = '\0';
            assert_true(sample(after, series) >= sample(before, series));
            counters++;
        }
    }
    assert_true(counters > 40);
    assert_true(sample(after, "patternbench_requests_total{" RUN ",outcome=\"ok\"}") == 14);
    free(before);
    free(after);
    pb_tally_cleanup(&f.tally);
}

/* Backslash, double quote and line feed in a label value are escaped; two
 * runs are two series of each family, under one HELP and TYPE. */
static void labels_are_escaped_and_runs_are_series(void **state)
{
    struct fake f[2];
    fake_init(&f[0], "say \"hi\"\\now\nthen");
    fake_init(&f[1], "second");
    f[1].view.run_id = 8;
    f[1].view.phase = -1;        /* --target: no phase series */
    f[1].view.recording = false; /* --no-record: no recorder series */
    add(&f[0], 1, 100, 200, PB_OUTCOME_OK);
    add(&f[1], 2, 100, 200, PB_OUTCOME_OK);
    char *page = page_of(f, 2);
    assert_non_null(strstr(page, "label=\"say \\\"hi\\\"\\\\now\\nthen\""));
    assert_int_equal(occurrences(page, "# TYPE patternbench_requests_total counter"), 1);
    assert_true(sample(page, "patternbench_requests_total{run_id=\"8\",label=\"second\","
                             "pattern=\"breaker\",outcome=\"ok\"}") == 2);
    assert_int_equal(occurrences(page, "patternbench_mock_phase{"), 1);
    assert_int_equal(occurrences(page, "patternbench_recorder_backlog{"), 1);
    free(page);
    pb_tally_cleanup(&f[0].tally);
    pb_tally_cleanup(&f[1].tally);
}

/* With no run yet the page holds the process's figures only. */
static void an_empty_page_has_the_process(void **state)
{
    pb_metrics_process proc;
    pb_metrics_process_read(&proc);
    assert_true(proc.rss_bytes > 0);
    size_t len;
    char *page = pb_metrics_page(NULL, 0, &proc, &len);
    assert_non_null(page);
    assert_null(strstr(page, "patternbench_"));
    assert_non_null(strstr(page, "process_resident_memory_bytes "));
    free(page);
}

/* /live.json, the live page's feed: valid JSON holding the last run, its
 * label escaped, its requests the sum of its outcomes (the rows), the
 * buckets as the page's /metrics writes them; "run": null before any run. */
static void the_live_feed_is_the_last_run(void **state)
{
    struct fake f[2];
    fake_init(&f[0], "first");
    fake_init(&f[1], "say \"hi\"\\now\nthen");
    f[1].view.run_id = 8;
    f[1].view.phase = -1;
    add(&f[0], 9, 100, 200, PB_OUTCOME_OK);
    add(&f[1], 5, 80, 200, PB_OUTCOME_OK);
    add(&f[1], 3, 2000, 503, PB_OUTCOME_HTTP_ERROR);
    add(&f[1], 2, 0, 0, PB_OUTCOME_REJECTED_BY_BREAKER);
    pb_metrics_run runs[2];
    for (int i = 0; i < 2; i++)
        pb_metrics_run_from_view(&f[i].view, &runs[i]);
    pb_metrics_process proc = {.rss_bytes = 1 << 20, .cpu_seconds = 0.25};
    size_t len = 0;
    char *text = pb_live_json(runs, 2, &proc, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (root == NULL)
        fail_msg("not JSON (%s): %s", jerr.text, text);
    json_t *run = json_object_get(root, "run");
    assert_int_equal(json_integer_value(json_object_get(run, "run_id")), 8);
    assert_string_equal(json_string_value(json_object_get(run, "label")), "say \"hi\"\\now\nthen");
    assert_int_equal(json_integer_value(json_object_get(run, "requests")), 10);
    json_t *outcomes = json_object_get(run, "outcomes");
    assert_int_equal(json_integer_value(json_object_get(outcomes, "http_error")), 3);
    assert_int_equal(json_integer_value(json_object_get(outcomes, "rejected_by_breaker")), 2);
    assert_string_equal(json_string_value(json_object_get(run, "breaker")), "open");
    assert_true(json_is_null(json_object_get(run, "phase"))); /* --target: no mock phase */
    /* 80 us answers are half and more of the 8 answered: p50 in the first bucket */
    assert_true(json_integer_value(json_object_get(run, "p50_us")) <= 100);
    assert_true(json_integer_value(json_object_get(run, "p99_us")) >= 1900);
    json_t *le = json_object_get(root, "le_us"), *counts = json_object_get(run, "service_le");
    assert_int_equal(json_array_size(le), PB_METRICS_BUCKETS);
    assert_int_equal(json_array_size(counts), PB_METRICS_BUCKETS + 1);
    assert_int_equal(json_integer_value(json_array_get(counts, 0)), 5); /* <= 100 us */
    assert_int_equal(json_integer_value(json_array_get(counts, PB_METRICS_BUCKETS)), 8);
    json_decref(root);
    free(text);

    text = pb_live_json(NULL, 0, &proc, &len);
    assert_non_null(text);
    root = json_loads(text, 0, &jerr);
    assert_non_null(root);
    assert_true(json_is_null(json_object_get(root, "run")));
    assert_true(json_real_value(json_object_get(root, "cpu_seconds")) == 0.25);
    json_decref(root);
    free(text);
    pb_tally_cleanup(&f[0].tally);
    pb_tally_cleanup(&f[1].tally);
}

/* promtool check metrics: the format and Prometheus's naming conventions. */
/* The value of the series named `name` in a /page.json point (its charts say
 * where it is); asserts the series is there. */
static json_t *series_value(json_t *feed, json_t *point, const char *name)
{
    size_t c, k;
    json_t *chart, *series;
    json_array_foreach(json_object_get(feed, "charts"), c, chart)
        json_array_foreach(json_object_get(chart, "series"), k,
                           series) if (strcmp(json_string_value(json_array_get(series, 1)), name) ==
                                       0) return json_array_get(point,
                                                                3 + (size_t)json_integer_value(
                                                                        json_array_get(series, 0)));
    fail_msg("no series %s in the feed", name);
    return NULL;
}

/* A figure's text in the feed's head. */
static const char *figure(json_t *feed, const char *id)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(feed, "figures"), i,
                       f) if (strcmp(json_string_value(json_array_get(f, 0)), id) ==
                              0) return json_string_value(json_array_get(f, 2));
    fail_msg("no figure %s in the feed", id);
    return NULL;
}

/* /page.json: a second between two snapshots is one point whose rates,
 * unserved share, CPU and latency quantiles (interpolated in the histogram's
 * buckets) are the second's, shaded in a mock phase; the head's figures are
 * the run's and that second's; the whole run only when asked. */
static void the_page_feed_draws_the_second_between_snapshots(void **state)
{
    (void)state;
    struct fake f;
    fake_init(&f, "feed");
    pb_metrics_run *was = calloc(1, sizeof(*was)), *now = calloc(1, sizeof(*now));
    assert_non_null(was);
    assert_non_null(now);
    add(&f, 90, 2000, 200, PB_OUTCOME_OK);
    add(&f, 10, 300000, 503, PB_OUTCOME_HTTP_ERROR);
    f.view.elapsed = PB_USEC_PER_SEC;
    pb_metrics_run_from_view(&f.view, now);
    pb_live_point p;
    pb_live_run_point(was, 1.0, now, 1.5, &p);
    char *head = pb_live_run_head(now, &p);
    assert_non_null(head);
    size_t len = 0;
    char *text = pb_live_feed(&pb_live_run_source, head, &p, 1, NULL, 0, 1, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (j == NULL)
        fail_msg("/page.json is not JSON (%s): %s", jerr.text, text);
    assert_null(json_object_get(j, "whole"));
    assert_string_equal(json_string_value(json_object_get(j, "key")), "run 7");
    json_t *point = json_array_get(json_object_get(j, "recent"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "recent")), 1);
    assert_true(json_real_value(json_array_get(point, 0)) == 1.0);     /* ends at 1 s */
    assert_true(json_real_value(json_array_get(point, 1)) == 1.0);     /* lasts 1 s */
    assert_int_equal(json_integer_value(json_array_get(point, 2)), 1); /* phase 1: shaded */
    assert_true(json_number_value(series_value(j, point, "attempts/s")) == 100);
    assert_true(json_number_value(series_value(j, point, "goodput/s")) == 90);
    assert_true(json_number_value(series_value(j, point, "http error")) == 10);
    assert_true(json_is_null(series_value(j, point, "ok")));
    assert_true(json_number_value(series_value(j, point, "CPU %")) == 50);
    /* p50: rank 50 of the 90 answers in (1 ms, 2.5 ms]; p99: rank 99, the 9th
     * of the 10 in (250 ms, 500 ms] */
    double p50 = json_number_value(series_value(j, point, "p50"));
    double p99 = json_number_value(series_value(j, point, "p99"));
    assert_true(p50 > 1.833 && p50 < 1.834);
    assert_true(p99 > 474.99 && p99 < 475.01);
    assert_string_equal(figure(j, "requests"), "100");
    assert_string_equal(figure(j, "goodput"), "90.0");
    assert_string_equal(figure(j, "unserved"), "10.0 %");
    assert_string_equal(figure(j, "cpu"), "50 %");
    json_decref(j);
    free(text);

    text = pb_live_feed(&pb_live_run_source, head, NULL, 0, &p, 1, 2, &len);
    j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "whole")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "stride")), 2);
    json_decref(j);
    free(text);
    free(head);

    head = pb_live_run_head(NULL, NULL);
    text = pb_live_feed(&pb_live_run_source, head, NULL, 0, NULL, 0, 1, &len);
    j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "key")));
    json_decref(j);
    free(text);
    free(head);
    free(was);
    free(now);
    pb_tally_cleanup(&f.tally);
}

static void promtool_accepts_the_page(void **state)
{
    if (access(scrape_promtool(), X_OK) != 0) {
        printf("promtool not installed (scripts/install-deps.sh --test installs prometheus): "
               "skipped\n");
        skip();
    }
    struct fake f[2];
    fake_init(&f[0], "with \"quotes\"");
    fake_init(&f[1], "plain");
    f[1].view.run_id = 8;
    add(&f[0], 3, 100, 200, PB_OUTCOME_OK);
    add(&f[1], 3, 5000, 503, PB_OUTCOME_HTTP_ERROR);
    char *page = page_of(f, 2);
    assert_int_equal(scrape_promtool_check(page), 0); /* promtool prints what it finds wrong */
    free(page);
    pb_tally_cleanup(&f[0].tally);
    pb_tally_cleanup(&f[1].tally);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(families_buckets_and_values),
        cmocka_unit_test(counters_never_go_down),
        cmocka_unit_test(labels_are_escaped_and_runs_are_series),
        cmocka_unit_test(an_empty_page_has_the_process),
        cmocka_unit_test(promtool_accepts_the_page),
        cmocka_unit_test(the_live_feed_is_the_last_run),
        cmocka_unit_test(the_page_feed_draws_the_second_between_snapshots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
