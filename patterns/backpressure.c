/* backpressure: a producer puts items into a bounded queue of queue_size and
 * `concurrency` consumers take them. A put that finds the queue full blocks;
 * if no room appears within put_timeout the item is dropped (a REJECT with
 * DROPPED_BY_BACKPRESSURE and a DROP event).
 *
 * Closed loop: one producer offers the next item as soon as its previous put
 * finished, as the cheat sheet's `for task in ...: await bq.produce(task)`.
 * Open loop: item i is offered at its arrival time whether or not earlier puts
 * are still blocked (arrivals do not slow down), so the blocked puts are the
 * arrivals backlog and each one times out put_timeout after its arrival.
 *
 * Counters: produced = items whose put finished (queued or dropped), consumed
 * = items whose request finished (not when taken, which is where the cheat
 * sheet counts it), so that at every step
 *     produced = consumed + queued + in flight + dropped. */
#include <assert.h>
#include <stdlib.h>

#include "arrivals.h"
#include "pattern_impl.h"
#include "worker_pool.h"

typedef struct item {
    uint64_t task;
    pb_usec offered; /* when its put began: the intended start */
} item;

typedef struct consumer {
    uint64_t ticket;
    bool busy;
} consumer;

typedef struct backpressure {
    pb_pattern_params params;
    pb_event_cb cb;
    void *cb_data;
    pb_arrivals arrivals;
    item *queue;
    uint32_t q_head, q_count;
    consumer *consumer;
    uint32_t *idle, idle_head, idle_count; /* FIFO ring of idle consumers */
    uint32_t busy;
    uint32_t workers;  /* set_workers: consumers that may take items (<= concurrency) */
    pb_usec put_start; /* closed loop: when the producer's current put began */
    uint64_t seq, enqueued, consumed, dropped;
} backpressure;

static int backpressure_create(const pb_pattern_params *p, pb_event_cb cb, void *cb_data,
                               void **state, pb_err *err)
{
    backpressure *b = calloc(1, sizeof(*b));
    if (b == NULL)
        goto nomem;
    b->params = *p;
    b->cb = cb;
    b->cb_data = cb_data;
    b->queue = calloc(p->queue_size, sizeof(*b->queue));
    b->consumer = calloc(p->concurrency, sizeof(*b->consumer));
    b->idle = calloc(p->concurrency, sizeof(*b->idle));
    if (b->queue == NULL || b->consumer == NULL || b->idle == NULL)
        goto nomem;
    *state = b;
    return 0;
nomem:
    if (b != NULL) {
        free(b->queue);
        free(b->consumer);
        free(b->idle);
        free(b);
    }
    return pb_err_set(err, PB_ENOMEM, "out of memory for a queue of %lu",
                      (unsigned long)p->queue_size);
}

static void backpressure_destroy(void *state)
{
    backpressure *b = state;
    if (b == NULL)
        return;
    free(b->queue);
    free(b->consumer);
    free(b->idle);
    free(b);
}

static void backpressure_start(void *state, pb_usec now)
{
    backpressure *b = state;
    pb_arrivals_start(&b->arrivals, b->params.total_tasks, b->params.rate, now);
    pb_arrivals_offset(&b->arrivals, b->params.arrival_offset);
    b->q_head = b->q_count = 0;
    for (uint32_t i = 0; i < b->params.concurrency; i++) {
        b->consumer[i] = (consumer){0};
        b->idle[i] = i;
    }
    b->idle_head = 0;
    b->idle_count = b->params.concurrency;
    b->busy = 0;
    b->workers = b->params.concurrency;
    b->put_start = now;
    b->seq = b->enqueued = b->consumed = b->dropped = 0;
}

/* Resolve the producer's puts up to `now`: queue what fits, drop what timed
 * out. Returns true with *out filled when an item was dropped (one per call,
 * since each drop is reported as its own REJECT). */
static bool produce(backpressure *b, pb_usec now, pb_admission *out)
{
    uint32_t m = b->params.queue_size;
    for (;;) {
        pb_usec at;
        bool scheduled;
        if (!pb_arrivals_peek(&b->arrivals, &at, &scheduled))
            return false;
        pb_usec offered = scheduled ? at : b->put_start;
        if (offered > now)
            return false;
        uint64_t task = b->arrivals.next;
        if (b->q_count < m) {
            b->queue[(b->q_head + b->q_count) % m] = (item){.task = task, .offered = offered};
            b->q_count++;
            b->enqueued++;
            pb_arrivals_take(&b->arrivals);
            if (!scheduled)
                b->put_start = now;
            continue;
        }
        pb_usec deadline = offered + b->params.put_timeout;
        if (deadline > now)
            return false; /* blocked: room may still appear in time */
        pb_arrivals_take(&b->arrivals);
        b->dropped++;
        if (!scheduled)
            b->put_start = deadline;
        /* one per dropped item, so no text: the kind says it (docs/schema.md) */
        pb_emit(b->cb, b->cb_data, deadline, PB_EVENT_DROP, (int64_t)task, b->q_count,
                (double)b->params.put_timeout, NULL);
        *out = (pb_admission){
            .kind = PB_ADMIT_REJECT,
            .ticket = pb_ticket_make(&b->seq, 0, b->params.concurrency),
            .task = task,
            .slot = 0,
            .intended_start = offered,
            .reject_outcome = PB_OUTCOME_DROPPED_BY_BACKPRESSURE,
            .wake_at = PB_USEC_NEVER,
        };
        return true;
    }
}

static void backpressure_admit(void *state, pb_usec now, pb_admission *out)
{
    backpressure *b = state;
    uint32_t m = b->params.queue_size, c = b->params.concurrency;
    if (produce(b, now, out))
        return;
    if (b->idle_count > 0 && b->q_count > 0 && b->busy < b->workers) {
        item it = b->queue[b->q_head];
        b->q_head = (b->q_head + 1) % m;
        b->q_count--;
        uint32_t s = b->idle[b->idle_head];
        b->idle_head = (b->idle_head + 1) % c;
        b->idle_count--;
        b->busy++;
        b->consumer[s].busy = true;
        b->consumer[s].ticket = pb_ticket_make(&b->seq, s, c);
        *out = (pb_admission){
            .kind = PB_ADMIT_START,
            .ticket = b->consumer[s].ticket,
            .task = it.task,
            .slot = s,
            .intended_start = it.offered,
            .wake_at = PB_USEC_NEVER,
        };
        return;
    }
    pb_usec at;
    bool scheduled;
    if (!pb_arrivals_peek(&b->arrivals, &at, &scheduled)) {
        if (b->q_count == 0 && b->busy == 0)
            pb_admit_done(out);
        else
            pb_admit_wait(out, PB_USEC_NEVER);
        return;
    }
    pb_usec offered = scheduled ? at : b->put_start;
    /* with room, the next arrival goes straight in (and may feed an idle
     * consumer); on a full queue the next thing to happen is its timeout,
     * unless a completion frees room first */
    pb_admit_wait(out, b->q_count < m ? offered : offered + b->params.put_timeout);
}

static void backpressure_complete(void *state, pb_usec now, const pb_result *res)
{
    backpressure *b = state;
    uint32_t c = b->params.concurrency;
    uint32_t s = pb_ticket_slot(res->ticket, c);
    if (!b->consumer[s].busy || b->consumer[s].ticket != res->ticket) {
        assert(0 && "complete() for a ticket that is not in flight");
        return;
    }
    b->consumer[s].busy = false;
    b->idle[(b->idle_head + b->idle_count) % c] = s;
    b->idle_count++;
    b->busy--;
    b->consumed++;
}

static void backpressure_tick(void *state, pb_usec now)
{
    /* puts are resolved lazily in admit(), which the engine calls at every
     * wake_at; nothing advances on its own here */
}

static void backpressure_set_rate(void *state, pb_usec now, double rate)
{
    backpressure *b = state;
    if (pb_arrivals_rate(&b->arrivals) > 0 && rate == 0 && now > b->put_start)
        b->put_start = now; /* the closed-loop producer starts now */
    pb_arrivals_set_rate(&b->arrivals, now, rate);
}

/* Fewer consumers: one above the new count ends its item and takes no other. */
static void backpressure_set_workers(void *state, pb_usec now, uint32_t workers)
{
    backpressure *b = state;
    (void)now;
    assert(workers <= b->params.concurrency);
    b->workers = workers;
}

static void backpressure_state(const void *state, pb_pattern_state *out)
{
    const backpressure *b = state;
    *out = (pb_pattern_state){
        .limit = b->workers,
        .in_flight = b->busy,
        .queue_depth = b->q_count,
        .slots = b->params.concurrency,
        .breaker = PB_BREAKER_NONE,
        .produced = b->enqueued + b->dropped,
        .consumed = b->consumed,
        .dropped = b->dropped,
    };
}

const pb_pattern_ops pb_backpressure_ops = {
    .name = "backpressure",
    .create = backpressure_create,
    .destroy = backpressure_destroy,
    .start = backpressure_start,
    .admit = backpressure_admit,
    .complete = backpressure_complete,
    .tick = backpressure_tick,
    .set_rate = backpressure_set_rate,
    .set_workers = backpressure_set_workers,
    .state = backpressure_state,
};
