/* A run's running tally: outcomes, statuses, latency histograms and the
 * second in progress, counted row by row; it fills the tally's part of the
 * run's summary (run_summary.h). */
#ifndef PB_TALLY_H
#define PB_TALLY_H

#include <stdint.h>

#include "errors.h"
#include "histogram.h"
#include "recorder.h"
#include "run_summary.h"

/* Counts since the start of the run; the caller owns the storage. */
typedef struct pb_tally {
    uint64_t rows;                   /* every attempt, rejections and drops included */
    uint64_t tasks;                  /* first attempts */
    uint64_t network, failed, bytes; /* attempts that reached the network, their failures */
    uint64_t answered;               /* of those, answered with an HTTP status */
    uint64_t outcomes[PB_OUTCOME_COUNT];
    uint64_t status[600];
    pb_hist *service;                          /* actual start to end, answered attempts */
    pb_hist *corrected;                        /* intended start to end, answered attempts */
    uint64_t service_sum_us, corrected_sum_us; /* exact sums of what the histograms hold */
    /* the second in progress, for the progress line and live thresholds */
    uint64_t sec_rows, sec_network, sec_failed, sec_answered;
    uint64_t sec_outcomes[PB_OUTCOME_COUNT];
    pb_hist *sec_service, *sec_corrected;
} pb_tally;

/* The figures of one closed second. */
typedef struct pb_tally_second {
    uint64_t network, failed, answered;
    uint64_t rejected,
        dropped;      /* by the breaker, by backpressure: they never reached the network */
    pb_usec p50, p99; /* of the answered attempts; 0 when none was */
    pb_usec cp99;     /* the same from the intended start (coordinated omission corrected) */
} pb_tally_second;

/* Allocate the histograms; all memory is taken here. */
int pb_tally_init(pb_tally *t, pb_err *err) PB_MUST_CHECK;

/* Free the histograms (safe after a failed init). */
void pb_tally_cleanup(pb_tally *t);

/* Count one request row (allocation-free). */
void pb_tally_add(pb_tally *t, const pb_request_row *row);

/* Close the second in progress: its figures go to out and a new one starts. */
void pb_tally_roll_second(pb_tally *t, pb_tally_second *out);

/* Fill the tally's part of a summary (counts, rates over duration_s, percentiles). */
void pb_tally_fill(const pb_tally *t, double duration_s, pb_run_summary *s);

/* Fill a summary's latencies (min to max, mean, cp50, cp99) from a service
 * and a corrected histogram: the whole run's, or a trailing window's. */
void pb_tally_fill_latencies(const pb_hist *service, const pb_hist *corrected, pb_run_summary *s);

#endif
