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

/* Number of values recorded. */
uint64_t pb_hist_count(const pb_hist *h);

/* Smallest value recorded, as the lowest value of its bucket; 0 when empty. */
uint64_t pb_hist_min(const pb_hist *h);

/* Largest value recorded, as the highest value of its bucket (equal to the
 * 100th percentile); 0 when empty. */
uint64_t pb_hist_max(const pb_hist *h);

/* Mean of the recorded values, each taken at the middle of its bucket; 0 when empty. */
double pb_hist_mean(const pb_hist *h);

/* The value at percentile p (0..100], as HdrHistogram's value_at_percentile:
 * the highest value equivalent to the bucket holding the ceil(p% * count)-th
 * value. 0 when empty. */
uint64_t pb_hist_percentile(const pb_hist *h, double p);

/* For each of bounds[0..n) (in increasing order), the number of values
 * recorded at or below it, into out[0..n): a Prometheus histogram's
 * cumulative `le` buckets. A value is taken as the lowest value of its bucket,
 * as pb_hist_min does, so a bound that falls inside a bucket counts all of it
 * (an error within the histogram's precision). One pass over the counts. */
void pb_hist_count_at_or_below(const pb_hist *h, const uint64_t *bounds, size_t n, uint64_t *out);

/* Serialise to a compact sparse form. Returns the number of bytes needed and
 * writes buf only if that fits in cap (buf may be NULL to ask for the size).
 *
 * Format (version 1); a varint is unsigned LEB128, at most 10 bytes:
 *   byte 0      format version, 1
 *   byte 1      sigfigs
 *   varint      lowest
 *   varint      highest
 *   then, for each non-empty bucket in increasing index order, a pair
 *   varint      gap: index - (previous non-empty index + 1), the first gap
 *               counting from index 0
 *   varint      count (> 0)
 * An empty histogram is the header alone. Bucket indices are those of the
 * HdrHistogram layout given by (lowest, highest, sigfigs). */
size_t pb_hist_encode(const pb_hist *h, uint8_t *buf, size_t cap);

/* Decode an encoded histogram and add it into dst. PB_EPARSE on corrupt input
 * (dst is then left unchanged). A blob of another layout is re-recorded value by
 * value at the lowest value of each of its buckets. */
int pb_hist_decode_add(pb_hist *dst, const uint8_t *buf, size_t len) PB_MUST_CHECK;

/* Walk the HDR percentile distribution (as hdr_percentiles_print): calls fn
 * for each step with value, percentile (0..100) and cumulative count;
 * `ticks_per_half` steps per halving of the remaining distance to 100 %. */
void pb_hist_percentiles(const pb_hist *h, int ticks_per_half,
                         void (*fn)(void *data, uint64_t value, double percentile,
                                    uint64_t total_count),
                         void *data);

#endif
