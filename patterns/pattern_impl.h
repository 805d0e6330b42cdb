/* Shared by the pattern implementations, not by their users. */
#ifndef PB_PATTERN_IMPL_H
#define PB_PATTERN_IMPL_H

#include "pattern.h"
#include "pattern_map.h"

/* The ops table each pattern of the list defines. */
#define PB_PATTERN_OPS_DECL(name) extern const pb_pattern_ops pb_##name##_ops;
PB_PATTERN_MAP(PB_PATTERN_OPS_DECL)
#undef PB_PATTERN_OPS_DECL

/* Report one event through an optional callback. */
static inline void pb_emit(pb_event_cb cb, void *data, pb_usec at, pb_event_kind kind, int64_t from,
                           int64_t to, double value, const char *detail)
{
    if (cb == NULL)
        return;
    pb_event ev = {
        .at = at, .kind = kind, .from = from, .to = to, .value = value, .detail = detail};
    cb(data, &ev);
}

/* A WAIT admission. */
static inline void pb_admit_wait(pb_admission *out, pb_usec wake_at)
{
    *out = (pb_admission){.kind = PB_ADMIT_WAIT, .wake_at = wake_at};
}

/* A DONE admission. */
static inline void pb_admit_done(pb_admission *out)
{
    *out = (pb_admission){.kind = PB_ADMIT_DONE, .wake_at = PB_USEC_NEVER};
}

#endif
