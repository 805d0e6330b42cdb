/* Pass/fail criteria on a run's summary, k6's idea in our syntax:
 * `p99<200ms`, `error_rate<1%`, `rps>1000`, `dropped==0`. Expressions are
 * parsed before anything runs; after a run each is evaluated against the
 * run's pb_run_summary and printed with the measured value. */
#ifndef PB_THRESHOLD_H
#define PB_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "errors.h"
#include "run_summary.h"
#include "threshold_metric.h"

/* Longest expression accepted, terminator excluded. */
#define PB_THRESHOLD_MAX_EXPR 63

typedef enum pb_threshold_op {
    PB_THRESHOLD_LT,
    PB_THRESHOLD_LE,
    PB_THRESHOLD_GT,
    PB_THRESHOLD_GE,
    PB_THRESHOLD_EQ,
    PB_THRESHOLD_NE,
} pb_threshold_op;

/* One parsed expression; the caller owns the storage. */
typedef struct pb_threshold {
    char expr[PB_THRESHOLD_MAX_EXPR + 1]; /* as written, surrounding blanks trimmed */
    pb_threshold_metric_id metric;        /* a row of PB_THRESHOLD_METRIC_MAP */
    pb_threshold_kind kind;
    pb_threshold_op op;
    double limit; /* latency in us, fraction in 0..1, rate per s, a count, or %/h */
    bool abort;   /* written with ":abort": judged live, a failure ends the run */
} pb_threshold;

/* One evaluation. has_value is false when the summary has no data for the
 * metric (a latency or error rate when no request reached the server); such a
 * threshold fails, since nothing shows that it holds. */
typedef struct pb_threshold_result {
    bool pass;
    bool has_value;
    double value; /* in the same unit as pb_threshold.limit */
} pb_threshold_result;

/* Parse an expression such as "p99<200ms", or "p99<200ms:abort" to end the
 * run when it fails live. PB_EPARSE with a message naming the expression and
 * what was expected (also for ":abort" on a metric judged on the whole run
 * only). */
int pb_threshold_parse(const char *expr, pb_threshold *out, pb_err *err) PB_MUST_CHECK;

/* Whether t's metric can be judged on a trailing window of seconds while the
 * run goes (pb_trailing): every metric but retries, generator_bound and
 * p99_drift, which exist for the whole run only. */
bool pb_threshold_is_live(const pb_threshold *t);

/* Evaluate t against a run's summary. */
void pb_threshold_eval(const pb_threshold *t, const pb_run_summary *s, pb_threshold_result *out);

/* The measured value for people, in the metric's unit ("153.20ms", "3.52%",
 * "1204.3", "0", or "no data"); returns buf. */
const char *pb_threshold_format_value(const pb_threshold *t, const pb_threshold_result *r,
                                      char *buf, size_t len);

/* Evaluate every expression of a list against s: prints one line per
 * threshold on out (NULL = print nothing), each prefixed by `indent`, and
 * appends {"expr", "value", "pass"} objects to results (NULL = none; value is
 * null when there is no data). Returns the number of failed thresholds, or
 * PB_EPARSE if an expression does not parse (callers validate them first with
 * pb_threshold_parse, so that is a bug). This is what `run --threshold` and
 * `compare` call after a run. */
int pb_threshold_check_list(char *const *exprs, int n, const pb_run_summary *s, FILE *out,
                            const char *indent, json_t *results) PB_MUST_CHECK;

/* The run's summary as stored in runs.summary_json (pb_run_summary_to_json)
 * with, when n > 0, a "thresholds" array of {"expr", "value", "pass"} results
 * (malloc'd; NULL when out of memory). */
char *pb_threshold_summary_json(const pb_run_summary *s, char *const *exprs, int n);

#endif
