/* A run split over several processes (`--segment I/N`, issue 15): which share
 * of the run segment I of N takes, and which of the whole run's task numbers
 * its tasks carry. This is the one place that maps a segment to the run. */
#ifndef PB_SEGMENT_H
#define PB_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "params.h"

/* Segment `index` of `count`; count 0 means the whole run (no --segment). */
typedef struct pb_segment {
    uint32_t index, count;
} pb_segment;

/* Most segments a run can be split into. */
#define PB_SEGMENT_MAX 4096

/* Whether s splits the run (count > 0; --segment 0/1 is a split into one). */
bool pb_segment_active(pb_segment s);

/* Parse "I/N" with 0 <= I < N <= PB_SEGMENT_MAX; err names --segment and
 * what was expected. */
int pb_segment_parse(const char *text, pb_segment *out, pb_err *err) PB_MUST_CHECK;

/* Segment s's share of `total` things (tasks, concurrency): floor or ceil of
 * total/N, the first total mod N segments taking one more, so the N shares
 * add up to total. The whole total when s is not active. */
uint64_t pb_segment_share(pb_segment s, uint64_t total);

/* The whole run's task number of the segment's local task j: j*N + I, the
 * number a single process would have used, so the mock draws the same fault.
 * j itself when s is not active. */
uint64_t pb_segment_task(pb_segment s, uint64_t local);

/* The segment's open-loop rate for the whole run's `rate`: rate / N. */
double pb_segment_rate(pb_segment s, double rate);

/* The pattern parameters of segment s of a run with these parameters and
 * `requests` tasks (0 = bound by duration): its share of the concurrency and
 * of the tasks, and in the open loop every N-th arrival from offset I (rate/N,
 * arrival_offset -I/N). A share of 0 is refused, naming the option. */
int pb_segment_params(pb_segment s, uint64_t requests, pb_pattern_params *p,
                      pb_err *err) PB_MUST_CHECK;

/* Parse a wall-clock time for --start-at: Unix seconds ("1718000000", a
 * fraction allowed) or RFC 3339 ("2024-06-10T06:13:20Z", "...+02:00",
 * fractional seconds allowed). *out: microseconds since the epoch. */
int pb_segment_parse_start(const char *text, int64_t *out_us, pb_err *err) PB_MUST_CHECK;

/* The wall clock now, microseconds since the epoch (for --start-at only:
 * durations use the monotonic clock). */
int64_t pb_segment_wall_now(void);

#endif
