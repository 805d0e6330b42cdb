/* Workers pulling tasks: the shared machinery of the queue, breaker and
 * adaptive patterns. A pool has `nslots` workers of which at most `limit` may
 * be busy; idle workers wait in FIFO order (as asyncio.Queue getters do) and
 * take the next task from the arrivals. Everything is allocated at init. */
#ifndef PB_WORKER_POOL_H
#define PB_WORKER_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "arrivals.h"
#include "errors.h"
#include "pattern.h"

/* One worker. */
typedef struct pb_pool_slot {
    uint64_t ticket;            /* of the request in flight */
    pb_usec ready_at;           /* when it last became idle (closed-loop intended start) */
    pb_usec paused_until;       /* while paused after a rejection */
    uint32_t inflight_at_start; /* busy workers, itself included, when its request started */
    uint32_t tag;               /* owner's use (the breaker stores the permit's epoch here) */
    uint8_t status;             /* pool-private */
} pb_pool_slot;

typedef struct pb_pool {
    pb_arrivals arrivals;
    uint32_t nslots, limit;
    uint32_t workers; /* set_workers: busy (and paused) at most min(limit, workers) */
    /* when a place among `workers` last opened (they rose, or one ended while
     * all were busy): an idle worker above them waited for no task before it */
    pb_usec place_at;
    uint32_t busy, paused;
    uint32_t *idle, idle_head, idle_count;    /* FIFO ring of idle slots */
    uint32_t *pause, pause_head, pause_count; /* FIFO ring of paused slots */
    pb_pool_slot *slot;
    uint64_t seq; /* ticket sequence */
    uint64_t started, rejected, completed;
    pb_usec last_now;
} pb_pool;

/* A task and the worker that would run it, from pb_pool_next(). */
typedef struct pb_pool_candidate {
    uint32_t slot;
    uint64_t task;
    pb_usec intended;
    bool scheduled; /* open loop: the task has an arrival time */
} pb_pool_candidate;

/* Allocate a pool of nslots workers, limit = nslots. */
int pb_pool_init(pb_pool *pool, uint32_t nslots, pb_err *err) PB_MUST_CHECK;
void pb_pool_cleanup(pb_pool *pool);

/* Reset for a run starting at `now`. */
void pb_pool_start(pb_pool *pool, pb_usec now, uint64_t total_tasks, double rate);

/* Is a task ready for an idle worker under the limit? If not, *wake_at is when
 * to ask again (PB_USEC_NEVER: after a completion). */
bool pb_pool_next(pb_pool *pool, pb_usec now, pb_pool_candidate *c, pb_usec *wake_at);

/* At most `workers` (<= nslots) busy from `now` on, as well as at most
 * `limit`: those above finish their request and take no other. In a closed
 * loop a worker let in later is ready (its task's intended start) when its
 * place opened, not when it last went idle. */
void pb_pool_set_workers(pb_pool *pool, pb_usec now, uint32_t workers);

/* Has an open-loop task arrived (whether or not a worker is free)? Fills the
 * task and its arrival time; used to fail fast without a worker. */
bool pb_pool_arrived(pb_pool *pool, pb_usec now, pb_pool_candidate *c);

/* Start the candidate's request: fills a START admission. */
void pb_pool_start_request(pb_pool *pool, const pb_pool_candidate *c, pb_admission *out);

/* Reject the candidate (fail fast). The worker pauses until pause_until when
 * that is later than now, else it is idle again at once. */
void pb_pool_reject(pb_pool *pool, pb_usec now, const pb_pool_candidate *c, pb_usec pause_until,
                    pb_outcome why, pb_admission *out);

/* Reject an arrived open-loop task without taking a worker. */
void pb_pool_reject_arrival(pb_pool *pool, const pb_pool_candidate *c, pb_outcome why,
                            pb_admission *out);

/* A request ended: frees its worker and returns it (for per-request data);
 * NULL (and an assert in debug builds) for a ticket that is not in flight. */
pb_pool_slot *pb_pool_complete(pb_pool *pool, pb_usec now, uint64_t ticket);

/* Finite mode: every task handed out and nothing in flight. */
bool pb_pool_done(const pb_pool *pool);

/* Fill limit (the smaller of limit and workers), in_flight, queue_depth (open-loop backlog) and slots. */
void pb_pool_state(const pb_pool *pool, pb_pattern_state *out);

/* Ticket numbers encode their slot: ticket = seq * nslots + slot. */
static inline uint64_t pb_ticket_make(uint64_t *seq, uint32_t slot, uint32_t nslots)
{
    return (*seq)++ * nslots + slot;
}

static inline uint32_t pb_ticket_slot(uint64_t ticket, uint32_t nslots)
{
    return (uint32_t)(ticket % nslots);
}

#endif
