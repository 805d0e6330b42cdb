/* Scenario files (pb_scenario_parse, harness/scenario/scenario.h), the JSON
 * that `compare` reads, with its mock profile, entries, pattern options and
 * thresholds. Structure-aware: the custom mutator edits the JSON tree
 * (json_mutator.h). An accepted scenario must build a run configuration for
 * every entry, also after `compare --duration`, and select by its labels. */
#include "fuzz.h"
#include "json_mutator.h"
#include "scenario.h"

static const char *const keys[] = {
    /* the scenario's own */
    "title",
    "description",
    "seed",
    "duration",
    "requests",
    "timeout",
    "target",
    "mock",
    "load",
    "closed",
    "open",
    "concurrency",
    "rate",
    "phases",
    "at",
    "thresholds",
    "patterns",
    "pattern",
    "label",
    /* the mock profile's */
    "latency",
    "latency-cap",
    "errors",
    "faults",
    "capacity",
    "queue-limit",
    "rate-limit",
    "body-size",
    "hang-max",
    "name",
    "listen",
    "threads",
    /* pattern options (patterns/README.md) */
    "queue-size",
    "put-timeout",
    "batch",
    "failure-threshold",
    "recovery-timeout",
    "half-open-calls",
    "breaker-policy",
    "window-type",
    "window-size",
    "minimum-calls",
    "failure-rate-threshold",
    "slow-call-duration",
    "slow-call-rate-threshold",
    "adaptive-policy",
    "min-limit",
    "max-limit",
    "smoothing",
    "rtt-tolerance",
    "long-window",
    "adaptive-window",
    "adaptive-min-samples",
    "aimd-timeout",
    "backoff-ratio",
    "gradient-queue-size",
    "retry-attempts",
    "retry-base",
    "retry-cap",
    "retry-jitter",
    "retry-after",
    "reject-pause",
    "client-threads",
    "tasks",
    "profile",
    "db",
    NULL,
};

static const char *const values[] = {
    "\"queue\"",
    "\"semaphore\"",
    "\"backpressure\"",
    "\"breaker\"",
    "\"adaptive\"",
    "\"mock\"",
    "\"http://127.0.0.1:8080/\"",
    "\"15s\"",
    "\"500ms\"",
    "\"72h\"",
    "\"p99<200ms\"",
    "\"error_rate<1%\"",
    "\"rps>1000\"",
    "\"rejected>0\"",
    "\"fixed:10ms\"",
    "\"lognormal:20ms,200ms\"",
    "\"503:1\"",
    "\"reset:0.05\"",
    "\"rate\"",
    "\"count\"",
    "\"time\"",
    "\"aimd\"",
    "\"gradient2\"",
    "\"seed\"",
    "\"full\"",
    "\"equal\"",
    "\"none\"",
    "\"unlimited\"",
    "0",
    "1",
    "3",
    "20",
    "400",
    "0.3",
    "1e9",
    "18446744073709551615",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "[\"p99<200ms\"]",
    "{\"closed\": {\"concurrency\": 20}}",
    "{\"open\": {\"rate\": 400, \"phases\": [{\"at\": \"5s\", \"rate\": 800}]}}",
    "[{\"pattern\": \"queue\"}]",
    "{\"pattern\": \"breaker\", \"failure-threshold\": 3}",
    "{\"latency\": \"fixed:1ms\", \"phases\": [{\"at\": \"4s\", \"errors\": \"503:1\"}]}",
    NULL,
};

FUZZ_JSON_MUTATOR(keys, values)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    pb_scenario *sc = NULL;
    pb_err err = {0};
    /* the text exactly as given, without a terminator, so that a read past
     * its end is caught */
    int rc = pb_scenario_parse((const char *)data, len, "fuzz.json", &sc, &err);
    if (rc != 0) {
        FUZZ_CHECK_ERR(rc, err);
        FUZZ_CHECK(sc == NULL);
        return 0;
    }
    FUZZ_CHECK(sc->n_entries >= 1 && sc->n_entries <= PB_SCENARIO_MAX_ENTRIES);

    bool selected[PB_SCENARIO_MAX_ENTRIES] = {false};
    rc = pb_scenario_select(sc, sc->entries[sc->n_entries - 1].label, selected, &err);
    if (rc != 0)
        fprintf(stderr, "label \"%s\" selects nothing: %s\n", sc->entries[sc->n_entries - 1].label,
                err.msg);
    FUZZ_CHECK(rc == 0 && selected[sc->n_entries - 1]);

    pb_scenario_set_bound(sc, 2 * PB_USEC_PER_SEC, 0);
    for (int i = 0; i < sc->n_entries; i++) {
        pb_run_config cfg;
        rc = pb_scenario_run_config(sc, i, &cfg, &err);
        if (rc != 0)
            fprintf(stderr, "entry %d was accepted but does not build: %s\n", i, err.msg);
        FUZZ_CHECK(rc == 0);
        pb_run_config_cleanup(&cfg);
    }
    pb_scenario_destroy(sc);
    return 0;
}
