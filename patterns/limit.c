#include "limit.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pattern_impl.h"

int pb_limit_init(pb_limit *l, const pb_pattern_params *p, pb_event_cb cb, void *cb_data,
                  pb_err *err)
{
    memset(l, 0, sizeof(*l));
    l->p = *p;
    l->cb = cb;
    l->cb_data = cb_data;
    if (p->adaptive_policy == PB_ADAPTIVE_SEED) {
        l->bucket = calloc(PB_LIMIT_SEED_BUCKETS, sizeof(*l->bucket));
        if (l->bucket == NULL)
            return pb_err_set(err, PB_ENOMEM, "out of memory for the seed window");
    }
    return 0;
}

void pb_limit_cleanup(pb_limit *l)
{
    free(l->bucket);
    l->bucket = NULL;
}

void pb_limit_start(pb_limit *l, pb_usec now)
{
    l->limit = l->p.concurrency;
    l->changes = 0;
    l->origin = now;
    if (l->bucket != NULL)
        memset(l->bucket, 0, PB_LIMIT_SEED_BUCKETS * sizeof(*l->bucket));
    l->newest_idx = 0;
    l->w_ok = l->w_failed = l->w_peak_inflight = 0;
    l->w_latency_ms = 0;
    l->window_end = now + l->p.adaptive_window;
    l->estimate = l->p.concurrency;
    l->long_rtt = l->long_sum = 0;
    l->long_count = 0;
}

static void set_limit(pb_limit *l, pb_usec now, uint32_t to, double value, const char *why)
{
    assert(to >= l->p.min_limit && to <= l->p.max_limit);
    if (to == l->limit)
        return;
    uint32_t from = l->limit;
    l->limit = to;
    l->changes++;
    pb_emit(l->cb, l->cb_data, now, PB_EVENT_LIMIT_CHANGE, from, to, value, why);
}

/* --- seed: the cheat sheet's record() and _adjust(), run on every result --- */

static void seed_sample(pb_limit *l, pb_usec now, pb_usec latency, bool failed)
{
    uint64_t idx = (now - l->origin) / PB_LIMIT_SEED_BUCKET_US;
    if (idx > l->newest_idx) {
        /* "trim windows (last 60 seconds)" */
        uint64_t n = PB_LIMIT_SEED_BUCKETS;
        uint64_t steps = idx - l->newest_idx < n ? idx - l->newest_idx : n;
        for (uint64_t t = idx - steps + 1; t <= idx; t++) {
            pb_limit_bucket *old = &l->bucket[t % n];
            l->w_ok -= old->ok;
            l->w_failed -= old->failed;
            l->w_latency_ms -= old->latency_ms;
            *old = (pb_limit_bucket){.idx = t};
        }
        l->newest_idx = idx;
    }
    pb_limit_bucket *b = &l->bucket[idx % PB_LIMIT_SEED_BUCKETS];
    double ms = (double)latency / 1000.0;
    if (failed) {
        b->failed++;
        l->w_failed++;
    } else {
        b->ok++;
        b->latency_ms += ms;
        l->w_ok++;
        l->w_latency_ms += ms;
    }
    uint32_t total = l->w_ok + l->w_failed;
    if (total < 10)
        return;
    double error_rate = (double)l->w_failed / total;
    double avg_latency = l->w_latency_ms / (l->w_ok > 1 ? l->w_ok : 1);
    int n = (int)l->limit;
    /* the original's arithmetic, truncation included: int(n * 1.2) == n for
     * n <= 4, so a limit that fell to 4 or below never grows again */
    if (error_rate > 0.1 || avg_latency > 2000) {
        int to = (int)(n * 0.8);
        if (to < (int)l->p.min_limit)
            to = (int)l->p.min_limit;
        set_limit(l, now, (uint32_t)to, error_rate > 0.1 ? error_rate : avg_latency,
                  error_rate > 0.1 ? "seed: error rate above 10%" : "seed: latency above 2s");
    } else if (error_rate < 0.02 && avg_latency < 500) {
        int to = (int)(n * 1.2);
        if (to > (int)l->p.max_limit)
            to = (int)l->p.max_limit;
        set_limit(l, now, (uint32_t)to, error_rate, "seed: healthy, scale up");
    }
}

/* --- corrected: the same thresholds, one decision per window --- */

static void corrected_decide(pb_limit *l, pb_usec now)
{
    uint32_t total = l->w_ok + l->w_failed;
    if (total < l->p.adaptive_min_samples) {
        /* too few results to judge: they carry over into the next window */
        l->window_end = now + l->p.adaptive_window;
        return;
    }
    double error_rate = (double)l->w_failed / total;
    double avg_latency = l->w_ok ? l->w_latency_ms / l->w_ok : 0;
    uint32_t n = l->limit, to = n;
    const char *why = NULL;
    double value = error_rate;
    if (error_rate > 0.1 || avg_latency > 2000) {
        /* shrink by at least one */
        to = (uint32_t)(n * 0.8);
        if (to > n - 1)
            to = n - 1;
        if (to < l->p.min_limit)
            to = l->p.min_limit;
        why = error_rate > 0.1 ? "error rate above 10%" : "mean latency above 2s";
        if (error_rate <= 0.1)
            value = avg_latency;
    } else if (error_rate < 0.02 && avg_latency < 500 && 2 * l->w_peak_inflight >= n) {
        /* grow by at least one, but only when the limit was actually used */
        to = (uint32_t)(n * 1.2);
        if (to < n + 1)
            to = n + 1;
        if (to > l->p.max_limit)
            to = l->p.max_limit;
        why = "healthy: error rate below 2% and latency below 500ms";
    }
    if (why != NULL)
        set_limit(l, now, to, value, why);
    l->w_ok = l->w_failed = l->w_peak_inflight = 0;
    l->w_latency_ms = 0;
    l->window_end = now + l->p.adaptive_window;
}

static void corrected_sample(pb_limit *l, pb_usec now, pb_usec latency, uint32_t inflight,
                             bool failed)
{
    if (now >= l->window_end)
        corrected_decide(l, now);
    if (failed) {
        l->w_failed++;
    } else {
        l->w_ok++;
        l->w_latency_ms += (double)latency / 1000.0;
    }
    if (inflight > l->w_peak_inflight)
        l->w_peak_inflight = inflight;
}

/* --- aimd: AIMDLimit._update --- */

static void aimd_sample(pb_limit *l, pb_usec now, pb_usec latency, uint32_t inflight, bool failed)
{
    int64_t cur = l->limit, to = cur;
    const char *why = NULL;
    if (failed || latency > l->p.aimd_timeout) {
        to = (int64_t)((double)cur * l->p.aimd_backoff_ratio);
        why = failed ? "aimd: failure, multiplicative decrease"
                     : "aimd: timeout, multiplicative "
                       "decrease";
    } else if ((int64_t)inflight * 2 >= cur) {
        to = cur + 1;
        why = "aimd: additive increase";
    }
    if (to < l->p.min_limit)
        to = l->p.min_limit;
    if (to > l->p.max_limit)
        to = l->p.max_limit;
    if (why != NULL)
        set_limit(l, now, (uint32_t)to, (double)latency, why);
}

/* --- gradient2: Gradient2Limit._update --- */

static double long_rtt_add(pb_limit *l, double rtt)
{
    /* ExpAvgMeasurement(longWindow, warmup 10): a plain mean for the first
     * ten samples, then an EMA with factor 2 / (window + 1) */
    if (l->long_count < 10) {
        l->long_count++;
        l->long_sum += rtt;
        l->long_rtt = l->long_sum / l->long_count;
    } else {
        double f = 2.0 / (l->p.gradient_long_window + 1.0);
        l->long_rtt = l->long_rtt * (1 - f) + rtt * f;
    }
    return l->long_rtt;
}

static void gradient2_sample(pb_limit *l, pb_usec now, pb_usec latency, uint32_t inflight)
{
    double queue_size = l->p.gradient_queue_size;
    /* a 0 us sample would divide by zero; the clock's resolution is 1 us */
    double short_rtt = latency > 0 ? (double)latency : 1.0;
    double long_rtt = long_rtt_add(l, short_rtt);
    /* after a long spell of high latency, pull the long RTT down faster */
    if (long_rtt / short_rtt > 2)
        l->long_rtt *= 0.95;
    /* don't grow the limit when the application is not using it */
    if (inflight < l->estimate / 2)
        return;
    double gradient = l->p.gradient_rtt_tolerance * long_rtt / short_rtt;
    if (gradient > 1.0)
        gradient = 1.0;
    if (gradient < 0.5)
        gradient = 0.5;
    double smoothing = l->p.gradient_smoothing;
    double estimate = l->estimate * gradient + queue_size;
    estimate = l->estimate * (1 - smoothing) + estimate * smoothing;
    if (estimate > l->p.max_limit)
        estimate = l->p.max_limit;
    if (estimate < l->p.min_limit)
        estimate = l->p.min_limit;
    l->estimate = estimate;
    set_limit(l, now, (uint32_t)estimate, gradient,
              gradient < 1.0 ? "gradient2: latency above the long-term RTT"
                             : "gradient2: latency steady, grow by queue size");
}

void pb_limit_sample(pb_limit *l, pb_usec now, pb_usec latency, uint32_t inflight, bool failed)
{
    switch (l->p.adaptive_policy) {
    case PB_ADAPTIVE_SEED:
        seed_sample(l, now, latency, failed);
        return;
    case PB_ADAPTIVE_CORRECTED:
        corrected_sample(l, now, latency, inflight, failed);
        return;
    case PB_ADAPTIVE_AIMD:
        aimd_sample(l, now, latency, inflight, failed);
        return;
    case PB_ADAPTIVE_GRADIENT2:
        /* as published, Gradient2 reads latency only; a failure is a sample
         * like any other (pair it with the breaker or retry for errors) */
        gradient2_sample(l, now, latency, inflight);
        return;
    }
    assert(0 && "unknown adaptive policy");
}

void pb_limit_tick(pb_limit *l, pb_usec now)
{
    if (l->p.adaptive_policy == PB_ADAPTIVE_CORRECTED && now >= l->window_end)
        corrected_decide(l, now);
}
