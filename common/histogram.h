/* A log-linear latency histogram in the manner of HdrHistogram: values from
 * `lowest` to `highest` kept to `sigfigs` significant decimal digits, 64-bit
 * counts. Used live by the harness and, decoded from the database, by reports. */
#ifndef PB_HISTOGRAM_H
#define PB_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

typedef struct pb_hist pb_hist;

/* Allocate a histogram for values in [lowest, highest] (lowest >= 1) with
 * sigfigs in 1..5. All memory is allocated here; recording never allocates. */
int pb_hist_create(uint64_t lowest, uint64_t highest, int sigfigs, pb_hist **out) PB_MUST_CHECK;

/* The histogram used for latencies everywhere: 1 us to 1 hour, 3 digits. */
int pb_hist_create_latency(pb_hist **out) PB_MUST_CHECK;

/* Free (NULL-safe). */
void pb_hist_destroy(pb_hist *h);

/* Forget every value. */
void pb_hist_reset(pb_hist *h);

/* Record a value `count` times; values outside the range are clamped to it. */
void pb_hist_record_n(pb_hist *h, uint64_t value, uint64_t count);

/* Record one value. */
void pb_hist_record(pb_hist *h, uint64_t value);

/* Add all of src into dst (same layout required; PB_EINVAL otherwise). */
int pb_hist_add(pb_hist *dst, const pb_hist *src) PB_MUST_CHECK;

uint64_t pb_hist_count(const pb_hist *h);
uint64_t pb_hist_min(const pb_hist *h);
uint64_t pb_hist_max(const pb_hist *h);
double pb_hist_mean(const pb_hist *h);

/* The value at percentile p (0..100], as HdrHistogram's value_at_percentile:
 * the highest value equivalent to the bucket holding the ceil(p% * count)-th
 * value. 0 when empty. */
uint64_t pb_hist_percentile(const pb_hist *h, double p);

/* Serialise to a compact sparse form (varints of bucket index deltas and
 * counts). Returns the number of bytes needed; writes only if it fits in cap. */
size_t pb_hist_encode(const pb_hist *h, uint8_t *buf, size_t cap);

/* Decode an encoded histogram and add it into dst. PB_EPARSE on corrupt input. */
int pb_hist_decode_add(pb_hist *dst, const uint8_t *buf, size_t len) PB_MUST_CHECK;

/* Walk the HDR percentile distribution (as hdr_percentiles_print): calls fn
 * for each step with value, percentile (0..100) and cumulative count;
 * `ticks_per_half` steps per halving of the remaining distance to 100 %. */
void pb_hist_percentiles(const pb_hist *h, int ticks_per_half,
                         void (*fn)(void *data, uint64_t value, double percentile,
                                    uint64_t total_count),
                         void *data);

#endif
