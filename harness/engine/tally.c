#include "tally.h"

#include <string.h>

int pb_tally_init(pb_tally *t, pb_err *err)
{
    memset(t, 0, sizeof(*t));
    int rc = pb_hist_create_latency(&t->service);
    if (rc == 0)
        rc = pb_hist_create_latency(&t->corrected);
    if (rc == 0)
        rc = pb_hist_create_latency(&t->sec_service);
    if (rc == 0)
        rc = pb_hist_create_latency(&t->sec_corrected);
    if (rc != 0) {
        pb_tally_cleanup(t);
        return pb_err_set(err, rc, "cannot allocate latency histograms: %s", pb_strerror(rc));
    }
    return 0;
}

void pb_tally_cleanup(pb_tally *t)
{
    pb_hist_destroy(t->service);
    pb_hist_destroy(t->corrected);
    pb_hist_destroy(t->sec_service);
    pb_hist_destroy(t->sec_corrected);
    t->service = t->corrected = t->sec_service = t->sec_corrected = NULL;
}

static bool reached_network(pb_outcome o)
{
    return o != PB_OUTCOME_REJECTED_BY_BREAKER && o != PB_OUTCOME_DROPPED_BY_BACKPRESSURE;
}

void pb_tally_add(pb_tally *t, const pb_request_row *row)
{
    t->rows++;
    t->tasks += row->attempt == 0;
    t->sec_rows++;
    if (row->outcome < PB_OUTCOME_COUNT) {
        t->outcomes[row->outcome]++;
        t->sec_outcomes[row->outcome]++;
    }
    if (row->status < 600)
        t->status[row->status]++;
    if (!reached_network((pb_outcome)row->outcome))
        return;
    bool failed = row->outcome != PB_OUTCOME_OK;
    t->network++;
    t->failed += failed;
    t->bytes += row->bytes;
    t->sec_network++;
    t->sec_failed += failed;
    /* latency is the time to an answer: a refused connect or a reset has none,
     * and its few microseconds would pass for a fast server */
    if (row->status == 0)
        return;
    t->answered++;
    t->sec_answered++;
    pb_hist_record(t->service, row->total_us);
    pb_hist_record(t->corrected, row->wait_us + row->total_us);
    t->service_sum_us += row->total_us;
    t->corrected_sum_us += row->wait_us + row->total_us;
    pb_hist_record(t->sec_service, row->total_us);
    pb_hist_record(t->sec_corrected, row->wait_us + row->total_us);
}

void pb_tally_roll_second(pb_tally *t, pb_tally_second *out)
{
    out->network = t->sec_network;
    out->failed = t->sec_failed;
    out->answered = t->sec_answered;
    out->rejected = t->sec_outcomes[PB_OUTCOME_REJECTED_BY_BREAKER];
    out->dropped = t->sec_outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE];
    out->p50 = pb_hist_percentile(t->sec_service, 50.0);
    out->p99 = pb_hist_percentile(t->sec_service, 99.0);
    out->cp99 = pb_hist_percentile(t->sec_corrected, 99.0);
    t->sec_network = t->sec_failed = t->sec_answered = 0;
    t->sec_rows = 0;
    memset(t->sec_outcomes, 0, sizeof(t->sec_outcomes));
    pb_hist_reset(t->sec_service);
    pb_hist_reset(t->sec_corrected);
}

void pb_tally_fill(const pb_tally *t, double duration_s, pb_run_summary *s)
{
    s->requests = t->rows;
    s->tasks = t->tasks;
    s->network = t->network;
    s->failed = t->failed;
    s->answered = t->answered;
    s->bytes = t->bytes;
    memcpy(s->outcomes, t->outcomes, sizeof(s->outcomes));
    memcpy(s->status_counts, t->status, sizeof(s->status_counts));
    s->duration_s = duration_s;
    s->rps = duration_s > 0 ? (double)t->network / duration_s : 0;
    s->error_rate = t->network > 0 ? (double)t->failed / (double)t->network : 0;
    pb_tally_fill_latencies(t->service, t->corrected, s);
}

void pb_tally_fill_latencies(const pb_hist *service, const pb_hist *corrected, pb_run_summary *s)
{
    s->min = pb_hist_min(service);
    s->max = pb_hist_max(service);
    s->mean = pb_hist_mean(service);
    s->p50 = pb_hist_percentile(service, 50.0);
    s->p90 = pb_hist_percentile(service, 90.0);
    s->p95 = pb_hist_percentile(service, 95.0);
    s->p99 = pb_hist_percentile(service, 99.0);
    s->p999 = pb_hist_percentile(service, 99.9);
    s->cp50 = pb_hist_percentile(corrected, 50.0);
    s->cp99 = pb_hist_percentile(corrected, 99.0);
}
