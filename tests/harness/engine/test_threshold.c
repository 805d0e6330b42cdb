/* Threshold expressions: what parses, what is refused with which message,
 * and pass/fail against a run's summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "threshold.h"

static pb_threshold parse_ok(const char *expr)
{
    pb_threshold t;
    pb_err err = {0};
    int rc = pb_threshold_parse(expr, &t, &err);
    if (rc != 0)
        fail_msg("\"%s\" was refused: %s", expr, err.msg);
    return t;
}

static void documented_forms_parse_into_limits_in_base_units(void **state)
{
    pb_threshold t = parse_ok("p99<200ms");
    assert_int_equal(t.op, PB_THRESHOLD_LT);
    assert_int_equal(t.kind, PB_THRESHOLD_LATENCY);
    assert_float_equal(t.limit, 200000.0, 0);
    assert_string_equal(t.expr, "p99<200ms");

    t = parse_ok("p50<=20ms");
    assert_int_equal(t.op, PB_THRESHOLD_LE);
    assert_float_equal(t.limit, 20000.0, 0);

    t = parse_ok("error_rate<1%");
    assert_int_equal(t.kind, PB_THRESHOLD_FRACTION);
    assert_float_equal(t.limit, 0.01, 1e-12);
    t = parse_ok("error_rate<0.01");
    assert_float_equal(t.limit, 0.01, 1e-12);

    t = parse_ok("rps>1000");
    assert_int_equal(t.op, PB_THRESHOLD_GT);
    assert_int_equal(t.kind, PB_THRESHOLD_RATE);
    assert_float_equal(t.limit, 1000.0, 0);

    t = parse_ok("requests>=5000");
    assert_int_equal(t.op, PB_THRESHOLD_GE);
    assert_int_equal(t.kind, PB_THRESHOLD_COUNT);
    assert_float_equal(t.limit, 5000.0, 0);

    t = parse_ok("dropped==0");
    assert_int_equal(t.op, PB_THRESHOLD_EQ);
    t = parse_ok("rejected!=0");
    assert_int_equal(t.op, PB_THRESHOLD_NE);

    /* blanks around the parts are allowed and trimmed from the stored text */
    t = parse_ok("  p99.9 <  1.5s ");
    assert_string_equal(t.expr, "p99.9 <  1.5s");
    assert_float_equal(t.limit, 1500000.0, 0);

    const char *every[] = {"min>0us",    "mean<10ms",    "p90<1s",     "p95<1s",  "p999<2s",
                           "max<30s",    "cp50<1s",      "cp99<2s",    "ok>=1",   "timeouts==0",
                           "retries<10", "rejected<100", "dropped<=3", "rps>=0.5"};
    for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++)
        parse_ok(every[i]);
}

static void assert_refused(const char *expr, const char *expected_msg)
{
    pb_threshold t;
    pb_err err = {0};
    int rc = pb_threshold_parse(expr, &t, &err);
    if (rc != PB_EPARSE)
        fail_msg("\"%s\" gave %d, expected PB_EPARSE", expr, rc);
    if (strcmp(err.msg, expected_msg) != 0)
        fail_msg("\"%s\":\n  got      %s\n  expected %s", expr, err.msg, expected_msg);
}

static void bad_expressions_are_refused_naming_the_expression(void **state)
{
    assert_refused("p99<200", "threshold \"p99<200\": p99 is a latency: expected a duration with "
                              "a unit such as 200ms or 1.5s, got \"200\"");
    assert_refused("error_rate<150%",
                   "threshold \"error_rate<150%\": error_rate is a fraction: expected a "
                   "percentage such as 1% or a fraction from 0 to 1 such as 0.01, got \"150%\"");
    assert_refused("rps>fast", "threshold \"rps>fast\": rps is a rate: expected requests per "
                               "second such as 1000 or 1.5k, got \"fast\"");
    assert_refused("dropped==-1", "threshold \"dropped==-1\": dropped is a count: expected a "
                                  "whole number such as 0, got \"-1\"");
    assert_refused("p99=200ms", "threshold \"p99=200ms\": expected an operator (<, <=, >, >=, == "
                                "or !=) after \"p99\", got \"=200ms\"");
    assert_refused("p99<", "threshold \"p99<\": expected a value after the operator, as in "
                           "p99<200ms");
    assert_refused("", "threshold \"\": expected METRIC OPERATOR VALUE such as p99<200ms, got an "
                       "empty string");

    pb_threshold t;
    pb_err err = {0};
    assert_int_equal(pb_threshold_parse("p98<2ms", &t, &err), PB_EPARSE);
    assert_non_null(strstr(err.msg, "threshold \"p98<2ms\": unknown metric \"p98\"; expected one "
                                    "of min, mean, p50"));
    assert_int_equal(pb_threshold_parse("<2ms", &t, &err), PB_EPARSE);
    assert_non_null(strstr(err.msg, "expected a metric name first"));
    assert_int_equal(pb_threshold_parse("p99<200ms and more", &t, &err), PB_EPARSE);
    char longer[100];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(pb_threshold_parse(longer, &t, &err), PB_EPARSE);
    assert_non_null(strstr(err.msg, "expected at most 63 characters, got 99"));
    assert_int_equal(pb_threshold_parse(NULL, &t, &err), PB_EPARSE);
}

/* A run where 1000 requests were made: 980 reached the server, 20 were
 * rejected by the breaker; 2 % of those that reached it failed. */
static pb_run_summary sample_summary(void)
{
    pb_run_summary s;
    memset(&s, 0, sizeof(s));
    s.requests = 1000;
    s.outcomes[PB_OUTCOME_OK] = 960;
    s.outcomes[PB_OUTCOME_HTTP_ERROR] = 15;
    s.outcomes[PB_OUTCOME_TIMEOUT] = 5;
    s.outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] = 20;
    s.network = 980;
    s.failed = 20;
    s.answered = 975;
    s.error_rate = 20.0 / 980.0;
    s.duration_s = 1.0;
    s.rps = 980.0;
    s.min = 900;
    s.p50 = 5000;
    s.p90 = 40000;
    s.p95 = 80000;
    s.p99 = 150000;
    s.p999 = 400000;
    s.max = 2000000;
    s.mean = 12345.6;
    s.cp50 = 6000;
    s.cp99 = 250000;
    s.pattern.retries = 7;
    return s;
}

static bool passes(const char *expr, const pb_run_summary *s, double *value)
{
    pb_threshold t = parse_ok(expr);
    pb_threshold_result r;
    pb_threshold_eval(&t, s, &r);
    assert_true(r.has_value);
    if (value)
        *value = r.value;
    return r.pass;
}

static void evaluation_compares_the_measured_value(void **state)
{
    pb_run_summary s = sample_summary();
    double v;
    assert_true(passes("p99<200ms", &s, &v));
    assert_float_equal(v, 150000.0, 0);
    assert_false(passes("p99<100ms", &s, NULL));
    assert_false(passes("p99<150ms", &s, NULL)); /* strict */
    assert_true(passes("p99<=150ms", &s, NULL));
    assert_true(passes("p50<=5ms", &s, NULL));
    assert_true(passes("p90<41ms", &s, NULL));
    assert_false(passes("p95<80ms", &s, NULL));
    assert_true(passes("p999<0.5s", &s, NULL));
    assert_true(passes("p99.9<0.5s", &s, NULL));
    assert_false(passes("max<2s", &s, NULL));
    assert_true(passes("min>=900us", &s, NULL));
    assert_true(passes("mean<13ms", &s, &v));
    assert_float_equal(v, 12345.6, 1e-9);
    assert_false(passes("cp99<200ms", &s, NULL));
    assert_true(passes("cp50<7ms", &s, NULL));

    assert_false(passes("error_rate<1%", &s, &v));
    assert_float_equal(v, 20.0 / 980.0, 1e-12);
    assert_true(passes("error_rate<5%", &s, NULL));
    assert_false(passes("rps>1000", &s, NULL));
    assert_true(passes("rps>900", &s, NULL));

    assert_true(passes("requests==1000", &s, NULL));
    assert_true(passes("ok>=960", &s, NULL));
    assert_true(passes("timeouts<=5", &s, NULL));
    assert_false(passes("rejected==0", &s, NULL));
    assert_true(passes("rejected<21", &s, NULL));
    assert_true(passes("dropped==0", &s, NULL));
    assert_false(passes("dropped!=0", &s, NULL));
    assert_true(passes("retries>5", &s, NULL));
}

static void latency_without_any_request_on_the_wire_is_no_data_and_fails(void **state)
{
    /* a breaker that rejected everything has no latency to show: p99<200ms
     * must not pass just because p99 reads 0 */
    pb_run_summary s;
    memset(&s, 0, sizeof(s));
    s.requests = 50;
    s.outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] = 50;
    pb_threshold t = parse_ok("p99<200ms");
    pb_threshold_result r;
    pb_threshold_eval(&t, &s, &r);
    assert_false(r.has_value);
    assert_false(r.pass);
    char buf[32];
    assert_string_equal(pb_threshold_format_value(&t, &r, buf, sizeof(buf)), "no data");

    t = parse_ok("error_rate<1%");
    pb_threshold_eval(&t, &s, &r);
    assert_false(r.pass);
    /* counts and rates are measured even then */
    t = parse_ok("rejected==50");
    pb_threshold_eval(&t, &s, &r);
    assert_true(r.has_value);
    assert_true(r.pass);
    t = parse_ok("rps<1");
    pb_threshold_eval(&t, &s, &r);
    assert_true(r.pass);
}

static void values_are_formatted_in_the_metric_unit(void **state)
{
    pb_run_summary s = sample_summary();
    const struct {
        const char *expr, *text;
    } cases[] = {{"p99<1s", "150.00ms"},
                 {"error_rate<1%", "2.04%"},
                 {"rps>1", "980.0"},
                 {"requests>1", "1000"},
                 {"min<1s", "900us"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pb_threshold t = parse_ok(cases[i].expr);
        pb_threshold_result r;
        pb_threshold_eval(&t, &s, &r);
        char buf[32];
        assert_string_equal(pb_threshold_format_value(&t, &r, buf, sizeof(buf)), cases[i].text);
    }
}

static void a_list_prints_each_result_and_counts_failures(void **state)
{
    pb_run_summary s = sample_summary();
    char *exprs[] = {"p99<200ms", "error_rate<1%", "rps>1000", "dropped==0"};
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    json_t *results = json_array();
    int failed = pb_threshold_check_list(exprs, 4, &s, out, "  ", results);
    fclose(out);
    assert_int_equal(failed, 2);
    assert_non_null(strstr(text, "  pass  p99<200ms"));
    assert_non_null(strstr(text, "p99 = 150.00ms\n"));
    assert_non_null(strstr(text, "  FAIL  error_rate<1%"));
    assert_non_null(strstr(text, "error_rate = 2.04%\n"));
    assert_non_null(strstr(text, "  FAIL  rps>1000"));
    assert_non_null(strstr(text, "  pass  dropped==0"));

    assert_int_equal(json_array_size(results), 4);
    json_t *first = json_array_get(results, 0);
    assert_string_equal(json_string_value(json_object_get(first, "expr")), "p99<200ms");
    assert_float_equal(json_real_value(json_object_get(first, "value")), 150000.0, 0);
    assert_string_equal(json_string_value(json_object_get(first, "unit")), "us");
    assert_true(json_is_true(json_object_get(first, "pass")));
    assert_true(json_is_false(json_object_get(json_array_get(results, 1), "pass")));
    json_decref(results);
    free(text);

    /* all passing gives 0; an expression that does not parse is a caller bug */
    char *good[] = {"p99<1s"};
    assert_int_equal(pb_threshold_check_list(good, 1, &s, NULL, NULL, NULL), 0);
    char *bad[] = {"p99<1"};
    assert_int_equal(pb_threshold_check_list(bad, 1, &s, NULL, NULL, NULL), PB_EPARSE);
}

/* Every metric of the table has a value in a summary where each figure is
 * set (and distinct from 0), and a limit written in its kind parses. */
static void every_metric_of_the_table_is_judged(void **state)
{
    pb_run_summary s = sample_summary();
    s.outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE] = 3;
    s.has_harness = true;
    s.harness.generator_bound = true;
    s.p99_drift.verdict = PB_DRIFT_STABLE;
    s.p99_drift.pct_per_h = 1.5;
    static const char *const limit[] = {[PB_THRESHOLD_LATENCY] = "1ms",
                                        [PB_THRESHOLD_FRACTION] = "1%",
                                        [PB_THRESHOLD_RATE] = "10",
                                        [PB_THRESHOLD_COUNT] = "0",
                                        [PB_THRESHOLD_DRIFT] = "5%/h"};
    for (int i = 0; i < PB_THRESHOLD_METRIC_COUNT; i++) {
        const pb_threshold_metric *m = pb_threshold_metric_get((pb_threshold_metric_id)i);
        char expr[64];
        snprintf(expr, sizeof(expr), "%s>=%s", m->name, limit[m->kind]);
        pb_threshold t = parse_ok(expr);
        assert_int_equal(t.metric, i);
        assert_int_equal(t.kind, m->kind);
        pb_threshold_result r;
        pb_threshold_eval(&t, &s, &r);
        if (!r.has_value || r.value == 0.0)
            fail_msg("%s: no value from the summary", expr);
        assert_int_equal(pb_threshold_is_live(&t), m->live);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(documented_forms_parse_into_limits_in_base_units),
        cmocka_unit_test(bad_expressions_are_refused_naming_the_expression),
        cmocka_unit_test(evaluation_compares_the_measured_value),
        cmocka_unit_test(latency_without_any_request_on_the_wire_is_no_data_and_fails),
        cmocka_unit_test(values_are_formatted_in_the_metric_unit),
        cmocka_unit_test(a_list_prints_each_result_and_counts_failures),
        cmocka_unit_test(every_metric_of_the_table_is_judged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
