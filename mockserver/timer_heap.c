#include "timer_heap.h"

#include <stdlib.h>

static bool earlier(const pb_timer_entry *a, const pb_timer_entry *b)
{
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->order < b->order);
}

int pb_timer_heap_init(pb_timer_heap *h, size_t cap)
{
    h->n = 0;
    h->next_order = 0;
    h->cap = cap > 0 ? cap : 1;
    h->entries = malloc(h->cap * sizeof(*h->entries));
    return h->entries == NULL ? PB_ENOMEM : 0;
}

void pb_timer_heap_cleanup(pb_timer_heap *h)
{
    free(h->entries);
    h->entries = NULL;
    h->n = h->cap = 0;
}

int pb_timer_heap_push(pb_timer_heap *h, pb_usec deadline, int kind, void *item)
{
    if (h->n == h->cap) {
        pb_timer_entry *e = realloc(h->entries, 2 * h->cap * sizeof(*e));
        if (e == NULL)
            return PB_ENOMEM;
        h->entries = e;
        h->cap *= 2;
    }
    pb_timer_entry v = {deadline, h->next_order++, kind, item};
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(&v, &h->entries[parent]))
            break;
        h->entries[i] = h->entries[parent];
        i = parent;
    }
    h->entries[i] = v;
    return 0;
}

pb_usec pb_timer_heap_next(const pb_timer_heap *h)
{
    return h->n > 0 ? h->entries[0].deadline : PB_USEC_NEVER;
}

bool pb_timer_heap_pop(pb_timer_heap *h, pb_timer_entry *out)
{
    if (h->n == 0)
        return false;
    *out = h->entries[0];
    pb_timer_entry last = h->entries[--h->n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && earlier(&h->entries[child + 1], &h->entries[child]))
            child++;
        if (!earlier(&h->entries[child], &last))
            break;
        h->entries[i] = h->entries[child];
        i = child;
    }
    if (h->n > 0)
        h->entries[i] = last;
    return true;
}

bool pb_timer_heap_pop_due(pb_timer_heap *h, pb_usec now, pb_timer_entry *out)
{
    if (h->n == 0 || h->entries[0].deadline > now)
        return false;
    return pb_timer_heap_pop(h, out);
}

size_t pb_timer_heap_size(const pb_timer_heap *h)
{
    return h->n;
}
