#include "capacity.h"

#include <assert.h>
#include <stddef.h>

void pb_capacity_init(pb_capacity *c)
{
    c->in_service = 0;
    c->queued = 0;
    c->head = c->tail = NULL;
}

pb_capacity_verdict pb_capacity_arrive(pb_capacity *c, uint32_t limit, uint32_t queue_limit,
                                       pb_capacity_link *link)
{
    assert(limit > 0);
    if (c->queued == 0 && c->in_service < limit) {
        c->in_service++;
        return PB_CAPACITY_START;
    }
    if (c->queued >= queue_limit)
        return PB_CAPACITY_REJECT;
    link->next = NULL;
    if (c->tail != NULL)
        c->tail->next = link;
    else
        c->head = link;
    c->tail = link;
    c->queued++;
    return PB_CAPACITY_QUEUED;
}

pb_capacity_link *pb_capacity_next(pb_capacity *c, uint32_t limit)
{
    if (c->head == NULL || (limit != 0 && c->in_service >= limit))
        return NULL;
    pb_capacity_link *l = c->head;
    c->head = l->next;
    if (c->head == NULL)
        c->tail = NULL;
    c->queued--;
    c->in_service++;
    l->next = NULL;
    return l;
}

void pb_capacity_finish(pb_capacity *c)
{
    assert(c->in_service > 0);
    c->in_service--;
}

pb_capacity_link *pb_capacity_drain(pb_capacity *c)
{
    pb_capacity_link *all = c->head;
    c->head = c->tail = NULL;
    c->queued = 0;
    return all;
}
