/* reference/python/pb_reference.py, the cheat sheet's patterns in asyncio +
 * aiohttp, against the in-process mock: what the Python client counts equals
 * what the server answered. Skipped, saying why, when aiohttp is missing
 * (scripts/install-deps.sh --test installs python3-aiohttp). */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "fault_model.h"
#include "mock_config.h"
#include "test_env.h"
#include "test_mock.h"

/* Run the script with args; its stdout parsed as JSON, its exit status in *status. */
static json_t *run_script(const char *args, int *status)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' '%s/reference/python/pb_reference.py' %s",
             test_env("PB_PYTHON"), test_env("PB_SOURCE_DIR"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    if (j == NULL)
        fail_msg("%s: not JSON (%s): %s", cmd, jerr.text, out);
    return j;
}

/* ctest reports this exit status as "skipped" (SKIP_RETURN_CODE). */
#define EXIT_SKIP 77

static bool has_aiohttp(void)
{
    int status;
    json_t *j = run_script("--check", &status);
    json_decref(j);
    return status == 0;
}

static uint64_t count(const json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v))
        fail_msg("no integer \"%s\" in the script's output", key);
    return (uint64_t)json_integer_value(v);
}

/* One pattern's run of 300 tasks: every task reaches the server once, and
 * the client's ok / error counts are the server's. */
static void counts_equal_the_mocks(const char *pattern, const char *extra)
{
    static const char *const opts[] = {"latency", "uniform:1ms,3ms", "errors", "503:0.05", NULL};
    pb_mock *m = test_mock_start(opts);
    char args[512];
    snprintf(args, sizeof(args), "--pattern %s --url %s --tasks 300 --concurrency 8 %s", pattern,
             pb_mock_url(m), extra);
    int status;
    json_t *j = run_script(args, &status);
    assert_int_equal(status, 0);
    pb_mock_stats s;
    pb_mock_get_stats(m, &s);
    json_t *errors = json_object_get(j, "errors");
    uint64_t sent = count(j, "requests");
    assert_int_equal(sent, s.requests);
    assert_int_equal(count(j, "ok"), s.ok);
    assert_int_equal(count(errors, "http_error"), s.errors);
    assert_int_equal(count(j, "ok") + count(errors, "http_error"), sent);
    /* what never reached the server is the pattern's own: refusals and drops */
    assert_int_equal(sent + count(j, "rejected") + count(j, "dropped"), 300);
    assert_true(json_real_value(json_object_get(j, "cpu_s")) > 0.0);
    json_decref(j);
    pb_mock_stop(m);
}

static void queue_counts(void **state) { counts_equal_the_mocks("queue", ""); }
static void semaphore_counts(void **state) { counts_equal_the_mocks("semaphore", "--batch 100"); }
static void backpressure_counts(void **state)
{
    counts_equal_the_mocks("backpressure", "--queue-size 20 --put-timeout 5");
}
static void breaker_counts(void **state)
{
    counts_equal_the_mocks("breaker", "--failure-threshold 2 --recovery-timeout 0.05");
}
static void adaptive_counts(void **state)
{
    counts_equal_the_mocks("adaptive", "--min-limit 2 --max-limit 16");
}

/* gather without return_exceptions: a batch with a failure hands its caller
 * none of its other results, yet every task still reached the server. */
static void propagate_loses_the_batch_but_not_the_requests(void **state)
{
    static const char *const opts[] = {"errors", "503:0.05", NULL};
    pb_mock *m = test_mock_start(opts);
    char args[512];
    snprintf(args, sizeof(args),
             "--pattern semaphore --on-error propagate --url %s --tasks 200 --batch 100 "
             "--concurrency 8",
             pb_mock_url(m));
    int status;
    json_t *j = run_script(args, &status);
    assert_int_equal(status, 0);
    pb_mock_stats s;
    pb_mock_get_stats(m, &s);
    assert_int_equal(count(j, "requests"), 200);
    assert_int_equal(s.requests, 200);
    /* 5 % of 100 tasks: both batches almost surely fail (1 - 0.95^100 = 0.994 each);
     * the seeded draws make it certain for this seed */
    assert_true(s.errors > 0);
    uint64_t lost = count(j, "lost");
    assert_true(lost == 99 || lost == 198);
    json_decref(j);
    pb_mock_stop(m);
}

/* The cascade, the successes lost with a failed batch, is what the mock's own
 * seeded draws predict task by task: task N's fault is stream (N, attempt 0),
 * whichever client sends it, so C and Python lose the same results. */
static void propagate_cascade_equals_the_mocks_draws(void **state)
{
    static const char *const opts[] = {"errors", "503:0.01", "seed", "11", NULL};
    pb_mock *m = test_mock_start(opts);
    pb_mock_config *mc = NULL;
    pb_err err = {0};
    assert_int_equal(pb_mock_config_create(&mc), 0);
    assert_int_equal(pb_mock_config_set(mc, "errors", "503:0.01", &err), 0);
    enum { TASKS = 600, BATCH = 50 };
    uint64_t lost = 0, cascaded = 0, failed = 0;
    for (uint64_t first = 0; first < TASKS; first += BATCH) {
        uint64_t ok = 0;
        for (uint64_t k = first; k < first + BATCH; k++) {
            pb_fault_decision d;
            pb_fault_decide(&mc->base, 11, k << 8, &d);
            ok += d.action == PB_MOCK_OK;
        }
        failed += BATCH - ok;
        if (ok < BATCH) {
            lost += BATCH - 1;
            cascaded += ok;
        }
    }
    pb_mock_config_destroy(mc);
    assert_true(cascaded > 0 && cascaded < TASKS - failed); /* some batches fail, not all */

    char args[512];
    snprintf(args, sizeof(args),
             "--pattern semaphore --on-error propagate --url %s --tasks %d --batch %d "
             "--concurrency 8",
             pb_mock_url(m), TASKS, BATCH);
    int status;
    json_t *j = run_script(args, &status);
    assert_int_equal(status, 0);
    assert_int_equal(count(j, "failed"), failed);
    assert_int_equal(count(j, "lost"), lost);
    assert_int_equal(count(j, "cascaded"), cascaded);
    json_decref(j);
    pb_mock_stop(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queue_counts),
        cmocka_unit_test(semaphore_counts),
        cmocka_unit_test(backpressure_counts),
        cmocka_unit_test(breaker_counts),
        cmocka_unit_test(adaptive_counts),
        cmocka_unit_test(propagate_loses_the_batch_but_not_the_requests),
        cmocka_unit_test(propagate_cascade_equals_the_mocks_draws),
    };
    if (!has_aiohttp()) {
        printf("skipped: %s has no aiohttp module; install python3-aiohttp "
               "(scripts/install-deps.sh --test)\n",
               test_env("PB_PYTHON"));
        return EXIT_SKIP;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
