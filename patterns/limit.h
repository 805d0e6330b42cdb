/* Adaptive concurrency limit algorithms, fed one sample per finished request
 * (its latency, the in-flight count when it started, whether it failed) and
 * the time `now`. The limit always stays within [min_limit, max_limit]; every
 * change is a LIMIT_CHANGE event.
 *
 *   seed       the cheat sheet's AdaptiveConcurrencyController, faithfully:
 *              60 s sliding window, no change under 10 samples, adjusts on
 *              every single result, *0.8 when error rate > 10% or mean success
 *              latency > 2 s, int(n * 1.2) when error rate < 2% and latency
 *              < 500 ms (which can never grow 1, 2, 3 or 4).
 *   corrected  the same thresholds, one decision per adaptive_window once it
 *              holds adaptive_min_samples results, steps of at least 1, and
 *              no growth while less than half the limit was in use.
 *   aimd       Netflix concurrency-limits AIMDLimit.
 *   gradient2  Netflix concurrency-limits Gradient2Limit.
 * patterns/README.md gives the exact formulas and the versions followed. */
#ifndef PB_LIMIT_H
#define PB_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "pattern.h"

/* The seed's 60 s window is kept as 6000 buckets of 10 ms. */
#define PB_LIMIT_SEED_BUCKETS 6000
#define PB_LIMIT_SEED_BUCKET_US (10 * PB_USEC_PER_MS)

typedef struct pb_limit_bucket {
    uint64_t idx; /* 10 ms interval since start */
    uint32_t ok, failed;
    double latency_ms; /* sum over ok results */
} pb_limit_bucket;

typedef struct pb_limit {
    pb_pattern_params p;
    pb_event_cb cb;
    void *cb_data;
    uint32_t limit;
    uint64_t changes;
    pb_usec origin;
    /* seed: sliding 60 s window */
    pb_limit_bucket *bucket;
    uint64_t newest_idx;
    /* seed and corrected: totals of the current window */
    uint32_t w_ok, w_failed, w_peak_inflight;
    double w_latency_ms;
    pb_usec window_end; /* corrected */
    /* gradient2 */
    double estimate;
    double long_rtt; /* exponential average with a warm-up, as ExpAvgMeasurement */
    uint32_t long_count;
    double long_sum;
} pb_limit;

/* Allocate for p (policy, bounds, initial limit = p->concurrency). */
int pb_limit_init(pb_limit *l, const pb_pattern_params *p, pb_event_cb cb, void *cb_data,
                  pb_err *err) PB_MUST_CHECK;
void pb_limit_cleanup(pb_limit *l);

/* Back to the initial limit at `now`. */
void pb_limit_start(pb_limit *l, pb_usec now);

/* One finished request: latency, busy requests when it started (itself
 * included), whether it failed (pb_result_is_failure). */
void pb_limit_sample(pb_limit *l, pb_usec now, pb_usec latency, uint32_t inflight, bool failed);

/* Time passed: the corrected policy closes its window here too. */
void pb_limit_tick(pb_limit *l, pb_usec now);

#endif
