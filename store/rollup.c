#include "rollup.h"

#include <stdlib.h>
#include <string.h>

/* Open seconds live in slots[sec % PB_ROLLUP_SLOTS] for sec in
 * [base, base + PB_ROLLUP_SLOTS); every second below base has been written.
 * Rows and marks for a second below base go to `late`, which holds one such
 * second at a time and is written as a merge. */
struct pb_rollup {
    int64_t run_id;
    pb_rollup_emit_fn emit;
    void *data;
    uint64_t base;
    uint64_t late_rows;
    pb_rollup_second slots[PB_ROLLUP_SLOTS];
    pb_rollup_second late;
};

static void second_clear(pb_rollup_second *s, uint64_t sec)
{
    pb_hist *h = s->hist;
    if (pb_hist_count(h) > 0)
        pb_hist_reset(h);
    memset(s, 0, sizeof(*s));
    s->hist = h;
    s->row.sec = sec;
}

int pb_rollup_create(int64_t run_id, pb_rollup_emit_fn emit, void *data, pb_rollup **out)
{
    pb_rollup *ru = calloc(1, sizeof(*ru));
    if (ru == NULL)
        return PB_ENOMEM;
    ru->run_id = run_id;
    ru->emit = emit;
    ru->data = data;
    int rc = pb_hist_create_latency(&ru->late.hist);
    for (int i = 0; i < PB_ROLLUP_SLOTS && rc == 0; i++) {
        rc = pb_hist_create_latency(&ru->slots[i].hist);
        ru->slots[i].row.sec = (uint64_t)i;
    }
    if (rc != 0) {
        pb_rollup_destroy(ru);
        return rc;
    }
    *out = ru;
    return 0;
}

void pb_rollup_destroy(pb_rollup *ru)
{
    if (ru == NULL)
        return;
    for (int i = 0; i < PB_ROLLUP_SLOTS; i++)
        pb_hist_destroy(ru->slots[i].hist);
    pb_hist_destroy(ru->late.hist);
    free(ru);
}

uint64_t pb_rollup_row_second(const pb_request_row *row)
{
    return (row->t_us + row->wait_us + row->total_us) / PB_USEC_PER_SEC;
}

/* Write the late second, if it holds anything. */
static int flush_late(pb_rollup *ru)
{
    if (!ru->late.used)
        return 0;
    int rc = ru->emit(ru->data, ru->run_id, &ru->late, true);
    second_clear(&ru->late, 0);
    return rc;
}

/* Write and recycle every open second below `until`; base becomes `until`.
 * The slots are recycled even when a write fails, so the window keeps moving. */
static int close_below(pb_rollup *ru, uint64_t until)
{
    int rc = 0;
    if (until > ru->base + PB_ROLLUP_SLOTS) {
        /* a jump past the whole window: only the slots hold anything */
        for (uint64_t s = ru->base; s < ru->base + PB_ROLLUP_SLOTS; s++) {
            pb_rollup_second *slot = &ru->slots[s % PB_ROLLUP_SLOTS];
            if (slot->used && rc == 0)
                rc = ru->emit(ru->data, ru->run_id, slot, false);
        }
        for (uint64_t s = until; s < until + PB_ROLLUP_SLOTS; s++)
            second_clear(&ru->slots[s % PB_ROLLUP_SLOTS], s);
        ru->base = until;
        return rc;
    }
    for (; ru->base < until; ru->base++) {
        pb_rollup_second *slot = &ru->slots[ru->base % PB_ROLLUP_SLOTS];
        if (slot->used && rc == 0)
            rc = ru->emit(ru->data, ru->run_id, slot, false);
        second_clear(slot, ru->base + PB_ROLLUP_SLOTS);
    }
    return rc;
}

/* The record for sec: an open slot, moving the window forward if sec is past
 * it, or the late second. */
static int second_for(pb_rollup *ru, uint64_t sec, pb_rollup_second **out)
{
    int rc = 0;
    if (sec < ru->base) {
        if (ru->late.used && ru->late.row.sec != sec)
            rc = flush_late(ru);
        ru->late.row.sec = sec;
        *out = &ru->late;
        return rc;
    }
    if (sec >= ru->base + PB_ROLLUP_SLOTS)
        rc = close_below(ru, sec - PB_ROLLUP_SLOTS + 1);
    *out = &ru->slots[sec % PB_ROLLUP_SLOTS];
    return rc;
}

int pb_rollup_add(pb_rollup *ru, const pb_request_row *row)
{
    pb_rollup_second *s;
    uint64_t sec = pb_rollup_row_second(row);
    int rc = second_for(ru, sec, &s);
    if (s == &ru->late)
        ru->late_rows++;
    s->used = true;
    s->row.count++;
    if (row->outcome < PB_OUTCOME_COUNT)
        s->row.outcomes[row->outcome]++;
    else
        s->row.outcomes[PB_OUTCOME_OTHER_ERROR]++;
    if (row->attempt > 0)
        s->row.retries++;
    s->row.bytes += row->bytes;
    if (row->outcome != PB_OUTCOME_REJECTED_BY_BREAKER &&
        row->outcome != PB_OUTCOME_DROPPED_BY_BACKPRESSURE)
        pb_hist_record(s->hist, row->total_us);
    return rc;
}

int pb_rollup_lost(pb_rollup *ru, uint64_t t_us, uint64_t lost, uint64_t cascaded)
{
    pb_rollup_second *s;
    int rc = second_for(ru, t_us / PB_USEC_PER_SEC, &s);
    s->used = true;
    s->row.lost += lost;
    s->row.cascaded += cascaded;
    return rc;
}

int pb_rollup_mark(pb_rollup *ru, const pb_second_mark *mark)
{
    pb_rollup_second *s;
    int rc = second_for(ru, mark->sec, &s);
    s->used = true;
    s->row.marked = true;
    /* the state columns; the harness's own figures only when it knew them */
    bool self = mark->self_known;
    PB_SECOND_SET(&s->row, in_flight, true, mark->in_flight);
    PB_SECOND_SET(&s->row, lim, true, mark->lim);
    PB_SECOND_SET(&s->row, queue, true, mark->queue);
    PB_SECOND_SET(&s->row, breaker, true, mark->breaker);
    PB_SECOND_SET(&s->row, phase, mark->phase >= 0, mark->phase);
    PB_SECOND_SET(&s->row, cpu_pct, self, mark->cpu_pct);
    PB_SECOND_SET(&s->row, rss_bytes, self, (int64_t)mark->rss_bytes);
    PB_SECOND_SET(&s->row, loop_lag_us, self, (int64_t)mark->loop_lag_us);
    PB_SECOND_SET(&s->row, backlog, self, (int64_t)mark->backlog);
    PB_SECOND_SET(&s->row, ramp_target, mark->has_target, mark->ramp_target);
    /* the seconds more than the grace period behind the mark are done, and
     * so is whatever arrived late since the previous mark */
    if (mark->sec >= PB_ROLLUP_GRACE && mark->sec - PB_ROLLUP_GRACE + 1 > ru->base) {
        int rc2 = close_below(ru, mark->sec - PB_ROLLUP_GRACE + 1);
        rc = rc != 0 ? rc : rc2;
    }
    int rc3 = flush_late(ru);
    return rc != 0 ? rc : rc3;
}

int pb_rollup_flush(pb_rollup *ru)
{
    int rc = close_below(ru, ru->base + PB_ROLLUP_SLOTS);
    int rc2 = flush_late(ru);
    return rc != 0 ? rc : rc2;
}

uint64_t pb_rollup_late_rows(const pb_rollup *ru)
{
    return ru->late_rows;
}
