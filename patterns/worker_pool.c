#include "worker_pool.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

enum { SLOT_IDLE, SLOT_BUSY, SLOT_PAUSED };

static void ring_push(uint32_t *ring, uint32_t *head, uint32_t *count, uint32_t cap, uint32_t v)
{
    assert(*count < cap);
    ring[(*head + *count) % cap] = v;
    (*count)++;
}

static uint32_t ring_pop(uint32_t *ring, uint32_t *head, uint32_t *count, uint32_t cap)
{
    assert(*count > 0);
    uint32_t v = ring[*head];
    *head = (*head + 1) % cap;
    (*count)--;
    return v;
}

int pb_pool_init(pb_pool *pool, uint32_t nslots, pb_err *err)
{
    memset(pool, 0, sizeof(*pool));
    assert(nslots > 0);
    pool->nslots = nslots;
    pool->limit = nslots;
    pool->workers = nslots;
    pool->idle = calloc(nslots, sizeof(*pool->idle));
    pool->pause = calloc(nslots, sizeof(*pool->pause));
    pool->slot = calloc(nslots, sizeof(*pool->slot));
    if (pool->idle == NULL || pool->pause == NULL || pool->slot == NULL) {
        pb_pool_cleanup(pool);
        return pb_err_set(err, PB_ENOMEM, "out of memory allocating %lu workers",
                          (unsigned long)nslots);
    }
    return 0;
}

void pb_pool_cleanup(pb_pool *pool)
{
    free(pool->idle);
    free(pool->pause);
    free(pool->slot);
    pool->idle = pool->pause = NULL;
    pool->slot = NULL;
}

void pb_pool_start(pb_pool *pool, pb_usec now, uint64_t total_tasks, double rate)
{
    pb_arrivals_start(&pool->arrivals, total_tasks, rate, now);
    pool->busy = pool->paused = 0;
    pool->idle_head = pool->pause_head = pool->pause_count = 0;
    pool->idle_count = 0;
    for (uint32_t i = 0; i < pool->nslots; i++) {
        pool->slot[i] = (pb_pool_slot){.ready_at = now, .status = SLOT_IDLE};
        ring_push(pool->idle, &pool->idle_head, &pool->idle_count, pool->nslots, i);
    }
    pool->seq = 0;
    pool->started = pool->rejected = pool->completed = 0;
    pool->last_now = now;
    pool->place_at = now;
}

void pb_pool_set_workers(pb_pool *pool, pb_usec now, uint32_t workers)
{
    assert(workers <= pool->nslots);
    if (workers > pool->workers)
        pool->place_at = now;
    pool->workers = workers;
}

static void release_paused(pb_pool *pool, pb_usec now)
{
    while (pool->pause_count > 0) {
        uint32_t s = pool->pause[pool->pause_head];
        if (pool->slot[s].paused_until > now)
            break;
        ring_pop(pool->pause, &pool->pause_head, &pool->pause_count, pool->nslots);
        pool->paused--;
        pool->slot[s].status = SLOT_IDLE;
        pool->slot[s].ready_at = pool->slot[s].paused_until;
        ring_push(pool->idle, &pool->idle_head, &pool->idle_count, pool->nslots, s);
    }
}

static pb_usec earliest_pause_end(const pb_pool *pool)
{
    if (pool->pause_count == 0)
        return PB_USEC_NEVER;
    return pool->slot[pool->pause[pool->pause_head]].paused_until;
}

bool pb_pool_next(pb_pool *pool, pb_usec now, pb_pool_candidate *c, pb_usec *wake_at)
{
    if (now > pool->last_now)
        pool->last_now = now;
    release_paused(pool, now);
    pb_usec at;
    bool scheduled;
    if (!pb_arrivals_peek(&pool->arrivals, &at, &scheduled)) {
        *wake_at = PB_USEC_NEVER;
        return false;
    }
    uint32_t allowed = pool->limit < pool->workers ? pool->limit : pool->workers;
    if (pool->busy + pool->paused >= allowed || pool->idle_count == 0) {
        *wake_at = earliest_pause_end(pool);
        return false;
    }
    uint32_t s = pool->idle[pool->idle_head];
    if (scheduled && at > now) {
        pb_usec p = earliest_pause_end(pool);
        *wake_at = at < p ? at : p;
        return false;
    }
    c->slot = s;
    c->task = pool->arrivals.next;
    if (scheduled)
        c->intended = at;
    else { /* closed loop: ready once the worker, the closed loop and its place
              * among the workers were */
        c->intended = pool->slot[s].ready_at > at ? pool->slot[s].ready_at : at;
        if (pool->place_at > c->intended)
            c->intended = pool->place_at;
    }
    c->scheduled = scheduled;
    return true;
}

bool pb_pool_arrived(pb_pool *pool, pb_usec now, pb_pool_candidate *c)
{
    pb_usec at;
    bool scheduled;
    if (!pb_arrivals_peek(&pool->arrivals, &at, &scheduled) || !scheduled || at > now)
        return false;
    c->slot = 0;
    c->task = pool->arrivals.next;
    c->intended = at;
    c->scheduled = true;
    return true;
}

void pb_pool_start_request(pb_pool *pool, const pb_pool_candidate *c, pb_admission *out)
{
    assert(c->task == pool->arrivals.next);
    pb_arrivals_take(&pool->arrivals);
    uint32_t s = ring_pop(pool->idle, &pool->idle_head, &pool->idle_count, pool->nslots);
    assert(s == c->slot);
    pb_pool_slot *slot = &pool->slot[s];
    slot->status = SLOT_BUSY;
    pool->busy++;
    slot->inflight_at_start = pool->busy;
    slot->ticket = pb_ticket_make(&pool->seq, s, pool->nslots);
    pool->started++;
    *out = (pb_admission){.kind = PB_ADMIT_START,
                          .ticket = slot->ticket,
                          .task = c->task,
                          .slot = s,
                          .intended_start = c->intended,
                          .wake_at = PB_USEC_NEVER};
}

void pb_pool_reject(pb_pool *pool, pb_usec now, const pb_pool_candidate *c, pb_usec pause_until,
                    pb_outcome why, pb_admission *out)
{
    assert(c->task == pool->arrivals.next);
    pb_arrivals_take(&pool->arrivals);
    uint32_t s = ring_pop(pool->idle, &pool->idle_head, &pool->idle_count, pool->nslots);
    assert(s == c->slot);
    pb_pool_slot *slot = &pool->slot[s];
    if (pause_until > now) {
        slot->status = SLOT_PAUSED;
        slot->paused_until = pause_until;
        pool->paused++;
        ring_push(pool->pause, &pool->pause_head, &pool->pause_count, pool->nslots, s);
    } else {
        slot->ready_at = now;
        ring_push(pool->idle, &pool->idle_head, &pool->idle_count, pool->nslots, s);
    }
    pool->rejected++;
    *out = (pb_admission){.kind = PB_ADMIT_REJECT,
                          .ticket = pb_ticket_make(&pool->seq, s, pool->nslots),
                          .task = c->task,
                          .slot = s,
                          .intended_start = c->intended,
                          .reject_outcome = why,
                          .wake_at = PB_USEC_NEVER};
}

void pb_pool_reject_arrival(pb_pool *pool, const pb_pool_candidate *c, pb_outcome why,
                            pb_admission *out)
{
    assert(c->task == pool->arrivals.next);
    pb_arrivals_take(&pool->arrivals);
    pool->rejected++;
    *out = (pb_admission){.kind = PB_ADMIT_REJECT,
                          .ticket = pb_ticket_make(&pool->seq, 0, pool->nslots),
                          .task = c->task,
                          .slot = 0,
                          .intended_start = c->intended,
                          .reject_outcome = why,
                          .wake_at = PB_USEC_NEVER};
}

pb_pool_slot *pb_pool_complete(pb_pool *pool, pb_usec now, uint64_t ticket)
{
    if (now > pool->last_now)
        pool->last_now = now;
    uint32_t s = pb_ticket_slot(ticket, pool->nslots);
    pb_pool_slot *slot = &pool->slot[s];
    if (slot->status != SLOT_BUSY || slot->ticket != ticket) {
        assert(0 && "complete() for a ticket that is not in flight");
        return NULL;
    }
    slot->status = SLOT_IDLE;
    slot->ready_at = now;
    if (pool->busy + pool->paused >= pool->workers)
        pool->place_at = now;
    pool->busy--;
    pool->completed++;
    ring_push(pool->idle, &pool->idle_head, &pool->idle_count, pool->nslots, s);
    return slot;
}

bool pb_pool_done(const pb_pool *pool)
{
    return pb_arrivals_exhausted(&pool->arrivals) && pool->busy == 0;
}

void pb_pool_state(const pb_pool *pool, pb_pattern_state *out)
{
    uint64_t backlog = pb_arrivals_backlog(&pool->arrivals, pool->last_now);
    out->limit = pool->limit < pool->workers ? pool->limit : pool->workers;
    out->in_flight = pool->busy;
    out->queue_depth = backlog > UINT32_MAX ? UINT32_MAX : (uint32_t)backlog;
    out->slots = pool->nslots;
    out->produced = pool->started + pool->rejected;
    out->consumed = pool->completed;
    out->rejected = pool->rejected;
}
