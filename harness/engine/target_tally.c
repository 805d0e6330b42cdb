/* pb_target_tally: per-target figures of a run. */
#include "target_tally.h"

#include <string.h>

#include "vocabulary.h"

int pb_target_tally_init(pb_target_tally *t, uint32_t n, pb_err *err)
{
    memset(t, 0, sizeof(*t));
    t->n = n < PB_TARGET_TALLY_MAX ? n : PB_TARGET_TALLY_MAX;
    for (uint32_t i = 0; i < t->n; i++)
        if (pb_hist_create_latency(&t->service[i]) != 0) {
            pb_target_tally_cleanup(t);
            return pb_err_set(err, PB_ENOMEM, "out of memory counting %u targets", n);
        }
    return 0;
}

void pb_target_tally_cleanup(pb_target_tally *t)
{
    for (uint32_t i = 0; i < PB_TARGET_TALLY_MAX; i++)
        pb_hist_destroy(t->service[i]);
    memset(t, 0, sizeof(*t));
}

void pb_target_tally_add(pb_target_tally *t, uint32_t target, const pb_request_row *row)
{
    if (t->n == 0)
        return;
    uint32_t i = target < t->n ? target : t->n - 1;
    pb_target_figures *f = &t->fig[i];
    f->attempts++;
    if (row->outcome == PB_OUTCOME_REJECTED_BY_BREAKER ||
        row->outcome == PB_OUTCOME_DROPPED_BY_BACKPRESSURE)
        return;
    f->network++;
    f->ok += row->outcome == PB_OUTCOME_OK;
    if (row->status != 0) {
        f->answered++;
        pb_hist_record(t->service[i], row->total_us);
    }
}

void pb_target_tally_fill(const pb_target_tally *t, pb_target_figures *out)
{
    for (uint32_t i = 0; i < t->n; i++) {
        out[i] = t->fig[i];
        out[i].p50 = pb_hist_percentile(t->service[i], 50.0);
        out[i].p99 = pb_hist_percentile(t->service[i], 99.0);
    }
}
