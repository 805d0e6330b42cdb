/* A run's counts per target of --targets: attempts, ok answers and the
 * service latency of the answered, so that the summary (and the report,
 * from the stored summary) can say how each request of the file fared. */
#ifndef PB_TARGET_TALLY_H
#define PB_TARGET_TALLY_H

#include <stdint.h>

#include "errors.h"
#include "histogram.h"
#include "rows.h"

/* Targets counted one by one; the rest of a larger file are counted together
 * in the last. */
#define PB_TARGET_TALLY_MAX 256

/* What a run did with one target. */
typedef struct pb_target_figures {
    char label[80];    /* "METHOD URL" (a password in it redacted), cut to fit */
    uint64_t attempts; /* every attempt, rejections and drops included */
    uint64_t network;  /* attempts that reached the server */
    uint64_t ok;       /* outcome ok */
    uint64_t answered; /* answered with an HTTP status */
    uint64_t p50, p99; /* service latency of the answered, us */
} pb_target_figures;

/* The tally; the caller owns the storage, pb_target_tally_init fills it. */
typedef struct pb_target_tally {
    uint32_t n; /* targets counted apart (0: counts nothing) */
    pb_target_figures fig[PB_TARGET_TALLY_MAX];
    pb_hist *service[PB_TARGET_TALLY_MAX];
} pb_target_tally;

/* Set up the tally of n targets (0 counts nothing; more than
 * PB_TARGET_TALLY_MAX share the last place); allocates every histogram here. */
int pb_target_tally_init(pb_target_tally *t, uint32_t n, pb_err *err) PB_MUST_CHECK;

/* Free the histograms (safe after a failed init, and on a zeroed tally). */
void pb_target_tally_cleanup(pb_target_tally *t);

/* Count one attempt at target `target` (allocation-free). */
void pb_target_tally_add(pb_target_tally *t, uint32_t target, const pb_request_row *row);

/* The figures, percentiles filled in: out[0..n) (n as at init, capped);
 * labels are the caller's to fill. */
void pb_target_tally_fill(const pb_target_tally *t, pb_target_figures *out);

#endif
