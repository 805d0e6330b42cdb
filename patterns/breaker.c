/* breaker: `concurrency` workers (closed loop) or open-loop arrivals waiting
 * for one of `concurrency` workers, each call passing through a circuit
 * breaker (circuit_breaker.h). A call the breaker refuses is a REJECT with
 * REJECTED_BY_BREAKER: it never reaches the network.
 *
 * Closed loop: a worker whose call was rejected waits reject_pause before its
 * next call, so an open breaker costs a bounded number of rejections
 * (concurrency per reject_pause) instead of a busy loop. Open loop: an
 * arrival is refused as soon as it arrives, without waiting for a worker.
 *
 * Failures are pb_result_is_failure(): 5xx, 429, timeouts, connection errors,
 * resets, protocol errors; a 4xx other than 429 is the caller's fault and
 * counts as a success for the breaker. */
#include <stdlib.h>

#include "circuit_breaker.h"
#include "pattern_impl.h"
#include "worker_pool.h"

typedef struct breaker {
    pb_pattern_params params;
    pb_pool pool;
    pb_breaker br;
} breaker;

/* The rate policy's rules; the consecutive policy takes any value the
 * options table allows. */
static int breaker_check(const pb_pattern_params *p, pb_err *err)
{
    if (p->breaker_policy != PB_BREAKER_POLICY_RATE)
        return 0;
    if (p->window_kind == PB_WINDOW_TIME && p->window_size > 3600)
        return pb_err_set(err, PB_ERANGE,
                          "--window-size: a time window is at most 3600 seconds, got %lu",
                          (unsigned long)p->window_size);
    if (p->half_open_calls == 0)
        return pb_err_set(err, PB_EINVAL,
                          "--half-open-calls: the rate policy judges a fixed number of "
                          "probes, expected at least 1, got 0");
    if (p->failure_rate_threshold <= 0 || p->slow_call_rate_threshold <= 0)
        return pb_err_set(err, PB_ERANGE,
                          "--failure-rate-threshold and --slow-call-rate-threshold: expected "
                          "a rate above 0, got %g and %g",
                          p->failure_rate_threshold, p->slow_call_rate_threshold);
    return 0;
}

static int breaker_create(const pb_pattern_params *p, pb_event_cb cb, void *cb_data, void **state,
                          pb_err *err)
{
    breaker *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    b->params = *p;
    int rc = pb_pool_init(&b->pool, p->concurrency, err);
    if (rc != 0)
        goto fail;
    rc = pb_breaker_init(&b->br, p, cb, cb_data, err);
    if (rc != 0)
        goto fail;
    *state = b;
    return 0;
fail:
    pb_pool_cleanup(&b->pool);
    free(b);
    return rc;
}

static void breaker_destroy(void *state)
{
    breaker *b = state;
    if (b == NULL)
        return;
    pb_pool_cleanup(&b->pool);
    pb_breaker_cleanup(&b->br);
    free(b);
}

static void breaker_start(void *state, pb_usec now)
{
    breaker *b = state;
    pb_pool_start(&b->pool, now, b->params.total_tasks, b->params.rate);
    pb_arrivals_offset(&b->pool.arrivals, b->params.arrival_offset);
    pb_breaker_start(&b->br, now);
}

static void breaker_admit(void *state, pb_usec now, pb_admission *out)
{
    breaker *b = state;
    pb_pool_candidate c;
    pb_breaker_tick(&b->br, now);
    /* open loop: fail fast on arrival, without waiting for a worker */
    if (pb_pool_arrived(&b->pool, now, &c) && !pb_breaker_permits(&b->br, now)) {
        pb_pool_reject_arrival(&b->pool, &c, PB_OUTCOME_REJECTED_BY_BREAKER, out);
        return;
    }
    pb_usec wake;
    if (pb_pool_next(&b->pool, now, &c, &wake)) {
        uint32_t epoch;
        if (pb_breaker_acquire(&b->br, now, &epoch)) {
            pb_pool_start_request(&b->pool, &c, out);
            b->pool.slot[out->slot].tag = epoch;
        } else {
            pb_usec pause = c.scheduled ? now : now + b->params.reject_pause;
            pb_pool_reject(&b->pool, now, &c, pause, PB_OUTCOME_REJECTED_BY_BREAKER, out);
        }
        return;
    }
    if (pb_pool_done(&b->pool)) {
        pb_admit_done(out);
        return;
    }
    /* wake for the half-open transition too, so its event has its exact time */
    pb_usec half_open = pb_breaker_half_open_at(&b->br);
    pb_admit_wait(out, half_open < wake ? half_open : wake);
}

static void breaker_complete(void *state, pb_usec now, const pb_result *res)
{
    breaker *b = state;
    pb_pool_slot *slot = pb_pool_complete(&b->pool, now, res->ticket);
    if (slot == NULL)
        return;
    pb_breaker_record(&b->br, now, slot->tag, pb_result_is_failure(res), res->latency);
}

static void breaker_tick(void *state, pb_usec now)
{
    breaker *b = state;
    if (now > b->pool.last_now)
        b->pool.last_now = now;
    pb_breaker_tick(&b->br, now);
}

static void breaker_set_rate(void *state, pb_usec now, double rate)
{
    breaker *b = state;
    pb_arrivals_set_rate(&b->pool.arrivals, now, rate);
}

static void breaker_set_workers(void *state, pb_usec now, uint32_t workers)
{
    breaker *b = state;
    pb_pool_set_workers(&b->pool, now, workers);
}

static void breaker_state(const void *state, pb_pattern_state *out)
{
    const breaker *b = state;
    *out = (pb_pattern_state){0};
    pb_pool_state(&b->pool, out);
    out->breaker = b->br.state;
}

const pb_pattern_ops pb_breaker_ops = {
    .name = "breaker",
    .check = breaker_check,
    .create = breaker_create,
    .destroy = breaker_destroy,
    .start = breaker_start,
    .admit = breaker_admit,
    .complete = breaker_complete,
    .tick = breaker_tick,
    .set_rate = breaker_set_rate,
    .set_workers = breaker_set_workers,
    .state = breaker_state,
};
