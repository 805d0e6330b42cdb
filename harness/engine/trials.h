/* Repeated trials, the schedule `compare` and `reproduce` share: every arm
 * once per trial, trial by trial (A1 B1 C1 A2 B2 C2 ...), so that a machine
 * that drifts during the experiment hits every arm alike, and trial k of
 * every arm runs with the same seed, base + k - 1 (the mock fails the same
 * tasks for all of them). */
#ifndef PB_TRIALS_H
#define PB_TRIALS_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

/* Most trials per arm. */
#define PB_TRIALS_MAX 50

/* Runs one trial of one arm; trial counts from 0. Returns 0, or an error
 * that ends the schedule (err says why). */
typedef int (*pb_trial_fn)(void *data, size_t arm, size_t trial, uint64_t seed, pb_err *err);

/* A schedule: n_trials rounds of n_arms arms. */
typedef struct pb_trials {
    size_t n_trials, n_arms;
    uint64_t seed; /* trial 0's; trial k runs with seed + k */
    pb_trial_fn run;
    void *data;
} pb_trials;

/* How a schedule ended. */
typedef enum pb_trials_end { PB_TRIALS_DONE, PB_TRIALS_STOPPED, PB_TRIALS_FAILED } pb_trials_end;

/* The seed of trial `trial` (from 0). */
uint64_t pb_trials_seed(const pb_trials *t, size_t trial);

/* Run the schedule in order, stopping before the next run when
 * pb_stop_requested is set (PB_TRIALS_STOPPED) or after a run that failed
 * (PB_TRIALS_FAILED, err set). *done counts the runs that returned 0. */
pb_trials_end pb_trials_run(const pb_trials *t, size_t *done, pb_err *err);

#endif
