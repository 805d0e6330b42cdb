/* The live metrics page: a snapshot of each run taken from the engine's view,
 * and the Prometheus text exposition format (version 0.0.4) written from
 * those snapshots. Pure: no threads, no I/O but /proc/self/statm. */
#ifndef PB_METRICS_PAGE_H
#define PB_METRICS_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "errors.h"
#include "run_config.h"

/* Upper bounds of the latency histograms' buckets, in microseconds; the page
 * writes them as `le` in seconds, and adds +Inf. */
#define PB_METRICS_BUCKET_MAP(XX)                                                                  \
    XX(100, "0.0001")                                                                              \
    XX(250, "0.00025")                                                                             \
    XX(500, "0.0005")                                                                              \
    XX(1000, "0.001")                                                                              \
    XX(2500, "0.0025")                                                                             \
    XX(5000, "0.005")                                                                              \
    XX(10000, "0.01")                                                                              \
    XX(25000, "0.025")                                                                             \
    XX(50000, "0.05")                                                                              \
    XX(100000, "0.1")                                                                              \
    XX(250000, "0.25")                                                                             \
    XX(500000, "0.5")                                                                              \
    XX(1000000, "1")                                                                               \
    XX(2500000, "2.5")                                                                             \
    XX(5000000, "5")                                                                               \
    XX(10000000, "10")                                                                             \
    XX(30000000, "30")                                                                             \
    XX(60000000, "60")

#define PB_METRICS_BUCKET_COUNT_ONE(us, le) +1
enum { PB_METRICS_BUCKETS = 0 PB_METRICS_BUCKET_MAP(PB_METRICS_BUCKET_COUNT_ONE) };
#undef PB_METRICS_BUCKET_COUNT_ONE

/* A latency distribution as a Prometheus histogram: cumulative counts at each
 * bound, the count and the sum. */
typedef struct pb_metrics_hist {
    uint64_t le[PB_METRICS_BUCKETS];
    uint64_t count;
    uint64_t sum_us;
} pb_metrics_hist;

/* One run as the page shows it; a plain value, copied freely. */
typedef struct pb_metrics_run {
    int64_t run_id;
    char label[PB_RUN_LABEL_MAX + 1];
    char pattern[32];
    bool finished;
    pb_usec elapsed;
    uint64_t outcomes[PB_OUTCOME_COUNT];
    uint64_t status[600];
    pb_metrics_hist service, corrected;
    pb_usec p50, p99; /* service latency percentiles, exact to the histogram's precision */
    pb_breaker_state breaker;
    bool has_mock;  /* false: no phase series (--target) */
    bool recording; /* false: no recorder series (--no-record) */
    /* the page's plain series, each one uint64_t (metrics_page.c lists them) */
    uint64_t in_flight, limit, queue_depth, phase;
    uint64_t rejected, dropped, retries, resent;
    pb_usec loop_lag;
    uint64_t rows_written, backlog, stalls, stall_us, db_bytes;
} pb_metrics_run;

/* The harness process as a whole, read when the page is written. */
typedef struct pb_metrics_process {
    uint64_t rss_bytes;
    double cpu_seconds; /* user + system */
} pb_metrics_process;

/* Take a run's snapshot from the engine's view (walks the histograms once). */
void pb_metrics_run_from_view(const pb_run_view *v, pb_metrics_run *out);

/* Read the process's resident memory (/proc/self/statm) and CPU time (getrusage). */
void pb_metrics_process_read(pb_metrics_process *out);

/* Write the page for runs[0..n) and proc: every family once with HELP and
 * TYPE, one series per run labelled run_id, label and pattern. Returns a
 * malloc'd, NUL-terminated text with its length in *len, or NULL when out of
 * memory. */
char *pb_metrics_page(const pb_metrics_run *runs, size_t n, const pb_metrics_process *proc,
                      size_t *len);

#endif
