/* pb_run_config: defaults, how options combine, and the messages for bad ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "registry.h"
#include "run_config.h"

static void set_ok(pb_run_config *cfg, const char *name, const char *value)
{
    pb_err err = {0};
    if (pb_run_config_set(cfg, name, value, &err) != 0)
        fail_msg("--%s %s: %s", name, value ? value : "", err.msg);
}

/* Setting name=value fails, with a message containing `says`. */
static void set_fails(pb_run_config *cfg, const char *name, const char *value, const char *says)
{
    pb_err err = {0};
    if (pb_run_config_set(cfg, name, value, &err) == 0)
        fail_msg("--%s %s was accepted", name, value ? value : "");
    if (strstr(err.msg, says) == NULL)
        fail_msg("--%s %s: message \"%s\" does not mention \"%s\"", name, value ? value : "",
                 err.msg, says);
}

static void defaults_are_the_documented_ones(void **state)
{
    pb_run_config cfg;
    assert_int_equal(pb_run_config_init(&cfg), 0);
    assert_string_equal(cfg.pattern, "queue");
    assert_int_equal(cfg.params.concurrency, 10);
    assert_int_equal(cfg.duration, 10 * PB_USEC_PER_SEC);
    assert_int_equal(cfg.requests, 0);
    assert_int_equal(cfg.timeout, 10 * PB_USEC_PER_SEC);
    assert_int_equal(cfg.seed, 1);
    assert_string_equal(cfg.db_path, "patternbench.db");
    assert_null(cfg.target_url);
    assert_true(cfg.record);
    assert_int_equal(pb_run_config_check(&cfg, NULL), 0);
    pb_run_config_cleanup(&cfg);
}

static void a_request_count_replaces_the_default_duration(void **state)
{
    pb_run_config cfg;
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "requests", "500");
    assert_int_equal(cfg.requests, 500);
    assert_int_equal(cfg.duration, 0);
    pb_run_config_cleanup(&cfg);

    /* both given, in either order: whichever bound comes first */
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "requests", "500");
    set_ok(&cfg, "duration", "3s");
    assert_int_equal(cfg.duration, 3 * PB_USEC_PER_SEC);
    pb_run_config_cleanup(&cfg);
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "duration", "72h");
    set_ok(&cfg, "requests", "500");
    assert_int_equal(cfg.duration, 72ULL * 3600 * PB_USEC_PER_SEC);
    assert_int_equal(cfg.requests, 500);
    pb_run_config_cleanup(&cfg);
}

static void pattern_and_mock_options_reach_their_owners(void **state)
{
    pb_run_config cfg;
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "pattern", "adaptive");
    set_ok(&cfg, "concurrency", "32");
    set_ok(&cfg, "adaptive-policy", "aimd");
    set_ok(&cfg, "backoff-ratio", "0.7");
    set_ok(&cfg, "min", "2");
    set_ok(&cfg, "max", "64");
    set_ok(&cfg, "retry", "3");
    set_ok(&cfg, "errors", "503:0.1");
    set_ok(&cfg, "seed", "99");
    assert_int_equal(cfg.params.concurrency, 32);
    assert_float_equal(cfg.params.aimd_backoff_ratio, 0.7, 0);
    assert_int_equal(cfg.params.min_limit, 2);
    assert_int_equal(cfg.params.max_limit, 64);
    assert_int_equal(cfg.params.retry_max_attempts, 3);
    /* one seed for everything */
    assert_int_equal(cfg.seed, 99);
    assert_int_equal(cfg.params.seed, 99);
    char *mock = pb_mock_config_to_json(cfg.mock);
    assert_non_null(mock);
    json_t *m = json_loads(mock, 0, NULL);
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "seed")), 99);
    json_decref(m);
    free(mock);
    assert_int_equal(pb_run_config_check(&cfg, NULL), 0);
    pb_run_config_cleanup(&cfg);
}

/* Days and compound durations wherever a duration is read, rates in thousands:
 * the forms a 72-hour soak is typed in. */
static void soak_forms_of_durations_and_rates(void **state)
{
    pb_run_config cfg;
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "duration", "1d12h");
    assert_int_equal(cfg.duration, 36ULL * 3600 * PB_USEC_PER_SEC);
    set_ok(&cfg, "duration", "1m30s");
    assert_int_equal(cfg.duration, 90 * PB_USEC_PER_SEC);
    set_ok(&cfg, "duration", "1.5h");
    assert_int_equal(cfg.duration, 5400 * PB_USEC_PER_SEC);
    set_ok(&cfg, "keep-requests", "7d");
    assert_int_equal(cfg.keep_requests, 7ULL * 86400 * PB_USEC_PER_SEC);
    set_fails(&cfg, "keep-requests", "7d1s", "--keep-requests: expected a duration from 1s to 7d");
    set_ok(&cfg, "timeout", "1m30s");
    assert_int_equal(cfg.timeout, 90 * PB_USEC_PER_SEC);
    set_ok(&cfg, "rate", "1.5k");
    assert_float_equal(cfg.params.rate, 1500, 0);
    set_fails(&cfg, "rate", "1.5M", "--rate: expected a rate per second such as 250, 0.5 or 1.5k");
    set_fails(&cfg, "duration", "30s1m",
              "--duration: expected the parts of a duration from the "
              "largest unit to the smallest");
    pb_run_config_cleanup(&cfg);
}

static void bad_values_are_refused_with_the_option_named(void **state)
{
    pb_run_config cfg;
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_fails(&cfg, "pattern", "bulkhead", "--pattern: expected one of queue, semaphore");
    set_fails(&cfg, "duration", "10", "--duration");
    set_fails(&cfg, "duration", "0s", "--duration");
    set_fails(&cfg, "requests", "-3", "--requests");
    set_fails(&cfg, "timeout", "0ms", "--timeout");
    set_fails(&cfg, "target", "localhost:80", "--target");
    set_fails(&cfg, "target", "ftp://example.com/", "--target");
    set_fails(&cfg, "target", "http://", "--target");
    set_fails(&cfg, "concurrency", "lots", "concurrency");
    set_fails(&cfg, "errors", "503:1.5", "errors");
    set_fails(&cfg, "json", "maybe", "--json");
    set_fails(&cfg, "label", NULL, "--label");
    /* the rule scenario files follow: no control characters, not empty */
    set_fails(&cfg, "label", "two\nlines", "--label: expected a label without control characters");
    set_fails(&cfg, "label", "bell\a", "--label: expected a label without control characters");
    set_fails(&cfg, "label", "del\x7f", "--label: expected a label without control characters");
    set_fails(&cfg, "label", "", "--label: expected a non-empty label");
    set_fails(&cfg, "label", "queue, 20", "--label: expected a label without commas");
    set_fails(&cfg, "frobnicate", "1", "--frobnicate: unknown option");
    /* nothing was changed by the failures */
    assert_string_equal(cfg.pattern, "queue");
    assert_null(cfg.target_url);
    pb_run_config_cleanup(&cfg);
}

static void the_whole_configuration_is_checked(void **state)
{
    pb_run_config cfg;
    pb_err err = {0};
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "latency", "fixed:5ms");
    set_ok(&cfg, "target", "http://127.0.0.1:8080/api");
    assert_int_not_equal(pb_run_config_check(&cfg, &err), 0);
    assert_non_null(strstr(err.msg, "--latency"));
    pb_run_config_cleanup(&cfg);

    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "pattern", "adaptive");
    set_ok(&cfg, "min", "50");
    set_ok(&cfg, "max", "10");
    assert_int_not_equal(pb_run_config_check(&cfg, &err), 0);
    pb_run_config_cleanup(&cfg);

    /* an option the pattern, or its policy, does not read changes nothing:
     * refused whatever the order the options came in */
    static const struct {
        const char *opts[6];
        const char *says;
    } unused[] = {
        {{"pattern", "queue", "failure-threshold", "3"},
         "--failure-threshold: not used by the queue pattern; it applies to breaker (consecutive)"},
        {{"queue-size", "10", "pattern", "queue"},
         "--queue-size: not used by the queue pattern; it applies to backpressure"},
        {{"pattern", "breaker", "min", "3"},
         "--min-limit: not used by the breaker pattern; it applies to adaptive"},
        {{"pattern", "breaker", "window-size", "20"},
         "--window-size: not used by the breaker pattern under breaker-policy consecutive"},
        {{"backoff-ratio", "0.8", "pattern", "adaptive"},
         "--backoff-ratio: not used by the adaptive pattern under adaptive-policy corrected"},
    };
    for (size_t i = 0; i < sizeof(unused) / sizeof(unused[0]); i++) {
        assert_int_equal(pb_run_config_init(&cfg), 0);
        for (int k = 0; unused[i].opts[k] != NULL; k += 2)
            set_ok(&cfg, unused[i].opts[k], unused[i].opts[k + 1]);
        assert_int_equal(pb_run_config_check(&cfg, &err), PB_EINVAL);
        if (strstr(err.msg, unused[i].says) == NULL)
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err.msg, unused[i].says);
        pb_run_config_cleanup(&cfg);
    }
    /* what every pattern reads stays accepted everywhere */
    const pb_pattern_ops *const *all = pb_pattern_list();
    for (size_t i = 0; all[i] != NULL; i++) {
        assert_int_equal(pb_run_config_init(&cfg), 0);
        set_ok(&cfg, "pattern", all[i]->name);
        set_ok(&cfg, "concurrency", "4");
        set_ok(&cfg, "rate", "100");
        set_ok(&cfg, "retry-attempts", "2");
        set_ok(&cfg, "retry-jitter", "none");
        if (pb_run_config_check(&cfg, &err) != 0)
            fail_msg("%s: %s", all[i]->name, err.msg);
        pb_run_config_cleanup(&cfg);
    }
}

static void the_effective_configuration_is_described_as_json(void **state)
{
    pb_run_config cfg;
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "pattern", "breaker");
    set_ok(&cfg, "label", "b1");
    set_ok(&cfg, "requests", "100");
    set_ok(&cfg, "recovery-timeout", "2s");
    set_ok(&cfg, "errors", "503:0.2");
    char *text = pb_run_config_to_json(&cfg);
    assert_non_null(text);
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "pattern")), "breaker");
    assert_string_equal(json_string_value(json_object_get(j, "label")), "b1");
    assert_string_equal(json_string_value(json_object_get(j, "target")), "mock");
    assert_int_equal(json_integer_value(json_object_get(j, "requests")), 100);
    json_t *params = json_object_get(j, "params");
    assert_true(json_is_object(params));
    assert_string_equal(json_string_value(json_object_get(params, "recovery-timeout")), "2s");
    assert_true(json_is_object(json_object_get(j, "mock")));
    json_decref(j);
    free(text);
    pb_run_config_cleanup(&cfg);

    /* floats in their shortest form, and only the pattern's parameters */
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "pattern", "adaptive");
    set_ok(&cfg, "adaptive-policy", "aimd");
    set_ok(&cfg, "rate", "250.5");
    text = pb_run_config_to_json(&cfg);
    assert_non_null(text);
    if (strstr(text, "\"backoff-ratio\":0.9,") == NULL || strstr(text, "\"rate\":250.5,") == NULL ||
        strstr(text, "0.90000") != NULL || strstr(text, "recovery-timeout") != NULL ||
        strstr(text, "smoothing") != NULL)
        fail_msg("config_json: %s", text);
    free(text);
    pb_run_config_cleanup(&cfg);

    /* with a target there is no mock to describe */
    assert_int_equal(pb_run_config_init(&cfg), 0);
    set_ok(&cfg, "target", "http://127.0.0.1:8080/");
    text = pb_run_config_to_json(&cfg);
    j = json_loads(text, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "target")), "http://127.0.0.1:8080/");
    assert_null(json_object_get(j, "mock"));
    json_decref(j);
    free(text);
    pb_run_config_cleanup(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_documented_ones),
        cmocka_unit_test(a_request_count_replaces_the_default_duration),
        cmocka_unit_test(pattern_and_mock_options_reach_their_owners),
        cmocka_unit_test(soak_forms_of_durations_and_rates),
        cmocka_unit_test(bad_values_are_refused_with_the_option_named),
        cmocka_unit_test(the_whole_configuration_is_checked),
        cmocka_unit_test(the_effective_configuration_is_described_as_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
