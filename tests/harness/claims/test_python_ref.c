/* Reading the Python reference's output (pb_python_ref_parse): a real output
 * is read whole; a field missing, of another type or out of range is refused
 * with a message naming the source and the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "python_ref.h"

/* An output of reference/python/pb_reference.py (semaphore, --on-error propagate). */
static const char real[] =
    "{\"implementation\": \"python\", \"python\": \"3.11.2\", \"aiohttp\": \"3.8.4\", "
    "\"pattern\": \"semaphore\", \"concurrency\": 20, \"requests\": 300, \"ok\": 281, "
    "\"errors\": {\"http_error\": 19, \"timeout\": 0}, \"statuses\": {\"503\": 19, \"200\": 281}, "
    "\"rejected\": 0, \"dropped\": 0, \"lost\": 245, \"cascaded\": 231, \"failed\": 19, "
    "\"elapsed_s\": 0.2848376530000678, \"rps\": 1053.2315402835052, "
    "\"goodput\": 986.5268760655499, \"cpu_s\": 0.10981699999999998, "
    "\"latency_ms\": {\"mean\": 11.596011566671223, \"p50\": 9.72, \"p99\": 35.79}, "
    "\"state\": {}}";

static void a_real_output_is_read_whole(void **state)
{
    pb_python_result r;
    pb_err err;
    assert_int_equal(pb_python_ref_parse(real, strlen(real), "ref.py", &r, &err), 0);
    assert_int_equal(r.requests, 300);
    assert_int_equal(r.ok, 281);
    assert_int_equal(r.failed, 19);
    assert_int_equal(r.lost, 245);
    assert_int_equal(r.cascaded, 231);
    assert_true(r.elapsed_s == 0.2848376530000678);
    assert_true(r.rps == 1053.2315402835052);
    assert_true(r.goodput == 986.5268760655499);
    assert_true(r.cpu_s == 0.10981699999999998);
    assert_true(r.mean_latency_ms == 11.596011566671223);
}

/* real with the first `"key": value` replaced by `"key": with` (with NULL:
 * the key renamed, so that it is missing); the parser's code and message. */
static int parse_edited(const char *key, const char *with, pb_err *err)
{
    char text[2048], pattern[64];
    snprintf(pattern, sizeof(pattern), "\"%s\": ", key);
    const char *at = strstr(real, pattern);
    assert_non_null(at);
    const char *end = at + strlen(pattern);
    if (*end == '{')
        end = strchr(end, '}') + 1;
    else
        end += strcspn(end, ",}");
    if (with != NULL)
        snprintf(text, sizeof(text), "%.*s%s%s%s", (int)(at - real), real, pattern, with, end);
    else
        snprintf(text, sizeof(text), "%.*s\"x%s\": 0%s", (int)(at - real), real, key, end);
    pb_python_result r = {.requests = 42};
    int rc = pb_python_ref_parse(text, strlen(text), "ref.py", &r, err);
    if (rc != 0)
        assert_int_equal(r.requests, 42); /* untouched when refused */
    return rc;
}

static void expect_refusal(const char *key, const char *with, int code, const char *says)
{
    pb_err err;
    int rc = parse_edited(key, with, &err);
    if (rc != code || strncmp(err.msg, "ref.py: ", 8) != 0 || strstr(err.msg, says) == NULL)
        fail_msg("\"%s\": %s: rc %d, \"%s\" (expected %d, \"%s\")", key, with ? with : "missing",
                 rc, err.msg, code, says);
}

static void every_field_missing_is_named(void **state)
{
    static const char *const keys[] = {"requests",  "ok",  "failed",  "lost",  "cascaded",
                                       "elapsed_s", "rps", "goodput", "cpu_s", NULL};
    for (int i = 0; keys[i] != NULL; i++) {
        char says[64];
        snprintf(says, sizeof(says), "its output has no \"%s\"", keys[i]);
        expect_refusal(keys[i], NULL, PB_EPARSE, says);
    }
    expect_refusal("latency_ms", NULL, PB_EPARSE, "its output has no \"latency_ms.mean\"");
    expect_refusal("mean", NULL, PB_EPARSE, "its output has no \"latency_ms.mean\"");
}

static void counts_are_integers_from_0(void **state)
{
    expect_refusal("requests", "-5", PB_ERANGE, "\"requests\": expected a count from 0, got -5");
    expect_refusal("lost", "-9223372036854775808", PB_ERANGE,
                   "\"lost\": expected a count from 0, got -9223372036854775808");
    expect_refusal("ok", "281.5", PB_EPARSE,
                   "\"ok\": expected a count (an integer), got a fraction");
    expect_refusal("failed", "\"19\"", PB_EPARSE, "\"failed\": expected a count (an integer)");
    expect_refusal("cascaded", "null", PB_EPARSE, "\"cascaded\": expected a count (an integer)");
    /* beyond an int64 is not JSON jansson reads */
    expect_refusal("requests", "18446744073709551611", PB_EPARSE, "expected one JSON object");
}

static void figures_are_numbers_from_0(void **state)
{
    expect_refusal("elapsed_s", "-0.5", PB_ERANGE, "\"elapsed_s\": expected a number from 0");
    expect_refusal("rps", "true", PB_EPARSE, "\"rps\": expected a number");
    expect_refusal("cpu_s", "1e400", PB_EPARSE, "expected one JSON object");
    expect_refusal("latency_ms", "[1]", PB_EPARSE, "\"latency_ms\": expected an object");
    expect_refusal("mean", "-1", PB_ERANGE, "\"latency_ms.mean\": expected a number from 0");
    /* an integer figure is a number all the same (Python prints 0 for int 0) */
    pb_err err;
    assert_int_equal(parse_edited("goodput", "0", &err), 0);
}

static void counts_that_do_not_add_up_are_refused(void **state)
{
    expect_refusal("ok", "301", PB_ERANGE, "expected them to add up to \"requests\" 300");
    expect_refusal("failed", "18", PB_ERANGE, "\"ok\" 281 and \"failed\" 18");
    expect_refusal("cascaded", "246", PB_ERANGE, "\"cascaded\" 246: expected at most \"lost\" 245");
}

static void not_an_object_is_refused(void **state)
{
    static const char *const texts[] = {"", "[]", "42", "{\"requests\": 1", "{} {}", NULL};
    for (int i = 0; texts[i] != NULL; i++) {
        pb_python_result r;
        pb_err err;
        assert_int_equal(pb_python_ref_parse(texts[i], strlen(texts[i]), "ref.py", &r, &err),
                         PB_EPARSE);
        assert_non_null(strstr(err.msg, "ref.py: expected one JSON object"));
    }
    /* the reference never prints a key twice; a second "requests" is not its output */
    char text[2048];
    snprintf(text, sizeof(text), "{\"requests\": -1, %s", real + 1);
    pb_python_result r;
    pb_err err;
    assert_int_equal(pb_python_ref_parse(text, strlen(text), "ref.py", &r, &err), PB_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_real_output_is_read_whole),
        cmocka_unit_test(every_field_missing_is_named),
        cmocka_unit_test(counts_are_integers_from_0),
        cmocka_unit_test(figures_are_numbers_from_0),
        cmocka_unit_test(counts_that_do_not_add_up_are_refused),
        cmocka_unit_test(not_an_object_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
