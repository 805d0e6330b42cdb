/* A min-heap of deadlines: what the mock server's timer thread waits on.
 * Equal deadlines come out in the order they went in. Not thread-safe. */
#ifndef PB_TIMER_HEAP_H
#define PB_TIMER_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"

/* One pending deadline; `kind` and `item` are the caller's. */
typedef struct pb_timer_entry {
    pb_usec deadline;
    uint64_t order; /* insertion number, breaks ties */
    int kind;
    void *item;
} pb_timer_entry;

/* The heap; the caller owns the storage. */
typedef struct pb_timer_heap {
    pb_timer_entry *entries;
    size_t n, cap;
    uint64_t next_order;
} pb_timer_heap;

/* Allocate room for `cap` entries up front (it grows by doubling past that). */
int pb_timer_heap_init(pb_timer_heap *h, size_t cap) PB_MUST_CHECK;

/* Free the storage. */
void pb_timer_heap_cleanup(pb_timer_heap *h);

/* Add a deadline; PB_ENOMEM if it had to grow and could not. */
int pb_timer_heap_push(pb_timer_heap *h, pb_usec deadline, int kind, void *item) PB_MUST_CHECK;

/* The earliest deadline, PB_USEC_NEVER when empty. */
pb_usec pb_timer_heap_next(const pb_timer_heap *h);

/* Remove the earliest entry into *out if its deadline is <= now. */
bool pb_timer_heap_pop_due(pb_timer_heap *h, pb_usec now, pb_timer_entry *out);

/* Remove the earliest entry whatever its deadline (false when empty). */
bool pb_timer_heap_pop(pb_timer_heap *h, pb_timer_entry *out);

/* Number of entries. */
size_t pb_timer_heap_size(const pb_timer_heap *h);

#endif
