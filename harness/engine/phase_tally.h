/* A run's counts per mock phase, each attempt placed in the phase its task
 * was due in (its intended start against the phases' configured starts), so
 * that a phase's figures are about the work that arrived during it: tasks,
 * outcomes, attempts that reached the server, and service and corrected
 * latency. The per-phase scoreboard of `compare` is built from them. */
#ifndef PB_PHASE_TALLY_H
#define PB_PHASE_TALLY_H

#include <stdint.h>

#include "errors.h"
#include "histogram.h"
#include "monotime.h"
#include "phases.h"
#include "rows.h"
#include "vocabulary.h"

/* What a run did in one mock phase. */
typedef struct pb_phase_figures {
    char name[48];
    double start_s, end_s; /* run time; the last phase ends with the run */
    uint64_t tasks;        /* first attempts (attempt 0): the work that arrived */
    uint64_t attempts;     /* every attempt, rejections and drops included */
    uint64_t outcomes[PB_OUTCOME_COUNT];
    uint64_t network;  /* attempts that reached the server */
    uint64_t answered; /* of those, answered with an HTTP status */
    pb_usec p99, cp99; /* of the answered: service, and from the intended start */
} pb_phase_figures;

/* The tally; the caller owns the storage, pb_phase_tally_init fills it. */
typedef struct pb_phase_tally {
    int n;                        /* phases (0: no mock, nothing is counted) */
    pb_usec start[PB_MAX_PHASES]; /* configured offsets from the run's start */
    char name[PB_MAX_PHASES][48];
    pb_phase_figures fig[PB_MAX_PHASES];
    pb_hist *service[PB_MAX_PHASES], *corrected[PB_MAX_PHASES];
} pb_phase_tally;

/* Set up n phases (at most PB_MAX_PHASES; more are folded into the last)
 * starting at start[i] run time, named name[i]; allocates every histogram
 * here, none while counting. n = 0 counts nothing. */
int pb_phase_tally_init(pb_phase_tally *t, int n, const pb_usec *start, const char *const *name,
                        pb_err *err) PB_MUST_CHECK;

/* Free the histograms (safe after a failed init, and on a zeroed tally). */
void pb_phase_tally_cleanup(pb_phase_tally *t);

/* Count one attempt (allocation-free). */
void pb_phase_tally_add(pb_phase_tally *t, const pb_request_row *row);

/* The figures of the phases that began before the run's end (duration_s):
 * into out[0..*n). */
void pb_phase_tally_fill(const pb_phase_tally *t, double duration_s, pb_phase_figures *out, int *n);

#endif
