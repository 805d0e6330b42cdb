/* The live page behind `--metrics` (of run, compare and mock): an HTML
 * dashboard at `/` (embedded in the binary, no external resource) whose
 * script polls /page.json once a second. The page knows no source: the feed
 * names its figures, its charts and their series, and carries the points of
 * the last ten minutes (and of the whole run, downsampled) as numbers, so
 * that a run and a mock server are drawn by the same code. Also /live.json,
 * the run's figures as they stand. Pure: no threads, no I/O. */
#ifndef PB_LIVE_PAGE_H
#define PB_LIVE_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "live_history.h"
#include "histogram.h"
#include "metrics_page.h"
#include "mock.h"
#include "seconds.h"

/* The dashboard, NUL-terminated; generated from live_page.html at build time. */
extern const char pb_live_html[];
/* Its length in bytes, without the NUL. */
extern const size_t pb_live_html_len;

/* One chart: its title and its series, names[first .. first + count) of its
 * source. A sparse chart leaves out of its legend a series that is zero or
 * missing all along (outcomes that never happened). */
typedef struct pb_live_chart {
    const char *title;
    bool sparse;
    int first, count;
} pb_live_chart;

/* What a page shows of one kind of source, and how: the values its points
 * carry (merged by rules), its series and charts, and `values`, which gives
 * a point's value of each series (NAN where it has none) and whether the
 * point is shaded (a mock phase other than the base settings). */
typedef struct pb_live_source {
    const pb_live_merge *rules;
    int n_values;
    const char *const *names, *const *colours;
    int n_series;
    const pb_live_chart *charts;
    int n_charts;
    void (*values)(const pb_live_point *p, double *out, bool *shade);
} pb_live_source;

/* A run of run or compare: attempts and goodput per second, unserved share by
 * outcome, p50/p99 of the second, the pattern's limit, queue and in flight,
 * the harness's CPU and loop lag. */
extern const pb_live_source pb_live_run_source;
/* A mock server: requests per second by outcome, in flight, queued, connections. */
extern const pb_live_source pb_live_mock_source;

/* The run's point between two of its snapshots (was: the previous one, or a
 * zeroed run at its start), with the process's CPU seconds at each. */
void pb_live_run_point(const pb_metrics_run *was, double cpu_was, const pb_metrics_run *now,
                       double cpu_now, pb_live_point *out);

/* The run's point of a stored second (a resumed run's earlier ones): its
 * outcomes, its latency histogram's counts at the page's bounds (decoded
 * into scratch, a latency histogram), and the gauges its mark holds.
 * PB_EPARSE when its histogram does not decode. */
int pb_live_run_stored_point(const pb_second_row *row, pb_hist *scratch,
                             pb_live_point *out) PB_MUST_CHECK;

/* A mock server's point between its counters at offsets was_at < now_at from
 * its start. */
void pb_live_mock_point(const pb_mock_stats *was, pb_usec was_at, const pb_mock_stats *now,
                        pb_usec now_at, pb_live_point *out);

/* The head of /page.json for a run (NULL before the first): the members
 * "key", "title", "status" and "figures", the figures of the second from
 * `last` (NULL: none yet). malloc'd, NUL-terminated; NULL when out of memory. */
char *pb_live_run_head(const pb_metrics_run *r, const pb_live_point *last);

/* The same for a mock server at `url`, serving for `elapsed`. */
char *pb_live_mock_head(const char *url, const pb_mock_stats *s, pb_usec elapsed,
                        const pb_live_point *last);

/* Write /page.json: the head's members, the source's charts, the recent
 * points and, when whole is not NULL, the whole run's points of `stride`
 * seconds each. Returns a malloc'd, NUL-terminated text with its length in
 * *len, or NULL when out of memory. */
char *pb_live_feed(const pb_live_source *src, const char *head, const pb_live_point *recent,
                   size_t n_recent, const pb_live_point *whole, size_t n_whole, unsigned stride,
                   size_t *len);

/* Write /live.json: the last of runs[0..n) (the one going, or the one just
 * finished; "run": null when n is 0) and proc. Returns a malloc'd,
 * NUL-terminated text with its length in *len, or NULL when out of memory. */
char *pb_live_json(const pb_metrics_run *runs, size_t n, const pb_metrics_process *proc,
                   size_t *len);

#endif
