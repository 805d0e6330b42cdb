#include "histogram.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "monotime.h"

/* The bucket layout follows HdrHistogram_c: bucket 0 holds sub_bucket_count
 * values at unit resolution (2^unit_magnitude); every further bucket covers
 * twice the range of the one before at twice the step, and shares its lower
 * half with the previous bucket, so only its upper half is stored. */
struct layout {
    uint64_t lowest, highest;
    int sigfigs;
    int unit_magnitude;
    int sub_bucket_half_count_magnitude;
    int32_t sub_bucket_count, sub_bucket_half_count;
    uint64_t sub_bucket_mask;
    int32_t bucket_count;
    size_t counts_len;
};

struct pb_hist {
    struct layout l;
    uint64_t total;
    uint64_t min_value, max_value; /* raw extremes; min_value is UINT64_MAX when empty */
    uint64_t counts[];
};

#define ENCODING_VERSION 1
#define VARINT_MAX 10

static int floor_log2(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

static int32_t buckets_needed(uint64_t value, int32_t sub_bucket_count, int unit_magnitude)
{
    uint64_t smallest_untrackable = (uint64_t)sub_bucket_count << unit_magnitude;
    int32_t needed = 1;
    while (smallest_untrackable <= value) {
        if (smallest_untrackable > UINT64_MAX / 2)
            return needed + 1;
        smallest_untrackable <<= 1;
        needed++;
    }
    return needed;
}

static int layout_init(struct layout *l, uint64_t lowest, uint64_t highest, int sigfigs)
{
    if (lowest < 1 || sigfigs < 1 || sigfigs > 5 || highest / 2 < lowest ||
        highest > (uint64_t)INT64_MAX)
        return PB_EINVAL;
    uint64_t single_unit = 2;
    for (int i = 0; i < sigfigs; i++)
        single_unit *= 10;
    int count_magnitude = (int)ceil(log2((double)single_unit));
    l->lowest = lowest;
    l->highest = highest;
    l->sigfigs = sigfigs;
    l->sub_bucket_half_count_magnitude = (count_magnitude > 1 ? count_magnitude : 1) - 1;
    l->unit_magnitude = floor_log2(lowest);
    if (l->unit_magnitude + l->sub_bucket_half_count_magnitude + 1 > 62)
        return PB_EINVAL;
    l->sub_bucket_count = (int32_t)1 << (l->sub_bucket_half_count_magnitude + 1);
    l->sub_bucket_half_count = l->sub_bucket_count / 2;
    l->sub_bucket_mask = ((uint64_t)l->sub_bucket_count - 1) << l->unit_magnitude;
    l->bucket_count = buckets_needed(highest, l->sub_bucket_count, l->unit_magnitude);
    l->counts_len = (size_t)(l->bucket_count + 1) * (size_t)l->sub_bucket_half_count;
    return 0;
}

static bool layout_equal(const struct layout *a, const struct layout *b)
{
    return a->lowest == b->lowest && a->highest == b->highest && a->sigfigs == b->sigfigs;
}

static int32_t bucket_index(const struct layout *l, uint64_t value)
{
    int pow2ceiling = 64 - __builtin_clzll(value | l->sub_bucket_mask);
    return pow2ceiling - l->unit_magnitude - (l->sub_bucket_half_count_magnitude + 1);
}

static int32_t sub_bucket_index(const struct layout *l, uint64_t value, int32_t bucket)
{
    return (int32_t)(value >> (bucket + l->unit_magnitude));
}

static size_t counts_index(const struct layout *l, uint64_t value)
{
    int32_t bucket = bucket_index(l, value);
    int32_t sub = sub_bucket_index(l, value, bucket);
    size_t base = (size_t)(bucket + 1) << l->sub_bucket_half_count_magnitude;
    return base + (size_t)(sub - l->sub_bucket_half_count);
}

/* The lowest value that lands in counts[index]. */
static uint64_t value_at_index(const struct layout *l, size_t index)
{
    int32_t bucket = (int32_t)(index >> l->sub_bucket_half_count_magnitude) - 1;
    int32_t sub =
        (int32_t)(index & (size_t)(l->sub_bucket_half_count - 1)) + l->sub_bucket_half_count;
    if (bucket < 0) {
        sub -= l->sub_bucket_half_count;
        bucket = 0;
    }
    return (uint64_t)sub << (bucket + l->unit_magnitude);
}

/* Width of the range of values that share value's bucket. */
static uint64_t equivalent_range(const struct layout *l, uint64_t value)
{
    int32_t bucket = bucket_index(l, value);
    int32_t sub = sub_bucket_index(l, value, bucket);
    int32_t adjusted = sub >= l->sub_bucket_count ? bucket + 1 : bucket;
    return (uint64_t)1 << (l->unit_magnitude + adjusted);
}

static uint64_t lowest_equivalent(const struct layout *l, uint64_t value)
{
    int32_t bucket = bucket_index(l, value);
    int32_t sub = sub_bucket_index(l, value, bucket);
    return (uint64_t)sub << (bucket + l->unit_magnitude);
}

static uint64_t highest_equivalent(const struct layout *l, uint64_t value)
{
    return lowest_equivalent(l, value) + equivalent_range(l, value) - 1;
}

static uint64_t median_equivalent(const struct layout *l, uint64_t value)
{
    return lowest_equivalent(l, value) + (equivalent_range(l, value) >> 1);
}

int pb_hist_create(uint64_t lowest, uint64_t highest, int sigfigs, pb_hist **out)
{
    struct layout l;
    int rc = layout_init(&l, lowest, highest, sigfigs);
    if (rc != 0)
        return rc;
    pb_hist *h = calloc(1, sizeof(*h) + l.counts_len * sizeof(uint64_t));
    if (h == NULL)
        return PB_ENOMEM;
    h->l = l;
    h->min_value = UINT64_MAX;
    *out = h;
    return 0;
}

int pb_hist_create_latency(pb_hist **out)
{
    return pb_hist_create(1, 3600 * PB_USEC_PER_SEC, 3, out);
}

void pb_hist_destroy(pb_hist *h)
{
    free(h);
}

void pb_hist_reset(pb_hist *h)
{
    memset(h->counts, 0, h->l.counts_len * sizeof(uint64_t));
    h->total = 0;
    h->min_value = UINT64_MAX;
    h->max_value = 0;
}

void pb_hist_record_n(pb_hist *h, uint64_t value, uint64_t count)
{
    if (count == 0)
        return;
    if (value < h->l.lowest)
        value = h->l.lowest;
    else if (value > h->l.highest)
        value = h->l.highest;
    size_t i = counts_index(&h->l, value);
    assert(i < h->l.counts_len);
    h->counts[i] += count;
    h->total += count;
    if (value < h->min_value)
        h->min_value = value;
    if (value > h->max_value)
        h->max_value = value;
}

void pb_hist_record(pb_hist *h, uint64_t value)
{
    pb_hist_record_n(h, value, 1);
}

int pb_hist_add(pb_hist *dst, const pb_hist *src)
{
    if (!layout_equal(&dst->l, &src->l))
        return PB_EINVAL;
    if (src->total == 0)
        return 0;
    for (size_t i = 0; i < src->l.counts_len; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    if (src->min_value < dst->min_value)
        dst->min_value = src->min_value;
    if (src->max_value > dst->max_value)
        dst->max_value = src->max_value;
    return 0;
}

uint64_t pb_hist_count(const pb_hist *h)
{
    return h->total;
}

uint64_t pb_hist_min(const pb_hist *h)
{
    return h->total == 0 ? 0 : lowest_equivalent(&h->l, h->min_value);
}

uint64_t pb_hist_max(const pb_hist *h)
{
    return h->total == 0 ? 0 : highest_equivalent(&h->l, h->max_value);
}

double pb_hist_mean(const pb_hist *h)
{
    if (h->total == 0)
        return 0.0;
    long double sum = 0;
    for (size_t i = 0; i < h->l.counts_len; i++)
        if (h->counts[i] != 0)
            sum += (long double)h->counts[i] *
                   (long double)median_equivalent(&h->l, value_at_index(&h->l, i));
    return (double)(sum / (long double)h->total);
}

/* The rank ceil(p/100 * count), in 1..count. A product that lands within
 * rounding error of an integer counts as that integer, so that p = 70 of 100
 * values is the 70th and not the 71st. */
static uint64_t rank_at(double p, uint64_t total)
{
    double x = p / 100.0 * (double)total;
    double whole = floor(x);
    double rank = x - whole <= x * 4 * DBL_EPSILON ? whole : ceil(x);
    if (rank < 1)
        return 1;
    if (rank >= (double)total)
        return total;
    return (uint64_t)rank;
}

uint64_t pb_hist_percentile(const pb_hist *h, double p)
{
    if (h->total == 0)
        return 0;
    if (!(p > 0))
        return pb_hist_min(h);
    if (p > 100)
        p = 100;
    uint64_t rank = rank_at(p, h->total);
    uint64_t seen = 0;
    for (size_t i = 0; i < h->l.counts_len; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            return highest_equivalent(&h->l, value_at_index(&h->l, i));
    }
    return pb_hist_max(h);
}

void pb_hist_count_at_or_below(const pb_hist *h, const uint64_t *bounds, size_t n, uint64_t *out)
{
    /* counts[] is ordered by value, so one walk fills every bound */
    uint64_t seen = 0;
    size_t b = 0;
    for (size_t i = 0; i < h->l.counts_len && b < n; i++) {
        if (h->counts[i] == 0)
            continue;
        uint64_t v = value_at_index(&h->l, i);
        for (; b < n && bounds[b] < v; b++)
            out[b] = seen;
        seen += h->counts[i];
    }
    for (; b < n; b++)
        out[b] = seen;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Read one varint at *pos; false on truncation or more than 64 bits. */
static bool varint_get(const uint8_t *buf, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < VARINT_MAX; i++) {
        if (*pos >= len)
            return false;
        uint8_t b = buf[(*pos)++];
        if (i == VARINT_MAX - 1 && b > 1)
            return false;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

size_t pb_hist_encode(const pb_hist *h, uint8_t *buf, size_t cap)
{
    size_t need = 2 + varint_len(h->l.lowest) + varint_len(h->l.highest);
    size_t next = 0; /* the index after the previous non-empty one */
    for (size_t i = 0; i < h->l.counts_len; i++) {
        if (h->counts[i] == 0)
            continue;
        need += varint_len(i - next) + varint_len(h->counts[i]);
        next = i + 1;
    }
    if (buf == NULL || need > cap)
        return need;
    size_t pos = 0;
    buf[pos++] = ENCODING_VERSION;
    buf[pos++] = (uint8_t)h->l.sigfigs;
    pos += varint_put(buf + pos, h->l.lowest);
    pos += varint_put(buf + pos, h->l.highest);
    next = 0;
    for (size_t i = 0; i < h->l.counts_len; i++) {
        if (h->counts[i] == 0)
            continue;
        pos += varint_put(buf + pos, i - next);
        pos += varint_put(buf + pos, h->counts[i]);
        next = i + 1;
    }
    assert(pos == need);
    return need;
}

/* Walk the (gap, count) pairs after the header, checking that each index
 * holds values inside the layout's range and that counts are positive; with
 * dst NULL only validate (and sum the counts into *total). */
static int decode_pairs(const struct layout *l, const uint8_t *buf, size_t len, size_t pos,
                        pb_hist *dst, uint64_t *total)
{
    uint64_t first = counts_index(l, l->lowest), last = counts_index(l, l->highest);
    uint64_t next = 0, sum = 0;
    while (pos < len) {
        uint64_t gap, count;
        if (!varint_get(buf, len, &pos, &gap) || !varint_get(buf, len, &pos, &count))
            return PB_EPARSE;
        /* next passes last once a pair lands on the last index: the
         * subtraction below must not wrap */
        if (next > last || gap > last - next || next + gap < first || count == 0 ||
            count > UINT64_MAX - sum)
            return PB_EPARSE;
        uint64_t index = next + gap;
        next = index + 1;
        sum += count;
        if (dst != NULL)
            pb_hist_record_n(dst, value_at_index(l, (size_t)index), count);
    }
    *total = sum;
    return 0;
}

int pb_hist_decode_add(pb_hist *dst, const uint8_t *buf, size_t len)
{
    if (buf == NULL || len < 4 || buf[0] != ENCODING_VERSION)
        return PB_EPARSE;
    size_t pos = 2;
    uint64_t lowest, highest, total;
    if (!varint_get(buf, len, &pos, &lowest) || !varint_get(buf, len, &pos, &highest))
        return PB_EPARSE;
    struct layout l;
    if (layout_init(&l, lowest, highest, buf[1]) != 0)
        return PB_EPARSE;
    /* validate everything first, so that a corrupt blob leaves dst untouched */
    int rc = decode_pairs(&l, buf, len, pos, NULL, &total);
    if (rc != 0)
        return rc;
    if (total > UINT64_MAX - dst->total)
        return PB_ERANGE;
    return decode_pairs(&l, buf, len, pos, dst, &total);
}

void pb_hist_percentiles(const pb_hist *h, int ticks_per_half,
                         void (*fn)(void *data, uint64_t value, double percentile,
                                    uint64_t total_count),
                         void *data)
{
    if (h->total == 0 || ticks_per_half < 1)
        return;
    double next_pct = 0.0;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->l.counts_len && seen < h->total; i++) {
        if (h->counts[i] == 0)
            continue;
        seen += h->counts[i];
        uint64_t value = highest_equivalent(&h->l, value_at_index(&h->l, i));
        /* as HdrHistogram's percentile iterator: report every step reached by
         * this bucket, halving the step each time the distance to 100 % halves;
         * the bucket that holds the last value reports one step, then 100 % */
        while ((double)seen * 100.0 / (double)h->total >= next_pct) {
            fn(data, value, next_pct, seen);
            if (seen == h->total)
                break;
            double halvings = floor(log2(100.0 / (100.0 - next_pct))) + 1;
            double step = 100.0 / ((double)ticks_per_half * pow(2.0, halvings));
            if (!(next_pct + step > next_pct) || next_pct + step >= 100.0)
                break;
            next_pct += step;
        }
    }
    fn(data, pb_hist_max(h), 100.0, h->total);
}
