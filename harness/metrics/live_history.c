#include "live_history.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(PB_LIVE_WHOLE % 2 == 0, "a full whole-run series halves into pairs");

struct pb_live_history {
    const pb_live_merge *rules;
    int n;
    /* recent[(head + i) % PB_LIVE_RECENT] is the i-th oldest of n_recent */
    pb_live_point recent[PB_LIVE_RECENT];
    size_t head, n_recent;
    /* whole[0..n_whole) hold `stride` seconds each; `acc` gathers the
     * n_acc < stride seconds of the next one */
    pb_live_point whole[PB_LIVE_WHOLE];
    size_t n_whole;
    pb_live_point acc;
    unsigned n_acc, stride;
};

int pb_live_history_create(const pb_live_merge *rules, int n, pb_live_history **out)
{
    assert(n >= 0 && n <= PB_LIVE_VALUES);
    *out = NULL;
    pb_live_history *h = malloc(sizeof(*h));
    if (h == NULL)
        return PB_ENOMEM;
    pb_live_history_reset(h, rules, n);
    *out = h;
    return 0;
}

void pb_live_history_reset(pb_live_history *h, const pb_live_merge *rules, int n)
{
    assert(n >= 0 && n <= PB_LIVE_VALUES);
    h->rules = rules;
    h->n = n;
    h->head = h->n_recent = h->n_whole = 0;
    h->n_acc = 0;
    h->stride = 1;
}

/* b, the later of two neighbours, becomes both. */
static void merge_into(const pb_live_history *h, const pb_live_point *a, pb_live_point *b)
{
    for (int k = 0; k < h->n; k++)
        switch (h->rules[k]) {
        case PB_LIVE_SUM:
            b->v[k] += a->v[k];
            break;
        case PB_LIVE_LAST:
            break;
        case PB_LIVE_MAX:
            if (a->v[k] > b->v[k])
                b->v[k] = a->v[k];
            break;
        }
    b->span += a->span;
}

void pb_live_history_add(pb_live_history *h, const pb_live_point *p)
{
    if (h->n_recent < PB_LIVE_RECENT) {
        h->recent[(h->head + h->n_recent) % PB_LIVE_RECENT] = *p;
        h->n_recent++;
    } else {
        h->recent[h->head] = *p;
        h->head = (h->head + 1) % PB_LIVE_RECENT;
    }

    pb_live_point was = h->acc;
    h->acc = *p;
    if (h->n_acc > 0)
        merge_into(h, &was, &h->acc);
    if (++h->n_acc < h->stride)
        return;
    h->whole[h->n_whole++] = h->acc;
    h->n_acc = 0;
    if (h->n_whole < PB_LIVE_WHOLE)
        return;
    /* full: pairs become one point of twice the span (PB_LIVE_WHOLE is even) */
    for (size_t i = 0; i < PB_LIVE_WHOLE / 2; i++) {
        pb_live_point later = h->whole[2 * i + 1];
        merge_into(h, &h->whole[2 * i], &later);
        h->whole[i] = later;
    }
    h->n_whole = PB_LIVE_WHOLE / 2;
    h->stride *= 2;
}

size_t pb_live_history_recent(const pb_live_history *h, pb_usec since, pb_live_point *out)
{
    size_t n = 0;
    for (size_t i = 0; i < h->n_recent; i++) {
        const pb_live_point *p = &h->recent[(h->head + i) % PB_LIVE_RECENT];
        if (p->end > since)
            out[n++] = *p;
    }
    return n;
}

bool pb_live_history_last(const pb_live_history *h, pb_live_point *out)
{
    if (h->n_recent == 0)
        return false;
    *out = h->recent[(h->head + h->n_recent - 1) % PB_LIVE_RECENT];
    return true;
}

size_t pb_live_history_whole(const pb_live_history *h, pb_live_point *out, unsigned *stride)
{
    memcpy(out, h->whole, h->n_whole * sizeof(*out));
    size_t n = h->n_whole;
    if (h->n_acc > 0)
        out[n++] = h->acc;
    *stride = h->stride;
    return n;
}

void pb_live_history_destroy(pb_live_history *h)
{
    free(h);
}
