/* `run --stages`: the arrival rate ramps linearly between targets, the
 * target of each second is stored (seconds.ramp_target), and each second's
 * arrivals follow it within 2 % after a stage's first second. */
#include <setjmp.h>
#include <signal.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "pb_child.h"
#include "scratch_db.h"
#include "selfmon.h"
#include "test_sql.h"

#define FINISH_MS 60000

/* One second of a ramp as stored: the target the engine recorded, the
 * harness's own figures, and the requests counted by when they were due
 * (t_us, the arrival schedule) and by when they were sent (t_us + wait_us). */
struct ramp_second {
    int64_t sec;
    bool has_target;
    double target;
    bool saturated; /* the harness's self-monitoring marks it generator-bound */
    int64_t due, sent;
};

/* The run's seconds, at most `cap`; returns how many. A second is marked
 * saturated by the rule the summary's "generator" line applies (selfmon.h):
 * loop lag p99 over PB_SELFMON_LAG_LIMIT_US, or CPU at PB_SELFMON_CPU_LIMIT
 * of the CPUs the harness counted. */
static size_t read_seconds(const char *db_path, struct ramp_second *out, size_t cap)
{
    sqlite3 *db = test_db_open(db_path);
    double cpus = (double)test_sql_int(db, "select json_extract(summary_json, '$.harness.cpus') "
                                           "from runs");
    assert_true(cpus >= 1);
    sqlite3_stmt *st;
    const char *sql =
        "select s.sec, s.ramp_target, s.cpu_pct, s.loop_lag_us,"
        " (select count(*) from requests r where r.run_id = s.run_id and r.t_us >= s.sec * 1000000"
        "  and r.t_us < (s.sec + 1) * 1000000),"
        " (select count(*) from requests r where r.run_id = s.run_id"
        "  and r.t_us + r.wait_us >= s.sec * 1000000 and r.t_us + r.wait_us < (s.sec + 1) * 1000000)"
        " from seconds s order by s.sec";
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    size_t n = 0;
    while (n < cap && sqlite3_step(st) == SQLITE_ROW) {
        struct ramp_second *r = &out[n++];
        r->sec = sqlite3_column_int64(st, 0);
        r->has_target = sqlite3_column_type(st, 1) != SQLITE_NULL;
        r->target = sqlite3_column_double(st, 1);
        r->saturated = sqlite3_column_int64(st, 3) > PB_SELFMON_LAG_LIMIT_US ||
                       sqlite3_column_double(st, 2) >= PB_SELFMON_CPU_LIMIT * cpus * 100.0;
        r->due = sqlite3_column_int64(st, 4);
        r->sent = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static bool within(double v, double target, double tolerance)
{
    return v >= target * (1 - tolerance) && v <= target * (1 + tolerance);
}

static void each_second_follows_the_ramp(void **state)
{
    scratch_db *c = *state;
    /* up from 0 to 400/s over 2 s, 2 s at 400/s, down to 100/s over 2 s */
    const char *args[] = {"run",       "--db",      c->db,           "--stages", "2s:400,2s:400,2s:100",
                          "--latency", "fixed:1ms", "--concurrency", "50",       "--quiet",
                          NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 0);
    pb_child_cleanup(&ch);
    /* the stored target is the ramp's mean over each second */
    static const double want[] = {100, 300, 400, 400, 325, 175};
    struct ramp_second sec[16];
    size_t n = read_seconds(c->db, sec, 16);
    assert_true(n >= 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(sec[i].sec, (int64_t)i);
        assert_true(sec[i].has_target);
        assert_float_equal(sec[i].target, want[i], 1e-6);
    }
    /* past the ramp (the drain's sliver of a second) there is no target */
    for (size_t i = 6; i < n; i++)
        assert_false(sec[i].has_target);
    /* after each stage's first second, the requests due in a second (the
     * arrival schedule) are the target within 2 %; so are those sent in it,
     * unless the harness itself could not keep up in that second, which its
     * self-monitoring marks (the run's "generator" line counts it): there a
     * late send is the machine's, and only the schedule is held to the target */
    int checked = 0, saturated = 0;
    double worst = 0;
    static const int judged[] = {1, 3, 5};
    for (size_t k = 0; k < sizeof(judged) / sizeof(judged[0]); k++) {
        const struct ramp_second *r = &sec[judged[k]];
        if (!within((double)r->due, r->target, 0.02))
            fail_msg("second %lld: %lld requests due, target %.1f/s: not within 2 %%",
                     (long long)r->sec, (long long)r->due, r->target);
        if (r->saturated) {
            saturated++;
            continue;
        }
        if (!within((double)r->sent, r->target, 0.02))
            fail_msg("second %lld: %lld requests sent, target %.1f/s: not within 2 %%",
                     (long long)r->sec, (long long)r->sent, r->target);
        checked++;
        worst = fmax(worst, fabs((double)r->sent / r->target - 1));
    }
    print_message("open loop: %d seconds' sends within 2 %% (worst %.2f %%), %d generator-bound "
                  "seconds held to the schedule only\n",
                  checked, worst * 100, saturated);
    /* the run is the ramp's length */
    char *status = test_db_text(c->db, "select status from runs");
    assert_string_equal(status, "completed");
    free(status);
    assert_int_equal(test_db_int(c->db, "select duration_us from runs") / 1000000, 6);
}

/* A run without stages stores no target. */
static void no_stages_no_target(void **state)
{
    scratch_db *c = *state;
    const char *args[] = {"run", "--db", c->db, "--duration", "1s", "--rate", "50", "--quiet", NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 0);
    pb_child_cleanup(&ch);
    assert_true(test_db_int(c->db, "select count(*) from seconds") > 0);
    assert_int_equal(test_db_int(c->db, "select count(ramp_target) from seconds"), 0);
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
        cmocka_unit_test_setup_teardown(no_stages_no_target, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(stages_and_duration_exclude_each_other, scratch_db_setup,
                                        scratch_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
