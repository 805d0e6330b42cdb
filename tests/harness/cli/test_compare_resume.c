/* compare --resume: a comparison killed with SIGKILL during its first entry
 * goes on: that run as run --resume continues a run (same id, the time it was
 * down a gap), then the entry that had not started, then the compare ends
 * with its table; comparisons that cannot go on are refused with the reason. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "pb_child.h"
#include "test_kill.h"
#include "test_file.h"
#include "test_sql.h"

/* How long a command given here may take to end once started. */
#define FINISH_MS 90000
/* Each entry runs 24 s of schedule at time scale 4: 6 s; the mock's `slow`
 * phase begins at 16 s of schedule, 4 s of run time. */
#define DURATION_S 6
#define SLOW_AT_S 4

static struct fixture {
    char dir[64];
    char db[128], scenario[128];
    char *out; /* compare --resume's stdout */
} fx;

static int64_t q(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t q(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return test_db_int(fx.db, sql);
}

/* The compare runs until its first run's rows reach 2 s of run time, then
 * gets SIGKILL; then compare --resume finishes it. */
static int setup(void **state)
{
    (void)state;
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/pb-test-compare-resume.XXXXXX");
    assert_non_null(mkdtemp(fx.dir));
    snprintf(fx.db, sizeof(fx.db), "%s/killed.db", fx.dir);
    snprintf(fx.scenario, sizeof(fx.scenario), "%s/two.json", fx.dir);
    FILE *f = fopen(fx.scenario, "w");
    assert_non_null(f);
    fprintf(f, "{\"title\": \"two entries\", \"seed\": 7, \"duration\": \"%ds\", \"mock\": "
               "{\"latency\": \"fixed:2ms\", \"phases\": [{\"at\": \"%ds\", \"name\": \"slow\", "
               "\"latency\": \"fixed:3ms\"}]}, \"load\": {\"closed\": {\"concurrency\": 4}}, "
               "\"patterns\": [{\"pattern\": \"queue\", \"label\": \"first-queue\"}, "
               "{\"pattern\": \"semaphore\", \"label\": \"second-semaphore\"}]}\n",
            DURATION_S * 4, SLOW_AT_S * 4);
    assert_int_equal(fclose(f), 0);

    const char *args[] = {"compare", fx.scenario, "--time-scale", "4", "--db", fx.db, "--quiet",
                          NULL};
    pb_child ch;
    pb_child_spawn(&ch, args, NULL);
    test_kill_once_stored(&ch, fx.db, 2000000);
    pb_child_cleanup(&ch);
    /* killed during the first entry: one run, going on, and the compare too */
    assert_int_equal(q("SELECT count(*) FROM runs"), 1);
    char *status = test_db_text(fx.db, "SELECT status FROM runs");
    assert_string_equal(status, "running");
    free(status);
    status = test_db_text(fx.db, "SELECT status FROM compares");
    assert_string_equal(status, "running");
    free(status);

    /* the process stays down for 2 s, so that the resumed run has a gap to
     * leave out (this waits for time to pass, not for an event) */
    struct timespec down = {.tv_sec = 2};
    while (nanosleep(&down, &down) != 0)
        ;
    const char *resume[] = {"compare", "--resume", fx.db, "--quiet", NULL};
    if (pb_child_run(&ch, resume, NULL, FINISH_MS) != 0)
        fail_msg("compare --resume: %s", ch.err);
    fx.out = strdup(ch.out != NULL ? ch.out : "");
    assert_non_null(fx.out);
    pb_child_cleanup(&ch);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(fx.out);
    test_rmtree(fx.dir);
    return 0;
}

/* The killed run goes on as the same run: one `resume` event, no seconds in
 * the gap, and its configured (scaled) duration of schedule recorded. */
static void the_killed_run_goes_on(void **state)
{
    (void)state;
    char *status = test_db_text(fx.db, "SELECT status FROM runs WHERE id = 1");
    assert_string_equal(status, "completed");
    free(status);
    assert_int_equal(q("SELECT count(*) FROM events WHERE run_id = 1 AND kind = 'resume'"), 1);
    int64_t last_sec = q("SELECT from_val FROM events WHERE run_id = 1 AND kind = 'resume'");
    int64_t run_sec = q("SELECT to_val FROM events WHERE run_id = 1 AND kind = 'resume'");
    int64_t gap_s =
        q("SELECT CAST(value AS INTEGER) FROM events WHERE run_id = 1 AND kind = 'resume'");
    assert_true(gap_s >= 2);
    assert_int_equal(run_sec, last_sec + 1 + gap_s);
    assert_int_equal(
        q("SELECT count(*) FROM seconds WHERE run_id = 1 AND sec > %lld AND sec < %lld",
          (long long)last_sec, (long long)run_sec),
        0);
    /* the seconds recorded: the duration, the gap left out (and maybe a
     * partial last second of the drain) */
    int64_t secs = q("SELECT count(*) FROM seconds WHERE run_id = 1");
    int64_t top = q("SELECT max(sec) FROM seconds WHERE run_id = 1");
    assert_int_equal(secs, top + 1 - gap_s);
    assert_true(secs == DURATION_S || secs == DURATION_S + 1);
    /* it ends in run time after the gap and what was left of the schedule;
     * its summary's length (what its rates are per) is the schedule's */
    int64_t end_us = q("SELECT duration_us FROM runs WHERE id = 1");
    int64_t end_want = (DURATION_S + gap_s) * 1000000LL;
    assert_true(end_us >= end_want && end_us < end_want + 1000000LL);
    int64_t summary_ms = q("SELECT CAST(json_extract(summary_json, '$.duration_s') * 1000 AS "
                           "INTEGER) FROM runs WHERE id = 1");
    assert_true(summary_ms >= DURATION_S * 1000LL && summary_ms < (DURATION_S + 1) * 1000LL);
    /* the mock's phases were the scaled ones, going on after the gap (or
     * before it, when the killed process had got that far under load) */
    assert_int_equal(q("SELECT count(*) FROM events WHERE run_id = 1 AND kind = 'phase' AND "
                       "to_val = 1"),
                     1);
    int64_t slow_at = SLOW_AT_S + (last_sec < SLOW_AT_S ? gap_s : 0);
    assert_int_equal(q("SELECT t_us FROM events WHERE run_id = 1 AND kind = 'phase' AND to_val = 1"),
                     slow_at * 1000000LL);
}

/* The entry that had not started runs whole, as the compare would have run
 * it (scaled by the stored time scale), and the compare ends completed. */
static void the_next_entry_runs_and_the_compare_ends(void **state)
{
    (void)state;
    assert_int_equal(q("SELECT count(*) FROM runs WHERE compare_id = 1"), 2);
    char *label = test_db_text(fx.db, "SELECT label FROM runs WHERE id = 2");
    assert_string_equal(label, "second-semaphore");
    free(label);
    char *status = test_db_text(fx.db, "SELECT status FROM runs WHERE id = 2");
    assert_string_equal(status, "completed");
    free(status);
    assert_int_equal(q("SELECT count(*) FROM events WHERE run_id = 2 AND kind = 'resume'"), 0);
    int64_t duration = q("SELECT duration_us FROM runs WHERE id = 2");
    assert_true(duration >= DURATION_S * 1000000LL && duration < (DURATION_S + 1) * 1000000LL);
    assert_int_equal(q("SELECT t_us FROM events WHERE run_id = 2 AND kind = 'phase' AND to_val = 1"),
                     SLOW_AT_S * 1000000LL);
    status = test_db_text(fx.db, "SELECT status FROM compares WHERE id = 1");
    assert_string_equal(status, "completed");
    free(status);
}

/* The comparison's table and scoreboard are printed, both runs in them. */
static void the_table_is_printed(void **state)
{
    (void)state;
    assert_non_null(strstr(fx.out, "two entries (seed 7, compare 1)"));
    const char *row1 = strstr(fx.out, "\nfirst-queue ");
    const char *row2 = strstr(fx.out, "\nsecond-semaphore ");
    assert_non_null(row1);
    assert_non_null(row2);
    assert_true(row1 < row2);
    assert_non_null(strstr(row1, "completed"));
    assert_non_null(strstr(fx.out, "whole run"));
}

/* The refusals: exit 2 naming the file and the compare, the file as it was. */
static void ended_missing_and_foreign_are_refused(void **state)
{
    (void)state;
    int64_t rows = q("SELECT count(*) FROM requests");
    pb_child ch;
    const char *done[] = {"compare", "--resume", fx.db, NULL};
    assert_int_equal(pb_child_run(&ch, done, NULL, FINISH_MS), 2);
    assert_non_null(strstr(ch.err, fx.db));
    assert_non_null(strstr(ch.err, "compare 1 completed"));
    pb_child_cleanup(&ch);

    char missing[160];
    snprintf(missing, sizeof(missing), "%s:9", fx.db);
    const char *none[] = {"compare", "--resume", missing, NULL};
    assert_int_equal(pb_child_run(&ch, none, NULL, FINISH_MS), 2);
    assert_non_null(strstr(ch.err, fx.db));
    assert_non_null(strstr(ch.err, "9"));
    pb_child_cleanup(&ch);

    /* not a database: the scenario file */
    const char *foreign[] = {"compare", "--resume", fx.scenario, NULL};
    assert_int_equal(pb_child_run(&ch, foreign, NULL, FINISH_MS), 2);
    assert_non_null(strstr(ch.err, fx.scenario));
    pb_child_cleanup(&ch);

    /* an option that would change the runs */
    const char *changed[] = {"compare", "--resume", fx.db, "--trials", "2", NULL};
    assert_int_equal(pb_child_run(&ch, changed, NULL, FINISH_MS), 2);
    assert_non_null(strstr(ch.err, "--trials"));
    pb_child_cleanup(&ch);

    assert_int_equal(q("SELECT count(*) FROM runs"), 2);
    assert_int_equal(q("SELECT count(*) FROM requests"), rows);
    char *status = test_db_text(fx.db, "SELECT status FROM compares WHERE id = 1");
    assert_string_equal(status, "completed");
    free(status);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_killed_run_goes_on),
        cmocka_unit_test(the_next_entry_runs_and_the_compare_ends),
        cmocka_unit_test(the_table_is_printed),
        cmocka_unit_test(ended_missing_and_foreign_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
