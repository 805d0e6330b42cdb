/* The report's numbers as text: summary.md for people, summary.json for
 * scripts, and the formatting both and the HTML page share. */
#ifndef PB_SUMMARY_H
#define PB_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "charts.h"
#include "errors.h"
#include "report_data.h"

/* A latency in milliseconds for a table column headed "(ms)", three
 * significant digits or whole ms: "0.85", "12.3", "170", "4210"; "n/a" when NaN. */
const char *pb_summary_latency(double ms, char *buf, size_t cap);

/* A count with thousands separators ("1,234,567"). */
const char *pb_summary_count(uint64_t n, char *buf, size_t cap);

/* A threshold's measured value with its unit: "308.74 ms", "3.10 %",
 * "412.0 req/s", "17"; "no data" when there was none. */
const char *pb_summary_threshold_value(const pb_report_threshold *t, char *buf, size_t cap);

/* Who a threshold judged: its run's label, or "all runs" when not recorded. */
const char *pb_summary_threshold_scope(const pb_report_threshold *t, const char *run_label);

/* A row of the table of requests sent per mock phase: a phase as the runs
 * went through it (name and start from the first run that did). */
typedef struct pb_summary_phase_row {
    int index;
    const char *name; /* owned by the report data */
    double start_s;
} pb_summary_phase_row;

/* The most phases the table shows (a mock profile has at most 32 and the base). */
#define PB_SUMMARY_MAX_PHASE_ROWS 64

/* What the table of requests sent per phase tells a reader. */
extern const char pb_summary_phase_caption[];

/* The rows of the table of requests sent per phase, in phase order; 0 when
 * there is nothing to compare (no run went through two phases or more, or no
 * run counted its requests by phase). */
size_t pb_summary_phase_rows(const pb_report_data *d, pb_summary_phase_row *rows, size_t cap);

/* Attempts run r sent to the server during phase `index` (0 when unknown). */
uint64_t pb_summary_phase_sent(const pb_report_run *r, int index);

/* What a resumed run's gaps were, for the text under the tables: "run 1
 * (queue) was resumed after its process died: no data from 4 s to 13 s of run
 * time, where its charts break." into buf; false for a run never resumed. */
bool pb_summary_resume_note(const pb_report_run *r, char *buf, size_t cap);

/* What the lost-results columns mean, for the text under the tables. */
extern const char pb_summary_lost_caption[];

/* A row of the table of requests by target (run --targets), from a run's
 * stored summary. */
typedef struct pb_summary_target_row {
    size_t index;          /* the target's place in the file, from 0 */
    const char *target;    /* "METHOD URL" as stored; valid during the callback only */
    int64_t requests;      /* attempts, rejections and drops included */
    double ok_share;       /* ok answers among the attempts that reached the server */
    double p50_ms, p99_ms; /* service latency of the answered */
} pb_summary_target_row;

/* Called with each row of a run's table of requests by target. */
typedef void (*pb_summary_target_fn)(const pb_report_run *r, const pb_summary_target_row *row,
                                     void *data);

/* Call each (when not NULL) with every row of run r's table of requests by
 * target, in the file's order; returns the rows (0 for a run without
 * --targets or without a final summary). */
size_t pb_summary_target_rows(const pb_report_run *r, pb_summary_target_fn each, void *data);

/* The rows of every run's table of requests by target. */
size_t pb_summary_target_count(const pb_report_data *d);

/* A wall-clock instant (us since the epoch) as UTC "2024-05-01 12:00:00Z"; "n/a" for 0. */
const char *pb_summary_time(int64_t epoch_us, char *buf, size_t cap);

/* Write path as Markdown: what was run, a table per pattern, thresholds. */
int pb_summary_write_md(const pb_report_data *d, const char *db_path, const char *path,
                        pb_err *err) PB_MUST_CHECK;

/* Write path as JSON: the same numbers plus the charts drawn (charts may be NULL). */
int pb_summary_write_json(const pb_report_data *d, const char *db_path,
                          const pb_charts *charts, const char *path, pb_err *err) PB_MUST_CHECK;

#endif
