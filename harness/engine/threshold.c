#include "threshold.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "json_out.h"
#include "units.h"

/* The value of a metric in a run's summary (see pb_threshold_eval for when
 * it has none). */
static double metric_value(pb_threshold_metric_id id, const pb_run_summary *s)
{
    switch (id) {
    case PB_THRESHOLD_M_MIN:
        return (double)s->min;
    case PB_THRESHOLD_M_MEAN:
        return s->mean;
    case PB_THRESHOLD_M_P50:
        return (double)s->p50;
    case PB_THRESHOLD_M_P90:
        return (double)s->p90;
    case PB_THRESHOLD_M_P95:
        return (double)s->p95;
    case PB_THRESHOLD_M_P99:
        return (double)s->p99;
    case PB_THRESHOLD_M_P999:
        return (double)s->p999;
    case PB_THRESHOLD_M_MAX:
        return (double)s->max;
    case PB_THRESHOLD_M_CP50:
        return (double)s->cp50;
    case PB_THRESHOLD_M_CP99:
        return (double)s->cp99;
    case PB_THRESHOLD_M_ERROR_RATE:
        return s->error_rate;
    case PB_THRESHOLD_M_RPS:
        return s->rps;
    case PB_THRESHOLD_M_REQUESTS:
        return (double)s->requests;
    case PB_THRESHOLD_M_OK:
        return (double)s->outcomes[PB_OUTCOME_OK];
    case PB_THRESHOLD_M_TIMEOUTS:
        return (double)s->outcomes[PB_OUTCOME_TIMEOUT];
    case PB_THRESHOLD_M_REJECTED:
        return (double)s->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER];
    case PB_THRESHOLD_M_DROPPED:
        return (double)s->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE];
    case PB_THRESHOLD_M_RETRIES:
        return (double)s->pattern.retries;
    case PB_THRESHOLD_M_GENERATOR_BOUND:
        return s->harness.generator_bound ? 1.0 : 0.0;
    case PB_THRESHOLD_M_P99_DRIFT:
        return s->p99_drift.pct_per_h;
    case PB_THRESHOLD_METRIC_COUNT: /* not a metric; a new row without its case warns here */
        break;
    }
    assert(!"a metric of PB_THRESHOLD_METRIC_MAP has no value");
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_metric_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

/* Operators, longest first so that "<=" is not read as "<". */
static const struct op {
    const char *text;
    pb_threshold_op op;
} ops[] = {{"<=", PB_THRESHOLD_LE}, {">=", PB_THRESHOLD_GE}, {"==", PB_THRESHOLD_EQ},
           {"!=", PB_THRESHOLD_NE}, {"<", PB_THRESHOLD_LT},  {">", PB_THRESHOLD_GT}};

static int parse_limit(const char *value, const char *metric, pb_threshold_kind kind, double *out,
                       pb_err *err)
{
    pb_err inner;
    int rc;
    switch (kind) {
    case PB_THRESHOLD_LATENCY: {
        pb_usec us;
        rc = pb_parse_duration(value, metric, &us, &inner);
        if (rc == 0) {
            *out = (double)us;
            return 0;
        }
        return pb_err_set(err, PB_EPARSE,
                          "%s is a latency: expected a duration with a unit such as 200ms or 1.5s, "
                          "got \"%s\"",
                          metric, value);
    }
    case PB_THRESHOLD_FRACTION:
        rc = pb_parse_fraction(value, metric, out, &inner);
        if (rc == 0)
            return 0;
        return pb_err_set(err, PB_EPARSE,
                          "%s is a fraction: expected a percentage such as 1%% or a fraction from "
                          "0 to 1 such as 0.01, got \"%s\"",
                          metric, value);
    case PB_THRESHOLD_RATE:
        rc = pb_parse_rate(value, metric, 0, 1e12, out, &inner);
        if (rc == 0)
            return 0;
        return pb_err_set(err, PB_EPARSE,
                          "%s is a rate: expected requests per second such as 1000 or 1.5k, "
                          "got \"%s\"",
                          metric, value);
    case PB_THRESHOLD_COUNT: {
        uint64_t n;
        rc = pb_parse_u64(value, metric, 0, (uint64_t)1 << 53, &n, &inner);
        if (rc == 0) {
            *out = (double)n;
            return 0;
        }
        return pb_err_set(err, PB_EPARSE,
                          "%s is a count: expected a whole number such as 0, got \"%s\"", metric,
                          value);
    }
    case PB_THRESHOLD_DRIFT: {
        /* "5%/h", "5%" or "5": percent of the run's mean p99 per hour */
        char num[32];
        size_t n = strcspn(value, "%");
        const char *unit = value + n;
        if (n < sizeof(num) &&
            (*unit == '\0' || strcmp(unit, "%") == 0 || strcmp(unit, "%/h") == 0)) {
            memcpy(num, value, n);
            num[n] = '\0';
            if (pb_parse_double(num, metric, -1e6, 1e6, out, &inner) == 0)
                return 0;
        }
        return pb_err_set(err, PB_EPARSE,
                          "%s is a drift: expected percent of the mean per hour such as 5%%/h, "
                          "got \"%s\"",
                          metric, value);
    }
    }
    return pb_err_set(err, PB_EINVAL, "%s: unknown metric kind", metric);
}

bool pb_threshold_is_live(const pb_threshold *t)
{
    return pb_threshold_metric_get(t->metric)->live;
}

/* The length of the metric name that starts s. */
static size_t metric_len(const char *s)
{
    size_t n = 0;
    while (is_metric_char(s[n]))
        n++;
    return n;
}

static const char abort_suffix[] = ":abort";

static int parse(const char *expr, pb_threshold *out, pb_err *err)
{
    const char *p = expr;
    while (is_blank(*p))
        p++;
    size_t len = strlen(p);
    while (len > 0 && is_blank(p[len - 1]))
        len--;
    if (len == 0)
        return pb_err_set(err, PB_EPARSE,
                          "expected METRIC OPERATOR VALUE such as p99<200ms, got an empty string");
    if (len > PB_THRESHOLD_MAX_EXPR)
        return pb_err_set(err, PB_EPARSE, "expected at most %d characters, got %zu",
                          PB_THRESHOLD_MAX_EXPR, len);
    memcpy(out->expr, p, len);
    out->expr[len] = '\0';

    const char *s = out->expr;
    size_t mlen = metric_len(s);
    if (mlen == 0)
        return pb_err_set(err, PB_EPARSE,
                          "expected a metric name first (one of %s), as in p99<200ms",
                          pb_threshold_metric_names());
    char metric[32];
    if (mlen >= sizeof(metric))
        mlen = sizeof(metric) - 1;
    memcpy(metric, s, mlen);
    metric[mlen] = '\0';
    if (pb_threshold_metric_find(metric, mlen, &out->metric) != 0)
        return pb_err_set(err, PB_EPARSE, "unknown metric \"%s\"; expected one of %s", metric,
                          pb_threshold_metric_names());
    out->kind = pb_threshold_metric_get(out->metric)->kind;

    const char *q = s + mlen;
    while (is_blank(*q))
        q++;
    size_t oplen = 0;
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t n = strlen(ops[i].text);
        if (strncmp(q, ops[i].text, n) == 0) {
            out->op = ops[i].op;
            oplen = n;
            break;
        }
    }
    if (oplen == 0)
        return pb_err_set(err, PB_EPARSE,
                          "expected an operator (<, <=, >, >=, == or !=) after \"%s\", got \"%s\"",
                          metric, q);
    q += oplen;
    while (is_blank(*q))
        q++;
    /* "p99<200ms:abort": the limit ends before the suffix */
    char limit[PB_THRESHOLD_MAX_EXPR + 1];
    snprintf(limit, sizeof(limit), "%s", q);
    size_t n = strlen(limit), sn = strlen(abort_suffix);
    out->abort = n >= sn && strcmp(limit + n - sn, abort_suffix) == 0;
    if (out->abort) {
        limit[n - sn] = '\0';
        if (!pb_threshold_metric_get(out->metric)->live)
            return pb_err_set(err, PB_EPARSE,
                              "%s is judged on the whole run only, so it cannot end the run "
                              "early; drop \"%s\"",
                              metric, abort_suffix);
    }
    if (limit[0] == '\0')
        return pb_err_set(err, PB_EPARSE, "expected a value after the operator, as in %s<200ms",
                          metric);
    return parse_limit(limit, metric, out->kind, &out->limit, err);
}

int pb_threshold_parse(const char *expr, pb_threshold *out, pb_err *err)
{
    if (expr == NULL)
        return pb_err_set(err, PB_EPARSE, "threshold: expected an expression such as p99<200ms");
    int rc = parse(expr, out, err);
    if (rc != 0)
        pb_err_prefix(err, "threshold \"%s\"", expr);
    return rc;
}

void pb_threshold_eval(const pb_threshold *t, const pb_run_summary *s, pb_threshold_result *out)
{
    const pb_threshold_metric *m = pb_threshold_metric_get(t->metric);
    /* the population of errors: attempts that reached the network; of
     * latencies: those answered */
    out->has_value = (!m->needs_reached || s->network > 0) && (!m->needs_answer || s->answered > 0);
    /* the harness's figures exist once a run started; drift from 10 minutes on */
    if (t->metric == PB_THRESHOLD_M_GENERATOR_BOUND)
        out->has_value = s->has_harness;
    if (t->metric == PB_THRESHOLD_M_P99_DRIFT)
        out->has_value = out->has_value && s->has_harness &&
                         s->p99_drift.verdict != PB_DRIFT_UNKNOWN &&
                         isfinite(s->p99_drift.pct_per_h);
    out->value = out->has_value ? metric_value(t->metric, s) : 0.0;
    if (!out->has_value) {
        out->pass = false;
        return;
    }
    double v = out->value, lim = t->limit;
    switch (t->op) {
    case PB_THRESHOLD_LT:
        out->pass = v < lim;
        break;
    case PB_THRESHOLD_LE:
        out->pass = v <= lim;
        break;
    case PB_THRESHOLD_GT:
        out->pass = v > lim;
        break;
    case PB_THRESHOLD_GE:
        out->pass = v >= lim;
        break;
    case PB_THRESHOLD_EQ:
        out->pass = v == lim;
        break;
    case PB_THRESHOLD_NE:
        out->pass = v != lim;
        break;
    }
}

const char *pb_threshold_format_value(const pb_threshold *t, const pb_threshold_result *r,
                                      char *buf, size_t len)
{
    if (!r->has_value) {
        snprintf(buf, len, "no data");
        return buf;
    }
    switch (t->kind) {
    case PB_THRESHOLD_LATENCY:
        /* one unit across the whole sub-second range, to compare with limits */
        if (r->value < 1000.0)
            snprintf(buf, len, "%.0fus", r->value);
        else if (r->value < 1e6)
            snprintf(buf, len, "%.2fms", r->value / 1e3);
        else
            snprintf(buf, len, "%.3fs", r->value / 1e6);
        break;
    case PB_THRESHOLD_FRACTION:
        snprintf(buf, len, "%.2f%%", r->value * 100.0);
        break;
    case PB_THRESHOLD_RATE:
        snprintf(buf, len, "%.1f", r->value);
        break;
    case PB_THRESHOLD_COUNT:
        snprintf(buf, len, "%.0f", r->value);
        break;
    case PB_THRESHOLD_DRIFT:
        snprintf(buf, len, "%+.2f%%/h", r->value);
        break;
    }
    return buf;
}

static int append_result(json_t *results, const pb_threshold *t, const pb_threshold_result *r,
                         const char *text)
{
    json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:b}", "expr", t->expr, "value",
                          r->has_value ? json_real(r->value) : json_null(), "unit",
                          pb_threshold_kind_unit(t->kind), "text", text, "pass", r->pass);
    if (o == NULL || json_array_append_new(results, o) != 0)
        return PB_ENOMEM;
    return 0;
}

int pb_threshold_check_list(char *const *exprs, int n, const pb_run_summary *s, FILE *out,
                            const char *indent, json_t *results)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        pb_threshold t;
        pb_err err;
        if (pb_threshold_parse(exprs[i], &t, &err) != 0) {
            if (out != NULL)
                fprintf(out, "%s%s\n", indent ? indent : "", err.msg);
            return PB_EPARSE;
        }
        pb_threshold_result r;
        pb_threshold_eval(&t, s, &r);
        char value[32];
        pb_threshold_format_value(&t, &r, value, sizeof(value));
        if (out != NULL)
            fprintf(out, "%s%s  %-24s %.*s = %s\n", indent ? indent : "", r.pass ? "pass" : "FAIL",
                    t.expr, (int)metric_len(t.expr), t.expr, value);
        if (results != NULL && append_result(results, &t, &r, value) != 0)
            return PB_ENOMEM;
        if (!r.pass)
            failed++;
    }
    return failed;
}

char *pb_threshold_summary_json(const pb_run_summary *s, char *const *exprs, int n)
{
    char *text = pb_run_summary_to_json(s);
    if (text == NULL || n <= 0)
        return text;
    json_t *root = json_loads(text, 0, NULL);
    json_t *results = json_array();
    char *out = NULL;
    if (root != NULL && results != NULL &&
        pb_threshold_check_list(exprs, n, s, NULL, NULL, results) >= 0 &&
        json_object_set(root, "thresholds", results) == 0)
        out = pb_json_dumps(root, JSON_COMPACT);
    json_decref(results);
    json_decref(root);
    if (out == NULL)
        return text; /* the summary without its thresholds beats no summary */
    free(text);
    return out;
}
