#include "threshold_metric.h"

#include <assert.h>
#include <string.h>

static const pb_threshold_metric metrics[] = {
#define METRIC_ROW(e, name, kind, reached, answer, live, note)                                     \
    [PB_THRESHOLD_M_##e] = {name, PB_THRESHOLD_##kind, reached, answer, live},
    PB_THRESHOLD_METRIC_MAP(METRIC_ROW)
#undef METRIC_ROW
};

static const struct alias {
    const char *name;
    pb_threshold_metric_id id;
} aliases[] = {
#define ALIAS_ROW(e, name) {name, PB_THRESHOLD_M_##e},
    PB_THRESHOLD_METRIC_ALIAS_MAP(ALIAS_ROW)
#undef ALIAS_ROW
};

static const char *const units[] = {
#define KIND_UNIT(e, unit) [PB_THRESHOLD_##e] = unit,
    PB_THRESHOLD_KIND_MAP(KIND_UNIT)
#undef KIND_UNIT
};

#define N_ALIASES (sizeof(aliases) / sizeof(aliases[0]))
#define N_KINDS (sizeof(units) / sizeof(units[0]))

/* "min, mean, ..." from the table; the first row's ", " is skipped below. */
#define METRIC_NAME(e, name, kind, reached, answer, live, note) ", " name note
static const char metric_names[] = PB_THRESHOLD_METRIC_MAP(METRIC_NAME);
#undef METRIC_NAME

const pb_threshold_metric *pb_threshold_metric_get(pb_threshold_metric_id id)
{
    assert((unsigned)id < PB_THRESHOLD_METRIC_COUNT);
    return &metrics[id];
}

static bool same(const char *known, const char *name, size_t len)
{
    return strlen(known) == len && strncmp(known, name, len) == 0;
}

int pb_threshold_metric_find(const char *name, size_t len, pb_threshold_metric_id *out)
{
    for (size_t i = 0; i < PB_THRESHOLD_METRIC_COUNT; i++)
        if (same(metrics[i].name, name, len)) {
            *out = (pb_threshold_metric_id)i;
            return 0;
        }
    for (size_t i = 0; i < N_ALIASES; i++)
        if (same(aliases[i].name, name, len)) {
            *out = aliases[i].id;
            return 0;
        }
    return PB_ENOENT;
}

const char *pb_threshold_metric_names(void)
{
    return metric_names + 2;
}

const char *pb_threshold_kind_unit(pb_threshold_kind kind)
{
    return (size_t)kind < N_KINDS ? units[kind] : "";
}

int pb_threshold_kind_from_unit(const char *unit, pb_threshold_kind *out)
{
    for (size_t k = 0; k < N_KINDS; k++)
        if (strcmp(unit, units[k]) == 0) {
            *out = (pb_threshold_kind)k;
            return 0;
        }
    return PB_ENOENT;
}
