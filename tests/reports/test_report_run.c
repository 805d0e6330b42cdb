/* Reports of small real runs: `patternbench run` against the built-in mock
 * server writes the database, `patternbench report` reads it. The numbers in
 * summary.json agree with the raw request rows the report never reads, and a
 * mock profile's fault phases and the pattern's breaker or limit changes
 * reach the report. */
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "fixture.h"
#include "pb_child.h"
#include "test_file.h"
#include "test_sql.h"

/* Run `patternbench ARGS...` to its end into c; fail with its stderr unless it exits 0. */
static void cli_run(pb_child *c, const char *const *args)
{
    int status = pb_child_run(c, args, NULL, PB_TEST_TIMEOUT_MS);
    if (status != 0)
        fail_msg("patternbench %s failed (%d): %s", args[0], status, c->err);
}

/* cli_run, what it printed unread. */
static void cli_ok(const char *const *args)
{
    pb_child c;
    cli_run(&c, args);
    pb_child_cleanup(&c);
}

static json_t *load_summary(const char *out)
{
    char path[PATH_MAX];
    fx_path(path, sizeof(path), out, "summary.json");
    json_error_t jerr;
    json_t *sum = json_load_file(path, 0, &jerr);
    if (sum == NULL)
        fail_msg("%s: %s", path, jerr.text);
    return sum;
}

/* A profile whose phase 1 ("outage") answers every request 503 from 1 s to 2 s. */
static void write_outage_profile(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"latency\": \"uniform:1ms,3ms\",\n"
          " \"phases\": [{\"at\": \"1s\", \"name\": \"outage\", \"errors\": \"503:1\"},\n"
          "              {\"at\": \"2s\", \"name\": \"recovered\"}]}\n",
          f);
    assert_int_equal(fclose(f), 0);
}

/* summary.json lists the profile's three phases with their times. */
static void assert_outage_phases(json_t *run)
{
    json_t *phases = json_object_get(run, "phases");
    assert_int_equal(json_array_size(phases), 3);
    static const char *const names[] = {"base", "outage", "recovered"};
    for (size_t i = 0; i < 3; i++) {
        json_t *p = json_array_get(phases, i);
        assert_string_equal(json_string_value(json_object_get(p, "name")), names[i]);
        assert_true(json_number_value(json_object_get(p, "start_s")) > (double)i - 0.05);
        assert_true(json_number_value(json_object_get(p, "start_s")) < (double)i + 0.05);
    }
}

static bool file_contains(const char *dir, const char *name, const char *needle)
{
    char path[PATH_MAX];
    fx_path(path, sizeof(path), dir, name);
    char *text = test_slurp(path, NULL);
    bool found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

static void report_of_a_small_real_run(void **state)
{
    (void)state;
    char dir[PATH_MAX - 64], db_path[PATH_MAX], out[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(db_path, sizeof(db_path), dir, "run.db");
    fx_path(out, sizeof(out), dir, "report");

    /* the mock answers 5 % of requests with 503, so errors have something to show */
    const char *run[] = {"run",     "--pattern",  "queue",   "--duration", "2s",
                         "--db",    db_path,      "--quiet", "--errors",   "503:0.05",
                         "--label", "real queue", NULL};
    cli_ok(run);
    const char *report[] = {"report", db_path, "-o", out, NULL};
    pb_child printed;
    cli_run(&printed, report);
    /* the command prints where the page is */
    assert_non_null(strstr(printed.out, "/report/index.html"));
    pb_child_cleanup(&printed);

    static const char *const charts[] = {"throughput", "errors", "latency", "percentiles",
                                         "internals"};
    for (size_t i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.png", charts[i]);
        fx_assert_png(out, name);
        snprintf(name, sizeof(name), "%s.svg", charts[i]);
        assert_true(fx_exists(out, name));
        snprintf(name, sizeof(name), "%s.gp", charts[i]);
        assert_true(fx_exists(out, name));
    }
    assert_true(fx_exists(out, "summary.md"));
    size_t images;
    fx_assert_page_self_contained(out, &images);
    assert_int_equal(images, 5);

    /* what the report says against the raw rows */
    sqlite3 *db = test_db_open(db_path);
    int64_t rows = test_sql_int(db, "SELECT COUNT(*) FROM requests");
    int64_t ok_rows = test_sql_int(db, "SELECT COUNT(*) FROM requests_v WHERE outcome = 'ok'");
    int64_t error_rows = test_sql_int(db, "SELECT COUNT(*) FROM requests_v WHERE status = 503");
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    assert_true(rows > 100);
    assert_true(error_rows > 0);
    json_t *sum = load_summary(out);
    json_t *r = json_array_get(json_object_get(sum, "runs"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "label")), "real queue");
    assert_string_equal(json_string_value(json_object_get(r, "status")), "completed");
    assert_int_equal(json_integer_value(json_object_get(r, "requests")), rows);
    json_t *oc = json_object_get(r, "outcomes");
    assert_int_equal(json_integer_value(json_object_get(oc, "ok")), ok_rows);
    assert_int_equal(json_integer_value(json_object_get(oc, "http_error")), error_rows);
    json_t *lat = json_object_get(r, "latency_ms");
    assert_true(json_number_value(json_object_get(lat, "p99")) >=
                json_number_value(json_object_get(lat, "p50")));
    /* without a profile the mock stays in its base phase: nothing to list */
    assert_true(json_array_size(json_object_get(r, "phases")) <= 1);
    assert_false(file_contains(out, "summary.md", "Fault phases"));
    json_decref(sum);
    test_rmtree(dir);
}

/* A breaker facing a 1 s outage: it opens during the outage and closes after,
 * and the internals chart draws its state over the shaded phase. */
static void breaker_run_shows_its_states_and_the_phases(void **state)
{
    (void)state;
    char dir[PATH_MAX - 64], db_path[PATH_MAX], out[PATH_MAX], profile[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(db_path, sizeof(db_path), dir, "run.db");
    fx_path(out, sizeof(out), dir, "report");
    fx_path(profile, sizeof(profile), dir, "outage.json");
    write_outage_profile(profile);
    const char *run[] = {
        "run",   "--pattern", "breaker", "--duration", "3s",    "--recovery-timeout",
        "300ms", "--profile", profile,   "--db",       db_path, "--quiet",
        NULL};
    cli_ok(run);
    const char *report[] = {"report", db_path, "--last", "-o", out, NULL};
    cli_ok(report);

    json_t *sum = load_summary(out);
    json_t *r = json_array_get(json_object_get(sum, "runs"), 0);
    assert_outage_phases(r);
    assert_true(json_integer_value(json_object_get(json_object_get(r, "outcomes"),
                                                   "rejected_by_breaker")) > 0);
    int64_t id = json_integer_value(json_object_get(r, "id"));
    json_decref(sum);

    /* the state timeline: open (2) during the outage, closed (0) at the end */
    char name[64];
    snprintf(name, sizeof(name), "breaker%" PRId64 ".dat", id);
    assert_true(file_contains(out, "internals.gp", name));
    char path[PATH_MAX];
    fx_path(path, sizeof(path), out, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    double t, opened_at = -1.0, last_t = -1.0;
    int st = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || sscanf(line, "%lf %d", &t, &st) != 2)
            continue;
        if (st == 2 && opened_at < 0)
            opened_at = t;
        last_t = t;
    }
    assert_int_equal(fclose(f), 0);
    assert_true(opened_at >= 1.0 && opened_at < 2.0);
    assert_int_equal(st, 0);
    assert_true(last_t > 2.9);
    /* the outage is shaded and named on the internals chart */
    assert_true(file_contains(out, "internals.gp", "'outage'"));
    fx_assert_png(out, "internals.png");
    assert_true(file_contains(out, "summary.md", "outage 1.0–2.0 s"));
    test_rmtree(dir);
}

/* An adaptive limiter facing the same outage lowers its limit, and the
 * report draws the limit's changes. */
static void adaptive_run_shows_its_limit_and_the_phases(void **state)
{
    (void)state;
    char dir[PATH_MAX - 64], db_path[PATH_MAX], out[PATH_MAX], profile[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(db_path, sizeof(db_path), dir, "run.db");
    fx_path(out, sizeof(out), dir, "report");
    fx_path(profile, sizeof(profile), dir, "outage.json");
    write_outage_profile(profile);
    const char *run[] = {"run",       "--pattern", "adaptive", "--duration", "3s",
                         "--profile", profile,     "--db",     db_path,      "--adaptive-window",
                         "200ms",     "--quiet",   NULL};
    cli_ok(run);
    const char *report[] = {"report", db_path, "-o", out, NULL};
    cli_ok(report);

    json_t *sum = load_summary(out);
    json_t *r = json_array_get(json_object_get(sum, "runs"), 0);
    assert_outage_phases(r);
    assert_true(json_integer_value(json_object_get(r, "limit_changes")) > 0);
    int64_t id = json_integer_value(json_object_get(r, "id"));
    json_decref(sum);

    char name[64];
    snprintf(name, sizeof(name), "limit%" PRId64 ".dat", id);
    assert_true(file_contains(out, "internals.gp", name));
    /* the limit went down during the outage: some step inside it is lower than the last before it */
    char path[PATH_MAX];
    fx_path(path, sizeof(path), out, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    double t;
    long lim, before = -1, lowest_in_outage = LONG_MAX;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] == '#' || sscanf(line, "%lf %ld", &t, &lim) != 2)
            continue;
        if (t < 1.0)
            before = lim;
        else if (t < 2.2 && lim < lowest_in_outage)
            lowest_in_outage = lim;
    }
    assert_int_equal(fclose(f), 0);
    assert_true(before > 0);
    assert_true(lowest_in_outage < before);
    assert_true(file_contains(out, "internals.gp", "'outage'"));
    fx_assert_png(out, "internals.png");
    test_rmtree(dir);
}


/* Issue 14: two separate `run`s of one file compared with --runs, and a run of
 * another file beside one of them: each page holds both runs with labels
 * that tell them apart, and draws them side by side. */
static void separate_runs_and_databases_on_one_page(void **state)
{
    (void)state;
    char dir[PATH_MAX - 64], a_path[PATH_MAX], b_path[PATH_MAX], out[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(a_path, sizeof(a_path), dir, "A.db");
    fx_path(b_path, sizeof(b_path), dir, "B.db");
    fx_path(out, sizeof(out), dir, "report");
    const char *run_a[] = {"run",  "--pattern", "queue",    "--duration", "1s", "--db",
                           a_path, "--quiet",   "--errors", "503:0.05",   NULL};
    cli_ok(run_a);
    cli_ok(run_a);
    const char *run_b[] = {"run",  "--pattern", "queue",         "--duration", "1s", "--db",
                           b_path, "--quiet",   "--concurrency", "4",          NULL};
    cli_ok(run_b);

    const char *report[] = {"report", a_path, "--runs", "1,2", "-o", out, NULL};
    cli_ok(report);
    json_t *sum = load_summary(out);
    json_t *runs = json_object_get(sum, "runs");
    assert_int_equal(json_array_size(runs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 0), "label")),
                        "queue (run 1)");
    assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 1), "label")),
                        "queue (run 2)");
    sqlite3 *db = test_db_open(a_path);
    for (int i = 0; i < 2; i++) {
        char sql[96];
        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM requests WHERE run_id = %d", i + 1);
        assert_int_equal(
            json_integer_value(json_object_get(json_array_get(runs, (size_t)i), "requests")),
            test_sql_int(db, sql));
    }
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    /* drawn side by side: the compare chart, and both runs in each chart */
    json_t *charts = json_object_get(sum, "charts");
    assert_true(json_array_size(charts) >= 5);
    assert_string_equal(json_string_value(json_array_get(charts, 0)), "compare");
    json_decref(sum);
    fx_assert_png(out, "compare.png");
    fx_assert_png(out, "throughput.png");
    assert_true(file_contains(out, "throughput.gp", "'queue (run 1)"));
    assert_true(file_contains(out, "throughput.gp", "'queue (run 2)"));
    assert_true(file_contains(out, "index.html", "2 runs that were not one compare"));

    char a_two[PATH_MAX + 8];
    snprintf(a_two, sizeof(a_two), "%s:2", a_path);
    const char *across[] = {"report", a_two, b_path, "-o", out, NULL};
    cli_ok(across);
    sum = load_summary(out);
    runs = json_object_get(sum, "runs");
    assert_int_equal(json_array_size(runs), 2);
    json_t *a = json_array_get(runs, 0), *b = json_array_get(runs, 1);
    assert_string_equal(json_string_value(json_object_get(a, "label")), "queue (A.db)");
    assert_string_equal(json_string_value(json_object_get(b, "label")), "queue (B.db)");
    assert_int_equal(json_integer_value(json_object_get(a, "id")), 2);
    assert_int_equal(json_integer_value(json_object_get(b, "id")), 1);
    assert_string_equal(json_string_value(json_object_get(b, "database")), b_path);
    json_decref(sum);
    fx_assert_png(out, "latency.png");
    size_t images;
    fx_assert_page_self_contained(out, &images);
    assert_true(images >= 5);
    test_rmtree(dir);
}

/* A run of two targets (a --targets file, drawn at random so that their
 * counts differ): the page's table of requests by target has a row per target
 * with the database's count of its rows, and the target's text escaped. */
static void targets_table_on_the_page_counts_the_rows(void **state)
{
    (void)state;
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX], targets[PATH_MAX];
    fx_workspace(dir, db_path, out);
    fx_path(targets, sizeof(targets), dir, "targets.txt");
    test_write_text(targets, "GET /alpha\n\nPOST /beta?x=<b>&y=1\n");
    const char *run[] = {"run", "--targets", targets, "--targets-order", "random", "--requests",
                         "301", "--db",      db_path, "--quiet",         NULL};
    cli_ok(run);
    const char *report[] = {"report", db_path, "-o", out, NULL};
    cli_ok(report);

    char path[PATH_MAX];
    fx_path(path, sizeof(path), out, "index.html");
    char *page = test_slurp(path, NULL);
    const char *table = strstr(page, "<table id=\"target-table\">");
    if (table == NULL)
        fail_msg("%s has no table of requests by target", path);
    const char *end = strstr(table, "</table>");
    assert_non_null(end);
    static const char *const shown[] = {"<code>GET /alpha</code>",
                                        "<code>POST /beta?x=&lt;b&gt;&amp;y=1</code>"};
    sqlite3 *db = test_db_open(db_path);
    int64_t total = 0;
    const char *row = table;
    for (int k = 0; k < 2; k++) {
        row = strstr(row + 1, "<tr><td class=\"l\">queue</td>");
        assert_true(row != NULL && row < end);
        char cells[64];
        snprintf(cells, sizeof(cells), "<td>%d</td>", k);
        assert_true(strncmp(strstr(row, "</td>") + 5, cells, strlen(cells)) == 0);
        const char *target = strstr(row, "<code>");
        assert_true(strncmp(target, shown[k], strlen(shown[k])) == 0);
        /* the requests cell follows the target's */
        const char *count = target + strlen(shown[k]) + strlen("</td><td>");
        char sql[96];
        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM requests WHERE target = %d", k);
        int64_t rows = test_sql_int(db, sql);
        assert_int_equal(strtoll(count, NULL, 10), rows);
        total += rows;
    }
    const char *more = strstr(row + 1, "<tr>");
    assert_true(more == NULL || more > end); /* two targets, two rows */
    assert_int_equal(total, 301);
    /* drawn at random, the two counts differ from an even split */
    assert_int_not_equal(test_sql_int(db, "SELECT COUNT(*) FROM requests WHERE target = 0"), 151);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    free(page);
    test_rmtree(dir);
}

/* Committed request rows of run 1, or -1 while the database is not readable yet. */
static int64_t committed_rows(const char *db_path)
{
    sqlite3 *db;
    int64_t n = -1;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM requests WHERE run_id = 1", -1, &st,
                               NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return n;
}

/* Run `patternbench ARGS...` (a `run` writing run 1 into db_path, in dir) and
 * kill it with SIGKILL once it has committed at least min_rows request rows.
 * The wait is on the writer's commits (inotify on the folder), bounded by 60 s. */
static void kill_after_committed_rows(const char *dir, const char *db_path, const char *const *args,
                                      int64_t min_rows)
{
    int in = inotify_init1(IN_CLOEXEC);
    assert_true(in >= 0);
    assert_true(inotify_add_watch(in, dir, IN_MODIFY | IN_CREATE) >= 0);
    pb_child c;
    pb_child_spawn(&c, args, NULL);
    int64_t rows = -1;
    for (int waited_ms = 0; waited_ms < 60000 && rows < min_rows;) {
        struct pollfd p = {.fd = in, .events = POLLIN};
        int n = poll(&p, 1, 1000);
        waited_ms += 1000; /* an upper bound: each wake-up counts as a full second */
        if (n > 0) {
            char buf[4096];
            assert_true(read(in, buf, sizeof(buf)) > 0);
        }
        rows = committed_rows(db_path);
    }
    kill(c.pid, SIGKILL);
    pb_child_finish(&c, PB_TEST_TIMEOUT_MS);
    assert_true(WIFSIGNALED(c.status));
    pb_child_cleanup(&c);
    close(in);
    assert_true(rows >= min_rows);
}

/* A run killed with SIGKILL once it has committed at least 20,000 rows: it has
 * no summary and its rollup trails the rows by a few seconds, yet the report
 * counts every committed row. */
static void killed_run_is_reported_with_every_committed_row(void **state)
{
    (void)state;
    char dir[PATH_MAX - 64], db_path[PATH_MAX], out[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(db_path, sizeof(db_path), dir, "run.db");
    fx_path(out, sizeof(out), dir, "report");
    const char *run[] = {"run",        "--pattern", "queue", "--concurrency", "16",
                         "--duration", "60s",       "--db",  db_path,         "--quiet",
                         "--errors",   "503:0.05",  NULL};
    kill_after_committed_rows(dir, db_path, run, 20000);

    sqlite3 *db = test_db_open(db_path);
    int64_t all = test_sql_int(db, "SELECT COUNT(*) FROM requests WHERE run_id = 1");
    int64_t ok_rows = test_sql_int(db, "SELECT COUNT(*) FROM requests_v WHERE outcome = 'ok'");
    int64_t rolled = test_sql_int(db, "SELECT COALESCE(SUM(count), 0) FROM seconds");
    assert_int_equal(test_sql_int(db, "SELECT summary_json IS NULL FROM runs WHERE id = 1"), 1);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    /* what makes the case: the stored rollup alone would undercount */
    assert_true(rolled < all);

    const char *report[] = {"report", db_path, "-o", out, NULL};
    cli_ok(report);
    json_t *sum = load_summary(out);
    json_t *r = json_array_get(json_object_get(sum, "runs"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "running");
    assert_int_equal(json_integer_value(json_object_get(r, "requests")), all);
    json_t *oc = json_object_get(r, "outcomes");
    assert_int_equal(json_integer_value(json_object_get(oc, "ok")), ok_rows);
    assert_int_equal(json_integer_value(json_object_get(oc, "http_error")), all - ok_rows);
    json_decref(sum);
    /* the page says why its last seconds come from the rows */
    assert_true(file_contains(out, "summary.md", "no final summary"));

    /* beside a run of another database, read on its own connection, the
     * killed run still counts every committed row */
    char other[PATH_MAX];
    fx_path(other, sizeof(other), dir, "other.db");
    const char *other_run[] = {"run",  "--pattern", "queue",   "--duration", "1s",
                               "--db", other,       "--quiet", NULL};
    cli_ok(other_run);
    const char *both[] = {"report", db_path, other, "-o", out, NULL};
    cli_ok(both);
    sum = load_summary(out);
    r = json_array_get(json_object_get(sum, "runs"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "running");
    assert_int_equal(json_integer_value(json_object_get(r, "requests")), all);
    assert_int_equal(json_array_size(json_object_get(sum, "runs")), 2);
    json_decref(sum);
    test_rmtree(dir);
}

/* A propagating semaphore killed mid-run: its summary never came, and its
 * stored rollup has not counted the results its last batches lost, yet the
 * report counts every committed `lost` event, the tail's from the events, and
 * shows what reached the caller beside what the server answered. */
static void killed_propagate_run_counts_its_lost_results_from_the_tail(void **state)
{
    (void)state;
    char dir[PATH_MAX - 64], db_path[PATH_MAX], out[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(db_path, sizeof(db_path), dir, "run.db");
    fx_path(out, sizeof(out), dir, "report");
    const char *run[] = {"run",      "--pattern", "semaphore",     "--on-error", "propagate",
                         "--batch",  "20",        "--concurrency", "8",          "--duration",
                         "60s",      "--db",      db_path,         "--quiet",    "--errors",
                         "503:0.05", NULL};
    kill_after_committed_rows(dir, db_path, run, 10000);

    sqlite3 *db = test_db_open(db_path);
    int64_t lost = test_sql_int(db, "SELECT SUM(to_val) FROM events WHERE kind = 'lost'");
    int64_t cascaded = test_sql_int(db, "SELECT SUM(value) FROM events WHERE kind = 'lost'");
    int64_t stored = test_sql_int(db, "SELECT COALESCE(SUM(lost), 0) FROM seconds");
    int64_t ok_rows = test_sql_int(db, "SELECT COUNT(*) FROM requests_v WHERE outcome = 'ok'");
    assert_int_equal(test_sql_int(db, "SELECT summary_json IS NULL FROM runs WHERE id = 1"), 1);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    /* what makes the case: the stored rollup alone would undercount */
    assert_true(lost > 0);
    assert_true(stored < lost);

    const char *report[] = {"report", db_path, "-o", out, NULL};
    cli_ok(report);
    json_t *sum = load_summary(out);
    json_t *r = json_array_get(json_object_get(sum, "runs"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "totals_from")), "rollup");
    assert_int_equal(json_integer_value(json_object_get(r, "lost")), lost);
    assert_int_equal(json_integer_value(json_object_get(r, "cascaded")), cascaded);
    double duration = json_number_value(json_object_get(r, "duration_s"));
    double delivered = json_number_value(json_object_get(r, "delivered_ok_rps"));
    assert_true(fabs(delivered * duration - (double)(ok_rows - cascaded)) < 0.5);
    json_decref(sum);
    assert_true(file_contains(out, "summary.md", "delivered ok/s"));
    assert_true(file_contains(out, "index.html", "delivered ok/s"));
    test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(report_of_a_small_real_run),
        cmocka_unit_test(breaker_run_shows_its_states_and_the_phases),
        cmocka_unit_test(adaptive_run_shows_its_limit_and_the_phases),
        cmocka_unit_test(separate_runs_and_databases_on_one_page),
        cmocka_unit_test(targets_table_on_the_page_counts_the_rows),
        cmocka_unit_test(killed_run_is_reported_with_every_committed_row),
        cmocka_unit_test(killed_propagate_run_counts_its_lost_results_from_the_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
