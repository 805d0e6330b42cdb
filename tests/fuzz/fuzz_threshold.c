/* Threshold expressions (harness/engine/threshold.h) as `--threshold` and
 * scenarios take them: an accepted expression must parse again from the text
 * it keeps, and evaluate, format and serialise against a summary with data
 * and one without. */
#include <jansson.h>

#include "fuzz.h"
#include "threshold.h"

static void evaluate(const pb_threshold *t, char *expr, const pb_run_summary *s)
{
    pb_threshold_result r;
    pb_threshold_eval(t, s, &r);
    char buf[64];
    pb_threshold_format_value(t, &r, buf, sizeof(buf));
    FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);

    json_t *results = json_array();
    FUZZ_CHECK(results != NULL);
    char *const exprs[] = {expr};
    int failed = pb_threshold_check_list(exprs, 1, s, NULL, "", results);
    FUZZ_CHECK(failed == (r.pass ? 0 : 1));
    FUZZ_CHECK(json_array_size(results) == 1);
    json_decref(results);
    char *json = pb_threshold_summary_json(s, exprs, 1);
    FUZZ_CHECK(json != NULL);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *expr = fuzz_cstr(data, len);
    pb_err err = {0};
    pb_threshold t;
    int rc = pb_threshold_parse(expr, &t, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        free(expr);
        return 0;
    }
    FUZZ_CHECK(strlen(t.expr) <= PB_THRESHOLD_MAX_EXPR);
    pb_threshold again;
    FUZZ_CHECK(pb_threshold_parse(t.expr, &again, NULL) == 0);
    FUZZ_CHECK(strcmp(again.expr, t.expr) == 0 && again.metric == t.metric && again.op == t.op &&
               again.kind == t.kind && again.limit == t.limit);

    /* static: the summary is large, and the fuzzer calls this in one thread */
    static pb_run_summary none, some;
    memset(&none, 0, sizeof(none));
    memset(&some, 0, sizeof(some));
    some.requests = some.network = 1000;
    some.failed = 7;
    some.error_rate = 0.007;
    some.duration_s = 2.5;
    some.rps = 400;
    some.min = 150;
    some.p50 = 2000;
    some.p90 = some.p95 = 9000;
    some.p99 = some.p999 = some.max = some.cp99 = 250000;
    some.cp50 = 2100;
    some.mean = 3456.5;
    some.outcomes[0] = 993;
    evaluate(&t, expr, &none);
    evaluate(&t, expr, &some);
    free(expr);
    return 0;
}
