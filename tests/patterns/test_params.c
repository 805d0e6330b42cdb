/* The options table, the registry and the outcome helpers: documented
 * defaults, clear errors for bad input, params_json round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "registry.h"
#include "test_env.h"
#include "test_file.h"

#define MS PB_USEC_PER_MS
#define SEC PB_USEC_PER_SEC

static void defaults_are_the_documented_ones(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    assert_int_equal(p.total_tasks, 0);
    assert_int_equal(p.concurrency, 10);
    assert_true(p.rate == 0);
    assert_int_equal(p.reject_pause, 10 * MS);
    assert_int_equal(p.batch, 100);
    assert_int_equal(p.queue_size, 50);
    assert_int_equal(p.put_timeout, 1 * SEC);
    assert_int_equal(p.breaker_policy, PB_BREAKER_POLICY_CONSECUTIVE);
    assert_int_equal(p.failure_threshold, 5);
    assert_int_equal(p.recovery_timeout, 30 * SEC);
    assert_int_equal(p.window_kind, PB_WINDOW_COUNT);
    assert_int_equal(p.window_size, 100);
    assert_int_equal(p.minimum_calls, 10);
    assert_true(p.failure_rate_threshold == 0.5);
    assert_true(p.slow_call_rate_threshold == 1.0);
    assert_int_equal(p.slow_call_duration, 60 * SEC);
    assert_int_equal(p.half_open_calls, 10);
    assert_int_equal(p.adaptive_policy, PB_ADAPTIVE_CORRECTED);
    assert_int_equal(p.min_limit, 1);
    assert_int_equal(p.max_limit, 200);
    assert_true(p.aimd_backoff_ratio == 0.9);
    assert_int_equal(p.aimd_timeout, 5 * SEC);
    assert_true(p.gradient_smoothing == 0.2);
    assert_int_equal(p.gradient_queue_size, 4);
    assert_int_equal(p.gradient_long_window, 600);
    assert_true(p.gradient_rtt_tolerance == 1.5);
    assert_int_equal(p.retry_max_attempts, 1);
    assert_int_equal(p.retry_base, 100 * MS);
    assert_int_equal(p.retry_cap, 10 * SEC);
    assert_int_equal(p.retry_jitter, PB_JITTER_FULL);
    assert_true(p.retry_honour_retry_after);
    pb_err err;
    assert_int_equal(pb_pattern_params_check(&p, &err), 0);
    assert_int_equal(pb_pattern_check(NULL, &p, &err), 0);
}

static void the_readme_documents_every_option_and_default(void **state)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/patterns/README.md", test_env("PB_SOURCE_DIR"));
    char *text = test_slurp(path, NULL);
    for (size_t i = 0; pb_pattern_param_info(i) != NULL; i++) {
        const pb_param_info *info = pb_pattern_param_info(i);
        /* a table row: | `name` | default | ... */
        char row[128];
        snprintf(row, sizeof(row), "| `%s` | `%s` |", info->name, info->default_text);
        if (strstr(text, row) == NULL)
            fail_msg("patterns/README.md has no row starting \"%s\"", row);
    }
    free(text);
}

static void every_option_reads_its_own_text_back(void **state)
{
    pb_pattern_params p, q;
    pb_pattern_params_default(&p);
    pb_pattern_params_default(&q);
    for (size_t i = 0; pb_pattern_param_info(i) != NULL; i++) {
        const pb_param_info *info = pb_pattern_param_info(i);
        char text[64];
        assert_int_equal(pb_pattern_params_get(&p, info->name, text, sizeof(text)), 0);
        assert_string_equal(text, info->default_text);
        pb_err err = {0};
        if (pb_pattern_params_set(&q, info->name, text, &err) != 0)
            fail_msg("%s: %s", info->name, err.msg);
        assert_non_null(info->help);
        assert_non_null(info->used_by);
    }
    assert_memory_equal(&p, &q, sizeof(p));
    /* names as the CLI and scenario files spell them */
    pb_err err;
    assert_int_equal(pb_pattern_params_set(&p, "--failure-threshold", "7", &err), 0);
    assert_int_equal(p.failure_threshold, 7);
    assert_int_equal(pb_pattern_params_set(&p, "failure_threshold", "8", &err), 0);
    assert_int_equal(p.failure_threshold, 8);
    assert_int_equal(pb_pattern_params_set(&p, "failure-rate-threshold", "25%", &err), 0);
    assert_true(p.failure_rate_threshold == 0.25);
    assert_int_equal(pb_pattern_params_set(&p, "put-timeout", "250ms", &err), 0);
    assert_int_equal(p.put_timeout, 250 * MS);
    assert_int_equal(pb_pattern_params_set(&p, "adaptive-policy", "gradient2", &err), 0);
    assert_int_equal(p.adaptive_policy, PB_ADAPTIVE_GRADIENT2);
    assert_int_equal(pb_pattern_params_set(&p, "retry-after", "off", &err), 0);
    assert_false(p.retry_honour_retry_after);
    char small[3];
    assert_int_equal(pb_pattern_params_get(&p, "put-timeout", small, sizeof(small)), PB_EFULL);
    assert_int_equal(pb_pattern_params_get(&p, "nope", small, sizeof(small)), PB_ENOENT);
}

/* The "used by" column that help and patterns/README.md show says what the check
 * enforces: an option is accepted for exactly the patterns it names (every
 * one for "all"), and one marked with a policy only under that policy. */
static void used_by_is_what_the_check_enforces(void **state)
{
    static const struct {
        const char *option, *values[5];
    } policies[] = {
        {"breaker-policy", {"consecutive", "rate", NULL}},
        {"adaptive-policy", {"seed", "corrected", "aimd", "gradient2", NULL}},
    };
    const pb_pattern_ops *const *all = pb_pattern_list();
    for (size_t i = 0; pb_pattern_param_info(i) != NULL; i++) {
        const pb_param_info *info = pb_pattern_param_info(i);
        bool everyone =
            strncmp(info->used_by, "all", 3) == 0 || strcmp(info->used_by, "retry") == 0;
        const char *paren = strchr(info->used_by, '(');
        for (size_t k = 0; all[k] != NULL; k++) {
            const char *name = all[k]->name;
            size_t n = strlen(name);
            bool named = strncmp(info->used_by, name, n) == 0 &&
                         (info->used_by[n] == '\0' || info->used_by[n] == ' ');
            /* under each policy of the pattern (or once, with the defaults) */
            for (size_t pol = 0; pol < 2; pol++) {
                for (size_t v = 0; policies[pol].values[v] != NULL; v++) {
                    pb_pattern_params p;
                    pb_pattern_params_default(&p);
                    assert_int_equal(pb_pattern_params_set(&p, policies[pol].option,
                                                           policies[pol].values[v], NULL),
                                     0);
                    pb_err err = {0};
                    int rc = pb_pattern_param_check_used(name, &p, info->name, &err);
                    bool policy_ok = true;
                    if (!everyone && named && paren != NULL) {
                        char want[64];
                        snprintf(want, sizeof(want), "(%s)", policies[pol].values[v]);
                        bool governs = strncmp(policies[pol].option, name, n) == 0;
                        policy_ok = !governs || strcmp(paren, want) == 0;
                        if (!governs)
                            continue;
                    }
                    bool expect = everyone || (named && policy_ok);
                    if ((rc == 0) != expect)
                        fail_msg("--%s (used by \"%s\") for %s with --%s %s: %s", info->name,
                                 info->used_by, name, policies[pol].option, policies[pol].values[v],
                                 rc == 0 ? "accepted" : err.msg);
                    if (rc != 0 &&
                        (strstr(err.msg, info->name) == NULL || strstr(err.msg, name) == NULL))
                        fail_msg("the refusal does not name the option and the pattern: %s",
                                 err.msg);
                }
            }
        }
    }
    pb_err err;
    assert_int_equal(pb_pattern_param_check_used("queue", NULL, "no-such-option", &err), PB_ENOENT);
}

static void bad_values_get_messages_naming_the_option(void **state)
{
    static const struct {
        const char *name, *value;
        int code;
        const char *expect; /* in the message */
    } bad[] = {
        {"concurrency", "0", PB_ERANGE, "--concurrency: expected a whole number from 1 to 100000"},
        {"concurrency", "ten", PB_EPARSE,
         "--concurrency: expected a whole number from 1 to 100000, got \"ten\""},
        {"concurrency", "", PB_EPARSE, "--concurrency"},
        {"concurrency", NULL, PB_EPARSE, "--concurrency"},
        {"put-timeout", "10", PB_EPARSE, "--put-timeout: expected a duration with a unit"},
        {"put-timeout", "0s", PB_ERANGE, "--put-timeout: expected a duration from"},
        {"reject-pause", "2h", PB_ERANGE, "--reject-pause"},
        {"breaker-policy", "fast", PB_EPARSE,
         "--breaker-policy: expected one of consecutive|rate, got \"fast\""},
        {"adaptive-policy", "vegas", PB_EPARSE, "seed|corrected|aimd|gradient2"},
        {"retry-after", "maybe", PB_EPARSE, "--retry-after: expected true or false"},
        {"failure-rate-threshold", "150%", PB_EPARSE, "--failure-rate-threshold"},
        {"backoff-ratio", "0.3", PB_ERANGE, "--backoff-ratio: expected a number from 0.5"},
        {"rate", "-5", PB_ERANGE, "--rate"},
        {"rate", "nan", PB_EPARSE, "--rate"},
        {"retry-attempts", "1000", PB_ERANGE, "--retry-attempts"},
        {"failure-treshold", "5", PB_ENOENT, "unknown pattern option \"failure-treshold\""},
        {NULL, "5", PB_ENOENT, "unknown pattern option"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_pattern_params p, before;
        pb_pattern_params_default(&p);
        before = p;
        pb_err err = {0};
        int rc = pb_pattern_params_set(&p, bad[i].name, bad[i].value, &err);
        if (rc != bad[i].code || strstr(err.msg, bad[i].expect) == NULL)
            fail_msg("%s=%s: rc %d, message \"%s\"; expected %d and \"%s\"",
                     bad[i].name ? bad[i].name : "(null)", bad[i].value ? bad[i].value : "(null)",
                     rc, err.msg, bad[i].code, bad[i].expect);
        /* a rejected value leaves the struct as it was */
        assert_memory_equal(&p, &before, sizeof(p));
    }
}

static void params_json_round_trips(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.total_tasks = 12345;
    p.concurrency = 64;
    p.seed = INT64_MAX;
    p.rate = 0.1;
    p.put_timeout = 1500;
    p.recovery_timeout = 90 * SEC;
    p.breaker_policy = PB_BREAKER_POLICY_RATE;
    p.window_kind = PB_WINDOW_TIME;
    p.failure_rate_threshold = 1.0 / 3;
    p.adaptive_policy = PB_ADAPTIVE_AIMD;
    p.retry_jitter = PB_JITTER_DECORRELATED;
    p.retry_honour_retry_after = false;
    char *text = pb_pattern_params_to_json(&p, NULL);
    assert_non_null(text);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (root == NULL)
        fail_msg("params_json is not JSON (%s): %s", jerr.text, text);
    assert_true(json_is_object(root));
    pb_pattern_params q;
    pb_pattern_params_default(&q);
    size_t keys = 0;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        char buf[64];
        if (json_is_string(value))
            snprintf(buf, sizeof(buf), "%s", json_string_value(value));
        else if (json_is_true(value) || json_is_false(value))
            snprintf(buf, sizeof(buf), "%s", json_is_true(value) ? "true" : "false");
        else if (json_is_integer(value))
            snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(value));
        else
            snprintf(buf, sizeof(buf), "%.17g", json_real_value(value));
        pb_err err = {0};
        if (pb_pattern_params_set(&q, key, buf, &err) != 0)
            fail_msg("%s: %s", key, err.msg);
        keys++;
    }
    json_decref(root);
    free(text);
    assert_memory_equal(&p, &q, sizeof(p));
    size_t options = 0;
    while (pb_pattern_param_info(options) != NULL)
        options++;
    assert_int_equal(keys, options);
}

/* A run's parameters list what its pattern reads, and nothing of another
 * pattern's (a queue run shows no recovery-timeout); numbers in their
 * shortest form. */
static void a_patterns_params_json_lists_what_it_reads(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    char *queue = pb_pattern_params_to_json(&p, "queue");
    assert_non_null(queue);
    assert_non_null(strstr(queue, "\"concurrency\":10"));
    assert_non_null(strstr(queue, "\"retry-attempts\":1"));
    assert_null(strstr(queue, "recovery-timeout"));
    assert_null(strstr(queue, "queue-size"));
    assert_null(strstr(queue, "backoff-ratio"));
    free(queue);
    assert_int_equal(pb_pattern_params_set(&p, "adaptive-policy", "aimd", NULL), 0);
    char *aimd = pb_pattern_params_to_json(&p, "adaptive");
    assert_non_null(strstr(aimd, "\"backoff-ratio\":0.9,"));
    assert_non_null(strstr(aimd, "\"min-limit\":1"));
    assert_null(strstr(aimd, "smoothing"));       /* gradient2's */
    assert_null(strstr(aimd, "adaptive-window")); /* corrected's */
    assert_null(strstr(aimd, "failure-threshold"));
    json_t *j = json_loads(aimd, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    free(aimd);
}

static void cross_field_rules_are_checked_at_create(void **state)
{
    static const struct {
        const char *pattern, *option, *value, *expect;
    } bad[] = {
        {"adaptive", "min-limit", "300", "--min-limit (300) must not exceed --max-limit (200)"},
        {"adaptive", "concurrency", "500", "adaptive: --concurrency"},
        {"breaker", "half-open-calls", "0", "--half-open-calls"},
        {"breaker", "window-size", "7200", "a time window is at most 3600 seconds"},
        {"queue", "retry-base", "20s", "--retry-base"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_pattern_params p;
        pb_pattern_params_default(&p);
        pb_err err = {0};
        if (strcmp(bad[i].option, "half-open-calls") == 0 ||
            strcmp(bad[i].option, "window-size") == 0) {
            p.breaker_policy = PB_BREAKER_POLICY_RATE;
            p.window_kind = PB_WINDOW_TIME;
        }
        assert_int_equal(pb_pattern_params_set(&p, bad[i].option, bad[i].value, &err), 0);
        pb_pattern pat;
        int rc = pb_pattern_create(bad[i].pattern, &p, NULL, NULL, &pat, &err);
        assert_true(rc < 0);
        assert_null(pat.state);
        if (strstr(err.msg, bad[i].expect) == NULL)
            fail_msg("%s with %s=%s: \"%s\", expected \"%s\"", bad[i].pattern, bad[i].option,
                     bad[i].value, err.msg, bad[i].expect);
    }
    /* what only the adaptive pattern cares about does not stop the queue */
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.concurrency = 500;
    pb_pattern pat;
    assert_int_equal(pb_pattern_create("queue", &p, NULL, NULL, &pat, NULL), 0);
    pb_pattern_destroy(&pat);
    /* a struct filled in code is range-checked too */
    p.seed = (uint64_t)INT64_MAX + 1;
    assert_int_equal(pb_pattern_create("queue", &p, NULL, NULL, &pat, NULL), PB_ERANGE);
    p.seed = 1;
    p.queue_size = 0;
    pb_err err;
    assert_int_equal(pb_pattern_create("backpressure", &p, NULL, NULL, &pat, &err), PB_ERANGE);
    assert_non_null(strstr(err.msg, "--queue-size"));
}

static void each_pattern_checks_only_its_own_rules(void **state)
{
    pb_pattern_params p;
    pb_pattern_params_default(&p);
    p.breaker_policy = PB_BREAKER_POLICY_RATE;
    p.half_open_calls = 0;
    pb_err err = {0};
    /* the breaker refuses what only the breaker cares about ... */
    assert_int_equal(pb_pattern_check("breaker", &p, &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "--half-open-calls"));
    /* ... every other pattern takes it, and NULL asks every pattern */
    const pb_pattern_ops *const *list = pb_pattern_list();
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i]->name, "breaker") != 0 && pb_pattern_check(list[i]->name, &p, &err) != 0)
            fail_msg("%s: %s", list[i]->name, err.msg);
    assert_int_equal(pb_pattern_check(NULL, &p, &err), PB_EINVAL);
    /* the shared rules hold for every pattern */
    pb_pattern_params_default(&p);
    p.retry_base = p.retry_cap + 1;
    for (size_t i = 0; list[i] != NULL; i++)
        assert_int_equal(pb_pattern_check(list[i]->name, &p, &err), PB_EINVAL);
    assert_int_equal(pb_pattern_check("bulkhead", &p, &err), PB_ENOENT);
    assert_string_equal(err.msg, "--pattern: unknown pattern \"bulkhead\"; expected one of "
                                 "queue, semaphore, backpressure, breaker, adaptive");

    char names[PB_PATTERN_NAMES_MAX];
    pb_pattern_names(" or ", names, sizeof(names));
    assert_string_equal(names, "queue, semaphore, backpressure, breaker or adaptive");
    pb_pattern_names(", ", names, 8); /* a short buffer truncates, terminated */
    assert_string_equal(names, "queue, ");
}

static void the_registry_creates_every_pattern(void **state)
{
    static const char *const names[] = {"queue", "semaphore", "backpressure", "breaker",
                                        "adaptive"};
    const pb_pattern_ops *const *list = pb_pattern_list();
    for (size_t i = 0; i < 5; i++) {
        assert_non_null(list[i]);
        assert_string_equal(list[i]->name, names[i]);
        assert_ptr_equal(pb_pattern_find(names[i]), list[i]);
        for (uint32_t attempts = 1; attempts <= 3; attempts += 2) {
            pb_pattern_params p;
            pb_pattern_params_default(&p);
            p.retry_max_attempts = attempts;
            pb_pattern pat;
            pb_err err = {0};
            if (pb_pattern_create(names[i], &p, NULL, NULL, &pat, &err) != 0)
                fail_msg("%s: %s", names[i], err.msg);
            pb_pattern_state st;
            pat.ops->state(pat.state, &st);
            assert_true(st.slots >= p.concurrency);
            /* the retry decorator is an ops table of its own */
            assert_true((pat.ops == list[i]) == (attempts == 1));
            pat.ops->start(pat.state, 0);
            pb_admission a;
            pat.ops->admit(pat.state, 0, &a);
            assert_int_equal(a.kind, PB_ADMIT_START);
            pb_pattern_destroy(&pat);
            assert_null(pat.state);
            pb_pattern_destroy(&pat); /* twice is harmless */
        }
    }
    assert_null(list[5]);
    assert_null(pb_pattern_find("Queue"));
    assert_null(pb_pattern_find(NULL));
    pb_pattern_destroy(NULL);

    pb_pattern_params p;
    pb_pattern_params_default(&p);
    pb_pattern pat;
    pb_err err;
    assert_int_equal(pb_pattern_create("bulkhead", &p, NULL, NULL, &pat, &err), PB_ENOENT);
    assert_string_equal(err.msg, "--pattern: unknown pattern \"bulkhead\"; expected one of "
                                 "queue, semaphore, backpressure, breaker, adaptive");
}

static void outcomes_and_what_counts_as_failure(void **state)
{
    assert_string_equal(pb_outcome_name(PB_OUTCOME_OK), "ok");
    assert_string_equal(pb_outcome_name(PB_OUTCOME_DROPPED_BY_BACKPRESSURE),
                        "dropped_by_backpressure");
    assert_string_equal(pb_outcome_name(PB_OUTCOME_OTHER_ERROR), "other_error");
    assert_null(pb_outcome_name(PB_OUTCOME_COUNT));
    assert_null(pb_outcome_name((pb_outcome)-1));
    assert_string_equal(pb_breaker_state_name(PB_BREAKER_HALF_OPEN), "half_open");
    assert_string_equal(pb_breaker_state_name(PB_BREAKER_NONE), "none");
    assert_string_equal(pb_adaptive_policy_name(PB_ADAPTIVE_GRADIENT2), "gradient2");
    assert_null(pb_jitter_name((pb_jitter)7));

    /* rejections and drops never reached the network: not failures */
    assert_false(pb_outcome_is_failure(PB_OUTCOME_OK));
    assert_false(pb_outcome_is_failure(PB_OUTCOME_REJECTED_BY_BREAKER));
    assert_false(pb_outcome_is_failure(PB_OUTCOME_DROPPED_BY_BACKPRESSURE));
    assert_true(pb_outcome_is_failure(PB_OUTCOME_TIMEOUT));
    assert_true(pb_outcome_is_failure(PB_OUTCOME_HTTP_ERROR));
    /* for breaker, adaptive and retry: 5xx and 429 fail, other 4xx do not */
    static const struct {
        int status;
        bool failed;
    } http[] = {{500, true}, {503, true}, {429, true}, {404, false}, {400, false}, {0, true}};
    for (size_t i = 0; i < sizeof(http) / sizeof(http[0]); i++) {
        pb_result r = {.outcome = PB_OUTCOME_HTTP_ERROR, .http_status = http[i].status};
        assert_int_equal(pb_result_is_failure(&r), http[i].failed);
    }
    pb_result reset = {.outcome = PB_OUTCOME_RESET};
    assert_true(pb_result_is_failure(&reset));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_documented_ones),
        cmocka_unit_test(the_readme_documents_every_option_and_default),
        cmocka_unit_test(every_option_reads_its_own_text_back),
        cmocka_unit_test(used_by_is_what_the_check_enforces),
        cmocka_unit_test(bad_values_get_messages_naming_the_option),
        cmocka_unit_test(params_json_round_trips),
        cmocka_unit_test(a_patterns_params_json_lists_what_it_reads),
        cmocka_unit_test(cross_field_rules_are_checked_at_create),
        cmocka_unit_test(each_pattern_checks_only_its_own_rules),
        cmocka_unit_test(the_registry_creates_every_pattern),
        cmocka_unit_test(outcomes_and_what_counts_as_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
