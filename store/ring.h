/* The recorder's ring: a bounded single-producer, single-consumer queue of
 * fixed-size records between the engine's thread and the writer thread. It
 * never allocates after init: an event's detail text rides in the slots that
 * follow its head. The producer blocks only when the ring is full (a stall);
 * the consumer sleeps when it is empty. */
#ifndef PB_RING_H
#define PB_RING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"
#include "rows.h"

/* Smallest and largest ring accepted, in slots. */
#define PB_RING_MIN_ROWS 64u
#define PB_RING_MAX_ROWS (1u << 22)

typedef enum pb_slot_kind { PB_SLOT_ROW = 1, PB_SLOT_EVENT = 2, PB_SLOT_MARK = 3 } pb_slot_kind;

/* An event's fixed part; its detail text follows in text_slots raw slots. */
typedef struct pb_slot_event {
    int64_t run_id;
    uint64_t t_us;
    int64_t from, to;
    double value;
    char kind[PB_RECORDER_KIND_MAX + 1];
} pb_slot_event;

/* One ring slot. */
typedef struct pb_slot {
    uint8_t kind;       /* pb_slot_kind */
    uint8_t text_slots; /* PB_SLOT_EVENT: slots of detail that follow */
    uint16_t text_len;
    union {
        pb_request_row row;
        pb_second_mark mark;
        pb_slot_event event;
    } u;
} pb_slot;

/* Detail bytes one slot carries, and the most slots one record takes. */
#define PB_SLOT_TEXT sizeof(pb_slot)
#define PB_RECORD_MAX_SLOTS (1 + (PB_RECORDER_DETAIL_MAX + PB_SLOT_TEXT - 1) / PB_SLOT_TEXT)
_Static_assert(PB_RECORD_MAX_SLOTS * 4 <= PB_RING_MIN_ROWS,
               "the smallest ring holds the largest record");

/* The ring; the caller owns the storage (init/cleanup). head is written by the
 * producer only, tail by the consumer only, each on a cache line of its own. */
typedef struct pb_ring {
    pb_slot *slots;
    uint64_t size, mask, release_every;
    _Alignas(64) _Atomic uint64_t head;
    uint64_t tail_seen; /* the producer's last look at tail */
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) atomic_bool consumer_idle;
    atomic_bool producer_waiting;
    pthread_mutex_t mu; /* guards the sleeps */
    pthread_cond_t consumer_cv, producer_cv;
} pb_ring;

/* Allocate a ring of at least `rows` slots (rounded up to a power of two).
 * PB_ERANGE outside PB_RING_MIN_ROWS..PB_RING_MAX_ROWS, PB_ENOMEM. */
int pb_ring_init(pb_ring *q, uint32_t rows, pb_err *err) PB_MUST_CHECK;

/* Free the slots (safe on a zeroed or failed ring). */
void pb_ring_cleanup(pb_ring *q);

/* Producer: the sequence number the next record will take. */
static inline uint64_t pb_ring_head(pb_ring *q)
{
    return atomic_load_explicit(&q->head, memory_order_relaxed);
}

/* The slot of sequence number seq. */
static inline pb_slot *pb_ring_at(pb_ring *q, uint64_t seq)
{
    return &q->slots[seq & q->mask];
}

/* Producer: wait until n slots are free from the head on; returns the
 * microseconds waited (0 when there was room at once). */
pb_usec pb_ring_reserve(pb_ring *q, uint64_t n);

/* Producer: make n slots from the head visible to the consumer; wake it when
 * `wake` or when the ring crosses a multiple of its wake-up interval. */
void pb_ring_publish(pb_ring *q, uint64_t n, bool wake);

/* Consumer: the head as published (everything before it is readable). */
static inline uint64_t pb_ring_published(pb_ring *q)
{
    return atomic_load_explicit(&q->head, memory_order_acquire);
}

/* Consumer: slots before tail are free again; wakes a producer waiting for room. */
void pb_ring_release(pb_ring *q, uint64_t tail);

/* Consumer: sleep until woken, `deadline` passes, or unless records after tail
 * or *wake_flag are already there. */
void pb_ring_wait(pb_ring *q, uint64_t tail, pb_usec deadline, const atomic_bool *wake_flag);

/* Wake a sleeping consumer (after setting the flag it waits with). */
void pb_ring_wake_consumer(pb_ring *q);

#endif
