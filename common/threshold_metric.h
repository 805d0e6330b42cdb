/* The metrics a threshold names (`p99<200ms`, `error_rate<1%`), spelled once
 * for the engine that judges a run by them (harness/engine/threshold.c) and
 * the reports that show the stored verdicts. A metric is a row of
 * PB_THRESHOLD_METRIC_MAP; the engine adds how its value is read from a run's
 * summary. The unit names are stored (runs.summary_json "thresholds"[].unit):
 * never rename one. */
#ifndef PB_THRESHOLD_METRIC_H
#define PB_THRESHOLD_METRIC_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"

/* What a metric measures, which decides how its limit is written and the
 * unit its value is stored in: X(enum suffix, stored unit). */
#define PB_THRESHOLD_KIND_MAP(X)                                                                   \
    X(LATENCY, "us")        /* a duration with a unit: 200ms */                                    \
    X(FRACTION, "fraction") /* a percentage or fraction: 1% or 0.01 */                             \
    X(RATE, "per_s")        /* a number per second: 1000 */                                        \
    X(COUNT, "count")       /* a whole number: 0 */                                                \
    X(DRIFT, "pct_per_h")   /* percent of the mean per hour: 5%/h */

typedef enum pb_threshold_kind {
#define PB_THRESHOLD_KIND_ENUM(e, unit) PB_THRESHOLD_##e,
    PB_THRESHOLD_KIND_MAP(PB_THRESHOLD_KIND_ENUM)
#undef PB_THRESHOLD_KIND_ENUM
} pb_threshold_kind;

/* Every metric, in the order help lists them:
 *   X(enum suffix, name, kind, needs_reached, needs_answer, live, note)
 * needs_reached: no data unless some request reached the server (errors);
 * needs_answer: no data unless some request was answered (latencies);
 * live: kept per second too, so `:abort` can judge it on a trailing window;
 * note: what help says after the name. */
#define PB_THRESHOLD_METRIC_MAP(X)                                                                 \
    X(MIN, "min", LATENCY, true, true, true, "")                                                   \
    X(MEAN, "mean", LATENCY, true, true, true, "")                                                 \
    X(P50, "p50", LATENCY, true, true, true, "")                                                   \
    X(P90, "p90", LATENCY, true, true, true, "")                                                   \
    X(P95, "p95", LATENCY, true, true, true, "")                                                   \
    X(P99, "p99", LATENCY, true, true, true, "")                                                   \
    X(P999, "p999", LATENCY, true, true, true, " (or p99.9)")                                      \
    X(MAX, "max", LATENCY, true, true, true, "")                                                   \
    X(CP50, "cp50", LATENCY, true, true, true, "")                                                 \
    X(CP99, "cp99", LATENCY, true, true, true, " (corrected for coordinated omission)")            \
    X(ERROR_RATE, "error_rate", FRACTION, true, false, true, "")                                   \
    X(RPS, "rps", RATE, false, false, true, "")                                                    \
    X(REQUESTS, "requests", COUNT, false, false, true, "")                                         \
    X(OK, "ok", COUNT, false, false, true, "")                                                     \
    X(TIMEOUTS, "timeouts", COUNT, false, false, true, "")                                         \
    X(REJECTED, "rejected", COUNT, false, false, true, "")                                         \
    X(DROPPED, "dropped", COUNT, false, false, true, "")                                           \
    X(RETRIES, "retries", COUNT, false, false, false, "")                                          \
    X(GENERATOR_BOUND, "generator_bound", COUNT, false, false, false, " (1 or 0)")                 \
    X(P99_DRIFT, "p99_drift", DRIFT, true, true, false, " (%/h, runs of 10 minutes or more)")

/* Other names of a metric: X(enum suffix, name). */
#define PB_THRESHOLD_METRIC_ALIAS_MAP(X) X(P999, "p99.9")

/* clang-format off */
typedef enum pb_threshold_metric_id {
#define PB_THRESHOLD_METRIC_ENUM(e, name, kind, reached, answer, live, note) PB_THRESHOLD_M_##e,
    PB_THRESHOLD_METRIC_MAP(PB_THRESHOLD_METRIC_ENUM)
#undef PB_THRESHOLD_METRIC_ENUM
    PB_THRESHOLD_METRIC_COUNT
} pb_threshold_metric_id;
/* clang-format on */

/* A metric's row of the table. */
typedef struct pb_threshold_metric {
    const char *name;
    pb_threshold_kind kind;
    bool needs_reached, needs_answer, live;
} pb_threshold_metric;

/* The row of metric `id` (which must be below PB_THRESHOLD_METRIC_COUNT). */
const pb_threshold_metric *pb_threshold_metric_get(pb_threshold_metric_id id);

/* The metric named by the first len bytes of `name` ("p99" of "p99<200ms"),
 * its own name or an alias, into *out; PB_ENOENT if no metric has it. */
int pb_threshold_metric_find(const char *name, size_t len,
                             pb_threshold_metric_id *out) PB_MUST_CHECK;

/* The metric names with their notes, comma-separated, for help texts and
 * errors ("min, mean, ..., p999 (or p99.9), ..."). */
const char *pb_threshold_metric_names(void);

/* The unit a value of this kind is stored in ("us", "fraction", ...). */
const char *pb_threshold_kind_unit(pb_threshold_kind kind);

/* The kind whose stored unit is `unit`, into *out; PB_ENOENT for any other text. */
int pb_threshold_kind_from_unit(const char *unit, pb_threshold_kind *out) PB_MUST_CHECK;

#endif
