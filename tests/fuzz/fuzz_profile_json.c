/* Mock profiles (pb_mock_config_load_json, mockserver/mock.h), the JSON that
 * --profile files, a scenario's "mock" and PUT /__admin/profile carry.
 * Structure-aware: the custom mutator edits the JSON tree (json_mutator.h).
 * A refused profile must leave the configuration as it was; an accepted one
 * must read back from the JSON pb_mock_config_to_json writes. */
#include "fuzz.h"
#include "json_mutator.h"
#include "mock.h"

static const char *const keys[] = {
    "listen", "threads",  "seed",        "latency",    "latency-cap", "errors",
    "faults", "capacity", "queue-limit", "rate-limit", "body-size",   "hang-max",
    "phases", "at",       "name",        NULL,
};

static const char *const values[] = {
    "\"none\"",
    "\"fixed:10ms\"",
    "\"uniform:5ms,20ms\"",
    "\"normal:20ms,5ms\"",
    "\"lognormal:20ms,200ms\"",
    "\"pareto:5ms,1.5\"",
    "\"mix:150us:10,2ms:5,500ms:1\"",
    "\"503:0.2,500:0.05\"",
    "\"429:1%\"",
    "\"reset:0.1,hang:0.01,slow-body:0.02,malformed:0.03\"",
    "\"unlimited\"",
    "\"100,10\"",
    "\"4k\"",
    "\"64M\"",
    "\"60s\"",
    "\"1.5s\"",
    "\"127.0.0.1:0\"",
    "\"[::1]:8080\"",
    "\"outage\"",
    "0",
    "1",
    "64",
    "0.5",
    "18446744073709551615",
    "[]",
    "{}",
    "[{\"at\": \"1s\"}]",
    "{\"at\": \"5s\", \"name\": \"outage\", \"errors\": \"503:1\"}",
    NULL,
};

FUZZ_JSON_MUTATOR(keys, values)

static char *snapshot(const pb_mock_config *cfg)
{
    char *json = pb_mock_config_to_json(cfg);
    FUZZ_CHECK(json != NULL);
    return json;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *text = fuzz_cstr(data, len);
    pb_mock_config *cfg = NULL, *back = NULL;
    FUZZ_CHECK(pb_mock_config_create(&cfg) == 0);
    char *before = snapshot(cfg);
    pb_err err = {0};
    int rc = pb_mock_config_load_json(cfg, text, "fuzz.json", &err);
    char *after = snapshot(cfg);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        FUZZ_CHECK(strcmp(before, after) == 0);
    } else {
        FUZZ_CHECK(pb_mock_config_phase_count(cfg) >= 1);
        FUZZ_CHECK(pb_mock_config_create(&back) == 0);
        rc = pb_mock_config_load_json(back, after, "round trip", &err);
        if (rc != 0)
            fprintf(stderr, "%s\ndoes not read back: %s\n", after, err.msg);
        FUZZ_CHECK(rc == 0);
        char *again = snapshot(back);
        if (strcmp(after, again) != 0)
            fprintf(stderr, "%s\nreads back as\n%s\n", after, again);
        FUZZ_CHECK(strcmp(after, again) == 0);
        free(again);
    }
    free(after);
    free(before);
    pb_mock_config_destroy(back);
    pb_mock_config_destroy(cfg);
    free(text);
    return 0;
}
