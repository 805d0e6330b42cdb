#include "arrivals.h"

#include <assert.h>
#include <math.h>

static pb_arrival_seg *seg_at(pb_arrivals *a, unsigned i)
{
    return &a->seg[(a->head + i) % PB_ARRIVAL_SEGMENTS];
}

static const pb_arrival_seg *cseg_at(const pb_arrivals *a, unsigned i)
{
    return &a->seg[(a->head + i) % PB_ARRIVAL_SEGMENTS];
}

static uint64_t ceil_index(double x)
{
    /* positions are exact integers more often than not; a hair of slack keeps
     * 5.0000000001 from becoming 6 */
    double c = ceil(x - 1e-9);
    return c <= 0 ? 0 : (uint64_t)c;
}

/* Arrival time of task k in open segment s (k >= s->k0). Rounded up so that a
 * task never arrives before its exact time. */
static pb_usec arrival_time(const pb_arrival_seg *s, uint64_t k)
{
    double d = ((double)k - s->x0) * 1e6 / s->rate;
    if (d <= 0)
        return s->t0;
    return s->t0 + (pb_usec)ceil(d - 1e-7);
}

/* First task index of open segment s that has not arrived by `now`. */
static uint64_t arrived_end(const pb_arrival_seg *s, pb_usec now)
{
    if (now < s->t0)
        return s->k0;
    double x = s->x0 + (double)(now - s->t0) * s->rate / 1e6;
    uint64_t e = x < 0 ? 0 : (uint64_t)floor(x) + 1;
    if (e < s->k0)
        e = s->k0;
    /* settle the float estimate against the exact rounding of arrival_time */
    while (e > s->k0 && arrival_time(s, e - 1) > now)
        e--;
    while (arrival_time(s, e) <= now)
        e++;
    return e;
}

/* Drop leading segments that no untaken task belongs to any more. */
static void prune(pb_arrivals *a)
{
    while (a->count > 1 && a->next >= seg_at(a, 1)->k0) {
        a->head = (a->head + 1) % PB_ARRIVAL_SEGMENTS;
        a->count--;
    }
}

void pb_arrivals_start(pb_arrivals *a, uint64_t total, double rate, pb_usec now)
{
    assert(rate >= 0 && isfinite(rate));
    a->total = total;
    a->next = 0;
    a->offset = 0;
    a->head = 0;
    a->count = 1;
    a->seg[0] = (pb_arrival_seg){.t0 = now, .x0 = 0, .k0 = 0, .rate = rate};
}

void pb_arrivals_offset(pb_arrivals *a, double offset)
{
    assert(offset > -1 && offset <= 0);
    assert(a->next == 0 && a->count == 1);
    a->offset = offset;
    a->seg[a->head].x0 = offset;
    a->seg[a->head].k0 = ceil_index(offset);
}

void pb_arrivals_set_rate(pb_arrivals *a, pb_usec now, double rate)
{
    assert(rate >= 0 && isfinite(rate));
    pb_arrival_seg *last = seg_at(a, a->count - 1);
    assert(now >= last->t0);
    double x;
    if (last->rate > 0)
        x = last->x0 + (double)(now - last->t0) * last->rate / 1e6;
    else
        /* closed loop: every task up to `next` was ready and taken; the next
         * one arrives now under the new rate */
        x = fmax(last->x0, (double)a->next + a->offset);
    if (now == last->t0) {
        /* no time passed under the old rate: replace it */
        last->x0 = last->rate > 0 ? last->x0 : x;
        last->k0 = ceil_index(last->x0);
        last->rate = rate;
        prune(a);
        return;
    }
    if (a->count == PB_ARRIVAL_SEGMENTS) {
        /* merge the two oldest segments into one straight line from the
         * first's start to the third's, so the schedule stays continuous and
         * ordered; their waiting tasks' times become approximate */
        pb_arrival_seg merged = *seg_at(a, 0);
        const pb_arrival_seg *third = seg_at(a, 2);
        if (third->t0 > merged.t0 && third->x0 > merged.x0)
            merged.rate = (third->x0 - merged.x0) * 1e6 / (double)(third->t0 - merged.t0);
        a->head = (a->head + 1) % PB_ARRIVAL_SEGMENTS;
        *seg_at(a, 0) = merged;
        a->count--;
    }
    *seg_at(a, a->count) = (pb_arrival_seg){.t0 = now, .x0 = x, .k0 = ceil_index(x), .rate = rate};
    a->count++;
    prune(a);
}

bool pb_arrivals_exhausted(const pb_arrivals *a)
{
    return a->total != 0 && a->next >= a->total;
}

bool pb_arrivals_peek(const pb_arrivals *a, pb_usec *at, bool *scheduled)
{
    if (pb_arrivals_exhausted(a))
        return false;
    const pb_arrival_seg *s = cseg_at(a, 0);
    assert(s->k0 <= a->next || s->rate == 0 || a->count == 1);
    if (s->rate == 0) {
        *scheduled = false;
        *at = s->t0;
    } else {
        *scheduled = true;
        *at = arrival_time(s, a->next < s->k0 ? s->k0 : a->next);
    }
    return true;
}

void pb_arrivals_take(pb_arrivals *a)
{
    assert(!pb_arrivals_exhausted(a));
    a->next++;
    prune(a);
}

uint64_t pb_arrivals_backlog(const pb_arrivals *a, pb_usec now)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < a->count; i++) {
        const pb_arrival_seg *s = cseg_at(a, i);
        uint64_t lo = a->next > s->k0 ? a->next : s->k0;
        uint64_t hi = i + 1 < a->count ? cseg_at(a, i + 1)->k0 : UINT64_MAX;
        if (a->total != 0 && hi > a->total)
            hi = a->total;
        if (lo >= hi || s->rate == 0)
            continue;
        uint64_t e = arrived_end(s, now);
        if (e > hi)
            e = hi;
        if (e > lo)
            n += e - lo;
        if (e < hi)
            break;
    }
    return n;
}

double pb_arrivals_rate(const pb_arrivals *a)
{
    return cseg_at(a, a->count - 1)->rate;
}
