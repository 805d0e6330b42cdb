/* The latency histogram against exact percentiles of sorted raw values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "histogram.h"
#include "rng.h"

#define N_VALUES 1000000

/* The bucket a value falls in for the latency layout (lowest 1, 3 digits),
 * computed independently of the implementation: below 2048 every value has a
 * bucket of its own; above, 1024 buckets per power of two. */
static uint64_t oracle_highest_equivalent(uint64_t v)
{
    if (v < 2048)
        return v;
    int magnitude = 63 - __builtin_clzll(v);
    uint64_t width = (uint64_t)1 << (magnitude - 10);
    return v | (width - 1);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static pb_hist *latency_hist(void)
{
    pb_hist *h = NULL;
    assert_int_equal(pb_hist_create_latency(&h), 0);
    assert_non_null(h);
    return h;
}

/* Encoded bytes of h (malloc'd) and their length. */
static uint8_t *encode(const pb_hist *h, size_t *len)
{
    *len = pb_hist_encode(h, NULL, 0);
    uint8_t *buf = malloc(*len);
    assert_non_null(buf);
    assert_int_equal(pb_hist_encode(h, buf, *len), *len);
    return buf;
}

static void assert_same_hist(const pb_hist *a, const pb_hist *b)
{
    size_t la, lb;
    uint8_t *ea = encode(a, &la), *eb = encode(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ea, eb, la);
    free(ea);
    free(eb);
    assert_int_equal(pb_hist_count(a), pb_hist_count(b));
    assert_int_equal(pb_hist_min(a), pb_hist_min(b));
    assert_int_equal(pb_hist_max(a), pb_hist_max(b));
    assert_true(pb_hist_mean(a) == pb_hist_mean(b));
    for (int k = 1; k <= 1000; k++)
        assert_int_equal(pb_hist_percentile(a, k / 10.0), pb_hist_percentile(b, k / 10.0));
}

/* p = num/den percent; the exact nearest-rank value is sorted[ceil(p/100 * n) - 1]. */
static void check_percentile(const pb_hist *h, const uint64_t *sorted, uint64_t n, uint64_t num,
                             uint64_t den)
{
    uint64_t rank = (num * n + den * 100 - 1) / (den * 100);
    if (rank < 1)
        rank = 1;
    uint64_t exact = sorted[rank - 1];
    uint64_t got = pb_hist_percentile(h, (double)num / (double)den);
    if (got != oracle_highest_equivalent(exact))
        fail_msg("p%g: got %llu, exact %llu (rank %llu), expected bucket top %llu",
                 (double)num / (double)den, (unsigned long long)got, (unsigned long long)exact,
                 (unsigned long long)rank, (unsigned long long)oracle_highest_equivalent(exact));
    assert_true(got >= exact);
    assert_true((double)(got - exact) <= 0.001 * (double)exact);
}

typedef uint64_t (*draw_fn)(pb_rng *rng);

/* Record N_VALUES draws and compare with the sorted raw values. */
static void check_distribution(draw_fn draw, uint64_t seed)
{
    uint64_t *v = malloc(N_VALUES * sizeof(*v));
    assert_non_null(v);
    pb_rng rng;
    pb_rng_seed(&rng, seed);
    pb_hist *h = latency_hist();
    long double sum = 0;
    for (size_t i = 0; i < N_VALUES; i++) {
        v[i] = draw(&rng);
        assert_true(v[i] >= 1 && v[i] <= 3600000000ULL);
        sum += (long double)v[i];
        pb_hist_record(h, v[i]);
    }
    qsort(v, N_VALUES, sizeof(*v), cmp_u64);

    assert_int_equal(pb_hist_count(h), N_VALUES);
    uint64_t min = pb_hist_min(h), max = pb_hist_max(h);
    assert_true(min <= v[0] && (double)(v[0] - min) <= 0.001 * (double)v[0]);
    assert_int_equal(max, oracle_highest_equivalent(v[N_VALUES - 1]));
    assert_true((double)(max - v[N_VALUES - 1]) <= 0.001 * (double)v[N_VALUES - 1]);
    double exact_mean = (double)(sum / N_VALUES);
    assert_true(fabs(pb_hist_mean(h) - exact_mean) <= 0.001 * exact_mean);

    for (uint64_t k = 1; k <= 1000; k++)
        check_percentile(h, v, N_VALUES, k, 10); /* p0.1 .. p100 in steps of 0.1 */
    static const uint64_t extra[][2] = {{1, 10000}, {1, 1000},   {25, 1},       {75, 1},
                                        {999, 10},  {9999, 100}, {99999, 1000}, {999999, 10000},
                                        {333, 10},  {6667, 100}, {1, 3}};
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        check_percentile(h, v, N_VALUES, extra[i][0], extra[i][1]);
    pb_hist_destroy(h);
    free(v);
}

static uint64_t draw_uniform(pb_rng *rng)
{
    return 1 + pb_rng_below(rng, 1000000);
}

static uint64_t draw_lognormal_ms(pb_rng *rng)
{
    double v = exp(log(5000.0) + 1.0 * pb_rng_normal(rng));
    return v < 1 ? 1 : (uint64_t)v;
}

static uint64_t draw_exponential(pb_rng *rng)
{
    return 1 + (uint64_t)(-20000.0 * log(1.0 - pb_rng_double(rng)));
}

static uint64_t draw_bimodal(pb_rng *rng)
{
    double v = pb_rng_below(rng, 10) == 0 ? 200000 + 20000 * pb_rng_normal(rng)
                                          : 2000 + 200 * pb_rng_normal(rng);
    return v < 1 ? 1 : (uint64_t)v;
}

static uint64_t draw_log_uniform_full_range(pb_rng *rng)
{
    return (uint64_t)exp(pb_rng_double(rng) * log(3600000000.0));
}

static uint64_t draw_small(pb_rng *rng)
{
    return 1 + pb_rng_below(rng, 3000);
}

static uint64_t draw_constant(pb_rng *rng)
{
    (void)rng;
    return 123457;
}

static void percentiles_uniform(void **state)
{
    check_distribution(draw_uniform, 1);
}

static void percentiles_lognormal(void **state)
{
    check_distribution(draw_lognormal_ms, 2);
}

static void percentiles_exponential(void **state)
{
    check_distribution(draw_exponential, 3);
}

static void percentiles_bimodal(void **state)
{
    check_distribution(draw_bimodal, 4);
}

static void percentiles_full_range(void **state)
{
    check_distribution(draw_log_uniform_full_range, 5);
}

static void percentiles_small_values_exact(void **state)
{
    check_distribution(draw_small, 6);
}

static void percentiles_constant(void **state)
{
    check_distribution(draw_constant, 7);
}

/* The nearest-rank rule on a set small enough to reason about by hand. */
static void rank_semantics(void **state)
{
    pb_hist *h = latency_hist();
    for (uint64_t v = 1; v <= 100; v++)
        pb_hist_record(h, v);
    assert_int_equal(pb_hist_percentile(h, 50), 50);
    assert_int_equal(pb_hist_percentile(h, 50.5), 51);
    assert_int_equal(pb_hist_percentile(h, 70), 70); /* 0.7 * 100 is 70.000...01 in doubles */
    assert_int_equal(pb_hist_percentile(h, 0.5), 1);
    assert_int_equal(pb_hist_percentile(h, 1), 1);
    assert_int_equal(pb_hist_percentile(h, 1.01), 2);
    assert_int_equal(pb_hist_percentile(h, 99.9), 100);
    assert_int_equal(pb_hist_percentile(h, 100), 100);
    assert_int_equal(pb_hist_percentile(h, 250), 100);
    assert_int_equal(pb_hist_percentile(h, 0), 1);
    assert_int_equal(pb_hist_percentile(h, -5), 1);
    assert_int_equal(pb_hist_min(h), 1);
    assert_int_equal(pb_hist_max(h), 100);
    assert_float_equal(pb_hist_mean(h), 50.5, 1e-9);
    pb_hist_destroy(h);
}

/* Cumulative counts at bounds, as Prometheus `le` buckets: exact below 2048,
 * whole buckets above, and never decreasing from one bound to the next. */
static void count_at_or_below(void **state)
{
    pb_hist *h = latency_hist();
    const uint64_t bounds[] = {0, 1, 99, 100, 2500, 1000000, UINT64_MAX};
    uint64_t out[7];
    pb_hist_count_at_or_below(h, bounds, 7, out);
    for (int i = 0; i < 7; i++)
        assert_int_equal(out[i], 0);
    for (uint64_t v = 1; v <= 100; v++)
        pb_hist_record(h, v);
    pb_hist_record_n(h, 2501, 2);    /* shares the bucket of 2500 (width 2) */
    pb_hist_record_n(h, 5000000, 5); /* 5 s */
    pb_hist_count_at_or_below(h, bounds, 7, out);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 99);
    assert_int_equal(out[3], 100);
    assert_int_equal(out[4], 102);
    assert_int_equal(out[5], 102);
    assert_int_equal(out[6], 107);
    pb_hist_destroy(h);
}

static void empty_and_clamped(void **state)
{
    pb_hist *h = latency_hist();
    assert_int_equal(pb_hist_count(h), 0);
    assert_int_equal(pb_hist_percentile(h, 50), 0);
    assert_int_equal(pb_hist_min(h), 0);
    assert_int_equal(pb_hist_max(h), 0);
    assert_true(pb_hist_mean(h) == 0.0);

    pb_hist_record(h, 0);                       /* below lowest: counts as 1 us */
    pb_hist_record_n(h, 100000000000000ULL, 3); /* above highest: counts as 1 hour */
    pb_hist_record_n(h, 42, 0);                 /* nothing */
    assert_int_equal(pb_hist_count(h), 4);
    assert_int_equal(pb_hist_min(h), 1);
    assert_int_equal(pb_hist_percentile(h, 25), 1);
    assert_int_equal(pb_hist_max(h), oracle_highest_equivalent(3600000000ULL));

    pb_hist_reset(h);
    assert_int_equal(pb_hist_count(h), 0);
    assert_int_equal(pb_hist_max(h), 0);
    pb_hist_record(h, 7);
    assert_int_equal(pb_hist_min(h), 7);
    assert_int_equal(pb_hist_max(h), 7);
    pb_hist_destroy(h);
}

static void create_rejects_bad_layouts(void **state)
{
    pb_hist *h = NULL;
    assert_int_equal(pb_hist_create(0, 1000, 3, &h), PB_EINVAL);
    assert_int_equal(pb_hist_create(1, 1000, 0, &h), PB_EINVAL);
    assert_int_equal(pb_hist_create(1, 1000, 6, &h), PB_EINVAL);
    assert_int_equal(pb_hist_create(100, 150, 3, &h), PB_EINVAL);
    assert_int_equal(pb_hist_create(1, UINT64_MAX, 3, &h), PB_EINVAL);
    assert_null(h);
    assert_int_equal(pb_hist_create(1000, 10000000, 2, &h), 0);
    pb_hist_destroy(h);
    pb_hist_destroy(NULL);
}

/* Adding two histograms gives what recording both would have. */
static void merge_equals_recording_both(void **state)
{
    pb_hist *a = latency_hist(), *b = latency_hist(), *all = latency_hist();
    pb_rng rng;
    pb_rng_seed(&rng, 11);
    for (int i = 0; i < 200000; i++) {
        uint64_t v = i % 3 == 0 ? draw_bimodal(&rng) : draw_lognormal_ms(&rng);
        pb_hist_record(i % 2 ? a : b, v);
        pb_hist_record(all, v);
    }
    assert_int_equal(pb_hist_add(a, b), 0);
    assert_same_hist(a, all);

    pb_hist *other = NULL;
    assert_int_equal(pb_hist_create(1, 3600000000ULL, 2, &other), 0);
    assert_int_equal(pb_hist_add(a, other), PB_EINVAL);
    pb_hist_destroy(other);
    pb_hist_destroy(a);
    pb_hist_destroy(b);
    pb_hist_destroy(all);
}

static uint64_t draw_full_range_or_ms(pb_rng *rng)
{
    return pb_rng_below(rng, 2) ? draw_log_uniform_full_range(rng) : draw_lognormal_ms(rng);
}

static void encode_decode_round_trip(void **state)
{
    pb_hist *h = latency_hist(), *back = latency_hist();
    pb_rng rng;
    pb_rng_seed(&rng, 12);
    for (int i = 0; i < 100000; i++)
        pb_hist_record(h, draw_full_range_or_ms(&rng));
    size_t len;
    uint8_t *buf = encode(h, &len);
    assert_int_equal(pb_hist_encode(h, buf, len - 1), len); /* too small: size only */
    assert_int_equal(pb_hist_decode_add(back, buf, len), 0);
    assert_same_hist(h, back);

    /* decoding adds: twice the blob is the histogram recorded twice */
    assert_int_equal(pb_hist_decode_add(back, buf, len), 0);
    assert_int_equal(pb_hist_add(h, h), 0);
    assert_same_hist(h, back);
    free(buf);

    /* an empty histogram is the header alone and decodes to nothing */
    pb_hist_reset(h);
    buf = encode(h, &len);
    assert_true(len <= 8);
    pb_hist_reset(back);
    assert_int_equal(pb_hist_decode_add(back, buf, len), 0);
    assert_int_equal(pb_hist_count(back), 0);
    free(buf);
    pb_hist_destroy(h);
    pb_hist_destroy(back);
}

/* A blob of another layout lands in the right buckets, to its own precision. */
static void decode_other_layout(void **state)
{
    pb_hist *coarse = NULL, *h = latency_hist();
    assert_int_equal(pb_hist_create(1000, 60000000, 2, &coarse), 0);
    pb_rng rng;
    pb_rng_seed(&rng, 13);
    for (int i = 0; i < 100000; i++)
        pb_hist_record(coarse, 1000 + draw_lognormal_ms(&rng));
    size_t len;
    uint8_t *buf = encode(coarse, &len);
    assert_int_equal(pb_hist_decode_add(h, buf, len), 0);
    assert_int_equal(pb_hist_count(h), pb_hist_count(coarse));
    /* each coarse bucket arrives at its lowest value: the fine percentile lies
     * in the coarse bucket, at most one coarse step (2^9 below 131072, then
     * 1/128 of the value) under the coarse one */
    for (int k = 1; k <= 100; k++) {
        uint64_t a = pb_hist_percentile(coarse, k);
        uint64_t b = pb_hist_percentile(h, k);
        uint64_t step = a < 131072 ? 512 : a / 128;
        assert_true(b <= a && a - b < step);
    }
    free(buf);
    pb_hist_destroy(coarse);
    pb_hist_destroy(h);
}

/* Decoding buf must fail with PB_EPARSE and leave dst as it was. */
static void assert_rejected(pb_hist *dst, const uint8_t *buf, size_t len)
{
    size_t before_len, after_len;
    uint8_t *before = encode(dst, &before_len);
    assert_int_equal(pb_hist_decode_add(dst, buf, len), PB_EPARSE);
    uint8_t *after = encode(dst, &after_len);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    free(before);
    free(after);
}

/* Once a pair reaches the layout's last index, the next index is past it: a
 * further pair is refused, whatever its gap (the bound used to wrap around). */
static void pairs_past_the_last_index_rejected(void **state)
{
    pb_hist *dst = latency_hist();
    pb_hist_record_n(dst, 5000, 10);
    /* found by probing: 1 digit, lowest 1, highest 6015, and pairs whose
     * walk reaches the last index and goes on */
    static const uint8_t probed[] = {0x01, 0x01, 0x01, 0xff, 0x2e, 0x0b, 0x0b,
                                     0x0b, 0x36, 0x7f, 0x0e, 0x01, 0xf2, 0xf2,
                                     0x00, 0xf8, 0xbe, 0x17, 0x33};
    assert_rejected(dst, probed, sizeof(probed));

    /* a histogram holding its highest value, then one more pair of gap 0 */
    pb_hist *h;
    assert_int_equal(pb_hist_create(1, 1000, 2, &h), 0);
    pb_hist_record_n(h, 1000, 1);
    size_t len;
    uint8_t *buf = encode(h, &len);
    assert_int_equal(pb_hist_decode_add(dst, buf, len), 0);
    uint8_t *more = malloc(len + 2);
    assert_non_null(more);
    memcpy(more, buf, len);
    more[len] = 0;     /* gap 0: the index after the last */
    more[len + 1] = 1; /* count 1 */
    assert_rejected(dst, more, len + 2);
    free(more);
    free(buf);
    pb_hist_destroy(h);
    pb_hist_destroy(dst);
}

static void corrupt_blobs_rejected(void **state)
{
    pb_hist *dst = latency_hist();
    pb_hist_record_n(dst, 5000, 10);
    /* header: version 1, 3 digits, lowest 1, highest 3600000000 */
    static const uint8_t hdr[] = {1, 3, 1, 0x80, 0xc8, 0xce, 0xb4, 0x0d};
    uint8_t good[32];
    memcpy(good, hdr, sizeof(hdr));
    good[sizeof(hdr)] = 5;     /* gap: index 5 */
    good[sizeof(hdr) + 1] = 2; /* count 2 */
    assert_int_equal(pb_hist_decode_add(dst, good, sizeof(hdr) + 2), 0);
    assert_int_equal(pb_hist_count(dst), 12);
    assert_int_equal(pb_hist_percentile(dst, 10), 5);

    uint8_t b[32];
    assert_rejected(dst, NULL, 0);
    assert_rejected(dst, good, 0);
    assert_rejected(dst, good, 3);
    assert_rejected(dst, good, sizeof(hdr) + 1); /* a gap without its count */
    memcpy(b, good, sizeof(good));
    b[0] = 2; /* unknown version */
    assert_rejected(dst, b, sizeof(hdr) + 2);
    b[0] = 1, b[1] = 0; /* 0 significant digits */
    assert_rejected(dst, b, sizeof(hdr) + 2);
    b[1] = 9;
    assert_rejected(dst, b, sizeof(hdr) + 2);
    b[1] = 3, b[2] = 0; /* lowest 0 */
    assert_rejected(dst, b, sizeof(hdr) + 2);
    memcpy(b, good, sizeof(good));
    b[sizeof(hdr) + 1] = 0; /* count 0 */
    assert_rejected(dst, b, sizeof(hdr) + 2);
    b[sizeof(hdr) + 1] = 0x81; /* truncated count varint */
    assert_rejected(dst, b, sizeof(hdr) + 2);
    b[sizeof(hdr)] = 0; /* gap 0: index 0 holds values below lowest */
    b[sizeof(hdr) + 1] = 1;
    assert_rejected(dst, b, sizeof(hdr) + 2);
    /* a gap past the last bucket */
    size_t n = sizeof(hdr);
    static const uint8_t far[] = {0xff, 0xff, 0x03, 1};
    memcpy(b + n, far, sizeof(far));
    assert_rejected(dst, b, n + sizeof(far));
    /* an eleven-byte varint */
    memset(b + n, 0x80, 10);
    b[n + 10] = 1;
    b[n + 11] = 1;
    assert_rejected(dst, b, n + 12);
    /* counts that overflow 64 bits together */
    static const uint8_t huge[] = {5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                                   0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    memcpy(b + n, huge, sizeof(huge));
    size_t hlen = n + sizeof(huge);
    uint8_t *big = malloc(hlen);
    assert_non_null(big);
    memcpy(big, b, hlen);
    assert_rejected(dst, big, hlen);
    free(big);
    assert_int_equal(pb_hist_count(dst), 12);
    pb_hist_destroy(dst);
}

/* Random damage to a real blob: never a crash or an over-read (ASan watches),
 * and a rejected blob leaves the target unchanged. */
static void mutated_blobs_never_crash(void **state)
{
    pb_hist *src = latency_hist(), *dst = latency_hist();
    pb_rng rng;
    pb_rng_seed(&rng, 14);
    for (int i = 0; i < 5000; i++)
        pb_hist_record(src, draw_lognormal_ms(&rng));
    size_t len;
    uint8_t *good = encode(src, &len);
    int rejected = 0;
    for (int round = 0; round < 3000; round++) {
        size_t cut = round % 5 == 0 ? (size_t)pb_rng_below(&rng, len) : len;
        uint8_t *b = malloc(cut + 1); /* +1: malloc(0) may return NULL */
        assert_non_null(b);
        memcpy(b, good, cut);
        for (int k = 0; cut > 0 && k < 1 + round % 4; k++)
            b[pb_rng_below(&rng, cut)] = (uint8_t)pb_rng_next(&rng);
        uint64_t before = pb_hist_count(dst);
        int rc = pb_hist_decode_add(dst, b, cut);
        assert_true(rc == 0 || rc == PB_EPARSE);
        if (rc != 0) {
            assert_int_equal(pb_hist_count(dst), before);
            rejected++;
        }
        free(b);
    }
    assert_true(rejected > 100);
    free(good);
    pb_hist_destroy(src);
    pb_hist_destroy(dst);
}

struct walk {
    const pb_hist *h;
    double last_pct;
    uint64_t last_value;
    int steps;
    bool saw_100;
};

static void walk_step(void *data, uint64_t value, double percentile, uint64_t total_count)
{
    struct walk *w = data;
    assert_false(w->saw_100);
    assert_true(percentile >= w->last_pct);
    assert_true(value >= w->last_value);
    if (percentile > 0 && percentile < 100) {
        assert_int_equal(value, pb_hist_percentile(w->h, percentile));
        assert_true((double)total_count * 100.0 / (double)pb_hist_count(w->h) >= percentile);
    }
    if (percentile == 100) {
        assert_int_equal(value, pb_hist_max(w->h));
        assert_int_equal(total_count, pb_hist_count(w->h));
        w->saw_100 = true;
    }
    w->last_pct = percentile;
    w->last_value = value;
    w->steps++;
}

/* The HdrHistogram percentile walk: steps halve towards 100 %, each step's
 * value is that percentile's value, and the walk ends at 100 % with the max. */
static void percentile_walk(void **state)
{
    pb_hist *h = latency_hist();
    pb_rng rng;
    pb_rng_seed(&rng, 15);
    for (int i = 0; i < 100000; i++)
        pb_hist_record(h, draw_lognormal_ms(&rng));
    struct walk w = {.h = h};
    pb_hist_percentiles(h, 5, walk_step, &w);
    assert_true(w.saw_100);
    /* 5 ticks per half: 10 steps to 50 %, 5 more to 75 %, ... then 100 % */
    assert_true(w.steps > 60 && w.steps < 200);

    pb_hist_reset(h);
    for (uint64_t v = 1; v <= 10; v++)
        pb_hist_record(h, v);
    memset(&w, 0, sizeof(w));
    w.h = h;
    pb_hist_percentiles(h, 1, walk_step, &w);
    assert_true(w.saw_100);
    pb_hist_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(percentiles_uniform),
        cmocka_unit_test(percentiles_lognormal),
        cmocka_unit_test(percentiles_exponential),
        cmocka_unit_test(percentiles_bimodal),
        cmocka_unit_test(percentiles_full_range),
        cmocka_unit_test(percentiles_small_values_exact),
        cmocka_unit_test(percentiles_constant),
        cmocka_unit_test(rank_semantics),
        cmocka_unit_test(count_at_or_below),
        cmocka_unit_test(empty_and_clamped),
        cmocka_unit_test(create_rejects_bad_layouts),
        cmocka_unit_test(merge_equals_recording_both),
        cmocka_unit_test(encode_decode_round_trip),
        cmocka_unit_test(decode_other_layout),
        cmocka_unit_test(pairs_past_the_last_index_rejected),
        cmocka_unit_test(corrupt_blobs_rejected),
        cmocka_unit_test(mutated_blobs_never_crash),
        cmocka_unit_test(percentile_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
