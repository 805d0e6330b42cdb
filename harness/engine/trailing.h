/* The last seconds of a run as one summary: a ring of closed seconds (counts
 * by outcome and the seconds' latency histograms, kept encoded) that live
 * thresholds are judged on, k6's abortOnFail over a trailing window. */
#ifndef PB_TRAILING_H
#define PB_TRAILING_H

#include "errors.h"
#include "run_summary.h"
#include "tally.h"

/* Longest window: an hour of seconds. */
#define PB_TRAILING_MAX_SECONDS 3600

typedef struct pb_trailing pb_trailing;

/* A window of `seconds` closed seconds (1..PB_TRAILING_MAX_SECONDS); the
 * histograms are allocated here. */
int pb_trailing_create(int seconds, pb_trailing **out, pb_err *err) PB_MUST_CHECK;

/* Free (NULL-safe). */
void pb_trailing_destroy(pb_trailing *w);

/* Take the second in progress of t (call before pb_tally_roll_second closes
 * it); the oldest second leaves a full window. Allocates only when a second's
 * histograms encode larger than any before; PB_ENOMEM then. */
int pb_trailing_push(pb_trailing *w, const pb_tally *t) PB_MUST_CHECK;

/* The seconds held as a summary: the tally's figures (counts, rps and error
 * rate over the seconds held, service and corrected latencies), nothing else.
 * Valid until the next push or summary. */
const pb_run_summary *pb_trailing_summary(pb_trailing *w);

/* Seconds held (at most the window). */
int pb_trailing_seconds(const pb_trailing *w);

#endif
