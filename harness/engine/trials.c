/* The interleaved schedule of repeated trials. */
#include "trials.h"

#include "engine.h"

uint64_t pb_trials_seed(const pb_trials *t, size_t trial)
{
    return t->seed + (uint64_t)trial;
}

pb_trials_end pb_trials_run(const pb_trials *t, size_t *done, pb_err *err)
{
    *done = 0;
    for (size_t k = 0; k < t->n_trials; k++)
        for (size_t a = 0; a < t->n_arms; a++) {
            if (pb_stop_requested)
                return PB_TRIALS_STOPPED;
            if (t->run(t->data, a, k, pb_trials_seed(t, k), err) != 0)
                return PB_TRIALS_FAILED;
            (*done)++;
        }
    return pb_stop_requested ? PB_TRIALS_STOPPED : PB_TRIALS_DONE;
}
