/* queue: W workers take tasks from a FIFO queue. A failed request is just a
 * result; the worker takes the next task (errors never escape a worker). In
 * finite mode each worker stops when the queue is empty, as the cheat sheet's
 * workers do on their None sentinel; the pattern is DONE when all stopped. */
#include <stdlib.h>

#include "pattern_impl.h"
#include "worker_pool.h"

typedef struct queue {
    pb_pattern_params params;
    pb_pool pool;
} queue;

static int queue_create(const pb_pattern_params *p, pb_event_cb cb, void *cb_data, void **state,
                        pb_err *err)
{
    queue *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    q->params = *p;
    int rc = pb_pool_init(&q->pool, p->concurrency, err);
    if (rc != 0) {
        free(q);
        return rc;
    }
    *state = q;
    return 0;
}

static void queue_destroy(void *state)
{
    queue *q = state;
    if (q == NULL)
        return;
    pb_pool_cleanup(&q->pool);
    free(q);
}

static void queue_start(void *state, pb_usec now)
{
    queue *q = state;
    pb_pool_start(&q->pool, now, q->params.total_tasks, q->params.rate);
    pb_arrivals_offset(&q->pool.arrivals, q->params.arrival_offset);
}

static void queue_admit(void *state, pb_usec now, pb_admission *out)
{
    queue *q = state;
    pb_pool_candidate c;
    pb_usec wake;
    if (pb_pool_next(&q->pool, now, &c, &wake))
        pb_pool_start_request(&q->pool, &c, out);
    else if (pb_pool_done(&q->pool))
        pb_admit_done(out);
    else
        pb_admit_wait(out, wake);
}

static void queue_complete(void *state, pb_usec now, const pb_result *res)
{
    queue *q = state;
    /* success or failure, the worker simply goes back for the next task */
    (void)pb_pool_complete(&q->pool, now, res->ticket);
}

static void queue_tick(void *state, pb_usec now)
{
    queue *q = state;
    if (now > q->pool.last_now)
        q->pool.last_now = now;
}

static void queue_set_rate(void *state, pb_usec now, double rate)
{
    queue *q = state;
    pb_arrivals_set_rate(&q->pool.arrivals, now, rate);
}

static void queue_set_workers(void *state, pb_usec now, uint32_t workers)
{
    queue *q = state;
    pb_pool_set_workers(&q->pool, now, workers);
}

static void queue_state(const void *state, pb_pattern_state *out)
{
    const queue *q = state;
    *out = (pb_pattern_state){.breaker = PB_BREAKER_NONE};
    pb_pool_state(&q->pool, out);
}

const pb_pattern_ops pb_queue_ops = {
    .name = "queue",
    .create = queue_create,
    .destroy = queue_destroy,
    .start = queue_start,
    .admit = queue_admit,
    .complete = queue_complete,
    .tick = queue_tick,
    .set_rate = queue_set_rate,
    .set_workers = queue_set_workers,
    .state = queue_state,
};
