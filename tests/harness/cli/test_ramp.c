/* `run --stages`: the arrival rate ramps linearly between targets, and each
 * second's arrivals follow the target within 2 % after a stage's first second. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pb_child.h"
#include "scratch_db.h"
#include "test_sql.h"

#define FINISH_MS 60000

static void each_second_follows_the_ramp(void **state)
{
    scratch_db *c = *state;
    /* up from 0 to 400/s over 2 s, 3 s at 400/s, down to 100/s over 2 s, 1 s at 100/s */
    const char *args[] = {
        "run",       "--db",      c->db,           "--stages", "2s:400,3s:400,2s:100,1s:100",
        "--latency", "fixed:1ms", "--concurrency", "50",       "--quiet",
        NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 0);
    pb_child_cleanup(&ch);
    /* the seconds after each stage's first: their mean targets */
    static const struct {
        int second;
        double target;
    } want[] = {{1, 300}, {3, 400}, {4, 400}, {6, 175}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char sql[160];
        /* by intended start: the arrival schedule, whatever the server did */
        snprintf(sql, sizeof(sql), "select count(*) from requests where t_us >= %d and t_us < %d",
                 want[i].second * 1000000, (want[i].second + 1) * 1000000);
        int64_t n = test_db_int(c->db, sql);
        if (n < want[i].target * 0.98 || n > want[i].target * 1.02)
            fail_msg("second %d: %lld arrivals, expected %.0f within 2 %%", want[i].second,
                     (long long)n, want[i].target);
    }
    /* the run is the ramp's length */
    char *status = test_db_text(c->db, "select status from runs");
    assert_string_equal(status, "completed");
    free(status);
    assert_int_equal(test_db_int(c->db, "select duration_us from runs") / 1000000, 8);
}

static void stages_and_duration_exclude_each_other(void **state)
{
    scratch_db *c = *state;
    const char *args[] = {"run", "--db", c->db, "--stages", "2s:100", "--duration", "5s", NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 2);
    assert_non_null(strstr(ch.err, "--stages sets the run's length"));
    pb_child_cleanup(&ch);
    const char *zero[] = {"run", "--db", c->db, "--stages", "2s:0", NULL};
    assert_int_equal(pb_child_run(&ch, zero, NULL, FINISH_MS), 2);
    assert_non_null(strstr(ch.err, "--stages stage 1: goes from 0 to 0 per second"));
    pb_child_cleanup(&ch);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(each_second_follows_the_ramp, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(stages_and_duration_exclude_each_other, scratch_db_setup,
                                        scratch_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
