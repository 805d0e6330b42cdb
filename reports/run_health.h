/* How a run held up: the harness's own load (CPU, memory, event-loop lag,
 * the generator-bound verdict its summary holds) and, for runs of 10 minutes
 * or more, the drift of its per-second series (common/drift.h states the
 * rule). Read from `seconds` and `runs.summary_json`; shown in summary.md,
 * summary.json and the page. */
#ifndef PB_RUN_HEALTH_H
#define PB_RUN_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <sqlite3.h>

#include "drift.h"
#include "errors.h"

/* The series whose drift a report judges. */
enum {
    PB_HEALTH_RPS,        /* attempts that reached the network per second */
    PB_HEALTH_ERROR_RATE, /* failed / reached, % */
    PB_HEALTH_P50,        /* ms */
    PB_HEALTH_P99,        /* ms */
    PB_HEALTH_RSS,        /* harness resident memory, MB (schema version 2) */
    PB_HEALTH_LIMIT,      /* the pattern's concurrency limit */
    PB_HEALTH_SERIES
};

/* A run's health; figures NaN where unknown. */
typedef struct pb_run_health {
    bool harness_known; /* the rollup holds the harness's figures (schema version 2) */
    double cpu_pct_mean, cpu_pct_max; /* % of one CPU */
    double rss_max_mb, lag_p99_max_ms;
    bool verdict_known; /* the summary holds generator_bound */
    bool generator_bound;
    uint64_t seconds, seconds_saturated; /* from the summary */
    bool drift_known;                    /* the run is long enough to judge */
    pb_drift drift[PB_HEALTH_SERIES];
} pb_run_health;

/* The name of series i ("req/s", "error %", "p50 ms", ...). */
const char *pb_run_health_series_name(int i);

/* Load run_id's health from db inside the caller's read transaction: the
 * harness columns when `seconds` has them, the verdict from summary_json
 * (may be NULL), and drift over seconds [0, whole_s) (the whole seconds of
 * the run), leaving out seconds in a mock phase other than the first. */
int pb_run_health_load(sqlite3 *db, const char *path, int64_t run_id, const char *summary_json,
                       uint64_t whole_s, pb_run_health *out, pb_err *err) PB_MUST_CHECK;

/* The health as JSON: {"generator_bound", "harness": {...}, "drift": {...} or null}. */
json_t *pb_run_health_json(const pb_run_health *h);

/* Markdown: a line on the harness and, when known, the drift table of one run. */
void pb_run_health_md(FILE *f, const char *label, const pb_run_health *h);

/* HTML: one section with each run's harness line and drift table; labels
 * are escaped. Nothing when no run has anything to show. */
void pb_run_health_html(FILE *f, const char *const *labels, const pb_run_health *const *h,
                        size_t n);

#endif
