/* `run --stages`: the arrival rate (or, --ramp concurrency, the closed
 * loop's workers) ramps linearly between targets, the target of each second
 * is stored (seconds.ramp_target), and each second follows it after a
 * stage's first second: arrivals within 2 %, requests in flight within the
 * tolerance closed_loop_workers_follow_the_ramp explains. */
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
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "pb_child.h"
#include "scratch_db.h"
#include "selfmon.h"
#include "test_file.h"
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
        "  and r.t_us + r.wait_us >= s.sec * 1000000 and r.t_us + r.wait_us < (s.sec + 1) * "
        "1000000)"
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

/* The report's throughput chart draws the stored target, dashed, titled
 * `title`, on the right axis of workers when `workers`; its data file holds
 * each second's target. */
static void report_draws_the_target(const scratch_db *c, const char *title, bool workers)
{
    char report[192], path[256];
    snprintf(report, sizeof(report), "%s/report", c->dir);
    const char *args[] = {"report", c->db, "-o", report, NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 0);
    pb_child_cleanup(&ch);
    snprintf(path, sizeof(path), "%s/throughput.gp", report);
    char *gp = test_slurp(path, NULL);
    char *line = strstr(gp, title);
    if (line == NULL)
        fail_msg("throughput.gp draws no \"%s\"", title);
    /* the plot item naming it: back to its start */
    while (line > gp && line[-1] != '\n')
        line--;
    assert_non_null(strstr(line, "dashtype"));
    assert_true((strstr(line, "axes x1y2") != NULL &&
                 strstr(line, "axes x1y2") < strstr(line, title)) == workers);
    assert_true((strstr(gp, "set y2label 'workers'") != NULL) == workers);
    free(gp);
    snprintf(path, sizeof(path), "%s/run1.dat", report);
    char *dat = test_slurp(path, NULL);
    assert_non_null(strstr(dat, " target\n")); /* the column, named in the header */
    free(dat);
    test_rmtree(report);
}

static bool within(double v, double target, double tolerance)
{
    return v >= target * (1 - tolerance) && v <= target * (1 + tolerance);
}

static void each_second_follows_the_ramp(void **state)
{
    scratch_db *c = *state;
    /* up from 0 to 400/s over 2 s, 2 s at 400/s, down to 100/s over 2 s */
    const char *args[] = {
        "run",       "--db",      c->db,           "--stages", "2s:400,2s:400,2s:100",
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
     * self-monitoring marks (the run's "generator" line counts it), or could
     * not in the second before, whose late sends land in this one (CI under
     * ASan: 490 sent for 400 after a stall): there a late send is the
     * machine's, and only the schedule is held to the target */
    int checked = 0, saturated = 0;
    double worst = 0;
    static const int judged[] = {1, 3, 5};
    for (size_t k = 0; k < sizeof(judged) / sizeof(judged[0]); k++) {
        const struct ramp_second *r = &sec[judged[k]];
        if (!within((double)r->due, r->target, 0.02))
            fail_msg("second %lld: %lld requests due, target %.1f/s: not within 2 %%",
                     (long long)r->sec, (long long)r->due, r->target);
        if (r->saturated || sec[judged[k] - 1].saturated) {
            saturated++;
            continue;
        }
        if (!within((double)r->sent, r->target, 0.02))
            fail_msg("second %lld: %lld requests sent, target %.1f/s: not within 2 %%",
                     (long long)r->sec, (long long)r->sent, r->target);
        checked++;
        worst = fmax(worst, fabs((double)r->sent / r->target - 1));
    }
    print_message("open loop: %d seconds' sends within 2 %% (worst %.2f %%), %d seconds "
                  "generator-bound or after one held to the schedule only\n",
                  checked, worst * 100, saturated);
    /* the run is the ramp's length */
    char *status = test_db_text(c->db, "select status from runs");
    assert_string_equal(status, "completed");
    free(status);
    assert_int_equal(test_db_int(c->db, "select duration_us from runs") / 1000000, 6);
    report_draws_the_target(c, "title 'target (--stages)'", false);
}

/* One second of a ramp of workers: its target, whether the harness marked it
 * generator-bound, the mean requests in flight over it (each request's
 * overlap with the second, from its actual start to its end: what the server
 * sees, by Little's law), and the mean intended-to-actual wait. */
struct workers_second {
    double target;
    bool saturated;
    double in_flight;
    double max_latency_s; /* the longest request that overlapped it */
};

static void read_workers_second(const char *db_path, int sec, double cpus,
                                struct workers_second *out)
{
    char sql[640];
    snprintf(sql, sizeof(sql),
             "select s.ramp_target, s.cpu_pct, s.loop_lag_us,"
             " (select sum(max(0, min(r.t_us + r.wait_us + r.total_us, %d000000)"
             "  - max(r.t_us + r.wait_us, %d000000))) from requests r),"
             " (select max(r.total_us) from requests r where r.t_us + r.wait_us < %d000000"
             "  and r.t_us + r.wait_us + r.total_us > %d000000)"
             " from seconds s where s.sec = %d",
             sec + 1, sec, sec + 1, sec, sec);
    sqlite3 *db = test_db_open(db_path);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_column_type(st, 0) != SQLITE_NULL);
    out->target = sqlite3_column_double(st, 0);
    out->saturated = sqlite3_column_int64(st, 2) > PB_SELFMON_LAG_LIMIT_US ||
                     sqlite3_column_double(st, 1) >= PB_SELFMON_CPU_LIMIT * cpus * 100.0;
    out->in_flight = sqlite3_column_double(st, 3) / 1e6;
    out->max_latency_s = sqlite3_column_double(st, 4) / 1e6;
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* --ramp concurrency: k6's ramping-vus. The requests in flight follow the
 * workers' target. The tolerance: 2 % below (a worker is idle between its
 * request's end and its next start, the harness's turnaround, which at 20 ms
 * requests may take 0.4 ms), and above, 2 % plus what a fall leaves behind by
 * design: each worker above a falling target finishes the request it has,
 * so each step down in a second adds at most one request's latency of one
 * worker. A second the harness marks generator-bound (its turnaround is
 * then the machine's, not the ramp's) is held to the upper bound only. */
static void closed_loop_workers_follow_the_ramp(void **state)
{
    scratch_db *c = *state;
    /* up from 0 to 16 workers over 2 s, 2 s at 16, down to 4 over 2 s */
    const char *args[] = {"run",
                          "--db",
                          c->db,
                          "--ramp",
                          "concurrency",
                          "--stages",
                          "2s:16,2s:16,2s:4",
                          "--latency",
                          "fixed:20ms",
                          "--quiet",
                          NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 0);
    pb_child_cleanup(&ch);
    double cpus = (double)test_db_int(c->db, "select json_extract(summary_json, '$.harness.cpus') "
                                             "from runs");
    /* the stored targets, workers: the ramp's mean over each second */
    static const double want[] = {4, 12, 16, 16, 13, 7};
    for (int s = 0; s < 6; s++) {
        char sql[96];
        snprintf(sql, sizeof(sql),
                 "select cast(round(ramp_target * 1000) as integer) from seconds where sec = %d",
                 s);
        assert_int_equal(test_db_int(c->db, sql), (int64_t)(want[s] * 1000));
    }
    /* seconds 1, 3, 5: after each stage's first; the steps down in second 5
     * (10 workers at 5 s, 4 at 6 s) */
    static const struct {
        int sec, steps_down;
    } judged[] = {{1, 0}, {3, 0}, {5, 6}};
    double worst = 0;
    int saturated = 0;
    for (size_t k = 0; k < sizeof(judged) / sizeof(judged[0]); k++) {
        struct workers_second w;
        read_workers_second(c->db, judged[k].sec, cpus, &w);
        double low = w.target * 0.98;
        double high = w.target * 1.02 + judged[k].steps_down * w.max_latency_s;
        if (w.in_flight > high)
            fail_msg("second %d: %.3f requests in flight on average, target %.1f workers: above "
                     "%.3f",
                     judged[k].sec, w.in_flight, w.target, high);
        if (w.saturated) {
            saturated++;
            continue;
        }
        if (w.in_flight < low)
            fail_msg("second %d: %.3f requests in flight on average, target %.1f workers: below "
                     "%.3f",
                     judged[k].sec, w.in_flight, w.target, low);
        worst = fmax(worst, fabs(w.in_flight / w.target - 1));
    }
    print_message("closed loop: in flight within tolerance, worst %.2f %% off the target, %d "
                  "generator-bound seconds held to the upper bound only\n",
                  worst * 100, saturated);
    /* a worker let in by the ramp starts when it is let in: no request
     * waited long for its worker (a task would otherwise date from when its
     * worker last went idle, seconds before) */
    assert_true(test_db_int(c->db, "select avg(wait_us) from requests") < 2000);
    /* the workers reached show as the limit, and every ramp ends where it aimed */
    assert_int_equal(test_db_int(c->db, "select max(lim) from seconds"), 16);
    char *status = test_db_text(c->db, "select status from runs");
    assert_string_equal(status, "completed");
    free(status);
    char *ramp = test_db_text(c->db, "select json_extract(config_json, '$.ramp') from runs");
    assert_string_equal(ramp, "concurrency");
    free(ramp);
    report_draws_the_target(c, "title 'target workers (--stages)'", true);
}

/* A ramp of workers needs a pattern with workers, a closed loop and stages. */
static void a_workers_ramp_is_refused_where_it_cannot_hold(void **state)
{
    scratch_db *c = *state;
    static const struct {
        const char *args[12];
        const char *says;
    } bad[] = {
        {{"run", "--db", NULL, "--ramp", "concurrency", "--stages", "2s:4", "--pattern", "adaptive",
          NULL},
         "the adaptive pattern sets its own concurrency"},
        {{"run", "--db", NULL, "--ramp", "concurrency", "--stages", "2s:4", "--rate", "100", NULL},
         "drop --rate"},
        {{"run", "--db", NULL, "--ramp", "concurrency", "--stages", "2s:4.5", NULL},
         "--stages stage 1: expected a whole number of workers"},
        {{"run", "--db", NULL, "--ramp", "concurrency", "--duration", "2s", NULL},
         "--ramp concurrency: expected --stages"},
        {{"run", "--db", NULL, "--ramp", "workers", "--stages", "2s:4", NULL},
         "--ramp: expected rate or concurrency"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *args[12];
        memcpy(args, bad[i].args, sizeof(args));
        args[2] = c->db;
        pb_child ch;
        assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 2);
        if (strstr(ch.err, bad[i].says) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, ch.err, bad[i].says);
        pb_child_cleanup(&ch);
    }
    /* nothing started: no database */
    assert_int_equal(access(c->db, F_OK), -1);
}

/* A run without stages stores no target. */
static void no_stages_no_target(void **state)
{
    scratch_db *c = *state;
    const char *args[] = {"run",    "--db", c->db,     "--duration", "1s",
                          "--rate", "50",   "--quiet", NULL};
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
    assert_non_null(strstr(ch.err, "--stages stage 1: goes from 0 to 0 and would send nothing"));
    pb_child_cleanup(&ch);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(each_second_follows_the_ramp, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(closed_loop_workers_follow_the_ramp, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(a_workers_ramp_is_refused_where_it_cannot_hold,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(no_stages_no_target, scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(stages_and_duration_exclude_each_other, scratch_db_setup,
                                        scratch_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
