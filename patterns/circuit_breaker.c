#include "circuit_breaker.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pattern_impl.h"

enum { CALL_FAILED = 1, CALL_SLOW = 2 };

int pb_breaker_init(pb_breaker *b, const pb_pattern_params *p, pb_event_cb cb, void *cb_data,
                    pb_err *err)
{
    memset(b, 0, sizeof(*b));
    b->p = *p;
    b->cb = cb;
    b->cb_data = cb_data;
    if (p->breaker_policy != PB_BREAKER_POLICY_RATE)
        return 0;
    if (p->window_kind == PB_WINDOW_COUNT)
        b->ring = calloc(p->window_size, 1);
    else
        b->bucket = calloc(p->window_size, sizeof(*b->bucket));
    if (b->ring == NULL && b->bucket == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory for a window of %lu",
                          (unsigned long)p->window_size);
    return 0;
}

void pb_breaker_cleanup(pb_breaker *b)
{
    free(b->ring);
    free(b->bucket);
    b->ring = NULL;
    b->bucket = NULL;
}

static void reset_window(pb_breaker *b)
{
    b->ring_next = b->ring_count = 0;
    if (b->bucket != NULL)
        memset(b->bucket, 0, b->p.window_size * sizeof(*b->bucket));
    b->newest_sec = 0;
    b->w_calls = b->w_failed = b->w_slow = 0;
}

void pb_breaker_start(pb_breaker *b, pb_usec now)
{
    b->state = PB_BREAKER_CLOSED;
    b->epoch = 0;
    b->origin = now;
    b->opened_at = 0;
    b->consecutive = 0;
    b->probes_permitted = b->probes_done = b->probes_failed = b->probes_slow = 0;
    b->stale_results = 0;
    reset_window(b);
}

static void transition(pb_breaker *b, pb_usec now, pb_breaker_state to, double value,
                       const char *why)
{
    pb_breaker_state from = b->state;
    b->state = to;
    b->epoch++;
    switch (to) {
    case PB_BREAKER_OPEN:
        b->opened_at = now;
        break;
    case PB_BREAKER_HALF_OPEN:
        b->probes_permitted = b->probes_done = b->probes_failed = b->probes_slow = 0;
        break;
    case PB_BREAKER_CLOSED:
        b->consecutive = 0;
        reset_window(b);
        break;
    case PB_BREAKER_NONE:
        assert(0 && "a breaker is never in state none");
        break;
    }
    pb_emit(b->cb, b->cb_data, now, PB_EVENT_BREAKER_STATE, from, to, value, why);
}

void pb_breaker_tick(pb_breaker *b, pb_usec now)
{
    if (b->state == PB_BREAKER_OPEN && now >= b->opened_at + b->p.recovery_timeout)
        transition(b, now, PB_BREAKER_HALF_OPEN,
                   (double)(now - b->opened_at) / (double)PB_USEC_PER_SEC,
                   "recovery timeout elapsed");
}

bool pb_breaker_permits(pb_breaker *b, pb_usec now)
{
    pb_breaker_tick(b, now);
    switch (b->state) {
    case PB_BREAKER_CLOSED:
        return true;
    case PB_BREAKER_HALF_OPEN:
        return b->p.half_open_calls == 0 || b->probes_permitted < b->p.half_open_calls;
    default:
        return false;
    }
}

bool pb_breaker_acquire(pb_breaker *b, pb_usec now, uint32_t *epoch)
{
    if (!pb_breaker_permits(b, now))
        return false;
    if (b->state == PB_BREAKER_HALF_OPEN)
        b->probes_permitted++;
    *epoch = b->epoch;
    return true;
}

/* Add one call to the closed-state window (count or time based). */
static void window_add(pb_breaker *b, pb_usec now, uint8_t flags)
{
    uint32_t n = b->p.window_size;
    if (b->ring != NULL) {
        if (b->ring_count == n) {
            uint8_t old = b->ring[b->ring_next];
            b->w_calls--;
            b->w_failed -= (old & CALL_FAILED) != 0;
            b->w_slow -= (old & CALL_SLOW) != 0;
        } else {
            b->ring_count++;
        }
        b->ring[b->ring_next] = flags;
        b->ring_next = (b->ring_next + 1) % n;
    } else {
        /* n one-second buckets; the window is the current second and the
         * n-1 before it, as resilience4j's SlidingTimeWindowMetrics */
        uint64_t sec = (now - b->origin) / PB_USEC_PER_SEC;
        if (sec > b->newest_sec) {
            /* the buckets of the seconds entering the window held seconds
             * that are leaving it */
            uint64_t steps = sec - b->newest_sec < n ? sec - b->newest_sec : n;
            for (uint64_t t = sec - steps + 1; t <= sec; t++) {
                pb_breaker_bucket *old = &b->bucket[t % n];
                b->w_calls -= old->calls;
                b->w_failed -= old->failed;
                b->w_slow -= old->slow;
                *old = (pb_breaker_bucket){.sec = t};
            }
            b->newest_sec = sec;
        }
        pb_breaker_bucket *bk = &b->bucket[sec % n];
        bk->calls++;
        bk->failed += (flags & CALL_FAILED) != 0;
        bk->slow += (flags & CALL_SLOW) != 0;
    }
    b->w_calls++;
    b->w_failed += (flags & CALL_FAILED) != 0;
    b->w_slow += (flags & CALL_SLOW) != 0;
}

static void record_closed(pb_breaker *b, pb_usec now, uint8_t flags)
{
    if (b->p.breaker_policy == PB_BREAKER_POLICY_CONSECUTIVE) {
        if (!(flags & CALL_FAILED)) {
            b->consecutive = 0;
            return;
        }
        if (++b->consecutive >= b->p.failure_threshold)
            transition(b, now, PB_BREAKER_OPEN, b->consecutive,
                       "consecutive failures reached failure-threshold");
        return;
    }
    window_add(b, now, flags);
    uint32_t minimum = b->p.minimum_calls;
    if (b->p.window_kind == PB_WINDOW_COUNT && b->p.window_size < minimum)
        minimum = b->p.window_size;
    if (b->w_calls == 0 || b->w_calls < minimum)
        return;
    double failure_rate = (double)b->w_failed / b->w_calls;
    double slow_rate = (double)b->w_slow / b->w_calls;
    if (failure_rate >= b->p.failure_rate_threshold)
        transition(b, now, PB_BREAKER_OPEN, failure_rate,
                   "failure rate reached failure-rate-threshold");
    else if (slow_rate >= b->p.slow_call_rate_threshold)
        transition(b, now, PB_BREAKER_OPEN, slow_rate,
                   "slow-call rate reached slow-call-rate-threshold");
}

static void record_half_open(pb_breaker *b, pb_usec now, uint8_t flags)
{
    if (b->p.breaker_policy == PB_BREAKER_POLICY_CONSECUTIVE) {
        if (flags & CALL_FAILED)
            transition(b, now, PB_BREAKER_OPEN, 1, "probe failed");
        else
            transition(b, now, PB_BREAKER_CLOSED, 0, "probe succeeded");
        return;
    }
    b->probes_done++;
    b->probes_failed += (flags & CALL_FAILED) != 0;
    b->probes_slow += (flags & CALL_SLOW) != 0;
    uint32_t minimum =
        b->p.minimum_calls < b->p.half_open_calls ? b->p.minimum_calls : b->p.half_open_calls;
    if (b->probes_done < minimum)
        return;
    double failure_rate = (double)b->probes_failed / b->probes_done;
    double slow_rate = (double)b->probes_slow / b->probes_done;
    if (failure_rate >= b->p.failure_rate_threshold)
        transition(b, now, PB_BREAKER_OPEN, failure_rate,
                   "probes' failure rate reached failure-rate-threshold");
    else if (slow_rate >= b->p.slow_call_rate_threshold)
        transition(b, now, PB_BREAKER_OPEN, slow_rate,
                   "probes' slow-call rate reached slow-call-rate-threshold");
    else
        transition(b, now, PB_BREAKER_CLOSED, failure_rate, "probes within thresholds");
}

void pb_breaker_record(pb_breaker *b, pb_usec now, uint32_t epoch, bool failed, pb_usec latency)
{
    pb_breaker_tick(b, now);
    if (epoch != b->epoch) {
        b->stale_results++;
        return;
    }
    uint8_t flags = (failed ? CALL_FAILED : 0) | (b->p.breaker_policy == PB_BREAKER_POLICY_RATE &&
                                                          latency > b->p.slow_call_duration
                                                      ? CALL_SLOW
                                                      : 0);
    if (b->state == PB_BREAKER_CLOSED)
        record_closed(b, now, flags);
    else if (b->state == PB_BREAKER_HALF_OPEN)
        record_half_open(b, now, flags);
}

pb_usec pb_breaker_half_open_at(const pb_breaker *b)
{
    if (b->state != PB_BREAKER_OPEN)
        return PB_USEC_NEVER;
    return b->opened_at + b->p.recovery_timeout;
}
