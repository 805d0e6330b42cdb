#include "retry.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "pattern_impl.h"
#include "worker_pool.h"

enum { HELD_FREE, HELD_IN_FLIGHT, HELD_BACKOFF };

/* One slot's task across its attempts. */
typedef struct held {
    uint8_t status;
    uint32_t attempt;
    uint64_t task;
    uint64_t ticket;       /* the current attempt's (ours) */
    uint64_t inner_ticket; /* the inner pattern's, for its single complete() */
    pb_usec due;           /* BACKOFF: when the next attempt may start */
    pb_usec prev_backoff;
} held;

typedef struct retry {
    pb_pattern inner;
    pb_pattern_params params;
    pb_event_cb cb;
    void *cb_data;
    uint32_t slots;
    held *held;
    uint32_t *backoff, n_backoff; /* slots waiting out a backoff, unordered */
    uint32_t active;              /* slots in flight or in backoff */
    uint64_t seq, retries;
} retry;

pb_usec pb_retry_backoff(const pb_pattern_params *p, uint32_t n, pb_usec prev, pb_rng *rng)
{
    double cap = (double)p->retry_cap;
    double exp = fmin(cap, (double)p->retry_base * ldexp(1.0, n > 1000 ? 1000 : (int)n));
    switch (p->retry_jitter) {
    case PB_JITTER_NONE:
        return (pb_usec)exp;
    case PB_JITTER_FULL:
        return pb_rng_below(rng, (uint64_t)exp + 1);
    case PB_JITTER_DECORRELATED: {
        pb_usec lo = p->retry_base;
        double hi = fmin(cap, 3.0 * (double)(prev < lo ? lo : prev));
        if (hi <= (double)lo)
            return lo;
        return lo + pb_rng_below(rng, (uint64_t)hi - lo + 1);
    }
    }
    assert(0 && "unknown jitter");
    return (pb_usec)exp;
}

static void retry_destroy(void *state)
{
    retry *r = state;
    if (r == NULL)
        return;
    pb_pattern_destroy(&r->inner);
    free(r->held);
    free(r->backoff);
    free(r);
}

static void retry_start(void *state, pb_usec now)
{
    retry *r = state;
    for (uint32_t i = 0; i < r->slots; i++)
        r->held[i] = (held){.status = HELD_FREE};
    r->n_backoff = r->active = 0;
    r->seq = r->retries = 0;
    r->inner.ops->start(r->inner.state, now);
}

/* Index in r->backoff of the slot due first, or -1. */
static int64_t earliest_backoff(const retry *r)
{
    int64_t best = -1;
    for (uint32_t i = 0; i < r->n_backoff; i++)
        if (best < 0 || r->held[r->backoff[i]].due < r->held[r->backoff[best]].due)
            best = i;
    return best;
}

static void retry_admit(void *state, pb_usec now, pb_admission *out)
{
    retry *r = state;
    int64_t i = earliest_backoff(r);
    if (i >= 0 && r->held[r->backoff[i]].due <= now) {
        uint32_t s = r->backoff[i];
        r->backoff[i] = r->backoff[--r->n_backoff];
        held *h = &r->held[s];
        h->status = HELD_IN_FLIGHT;
        h->ticket = pb_ticket_make(&r->seq, s, r->slots);
        *out = (pb_admission){
            .kind = PB_ADMIT_START,
            .ticket = h->ticket,
            .task = h->task,
            .slot = s,
            .attempt = h->attempt,
            .intended_start = h->due,
            .wake_at = PB_USEC_NEVER,
        };
        return;
    }
    pb_usec due = i >= 0 ? r->held[r->backoff[i]].due : PB_USEC_NEVER;
    pb_admission in;
    r->inner.ops->admit(r->inner.state, now, &in);
    switch (in.kind) {
    case PB_ADMIT_START: {
        assert(in.slot < r->slots);
        held *h = &r->held[in.slot];
        assert(h->status == HELD_FREE);
        *h = (held){.status = HELD_IN_FLIGHT,
                    .task = in.task,
                    .inner_ticket = in.ticket,
                    .ticket = pb_ticket_make(&r->seq, in.slot, r->slots),
                    .prev_backoff = r->params.retry_base};
        r->active++;
        *out = in;
        out->ticket = h->ticket;
        return;
    }
    case PB_ADMIT_REJECT:
        *out = in;
        out->ticket = pb_ticket_make(&r->seq, in.slot < r->slots ? in.slot : 0, r->slots);
        return;
    case PB_ADMIT_WAIT:
        pb_admit_wait(out, in.wake_at < due ? in.wake_at : due);
        return;
    case PB_ADMIT_DONE:
        /* the inner pattern is done, but tasks in backoff still need us */
        if (r->active > 0)
            pb_admit_wait(out, due);
        else
            pb_admit_done(out);
        return;
    }
}

static void retry_complete(void *state, pb_usec now, const pb_result *res)
{
    retry *r = state;
    uint32_t s = pb_ticket_slot(res->ticket, r->slots);
    held *h = &r->held[s];
    if (h->status != HELD_IN_FLIGHT || h->ticket != res->ticket) {
        assert(0 && "complete() for a ticket that is not in flight");
        return;
    }
    if (pb_result_is_failure(res) && h->attempt + 1 < r->params.retry_max_attempts) {
        pb_rng rng;
        pb_rng_seed_stream(&rng, r->params.seed, h->task * 128 + h->attempt);
        pb_usec backoff = pb_retry_backoff(&r->params, h->attempt, h->prev_backoff, &rng);
        h->prev_backoff = backoff;
        if (r->params.retry_honour_retry_after && res->retry_after > backoff)
            backoff = res->retry_after;
        pb_emit(r->cb, r->cb_data, now, PB_EVENT_RETRY, h->attempt, h->attempt + 1, (double)backoff,
                backoff == res->retry_after && r->params.retry_honour_retry_after
                    ? "waiting for Retry-After"
                    : "exponential backoff");
        h->attempt++;
        h->status = HELD_BACKOFF;
        h->due = now + backoff;
        r->backoff[r->n_backoff++] = s;
        r->retries++;
        return;
    }
    pb_result final = *res;
    final.ticket = h->inner_ticket;
    h->status = HELD_FREE;
    r->active--;
    r->inner.ops->complete(r->inner.state, now, &final);
}

static void retry_tick(void *state, pb_usec now)
{
    retry *r = state;
    r->inner.ops->tick(r->inner.state, now);
}

static void retry_set_rate(void *state, pb_usec now, double rate)
{
    retry *r = state;
    if (r->inner.ops->set_rate != NULL)
        r->inner.ops->set_rate(r->inner.state, now, rate);
}

static void retry_set_workers(void *state, pb_usec now, uint32_t workers)
{
    retry *r = state;
    /* the run refuses a ramp of workers for a pattern without them */
    assert(r->inner.ops->set_workers != NULL);
    r->inner.ops->set_workers(r->inner.state, now, workers);
}

static void retry_state(const void *state, pb_pattern_state *out)
{
    const retry *r = state;
    r->inner.ops->state(r->inner.state, out);
    out->retries = r->retries;
}

/* No check or create: the decorator is never created by name, only wrapped
 * around a created pattern by pb_retry_wrap. */
static const pb_pattern_ops retry_ops = {
    .name = "retry",
    .destroy = retry_destroy,
    .start = retry_start,
    .admit = retry_admit,
    .complete = retry_complete,
    .tick = retry_tick,
    .set_rate = retry_set_rate,
    .set_workers = retry_set_workers,
    .state = retry_state,
};

int pb_retry_wrap(const pb_pattern *inner, const pb_pattern_params *p, pb_event_cb cb,
                  void *cb_data, pb_pattern *out, pb_err *err)
{
    retry *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return pb_err_set(err, PB_ENOMEM, "retry: out of memory");
    pb_pattern_state st;
    inner->ops->state(inner->state, &st);
    assert(st.slots > 0);
    r->slots = st.slots;
    r->held = calloc(r->slots, sizeof(*r->held));
    r->backoff = calloc(r->slots, sizeof(*r->backoff));
    if (r->held == NULL || r->backoff == NULL)
        goto nomem;
    r->inner = *inner;
    r->params = *p;
    r->cb = cb;
    r->cb_data = cb_data;
    *out = (pb_pattern){.ops = &retry_ops, .state = r};
    return 0;
nomem:
    free(r->held);
    free(r->backoff);
    free(r);
    return pb_err_set(err, PB_ENOMEM, "retry: out of memory for %lu slots",
                      (unsigned long)st.slots);
}
