/* Where tasks come from: a closed loop (always one ready) or an open-loop
 * schedule (task i arrives at start + i/rate), with rate changes that keep the
 * schedule continuous. Arrived tasks that no one has taken yet form a backlog
 * that costs no memory: it is the index range [next, arrived) and each
 * arrival time is recomputed from the schedule, as wrk2 does. */
#ifndef PB_ARRIVALS_H
#define PB_ARRIVALS_H

#include <stdbool.h>
#include <stdint.h>

#include "monotime.h"

/* Rate changes remembered while older arrivals still wait. Beyond this, the
 * two oldest segments merge into one at their average rate, so their waiting
 * tasks' arrival times become approximate (the engine changes rate once per
 * phase, at most 32 times, so this does not happen in practice). */
#define PB_ARRIVAL_SEGMENTS 64

/* One stretch of the schedule: from task position x0 at time t0, `rate` tasks
 * per second (0 = closed loop: each task is ready at once). */
typedef struct pb_arrival_seg {
    pb_usec t0;
    double x0;
    uint64_t k0; /* first task index in this segment: ceil(x0) */
    double rate;
} pb_arrival_seg;

typedef struct pb_arrivals {
    uint64_t total; /* 0 = endless */
    uint64_t next;  /* next task index to hand out */
    double offset;  /* schedule position at start, in tasks (pb_arrivals_offset); 0 normally */
    pb_arrival_seg seg[PB_ARRIVAL_SEGMENTS];
    unsigned head, count;
} pb_arrivals;

/* Start the schedule at `now`; total 0 = endless; rate 0 = closed loop. */
void pb_arrivals_start(pb_arrivals *a, uint64_t total, double rate, pb_usec now);

/* Shift a schedule just started so that its position at start is `offset`
 * tasks, in (-1, 0]: task k then arrives at start + (k - offset) / rate. A
 * segment I of N of a split run uses -I/N at rate/N, so that its task k
 * arrives when task k*N + I of the whole run's schedule does (segment.c in
 * harness/engine). Rate changes keep the shift; so does a switch from the
 * closed loop to a rate before any task was taken. */
void pb_arrivals_offset(pb_arrivals *a, double offset);

/* Change the rate from `now` on; tasks that already arrived keep their times. */
void pb_arrivals_set_rate(pb_arrivals *a, pb_usec now, double rate);

/* The next task, if any remain: *scheduled tells whether it has an arrival
 * time (*at, open loop) or is ready whenever asked (closed loop; *at is then
 * when the closed loop began, before which it was not ready). */
bool pb_arrivals_peek(const pb_arrivals *a, pb_usec *at, bool *scheduled);

/* Hand out the task pb_arrivals_peek() described. */
void pb_arrivals_take(pb_arrivals *a);

/* No task left (finite mode only). */
bool pb_arrivals_exhausted(const pb_arrivals *a);

/* Open-loop tasks that arrived by `now` and were not taken yet. */
uint64_t pb_arrivals_backlog(const pb_arrivals *a, pb_usec now);

/* The current rate (0 = closed loop). */
double pb_arrivals_rate(const pb_arrivals *a);

#endif
