/* The live page's history of one source (a run, or a mock server): a point
 * per second, kept as a ring of the last PB_LIVE_RECENT seconds and as a
 * whole-run series of at most PB_LIVE_WHOLE points, in which two neighbours
 * are merged into one of twice the span whenever it fills. So a 72-hour run
 * takes the same memory as a ten-minute one, and a page opened late still
 * sees the run from its first second. Pure: no threads, no I/O; the caller
 * gives the points their times. */
#ifndef PB_LIVE_HISTORY_H
#define PB_LIVE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"

/* Seconds kept at one-second resolution (ten minutes). */
#define PB_LIVE_RECENT 600
/* Points kept of the whole run; a full series is halved by merging pairs. */
#define PB_LIVE_WHOLE 600
/* Values a point can carry; a source uses the first n of them. */
#define PB_LIVE_VALUES 36

/* How two neighbouring points' value becomes the merged point's. */
typedef enum pb_live_merge {
    PB_LIVE_SUM,  /* counts over the span: added */
    PB_LIVE_LAST, /* a gauge: the later point's */
    PB_LIVE_MAX,  /* the worst of the two (loop lag, the phase shaded) */
} pb_live_merge;

/* A span of the source's life: it ends `end` after the source's start and
 * lasts `span`. What v[k] holds is the source's business. */
typedef struct pb_live_point {
    pb_usec end, span;
    uint64_t v[PB_LIVE_VALUES];
} pb_live_point;

typedef struct pb_live_history pb_live_history;

/* An empty history whose points carry n values merged by rules[0..n) (the
 * array must outlive the history). PB_ENOMEM. */
int pb_live_history_create(const pb_live_merge *rules, int n, pb_live_history **out) PB_MUST_CHECK;

/* Forget every point (a new run begins); the next points carry n values
 * merged by rules[0..n). */
void pb_live_history_reset(pb_live_history *h, const pb_live_merge *rules, int n);

/* Add the next point; its span starts where the previous one ended. */
void pb_live_history_add(pb_live_history *h, const pb_live_point *p);

/* Copy the recent points that end after `since`, the oldest first, into
 * out[0..PB_LIVE_RECENT); returns how many. */
size_t pb_live_history_recent(const pb_live_history *h, pb_usec since, pb_live_point *out);

/* Copy the last point added into *out; false when there is none. */
bool pb_live_history_last(const pb_live_history *h, pb_live_point *out);

/* Copy the whole run, the oldest first, into out[0..PB_LIVE_WHOLE + 1): the
 * merged points, then the seconds gathering for the next one (so that the
 * series reaches the last second). *stride is the seconds a merged point
 * holds. Returns how many. */
size_t pb_live_history_whole(const pb_live_history *h, pb_live_point *out, unsigned *stride);

/* Free the history (NULL-safe). */
void pb_live_history_destroy(pb_live_history *h);

#endif
