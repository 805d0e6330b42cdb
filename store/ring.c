#include "ring.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RELEASE_EVERY 256u /* slots the consumer frees at a time, at most */
#define WAKE_EVERY 1024u   /* a sleeping consumer is woken each time this many slots are queued */

int pb_ring_init(pb_ring *q, uint32_t rows, pb_err *err)
{
    memset(q, 0, sizeof(*q));
    if (rows < PB_RING_MIN_ROWS || rows > PB_RING_MAX_ROWS)
        return pb_err_set(err, PB_ERANGE, "recorder ring of %" PRIu32 " rows: expected %u to %u",
                          rows, PB_RING_MIN_ROWS, PB_RING_MAX_ROWS);
    q->size = 1;
    while (q->size < rows)
        q->size <<= 1;
    q->mask = q->size - 1;
    q->release_every = q->size / 4 < RELEASE_EVERY ? q->size / 4 : RELEASE_EVERY;
    q->slots = calloc(q->size, sizeof(pb_slot));
    if (q->slots == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory for the recorder's ring");
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->consumer_cv, &ca);
    pthread_cond_init(&q->producer_cv, &ca);
    pthread_condattr_destroy(&ca);
    return 0;
}

void pb_ring_cleanup(pb_ring *q)
{
    if (q->slots == NULL)
        return;
    free(q->slots);
    q->slots = NULL;
    pthread_cond_destroy(&q->consumer_cv);
    pthread_cond_destroy(&q->producer_cv);
    pthread_mutex_destroy(&q->mu);
}

pb_usec pb_ring_reserve(pb_ring *q, uint64_t n)
{
    uint64_t head = pb_ring_head(q);
    if (head + n - q->tail_seen <= q->size)
        return 0;
    q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (head + n - q->tail_seen <= q->size)
        return 0;
    pb_usec start = pb_monotime_now();
    pthread_mutex_lock(&q->mu);
    atomic_store(&q->producer_waiting, true);
    for (;;) {
        atomic_thread_fence(memory_order_seq_cst);
        q->tail_seen = atomic_load(&q->tail);
        if (head + n - q->tail_seen <= q->size)
            break;
        pthread_cond_signal(&q->consumer_cv); /* it may be asleep between wake-ups */
        pthread_cond_wait(&q->producer_cv, &q->mu);
    }
    atomic_store(&q->producer_waiting, false);
    pthread_mutex_unlock(&q->mu);
    pb_usec waited = pb_monotime_now() - start;
    return waited == 0 ? 1 : waited;
}

void pb_ring_publish(pb_ring *q, uint64_t n, bool wake)
{
    uint64_t head = pb_ring_head(q);
    atomic_store_explicit(&q->head, head + n, memory_order_release);
    if (!wake && head / WAKE_EVERY == (head + n) / WAKE_EVERY)
        return;
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&q->consumer_idle, memory_order_relaxed))
        pb_ring_wake_consumer(q);
}

void pb_ring_release(pb_ring *q, uint64_t tail)
{
    atomic_store_explicit(&q->tail, tail, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&q->producer_waiting, memory_order_relaxed)) {
        pthread_mutex_lock(&q->mu);
        pthread_cond_signal(&q->producer_cv);
        pthread_mutex_unlock(&q->mu);
    }
}

void pb_ring_wait(pb_ring *q, uint64_t tail, pb_usec deadline, const atomic_bool *wake_flag)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline / PB_USEC_PER_SEC),
                          .tv_nsec = (long)(deadline % PB_USEC_PER_SEC) * 1000};
    pthread_mutex_lock(&q->mu);
    atomic_store(&q->consumer_idle, true);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&q->head) == tail && !atomic_load(wake_flag))
        pthread_cond_timedwait(&q->consumer_cv, &q->mu, &ts);
    atomic_store(&q->consumer_idle, false);
    pthread_mutex_unlock(&q->mu);
}

void pb_ring_wake_consumer(pb_ring *q)
{
    pthread_mutex_lock(&q->mu);
    pthread_cond_signal(&q->consumer_cv);
    pthread_mutex_unlock(&q->mu);
}
