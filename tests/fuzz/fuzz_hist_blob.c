/* The histogram blobs a database holds (seconds.hist; pb_hist_decode_add,
 * common/histogram.h), as a hostile or damaged file gives them. A refused
 * blob leaves the histogram as it was; an accepted one adds its count, and
 * what it holds encodes and decodes back to the same blob, whose percentiles
 * stay within the recorded range. */
#include "fuzz.h"
#include "histogram.h"

static uint8_t *encode(const pb_hist *h, size_t *len)
{
    *len = pb_hist_encode(h, NULL, 0);
    uint8_t *buf = malloc(*len);
    FUZZ_CHECK(buf != NULL);
    FUZZ_CHECK(pb_hist_encode(h, buf, *len) == *len);
    return buf;
}

static void count_step(void *data, uint64_t value, double percentile, uint64_t total_count)
{
    const pb_hist *h = data;
    FUZZ_CHECK(value <= pb_hist_max(h) || percentile < 100.0);
    FUZZ_CHECK(percentile >= 0.0 && percentile <= 100.0);
    FUZZ_CHECK(total_count <= pb_hist_count(h));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    pb_hist *h = NULL;
    FUZZ_CHECK(pb_hist_create_latency(&h) == 0);
    pb_hist_record_n(h, 1000, 3); /* something to keep when the blob is refused */
    size_t before_len, after_len;
    uint8_t *before = encode(h, &before_len);
    int rc = pb_hist_decode_add(h, data, len);
    uint8_t *after = encode(h, &after_len);
    if (rc != 0) {
        FUZZ_CHECK(rc == PB_EPARSE || rc == PB_ERANGE);
        FUZZ_CHECK(before_len == after_len && memcmp(before, after, before_len) == 0);
    } else {
        FUZZ_CHECK(pb_hist_count(h) >= 3);
        /* alone in a fresh histogram, the blob's values read back the same */
        pb_hist *alone = NULL, *again = NULL;
        FUZZ_CHECK(pb_hist_create_latency(&alone) == 0 && pb_hist_create_latency(&again) == 0);
        FUZZ_CHECK(pb_hist_decode_add(alone, data, len) == 0);
        size_t a_len;
        uint8_t *a = encode(alone, &a_len);
        FUZZ_CHECK(pb_hist_decode_add(again, a, a_len) == 0);
        size_t b_len;
        uint8_t *b = encode(again, &b_len);
        FUZZ_CHECK(a_len == b_len && memcmp(a, b, a_len) == 0);
        FUZZ_CHECK(pb_hist_count(alone) + 3 == pb_hist_count(h));
        if (pb_hist_count(alone) > 0) {
            FUZZ_CHECK(pb_hist_min(alone) <= pb_hist_percentile(alone, 50));
            FUZZ_CHECK(pb_hist_percentile(alone, 50) <= pb_hist_max(alone));
        }
        pb_hist_percentiles(alone, 5, count_step, alone);
        free(a);
        free(b);
        pb_hist_destroy(again);
        pb_hist_destroy(alone);
    }
    free(before);
    free(after);
    pb_hist_destroy(h);
    return 0;
}
