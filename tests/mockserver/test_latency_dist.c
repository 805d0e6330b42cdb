/* Latency specs: each distribution's quantiles from 100k seeded draws, and
 * the parser's accepted forms and error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "latency_dist.h"

#define DRAWS 100000

static int cmp_usec(const void *a, const void *b)
{
    pb_usec x = *(const pb_usec *)a, y = *(const pb_usec *)b;
    return x < y ? -1 : x > y;
}

/* 100k sorted draws from spec with cap, seed 42. */
static pb_usec *draws(const char *spec, pb_usec cap)
{
    pb_latency_dist d;
    pb_err err;
    int rc = pb_latency_parse(spec, "--latency", &d, &err);
    if (rc != 0)
        fail_msg("%s: %s", spec, err.msg);
    pb_usec *v = malloc(DRAWS * sizeof(*v));
    assert_non_null(v);
    pb_rng rng;
    pb_rng_seed(&rng, 42);
    for (int i = 0; i < DRAWS; i++)
        v[i] = pb_latency_draw(&d, cap, &rng);
    qsort(v, DRAWS, sizeof(*v), cmp_usec);
    return v;
}

static void assert_near(double got, double want, double rel, const char *what)
{
    if (got < want * (1 - rel) || got > want * (1 + rel))
        fail_msg("%s: got %.1f, expected %.1f within %.0f%%", what, got, want, rel * 100);
}

/* Median and p99 of 100k draws within 3% and 5% of the spec's own. */
static void check_quantiles(const char *spec, double median, double p99)
{
    pb_usec *v = draws(spec, 0);
    char what[128];
    snprintf(what, sizeof(what), "%s median", spec);
    assert_near((double)v[DRAWS / 2], median, 0.03, what);
    snprintf(what, sizeof(what), "%s p99", spec);
    assert_near((double)v[DRAWS * 99 / 100], p99, 0.05, what);
    free(v);
}

static void fixed_is_exact(void **state)
{
    pb_usec *v = draws("fixed:10ms", 0);
    assert_int_equal(v[0], 10000);
    assert_int_equal(v[DRAWS - 1], 10000);
    free(v);
    v = draws("none", 0);
    assert_int_equal(v[DRAWS - 1], 0);
    free(v);
}

static void uniform_quantiles(void **state)
{
    check_quantiles("uniform:5ms,20ms", 12500, 19850);
    pb_usec *v = draws("uniform:5ms,20ms", 0);
    assert_true(v[0] >= 5000 && v[DRAWS - 1] <= 20000);
    free(v);
}

static void normal_quantiles(void **state)
{
    /* p99 = mean + 2.3263 sd */
    check_quantiles("normal:20ms,5ms", 20000, 20000 + 2.3263 * 5000);
}

static void normal_is_clamped_at_zero(void **state)
{
    pb_usec *v = draws("normal:1ms,5ms", 0);
    assert_int_equal(v[0], 0);
    assert_true(v[DRAWS / 4] == 0); /* about 42% of draws fall below 0 */
    free(v);
}

static void lognormal_quantiles_are_its_parameters(void **state)
{
    check_quantiles("lognormal:20ms,200ms", 20000, 200000);
}

static void pareto_quantiles(void **state)
{
    /* quantile q = scale / (1-q)^(1/shape) */
    check_quantiles("pareto:5ms,1.5", 5000 * pow(2, 1 / 1.5), 5000 * pow(100, 1 / 1.5));
}

static void pareto_respects_the_cap(void **state)
{
    pb_usec *v = draws("pareto:5ms,1.5", 50000);
    assert_int_equal(v[DRAWS - 1], 50000);
    assert_int_equal(v[DRAWS * 99 / 100], 50000);
    free(v);
}

static void mix_fractions_follow_weights(void **state)
{
    pb_usec *v = draws("mix:150us:10,2ms:5,500ms:1", 0);
    int n150 = 0, n2ms = 0, n500 = 0;
    for (int i = 0; i < DRAWS; i++) {
        n150 += v[i] == 150;
        n2ms += v[i] == 2000;
        n500 += v[i] == 500000;
    }
    assert_int_equal(n150 + n2ms + n500, DRAWS);
    assert_near(n150, DRAWS * 10.0 / 16, 0.02, "150us share");
    assert_near(n2ms, DRAWS * 5.0 / 16, 0.03, "2ms share");
    assert_near(n500, DRAWS * 1.0 / 16, 0.05, "500ms share");
    assert_int_equal(v[DRAWS / 2], 150);
    assert_int_equal(v[DRAWS * 99 / 100], 500000);
    free(v);
}

static void documented_forms_read_back_exactly(void **state)
{
    const char *forms[] = {
        "none",
        "fixed:10ms",
        "fixed:150us",
        "fixed:2s",
        "uniform:5ms,20ms",
        "normal:20ms,5ms",
        "lognormal:20ms,200ms",
        "pareto:5ms,1.5",
        "mix:150us:10,2ms:5,500ms:1",
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        pb_latency_dist d;
        pb_err err;
        char buf[256];
        if (pb_latency_parse(forms[i], "--latency", &d, &err) != 0)
            fail_msg("%s rejected: %s", forms[i], err.msg);
        assert_string_equal(pb_latency_format(&d, buf, sizeof(buf)), forms[i]);
    }
    /* other spellings normalise */
    pb_latency_dist d;
    char buf[256];
    assert_int_equal(pb_latency_parse("fixed:1000ms", "--latency", &d, NULL), 0);
    assert_string_equal(pb_latency_format(&d, buf, sizeof(buf)), "fixed:1s");
    assert_int_equal(pb_latency_parse("fixed:0.5ms", "--latency", &d, NULL), 0);
    assert_string_equal(pb_latency_format(&d, buf, sizeof(buf)), "fixed:500us");
}

/* Every row of the family table, as its own example: it parses, formats back
 * to the same text, draws within the cap, and the parser's list of forms and
 * the kind it sets name it. A family added to the table is checked here too. */
static void every_family_reads_back_its_example(void **state)
{
    static const struct {
        pb_latency_kind kind;
        const char *name, *args, *spec;
    } rows[] = {
#define ROW(e, name, args, example, meaning) {PB_LATENCY_##e, #name, args, #name ":" example},
        PB_LATENCY_MAP(ROW)
#undef ROW
    };
    assert_int_equal(sizeof(rows) / sizeof(rows[0]), PB_LATENCY_KIND_COUNT);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        pb_latency_dist d, again;
        pb_err err = {0};
        char buf[256], buf2[256];
        if (pb_latency_parse(rows[i].spec, "--latency", &d, &err) != 0)
            fail_msg("%s rejected: %s", rows[i].spec, err.msg);
        assert_int_equal(d.kind, rows[i].kind);
        assert_string_equal(pb_latency_format(&d, buf, sizeof(buf)), rows[i].spec);
        assert_int_equal(pb_latency_parse(buf, "--latency", &again, &err), 0);
        assert_string_equal(pb_latency_format(&again, buf2, sizeof(buf2)), buf);
        pb_rng rng;
        pb_rng_seed(&rng, 7);
        for (int k = 0; k < 1000; k++)
            assert_true(pb_latency_draw(&d, 30 * PB_USEC_PER_MS, &rng) <= 30 * PB_USEC_PER_MS);
        /* the forms listed when a spec names no family include this one */
        assert_int_not_equal(pb_latency_parse("gamma:1ms", "--latency", &d, &err), 0);
        char form[64];
        snprintf(form, sizeof(form), "%s:%s", rows[i].name, rows[i].args);
        if (strstr(err.msg, form) == NULL)
            fail_msg("\"%s\" lacks \"%s\"", err.msg, form);
    }
}

/* A spec near the length limit whose canonical form is longer than itself
 * (weights such as 4500002.0020220 print with more digits, minutes as
 * microseconds): the canonical form parses again, as a stored config's must
 * (fuzz_latency found one that did not). */
static void a_long_mix_reads_back_its_canonical_form(void **state)
{
    (void)state;
    char spec[PB_LATENCY_SPEC_MAX] = "mix:";
    for (int i = 0; i < PB_LATENCY_MIX_MAX; i++)
        strcat(spec, i == 0 ? "0m:4500000552.001" : ",0m:4500000552.001");
    pb_latency_dist d, again;
    pb_err err = {0};
    char buf[PB_LATENCY_SPEC_MAX], buf2[PB_LATENCY_SPEC_MAX];
    if (pb_latency_parse(spec, "--latency", &d, &err) != 0)
        fail_msg("%s rejected: %s", spec, err.msg);
    pb_latency_format(&d, buf, sizeof(buf));
    assert_true(strlen(buf) > strlen(spec));
    if (pb_latency_parse(buf, "canonical", &again, &err) != 0)
        fail_msg("canonical %s rejected: %s", buf, err.msg);
    assert_string_equal(pb_latency_format(&again, buf2, sizeof(buf2)), buf);
}

static void malformed_specs_are_rejected_with_a_message(void **state)
{
    const struct {
        const char *spec, *expect;
    } bad[] = {
        {"", "expected none, fixed:D"},
        {"fixed", "expected none, fixed:D"},
        {"fixed:10", "expected a duration with a unit"},
        {"fixed:-1ms", "expected a duration with a unit"},
        {"uniform:5ms", "uniform:MIN,MAX"},
        {"uniform:20ms,5ms", "MIN <= MAX"},
        {"uniform:5ms,20ms,30ms", "uniform:MIN,MAX"},
        {"normal:20ms", "normal:MEAN,SD"},
        {"lognormal:20ms,10ms", "0 < MEDIAN <= P99"},
        {"lognormal:0ms,10ms", "0 < MEDIAN <= P99"},
        {"pareto:5ms,0", "shape: expected a number from 0.01 to 100"},
        {"pareto:0ms,1.5", "SCALE above 0"},
        {"pareto:5ms,x", "shape: expected a number"},
        {"mix:1ms", "DURATION:WEIGHT"},
        {"mix:1ms:0", "weights must be above 0"},
        {"mix:1ms:1,,2ms:1", "DURATION:WEIGHT"},
        {"gamma:1ms,2", "unknown distribution \"gamma\""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_latency_dist d;
        pb_err err = {0};
        int rc = pb_latency_parse(bad[i].spec, "--latency", &d, &err);
        if (rc == 0)
            fail_msg("\"%s\" was accepted", bad[i].spec);
        if (strstr(err.msg, bad[i].expect) == NULL || strstr(err.msg, "--latency") == NULL)
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", bad[i].spec, err.msg, bad[i].expect);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_is_exact),
        cmocka_unit_test(uniform_quantiles),
        cmocka_unit_test(normal_quantiles),
        cmocka_unit_test(normal_is_clamped_at_zero),
        cmocka_unit_test(lognormal_quantiles_are_its_parameters),
        cmocka_unit_test(pareto_quantiles),
        cmocka_unit_test(pareto_respects_the_cap),
        cmocka_unit_test(mix_fractions_follow_weights),
        cmocka_unit_test(documented_forms_read_back_exactly),
        cmocka_unit_test(every_family_reads_back_its_example),
        cmocka_unit_test(a_long_mix_reads_back_its_canonical_form),
        cmocka_unit_test(malformed_specs_are_rejected_with_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
