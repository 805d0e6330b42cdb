#include "seconds.h"

#include <assert.h>

/* The maximum of a histogram is what its 100th percentile names. */
static int64_t percentile(const pb_hist *h, double p)
{
    return (int64_t)(p >= 100 ? pb_hist_max(h) : pb_hist_percentile(h, p));
}

void pb_second_set_latency(pb_second_row *r, const pb_hist *h, const uint8_t *blob, size_t len)
{
    bool has_latency = pb_hist_count(h) > 0;
#define SET_PCT(name, kind, decl, version, rule, arg) SET_PCT_##rule(name, arg)
#define SET_PCT_PCT(name, arg) PB_SECOND_SET(r, name, has_latency, percentile(h, arg));
#define SET_PCT_HIST(name, arg) PB_SECOND_SET(r, name, true, ((pb_second_blob){blob, len}));
#define SET_PCT_SUM(name, arg)
#define SET_PCT_SUM_LOST(name, arg)
#define SET_PCT_MARK_SUM(name, arg)
#define SET_PCT_MARK_AGREE(name, arg)
#define SET_PCT_MARK_MAX(name, arg)
#define SET_PCT_MARK_OWN(name, arg)
    PB_SECOND_COLUMNS(SET_PCT)
}

/* One column of b into acc by its rule (HIST and PCT: the caller's). */
#define MERGE(name, kind, decl, version, rule, arg) MERGE_##rule(name)
#define MERGE_SUM(name) acc->name += b->name;
#define MERGE_SUM_LOST(name) acc->name += b->name;
#define MERGE_HIST(name)
#define MERGE_PCT(name)
#define MERGE_MARK_SUM(name)                                                                       \
    if (PB_SECOND_KNOWN(b, name))                                                                  \
        PB_SECOND_SET(acc, name, true, acc->name + b->name);
#define MERGE_MARK_AGREE(name)                                                                     \
    if (PB_SECOND_KNOWN(b, name) && !(acc->conflict >> PB_SECOND_COL_##name & 1u)) {              \
        if (PB_SECOND_KNOWN(acc, name) && acc->name != b->name) {                                  \
            PB_SECOND_SET(acc, name, false, 0);                                                    \
            acc->conflict |= 1u << PB_SECOND_COL_##name;                                           \
        } else {                                                                                   \
            PB_SECOND_SET(acc, name, true, b->name);                                               \
        }                                                                                          \
    }
#define MERGE_MARK_MAX(name)                                                                       \
    if (PB_SECOND_KNOWN(b, name) && (!PB_SECOND_KNOWN(acc, name) || b->name > acc->name))         \
        PB_SECOND_SET(acc, name, true, b->name);
#define MERGE_MARK_OWN(name) PB_SECOND_SET(acc, name, false, acc->name);

void pb_second_merge(pb_second_row *acc, const pb_second_row *b)
{
    assert(acc->sec == b->sec);
    acc->count += b->count;
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        acc->outcomes[o] += b->outcomes[o];
    PB_SECOND_COLUMNS(MERGE)
}
