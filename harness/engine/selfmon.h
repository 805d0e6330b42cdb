/* The harness watching itself: its CPU share, resident memory and event-loop
 * lag each second, the recorder's backlog beside them, and at the end whether
 * the run was generator-bound (the harness, not the target, set the pace) and
 * how its per-second p99 drifted. The engine feeds it; the counting and the
 * rule are pure (pb_selfmon_add_second takes the figures), so tests drive
 * them with made-up seconds. */
#ifndef PB_SELFMON_H
#define PB_SELFMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drift.h"
#include "errors.h"
#include "monotime.h"

/* How often the engine's lag probe runs: a second gives ~100 samples, so its
 * p99 is the second-worst lateness, not one tick's. */
#define PB_SELFMON_PROBE_MS 10
/* Probe samples kept per second (a loop that catches up fires fewer, never more). */
#define PB_SELFMON_LAG_SAMPLES 256

/* The generator-bound rule: a second is saturated when the loop's lag p99
 * exceeds PB_SELFMON_LAG_LIMIT_US or the process used at least
 * PB_SELFMON_CPU_LIMIT of the CPUs it may run on; a run is generator-bound
 * when at least PB_SELFMON_SATURATED_SHARE of its seconds were saturated. */
#define PB_SELFMON_LAG_LIMIT_US 10000
#define PB_SELFMON_CPU_LIMIT 0.95
#define PB_SELFMON_SATURATED_SHARE 0.05

/* The harness's figures over one second. */
typedef struct pb_selfmon_second {
    double cpu_pct;     /* process CPU time / wall time * 100 (200 = two CPUs busy) */
    uint64_t rss_bytes; /* resident set size at the end of the second (0 = unknown) */
    pb_usec lag_p99;    /* p99 of the second's probe lateness */
} pb_selfmon_second;

/* What decided generator-bound, and the run's extremes. */
typedef struct pb_selfmon_verdict {
    bool generator_bound;
    uint64_t seconds;           /* seconds judged */
    uint64_t seconds_lagged;    /* lag p99 above the limit */
    uint64_t seconds_cpu_bound; /* CPU at or above the limit */
    uint64_t seconds_saturated; /* either */
    double cpus;                /* CPUs the process may use */
    double cpu_pct_mean, cpu_pct_max;
    pb_usec lag_p99_max;
    uint64_t rss_max_bytes;
} pb_selfmon_verdict;

/* Per-run state; the caller owns the storage. */
typedef struct pb_selfmon {
    double cpus;
    pb_usec lag[PB_SELFMON_LAG_SAMPLES];
    size_t n_lag;
    pb_usec last_probe;
    pb_usec cpu_us0, wall0; /* process CPU time and the clock at the second's start */
    long page_bytes;
    uint64_t seconds, lagged, cpu_bound, saturated;
    double cpu_sum, cpu_max;
    pb_usec lag_max;
    uint64_t rss_max;
    double *p99_ms; /* per-second p99 for drift, NaN where it does not count */
    size_t n_p99, cap_p99;
    bool history_lost; /* out of memory growing p99_ms: drift unknown */
} pb_selfmon;

/* Start watching at `now` on `cpus` CPUs (uv_available_parallelism). */
void pb_selfmon_init(pb_selfmon *m, double cpus, pb_usec now);

/* Free the per-second history (NULL-safe storage, safe twice). */
void pb_selfmon_cleanup(pb_selfmon *m);

/* One run of the lag probe at `now`: lateness past its due time is a sample. */
void pb_selfmon_probe(pb_selfmon *m, pb_usec now);

/* Close the second at `now`: read the process's CPU time and RSS, take the
 * second's lag p99, and start the next second's samples. */
void pb_selfmon_close_second(pb_selfmon *m, pb_usec now, pb_selfmon_second *out);

/* Count one second's figures toward the verdict, and its p99 of answered
 * requests (ms; NaN when none was answered or the second is in a fault
 * phase) toward drift. Seconds are added in order, one per second of run
 * time. When the history cannot grow (out of memory) drift becomes unknown;
 * the verdict still counts every second. */
void pb_selfmon_add_second(pb_selfmon *m, const pb_selfmon_second *s, double p99_ms);

/* The generator-bound verdict over the seconds added so far. */
void pb_selfmon_verdict_get(const pb_selfmon *m, pb_selfmon_verdict *out);

/* The drift of the per-second p99 over the seconds added so far (unknown
 * under PB_DRIFT_MIN_SPAN_S). */
void pb_selfmon_p99_drift(const pb_selfmon *m, pb_drift *out);

#endif
