/* Latency specs (mockserver/latency_dist.h) as `--latency` and profiles take
 * them: what parses must format to a canonical text that parses back to the
 * same text, and its draws must stay within the cap. */
#include "fuzz.h"
#include "latency_dist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *s = fuzz_cstr(data, len);
    pb_err err = {0};
    pb_latency_dist d;
    int rc = pb_latency_parse(s, "--latency", &d, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        free(s);
        return 0;
    }
    char text[2048], again[2048];
    pb_latency_format(&d, text, sizeof(text));
    FUZZ_CHECK(strlen(text) < sizeof(text) - 1);
    pb_latency_dist d2;
    rc = pb_latency_parse(text, "canonical", &d2, &err);
    if (rc != 0)
        fprintf(stderr, "\"%s\" formats as \"%s\": %s\n", s, text, err.msg);
    FUZZ_CHECK(rc == 0);
    pb_latency_format(&d2, again, sizeof(again));
    if (strcmp(text, again) != 0)
        fprintf(stderr, "\"%s\" formats as \"%s\", which formats as \"%s\"\n", s, text, again);
    FUZZ_CHECK(strcmp(text, again) == 0);

    pb_rng rng;
    pb_rng_seed(&rng, len);
    bool zero = pb_latency_is_zero(&d);
    for (int i = 0; i < 8; i++) {
        pb_usec v = pb_latency_draw(&d, 0, &rng);
        FUZZ_CHECK(v <= PB_LATENCY_HARD_CAP);
        FUZZ_CHECK(!zero || v == 0);
        FUZZ_CHECK(pb_latency_draw(&d, 1000, &rng) <= 1000);
    }
    free(s);
    return 0;
}
