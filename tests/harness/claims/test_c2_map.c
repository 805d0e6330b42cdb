/* C2's condition map: the expectation 1 - (1 - p)^(n - 1), where it reaches
 * the sheet's 94 %, how a cell sits against 94 %, and the verdict. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "c2_map.h"

static void the_expectation_is_independence(void **state)
{
    /* one task alone can lose nothing; two tasks lose the other at rate p */
    assert_true(pb_c2_expected(0.01, 1) == 0.0);
    assert_true(fabs(pb_c2_expected(0.01, 2) - 0.01) < 1e-12);
    /* the grid's corners */
    assert_true(fabs(pb_c2_expected(0.001, 10) - 0.008964) < 1e-5);
    assert_true(fabs(pb_c2_expected(0.01, 100) - 0.630280) < 1e-5);
    assert_true(fabs(pb_c2_expected(0.05, 1000) - 1.0) < 1e-9);
    /* 94 % at n = 1 + ln 0.06 / ln(1 - p): about 281 batches at 1 % */
    double n = pb_c2_batch_for(0.01, 0.94);
    assert_true(fabs(n - 280.93) < 0.01);
    assert_true(fabs(pb_c2_expected(0.01, 281) - 0.94) < 0.001);
    assert_true(fabs(pb_c2_batch_for(0.05, 0.94) - 55.85) < 0.01);
}

static void a_cell_sits_against_94(void **state)
{
    pb_c2_cell c = {.p = 0.01, .batch = 281};
    pb_c2_cell_add(&c, 1000, 10, 990, 930);
    pb_c2_cell_add(&c, 1000, 10, 990, 950);
    pb_c2_cell_finish(&c);
    assert_true(c.ready);
    assert_true(fabs(c.ci.mean - 0.94) < 1e-9);
    assert_int_equal(c.versus_sheet, 2); /* holds it, but two trials leave it wide */
    pb_c2_cell_add(&c, 1000, 10, 990, 940);
    pb_c2_cell_add(&c, 1000, 10, 990, 940);
    pb_c2_cell_finish(&c);
    assert_int_equal(c.versus_sheet, 0);
    assert_int_equal(c.lost, 4 * 990);
    pb_c2_cell low = {.p = 0.001, .batch = 10};
    pb_c2_cell_add(&low, 1000, 1, 9, 9);
    pb_c2_cell_add(&low, 1000, 1, 9, 8);
    pb_c2_cell_finish(&low);
    assert_int_equal(low.versus_sheet, -1);
    assert_true(fabs(low.expected - 0.008964) < 1e-5);
}

/* Trials that disagree wildly (0 %, 100 %, 100 %): mean +- t * sd would read
 * 66.7 +- 143 %; a share's interval stays within 0..100 %. */
static void c2_intervals_never_leave_0_to_100(void **state)
{
    pb_c2_cell c = {.p = 0.05, .batch = 10};
    pb_c2_cell_add(&c, 10, 1, 0, 0);
    pb_c2_cell_add(&c, 10, 1, 10, 10);
    pb_c2_cell_add(&c, 10, 1, 10, 10);
    pb_c2_cell_finish(&c);
    assert_true(c.ready);
    assert_true(c.ci.lo >= 0.0 && c.ci.hi <= 1.0);
    assert_true(c.ci.lo <= c.ci.mean && c.ci.mean <= c.ci.hi);
    assert_int_equal(c.versus_sheet, 2); /* holds 94 %, far too wide to say */
    pb_c2_cell all = {.p = 0.05, .batch = 1000};
    pb_c2_cell_add(&all, 500, 30, 500, 500);
    pb_c2_cell_add(&all, 480, 30, 480, 480);
    pb_c2_cell_finish(&all);
    assert_true(all.ci.hi <= 1.0 && all.ci.lo > 0.99);
    pb_c2_cell none = {.p = 0.001, .batch = 10};
    pb_c2_cell_add(&none, 1000, 0, 0, 0);
    pb_c2_cell_add(&none, 1000, 0, 0, 0);
    pb_c2_cell_finish(&none);
    assert_true(none.ci.lo == 0.0 && none.ci.hi < 0.01);
    assert_int_equal(none.versus_sheet, -1);
}

static void whole_batches_only(void **state)
{
    assert_int_equal(pb_c2_tasks(10, 2000), 2000);
    assert_int_equal(pb_c2_tasks(100, 2050), 2100);
    assert_int_equal(pb_c2_tasks(1000, 200), 3000); /* at least 3 batches */
}

static void the_verdict_names_where_94_holds(void **state)
{
    static pb_c2_map m;
    pb_c2_map_init(&m);
    char word[96], reason[1024];
    pb_c2_verdict(&m, word, sizeof(word), reason, sizeof(reason));
    assert_string_equal(word, "not measured");
    /* every cell at its expectation exactly, twice */
    for (size_t i = 0; i < PB_C2_RATES; i++)
        for (size_t j = 0; j < PB_C2_BATCHES; j++) {
            pb_c2_cell *c = &m.cell[i][j];
            uint64_t cascaded = (uint64_t)llround(1e6 * pb_c2_expected(c->p, c->batch));
            pb_c2_cell_add(c, 1000000, 0, cascaded, cascaded);
            pb_c2_cell_add(c, 1000000, 0, cascaded, cascaded);
            pb_c2_cell_finish(c);
        }
    pb_c2_cell_add(&m.control, 990, 10, 0, 0);
    pb_c2_cell_add(&m.control, 990, 10, 0, 0);
    pb_c2_cell_finish(&m.control);
    pb_c2_verdict(&m, word, sizeof(word), reason, sizeof(reason));
    /* no cell of the grid is at 94 %: 5 % x 100 is 99.4 %, 1 % x 100 63 % */
    assert_string_equal(word, "not reproduced at any tested condition");
    assert_non_null(strstr(reason, "1 % x 100 (63.0 [63.0, 63.1] %)"));
    assert_non_null(strstr(reason, "5 % x 100 (99.4 [99.4, 99.4] %)"));
    assert_non_null(strstr(reason, "isolate lost none of 2000 results"));
    /* and where it would hold */
    assert_non_null(strstr(reason, "Where it would hold: independence puts a 94 % cascade at "
                                   "batches of 2813 (0.1 % errors), 281 (1 %), 56 (5 %)"));
    /* one cell moved onto 94 %: reproduced there only */
    pb_c2_cell *c = &m.cell[1][1];
    memset(c->cascade, 0, sizeof(c->cascade));
    c->n = 0;
    pb_c2_cell_add(c, 100000, 0, 94000, 94000);
    pb_c2_cell_add(c, 100000, 0, 94000, 94000);
    pb_c2_cell_finish(c);
    pb_c2_verdict(&m, word, sizeof(word), reason, sizeof(reason));
    assert_string_equal(word, "reproduced only when 1 - (1 - p)^(n - 1) is near 94 %");
    assert_non_null(strstr(reason, "at: 1 % x 100 (94.0 [93.9, 94.1] %);"));
    /* an isolate that lost something contradicts the model itself */
    m.control.lost = 1;
    pb_c2_verdict(&m, word, sizeof(word), reason, sizeof(reason));
    assert_string_equal(word, "contradicted");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_expectation_is_independence),
        cmocka_unit_test(a_cell_sits_against_94),
        cmocka_unit_test(whole_batches_only),
        cmocka_unit_test(c2_intervals_never_leave_0_to_100),
        cmocka_unit_test(the_verdict_names_where_94_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
