/* C2's experiment: the cells of the condition map (c2_map.h) run as
 * trials of the semaphore pattern, by the C engine or by the Python
 * reference, and the map as JSON and as a terminal table. */
#ifndef PB_C2_EXPERIMENT_H
#define PB_C2_EXPERIMENT_H

#include <stdio.h>

#include <jansson.h>

#include "claims.h"
#include "c2_map.h"
#include "errors.h"
#include "trial.h"

/* Every error rate of the grid, for pb_c2_run_trial. */
#define PB_C2_ALL_RATES (-1)

/* One trial of C2 with implementation impl: the isolate control, then the
 * cells under propagate (those of error rate index `rate` only, or every one
 * with PB_C2_ALL_RATES), each against a fresh mock seeded with seed. Stops
 * early (returning 0) when pb_stop_requested is set. */
int pb_c2_run_trial(pb_c2_map *m, pb_impl impl, int rate, const pb_trial_plan *tp, uint64_t seed,
                    pb_err *err) PB_MUST_CHECK;

/* How many (cell, trial) pairs both maps ran, and in how many of them the
 * two lost exactly the same results (the same seed and task numbers draw the
 * same failures, so faithful implementations agree). */
void pb_c2_agreement(const pb_c2_map *a, const pb_c2_map *b, size_t *pairs, size_t *equal);

/* The map as JSON: the definitions, every cell, the control, where
 * independence puts the sheet's 94 %, and why figures are missing. */
json_t *pb_c2_map_json(const pb_c2_map *m);

/* The map as a table headed by `who` ("C patterns", "Python reference"). */
void pb_c2_map_print(FILE *out, const pb_c2_map *m, const char *who);

/* A confidence interval as JSON: mean, half, lo, hi, sd. */
json_t *pb_ci_json(const pb_ci *ci);

#endif
