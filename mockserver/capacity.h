/* The mock server's capacity model: at most `limit` requests in service at
 * once, up to `queue_limit` more waiting in FIFO order, the rest rejected.
 * Pure bookkeeping with an intrusive queue (no allocation); not thread-safe. */
#ifndef PB_CAPACITY_H
#define PB_CAPACITY_H

#include <stdint.h>

/* Embed one in each request that may wait. */
typedef struct pb_capacity_link {
    struct pb_capacity_link *next;
} pb_capacity_link;

/* The state; the caller owns the storage. */
typedef struct pb_capacity {
    uint32_t in_service;
    uint32_t queued;
    pb_capacity_link *head, *tail;
} pb_capacity;

/* What happens to an arriving request. */
typedef enum pb_capacity_verdict {
    PB_CAPACITY_START,  /* a slot is free: in service now */
    PB_CAPACITY_QUEUED, /* waits; pb_capacity_next hands it out later */
    PB_CAPACITY_REJECT, /* queue full */
} pb_capacity_verdict;

/* Empty: nothing in service, nothing queued. */
void pb_capacity_init(pb_capacity *c);

/* A request arrives under `limit` (> 0) slots and `queue_limit` waiting places.
 * It only starts at once when nobody is queued ahead of it. */
pb_capacity_verdict pb_capacity_arrive(pb_capacity *c, uint32_t limit, uint32_t queue_limit,
                                       pb_capacity_link *link);

/* The next queued request that may start now under `limit` (0 = unlimited),
 * already counted in service; NULL if none. Call after each finish and when
 * the limit may have risen. */
pb_capacity_link *pb_capacity_next(pb_capacity *c, uint32_t limit);

/* A request in service finished. */
void pb_capacity_finish(pb_capacity *c);

/* Remove and return every queued request as a list (for shutdown). */
pb_capacity_link *pb_capacity_drain(pb_capacity *c);

#endif
