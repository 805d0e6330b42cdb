/* The threshold metric table: every name and alias is found, the help list
 * names each metric, and the stored units read back to their kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "threshold_metric.h"

static void every_metric_is_found_by_its_name(void **state)
{
    for (int i = 0; i < PB_THRESHOLD_METRIC_COUNT; i++) {
        const pb_threshold_metric *m = pb_threshold_metric_get((pb_threshold_metric_id)i);
        pb_threshold_metric_id id;
        assert_int_equal(pb_threshold_metric_find(m->name, strlen(m->name), &id), 0);
        assert_int_equal(id, i);
        /* and named in the help list */
        assert_non_null(strstr(pb_threshold_metric_names(), m->name));
        /* live metrics are kept per second, so they need no whole-run figure */
        if (!m->live)
            assert_true(i == PB_THRESHOLD_M_RETRIES || i == PB_THRESHOLD_M_GENERATOR_BOUND ||
                        i == PB_THRESHOLD_M_P99_DRIFT);
    }
}

static void names_are_read_from_the_start_of_an_expression(void **state)
{
    pb_threshold_metric_id id;
    const char *expr = "p99.9<=1.5s";
    assert_int_equal(pb_threshold_metric_find(expr, strcspn(expr, "<>=!"), &id), 0);
    assert_int_equal(id, PB_THRESHOLD_M_P999);
    expr = "p99<200ms";
    assert_int_equal(pb_threshold_metric_find(expr, 3, &id), 0);
    assert_int_equal(id, PB_THRESHOLD_M_P99);
    assert_int_equal(pb_threshold_metric_find(expr, 2, &id), PB_ENOENT);
    assert_int_equal(pb_threshold_metric_find("p99_drift", 9, &id), 0);
    assert_int_equal(id, PB_THRESHOLD_M_P99_DRIFT);
    assert_int_equal(pb_threshold_kind_unit(pb_threshold_metric_get(id)->kind)[0], 'p');
    assert_int_equal(pb_threshold_metric_find("latency", 7, &id), PB_ENOENT);
}

static void help_lists_the_metrics_in_order_with_their_notes(void **state)
{
    const char *names = pb_threshold_metric_names();
    assert_true(strncmp(names, "min, mean, p50", 14) == 0);
    assert_non_null(strstr(names, "p999 (or p99.9), max"));
    assert_non_null(strstr(names, "generator_bound (1 or 0)"));
}

/* The units are stored in runs.summary_json: pinned as written today. */
static void stored_units_read_back_to_their_kinds(void **state)
{
    const struct {
        pb_threshold_kind kind;
        const char *unit;
    } pinned[] = {{PB_THRESHOLD_LATENCY, "us"},
                  {PB_THRESHOLD_FRACTION, "fraction"},
                  {PB_THRESHOLD_RATE, "per_s"},
                  {PB_THRESHOLD_COUNT, "count"},
                  {PB_THRESHOLD_DRIFT, "pct_per_h"}};
    for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
        assert_string_equal(pb_threshold_kind_unit(pinned[i].kind), pinned[i].unit);
        pb_threshold_kind k;
        assert_int_equal(pb_threshold_kind_from_unit(pinned[i].unit, &k), 0);
        assert_int_equal(k, pinned[i].kind);
    }
    pb_threshold_kind k;
    assert_int_equal(pb_threshold_kind_from_unit("ms", &k), PB_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_metric_is_found_by_its_name),
        cmocka_unit_test(names_are_read_from_the_start_of_an_expression),
        cmocka_unit_test(help_lists_the_metrics_in_order_with_their_notes),
        cmocka_unit_test(stored_units_read_back_to_their_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
