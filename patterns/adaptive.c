/* adaptive: workers pulling tasks (closed loop) or serving arrivals (open
 * loop) under a concurrency limit that a controller (limit.h)
 * resizes within [min_limit, max_limit] from each finished request. A lower
 * limit never cancels requests in flight: new ones wait until the count drops
 * below it. Unlike the cheat sheet, whose controller computes current_workers
 * and then nothing reads it, the limit here is enforced. */
#include <stdlib.h>

#include "limit.h"
#include "pattern_impl.h"
#include "worker_pool.h"

typedef struct adaptive {
    pb_pattern_params params;
    pb_pool pool;
    pb_limit limit;
} adaptive;

/* The limit starts at concurrency and moves within [min_limit, max_limit]. */
static int adaptive_check(const pb_pattern_params *p, pb_err *err)
{
    if (p->min_limit > p->max_limit)
        return pb_err_set(err, PB_EINVAL, "--min-limit (%lu) must not exceed --max-limit (%lu)",
                          (unsigned long)p->min_limit, (unsigned long)p->max_limit);
    if (p->concurrency < p->min_limit || p->concurrency > p->max_limit)
        return pb_err_set(err, PB_EINVAL,
                          "--concurrency: the adaptive pattern starts its limit there, so it "
                          "must lie in [--min-limit, --max-limit] = [%lu, %lu], got %lu",
                          (unsigned long)p->min_limit, (unsigned long)p->max_limit,
                          (unsigned long)p->concurrency);
    return 0;
}

static int adaptive_create(const pb_pattern_params *p, pb_event_cb cb, void *cb_data, void **state,
                           pb_err *err)
{
    adaptive *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    a->params = *p;
    int rc = pb_pool_init(&a->pool, p->max_limit, err);
    if (rc != 0)
        goto fail;
    rc = pb_limit_init(&a->limit, p, cb, cb_data, err);
    if (rc != 0)
        goto fail;
    *state = a;
    return 0;
fail:
    pb_pool_cleanup(&a->pool);
    free(a);
    return rc;
}

static void adaptive_destroy(void *state)
{
    adaptive *a = state;
    if (a == NULL)
        return;
    pb_pool_cleanup(&a->pool);
    pb_limit_cleanup(&a->limit);
    free(a);
}

static void adaptive_start(void *state, pb_usec now)
{
    adaptive *a = state;
    pb_pool_start(&a->pool, now, a->params.total_tasks, a->params.rate);
    pb_arrivals_offset(&a->pool.arrivals, a->params.arrival_offset);
    pb_limit_start(&a->limit, now);
    a->pool.limit = a->limit.limit;
}

static void adaptive_admit(void *state, pb_usec now, pb_admission *out)
{
    adaptive *a = state;
    pb_pool_candidate c;
    pb_usec wake;
    if (pb_pool_next(&a->pool, now, &c, &wake))
        pb_pool_start_request(&a->pool, &c, out);
    else if (pb_pool_done(&a->pool))
        pb_admit_done(out);
    else
        pb_admit_wait(out, wake);
}

static void adaptive_complete(void *state, pb_usec now, const pb_result *res)
{
    adaptive *a = state;
    pb_pool_slot *slot = pb_pool_complete(&a->pool, now, res->ticket);
    if (slot == NULL)
        return;
    pb_limit_sample(&a->limit, now, res->latency, slot->inflight_at_start,
                    pb_result_is_failure(res));
    a->pool.limit = a->limit.limit;
}

static void adaptive_tick(void *state, pb_usec now)
{
    adaptive *a = state;
    if (now > a->pool.last_now)
        a->pool.last_now = now;
    pb_limit_tick(&a->limit, now);
    a->pool.limit = a->limit.limit;
}

static void adaptive_set_rate(void *state, pb_usec now, double rate)
{
    adaptive *a = state;
    pb_arrivals_set_rate(&a->pool.arrivals, now, rate);
}

static void adaptive_state(const void *state, pb_pattern_state *out)
{
    const adaptive *a = state;
    *out = (pb_pattern_state){.breaker = PB_BREAKER_NONE};
    pb_pool_state(&a->pool, out);
    out->limit_changes = a->limit.changes;
}

const pb_pattern_ops pb_adaptive_ops = {
    .name = "adaptive",
    .check = adaptive_check,
    .create = adaptive_create,
    .destroy = adaptive_destroy,
    .start = adaptive_start,
    .admit = adaptive_admit,
    .complete = adaptive_complete,
    .tick = adaptive_tick,
    .set_rate = adaptive_set_rate,
    .state = adaptive_state,
};
