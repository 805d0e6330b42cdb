/* The numbers users type (common/units.h): every input goes through each
 * parser — durations, sizes (or shares of a disk), whole numbers, reals, rates
 * and fractions — and what one accepts must be in its range and read back the
 * same. */
#include <inttypes.h>
#include <math.h>

#include "fuzz.h"
#include "units.h"

static void duration(const char *s)
{
    pb_err err = {0};
    pb_usec d;
    int rc = pb_parse_duration(s, "--duration", &d, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        return;
    }
    FUZZ_CHECK(d <= (pb_usec)1e18);
    char buf[32];
    pb_format_duration(d, buf, sizeof(buf));
    FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);
    /* microseconds are exact: reading them back gives the same duration */
    char us[32];
    snprintf(us, sizeof(us), "%" PRIu64 "us", (uint64_t)d);
    pb_usec again;
    FUZZ_CHECK(pb_parse_duration(us, "--duration", &again, NULL) == 0 && again == d);
    /* a duration ending in hours or days takes minutes after it, and they add
     * (to the microsecond: each sum rounds once) */
    size_t n = strlen(s);
    if (n > 0 && n < 64 && (s[n - 1] == 'h' || s[n - 1] == 'd') && d < (pb_usec)1e15) {
        char more[80];
        snprintf(more, sizeof(more), "%s30m", s);
        pb_usec want = d + 30 * 60 * PB_USEC_PER_SEC;
        FUZZ_CHECK(pb_parse_duration(more, "--duration", &again, NULL) == 0);
        FUZZ_CHECK(again + 1 >= want && again <= want + 1);
    }
}

static void rate(const char *s)
{
    pb_err err = {0};
    double v;
    int rc = pb_parse_rate(s, "--rate", 0, 1e12, &v, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        return;
    }
    FUZZ_CHECK(isfinite(v) && v >= 0 && v <= 1e12);
    /* its written form reads back to the same rate (units.h: from 1e-9) */
    char text[48];
    double back = 0;
    pb_format_rate(v, text, sizeof(text));
    if (v == 0 || v >= 1e-9) {
        if (pb_parse_rate(text, "--rate", 0, 1e12, &back, &err) != 0 || back != v)
            fprintf(stderr, "\"%s\" writes as \"%s\", which reads as %.17g\n", s, text, back);
        FUZZ_CHECK(pb_parse_rate(text, "--rate", 0, 1e12, &back, NULL) == 0 && back == v);
    }
    /* a plain number read again with "k" is a thousand times as much */
    size_t n = strlen(s);
    double k;
    if (n > 0 && n < 64 && s[n - 1] != 'k' && v <= 1e9) {
        char more[80];
        snprintf(more, sizeof(more), "%sk", s);
        FUZZ_CHECK(pb_parse_rate(more, "--rate", 0, 1e12, &k, NULL) == 0 && k == v * 1e3);
    }
}

static void size(const char *s)
{
    pb_err err = {0};
    uint64_t v;
    int rc = pb_parse_size(s, "--body-size", &v, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        return;
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    uint64_t again;
    FUZZ_CHECK(pb_parse_size(buf, "--body-size", &again, NULL) == 0 && again == v);
    /* shown in the units it is read in: "N XiB" read back as "NXiB" is the
     * size to the 3 digits shown (exactly when it is a whole number of X) */
    pb_format_size(v, buf, sizeof(buf));
    FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);
    char *space = strchr(buf, ' ');
    FUZZ_CHECK(space != NULL);
    memmove(space, space + 1, strlen(space));
    if (pb_parse_size(buf, "--body-size", &again, NULL) != 0) {
        /* only a size within the rounding of the largest ("16.0 EiB") */
        FUZZ_CHECK(v > UINT64_MAX - UINT64_MAX / 200);
        return;
    }
    uint64_t off = again > v ? again - v : v - again;
    FUZZ_CHECK(off <= v / 200 + 1);
    unsigned unit_bits = v == 0 ? 0 : 10 * ((63 - (unsigned)__builtin_clzll(v)) / 10);
    if ((v & ((1ULL << unit_bits) - 1)) == 0)
        FUZZ_CHECK(again == v);
}

static void size_or_percent(const char *s)
{
    pb_err err = {0};
    uint64_t v, plain;
    double share;
    int rc = pb_parse_size_or_percent(s, "--disk-reserve", &v, &share, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        return;
    }
    if (share != 0)
        FUZZ_CHECK(share > 0 && share < 1 && v == 0);
    else
        FUZZ_CHECK(pb_parse_size(s, "--disk-reserve", &plain, NULL) == 0 && plain == v);
}

static void whole(const char *s)
{
    pb_err err = {0};
    uint64_t v;
    int rc = pb_parse_u64(s, "--threads", 1, 64, &v, &err);
    if (rc != 0)
        FUZZ_CHECK_ERR(rc, err);
    else
        FUZZ_CHECK(v >= 1 && v <= 64);
    rc = pb_parse_u64(s, "--seed", 0, UINT64_MAX, &v, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        return;
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    uint64_t again;
    FUZZ_CHECK(pb_parse_u64(buf, "--seed", 0, UINT64_MAX, &again, NULL) == 0 && again == v);
}

static void real(const char *s)
{
    pb_err err = {0};
    double v;
    int rc = pb_parse_double(s, "--rate", -1e9, 1e9, &v, &err);
    if (rc != 0)
        FUZZ_CHECK_ERR(rc, err);
    else
        FUZZ_CHECK(isfinite(v) && v >= -1e9 && v <= 1e9);
    rc = pb_parse_fraction(s, "--errors", &v, &err);
    if (rc != 0)
        FUZZ_CHECK_ERR(rc, err);
    else
        FUZZ_CHECK(v >= 0 && v <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *s = fuzz_cstr(data, len);
    duration(s);
    rate(s);
    size(s);
    size_or_percent(s);
    whole(s);
    real(s);
    free(s);
    return 0;
}
