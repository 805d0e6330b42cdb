/* Scenario files: every documented field is read into the run configuration,
 * and every broken file gets a message with the file, the JSON path and the
 * line and column of the offending value. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_pos.h"
#include "mock.h"
#include "scenario.h"
#include "test_assert.h"
#include "test_env.h"
#include "test_file.h"

static pb_scenario *parse_ok(const char *text)
{
    pb_scenario *sc = NULL;
    pb_err err = {0};
    int rc = pb_scenario_parse(text, strlen(text), "inline.json", &sc, &err);
    if (rc != 0)
        fail_msg("refused: %s", err.msg);
    return sc;
}

/* The message for a text that must be refused. */
static const char *parse_error(const char *text, pb_err *err)
{
    pb_scenario *sc = NULL;
    int rc = pb_scenario_parse(text, strlen(text), "inline.json", &sc, err);
    if (rc == 0)
        fail_msg("accepted a broken scenario:\n%s", text);
    assert_null(sc);
    return err->msg;
}

static const char every_field[] =
    "{\n"
    "  \"title\": \"Every field\",\n"
    "  \"description\": \"a scenario that sets everything\",\n"
    "  \"seed\": 9223372036854775807,\n"
    "  \"duration\": \"3s\",\n"
    "  \"timeout\": \"750ms\",\n"
    "  \"target\": \"mock\",\n"
    "  \"mock\": {\n"
    "    \"latency\": \"fixed:2ms\",\n"
    "    \"errors\": \"503:0.1\",\n"
    "    \"phases\": [\n"
    "      {\"at\": \"1s\", \"name\": \"outage\", \"errors\": \"503:1\"},\n"
    "      {\"at\": \"2s\", \"errors\": \"none\"}\n"
    "    ]\n"
    "  },\n"
    "  \"load\": {\"open\": {\"rate\": 250.5, \"phases\": [{\"at\": \"1s\", \"rate\": 500},\n"
    "                                            {\"at\": \"2500ms\", \"rate\": 125}]}},\n"
    "  \"thresholds\": [\"p99<200ms\", \"error_rate < 5%\"],\n"
    "  \"patterns\": [\n"
    "    {\"pattern\": \"breaker\", \"label\": \"breaker-fast\", \"concurrency\": 7,\n"
    "     \"breaker-policy\": \"rate\", \"half-open-calls\": 3, \"recovery-timeout\": \"2s\",\n"
    "     \"failure-rate-threshold\": "
    "0.25,\n"
    "     \"retry-after\": false, \"thresholds\": [\"rejected>0\"]},\n"
    "    {\"pattern\": \"queue\", \"requests\": 500, \"timeout\": \"2s\"}\n"
    "  ]\n"
    "}\n";

static void every_documented_field_is_read(void **state)
{
    pb_scenario *sc = parse_ok(every_field);
    assert_string_equal(sc->title, "Every field");
    assert_string_equal(sc->description, "a scenario that sets everything");
    assert_true(sc->seed == INT64_MAX);
    assert_int_equal(sc->duration, 3 * PB_USEC_PER_SEC);
    assert_int_equal(sc->requests, 0);
    assert_int_equal(sc->timeout, 750 * PB_USEC_PER_MS);
    assert_null(sc->target_url);
    assert_non_null(sc->mock_json);
    assert_int_equal(sc->n_phases, 3);
    assert_string_equal(sc->phase_names[0], "base");
    assert_string_equal(sc->phase_names[1], "outage");
    assert_string_equal(sc->phase_names[2], "phase 2");
    assert_int_equal(sc->phase_at[0], 0);
    assert_int_equal(sc->phase_at[1], PB_USEC_PER_SEC);
    assert_int_equal(sc->phase_at[2], 2 * PB_USEC_PER_SEC);
    assert_true(sc->open_loop);
    assert_float_equal(sc->rate, 250.5, 0);
    assert_int_equal(sc->n_rate_steps, 2);
    assert_int_equal(sc->rate_steps[0].at, PB_USEC_PER_SEC);
    assert_float_equal(sc->rate_steps[0].rate, 500, 0);
    assert_int_equal(sc->rate_steps[1].at, 2500 * PB_USEC_PER_MS);
    assert_float_equal(sc->rate_steps[1].rate, 125, 0);
    assert_int_equal(sc->n_thresholds, 2);
    assert_string_equal(sc->thresholds[1], "error_rate < 5%");
    assert_int_equal(sc->n_entries, 2);
    assert_string_equal(sc->entries[0].label, "breaker-fast");
    assert_string_equal(sc->entries[1].label, "queue"); /* defaults to the pattern */

    /* the first entry as a run: scenario settings, then the entry's own */
    pb_run_config cfg;
    pb_err err = {0};
    int rc = pb_scenario_run_config(sc, 0, &cfg, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.pattern, "breaker");
    assert_string_equal(cfg.label, "breaker-fast");
    assert_null(cfg.target_url);
    assert_true(cfg.seed == INT64_MAX);
    assert_int_equal(cfg.duration, 3 * PB_USEC_PER_SEC);
    assert_int_equal(cfg.requests, 0);
    assert_int_equal(cfg.timeout, 750 * PB_USEC_PER_MS);
    assert_float_equal(cfg.params.rate, 250.5, 0);
    assert_int_equal(cfg.n_rate_steps, 2);
    assert_int_equal(cfg.rate_steps[1].at, 2500 * PB_USEC_PER_MS);
    assert_int_equal(cfg.params.concurrency, 7);
    assert_int_equal(cfg.params.breaker_policy, PB_BREAKER_POLICY_RATE);
    assert_int_equal(cfg.params.half_open_calls, 3);
    assert_int_equal(cfg.params.recovery_timeout, 2 * PB_USEC_PER_SEC);
    assert_float_equal(cfg.params.failure_rate_threshold, 0.25, 0);
    assert_false(cfg.params.retry_honour_retry_after);
    assert_int_equal(cfg.n_thresholds, 3); /* two global, one of its own */
    assert_string_equal(cfg.thresholds[0], "p99<200ms");
    assert_string_equal(cfg.thresholds[2], "rejected>0");
    /* the mock profile with its phases, seeded with the scenario's seed */
    assert_int_equal(pb_mock_config_phase_count(cfg.mock), 3);
    char *mock = pb_mock_config_to_json(cfg.mock);
    assert_non_null(mock);
    assert_contains(mock, "9223372036854775807");
    assert_contains(mock, "outage");
    free(mock);
    pb_run_config_cleanup(&cfg);

    /* the second entry: its own bound and timeout, the global thresholds */
    rc = pb_scenario_run_config(sc, 1, &cfg, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg.pattern, "queue");
    assert_int_equal(cfg.requests, 500);
    assert_int_equal(cfg.duration, 0);
    assert_int_equal(cfg.timeout, 2 * PB_USEC_PER_SEC);
    assert_int_equal(cfg.n_thresholds, 2);
    pb_run_config_cleanup(&cfg);
    pb_scenario_destroy(sc);
}

static void closed_load_and_url_target(void **state)
{
    pb_scenario *sc = parse_ok("{\"requests\": 40, \"target\": \"http://127.0.0.1:9/x\",\n"
                               " \"load\": {\"closed\": {\"concurrency\": 12}},\n"
                               " \"patterns\": [{\"pattern\": \"semaphore\"},\n"
                               "              {\"pattern\": \"adaptive\", \"concurrency\": 3,\n"
                               "               \"duration\": \"4s\"}]}");
    assert_string_equal(sc->title, "inline.json");
    assert_string_equal(sc->description, "");
    assert_int_equal(sc->seed, 1);
    assert_string_equal(sc->target_url, "http://127.0.0.1:9/x");
    assert_int_equal(sc->n_phases, 0);
    assert_false(sc->open_loop);
    assert_int_equal(sc->concurrency, 12);
    pb_run_config cfg;
    pb_err err = {0};
    assert_int_equal(pb_scenario_run_config(sc, 0, &cfg, &err), 0);
    assert_string_equal(cfg.target_url, "http://127.0.0.1:9/x");
    assert_int_equal(cfg.requests, 40);
    assert_int_equal(cfg.params.concurrency, 12); /* the load's default */
    assert_float_equal(cfg.params.rate, 0, 0);
    pb_run_config_cleanup(&cfg);
    assert_int_equal(pb_scenario_run_config(sc, 1, &cfg, &err), 0);
    assert_int_equal(cfg.params.concurrency, 3);         /* the entry's own wins */
    assert_int_equal(cfg.duration, 4 * PB_USEC_PER_SEC); /* and its own bound */
    assert_int_equal(cfg.requests, 0);
    pb_run_config_cleanup(&cfg);
    pb_scenario_destroy(sc);
}

/* One broken file under tests/data and the exact message it must get. */
static void assert_file_refused(const char *name, const char *expected)
{
    char path[1024], want[2200];
    snprintf(path, sizeof(path), "%s/tests/data/%s", test_env("PB_SOURCE_DIR"), name);
    snprintf(want, sizeof(want), "%s: %s", path, expected);
    pb_scenario *sc = NULL;
    pb_err err = {0};
    int rc = pb_scenario_load(path, &sc, &err);
    if (rc == 0)
        fail_msg("%s was accepted", name);
    assert_null(sc);
    if (strcmp(err.msg, want) != 0)
        fail_msg("%s:\n  got      %s\n  expected %s", name, err.msg, want);
}

/* When the wording comes from another module, pin the path and position. */
static void assert_file_refused_at(const char *name, const char *path_in_json, const char *got,
                                   const char *position)
{
    char path[1024], prefix[1400];
    snprintf(path, sizeof(path), "%s/tests/data/%s", test_env("PB_SOURCE_DIR"), name);
    snprintf(prefix, sizeof(prefix), "%s: %s: ", path, path_in_json);
    pb_scenario *sc = NULL;
    pb_err err = {0};
    if (pb_scenario_load(path, &sc, &err) == 0)
        fail_msg("%s was accepted", name);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        fail_msg("%s: \"%s\" does not start with \"%s\"", name, err.msg, prefix);
    assert_contains(err.msg, got);
    size_t n = strlen(err.msg), m = strlen(position);
    if (n < m || strcmp(err.msg + n - m, position) != 0)
        fail_msg("%s: \"%s\" does not end with \"%s\"", name, err.msg, position);
}

static void broken_files_name_the_path_line_and_column(void **state)
{
    /* the issue's own example */
    assert_file_refused_at("bad_concurrency_type.json", "patterns[2].concurrency",
                           "expected a whole number from 1 to 100000, got \"ten\"",
                           "(line 14, column 22)");
    assert_file_refused("bad_syntax.json",
                        "invalid JSON: '}' expected near '\"patterns\"' (line 4, column 12)");
    assert_file_refused("bad_duplicate_key.json",
                        "invalid JSON: duplicate object key near '\"seed\"' (line 5, column 8)");
    assert_file_refused("bad_unknown_key.json",
                        "durations: unknown key; did you mean \"duration\"? (line 3, column 3)");
    assert_file_refused("bad_entry_key.json", "patterns[1].queue-sise: unknown key; did you mean "
                                              "\"queue-size\"? (line 6, column 33)");
    assert_file_refused("bad_duration.json",
                        "duration: expected a duration with a unit (us, ms, s, m, h, d) such as "
                        "\"15s\" or \"1d12h\", got 15 (line 3, column 15)");
    assert_file_refused("bad_threshold.json",
                        "thresholds[1]: threshold \"p99<fast\": p99 is a latency: expected a "
                        "duration with a unit such as 200ms or 1.5s, got \"fast\" (line 4, column "
                        "31)");
    assert_file_refused_at("bad_mock.json", "mock.phases[1].errors", "got \"2\"",
                           "(line 8, column 47)");
    assert_file_refused("bad_pattern.json",
                        "patterns[0].pattern: expected one of queue, semaphore, backpressure, "
                        "breaker, adaptive, got \"bulkhead\" (line 4, column 28)");
    assert_file_refused("bad_duplicate_label.json",
                        "patterns[1]: the label \"semaphore\" is already used by patterns[0]; give "
                        "each entry its own \"label\" (line 6, column 5)");
    assert_file_refused(
        "bad_misplaced.json",
        "patterns[0].errors: \"errors\" is a mock setting: put it in the top-level "
        "\"mock\", so that every pattern meets the same server (line 5, column 26)");
    assert_file_refused("bad_load.json",
                        "load.open.rate: expected an arrival rate in requests per "
                        "second above 0 and up to 1e7, such as 400 or \"1.5k\", got 0 "
                        "(line 4, column 29)");
    assert_file_refused("bad_target.json",
                        "target: expected \"mock\" (the built-in mock server) or a URL such as "
                        "\"http://127.0.0.1:8080/\", got \"ftp://127.0.0.1/\" (line 4, column 13)");
    assert_file_refused("bad_top_level.json",
                        "expected a JSON object at the top level, got an array (line 1, column 1)");
}

static void unreadable_files_are_named(void **state)
{
    pb_scenario *sc = NULL;
    pb_err err = {0};
    assert_int_equal(pb_scenario_load("/nonexistent/x.json", &sc, &err), PB_ENOENT);
    assert_string_equal(err.msg,
                        "/nonexistent/x.json: cannot open the scenario file: No such file or "
                        "directory");
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/scenarios", test_env("PB_SOURCE_DIR"));
    assert_int_equal(pb_scenario_load(dir, &sc, &err), PB_EINVAL);
    assert_contains(err.msg, "expected a scenario file (JSON), got a directory");
    assert_int_equal(pb_scenario_parse("", 0, "empty.json", &sc, &err), PB_EPARSE);
    assert_contains(err.msg, "empty.json: invalid JSON: ");
}

static void impossible_values_are_refused(void **state)
{
    pb_err err;
    const struct {
        const char *text, *message;
    } cases[] = {
        {"{\"duration\": \"2s\", \"requests\": 5, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: requests: give either \"duration\" or \"requests\", not both (line 1, "
         "column 20)"},
        {"{\"duration\": \"0s\", \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: duration: expected a duration above zero, got \"0s\" (line 1, column 14)"},
        {"{\"requests\": 2.5, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: requests: expected a whole number from 1 to 9007199254740992, got 2.5 "
         "(line 1, column 14)"},
        {"{\"requests\": 10.0, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: requests: expected a whole number from 1 to 9007199254740992, got 10.0 "
         "(line 1, column 14)"},
        {"{\"seed\": -1, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: seed: expected a whole number from 0 to 9223372036854775807, got -1 (line "
         "1, column 10)"},
        {"{\"seed\": \"7\", \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: seed: expected a whole number from 0 to 9223372036854775807, got \"7\" "
         "(line 1, column "
         "10)"},
        {"{\"patterns\": []}",
         "inline.json: patterns: expected a non-empty array of entries such as [{\"pattern\": "
         "\"queue\"}], got an array (line 1, column 14)"},
        {"{\"title\": \"no entries\"}",
         "inline.json: expected \"patterns\": a list of pattern entries such as [{\"pattern\": "
         "\"queue\"}] (line 1, column 1)"},
        {"{\"patterns\": [\"queue\"]}",
         "inline.json: patterns[0]: expected an object such as {\"pattern\": \"queue\", "
         "\"concurrency\": 20}, got \"queue\" (line 1, column 15)"},
        {"{\"patterns\": [{\"label\": \"x\"}]}",
         "inline.json: patterns[0]: expected a \"pattern\" (queue, semaphore, backpressure, "
         "breaker or adaptive) (line 1, column 15)"},
        {"{\"patterns\": [{\"pattern\": \"queue\", \"label\": \"a\\nb\"}]}",
         "inline.json: patterns[0].label: expected a label without control characters (line 1, "
         "column 45)"},
        {"{\"patterns\": [{\"pattern\": \"queue\", \"label\": \"a\\u007fb\"}]}",
         "inline.json: patterns[0].label: expected a label without control characters (line 1, "
         "column 45)"},
        {"{\"patterns\": [{\"pattern\": \"queue\", \"label\": \"queue, 20\"}]}",
         "inline.json: patterns[0].label: expected a label without commas, which separate the "
         "labels of compare --patterns (line 1, column 45)"},
        {"{\"patterns\": [{\"pattern\": \"queue\", \"seed\": 4}]}",
         "inline.json: patterns[0].seed: \"seed\" is set once at the top level, so that every "
         "pattern sees the same faults (line 1, column 36)"},
        {"{\"patterns\": [{\"pattern\": \"queue\", \"rate\": 4}]}",
         "inline.json: patterns[0].rate: \"rate\" is set once in load.open.rate, so that every "
         "pattern gets the same load (line 1, column 36)"},
        {"{\"patterns\": [{\"pattern\": \"queue\", \"concurrency\": [1]}]}",
         "inline.json: patterns[0].concurrency: expected a number, a string or true/false, got an "
         "array (line 1, column 51)"},
        {"{\"target\": \"http://127.0.0.1:1/\", \"mock\": {}, \"patterns\": [{\"pattern\": "
         "\"queue\"}]}",
         "inline.json: mock: a mock profile needs \"target\": \"mock\", but the target is "
         "http://127.0.0.1:1/ (line 1, column 35)"},
        {"{\"mock\": {\"seed\": 3}, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: mock.seed: set the seed at the top level of the scenario: it seeds the mock "
         "of every run and the patterns alike (line 1, column 11)"},
        {"{\"load\": {\"closed\": {}, \"open\": {\"rate\": 1}}, \"patterns\": [{\"pattern\": "
         "\"queue\"}]}",
         "inline.json: load: expected exactly one of \"closed\" or \"open\", as in {\"closed\": "
         "{\"concurrency\": 20}} or {\"open\": {\"rate\": 200}} (line 1, column 10)"},
        {"{\"load\": {\"closed\": {\"concurrency\": 0}}, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: load.closed.concurrency: expected a whole number from 1 to 100000, got 0 "
         "(line 1, column 37)"},
        {"{\"load\": {\"open\": {\"rate\": 5, \"phases\": [{\"at\": \"2s\", \"rate\": 1}, {\"at\": "
         "\"1s\", \"rate\": 2}]}}, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: load.open.phases[1].at: expected rate changes in time order: this one is "
         "not after the previous one (line 1, column 74)"},
        {"{\"load\": {\"open\": {\"rate\": 5, \"phases\": [{\"at\": \"2s\", \"rat\": 1}]}}, "
         "\"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: load.open.phases[0].rat: unknown key; did you mean \"rate\"? (line 1, "
         "column 55)"},
        {"{\"thresholds\": \"p99<1s\", \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: thresholds: expected an array of expressions such as [\"p99<200ms\"], got "
         "\"p99<1s\" (line 1, column 16)"},
        {"{\"patterns\": [{\"pattern\": \"adaptive\", \"min-limit\": 50, \"max-limit\": 10}]}",
         "inline.json: patterns[0]: --min-limit (50) must not exceed --max-limit (10) (line 1, "
         "column 15)"},
        {"{\"patterns\": [{\"pattern\": \"queue\", \"concurency\": 5}]}",
         "inline.json: patterns[0].concurency: unknown key; did you mean \"concurrency\"? (line 1, "
         "column 36)"},
        {"{\"patterns\": [{\"pattern\": \"queue\", \"failure-threshold\": 3}]}",
         "inline.json: patterns[0].failure-threshold: not used by the queue pattern; it applies "
         "to breaker (consecutive) (line 1, column 57)"},
        {"{\"patterns\": [{\"pattern\": \"adaptive\", \"backoff-ratio\": 0.8}]}",
         "inline.json: patterns[0].backoff-ratio: not used by the adaptive pattern under "
         "adaptive-policy corrected; it applies to adaptive (aimd) (line 1, column 56)"},
        {"{\"title\": 5, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: title: expected a string, got 5 (line 1, column 11)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *msg = parse_error(cases[i].text, &err);
        if (strcmp(msg, cases[i].message) != 0)
            fail_msg("case %zu:\n  got      %s\n  expected %s", i, msg, cases[i].message);
    }
}

static void keys_with_odd_characters_keep_their_position(void **state)
{
    /* columns count characters, not bytes, as jansson's own errors do */
    const char text[] = "{\"\xc3\xa9t\xc3\xa9\": \"\xc3\xbc\", \"a b\": [1, {\"c\\\"d\": true}],\n"
                        "  \"k\": {\"\\u00e9\": null}}";
    pb_json_pos *idx;
    pb_err err;
    assert_int_equal(pb_json_pos_build(text, strlen(text), &idx, &err), 0);
    pb_json_loc v, k;
    assert_true(pb_json_pos_find(idx, "", &v, &k));
    assert_int_equal(v.line, 1);
    assert_int_equal(v.column, 1);
    assert_int_equal(k.line, 0);
    assert_true(pb_json_pos_find(idx, "[\"\xc3\xa9t\xc3\xa9\"]", &v, &k));
    assert_int_equal(k.column, 2);
    assert_int_equal(v.column, 9);
    assert_true(pb_json_pos_find(idx, "[\"a b\"][1][\"c\\\"d\"]", &v, &k));
    assert_int_equal(v.line, 1);
    assert_int_equal(k.column, 26);
    assert_int_equal(v.column, 34);
    assert_true(pb_json_pos_find(idx, "k[\"\xc3\xa9\"]", &v, &k));
    assert_int_equal(v.line, 2);
    assert_int_equal(k.column, 9);
    assert_int_equal(v.column, 19);
    assert_false(pb_json_pos_find(idx, "k.x", &v, &k));
    pb_json_pos_destroy(idx);

    /* text that is not JSON is refused rather than misread */
    assert_int_equal(pb_json_pos_build("{\"a\" 1}", 7, &idx, &err), PB_EPARSE);
    assert_int_equal(pb_json_pos_build("[1, 2", 5, &idx, &err), PB_EPARSE);
}

/* A key too long for a path is named by the start of its path and refused
 * with its length, never with bytes from past the path's buffer. */
static void overlong_keys_are_refused_with_a_terminated_path(void **state)
{
    char key[301];
    memset(key, 'k', 300);
    key[300] = '\0';
    char buf[PB_JSON_PATH_MAX];
    memset(buf, 'X', sizeof(buf)); /* no terminator anywhere */
    assert_false(pb_json_path_key(buf, sizeof(buf), "patterns[0]", key));
    assert_non_null(memchr(buf, '\0', sizeof(buf)));
    assert_string_equal(buf + strlen(buf) - 3, "...");
    assert_int_equal(strncmp(buf, "patterns[0].kkk", 15), 0);
    key[150] = ' '; /* quoted form */
    memset(buf, 'X', sizeof(buf));
    assert_false(pb_json_path_key(buf, sizeof(buf), "patterns[0]", key));
    assert_non_null(memchr(buf, '\0', sizeof(buf)));
    assert_string_equal(buf + strlen(buf) - 3, "...");
    assert_int_equal(strncmp(buf, "patterns[0][\"kkk", 16), 0);

    /* escapes (6 bytes each) that run out of room at every buffer length
     * write nothing past it (fuzz_scenario_json: one byte past, a key of
     * control characters) */
    char ctl[40];
    memset(ctl, 0x01, sizeof(ctl) - 1);
    ctl[sizeof(ctl) - 1] = '\0';
    for (size_t len = 8; len < 64; len++) {
        char guarded[80];
        memset(guarded, 'G', sizeof(guarded));
        assert_false(pb_json_path_key(guarded, len, "p", ctl));
        assert_non_null(memchr(guarded, '\0', len));
        for (size_t i = len; i < sizeof(guarded); i++)
            if (guarded[i] != 'G')
                fail_msg("a %zu-byte path buffer was written at byte %zu", len, i);
    }

    char text[512];
    pb_err err;
    key[150] = 'k';
    snprintf(text, sizeof(text), "{\"patterns\": [{\"pattern\": \"queue\", \"%s\": 1}]}", key);
    const char *msg = parse_error(text, &err);
    char want[PB_JSON_PATH_MAX + 64];
    snprintf(want, sizeof(want), "inline.json: patterns[0].%.*s...: unknown key of 300 characters",
             (int)(PB_JSON_PATH_MAX - 4 - strlen("patterns[0].")), key);
    assert_string_equal(msg, want);

    snprintf(text, sizeof(text), "{\"%s\": 1, \"patterns\": [{\"pattern\": \"queue\"}]}", key);
    msg = parse_error(text, &err);
    snprintf(want, sizeof(want), "inline.json: %.*s...: unknown key of 300 characters",
             (int)(PB_JSON_PATH_MAX - 4), key);
    assert_string_equal(msg, want);
}

static void overrides_selection_and_added_thresholds(void **state)
{
    pb_scenario *sc = parse_ok("{\"duration\": \"10s\", \"patterns\": [\n"
                               "  {\"pattern\": \"queue\", \"label\": \"q\", \"requests\": 99},\n"
                               "  {\"pattern\": \"breaker\", \"label\": \"b1\"},\n"
                               "  {\"pattern\": \"breaker\", \"label\": \"b2\"},\n"
                               "  {\"pattern\": \"queue\"}]}");
    bool selected[4];
    pb_err err = {0};
    assert_int_equal(pb_scenario_select(sc, "q,b2", selected, &err), 0);
    assert_true(selected[0] && !selected[1] && selected[2] && !selected[3]);
    assert_int_equal(pb_scenario_select(sc, "breaker", selected, &err), 0);
    assert_true(!selected[0] && selected[1] && selected[2] && !selected[3]);
    /* "queue" is the label of the last entry: it does not pick "q" too */
    assert_int_equal(pb_scenario_select(sc, "queue", selected, &err), 0);
    assert_true(!selected[0] && !selected[1] && !selected[2] && selected[3]);
    assert_int_equal(pb_scenario_select(sc, "q,bulkhead", selected, &err), PB_EINVAL);
    assert_string_equal(err.msg,
                        "--patterns: \"bulkhead\" is neither a label nor a pattern of "
                        "inline.json; expected a comma-separated list of: q, b1, b2, queue");
    assert_int_equal(pb_scenario_select(sc, "q,", selected, &err), PB_EINVAL);

    /* --duration makes every entry duration-bound, the one with requests too */
    pb_scenario_set_bound(sc, 2 * PB_USEC_PER_SEC, 0);
    pb_run_config cfg;
    assert_int_equal(pb_scenario_run_config(sc, 0, &cfg, &err), 0);
    assert_int_equal(cfg.duration, 2 * PB_USEC_PER_SEC);
    assert_int_equal(cfg.requests, 0);
    pb_run_config_cleanup(&cfg);
    pb_scenario_set_bound(sc, 0, 25);
    assert_int_equal(pb_scenario_run_config(sc, 1, &cfg, &err), 0);
    assert_int_equal(cfg.requests, 25);
    assert_int_equal(cfg.duration, 0);
    pb_run_config_cleanup(&cfg);

    assert_int_equal(pb_scenario_add_threshold(sc, "p99<fast", &err), PB_EPARSE);
    assert_contains(err.msg, "threshold \"p99<fast\"");
    assert_int_equal(pb_scenario_add_threshold(sc, " dropped==0 ", &err), 0);
    assert_int_equal(pb_scenario_run_config(sc, 2, &cfg, &err), 0);
    assert_int_equal(cfg.n_thresholds, 1);
    assert_string_equal(cfg.thresholds[0], "dropped==0");
    pb_run_config_cleanup(&cfg);
    pb_scenario_destroy(sc);
}

static void every_shipped_scenario_validates(void **state)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/scenarios", test_env("PB_SOURCE_DIR"));
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char path[1280];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        pb_scenario *sc = NULL;
        pb_err err = {0};
        if (pb_scenario_load(path, &sc, &err) != 0)
            fail_msg("%s", err.msg);
        /* every shipped scenario explains itself */
        assert_true(strlen(sc->description) > 100);
        pb_scenario_destroy(sc);
        n++;
    }
    closedir(d);
    assert_int_equal(n, 6);
}

static char *read_demo(size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/scenarios/demo.json", test_env("PB_SOURCE_DIR"));
    return test_slurp(path, len);
}

/* Whatever is given is either a scenario or a message naming the input. */
static void parse_any(const char *text, size_t len)
{
    pb_scenario *sc = NULL;
    pb_err err = {0};
    int rc = pb_scenario_parse(text, len, "inline.json", &sc, &err);
    if (rc == 0) {
        assert_non_null(sc);
        pb_scenario_destroy(sc);
        return;
    }
    assert_true(rc < 0);
    assert_null(sc);
    if (strncmp(err.msg, "inline.json: ", 13) != 0)
        fail_msg("a message that does not name the input: %s", err.msg);
}

static void truncated_and_mutated_files_get_messages_not_crashes(void **state)
{
    size_t len;
    char *text = read_demo(&len);
    char *copy = malloc(len + 1);
    assert_non_null(copy);
    for (size_t n = 0; n < len; n += 7)
        parse_any(text, n);
    const char bytes[] = {'"', '}', ']', '1', 'x', '\\', ',', '\0', (char)0xC3};
    for (size_t i = 0; i < len; i += 3) {
        for (size_t b = 0; b < sizeof(bytes); b++) {
            memcpy(copy, text, len + 1);
            copy[i] = bytes[b];
            parse_any(copy, len);
        }
    }
    free(copy);
    free(text);
}

/* A 72-hour schedule rehearsed 72 times faster: run lengths, the load's and
 * the mock's phase offsets shrink; the timeout stays real. */
static void time_scale_divides_the_schedule(void **state)
{
    (void)state;
    pb_scenario *sc = parse_ok(
        "{\"duration\": \"72h\", \"timeout\": \"5s\", \"time-scale\": 72,"
        " \"mock\": {\"phases\": [{\"at\": \"6h\", \"errors\": \"503:1\"}]},"
        " \"load\": {\"open\": {\"rate\": 100, \"phases\": [{\"at\": \"8h\", \"rate\": 200}]}},"
        " \"patterns\": [{\"pattern\": \"queue\"}, {\"pattern\": \"breaker\", \"duration\": "
        "\"36h\"}]}");
    assert_true(sc->time_scale == 72.0);
    /* parsing alone leaves the schedule as written */
    assert_int_equal(sc->duration, 72 * 3600 * PB_USEC_PER_SEC);
    pb_err err = {0};
    assert_int_equal(pb_scenario_time_scale(sc, sc->time_scale, &err), 0);
    assert_int_equal(sc->duration, 3600 * PB_USEC_PER_SEC);
    assert_int_equal(sc->entries[1].duration, 1800 * PB_USEC_PER_SEC);
    assert_int_equal(sc->rate_steps[0].at, 400 * PB_USEC_PER_SEC);
    assert_int_equal(sc->n_phases, 2);
    assert_int_equal(sc->phase_at[1], 300 * PB_USEC_PER_SEC);
    assert_int_equal(sc->timeout, 5 * PB_USEC_PER_SEC);
    /* the run's own mock gets the scaled phase */
    pb_run_config cfg; /* initialised by pb_scenario_run_config */
    assert_int_equal(pb_scenario_run_config(sc, 0, &cfg, &err), 0);
    pb_usec at;
    const char *name;
    pb_mock_config_phase_info(cfg.mock, 1, &at, &name);
    assert_int_equal(at, 300 * PB_USEC_PER_SEC);
    assert_int_equal(cfg.duration, 3600 * PB_USEC_PER_SEC);
    pb_run_config_cleanup(&cfg);
    assert_int_equal(pb_scenario_time_scale(sc, 0.0, &err), PB_ERANGE);
    assert_contains(err.msg, "--time-scale");
    pb_scenario_destroy(sc);

    const char *msg =
        parse_error("{\"time-scale\": 0, \"patterns\": [{\"pattern\": \"queue\"}]}", &err);
    assert_contains(msg, "inline.json: time-scale: expected a number above 0");
}

/* "stages" in a load: the text of --stages or k6's array of {duration,
 * target}; open ramps the rate from "rate", closed the workers from
 * "concurrency"; the stages are each run's length, scaled by time-scale. */
static void stages_ramp_the_load(void **state)
{
    (void)state;
    pb_err err = {0};
    pb_run_config cfg;
    pb_scenario *sc = parse_ok("{\"load\": {\"open\": {\"stages\": \"2s:400,2s:400,2s:100\"}},"
                               " \"patterns\": [{\"pattern\": \"queue\"}]}");
    assert_true(sc->open_loop);
    assert_int_equal(sc->stages.n, 3);
    assert_int_equal(pb_scenario_run_config(sc, 0, &cfg, &err), 0);
    assert_int_equal(cfg.stages.n, 3);
    assert_false(cfg.ramp_workers);
    assert_int_equal(cfg.duration, 6 * PB_USEC_PER_SEC);
    assert_float_equal(cfg.stages.stage[2].target, 100, 0);
    assert_float_equal(pb_run_ramp_start(&cfg), 0, 0);
    pb_run_config_cleanup(&cfg);
    pb_scenario_destroy(sc);

    sc =
        parse_ok("{\"time-scale\": 10, \"load\": {\"closed\": {\"concurrency\": 2, \"stages\": ["
                 " {\"duration\": \"30s\", \"target\": 16}, {\"duration\": \"1m\", \"target\": 16},"
                 " {\"duration\": \"30s\", \"target\": 0}]}},"
                 " \"patterns\": [{\"pattern\": \"semaphore\"}]}");
    assert_false(sc->open_loop);
    assert_int_equal(pb_scenario_time_scale(sc, sc->time_scale, &err), 0);
    assert_int_equal(pb_scenario_run_config(sc, 0, &cfg, &err), 0);
    assert_true(cfg.ramp_workers);
    assert_int_equal(cfg.stages.n, 3);
    assert_int_equal(cfg.stages.stage[1].duration, 6 * PB_USEC_PER_SEC);
    assert_float_equal(cfg.stages.stage[1].target, 16, 0);
    assert_int_equal(cfg.duration, 12 * PB_USEC_PER_SEC);
    assert_float_equal(pb_run_ramp_start(&cfg), 2, 0); /* from "concurrency" */
    pb_run_config_cleanup(&cfg);
    pb_scenario_destroy(sc);

    /* refused naming the file, the key and where it is written */
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"{\"load\": {\"open\": {\"stages\": \"2s:400,oops\"}}, \"patterns\": [{\"pattern\": "
         "\"queue\"}]}",
         "inline.json: load.open.stages: stage 2: expected DURATION:RATE such as 2m:1000, got "
         "\"oops\" (line 1, column 30)"},
        {"{\"load\": {\"open\": {\"stages\": \"2s:0\"}}, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: load.open.stages: stage 1: goes from 0 to 0 and would send nothing"},
        {"{\"load\": {\"closed\": {\"stages\": [{\"duration\": \"1s\", \"target\": 2.5}]}},"
         " \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: load.closed.stages[0].target: expected a whole number of workers from 0 "
         "to 100000, got 2.5"},
        {"{\"load\": {\"closed\": {\"stages\": [{\"duration\": \"1s\", \"target\": 2},"
         " {\"duration\": \"1s\"}]}}, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: load.closed.stages[1]: expected both \"duration\" and \"target\""},
        {"{\"load\": {\"closed\": {\"stages\": [{\"duration\": \"1s\", \"vus\": 2}]}},"
         " \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: load.closed.stages[0].vus: unknown key"},
        {"{\"load\": {\"closed\": {\"stages\": 16}}, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: load.closed.stages: expected stages such as \"30s:16,1m:16,30s:0\""},
        {"{\"load\": {\"open\": {\"rate\": 10, \"phases\": [{\"at\": \"1s\", \"rate\": 20}],"
         " \"stages\": \"1s:5\"}}, \"patterns\": [{\"pattern\": \"queue\"}]}",
         "inline.json: load.open.stages: a ramp and rate \"phases\" cannot both set the rate"},
        {"{\"duration\": \"5s\", \"load\": {\"open\": {\"stages\": \"1s:5\"}}, \"patterns\": "
         "[{\"pattern\": \"queue\"}]}",
         "inline.json: load.open.stages: the stages set each run's length"},
        {"{\"load\": {\"closed\": {\"stages\": \"1s:5\"}}, \"patterns\": [{\"pattern\": "
         "\"adaptive\"}]}",
         "the adaptive pattern sets its own concurrency"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_contains(parse_error(bad[i].text, &err), bad[i].message);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_documented_field_is_read),
        cmocka_unit_test(closed_load_and_url_target),
        cmocka_unit_test(broken_files_name_the_path_line_and_column),
        cmocka_unit_test(unreadable_files_are_named),
        cmocka_unit_test(impossible_values_are_refused),
        cmocka_unit_test(keys_with_odd_characters_keep_their_position),
        cmocka_unit_test(overlong_keys_are_refused_with_a_terminated_path),
        cmocka_unit_test(overrides_selection_and_added_thresholds),
        cmocka_unit_test(every_shipped_scenario_validates),
        cmocka_unit_test(time_scale_divides_the_schedule),
        cmocka_unit_test(stages_ramp_the_load),
        cmocka_unit_test(truncated_and_mutated_files_get_messages_not_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
