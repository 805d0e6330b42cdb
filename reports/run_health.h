/* How a run held up: the harness's own load (CPU, memory, event-loop lag,
 * the generator-bound verdict its summary holds) and, for runs of 10 minutes
 * or more, the drift of its per-second series (common/drift.h states the
 * rule). Built from the run's `seconds` rows, its summary and configuration;
 * shown in summary.md, summary.json and the page. */
#ifndef PB_RUN_HEALTH_H
#define PB_RUN_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "drift.h"
#include "errors.h"
#include "seconds.h"

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

/* Mock phases a run can have, the base included (PB_MAX_PHASES + 1). */
#define PB_HEALTH_MAX_PHASES 33

/* A health being built from a run's seconds: start, add each row, finish. */
typedef struct pb_run_health_build {
    pb_run_health *out;
    uint64_t whole_s;
    double *y[PB_HEALTH_SERIES]; /* per whole second; NULL when too short to judge */
    bool fault[PB_HEALTH_MAX_PHASES];
    double cpu_sum;
    uint64_t cpu_n;
} pb_run_health_build;

/* Start *out: the verdict from summary_json (may be NULL), which mock phases
 * are faults from config_json (may be NULL), drift over seconds [0, whole_s)
 * (the run's whole seconds). PB_ENOMEM naming path. */
int pb_run_health_start(pb_run_health_build *b, pb_run_health *out, const char *summary_json,
                        const char *config_json, uint64_t whole_s, const char *path,
                        pb_err *err) PB_MUST_CHECK;

/* Count one `seconds` row: the harness's figures when it has them, and,
 * outside fault phases, the drift series. */
void pb_run_health_add(pb_run_health_build *b, const pb_second_row *row);

/* Judge the drift and free what the build holds. */
void pb_run_health_finish(pb_run_health_build *b);

/* The health as JSON: {"generator_bound", "harness": {...}, "drift": {...} or null}. */
json_t *pb_run_health_json(const pb_run_health *h);

/* Markdown: a line on the harness and, when known, the drift table of one run. */
void pb_run_health_md(FILE *f, const char *label, const pb_run_health *h);

/* HTML: one section with each run's harness line and drift table; labels
 * are escaped. Nothing when no run has anything to show. */
void pb_run_health_html(FILE *f, const char *const *labels, const pb_run_health *const *h,
                        size_t n);

#endif
