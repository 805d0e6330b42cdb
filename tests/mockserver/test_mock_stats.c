/* The counters written out: every row of the counter and gauge tables
 * reaches the JSON, /metrics and `patternbench mock`'s lines with its value,
 * and the metric names users query stay what they were. */
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

/* Rows of the counter and gauge tables, with the metric each goes to. */
typedef struct row {
    const char *key, *metric, *label_name, *label;
    long long value;
} row;

static const char *const metric_names[] = {
#define METRIC_NAME(e, name, type, label, help) name,
    PB_MOCK_METRIC_MAP(METRIC_NAME)
#undef METRIC_NAME
};

enum {
#define METRIC_ENUM(e, name, type, label, help) M_##e,
    PB_MOCK_METRIC_MAP(METRIC_ENUM)
#undef METRIC_ENUM
};

static const char *const metric_labels[] = {
#define METRIC_LABEL(e, name, type, label, help) label,
    PB_MOCK_METRIC_MAP(METRIC_LABEL)
#undef METRIC_LABEL
};

/* A snapshot whose every counter and gauge holds a different value, and its rows. */
static int distinct_stats(pb_mock_stats *s, row *rows)
{
    int n = 0;
    memset(s, 0, sizeof(*s));
#define COUNTER_ROW(counter, metric, label)                                                        \
    s->counter = 1000 + (uint64_t)n;                                                               \
    rows[n] = (row){#counter, metric_names[M_##metric], metric_labels[M_##metric], label,          \
                    (long long)s->counter};                                                        \
    n++;
    PB_MOCK_COUNTER_MAP(COUNTER_ROW)
#undef COUNTER_ROW
#define GAUGE_ROW(gauge, type, metric, merge)                                                      \
    s->gauge = (type)(10 + n);                                                                     \
    rows[n] = (row){#gauge, metric_names[M_##metric], "", "", (long long)s->gauge};                \
    n++;
    PB_MOCK_GAUGE_MAP(GAUGE_ROW)
#undef GAUGE_ROW
    s->status[200] = 7;
    s->status[503] = 8;
    return n;
}

static void every_row_is_in_the_json(void **state)
{
    pb_mock_stats s;
    row rows[64];
    int n = distinct_stats(&s, rows);
    char *text = pb_mock_stats_to_json(&s);
    assert_non_null(text);
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    for (int i = 0; i < n; i++) {
        json_t *v = json_object_get(j, rows[i].key);
        if (v == NULL)
            fail_msg("\"%s\" is missing from %s", rows[i].key, text);
        assert_int_equal(json_integer_value(v), rows[i].value);
    }
    json_t *status = json_object_get(j, "status");
    assert_int_equal(json_integer_value(json_object_get(status, "200")), 7);
    assert_int_equal(json_integer_value(json_object_get(status, "503")), 8);
    assert_int_equal(json_object_size(status), 2);
    assert_int_equal(json_object_size(j), n + 1); /* the rows and "status", nothing else */
    json_decref(j);
    free(text);
}

static void every_row_is_in_the_metrics(void **state)
{
    pb_mock_stats s;
    row rows[64];
    int n = distinct_stats(&s, rows);
    char *text = pb_mock_stats_to_prometheus(&s);
    assert_non_null(text);
    char line[256];
    /* each metric: one HELP and one TYPE line, then its samples */
    for (size_t m = 0; m < sizeof(metric_names) / sizeof(metric_names[0]); m++) {
        snprintf(line, sizeof(line), "# HELP %s ", metric_names[m]);
        char *help = strstr(text, line);
        assert_non_null(help);
        assert_null(strstr(help + 1, line));
        snprintf(line, sizeof(line), "# TYPE %s ", metric_names[m]);
        assert_non_null(strstr(help, line));
    }
    for (int i = 0; i < n; i++) {
        if (rows[i].label[0] == '\0')
            snprintf(line, sizeof(line), "\n%s %lld\n", rows[i].metric, rows[i].value);
        else
            snprintf(line, sizeof(line), "\n%s{%s=\"%s\"} %lld\n", rows[i].metric,
                     rows[i].label_name, rows[i].label, rows[i].value);
        if (strstr(text, line) == NULL)
            fail_msg("%s (\"%s\") is missing from\n%s", line + 1, rows[i].key, text);
    }
    assert_non_null(strstr(text, "\npb_mock_responses_total{status=\"503\"} 8\n"));
    free(text);
}

/* The names dashboards and tests query: renaming one breaks them. */
static void metric_names_stay_as_users_know_them(void **state)
{
    pb_mock_stats s;
    memset(&s, 0, sizeof(s));
    s.requests = 9;
    s.slow_bodies = 4;
    s.bad_requests = 2;
    s.resent_hangs = 1;
    s.queued = 3;
    s.phase = 2;
    s.status[429] = 5;
    char *text = pb_mock_stats_to_prometheus(&s);
    assert_non_null(text);
    static const char *const lines[] = {
        "# TYPE pb_mock_requests_total counter\npb_mock_requests_total 9\n",
        "\npb_mock_outcomes_total{outcome=\"ok\"} 0\n",
        "\npb_mock_outcomes_total{outcome=\"error\"} 0\n",
        "\npb_mock_outcomes_total{outcome=\"rejected_capacity\"} 0\n",
        "\npb_mock_outcomes_total{outcome=\"rate_limited\"} 0\n",
        "\npb_mock_outcomes_total{outcome=\"reset\"} 0\n",
        "\npb_mock_outcomes_total{outcome=\"hang\"} 0\n",
        "\npb_mock_outcomes_total{outcome=\"slow_body\"} 4\n",
        "\npb_mock_outcomes_total{outcome=\"malformed\"} 0\n",
        "\npb_mock_outcomes_total{outcome=\"bad_request\"} 2\n",
        "\npb_mock_responses_total{status=\"429\"} 5\n",
        "\npb_mock_resent_total{outcome=\"reset\"} 0\n",
        "\npb_mock_resent_total{outcome=\"hang\"} 1\n",
        "# TYPE pb_mock_in_flight gauge\npb_mock_in_flight 0\n",
        "# TYPE pb_mock_queued gauge\npb_mock_queued 3\n",
        "# TYPE pb_mock_phase gauge\npb_mock_phase 2\n",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        if (strstr(text, lines[i]) == NULL)
            fail_msg("\"%s\" is missing from\n%s", lines[i], text);
    free(text);
}

static void printed_lines_are_the_counters_then_the_statuses(void **state)
{
    pb_mock_stats s;
    row rows[64];
    distinct_stats(&s, rows);
    char expect[4096];
    size_t off = 0;
    int n = 0;
#define EXPECT_LINE(counter, metric, label)                                                        \
    off += (size_t)snprintf(expect + off, sizeof(expect) - off, "%s %lld\n", rows[n].key,          \
                            rows[n].value);                                                        \
    n++;
    PB_MOCK_COUNTER_MAP(EXPECT_LINE)
#undef EXPECT_LINE
    snprintf(expect + off, sizeof(expect) - off, "status 200 7\nstatus 503 8\n");
    char got[4096] = {0};
    FILE *f = fmemopen(got, sizeof(got) - 1, "w");
    assert_non_null(f);
    assert_int_equal(pb_mock_stats_print(&s, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(got, expect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_row_is_in_the_json),
        cmocka_unit_test(every_row_is_in_the_metrics),
        cmocka_unit_test(metric_names_stay_as_users_know_them),
        cmocka_unit_test(printed_lines_are_the_counters_then_the_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
