/* Per-phase counts of a run. */
#include "phase_tally.h"

#include <stdio.h>
#include <string.h>

int pb_phase_tally_init(pb_phase_tally *t, int n, const pb_usec *start, const char *const *name,
                        pb_err *err)
{
    memset(t, 0, sizeof(*t));
    t->n = n > PB_MAX_PHASES ? PB_MAX_PHASES : n;
    for (int i = 0; i < t->n; i++) {
        t->start[i] = start[i];
        snprintf(t->name[i], sizeof(t->name[i]), "%s", name[i] != NULL ? name[i] : "");
        if (pb_hist_create_latency(&t->service[i]) != 0 ||
            pb_hist_create_latency(&t->corrected[i]) != 0) {
            pb_phase_tally_cleanup(t);
            return pb_err_set(err, PB_ENOMEM, "out of memory for per-phase latencies");
        }
    }
    return 0;
}

void pb_phase_tally_cleanup(pb_phase_tally *t)
{
    for (int i = 0; i < PB_MAX_PHASES; i++) {
        pb_hist_destroy(t->service[i]);
        pb_hist_destroy(t->corrected[i]);
        t->service[i] = t->corrected[i] = NULL;
    }
    t->n = 0;
}

void pb_phase_tally_add(pb_phase_tally *t, const pb_request_row *row)
{
    if (t->n == 0)
        return;
    /* phases are few and in order of start: the last one begun by the due time */
    int i = t->n - 1;
    while (i > 0 && (pb_usec)row->t_us < t->start[i])
        i--;
    pb_phase_figures *f = &t->fig[i];
    f->attempts++;
    f->tasks += row->attempt == 0;
    pb_outcome o = (pb_outcome)row->outcome;
    if (o < PB_OUTCOME_COUNT)
        f->outcomes[o]++;
    if (o == PB_OUTCOME_REJECTED_BY_BREAKER || o == PB_OUTCOME_DROPPED_BY_BACKPRESSURE)
        return;
    f->network++;
    /* as the run's tally: a latency is the time to an answer */
    if (row->status == 0)
        return;
    f->answered++;
    pb_hist_record(t->service[i], row->total_us);
    pb_hist_record(t->corrected[i], row->wait_us + row->total_us);
}

void pb_phase_tally_fill(const pb_phase_tally *t, double duration_s, pb_phase_figures *out, int *n)
{
    *n = 0;
    for (int i = 0; i < t->n; i++) {
        double start = (double)t->start[i] / 1e6;
        if (i > 0 && start >= duration_s)
            break;
        pb_phase_figures *f = &out[(*n)++];
        *f = t->fig[i];
        snprintf(f->name, sizeof(f->name), "%s", t->name[i]);
        f->start_s = start;
        double next = i + 1 < t->n ? (double)t->start[i + 1] / 1e6 : duration_s;
        f->end_s = next < duration_s ? next : duration_s;
        f->p99 = f->answered > 0 ? pb_hist_percentile(t->service[i], 99.0) : 0;
        f->cp99 = f->answered > 0 ? pb_hist_percentile(t->corrected[i], 99.0) : 0;
    }
}
