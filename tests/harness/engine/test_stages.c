/* pb_stages: a linear ramp of the arrival rate (or of closed-loop workers),
 * parsed from "2m:1000,...". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stages.h"

#define S PB_USEC_PER_SEC

static void a_ramp_is_linear_between_targets(void **state)
{
    pb_stages s;
    pb_err err;
    assert_int_equal(pb_stages_parse("2m:1000,1h:1000,2m:0", "--stages", &s, &err), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(pb_stages_length(&s), (4 * 60 + 3600) * S);
    assert_int_equal(pb_stages_check(&s, 0, "--stages", &err), 0);
    assert_float_equal(pb_stages_target(&s, 0, 0), 0, 1e-9);
    assert_float_equal(pb_stages_target(&s, 0, 60 * S), 500, 1e-9);
    assert_float_equal(pb_stages_target(&s, 0, 120 * S), 1000, 1e-9);
    assert_float_equal(pb_stages_target(&s, 0, 1800 * S), 1000, 1e-9);
    assert_float_equal(pb_stages_target(&s, 0, (3720 + 90) * S), 250, 1e-9);
    assert_float_equal(pb_stages_target(&s, 0, 10000 * S), 0, 1e-9);
    /* the mean over a second is the trapezoid: what the second's arrivals number */
    assert_float_equal(pb_stages_mean(&s, 0, 60 * S, 61 * S), 500 + 1000.0 / 120 / 2, 1e-6);
    /* across a stage boundary: half a second ramping to 1000, half flat */
    assert_float_equal(pb_stages_mean(&s, 0, 119 * S + S / 2, 120 * S + S / 2),
                       (1000 - 1000.0 / 120 / 4) / 2 + 500, 1e-6);
    assert_float_equal(pb_stages_max(&s, 0), 1000, 0);
    /* from --rate 200 the first stage starts there */
    assert_float_equal(pb_stages_target(&s, 200, 60 * S), 600, 1e-9);
    assert_int_equal(pb_stages_parse("1m30s:1.5k", "--stages", &s, &err), 0);
    assert_int_equal(s.stage[0].duration, 90 * S);
    assert_float_equal(s.stage[0].target, 1500, 0);
}

static void bad_stages_are_refused_naming_the_stage(void **state)
{
    static const struct {
        const char *text;
        const char *says;
    } bad[] = {
        {"", "--stages: expected stages DURATION:RATE"},
        {"2m", "--stages stage 1: expected DURATION:RATE such as 2m:1000, got \"2m\""},
        {"2m:100,", "--stages: expected a stage after the last comma"},
        {"2m:100,0s:5", "--stages stage 2: expected a duration above 0"},
        {"2m:100,1x:5", "--stages stage 2: expected a duration with a unit"},
        {"2m:fast", "--stages stage 1: expected a rate per second"},
        {"2m:1e9", "--stages stage 1: expected a rate"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_stages s;
        pb_err err = {0};
        assert_true(pb_stages_parse(bad[i].text, "--stages", &s, &err) < 0);
        if (strstr(err.msg, bad[i].says) == NULL)
            fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].text, err.msg, bad[i].says);
    }
    pb_stages s;
    pb_err err;
    assert_int_equal(pb_stages_parse("1m:0,1m:100", "--stages", &s, &err), 0);
    assert_int_equal(pb_stages_check(&s, 0, "--stages", &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "--stages stage 1: goes from 0 to 0 and would send nothing"));
    assert_int_equal(pb_stages_check(&s, 50, "--stages", &err), 0);
}

/* Workers are the target rounded to the nearest whole one, and the engine's
 * timer fires exactly where that count steps. */
static void workers_step_where_the_target_crosses_half_way(void **state)
{
    pb_stages s;
    pb_err err;
    /* 0 -> 4 over 4 s, 1 s flat, 4 -> 1 over 3 s */
    assert_int_equal(pb_stages_parse("4s:4,1s:4,3s:1", "--stages", &s, &err), 0);
    assert_int_equal(pb_stages_check_workers(&s, "--stages", &err), 0);
    assert_int_equal(pb_stages_workers(&s, 0, 0), 0);
    assert_int_equal(pb_stages_workers(&s, 0, S / 2 - 1), 0);
    assert_int_equal(pb_stages_workers(&s, 0, S / 2), 1); /* 0.5 rounds up */
    assert_int_equal(pb_stages_workers(&s, 0, 2 * S), 2);
    /* rising: the next steps at 0.5 s, 1.5 s, 2.5 s, 3.5 s, then none while flat */
    pb_usec t = 0;
    static const pb_usec up[] = {S / 2, 3 * S / 2, 5 * S / 2, 7 * S / 2};
    for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
        t = pb_stages_next_change(&s, 0, t);
        assert_int_equal(t, up[i]);
        assert_int_equal(pb_stages_workers(&s, 0, t), i + 1);
        assert_int_equal(pb_stages_workers(&s, 0, t - 1), i);
    }
    /* falling from 4 at 5 s by 1 a second: 3 once below 3.5, at 5.5 s and just after */
    t = pb_stages_next_change(&s, 0, t);
    assert_true(t > 5 * S + S / 2 && t <= 5 * S + S / 2 + 1);
    assert_int_equal(pb_stages_workers(&s, 0, t), 3);
    assert_int_equal(pb_stages_workers(&s, 0, t - 1), 4);
    t = pb_stages_next_change(&s, 0, t);
    assert_int_equal(pb_stages_workers(&s, 0, t), 2);
    t = pb_stages_next_change(&s, 0, t);
    assert_int_equal(pb_stages_workers(&s, 0, t), 1);
    assert_true(t < 8 * S);
    /* the last count holds after the ramp */
    assert_int_equal(pb_stages_next_change(&s, 0, t), PB_USEC_NEVER);
    assert_int_equal(pb_stages_workers(&s, 0, 100 * S), 1);
    /* from a start of 2 (--concurrency 2): 2 -> 4 over 4 s passes 2.5 at 1 s */
    assert_int_equal(pb_stages_workers(&s, 2, 0), 2);
    assert_int_equal(pb_stages_next_change(&s, 2, 0), S);
    /* workers are whole */
    assert_int_equal(pb_stages_parse("1m:2.5", "--stages", &s, &err), 0);
    assert_int_equal(pb_stages_check_workers(&s, "--stages", &err), PB_ERANGE);
    assert_non_null(strstr(err.msg, "--stages stage 1: expected a whole number of workers"));
    assert_int_equal(pb_stages_parse("1m:10,1m:200k", "--stages", &s, &err), 0);
    assert_int_equal(pb_stages_check_workers(&s, "--stages", &err), PB_ERANGE);
    assert_non_null(strstr(err.msg, "--stages stage 2:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_ramp_is_linear_between_targets),
        cmocka_unit_test(bad_stages_are_refused_naming_the_stage),
        cmocka_unit_test(workers_step_where_the_target_crosses_half_way),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
