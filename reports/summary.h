/* The report's numbers as text: summary.md for people, summary.json for
 * scripts, and the formatting both and the HTML page share. */
#ifndef PB_SUMMARY_H
#define PB_SUMMARY_H

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

/* A wall-clock instant (us since the epoch) as UTC "2024-05-01 12:00:00Z"; "n/a" for 0. */
const char *pb_summary_time(int64_t epoch_us, char *buf, size_t cap);

/* Write path as Markdown: what was run, a table per pattern, thresholds. */
int pb_summary_write_md(const pb_report_data *d, const char *db_path, const char *path,
                        pb_err *err) PB_MUST_CHECK;

/* Write path as JSON: the same numbers plus the charts drawn (charts may be NULL). */
int pb_summary_write_json(const pb_report_data *d, const char *db_path,
                          const pb_charts *charts, const char *path, pb_err *err) PB_MUST_CHECK;

#endif
