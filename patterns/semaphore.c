/* semaphore: tasks run in batches of B, as the cheat sheet's
 * asyncio.gather(*[fetch(url) ...]) does: every task of a batch is created when
 * the batch starts and waits on a counting semaphore of C permits, woken in
 * FIFO (task) order. Under --on-error isolate (the default, the sheet's
 * gather(..., return_exceptions=True)) a failed request is a result; under
 * propagate (plain gather) a batch's first failure raises in the caller, so
 * the batch's other results never reach it: asyncio does not cancel those
 * tasks, so they still run, still reach the server and still hold the
 * barrier, and the batch ends with a LOST event counting them. The next
 * batch starts only when the whole batch has finished, so permits sit idle
 * while the slowest tasks of a batch run: that barrier is modelled, and each
 * batch boundary is a BATCH event carrying the idle permit time.
 *
 * In a closed loop a task's intended start is its batch's start (it was
 * created then and waited for a permit); in an open loop it is its arrival,
 * so time spent waiting behind the previous batch's barrier is latency too.
 * A batch's tasks are contiguous and woken in order, so the state is O(1)
 * even though the original holds O(batch) coroutines. */
#include <assert.h>
#include <stdlib.h>

#include "arrivals.h"
#include "pattern_impl.h"
#include "worker_pool.h"

typedef struct permit {
    uint64_t ticket;
    pb_usec released_at;
    bool busy;
} permit;

typedef struct semaphore {
    pb_pattern_params params;
    pb_event_cb cb;
    void *cb_data;
    pb_arrivals arrivals;
    permit *permit;
    uint32_t *idle, idle_head, idle_count; /* FIFO ring of free permits */
    uint32_t busy;
    uint32_t workers; /* set_workers: permits that may be held at once (<= concurrency) */
    /* the current batch */
    bool batch_open;
    uint64_t batch_no;
    uint32_t batch_size, batch_started, batch_finished;
    uint32_t batch_ok;  /* successes among the batch's results so far */
    bool batch_failed;  /* a failure has ended in this batch (propagate: it raised) */
    pb_usec batch_opened, last_start;
    uint64_t seq, started, completed;
    uint64_t lost, cascaded; /* propagate: results the caller never got; successes among them */
    pb_usec last_now;
} semaphore;

static int semaphore_create(const pb_pattern_params *p, pb_event_cb cb, void *cb_data, void **state,
                            pb_err *err)
{
    semaphore *s = calloc(1, sizeof(*s));
    if (s == NULL)
        goto nomem;
    s->params = *p;
    s->cb = cb;
    s->cb_data = cb_data;
    s->permit = calloc(p->concurrency, sizeof(*s->permit));
    s->idle = calloc(p->concurrency, sizeof(*s->idle));
    if (s->permit == NULL || s->idle == NULL)
        goto nomem;
    *state = s;
    return 0;
nomem:
    if (s != NULL) {
        free(s->permit);
        free(s->idle);
        free(s);
    }
    return pb_err_set(err, PB_ENOMEM, "out of memory for %lu permits",
                      (unsigned long)p->concurrency);
}

static void semaphore_destroy(void *state)
{
    semaphore *s = state;
    if (s == NULL)
        return;
    free(s->permit);
    free(s->idle);
    free(s);
}

/* Create the next batch's tasks at `now` (none if the tasks ran out). */
static void open_batch(semaphore *s, pb_usec now, int64_t ended, double idle_us)
{
    pb_arrivals *a = &s->arrivals;
    if (pb_arrivals_exhausted(a)) {
        s->batch_open = false;
        return;
    }
    uint64_t size = s->params.batch;
    if (a->total != 0 && a->total - a->next < size)
        size = a->total - a->next;
    s->batch_open = true;
    s->batch_no = ended < 0 ? 0 : (uint64_t)ended + 1;
    s->batch_size = (uint32_t)size;
    s->batch_started = s->batch_finished = s->batch_ok = 0;
    s->batch_failed = false;
    s->batch_opened = now;
    pb_emit(s->cb, s->cb_data, now, PB_EVENT_BATCH, ended, (int64_t)s->batch_no, idle_us,
            ended < 0 ? "first batch" : "previous batch finished");
}

static void semaphore_start(void *state, pb_usec now)
{
    semaphore *s = state;
    uint32_t c = s->params.concurrency;
    pb_arrivals_start(&s->arrivals, s->params.total_tasks, s->params.rate, now);
    pb_arrivals_offset(&s->arrivals, s->params.arrival_offset);
    s->idle_head = 0;
    s->idle_count = c;
    for (uint32_t i = 0; i < c; i++) {
        s->permit[i] = (permit){.released_at = now};
        s->idle[i] = i;
    }
    s->busy = 0;
    s->workers = c;
    s->seq = s->started = s->completed = s->lost = s->cascaded = 0;
    s->last_now = now;
    s->last_start = now;
    open_batch(s, now, -1, 0);
}

static void semaphore_admit(void *state, pb_usec now, pb_admission *out)
{
    semaphore *s = state;
    uint32_t c = s->params.concurrency;
    if (now > s->last_now)
        s->last_now = now;
    if (!s->batch_open) {
        if (s->busy == 0)
            pb_admit_done(out);
        else
            pb_admit_wait(out, PB_USEC_NEVER);
        return;
    }
    /* the barrier: every task of this batch started, wait for them to end */
    if (s->batch_started == s->batch_size || s->idle_count == 0 || s->busy >= s->workers) {
        pb_admit_wait(out, PB_USEC_NEVER);
        return;
    }
    pb_usec at;
    bool scheduled;
    if (!pb_arrivals_peek(&s->arrivals, &at, &scheduled)) {
        assert(0 && "an open batch always has tasks left");
        pb_admit_wait(out, PB_USEC_NEVER);
        return;
    }
    if (scheduled && at > now) {
        pb_admit_wait(out, at);
        return;
    }
    pb_usec intended = at; /* open loop: the arrival */
    if (!scheduled)        /* closed loop: created with its batch (or when the closed loop began) */
        intended = s->batch_opened > at ? s->batch_opened : at;
    uint64_t task = s->arrivals.next;
    pb_arrivals_take(&s->arrivals);
    uint32_t p = s->idle[s->idle_head];
    s->idle_head = (s->idle_head + 1) % c;
    s->idle_count--;
    s->busy++;
    s->permit[p].busy = true;
    s->permit[p].ticket = pb_ticket_make(&s->seq, p, c);
    s->batch_started++;
    s->started++;
    s->last_start = now;
    *out = (pb_admission){
        .kind = PB_ADMIT_START,
        .ticket = s->permit[p].ticket,
        .task = task,
        .slot = p,
        .intended_start = intended,
        .wake_at = PB_USEC_NEVER,
    };
}

static void semaphore_complete(void *state, pb_usec now, const pb_result *res)
{
    semaphore *s = state;
    uint32_t c = s->params.concurrency;
    if (now > s->last_now)
        s->last_now = now;
    uint32_t p = pb_ticket_slot(res->ticket, c);
    if (!s->permit[p].busy || s->permit[p].ticket != res->ticket) {
        assert(0 && "complete() for a ticket that is not in flight");
        return;
    }
    s->permit[p].busy = false;
    s->permit[p].released_at = now;
    s->idle[(s->idle_head + s->idle_count) % c] = p;
    s->idle_count++;
    s->busy--;
    s->completed++;
    s->batch_finished++;
    if (pb_result_is_failure(res))
        s->batch_failed = true;
    else
        s->batch_ok++;
    if (s->batch_finished < s->batch_size)
        return;
    /* Propagate: gather raised at the batch's first failure and returned
     * nothing, so every other result of the batch, before or after that
     * failure, success or failure, is lost to the caller; only the exception
     * reached it. Which of them succeeded is known once all have ended, so
     * the count is made here: a batch the run's end cuts short is not judged
     * (its gather has not returned in either mode). */
    if (s->params.on_error == PB_ON_ERROR_PROPAGATE && s->batch_failed) {
        uint32_t lost = s->batch_size - 1;
        s->lost += lost;
        s->cascaded += s->batch_ok;
        pb_emit(s->cb, s->cb_data, now, PB_EVENT_LOST, (int64_t)s->batch_no, lost,
                (double)s->batch_ok, "a failure raised in gather");
    }
    /* barrier cost: from the moment a permit had no waiter left to take over,
     * it idled until this, the batch's last task, ended */
    double idle = 0;
    for (uint32_t i = 0; i < c; i++) {
        pb_usec from =
            s->permit[i].released_at > s->last_start ? s->permit[i].released_at : s->last_start;
        idle += (double)(now - from);
    }
    open_batch(s, now, (int64_t)s->batch_no, idle);
}

static void semaphore_tick(void *state, pb_usec now)
{
    semaphore *s = state;
    if (now > s->last_now)
        s->last_now = now;
}

static void semaphore_set_rate(void *state, pb_usec now, double rate)
{
    semaphore *s = state;
    pb_arrivals_set_rate(&s->arrivals, now, rate);
}

/* Fewer permits: a task holding one above the new count keeps it to its end. */
static void semaphore_set_workers(void *state, pb_usec now, uint32_t workers)
{
    semaphore *s = state;
    assert(workers <= s->params.concurrency);
    if (now > s->last_now)
        s->last_now = now;
    s->workers = workers;
}

static void semaphore_state(const void *state, pb_pattern_state *out)
{
    const semaphore *s = state;
    uint64_t waiting = 0;
    if (s->batch_open) {
        waiting = s->batch_size - s->batch_started;
        if (pb_arrivals_rate(&s->arrivals) > 0) {
            uint64_t arrived = pb_arrivals_backlog(&s->arrivals, s->last_now);
            if (arrived < waiting)
                waiting = arrived;
        }
    }
    *out = (pb_pattern_state){
        .limit = s->workers,
        .in_flight = s->busy,
        .queue_depth = (uint32_t)waiting,
        .slots = s->params.concurrency,
        .breaker = PB_BREAKER_NONE,
        .produced = s->started,
        .consumed = s->completed,
        .lost = s->lost,
        .cascaded = s->cascaded,
    };
}

const pb_pattern_ops pb_semaphore_ops = {
    .name = "semaphore",
    .create = semaphore_create,
    .destroy = semaphore_destroy,
    .start = semaphore_start,
    .admit = semaphore_admit,
    .complete = semaphore_complete,
    .tick = semaphore_tick,
    .set_rate = semaphore_set_rate,
    .set_workers = semaphore_set_workers,
    .state = semaphore_state,
};
