/* Mock options and profiles: the documented forms are accepted, malformed
 * ones rejected with a message naming the input, JSON reads back exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "mock_config.h"

static pb_mock_config *fresh(void)
{
    pb_mock_config *cfg;
    assert_int_equal(pb_mock_config_create(&cfg), 0);
    return cfg;
}

static void set_ok(pb_mock_config *cfg, const char *name, const char *value)
{
    pb_err err = {0};
    if (pb_mock_config_set(cfg, name, value, &err) != 0)
        fail_msg("--%s %s rejected: %s", name, value, err.msg);
}

/* The option is rejected and the message holds every fragment. */
static void set_bad(const char *name, const char *value, const char *expect)
{
    pb_mock_config *cfg = fresh();
    char *before = pb_mock_config_to_json(cfg);
    pb_err err = {0};
    if (pb_mock_config_set(cfg, name, value, &err) == 0)
        fail_msg("--%s %s was accepted", name, value);
    if (strstr(err.msg, expect) == NULL)
        fail_msg("--%s %s: message \"%s\" lacks \"%s\"", name, value, err.msg, expect);
    char *after = pb_mock_config_to_json(cfg);
    assert_string_equal(before, after); /* nothing changed */
    free(before);
    free(after);
    pb_mock_config_destroy(cfg);
}

/* The value of key in the config's JSON, as text. */
static const char *json_field(const pb_mock_config *cfg, const char *key, char *buf, size_t len)
{
    char *text = pb_mock_config_to_json(cfg);
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    if (json_is_integer(v))
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else
        snprintf(buf, len, "%s", json_string_value(v));
    json_decref(o);
    free(text);
    return buf;
}

static void defaults_are_the_documented_ones(void **state)
{
    pb_mock_config *cfg = fresh();
    char b[256];
    assert_string_equal(json_field(cfg, "listen", b, sizeof(b)), "127.0.0.1:0");
    assert_string_equal(json_field(cfg, "threads", b, sizeof(b)), "2");
    assert_string_equal(json_field(cfg, "seed", b, sizeof(b)), "1");
    assert_string_equal(json_field(cfg, "latency", b, sizeof(b)), "none");
    assert_string_equal(json_field(cfg, "errors", b, sizeof(b)), "none");
    assert_string_equal(json_field(cfg, "faults", b, sizeof(b)), "none");
    assert_string_equal(json_field(cfg, "capacity", b, sizeof(b)), "unlimited");
    assert_string_equal(json_field(cfg, "queue-limit", b, sizeof(b)), "unlimited");
    assert_string_equal(json_field(cfg, "rate-limit", b, sizeof(b)), "none");
    assert_string_equal(json_field(cfg, "body-size", b, sizeof(b)), "64");
    assert_string_equal(json_field(cfg, "hang-max", b, sizeof(b)), "60s");
    assert_int_equal(pb_mock_config_phase_count(cfg), 1);
    pb_mock_config_destroy(cfg);
}

static void documented_forms_are_accepted(void **state)
{
    pb_mock_config *cfg = fresh();
    char b[256];
    set_ok(cfg, "errors", "503:0.2,500:5%");
    assert_string_equal(json_field(cfg, "errors", b, sizeof(b)), "503:0.2,500:0.05");
    set_ok(cfg, "errors", "429:0.1");
    set_ok(cfg, "faults", "reset:0.01,hang:0.01,slow-body:0.01,malformed:0.01");
    assert_string_equal(json_field(cfg, "faults", b, sizeof(b)),
                        "reset:0.01,hang:0.01,slow-body:0.01,malformed:0.01");
    set_ok(cfg, "latency", "pareto:5ms,1.5");
    set_ok(cfg, "latency-cap", "2s");
    assert_string_equal(json_field(cfg, "latency-cap", b, sizeof(b)), "2s");
    set_ok(cfg, "capacity", "8");
    set_ok(cfg, "queue-limit", "0");
    assert_string_equal(json_field(cfg, "queue-limit", b, sizeof(b)), "0");
    set_ok(cfg, "rate-limit", "100");
    assert_string_equal(json_field(cfg, "rate-limit", b, sizeof(b)), "100");
    set_ok(cfg, "rate-limit", "100,20");
    assert_string_equal(json_field(cfg, "rate-limit", b, sizeof(b)), "100,20");
    set_ok(cfg, "rate-limit", "1.5k,20");
    assert_string_equal(json_field(cfg, "rate-limit", b, sizeof(b)), "1500,20");
    set_ok(cfg, "rate-limit", "100,20");
    assert_string_equal(json_field(cfg, "rate-limit", b, sizeof(b)), "100,20");
    set_ok(cfg, "body-size", "4k");
    assert_string_equal(json_field(cfg, "body-size", b, sizeof(b)), "4096");
    set_ok(cfg, "hang-max", "1500ms");
    assert_string_equal(json_field(cfg, "hang-max", b, sizeof(b)), "1500ms");
    set_ok(cfg, "seed", "18446744073709551615");
    assert_string_equal(json_field(cfg, "seed", b, sizeof(b)), "18446744073709551615");
    set_ok(cfg, "threads", "1");
    set_ok(cfg, "listen", "[::1]:8080");
    assert_string_equal(json_field(cfg, "listen", b, sizeof(b)), "[::1]:8080");
    set_ok(cfg, "listen", "127.0.0.1:0");
    set_ok(cfg, "errors", "none");
    set_ok(cfg, "capacity", "unlimited");
    assert_string_equal(json_field(cfg, "capacity", b, sizeof(b)), "unlimited");
    pb_mock_config_destroy(cfg);
}

static void malformed_options_are_rejected_by_name(void **state)
{
    set_bad("errors", "503", "--errors: expected STATUS:FRACTION");
    set_bad("errors", "200:0.1", "--errors status: expected a whole number from 400 to 599");
    set_bad("errors", "503:0.1,503:0.2", "status 503 is listed twice");
    set_bad("errors", "503:0.6,500:0.6", "add up to 1.2; expected at most 1");
    set_bad("errors", "503:abc", "--errors fraction of 503: expected a fraction");
    set_bad("faults", "explode:0.1", "--faults: unknown fault \"explode\"");
    set_bad("faults", "reset", "--faults: expected KIND:FRACTION");
    set_bad("latency", "fixed:10", "--latency");
    set_bad("latency-cap", "soon", "--latency-cap: expected a duration");
    set_bad("capacity", "-1", "--capacity: expected a whole number or \"unlimited\"");
    set_bad("queue-limit", "many", "--queue-limit: expected a whole number or \"unlimited\"");
    set_bad("rate-limit", "fast", "--rate-limit: expected a rate per second such as 250");
    set_bad("rate-limit", "10,0", "--rate-limit burst: expected a number from 1");
    set_bad("body-size", "1G", "--body-size: expected at most 64M");
    set_bad("body-size", "4kb", "--body-size: expected a size");
    set_bad("hang-max", "0s", "--hang-max: expected a duration above 0");
    set_bad("threads", "0", "--threads: expected a whole number from 1 to 64");
    set_bad("seed", "-3", "--seed: expected a whole number");
    set_bad("listen", "localhost:80", "--listen: expected ADDRESS:PORT with a numeric address");
    set_bad("listen", "127.0.0.1", "--listen: expected ADDRESS:PORT");
    set_bad("listen", "127.0.0.1:70000", "--listen port: expected a whole number from 0 to 65535");
    set_bad("listen", "[::1]8080", "--listen: expected ADDRESS:PORT");
    set_bad("profile", "/nonexistent/profile.json", "--profile: cannot open \"/nonexistent");
}

/* Every fault of the table is a --faults name that reads back as itself, and
 * a wrong name gets a message listing them all. */
static void every_fault_name_round_trips(void **state)
{
    static const char *const names[] = {
#define FAULT_NAME(e, name, counter, outcome, status) name,
        PB_MOCK_FAULT_MAP(FAULT_NAME)
#undef FAULT_NAME
    };
    assert_int_equal(sizeof(names) / sizeof(names[0]), PB_FAULT_COUNT);
    char spec[64], b[256];
    for (int k = 0; k < PB_FAULT_COUNT; k++) {
        assert_string_equal(pb_fault_name((pb_fault_kind)k), names[k]);
        assert_int_equal(pb_fault_find(names[k]), k);
        pb_mock_config *cfg = fresh();
        snprintf(spec, sizeof(spec), "%s:0.25", names[k]);
        set_ok(cfg, "faults", spec);
        for (int other = 0; other < PB_FAULT_COUNT; other++)
            assert_true(cfg->base.fault_fraction[other] == (other == k ? 0.25 : 0.0));
        assert_string_equal(json_field(cfg, "faults", b, sizeof(b)), spec);
        pb_mock_config_destroy(cfg);
    }
    assert_int_equal(pb_fault_find("explode"), PB_FAULT_COUNT);
    assert_string_equal(pb_fault_name(PB_FAULT_COUNT), "?");
    pb_mock_config *cfg = fresh();
    pb_err err = {0};
    assert_int_equal(pb_mock_config_set(cfg, "faults", "explode:0.1", &err), PB_EPARSE);
    for (int k = 0; k < PB_FAULT_COUNT; k++)
        if (strstr(err.msg, names[k]) == NULL)
            fail_msg("\"%s\" does not name fault %s", err.msg, names[k]);
    assert_int_equal(pb_mock_config_set(cfg, "faults", "reset", &err), PB_EPARSE);
    for (int k = 0; k < PB_FAULT_COUNT; k++)
        if (strstr(err.msg, names[k]) == NULL)
            fail_msg("\"%s\" does not name fault %s", err.msg, names[k]);
    pb_mock_config_destroy(cfg);
}

static void errors_and_faults_share_one_budget(void **state)
{
    pb_mock_config *cfg = fresh();
    set_ok(cfg, "errors", "503:0.7");
    pb_err err = {0};
    assert_int_equal(pb_mock_config_set(cfg, "faults", "reset:0.4", &err), PB_ERANGE);
    assert_non_null(strstr(err.msg, "--faults: the error and fault fractions of the base settings "
                                    "add up to 1.1"));
    set_ok(cfg, "faults", "reset:0.3");
    pb_mock_config_destroy(cfg);
}

static void unknown_names_are_left_to_the_caller(void **state)
{
    pb_mock_config *cfg = fresh();
    pb_err err = {0};
    assert_int_equal(pb_mock_config_set(cfg, "concurrency", "10", &err), PB_ENOENT);
    assert_int_equal(pb_mock_config_set(cfg, "pattern", "queue", NULL), PB_ENOENT);
    assert_int_equal(pb_mock_config_set(cfg, "latency", NULL, &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "--latency: expected a value"));
    pb_mock_config_destroy(cfg);
}

static const char profile[] =
    "{\n"
    "  \"latency\": \"fixed:10ms\",\n"
    "  \"seed\": 42,\n"
    "  \"phases\": [\n"
    "    {\"at\": \"60s\", \"name\": \"outage\", \"errors\": \"503:0.5\"},\n"
    "    {\"at\": \"120s\", \"name\": \"slow\", \"latency\": \"lognormal:"
    "200ms,2s\", \"capacity\": 4},\n"
    "    {\"at\": \"180s\", \"name\": \"recovered\"}\n"
    "  ]\n"
    "}\n";

static void phases_inherit_the_base_settings(void **state)
{
    pb_mock_config *cfg = fresh();
    pb_err err = {0};
    if (pb_mock_config_load_json(cfg, profile, "p.json", &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(pb_mock_config_phase_count(cfg), 4);
    pb_usec at;
    const char *name;
    pb_mock_config_phase_info(cfg, 0, &at, &name);
    assert_int_equal(at, 0);
    assert_string_equal(name, "base");
    pb_mock_config_phase_info(cfg, 2, &at, &name);
    assert_int_equal(at, 120 * PB_USEC_PER_SEC);
    assert_string_equal(name, "slow");
    assert_int_equal(cfg->seed, 42);
    /* outage: base latency, its own errors */
    assert_int_equal(cfg->phases[0].s.latency.a, 10000);
    assert_int_equal(cfg->phases[0].s.n_errors, 1);
    /* recovered: the base again */
    assert_int_equal(cfg->phases[2].s.n_errors, 0);
    assert_int_equal(cfg->phases[2].s.capacity, 0);
    /* a later option changes the base and the phases that do not set it */
    set_ok(cfg, "latency", "fixed:20ms");
    assert_int_equal(cfg->phases[0].s.latency.a, 20000);
    assert_int_equal(cfg->phases[1].s.latency.kind, PB_LATENCY_LOGNORMAL);
    assert_int_equal(cfg->phases[2].s.latency.a, 20000);
    /* a base option that would break a phase is refused, naming the phase */
    set_ok(cfg, "faults", "reset:0.5");
    assert_int_equal(cfg->phases[1].s.fault_fraction[PB_FAULT_RESET], 0.5);
    assert_int_not_equal(pb_mock_config_set(cfg, "faults", "reset:0.1,hang:0.5", &err), 0);
    assert_non_null(strstr(err.msg, "phase 1 (\"outage\") add up to 1.1"));
    pb_mock_config_destroy(cfg);
}

static void json_reads_back_exactly(void **state)
{
    pb_mock_config *a = fresh(), *b = fresh();
    pb_err err = {0};
    assert_int_equal(pb_mock_config_load_json(a, profile, "p.json", &err), 0);
    set_ok(a, "errors", "503:0.125,429:1%");
    set_ok(a, "rate-limit", "33.5,7");
    set_ok(a, "latency-cap", "150us");
    set_ok(a, "queue-limit", "12");
    char *ja = pb_mock_config_to_json(a);
    if (pb_mock_config_load_json(b, ja, "round trip", &err) != 0)
        fail_msg("%s\n%s", err.msg, ja);
    char *jb = pb_mock_config_to_json(b);
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
    pb_mock_config_destroy(a);
    pb_mock_config_destroy(b);
}

/* Rates of a million and more were written as "5.0321144e+08", which the rate
 * parser refuses: a saved configuration did not load (fuzz_mock_option). */
static void large_and_small_rate_limits_read_back(void **state)
{
    (void)state;
    static const char *const rates[] = {"503211440", "1234567.125", "1000000000", "0.001"};
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        pb_mock_config *a = fresh(), *b = fresh();
        pb_err err = {0};
        set_ok(a, "rate-limit", rates[i]);
        char *ja = pb_mock_config_to_json(a);
        if (pb_mock_config_load_json(b, ja, "round trip", &err) != 0)
            fail_msg("rate-limit %s: %s\n%s", rates[i], err.msg, ja);
        char *jb = pb_mock_config_to_json(b);
        assert_string_equal(ja, jb);
        assert_non_null(strstr(ja, rates[i]));
        free(ja);
        free(jb);
        pb_mock_config_destroy(a);
        pb_mock_config_destroy(b);
    }
}

static void bad_profiles_name_the_place(void **state)
{
    const struct {
        const char *json, *expect;
    } bad[] = {
        {"{", "src: line 1 column 1"},
        {"[1]", "src: expected a JSON object of settings"},
        {"{\"latncy\": \"fixed:1ms\"}", "src: unknown key \"latncy\"; expected listen"},
        {"{\"latency\": 10}", "src: latency: expected none, fixed:D"},
        {"{\"errors\": true}", "src: errors: expected a string or a number"},
        {"{\"errors\": \"503:0.5\", \"faults\": \"reset:0.6\"}", "add up to 1.1"},
        {"{\"phases\": {}}", "src: phases: expected an array"},
        {"{\"phases\": [{\"errors\": \"503:1\"}]}", "src: phases[0]: missing \"at\""},
        {"{\"phases\": [{\"at\": 60}]}", "src: phases[0].at: expected a duration with a unit"},
        {"{\"phases\": [{\"at\": \"2s\"}, {\"at\": \"1s\"}]}",
         "phases[1].at: phases must start in increasing order, got 1s after 2s"},
        {"{\"phases\": [{\"at\": \"1s\", \"errors\": \"503:2\"}]}",
         "src: phases[0].errors fraction of 503: expected a fraction"},
        {"{\"phases\": [{\"at\": \"1s\", \"seed\": 3}]}",
         "src: phases[0]: unknown key \"seed\"; expected at, name"},
        {"{\"phases\": [{\"at\": \"1s\", \"name\": 3}]}", "src: phases[0].name: expected a string"},
        {"{\"latency\": \"none\", \"latency\": \"fixed:1ms\"}", "duplicate object key"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_mock_config *cfg = fresh();
        set_ok(cfg, "errors", "503:0.1");
        char *before = pb_mock_config_to_json(cfg);
        pb_err err = {0};
        if (pb_mock_config_load_json(cfg, bad[i].json, "src", &err) == 0)
            fail_msg("%s was accepted", bad[i].json);
        if (strstr(err.msg, bad[i].expect) == NULL)
            fail_msg("%s: message \"%s\" lacks \"%s\"", bad[i].json, err.msg, bad[i].expect);
        char *after = pb_mock_config_to_json(cfg);
        assert_string_equal(before, after);
        free(before);
        free(after);
        pb_mock_config_destroy(cfg);
    }
}

/* Every key the mock takes, where it was taken before the keys became one
 * table: on the command line (all of them), at a profile's top level (the
 * server's and the per-phase settings) and inside a phase (the settings);
 * elsewhere it is an unknown key. Values show in the JSON where profiles
 * carry them. */
static void every_key_is_taken_where_it_was(void **state)
{
    enum { CLI = 1, TOP = 2, PHASE = 4 };
    char token_file[] = "/tmp/pb_token_XXXXXX";
    int fd = mkstemp(token_file);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "secret\n", 7), 7);
    assert_int_equal(close(fd), 0);
    char profile_file[] = "/tmp/pb_keys_profile_XXXXXX";
    fd = mkstemp(profile_file);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"capacity\": 9}", 15), 15);
    assert_int_equal(close(fd), 0);
    /* read as PEM text when given; GnuTLS judges it when the server starts */
    char pem_file[] = "/tmp/pb_keys_pem_XXXXXX";
    fd = mkstemp(pem_file);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "-----BEGIN X-----\n", 18), 18);
    assert_int_equal(close(fd), 0);
    const struct {
        const char *name, *value, *shown; /* shown: the JSON's text, NULL if not shown */
        int where;
    } keys[] = {
        {"listen", "127.0.0.1:0", "127.0.0.1:0", CLI | TOP},
        {"threads", "3", "3", CLI | TOP},
        {"seed", "5", "5", CLI | TOP},
        {"latency", "fixed:3ms", "fixed:3ms", CLI | TOP | PHASE},
        {"latency-cap", "1000ms", "1s", CLI | TOP | PHASE},
        {"errors", "503:0.1", "503:0.1", CLI | TOP | PHASE},
        {"faults", "reset:0.1", "reset:0.1", CLI | TOP | PHASE},
        {"capacity", "4", "4", CLI | TOP | PHASE},
        {"queue-limit", "5", "5", CLI | TOP | PHASE},
        {"rate-limit", "100,3", "100,3", CLI | TOP | PHASE},
        {"body-size", "1k", "1024", CLI | TOP | PHASE},
        {"hang-max", "2s", "2s", CLI | TOP | PHASE},
        {"idle-timeout", "5s", NULL, CLI},
        {"connection-limit", "10", NULL, CLI},
        {"admin", "off", NULL, CLI},
        {"admin-token", "tok", NULL, CLI},
        {"admin-token-file", token_file, NULL, CLI},
        {"tls-cert", pem_file, NULL, CLI},
        {"tls-key", pem_file, NULL, CLI},
        {"profile", profile_file, NULL, CLI},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        pb_err err = {0};
        char json[512], buf[128];
        pb_mock_config *cfg = fresh();
        if (pb_mock_config_set(cfg, keys[i].name, keys[i].value, &err) != 0)
            fail_msg("--%s %s rejected: %s", keys[i].name, keys[i].value, err.msg);
        if (keys[i].shown != NULL)
            assert_string_equal(json_field(cfg, keys[i].name, buf, sizeof(buf)), keys[i].shown);
        pb_mock_config_destroy(cfg);

        cfg = fresh();
        snprintf(json, sizeof(json), "{\"%s\": \"%s\"}", keys[i].name, keys[i].value);
        int rc = pb_mock_config_load_json(cfg, json, "src", &err);
        if ((keys[i].where & TOP) != 0 && rc != 0)
            fail_msg("%s rejected: %s", json, err.msg);
        if ((keys[i].where & TOP) == 0) {
            assert_int_equal(rc, PB_EPARSE);
            snprintf(buf, sizeof(buf), "src: unknown key \"%s\"", keys[i].name);
            assert_non_null(strstr(err.msg, buf));
        }
        if (keys[i].shown != NULL)
            assert_string_equal(json_field(cfg, keys[i].name, buf, sizeof(buf)), keys[i].shown);
        pb_mock_config_destroy(cfg);

        cfg = fresh();
        snprintf(json, sizeof(json), "{\"phases\": [{\"at\": \"1s\", \"%s\": \"%s\"}]}",
                 keys[i].name, keys[i].value);
        rc = pb_mock_config_load_json(cfg, json, "src", &err);
        if ((keys[i].where & PHASE) != 0) {
            if (rc != 0)
                fail_msg("%s rejected: %s", json, err.msg);
            char *text = pb_mock_config_to_json(cfg);
            json_t *o = json_loads(text, 0, NULL);
            json_t *v =
                json_object_get(json_array_get(json_object_get(o, "phases"), 0), keys[i].name);
            assert_non_null(v);
            if (json_is_integer(v))
                snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
            else
                snprintf(buf, sizeof(buf), "%s", json_string_value(v));
            assert_string_equal(buf, keys[i].shown);
            json_decref(o);
            free(text);
        } else {
            assert_int_equal(rc, PB_EPARSE);
            snprintf(buf, sizeof(buf), "src: phases[0]: unknown key \"%s\"", keys[i].name);
            assert_non_null(strstr(err.msg, buf));
        }
        pb_mock_config_destroy(cfg);
    }
    /* the options help lists are these keys, each once */
    size_t n = 0;
    for (; pb_mock_config_option(n) != NULL; n++) {
        size_t i = 0;
        while (i < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[i].name, pb_mock_config_option(n)))
            i++;
        if (i == sizeof(keys) / sizeof(keys[0]))
            fail_msg("option %s is not checked here", pb_mock_config_option(n));
    }
    assert_int_equal(n, sizeof(keys) / sizeof(keys[0]));
    unlink(token_file);
    unlink(profile_file);
    unlink(pem_file);
}

/* The keys a profile takes, as its errors list them. */
static void unknown_keys_list_the_known_ones(void **state)
{
    pb_mock_config *cfg = fresh();
    pb_err err = {0};
    assert_int_equal(pb_mock_config_load_json(cfg, "{\"admin\": \"off\"}", "src", &err), PB_EPARSE);
    assert_string_equal(err.msg, "src: unknown key \"admin\"; expected listen, threads, seed, "
                                 "latency, latency-cap, errors, faults, capacity, queue-limit, "
                                 "rate-limit, body-size, hang-max, phases");
    assert_int_equal(
        pb_mock_config_load_json(cfg, "{\"phases\": [{\"at\": \"1s\", \"x\": 1}]}", "src", &err),
        PB_EPARSE);
    assert_string_equal(err.msg, "src: phases[0]: unknown key \"x\"; expected at, name, latency, "
                                 "latency-cap, errors, faults, capacity, queue-limit, rate-limit, "
                                 "body-size, hang-max");
    assert_int_equal(pb_mock_config_set(cfg, "phases", "x", &err), PB_ENOENT);
    assert_int_equal(pb_mock_config_set(cfg, "at", "1s", &err), PB_ENOENT);
    pb_mock_config_destroy(cfg);
}

static void profile_files_load_and_replace(void **state)
{
    char path[] = "/tmp/pb_profile_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, profile, strlen(profile)), (ssize_t)strlen(profile));
    assert_int_equal(close(fd), 0);
    pb_mock_config *cfg = fresh();
    set_ok(cfg, "listen", "127.0.0.1:9999");
    set_ok(cfg, "errors", "500:0.5");
    set_ok(cfg, "profile", path);
    assert_int_equal(cfg->base.n_errors, 0); /* replaced */
    assert_int_equal(cfg->port, 9999);       /* kept: the file does not name it */
    assert_int_equal(pb_mock_config_phase_count(cfg), 4);
    assert_int_equal(unlink(path), 0);
    pb_mock_config_destroy(cfg);
}

static void clone_is_independent(void **state)
{
    pb_mock_config *a = fresh(), *b;
    assert_int_equal(pb_mock_config_clone(a, &b), 0);
    set_ok(b, "errors", "503:1");
    assert_int_equal(a->base.n_errors, 0);
    pb_mock_config_destroy(a);
    pb_mock_config_destroy(b);
    pb_mock_config_destroy(NULL);
}

/* A token file whose first line holds a NUL byte is refused by name, not
 * cut short at the NUL (found by fuzz_token_file: "ab\0cd" became "ab"). */
static void token_file_with_a_nul_is_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/pb_token_nul_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "ab\0cd\n", 6), 6);
    assert_int_equal(close(fd), 0);
    pb_mock_config *cfg = fresh();
    pb_err err = {0};
    assert_int_equal(pb_mock_config_set(cfg, "admin-token-file", path, &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "0x00 at position 3"));
    assert_string_equal(cfg->admin_token, "");
    pb_mock_config_destroy(cfg);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_documented_ones),
        cmocka_unit_test(documented_forms_are_accepted),
        cmocka_unit_test(malformed_options_are_rejected_by_name),
        cmocka_unit_test(every_fault_name_round_trips),
        cmocka_unit_test(errors_and_faults_share_one_budget),
        cmocka_unit_test(unknown_names_are_left_to_the_caller),
        cmocka_unit_test(phases_inherit_the_base_settings),
        cmocka_unit_test(json_reads_back_exactly),
        cmocka_unit_test(large_and_small_rate_limits_read_back),
        cmocka_unit_test(bad_profiles_name_the_place),
        cmocka_unit_test(profile_files_load_and_replace),
        cmocka_unit_test(clone_is_independent),
        cmocka_unit_test(token_file_with_a_nul_is_refused),
        cmocka_unit_test(every_key_is_taken_where_it_was),
        cmocka_unit_test(unknown_keys_list_the_known_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
