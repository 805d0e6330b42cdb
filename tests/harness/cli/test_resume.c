/* run --resume: a run killed with SIGKILL goes on as the same run, its
 * schedule, the mock's phases and its task numbers where they were, the time
 * it was down a gap; runs that cannot go on are refused with the reason. */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
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
#include <jansson.h>
#include <sqlite3.h>

#include "pb_child.h"
#include "test_file.h"
#include "test_kill.h"
#include "test_sql.h"

/* How long a run given here may take to end once started. */
#define FINISH_MS 60000
/* The runs' length and their load: a fixed latency and a seeded 30 % of 503s,
 * the same in every phase, so that a task's outcome is its number's draw. */
#define DURATION_S 8
#define CONCURRENCY 4
#define SLOW_AT_S 5

static struct fixture {
    char dir[64];
    char killed[128], reference[128], profile[128];
    int64_t first_task, last_sec, run_sec, gap_s; /* the resume event's */
    /* the resumed process's live page (/page.json?whole=1) once it showed a
     * second after the gap: the whole run's first point, how many points of
     * one second each led up to the gap, and the times the gap is between */
    double live_first_start, live_first_end;
    size_t live_before;
    double live_gap_from, live_gap_to;
} fx;

static int64_t q(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t q(const char *db, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return test_db_int(db, sql);
}

static void run_args(const char *db, const char **args, size_t cap, const char *last)
{
    const char *a[] = {"run", "--pattern", "queue", "--concurrency", "4",        "--duration",
                       "8s",  "--seed",    "7",     "--profile",     fx.profile, "--db",
                       db,    last,        NULL};
    assert_true(sizeof(a) / sizeof(a[0]) <= cap);
    memcpy(args, a, sizeof(a));
}

/* Whether the whole-run points of a /page.json text show a gap with a point
 * after it; if so the fixture's live_* hold what they show. */
static bool live_gap_shown(const char *text)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (root == NULL)
        fail_msg("/page.json is not JSON (%s): %s", jerr.text, text);
    const json_t *whole = json_object_get(root, "whole");
    assert_true(json_is_array(whole));
    bool gap = false;
    double was = 0;
    for (size_t i = 0; i < json_array_size(whole) && !gap; i++) {
        const json_t *p = json_array_get(whole, i);
        double end = json_number_value(json_array_get(p, 0));
        double start = end - json_number_value(json_array_get(p, 1));
        if (i == 0) {
            fx.live_first_start = start;
            fx.live_first_end = end;
        } else if (start > was + 0.5) {
            fx.live_before = i;
            fx.live_gap_from = was;
            fx.live_gap_to = start;
            gap = true;
        }
        was = end;
    }
    json_decref(root);
    return gap;
}

/* While the resumed run goes on, poll its live page (bounded: 600 polls of
 * at most 100 ms each between) until the whole run's series shows a second
 * after the gap. */
static void watch_live_page(pb_child *ch)
{
    pb_child_await(ch, PB_CHILD_ERR, "/metrics\n", 1, FINISH_MS);
    const char *at = strstr(ch->err, "live metrics at http://");
    assert_non_null(at);
    unsigned port = 0;
    assert_int_equal(sscanf(at, "live metrics at http://127.0.0.1:%u/metrics", &port), 1);
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/page.json?whole=1", port);
    const char *get[] = {"-s", "--max-time", "5", url, NULL};
    for (int i = 0; i < 600; i++) {
        pb_child page;
        int rc = pb_child_run(&page, get, &(pb_child_options){.program = "/usr/bin/curl"}, 10000);
        if (rc != 0)
            fail_msg("GET %s: curl exit %d: %s", url, rc, page.err);
        bool shown = live_gap_shown(page.out);
        pb_child_cleanup(&page);
        if (shown)
            return;
        if (!pb_child_pump(ch, 100))
            fail_msg("run --resume ended before its live page showed a second after the gap: %s",
                     ch->err);
    }
    fail_msg("the live page at %s showed no second after the gap in 600 polls", url);
}

/* The run to be killed runs until its database holds rows of 3 s of run
 * time, then gets SIGKILL; the reference runs whole; then the killed one is
 * resumed. The reference runs in between, so the gap is some seconds long. */
static int setup(void **state)
{
    (void)state;
    snprintf(fx.dir, sizeof(fx.dir), "/tmp/pb-test-resume.XXXXXX");
    assert_non_null(mkdtemp(fx.dir));
    snprintf(fx.killed, sizeof(fx.killed), "%s/killed.db", fx.dir);
    snprintf(fx.reference, sizeof(fx.reference), "%s/reference.db", fx.dir);
    snprintf(fx.profile, sizeof(fx.profile), "%s/profile.json", fx.dir);
    FILE *f = fopen(fx.profile, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"latency\": \"fixed:2ms\", \"errors\": \"503:0.3\", \"phases\": [{\"at\": "
            "\"%ds\", \"name\": \"slow\", \"latency\": \"fixed:3ms\"}]}\n",
            SLOW_AT_S);
    assert_int_equal(fclose(f), 0);

    const char *args[16];
    run_args(fx.killed, args, 16, "--quiet");
    pb_child ch;
    pb_child_spawn(&ch, args, NULL);
    test_kill_once_stored(&ch, fx.killed, 3000000);
    pb_child_cleanup(&ch);
    char *status = test_db_text(fx.killed, "SELECT status FROM runs");
    assert_string_equal(status, "running");
    free(status);

    run_args(fx.reference, args, 16, "--quiet");
    assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 0);
    pb_child_cleanup(&ch);

    const char *resume[] = {"run",       "--resume",    fx.killed, "--quiet",
                            "--metrics", "127.0.0.1:0", NULL};
    pb_child_spawn(&ch, resume, NULL);
    watch_live_page(&ch);
    pb_child_finish(&ch, FINISH_MS);
    if (pb_child_exit_code(&ch) != 0)
        fail_msg("run --resume: %s", ch.err);
    pb_child_cleanup(&ch);
    fx.last_sec = q(fx.killed, "SELECT from_val FROM events WHERE kind = 'resume'");
    fx.run_sec = q(fx.killed, "SELECT to_val FROM events WHERE kind = 'resume'");
    fx.gap_s = q(fx.killed, "SELECT CAST(value AS INTEGER) FROM events WHERE kind = 'resume'");
    fx.first_task = q(fx.killed, "SELECT min(seq) FROM requests WHERE t_us >= %lld",
                      (long long)fx.run_sec * 1000000);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(fx.dir);
    return 0;
}

/* The same run goes on and ends completed, with the configured duration of
 * recorded seconds: those before the kill, then after the gap those left of
 * the schedule (and the last, partial second of the drain). */
static void the_run_goes_on_for_its_duration(void **state)
{
    (void)state;
    const char *db = fx.killed;
    assert_int_equal(q(db, "SELECT count(*) FROM runs"), 1);
    char *status = test_db_text(db, "SELECT status FROM runs WHERE id = 1");
    assert_string_equal(status, "completed");
    free(status);
    assert_int_equal(q(db, "SELECT count(*) FROM events WHERE kind = 'resume'"), 1);
    /* the reference ran in between: seconds of wall clock the run was not running */
    assert_true(fx.gap_s >= DURATION_S - 4);
    assert_int_equal(fx.run_sec, fx.last_sec + 1 + fx.gap_s);
    int64_t schedule_at = fx.run_sec - fx.gap_s;
    assert_true(schedule_at >= 3 && schedule_at <= 6);
    /* before: every second up to the last recorded; then nothing in the gap */
    assert_int_equal(
        q(db, "SELECT count(*) FROM seconds WHERE sec <= %lld", (long long)fx.last_sec),
        fx.last_sec + 1);
    assert_int_equal(q(db, "SELECT count(*) FROM seconds WHERE sec > %lld AND sec < %lld",
                       (long long)fx.last_sec, (long long)fx.run_sec),
                     0);
    /* after: the rest of the schedule, second by second, and maybe a partial last one */
    int64_t after = q(db, "SELECT count(*) FROM seconds WHERE sec >= %lld", (long long)fx.run_sec);
    int64_t top = q(db, "SELECT max(sec) FROM seconds");
    assert_int_equal(after, top - fx.run_sec + 1);
    assert_true(after == DURATION_S - schedule_at || after == DURATION_S - schedule_at + 1);
    assert_true(fx.last_sec + 1 + after >= DURATION_S);
    assert_true(fx.last_sec + 1 + after <= DURATION_S + 1);
    /* it ends in run time after the gap and the schedule left; its summary's
     * length, which its rates are per, is the schedule's */
    int64_t end_us = q(db, "SELECT duration_us FROM runs WHERE id = 1");
    int64_t end_want = (fx.run_sec + DURATION_S - schedule_at) * 1000000LL;
    assert_true(end_us >= end_want && end_us < end_want + 1000000LL);
    int64_t summary_ms = q(
        db, "SELECT CAST(json_extract(summary_json, '$.duration_s') * 1000 AS INTEGER) FROM runs");
    assert_true(summary_ms >= DURATION_S * 1000LL && summary_ms < (DURATION_S + 1) * 1000LL);
    /* its summary counts the whole run: every stored row */
    assert_int_equal(q(db, "SELECT json_extract(summary_json, '$.requests') FROM runs"),
                     q(db, "SELECT count(*) FROM requests"));
    /* the rows are the run's own, bounded by first_request/last_request */
    assert_int_equal(q(db, "SELECT count(*) FROM requests, runs WHERE requests.rowid BETWEEN"
                           " first_request AND last_request"),
                     q(db, "SELECT count(*) FROM requests"));
}

/* Task numbers go on after the last recorded one: no number twice, and the
 * only ones missing are of tasks the killed process had in flight or had not
 * committed, just before the first resumed task. */
static void task_numbers_go_on_after_the_last_recorded(void **state)
{
    (void)state;
    const char *db = fx.killed;
    /* no retries here: one row per task */
    assert_int_equal(q(db, "SELECT count(*) FROM requests"),
                     q(db, "SELECT count(DISTINCT seq) FROM requests"));
    assert_int_equal(q(db, "SELECT count(*) FROM requests WHERE seq IS NULL"), 0);
    assert_int_equal(q(db, "SELECT min(seq) FROM requests"), 0);
    /* the resumed process's tasks: every number from the first to the last */
    int64_t top = q(db, "SELECT max(seq) FROM requests");
    assert_int_equal(
        q(db, "SELECT count(*) FROM requests WHERE seq >= %lld", (long long)fx.first_task),
        top - fx.first_task + 1);
    assert_int_equal(fx.first_task, q(db, "SELECT max(seq) + 1 FROM requests WHERE t_us < %lld",
                                      (long long)fx.run_sec * 1000000));
    /* before the kill, holes only where requests were in flight */
    int64_t before =
        q(db, "SELECT count(*) FROM requests WHERE seq < %lld", (long long)fx.first_task);
    assert_true(fx.first_task - before <= CONCURRENCY);
    assert_int_equal(q(db, "SELECT count(*) FROM requests WHERE seq < %lld",
                       (long long)(fx.first_task - 4 * CONCURRENCY)),
                     fx.first_task - 4 * CONCURRENCY);
}

/* The mock draws a task's outcome from the seed and its number: the resumed
 * tasks got what the run that was never killed got for the same numbers. */
static void resumed_tasks_get_the_seeded_outcomes(void **state)
{
    (void)state;
    sqlite3 *db = test_db_open(fx.killed);
    char sql[512];
    snprintf(sql, sizeof(sql), "ATTACH '%s' AS ref", fx.reference);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM requests_v AS k JOIN ref.requests_v AS r USING (seq)"
             " WHERE k.seq >= %lld",
             (long long)fx.first_task);
    int64_t compared = test_sql_int(db, sql);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM requests_v AS k JOIN ref.requests_v AS r USING (seq)"
             " WHERE k.seq >= %lld AND k.status <> r.status",
             (long long)fx.first_task);
    int64_t differ = test_sql_int(db, sql);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM requests_v AS k JOIN ref.requests_v AS r USING (seq)"
             " WHERE k.seq >= %lld AND k.status = 503",
             (long long)fx.first_task);
    int64_t failed = test_sql_int(db, sql);
    sqlite3_close(db);
    /* at least a hundred tasks compared (thousands on an idle machine, a few
     * hundred under sanitizers), 30 % of them 503s: a draw that did not follow
     * the numbers would differ in about 40 % of them */
    assert_true(compared >= 100);
    assert_true(failed > compared / 10 && failed < compared * 6 / 10);
    assert_int_equal(differ, 0);
}

/* The mock's phases go on from where the run stood: `slow` at 5 s of the
 * schedule comes the gap later in run time, and the phases before it are not
 * recorded twice. */
static void the_mock_phases_go_on(void **state)
{
    (void)state;
    const char *db = fx.killed;
    assert_int_equal(q(db, "SELECT count(*) FROM events WHERE kind = 'phase' AND to_val = 0"), 1);
    assert_int_equal(q(db, "SELECT count(*) FROM events WHERE kind = 'phase' AND to_val = 1"), 1);
    assert_int_equal(q(db, "SELECT t_us FROM events WHERE kind = 'phase' AND to_val = 1"),
                     (SLOW_AT_S + fx.gap_s) * 1000000LL);
    /* and the mock was in it from then on: the seconds say so */
    assert_int_equal(q(db, "SELECT count(*) FROM seconds WHERE sec >= %lld AND phase <> 1",
                       (long long)(SLOW_AT_S + fx.gap_s + 1)),
                     0);
}

/* The report says the run was resumed and where its data stop and go on,
 * and its charts' data break over the gap: rows there are nan, which gnuplot
 * leaves undrawn, where zeros would draw a fall to 0. */
static void the_report_shows_the_gap(void **state)
{
    (void)state;
    char out[160], path[192], want[160];
    snprintf(out, sizeof(out), "%s/report", fx.dir);
    const char *args[] = {"report", fx.killed, "-o", out, NULL};
    pb_child ch;
    if (pb_child_run(&ch, args, NULL, FINISH_MS) != 0)
        fail_msg("report: %s", ch.err);
    pb_child_cleanup(&ch);
    snprintf(want, sizeof(want),
             "was resumed after its process died: no data from %lld s to %lld s",
             (long long)fx.last_sec + 1, (long long)fx.run_sec);
    const char *pages[] = {"index.html", "summary.md"};
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", out, pages[i]);
        char *text = test_slurp(path, NULL);
        if (strstr(text, want) == NULL)
            fail_msg("%s has no \"%s\"", pages[i], want);
        free(text);
    }
    snprintf(path, sizeof(path), "%s/run1.dat", out);
    char *data = test_slurp(path, NULL);
    size_t in_gap = 0, after = 0;
    for (char *line = strtok(data, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        double t = strtod(line, NULL);
        char rate[32] = "";
        assert_int_equal(sscanf(line, "%*s %*s %31s", rate), 1);
        if (t > (double)fx.last_sec + 1 && t < (double)fx.run_sec) {
            /* inside the gap: only the break, nothing drawn */
            assert_string_equal(rate, "nan");
            in_gap++;
        } else if (t >= (double)fx.run_sec) {
            after += strcmp(rate, "nan") != 0;
        }
    }
    free(data);
    assert_int_equal(in_gap, 1);
    assert_true(after >= 2);
    /* requests by mock phase count the whole run, from its rollup: the
     * summary's mock saw only the resumed process (the first phase's requests
     * before the kill went missing from the table once) */
    snprintf(path, sizeof(path), "%s/summary.json", out);
    json_error_t je;
    json_t *sum = json_load_file(path, 0, &je);
    if (sum == NULL)
        fail_msg("%s: %s", path, je.text);
    json_t *run = json_array_get(json_object_get(sum, "runs"), 0);
    assert_string_equal(json_string_value(json_object_get(run, "phase_sent_from")), "rollup");
    json_int_t first = json_integer_value(json_array_get(json_object_get(run, "phase_sent"), 0));
    int64_t before_kill = q(fx.killed, "SELECT count(*) FROM requests WHERE t_us < %lld",
                            (long long)(fx.last_sec + 1) * 1000000);
    if (first < before_kill)
        fail_msg("the first phase counts %lld requests, fewer than the %lld stored before the kill",
                 (long long)first, (long long)before_kill);
    json_decref(sum);
    test_rmtree(out);
}

/* The resumed run's live page shows the whole run: from its first second,
 * every stored second up to the kill, then no point while no process ran
 * (not zeros), then the resumed process's seconds in run time. */
static void the_live_page_shows_the_run_before_the_resume(void **state)
{
    (void)state;
    assert_true(fx.live_first_start > -0.001 && fx.live_first_start < 0.001);
    assert_true(fx.live_first_end > 0.999 && fx.live_first_end < 1.001);
    /* the stored seconds, one point each, end where the data stop */
    assert_true(fx.live_gap_from >= (double)fx.last_sec - 0.001);
    assert_true(fx.live_gap_from <= (double)fx.last_sec + 1.001);
    assert_true((double)fx.live_before > fx.live_gap_from - 0.001);
    assert_true((double)fx.live_before < fx.live_gap_from + 0.001);
    /* and go on after the gap: the resumed process's first second is the
     * baseline of its counters, its second one the first point */
    assert_true(fx.live_gap_to > (double)fx.run_sec + 0.999);
    assert_true(fx.live_gap_to < (double)fx.run_sec + 1.001);
}

/* A compare's run (the shipped soak is a compare) goes on the same way, and
 * the compare ends with it. */
static void a_compare_run_goes_on_and_closes_its_compare(void **state)
{
    (void)state;
    char scenario[160], db[160];
    snprintf(scenario, sizeof(scenario), "%s/soak.json", fx.dir);
    snprintf(db, sizeof(db), "%s/compare.db", fx.dir);
    FILE *f = fopen(scenario, "w");
    assert_non_null(f);
    fputs("{\"title\": \"resumed soak\", \"seed\": 5, \"duration\": \"8s\",\n"
          " \"mock\": {\"latency\": \"fixed:2ms\", \"errors\": \"503:0.1\"},\n"
          " \"load\": {\"open\": {\"rate\": 200, \"phases\": [{\"at\": \"5s\", \"rate\": 100}]}},\n"
          " \"patterns\": [{\"pattern\": \"queue\", \"concurrency\": 8}]}\n",
          f);
    assert_int_equal(fclose(f), 0);
    const char *args[] = {"compare", scenario, "--db", db, "--quiet", NULL};
    pb_child ch;
    pb_child_spawn(&ch, args, NULL);
    test_kill_once_stored(&ch, db, 1500000);
    pb_child_cleanup(&ch);
    const char *resume[] = {"run", "--resume", db, "--quiet", NULL};
    if (pb_child_run(&ch, resume, NULL, FINISH_MS) != 0)
        fail_msg("run --resume: %s", ch.err);
    pb_child_cleanup(&ch);
    char *status = test_db_text(db, "SELECT status FROM runs");
    assert_string_equal(status, "completed");
    free(status);
    status = test_db_text(db, "SELECT status FROM compares");
    assert_string_equal(status, "completed");
    free(status);
    /* the scenario's rate step at 5 s of the schedule came the gap later (the
     * second before it is the resumed process's: it went on at 4 s at most) */
    int64_t gap = q(db, "SELECT CAST(value AS INTEGER) FROM events WHERE kind = 'resume'");
    assert_true(q(db, "SELECT to_val - value FROM events WHERE kind = 'resume'") <= 4);
    int64_t step = 5 + gap;
    int64_t before = q(db, "SELECT count(*) FROM requests WHERE t_us >= %lld AND t_us < %lld",
                       (long long)(step - 1) * 1000000, (long long)step * 1000000);
    int64_t after = q(db, "SELECT count(*) FROM requests WHERE t_us >= %lld AND t_us < %lld",
                      (long long)step * 1000000, (long long)(step + 1) * 1000000);
    if (before < 180 || before > 220 || after < 80 || after > 120)
        fail_msg("%lld requests in the second before the step at %lld s, %lld after",
                 (long long)before, (long long)step, (long long)after);
}

/* `run --resume SPEC [more]` exits 2 with a message holding each of the
 * needles (NULL-terminated). */
static void refused(const char *spec, const char *more, ...)
{
    const char *args[] = {"run", "--resume", spec, more, NULL};
    pb_child ch;
    int code = pb_child_run(&ch, args, NULL, FINISH_MS);
    if (code != 2)
        fail_msg("run --resume %s: exit %d, not 2: %s", spec, code, ch.err);
    va_list ap;
    va_start(ap, more);
    for (const char *needle = va_arg(ap, const char *); needle != NULL;
         needle = va_arg(ap, const char *))
        if (strstr(ch.err, needle) == NULL)
            fail_msg("run --resume %s: no \"%s\" in: %s", spec, needle, ch.err);
    va_end(ap);
    pb_child_cleanup(&ch);
}

/* What cannot go on is refused before anything starts, with the file, the
 * run and the reason, and the file is left as it was. */
static void runs_that_cannot_go_on_are_refused(void **state)
{
    (void)state;
    char spec[192], path[160];
    /* a run that completed (the file's last run, and by its id) */
    refused(fx.reference, "--quiet", fx.reference, "run 1 completed", NULL);
    snprintf(spec, sizeof(spec), "%s:1", fx.killed);
    refused(spec, "--quiet", fx.killed, "run 1 completed", NULL);
    /* a run that is not there */
    snprintf(spec, sizeof(spec), "%s:99", fx.reference);
    refused(spec, "--quiet", fx.reference, "has no run 99", NULL);
    /* a file that is not a database, and one that is not there */
    snprintf(path, sizeof(path), "%s/notes.txt", fx.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a database, only some notes that are long enough to have a header's size\n", f);
    assert_int_equal(fclose(f), 0);
    refused(path, "--quiet", path, "not a database", NULL);
    snprintf(path, sizeof(path), "%s/absent.db", fx.dir);
    refused(path, "--quiet", path, NULL);
    assert_int_equal(access(path, F_OK), -1);
    /* a killed run in a file of another build's schema */
    snprintf(path, sizeof(path), "%s/older.db", fx.dir);
    sqlite3 *db = test_db_open(fx.reference);
    char sql[256];
    snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", path);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE runs SET status = 'running'; PRAGMA user_version = 3",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    refused(path, "--quiet", path, "schema is version 3", NULL);
    assert_int_equal(test_db_int(path, "PRAGMA user_version"), 3);
    char *status = test_db_text(path, "SELECT status FROM runs");
    assert_string_equal(status, "running");
    free(status);
    /* an option that would change the experiment beside --resume */
    const char *args[] = {"run", "--resume", path, "--concurrency", "8", NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 2);
    assert_non_null(strstr(ch.err, "--concurrency: a resumed run keeps the configuration"));
    pb_child_cleanup(&ch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_run_goes_on_for_its_duration),
        cmocka_unit_test(task_numbers_go_on_after_the_last_recorded),
        cmocka_unit_test(resumed_tasks_get_the_seeded_outcomes),
        cmocka_unit_test(the_live_page_shows_the_run_before_the_resume),
        cmocka_unit_test(the_mock_phases_go_on),
        cmocka_unit_test(the_report_shows_the_gap),
        cmocka_unit_test(a_compare_run_goes_on_and_closes_its_compare),
        cmocka_unit_test(runs_that_cannot_go_on_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
