/* The Python reference's JSON output as reproduce reads it
 * (pb_python_ref_parse, harness/claims/python_ref.h). Structure-aware: the
 * custom mutator edits the JSON tree (json_mutator.h), seeded with real
 * outputs of reference/python/pb_reference.py. An accepted output keeps the
 * header's promises (counts that add up, finite figures from 0) and reads
 * back from its own fields; a refused one names the source and leaves the
 * result as it was. */
#include <math.h>
#include <stdbool.h>

#include <jansson.h>

#include "fuzz.h"
#include "json_mutator.h"
#include "python_ref.h"

static const char *const keys[] = {
    "implementation",
    "python",
    "aiohttp",
    "pattern",
    "concurrency",
    "requests",
    "ok",
    "errors",
    "statuses",
    "rejected",
    "dropped",
    "lost",
    "cascaded",
    "failed",
    "elapsed_s",
    "rps",
    "goodput",
    "cpu_s",
    "latency_ms",
    "mean",
    "p50",
    "p99",
    "state",
    NULL,
};

static const char *const values[] = {
    "0",
    "1",
    "-1",
    "300",
    "281",
    "19",
    "9223372036854775807",
    "-9223372036854775808",
    "0.0",
    "-0.0",
    "1.5",
    "1e308",
    "-1e-300",
    "4.9e-324",
    "\"300\"",
    "null",
    "true",
    "[]",
    "{}",
    "{\"mean\": 8.2, \"p50\": 6.9, \"p99\": 23.6}",
    NULL,
};

FUZZ_JSON_MUTATOR(keys, values)

static bool figure_ok(double x)
{
    return isfinite(x) && x >= 0;
}

static bool same(const pb_python_result *a, const pb_python_result *b)
{
    return a->requests == b->requests && a->ok == b->ok && a->failed == b->failed &&
           a->lost == b->lost && a->cascaded == b->cascaded && a->elapsed_s == b->elapsed_s &&
           a->rps == b->rps && a->goodput == b->goodput && a->cpu_s == b->cpu_s &&
           a->mean_latency_ms == b->mean_latency_ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a result the parser must leave alone when it refuses the input */
    static const pb_python_result untouched = {.requests = 7, .ok = 3, .elapsed_s = 2.5};
    pb_python_result r = untouched;
    pb_err err = {0};
    int rc = pb_python_ref_parse((const char *)data, size, "fuzz.json", &r, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        FUZZ_CHECK(rc == PB_EPARSE || rc == PB_ERANGE);
        FUZZ_CHECK(strncmp(err.msg, "fuzz.json: ", 11) == 0);
        FUZZ_CHECK(same(&r, &untouched));
        return 0;
    }
    FUZZ_CHECK(r.ok <= r.requests && r.failed == r.requests - r.ok);
    FUZZ_CHECK(r.cascaded <= r.lost);
    FUZZ_CHECK(r.requests <= INT64_MAX && r.lost <= INT64_MAX);
    FUZZ_CHECK(figure_ok(r.elapsed_s) && figure_ok(r.rps) && figure_ok(r.goodput) &&
               figure_ok(r.cpu_s) && figure_ok(r.mean_latency_ms));

    /* the fields alone, written as the reference writes them, read back the same */
    json_t *j =
        json_pack("{sIsIsIsIsIsfsfsfsfs{sf}}", "requests", (json_int_t)r.requests, "ok",
                  (json_int_t)r.ok, "failed", (json_int_t)r.failed, "lost", (json_int_t)r.lost,
                  "cascaded", (json_int_t)r.cascaded, "elapsed_s", r.elapsed_s, "rps", r.rps,
                  "goodput", r.goodput, "cpu_s", r.cpu_s, "latency_ms", "mean", r.mean_latency_ms);
    FUZZ_CHECK(j != NULL);
    char *text = json_dumps(j, JSON_COMPACT);
    FUZZ_CHECK(text != NULL);
    pb_python_result back;
    rc = pb_python_ref_parse(text, strlen(text), "round trip", &back, &err);
    if (rc != 0)
        fprintf(stderr, "%s\ndoes not read back: %s\n", text, err.msg);
    FUZZ_CHECK(rc == 0 && same(&r, &back));
    free(text);
    json_decref(j);
    return 0;
}
