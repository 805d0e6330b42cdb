/* The scoreboard's statistics and words on inputs made by hand: a clear
 * winner, a tie, one trial, shares at the edges, and the figures printed at
 * three significant figures. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scoreboard.h"

/* One span (the whole run) of `seconds`; tasks, ok and cp99 per trial. */
static pb_score_input input(double tasks, double ok, double cp99_ms)
{
    pb_score_input x = {.present = true,
                        .start_s = 0,
                        .end_s = 10,
                        .seconds = 10,
                        .tasks = tasks,
                        .ok = ok,
                        .attempts = tasks,
                        .network = tasks,
                        .p99_ms = cp99_ms / 2,
                        .cp99_ms = cp99_ms};
    x.outcomes[PB_OUTCOME_OK] = ok;
    x.outcomes[PB_OUTCOME_HTTP_ERROR] = tasks - ok;
    return x;
}

static pb_scoreboard *build(const pb_score_input *in, size_t arms, size_t trials)
{
    static const char *const labels[] = {"a", "b", "c"};
    pb_scoreboard *sb = NULL;
    pb_err err;
    assert_int_equal(pb_scoreboard_build(in, arms, trials, 1, labels, NULL, &sb, &err), 0);
    return sb;
}

static void a_clear_lead_names_a_winner(void **state)
{
    /* a serves 900 of 1000 in every trial (give or take), b 500 */
    pb_score_input in[] = {input(1000, 900, 10), input(1000, 905, 11), input(1000, 895, 9),
                           input(1000, 500, 30), input(1000, 510, 31), input(1000, 490, 29)};
    pb_scoreboard *sb = build(in, 2, 3);
    const pb_score_verdict *v = pb_scoreboard_verdict(sb, 0, PB_SCORE_GOODPUT);
    assert_int_equal(v->best, 0);
    assert_false(v->tie);
    assert_true(v->diff.lo > 0);
    char buf[256];
    assert_string_equal(pb_score_verdict_text(sb, v, buf, sizeof(buf)), "a");
    assert_int_equal(pb_scoreboard_verdict(sb, 0, PB_SCORE_UNSERVED)->best, 0);
    assert_int_equal(pb_scoreboard_verdict(sb, 0, PB_SCORE_CP99)->best, 0);
    /* the mean and its interval: 90 ok/s */
    const pb_score_cell *c = pb_scoreboard_cell(sb, 0, 0);
    assert_string_equal(pb_score_text(c, PB_SCORE_GOODPUT, buf, sizeof(buf)), "90.0 [88.8, 91.2]");
    pb_scoreboard_destroy(sb);
}

static void overlapping_arms_are_a_tie(void **state)
{
    pb_score_input in[] = {input(1000, 900, 10), input(1000, 800, 20), input(1000, 850, 15),
                           input(1000, 860, 14), input(1000, 840, 16), input(1000, 850, 15)};
    pb_scoreboard *sb = build(in, 2, 3);
    const pb_score_verdict *v = pb_scoreboard_verdict(sb, 0, PB_SCORE_GOODPUT);
    assert_true(v->tie);
    assert_true(v->diff.lo <= 0 && v->diff.hi >= 0);
    char buf[256];
    assert_string_equal(pb_score_verdict_text(sb, v, buf, sizeof(buf)), "tie: a, b");
    pb_scoreboard_destroy(sb);
}

static void one_trial_is_the_best_of_one_trial(void **state)
{
    pb_score_input in[] = {input(1000, 900, 10), input(1000, 500, 30)};
    pb_scoreboard *sb = build(in, 2, 1);
    const pb_score_verdict *v = pb_scoreboard_verdict(sb, 0, PB_SCORE_GOODPUT);
    assert_true(v->one_trial);
    char buf[256];
    assert_string_equal(pb_score_verdict_text(sb, v, buf, sizeof(buf)),
                        "a (best of one trial, no interval)");
    pb_scoreboard_destroy(sb);
}

static void shares_stay_within_0_to_100(void **state)
{
    /* trials that disagree wildly, and arms that serve all or nothing */
    pb_score_input in[] = {input(10, 10, 1),   input(10, 0, 1),    input(10, 5, 1),
                           input(100, 100, 1), input(100, 100, 1), input(100, 100, 1),
                           input(100, 0, NAN), input(100, 0, NAN), input(100, 0, NAN)};
    pb_scoreboard *sb = build(in, 3, 3);
    for (size_t a = 0; a < 3; a++) {
        const pb_ci *ci = &pb_scoreboard_cell(sb, 0, a)->ci[PB_SCORE_UNSERVED];
        assert_true(ci->lo >= 0.0 && ci->hi <= 1.0 && ci->lo <= ci->mean && ci->mean <= ci->hi);
    }
    /* no answer, no corrected p99: c is not ranked on it */
    assert_false(pb_scoreboard_cell(sb, 0, 2)->has[PB_SCORE_CP99]);
    char buf[64];
    assert_string_equal(
        pb_score_text(pb_scoreboard_cell(sb, 0, 2), PB_SCORE_CP99, buf, sizeof(buf)), "-");
    pb_scoreboard_destroy(sb);
}

static void three_significant_figures(void **state)
{
    char buf[32];
    assert_string_equal(pb_score_sig3(0.97964, buf, sizeof(buf)), "0.980");
    assert_string_equal(pb_score_sig3(20.58, buf, sizeof(buf)), "20.6");
    assert_string_equal(pb_score_sig3(1876.4, buf, sizeof(buf)), "1876");
    assert_string_equal(pb_score_sig3(0.001234, buf, sizeof(buf)), "0.00123");
    assert_string_equal(pb_score_sig3(5, buf, sizeof(buf)), "5.00");
    assert_string_equal(pb_score_sig3(0, buf, sizeof(buf)), "0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_clear_lead_names_a_winner),
        cmocka_unit_test(overlapping_arms_are_a_tie),
        cmocka_unit_test(one_trial_is_the_best_of_one_trial),
        cmocka_unit_test(shares_stay_within_0_to_100),
        cmocka_unit_test(three_significant_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
