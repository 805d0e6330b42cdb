/* Monotonic time in microseconds, the only clock used for durations. */
#ifndef PB_MONOTIME_H
#define PB_MONOTIME_H

#include <stdint.h>

/* Microseconds: an instant on the monotonic clock, or a duration. */
typedef uint64_t pb_usec;

#define PB_USEC_PER_MS 1000ULL
#define PB_USEC_PER_SEC 1000000ULL
/* "Never": a deadline that does not expire. */
#define PB_USEC_NEVER UINT64_MAX

/* Current CLOCK_MONOTONIC time in microseconds. */
pb_usec pb_monotime_now(void);

/* Current wall-clock time in microseconds since the epoch (for records only). */
int64_t pb_walltime_now(void);

#endif
