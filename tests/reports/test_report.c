/* `patternbench report` end to end on databases of the documented shape:
 * every file is written, images are real, the page references only files
 * that exist, hostile text cannot reach a shell, and partial, live, killed
 * and broken databases are handled. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"
#include "monotime.h"
#include "pb_child.h"
#include "report.h"
#include "report_data.h"
#include "test_file.h"

static const char *const all_charts[] = {"compare", "throughput", "errors",
                                         "latency", "percentiles", "internals"};

/* Write the report opt asks for; fails the test with the error. */
static pb_report_result write_report(const pb_report_options *opt)
{
    pb_report_result res;
    pb_err err = {0};
    if (pb_report_write(opt, &res, &err) != 0)
        fail_msg("report failed: %s", err.msg);
    return res;
}

static json_t *load_json(const char *dir, const char *name)
{
    char p[PATH_MAX];
    fx_path(p, sizeof(p), dir, name);
    json_error_t jerr;
    json_t *j = json_load_file(p, 0, &jerr);
    if (j == NULL)
        fail_msg("%s: %s", p, jerr.text);
    return j;
}

static char *read_in(const char *dir, const char *name)
{
    char p[PATH_MAX];
    fx_path(p, sizeof(p), dir, name);
    return test_slurp(p, NULL);
}

/* The 1-based column whose header entry is `name` in a .dat file's "# columns:" line. */
static int column_of(const char *dat, const char *name)
{
    const char *cols = strstr(dat, "# columns:");
    assert_non_null(cols);
    char needle[64];
    snprintf(needle, sizeof(needle), " %s", name);
    const char *hit = strstr(cols, needle);
    assert_non_null(hit);
    /* the number in front of the name: "... 6 http_error% ..." */
    const char *p = hit;
    while (p > cols && p[-1] >= '0' && p[-1] <= '9')
        p--;
    assert_true(p < hit);
    return atoi(p);
}

/* Mean of column col over data rows whose first column lies in [t0, t1). */
static double column_mean(const char *dat, int col, double t0, double t1)
{
    double sum = 0;
    int n = 0;
    for (const char *line = dat; line != NULL && *line != '\0';
         line = strchr(line, '\n') != NULL ? strchr(line, '\n') + 1 : NULL) {
        if (*line == '#')
            continue;
        char *end;
        double t = strtod(line, &end);
        double v = 0;
        const char *p = line;
        for (int c = 1; c <= col; c++) {
            v = strtod(p, &end);
            p = end;
        }
        if (t >= t0 && t < t1) {
            sum += v;
            n++;
        }
    }
    assert_true(n > 0);
    return sum / n;
}

/* In a comparison, a run that lost results has its delivered goodput drawn
 * over its goodput: the caller's share of the successes. */
static void compare_chart_draws_what_reached_the_caller(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    int64_t cmp = fx_compare(db, "propagate against isolate", "completed", 5);
    int64_t run[2];
    const char *labels[2] = {"propagate", "isolate"};
    for (int i = 0; i < 2; i++) {
        fx_run_spec spec = {.label = labels[i], .pattern = "semaphore", .status = "running",
                            .compare_id = cmp, .seconds = 12, .rate = 100, .no_hist = true,
                            .seed = 3};
        run[i] = fx_run(db, &spec, NULL, NULL);
    }
    for (int b = 0; b < 11; b++) { /* 11 batches of propagate lost 19 results, 9 of them ok */
        char sql[256];
        snprintf(sql, sizeof(sql), "INSERT INTO events VALUES (%lld, %d, 'lost', %d, 19, 9, NULL)",
                 (long long)run[0], b * 1100000 + 250000, b);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    fx_close(db);

    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_COMPARE, .id = cmp,
                             .out_dir = out};
    write_report(&opt);
    char *dat = read_in(out, "compare.dat");
    double ok[2], delivered[2];
    const char *line = dat;
    for (int i = 0; i < 2; i++) {
        while (*line == '#')
            line = strchr(line, '\n') + 1;
        /* column 2 the goodput's mean, 21 the delivered goodput (compare.dat's header) */
        char row[1024];
        size_t len = (size_t)(strchr(line, '\n') - line);
        assert_true(len < sizeof(row));
        memcpy(row, line, len);
        row[len] = '\0';
        int k = 0;
        for (char *save = NULL, *t = strtok_r(row, " ", &save); t != NULL;
             t = strtok_r(NULL, " ", &save)) {
            k++;
            if (k == 2)
                ok[i] = strtod(t, NULL);
            if (k == 21)
                delivered[i] = strtod(t, NULL);
        }
        assert_true(k >= 21);
        line = strchr(line, '\n') + 1;
    }
    assert_true(ok[0] > 0 && fabs(ok[0] - delivered[0] - 99.0 / 12.0) < 1.0);
    assert_true(delivered[1] == ok[1]); /* isolate: every success reached the caller */
    free(dat);
    char *gp = read_in(out, "compare.gp");
    assert_non_null(strstr(gp, "hatched: reached the caller"));
    free(gp);
    fx_assert_png(out, "compare.png");
    test_rmtree(dir);
}

static void compare_report_writes_every_file(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(db_path, sizeof(db_path), dir, "pb.db");
    fx_path(out, sizeof(out), dir, "out/nested");
    sqlite3 *db = fx_create(db_path);
    int64_t cmp = fx_compare(db, "Flaky upstream: three patterns", "completed", 42);
    const char *patterns[] = {"breaker", "adaptive", "backpressure"};
    uint64_t requests[3];
    for (int i = 0; i < 3; i++) {
        fx_run_spec spec = {.label = patterns[i], .pattern = patterns[i], .status = "completed",
                            .compare_id = cmp, .seconds = 30, .rate = 200, .summary = true,
                            .retries = i == 0, .seed = 7 + (uint64_t)i};
        fx_run(db, &spec, &requests[i], NULL);
    }
    fx_close(db);

    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_COMPARE, .id = cmp,
                             .out_dir = out};
    pb_report_result res = write_report(&opt);
    assert_true(res.is_compare);
    assert_int_equal(res.runs, 3);
    assert_int_equal(res.charts, 6);
    for (size_t i = 0; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.png", all_charts[i]);
        fx_assert_png(out, name);
        snprintf(name, sizeof(name), "%s.svg", all_charts[i]);
        assert_true(fx_exists(out, name));
        snprintf(name, sizeof(name), "%s.gp", all_charts[i]);
        assert_true(fx_exists(out, name));
    }
    size_t images;
    fx_assert_page_self_contained(out, &images);
    assert_int_equal(images, 6);
    json_t *sum = load_json(out, "summary.json");
    json_t *runs = json_object_get(sum, "runs");
    assert_int_equal(json_array_size(runs), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *r = json_array_get(runs, i);
        assert_string_equal(json_string_value(json_object_get(r, "label")), patterns[i]);
        assert_int_equal(json_integer_value(json_object_get(r, "requests")), requests[i]);
        assert_string_equal(json_string_value(json_object_get(r, "totals_from")), "summary");
    }
    /* the breaker run rejects while open: the rejections are counted, not sent */
    json_t *oc = json_object_get(json_array_get(runs, 0), "outcomes");
    assert_true(json_integer_value(json_object_get(oc, "rejected_by_breaker")) > 0);
    assert_int_equal(json_array_size(json_object_get(sum, "charts")), 6);
    json_decref(sum);
    char *md = read_in(out, "summary.md");
    assert_non_null(strstr(md, "# Flaky upstream: three patterns"));
    assert_non_null(strstr(md, "| breaker | breaker | completed |"));
    assert_non_null(strstr(md, "p99<200ms"));
    free(md);
    /* the phases are shaded and labelled on the time charts */
    char *gp = read_in(out, "throughput.gp");
    assert_non_null(strstr(gp, "'latency x6'"));
    assert_non_null(strstr(gp, "set object 100 rectangle from first x0+10,"));
    free(gp);
    /* the plotted series say what their header says: the adaptive run's errors sit in
     * the error phase, its median latency is the fixture's 20 ms outside the spike */
    char *dat = read_in(out, "run2.dat");
    int err_col = column_of(dat, "http_error%"), p50_col = column_of(dat, "p50_ms");
    assert_true(column_mean(dat, err_col, FX_PHASE_ERRORS_START, FX_PHASE_ERRORS_END) > 15.0);
    assert_true(column_mean(dat, err_col, 0, FX_PHASE_LATENCY_START) < 1.0);
    double p50 = column_mean(dat, p50_col, 0, FX_PHASE_LATENCY_START);
    assert_true(p50 > 15.0 && p50 < 26.0);
    double p50_spike = column_mean(dat, p50_col, FX_PHASE_LATENCY_START + 1, FX_PHASE_ERRORS_START);
    assert_true(p50_spike > 4 * p50);
    free(dat);
    /* breaker transitions and limit changes come from the event log */
    assert_true(fx_exists(out, "breaker1.dat"));
    assert_true(fx_exists(out, "limit2.dat"));
    char *html = read_in(out, "index.html");
    assert_non_null(strstr(html, "id=\"summary-table\""));
    assert_non_null(strstr(html, "scenarios/flaky.json"));
    assert_non_null(strstr(html, "<dt>Seed</dt><dd>42</dd>"));
    assert_non_null(strstr(html, "error_rate&lt;5%"));
    free(html);
    test_rmtree(dir);
}

/* A database that claims more than it stores cannot make the report's work
 * grow with the claim: a run "lasting" 10^13 us (four months) with 40 stored
 * seconds, and a phase index of 10^9 in an event and in the rollup. The
 * report is written in seconds, in tens of MB, with no phase beyond 32. */
static void claims_beyond_the_stored_seconds_bound_nothing(void **state)
{
    (void)state;
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    fx_run_spec a = {.label = "hostile", .pattern = "queue", .status = "completed",
                     .seconds = 40, .rate = 50, .summary = true, .no_hist = true, .seed = 3};
    int64_t id = fx_run(db, &a, NULL, NULL);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "UPDATE runs SET duration_us = 10000000000000 WHERE id = %lld;"
             "INSERT INTO events(run_id, t_us, kind, from_val, to_val) "
             "VALUES (%lld, 2000000, 'phase', 0, 1000000000);"
             "UPDATE seconds SET phase = 1000000000 WHERE run_id = %lld AND sec = 30",
             (long long)id, (long long)id, (long long)id);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    fx_close(db);

    struct rusage before, after;
    assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
    pb_usec t0 = pb_monotime_now();
    pb_report_data *d = NULL;
    pb_err err = {0};
    if (pb_report_data_load(db_path, PB_REPORT_RUN, id, &d, &err) != 0)
        fail_msg("load failed: %s", err.msg);
    for (size_t k = 0; k < d->runs[0].n_phases; k++)
        assert_true(d->runs[0].phases[k].index >= 0 && d->runs[0].phases[k].index <= 32);
    pb_report_data_destroy(d);
    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_RUN, .id = id, .out_dir = out};
    pb_report_result res;
    if (pb_report_write(&opt, &res, &err) != 0)
        fail_msg("report failed: %s", err.msg);
    double took_s = (double)(pb_monotime_now() - t0) / 1e6;
    assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);
    long grew_mb = (after.ru_maxrss - before.ru_maxrss) / 1024;
    printf("a run claiming 10^13 us over 40 stored seconds: loaded and reported in %.2f s, "
           "peak RSS up %ld MB\n",
           took_s, grew_mb);
    assert_true(took_s < 15.0);
    assert_true(grew_mb < 100);
    test_rmtree(dir);
}

static void lone_run_and_last_pick(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    int64_t cmp = fx_compare(db, "older compare", "completed", 1);
    fx_run_spec a = {.label = "q1", .pattern = "queue", .status = "completed",
                     .compare_id = cmp, .seconds = 5, .rate = 100, .summary = true, .seed = 1};
    fx_run(db, &a, NULL, NULL);
    fx_run_spec b = {.label = "lone queue", .pattern = "queue", .status = "completed",
                     .seconds = 12, .rate = 100, .summary = true, .seed = 2};
    int64_t lone = fx_run(db, &b, NULL, NULL);
    fx_close(db);

    /* --last: the most recent thing is the lone run */
    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_LAST, .out_dir = out};
    pb_report_result res = write_report(&opt);
    assert_false(res.is_compare);
    assert_int_equal(res.id, lone);
    /* one run: no comparison bars; a queue has a limit but no breaker */
    assert_int_equal(res.charts, 5);
    assert_false(fx_exists(out, "compare.gp"));
    char *gp = read_in(out, "internals.gp");
    assert_null(strstr(gp, "Circuit breaker"));
    free(gp);
    size_t images;
    fx_assert_page_self_contained(out, &images);
    assert_int_equal(images, 5);
    test_rmtree(dir);
}

static void run_without_a_closed_second(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    fx_run_spec spec = {.label = "just started", .pattern = "queue", .status = "running",
                        .seconds = 0, .rate = 100, .seed = 3};
    fx_run(db, &spec, NULL, NULL);
    fx_close(db);
    pb_report_options opt = {.db_path = db_path, .out_dir = out};
    pb_report_result res = write_report(&opt);
    assert_int_equal(res.charts, 0);
    size_t images;
    fx_assert_page_self_contained(out, &images);
    assert_int_equal(images, 0);
    char *html = read_in(out, "index.html");
    assert_non_null(strstr(html, "No charts were drawn"));
    assert_non_null(strstr(html, "running (partial)"));
    free(html);
    test_rmtree(dir);
}

static void running_run_is_reported_from_the_rollup(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    uint64_t requests, failed;
    fx_run_spec spec = {.label = "still going", .pattern = "breaker", .status = "running",
                        .seconds = 23, .rate = 150, .summary = false, .seed = 3};
    int64_t run = fx_run(db, &spec, &requests, &failed);
    fx_close(db);
    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_RUN, .id = run,
                             .out_dir = out};
    write_report(&opt);
    json_t *sum = load_json(out, "summary.json");
    json_t *r = json_array_get(json_object_get(sum, "runs"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "totals_from")), "rollup");
    assert_string_equal(json_string_value(json_object_get(r, "status")), "running");
    assert_int_equal(json_integer_value(json_object_get(r, "requests")), requests);
    assert_int_equal(json_integer_value(json_object_get(r, "failed")), failed);
    /* percentiles come from the merged per-second histograms */
    json_t *lat = json_object_get(r, "latency_ms");
    assert_true(json_is_number(json_object_get(lat, "p99")));
    assert_true(json_number_value(json_object_get(lat, "p99")) >
                json_number_value(json_object_get(lat, "p50")));
    json_decref(sum);
    char *html = read_in(out, "index.html");
    assert_non_null(strstr(html, "running (partial)"));
    free(html);
    test_rmtree(dir);
}

/* A file written before schema version 3 has no seconds.lost: a propagating
 * semaphore's lost results come from its `lost` events, each in the second of
 * its time, for the totals of a run without a summary and for every point;
 * the summary table then shows what reached the caller. */
static void older_file_counts_lost_results_from_its_events(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    fx_run_spec spec = {.label = "propagate", .pattern = "semaphore", .status = "running",
                        .seconds = 12, .rate = 100, .no_hist = true, .seed = 3};
    int64_t run = fx_run(db, &spec, NULL, NULL);
    char sql[512];
    /* 11 batches lost 19 results each, 0 to 2 of them successes, across the 12 seconds */
    for (int b = 0; b < 11; b++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO events VALUES (%lld, %d, 'lost', %d, 19, %d, 'a failure raised in "
                 "gather')",
                 (long long)run, b * 1100000 + 250000, b, b % 3);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    }
    fx_close(db);

    pb_report_data *d = NULL;
    pb_err err = {0};
    if (pb_report_data_load(db_path, PB_REPORT_RUN, run, &d, &err) != 0)
        fail_msg("load failed: %s", err.msg);
    const pb_report_run *r = &d->runs[0];
    assert_true(r->totals.from_rollup);
    assert_int_equal(r->totals.lost, 11 * 19);
    assert_int_equal(r->totals.cascaded, 10);
    double points = 0;
    for (size_t i = 0; i < r->n_points; i++)
        points += r->points[i].lost;
    assert_true(points == 11 * 19);
    assert_true(r->totals.delivered_ok_rps < r->totals.ok_rps);
    pb_report_data_destroy(d);

    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_RUN, .id = run,
                             .out_dir = out};
    pb_report_result res;
    if (pb_report_write(&opt, &res, &err) != 0)
        fail_msg("report failed: %s", err.msg);
    char *md = read_in(out, "summary.md");
    assert_non_null(strstr(md, "| 209 (10 ok) |"));
    assert_non_null(strstr(md, "delivered ok/s"));
    free(md);
    test_rmtree(dir);
}

static void hostile_text_runs_no_command(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX], m1[PATH_MAX], m2[PATH_MAX],
        m3[PATH_MAX], control[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(db_path, sizeof(db_path), dir, "pb.db");
    fx_path(out, sizeof(out), dir, "report");
    fx_path(m1, sizeof(m1), dir, "pwned_backquote");
    fx_path(m2, sizeof(m2), dir, "pwned_system");
    fx_path(m3, sizeof(m3), dir, "pwned_newline");
    fx_path(control, sizeof(control), dir, "control");

    const char *gnuplot = getenv("PB_GNUPLOT");
    if (gnuplot == NULL && access("/usr/bin/gnuplot", X_OK) != 0)
        skip();
    /* control: the same gnuplot does run a backquoted command in a double-quoted
     * title, so the report's escaping is what stops it below */
    char script[PATH_MAX], line[PATH_MAX * 2];
    fx_path(script, sizeof(script), dir, "control.gp");
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    snprintf(line, sizeof(line), "set title \"x`touch %s`\"\n", control);
    fputs(line, f);
    assert_int_equal(fclose(f), 0);
    pb_child control_run;
    pb_child_options with_gnuplot = {.program = gnuplot != NULL ? gnuplot : "/usr/bin/gnuplot"};
    assert_int_equal(pb_child_run(&control_run, (const char *const[]){script, NULL}, &with_gnuplot,
                                  PB_TEST_TIMEOUT_MS),
                     0);
    pb_child_cleanup(&control_run);
    assert_int_equal(access(control, F_OK), 0);

    char label[PATH_MAX * 4], title[PATH_MAX * 4];
    snprintf(label, sizeof(label),
             "x`touch %s`\" ; system('touch %s') ; print 'a\n"
             "system(\"touch %s\")\r\n<script>alert(1)</script> @x 100%% %%s",
             m1, m2, m3);
    snprintf(title, sizeof(title), "t`touch %s`' . system('touch %s') . '", m1, m2);
    sqlite3 *db = fx_create(db_path);
    int64_t cmp = fx_compare(db, title, "completed", 9);
    fx_run_spec a = {.label = label, .pattern = "breaker", .status = "completed",
                     .compare_id = cmp, .seconds = 26, .rate = 100, .summary = true, .seed = 4};
    fx_run_spec b = {.label = "plain", .pattern = "adaptive", .status = "completed",
                     .compare_id = cmp, .seconds = 26, .rate = 100, .summary = true, .seed = 5};
    fx_run(db, &a, NULL, NULL);
    fx_run(db, &b, NULL, NULL);
    /* the phase name reaches charts as a label too */
    assert_int_equal(sqlite3_exec(db, "UPDATE events SET detail = 'p`touch " "/dev/null`'' ; "
                                      "system(''id'')' WHERE kind = 'phase' AND to_val = 2",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    fx_close(db);

    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_COMPARE, .id = cmp,
                             .out_dir = out};
    pb_report_result res = write_report(&opt);
    assert_int_equal(res.charts, 6);
    assert_int_equal(access(m1, F_OK), -1);
    assert_int_equal(access(m2, F_OK), -1);
    assert_int_equal(access(m3, F_OK), -1);
    /* the label is still shown, made harmless */
    char *gp = read_in(out, "throughput.gp");
    assert_null(strchr(gp, '`'));
    assert_non_null(strstr(gp, "'xtouch "));
    free(gp);
    char *html = read_in(out, "index.html");
    assert_null(strstr(html, "<script>"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    free(html);
    test_rmtree(dir);
}

static void missing_gnuplot_still_writes_the_numbers(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX], empty[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(db_path, sizeof(db_path), dir, "pb.db");
    fx_path(out, sizeof(out), dir, "report");
    fx_path(empty, sizeof(empty), dir, "empty-bin");
    assert_int_equal(mkdir(empty, 0755), 0);
    sqlite3 *db = fx_create(db_path);
    fx_run_spec spec = {.label = "q", .pattern = "queue", .status = "completed", .seconds = 4,
                        .rate = 50, .summary = true, .seed = 1};
    fx_run(db, &spec, NULL, NULL);
    fx_close(db);

    /* through the command, with a PATH that has no gnuplot */
    char path_env[PATH_MAX + 8];
    snprintf(path_env, sizeof(path_env), "PATH=%s", empty);
    char *envp[] = {path_env, NULL};
    pb_child c;
    assert_int_equal(pb_child_run(&c, (const char *const[]){"report", db_path, "-o", out, NULL},
                                  &(pb_child_options){.envp = envp}, PB_TEST_TIMEOUT_MS),
                     1);
    assert_non_null(strstr(c.err, "gnuplot-nox"));
    assert_non_null(strstr(c.err, "summary.md"));
    pb_child_cleanup(&c);
    assert_true(fx_exists(out, "summary.md"));
    assert_true(fx_exists(out, "summary.json"));
    size_t images;
    fx_assert_page_self_contained(out, &images);
    assert_int_equal(images, 0);
    char *html = read_in(out, "index.html");
    assert_non_null(strstr(html, "gnuplot-nox"));
    free(html);
    /* the scripts are there to draw later */
    assert_true(fx_exists(out, "throughput.gp"));

    /* through the API, with the override naming a program that is not there */
    char nothing[PATH_MAX + 16];
    snprintf(nothing, sizeof(nothing), "%s/no-gnuplot", empty);
    char *saved = getenv("PB_GNUPLOT") != NULL ? strdup(getenv("PB_GNUPLOT")) : NULL;
    setenv("PB_GNUPLOT", nothing, 1);
    pb_report_options opt = {.db_path = db_path, .out_dir = out};
    pb_report_result res;
    pb_err err = {0};
    assert_int_equal(pb_report_write(&opt, &res, &err), PB_ENOENT);
    assert_non_null(strstr(err.msg, "no-gnuplot"));
    assert_int_equal(res.charts, 0);
    if (saved != NULL)
        setenv("PB_GNUPLOT", saved, 1);
    else
        unsetenv("PB_GNUPLOT");
    free(saved);
    test_rmtree(dir);
}

/* A writer appending rollup rows to a running run, as the recorder does. */
struct writer {
    const char *path;
    int64_t run;
    atomic_int stop;
    atomic_llong rows;
    int error;
    pthread_mutex_t mu;
    pthread_cond_t started;
    bool ready;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open(w->path, &db) != SQLITE_OK)
        w->error = -1;
    sqlite3_busy_timeout(db, 5000);
    if (w->error == 0 &&
        sqlite3_prepare_v2(db,
                           "INSERT INTO seconds(run_id, sec, count, ok, http_error, timeout, "
                           "connect_error, reset, protocol_error, rejected, dropped, other, "
                           "retries, bytes, p50_us, p90_us, p99_us, max_us, in_flight, lim, "
                           "queue, breaker, phase) VALUES (?1, ?2, 100, 99, 1, 0, 0, 0, 0, 0, "
                           "0, 0, 0, 23000, 20000, 30000, 45000, 60000, 8, 10, 0, 1, 0)",
                           -1, &st, NULL) != SQLITE_OK)
        w->error = -2;
    /* keep committing until the report is done; bounded in case it never is */
    for (int64_t sec = 1000; w->error == 0 && !atomic_load(&w->stop) && sec < 1000000; sec++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, w->run);
        sqlite3_bind_int64(st, 2, sec);
        if (sqlite3_step(st) != SQLITE_DONE) {
            w->error = sqlite3_errcode(db);
            break;
        }
        if (atomic_fetch_add(&w->rows, 1) == 99) {
            pthread_mutex_lock(&w->mu);
            w->ready = true;
            pthread_cond_signal(&w->started);
            pthread_mutex_unlock(&w->mu);
        }
    }
    pthread_mutex_lock(&w->mu);
    w->ready = true;
    pthread_cond_signal(&w->started);
    pthread_mutex_unlock(&w->mu);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

static void report_while_a_run_writes(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    fx_run_spec spec = {.label = "live", .pattern = "adaptive", .status = "running",
                        .seconds = 30, .rate = 100, .summary = false, .seed = 8};
    int64_t run = fx_run(db, &spec, NULL, NULL);
    fx_close(db);

    struct writer w = {.path = db_path, .run = run};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.started, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    pthread_mutex_lock(&w.mu);
    while (!w.ready)
        pthread_cond_wait(&w.started, &w.mu);
    pthread_mutex_unlock(&w.mu);
    long long before = atomic_load(&w.rows);

    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_RUN, .id = run,
                             .out_dir = out};
    pb_report_result res;
    pb_err err = {0};
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = pb_report_write(&opt, &res, &err);
    long long during = atomic_load(&w.rows) - before;
    atomic_store(&w.stop, 1);
    assert_int_equal(pthread_join(th, NULL), 0);
    if (rc != 0)
        fail_msg("report of a live database failed: %s", err.msg);
    /* the writer kept committing while the reports read, and never failed */
    assert_int_equal(w.error, 0);
    assert_true(during > 0);
    assert_int_equal(res.charts, 5);
    json_t *sum = load_json(out, "summary.json");
    json_t *r = json_array_get(json_object_get(sum, "runs"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "totals_from")), "rollup");
    json_decref(sum);
    pthread_cond_destroy(&w.started);
    pthread_mutex_destroy(&w.mu);
    test_rmtree(dir);
}

static void report_of_a_killed_run(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    fx_close(db);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the killed run: writes, then dies without closing the database */
        sqlite3 *cdb;
        if (sqlite3_open(db_path, &cdb) != SQLITE_OK)
            _exit(3);
        fx_run_spec spec = {.label = "killed", .pattern = "backpressure", .status = "running",
                            .seconds = 15, .rate = 100, .summary = false, .seed = 6};
        fx_run(cdb, &spec, NULL, NULL);
        raise(SIGKILL);
        _exit(4);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    pb_report_options opt = {.db_path = db_path, .out_dir = out};
    pb_report_result res;
    pb_err err = {0};
    if (pb_report_write(&opt, &res, &err) != 0)
        fail_msg("report of a killed run failed: %s", err.msg);
    assert_int_equal(res.runs, 1);
    json_t *sum = load_json(out, "summary.json");
    json_t *r = json_array_get(json_object_get(sum, "runs"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "label")), "killed");
    assert_true(json_integer_value(json_object_get(r, "requests")) > 1000);
    json_decref(sum);
    test_rmtree(dir);
}

/* A lone queue run of `seconds` (rate requests a second, summary points for
 * latency) in a fresh workspace, reported into out; returns its id. */
static int64_t report_lone_run(char *dir, char *db_path, char *out, int seconds, int rate)
{
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    fx_run_spec spec = {.label = "lone",
                        .pattern = "queue",
                        .status = "completed",
                        .seconds = seconds,
                        .rate = rate,
                        .summary = true,
                        .no_hist = true,
                        .seed = 2};
    int64_t run = fx_run(db, &spec, NULL, NULL);
    fx_close(db);
    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_RUN, .id = run,
                             .out_dir = out};
    write_report(&opt);
    return run;
}

/* A run alone of more than an hour is drawn against UTC wall-clock time from
 * its stored start (2024-05-01 10:00:00Z in the fixture), and says so. */
static void long_run_is_downsampled(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    int64_t run = report_lone_run(dir, db_path, out, 6 * 3600, 10);
    char name[64];
    snprintf(name, sizeof(name), "run%lld.dat", (long long)run);
    char *dat = read_in(out, name);
    size_t rows = 0;
    for (const char *p = dat; *p != '\0'; p++)
        rows += *p == '\n';
    free(dat);
    /* 21,600 seconds plotted as 15 s buckets: 1,440 points plus the header */
    assert_true(rows >= 1400 && rows <= 2002);
    static const char *const timed[] = {"throughput.gp", "errors.gp", "latency.gp",
                                        "internals.gp"};
    for (size_t i = 0; i < sizeof(timed) / sizeof(timed[0]); i++) {
        char *gp = read_in(out, timed[i]);
        if (strstr(gp, "x0 = 1714557600\n") == NULL || strstr(gp, "set xdata time\n") == NULL ||
            strstr(gp, "set timefmt '%s'\n") == NULL ||
            strstr(gp, "set format x \"%H:%M\"\n") == NULL ||
            strstr(gp, "set xlabel 'wall-clock time, UTC (the run started ' . "
                       "strftime('%Y-%m-%d %H:%M:%S', x0) . ')'") == NULL ||
            strstr(gp, "time since run start") != NULL)
            fail_msg("%s does not draw wall-clock time: %s", timed[i], gp);
        free(gp);
    }
    /* gnuplot drew it so: hours of the day under the axis, and the start */
    char *svg = read_in(out, "throughput.svg");
    if (strstr(svg, ">11:00<") == NULL || strstr(svg, ">15:00<") == NULL ||
        strstr(svg, "(the run started 2024-05-01 10:00:00)") == NULL)
        fail_msg("throughput.svg has no wall-clock axis");
    free(svg);
    fx_assert_png(out, "throughput.png");
    json_t *sum = load_json(out, "summary.json");
    assert_int_equal(json_integer_value(json_object_get(sum, "seconds_per_point")), 15);
    json_decref(sum);
    test_rmtree(dir);
}

/* An hour or less keeps the time since the run's start. */
static void an_hour_keeps_the_time_since_the_start(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    report_lone_run(dir, db_path, out, 3600, 1);
    char *gp = read_in(out, "throughput.gp");
    assert_non_null(strstr(gp, "time since run start (min)"));
    assert_null(strstr(gp, "xdata time"));
    free(gp);
    test_rmtree(dir);
}

static void expect_error(const char *db_path, pb_report_pick pick, int64_t id, const char *out,
                         int code, const char *needle)
{
    pb_report_options opt = {.db_path = db_path, .pick = pick, .id = id, .out_dir = out};
    pb_report_result res;
    pb_err err = {0};
    int rc = pb_report_write(&opt, &res, &err);
    if (rc != code || strstr(err.msg, needle) == NULL)
        fail_msg("%s: expected error %d with \"%s\", got %d: %s", db_path, code, needle, rc,
                 err.msg);
}

/* `patternbench ARGS...`, case i of a table, exits with status and says needle on stderr. */
static void expect_cli_error(size_t i, const char *const *args, int status, const char *needle)
{
    pb_child c;
    assert_int_equal(pb_child_run(&c, args, NULL, PB_TEST_TIMEOUT_MS), status);
    if (strstr(c.err, needle) == NULL)
        fail_msg("case %zu: expected \"%s\" in: %s", i, needle, c.err);
    pb_child_cleanup(&c);
}

static void bad_inputs_get_clear_errors(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX], p[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(db_path, sizeof(db_path), dir, "pb.db");
    fx_path(out, sizeof(out), dir, "report");

    fx_path(p, sizeof(p), dir, "missing.db");
    expect_error(p, PB_REPORT_LAST, 0, out, PB_ENOENT, "missing.db");
    fx_path(p, sizeof(p), dir, "notes.txt");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("not a database at all, just some text that is long enough to look like a header\n",
          f);
    assert_int_equal(fclose(f), 0);
    expect_error(p, PB_REPORT_LAST, 0, out, PB_EDB, "notes.txt");
    /* in a user's words, not SQLite's "file is not a database" */
    expect_error(p, PB_REPORT_LAST, 0, out, PB_EDB, "not a database file (patternbench writes");
    expect_error(dir, PB_REPORT_LAST, 0, out, PB_EINVAL, "not a regular file");

    sqlite3 *db = fx_create(db_path);
    expect_error(db_path, PB_REPORT_LAST, 0, out, PB_ENOENT, "no runs yet");
    fx_run_spec spec = {.label = "q", .pattern = "queue", .status = "completed", .seconds = 3,
                        .rate = 20, .summary = true, .seed = 1};
    fx_run(db, &spec, NULL, NULL);
    expect_error(db_path, PB_REPORT_RUN, 99, out, PB_ENOENT, "no run with id 99");
    expect_error(db_path, PB_REPORT_COMPARE, 5, out, PB_ENOENT, "no compare with id 5");
    /* an output path that is a file */
    fx_path(p, sizeof(p), dir, "notes.txt");
    expect_error(db_path, PB_REPORT_LAST, 0, p, PB_EINVAL, "not a folder");
    /* a corrupt summary falls back to the rollup with a warning, not a failure */
    assert_int_equal(sqlite3_exec(db, "UPDATE runs SET summary_json = '{\"requests\": '", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    pb_report_options opt = {.db_path = db_path, .out_dir = out};
    pb_report_result res;
    pb_err err = {0};
    if (pb_report_write(&opt, &res, &err) != 0)
        fail_msg("report with a corrupt summary failed: %s", err.msg);
    char *md = read_in(out, "summary.md");
    assert_non_null(strstr(md, "summary\\_json is not a JSON object"));
    free(md);
    /* a newer schema is refused, naming both versions */
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
    expect_error(db_path, PB_REPORT_LAST, 0, out, PB_ENOTSUP, "schema version 7");
    fx_close(db);
    /* another SQLite database */
    fx_path(p, sizeof(p), dir, "other.db");
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    fx_close(db);
    expect_error(p, PB_REPORT_LAST, 0, out, PB_EPARSE, "not a patternbench database");

    /* the command line */
    struct {
        const char *args[6];
        int status;
        const char *needle;
    } cases[] = {
        {{"report", NULL}, 2, "expected a database file"},
        {{"report", db_path, "--frobnicate", NULL}, 2, "--frobnicate: unknown option"},
        {{"report", db_path, "--run", "abc", NULL}, 2, "--run"},
        {{"report", db_path, "--run", NULL}, 2, "--run: expected a value"},
        {{"report", db_path, "--run", "1", "--last", NULL}, 2, "at most one of"},
        {{"report", db_path, "-o", NULL}, 2, "-o: expected a folder"},
        {{"report", db_path, "--compare", "3", NULL}, 1, "schema version 7"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_cli_error(i, cases[i].args, cases[i].status, cases[i].needle);
    pb_child c;
    assert_int_equal(
        pb_child_run(&c, (const char *const[]){"report", "--help", NULL}, NULL, PB_TEST_TIMEOUT_MS),
        0);
    assert_non_null(strstr(c.out, "--compare ID"));
    pb_child_cleanup(&c);
    test_rmtree(dir);
}

/* Count the occurrences of needle in text. */
static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Issue 14, items 1, 2 and 4: what a reader of a compare's page sees first is
 * goodput, the requests each pattern let through per phase, and every
 * threshold verdict once, formatted, with the run it judged. */
static void compare_page_shows_goodput_phases_and_verdicts_once(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    int64_t cmp = fx_compare(db, "Verdicts", "completed", 3);
    const char *patterns[] = {"queue", "breaker", "adaptive"};
    for (int i = 0; i < 3; i++) {
        fx_run_spec spec = {.label = patterns[i], .pattern = patterns[i], .status = "completed",
                            .compare_id = cmp, .seconds = 30, .rate = 100, .summary = true,
                            .seed = 5 + (uint64_t)i};
        fx_run(db, &spec, NULL, NULL);
    }
    /* as `compare` stores them: each run's verdicts again, with its label, and
     * one verdict no run holds */
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "UPDATE compares SET thresholds_json = (SELECT json_group_array(json_set(value, "
             "'$.label', runs.label)) FROM runs, json_each(json_extract(runs.summary_json, "
             "'$.thresholds')) WHERE runs.compare_id = %lld) || '' WHERE id = %lld",
             (long long)cmp, (long long)cmp);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "UPDATE compares SET thresholds_json = json_insert(thresholds_json, '$[#]', "
                     "json('{\"expr\":\"error_rate<5%\",\"value\":0.031,\"unit\":\"fraction\","
                     "\"pass\":true}'))",
                     NULL, NULL, NULL),
        SQLITE_OK);
    fx_close(db);
    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_COMPARE, .id = cmp,
                             .out_dir = out};
    write_report(&opt);

    char *html = read_in(out, "index.html");
    char *md = read_in(out, "summary.md");
    json_t *sum = load_json(out, "summary.json");
    /* 1: goodput heads the summary table and the throughput chart */
    assert_non_null(strstr(html, ">ok/s</th>"));
    char *gp = read_in(out, "throughput.gp");
    char *dat = read_in(out, "run1.dat");
    char plotted[64];
    snprintf(plotted, sizeof(plotted), "using (tx($1)):%d with lines", column_of(dat, "ok/s"));
    assert_non_null(strstr(gp, plotted));
    assert_non_null(strstr(gp, "key title 'goodput'"));
    assert_true(json_is_number(json_object_get(json_array_get(json_object_get(sum, "runs"), 0),
                                               "ok_rps")));
    /* 3: each run its own dash and marker */
    assert_non_null(strstr(gp, "dashtype 1 pointtype 7"));
    assert_non_null(strstr(gp, "dashtype 2 pointtype 5"));
    assert_non_null(strstr(gp, "dashtype 4 pointtype 9"));
    free(gp);
    free(dat);

    /* 2: the by-phase table in the page, summary.md and summary.json, with its caption */
    assert_non_null(strstr(html, "<table id=\"phase-table\">"));
    assert_non_null(strstr(html, "fewer is kinder"));
    assert_non_null(strstr(md, "## Requests sent, by mock phase"));
    assert_non_null(strstr(md, "| errors 30% | 20.0 s |"));
    json_t *phases = json_object_get(json_object_get(sum, "sent_by_phase"), "phases");
    assert_int_equal(json_array_size(phases), 3);
    json_t *errors = json_array_get(phases, 2);
    assert_string_equal(json_string_value(json_object_get(errors, "name")), "errors 30%");
    json_t *sent = json_object_get(errors, "sent");
    /* the breaker, open through most of the error phase, let through fewer */
    assert_true(json_integer_value(json_array_get(sent, 1)) <
                json_integer_value(json_array_get(sent, 0)));
    assert_true(json_integer_value(json_array_get(sent, 0)) > 0);

    /* 4: one row per threshold and run, named, formatted with a unit */
    assert_non_null(strstr(html, " of 4 threshold verdicts passed"));
    const char *table = strstr(html, "<table id=\"thresholds-table\">");
    assert_non_null(table);
    char *table_end = strstr(table, "</table>");
    assert_non_null(table_end);
    *table_end = '\0';
    assert_int_equal(count_of(table, "<tr><td"), 4);
    assert_int_equal(count_of(table, "<code>p99&lt;200ms</code>"), 3);
    assert_int_equal(count_of(table, " ms</td>"), 3);
    assert_non_null(strstr(table, "<td class=\"l\">breaker</td>"));
    assert_non_null(strstr(table, "<td class=\"l\">all runs</td>"));
    assert_non_null(strstr(table, "<td>3.10 %</td>"));
    assert_null(strstr(table, "<td>0.031</td>"));
    assert_int_equal(count_of(md, "| `p99<200ms` |"), 3);
    assert_int_equal(count_of(md, "| all runs | `error_rate<5%` | 3.10 % | pass |"), 1);
    free(html);
    free(md);
    json_decref(sum);
    test_rmtree(dir);
}

/* Issue 14, item 3: two runs that behave alike draw one line over the other;
 * the legend says so instead of losing one. */
static void coinciding_curves_are_named_in_the_legend(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    sqlite3 *db = fx_create(db_path);
    int64_t cmp = fx_compare(db, "Twins", "completed", 3);
    const char *labels[] = {"first", "twin"};
    for (int i = 0; i < 2; i++) {
        fx_run_spec spec = {.label = labels[i], .pattern = "queue", .status = "completed",
                            .compare_id = cmp, .seconds = 12, .rate = 50, .summary = true,
                            .no_hist = true, .seed = 9};
        fx_run(db, &spec, NULL, NULL);
    }
    fx_close(db);
    pb_report_options opt = {.db_path = db_path, .pick = PB_REPORT_COMPARE, .id = cmp,
                             .out_dir = out};
    write_report(&opt);
    char *gp = read_in(out, "throughput.gp");
    assert_non_null(strstr(gp, "title 'twin (= first)'"));
    assert_null(strstr(gp, "title 'first (="));
    free(gp);
    gp = read_in(out, "latency.gp");
    assert_non_null(strstr(gp, "title 'twin (= first)'"));
    free(gp);
    test_rmtree(dir);
}

/* Issue 14: runs of two databases on one page. Both files number their run 1,
 * so the data files are named by place; both runs are labelled "queue", so
 * the labels name their files; the long run sets one bucket width for both;
 * each run's configuration prints its reals in their shortest form. */
static void runs_of_two_databases_share_one_page(void **state)
{
    char dir[PATH_MAX], a_path[PATH_MAX], b_path[PATH_MAX], out[PATH_MAX];
    fx_tempdir(dir, sizeof(dir));
    fx_path(a_path, sizeof(a_path), dir, "A.db");
    fx_path(b_path, sizeof(b_path), dir, "B.db");
    fx_path(out, sizeof(out), dir, "report");
    sqlite3 *db = fx_create(a_path);
    fx_run_spec long_run = {.label = "queue", .pattern = "queue", .status = "completed",
                            .seconds = 3000, .rate = 10, .summary = true, .no_hist = true,
                            .seed = 1};
    int64_t a_run = fx_run(db, &long_run, NULL, NULL);
    /* as a run stores it: 0.9 and 0.1 + 0.2 in their shortest forms */
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE runs SET params_json = '{\"backoff\": 0.9, \"sum\": "
                                  "0.30000000000000004, \"tasks\": 7, \"ratio\": 2.0}'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    fx_close(db);
    db = fx_create(b_path);
    fx_run_spec short_run = {.label = "queue", .pattern = "queue", .status = "completed",
                             .seconds = 30, .rate = 100, .summary = true, .seed = 2};
    uint64_t b_requests;
    int64_t b_run = fx_run(db, &short_run, &b_requests, NULL);
    fx_close(db);
    assert_int_equal(a_run, b_run);

    const int64_t ids[] = {a_run};
    const pb_report_source src[] = {
        {.db_path = a_path, .pick = PB_REPORT_RUNS, .ids = ids, .n_ids = 1},
        {.db_path = b_path, .pick = PB_REPORT_LAST},
    };
    pb_report_options opt = {.sources = src, .n_sources = 2, .out_dir = out};
    pb_report_result res = write_report(&opt);
    assert_true(res.is_cross);
    assert_int_equal(res.runs, 2);
    assert_int_equal(res.databases, 2);
    fx_assert_png(out, "compare.png");
    fx_assert_png(out, "throughput.png");

    json_t *sum = load_json(out, "summary.json");
    assert_true(json_is_true(json_object_get(sum, "cross_run")));
    assert_true(json_is_null(json_object_get(sum, "database")));
    /* 3,000 seconds in at most 2,000 points: 2 s for both runs */
    assert_int_equal(json_integer_value(json_object_get(sum, "seconds_per_point")), 2);
    json_t *runs = json_object_get(sum, "runs");
    assert_int_equal(json_array_size(runs), 2);
    json_t *a = json_array_get(runs, 0), *b = json_array_get(runs, 1);
    assert_string_equal(json_string_value(json_object_get(a, "label")), "queue (A.db)");
    assert_string_equal(json_string_value(json_object_get(b, "label")), "queue (B.db)");
    assert_string_equal(json_string_value(json_object_get(a, "database")), a_path);
    assert_string_equal(json_string_value(json_object_get(b, "database")), b_path);
    assert_int_equal(json_integer_value(json_object_get(b, "requests")), b_requests);
    json_decref(sum);
    /* one data file per run although both are run 1; B's short run in 2 s buckets */
    char *dat = read_in(out, "run2.dat");
    assert_non_null(strstr(dat, "\n28 "));
    assert_null(strstr(dat, "\n29 "));
    free(dat);
    assert_true(fx_exists(out, "run1.dat"));
    char *gp = read_in(out, "throughput.gp");
    assert_non_null(strstr(gp, "'queue (A.db)"));
    assert_non_null(strstr(gp, "'queue (B.db)"));
    free(gp);

    char *page = read_in(out, "index.html");
    assert_non_null(strstr(page, "<h1>queue (A.db) vs queue (B.db)</h1>"));
    assert_non_null(strstr(page, "&quot;backoff&quot;: 0.9,"));
    assert_null(strstr(page, "0.90000000000000002"));
    assert_non_null(strstr(page, "&quot;sum&quot;: 0.30000000000000004,"));
    assert_non_null(strstr(page, "&quot;tasks&quot;: 7,"));
    assert_non_null(strstr(page, "&quot;ratio&quot;: 2.0\n"));
    free(page);

    /* the command line: DB:ID names runs, unknown ids and files are named */
    char a_two[PATH_MAX + 8];
    snprintf(a_two, sizeof(a_two), "%s:1,7,9", a_path);
    char missing[PATH_MAX];
    fx_path(missing, sizeof(missing), dir, "missing.db");
    struct {
        const char *args[6];
        int status;
        const char *needle;
    } cases[] = {
        {{"report", a_path, "--runs", "1,7,9", NULL}, 1, "A.db: no runs with ids 7, 9"},
        {{"report", a_two, b_path, NULL}, 1, "A.db: no runs with ids 7, 9"},
        {{"report", a_path, "--runs", "1,8", NULL}, 1, "A.db: no run with id 8"},
        {{"report", a_path, missing, NULL}, 1, "missing.db: No such file"},
        {{"report", a_path, "--runs", "1,1", NULL}, 2, "--runs: run 1 is listed twice"},
        {{"report", a_path, "--runs", "1,,2", NULL}, 2, "--runs: expected run ids"},
        {{"report", a_path, b_path, "--runs", "1", NULL}, 2, "name the runs of each database"},
        {{"report", a_path, b_path, "--compare", "1", NULL}, 2, "as DB:ID,ID"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_cli_error(i, cases[i].args, cases[i].status, cases[i].needle);
    test_rmtree(dir);
}

/* Issue 14, item 11: a report that cannot read its database creates nothing. */
static void failed_report_leaves_no_folder(void **state)
{
    char dir[PATH_MAX], db_path[PATH_MAX], out[PATH_MAX];
    fx_workspace(dir, db_path, out);
    pb_report_options opt = {.db_path = db_path, .out_dir = out};
    pb_report_result res;
    pb_err err = {0};
    assert_int_equal(pb_report_write(&opt, &res, &err), PB_ENOENT);
    assert_int_equal(access(out, F_OK), -1);
    pb_child c;
    assert_int_equal(pb_child_run(&c, (const char *const[]){"report", db_path, "-o", out, NULL},
                                  NULL, PB_TEST_TIMEOUT_MS),
                     1);
    pb_child_cleanup(&c);
    assert_int_equal(access(out, F_OK), -1);
    test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compare_report_writes_every_file),
        cmocka_unit_test(lone_run_and_last_pick),
        cmocka_unit_test(claims_beyond_the_stored_seconds_bound_nothing),
        cmocka_unit_test(running_run_is_reported_from_the_rollup),
        cmocka_unit_test(run_without_a_closed_second),
        cmocka_unit_test(hostile_text_runs_no_command),
        cmocka_unit_test(missing_gnuplot_still_writes_the_numbers),
        cmocka_unit_test(report_while_a_run_writes),
        cmocka_unit_test(report_of_a_killed_run),
        cmocka_unit_test(older_file_counts_lost_results_from_its_events),
        cmocka_unit_test(compare_chart_draws_what_reached_the_caller),
        cmocka_unit_test(long_run_is_downsampled),
        cmocka_unit_test(an_hour_keeps_the_time_since_the_start),
        cmocka_unit_test(bad_inputs_get_clear_errors),
        cmocka_unit_test(compare_page_shows_goodput_phases_and_verdicts_once),
        cmocka_unit_test(coinciding_curves_are_named_in_the_legend),
        cmocka_unit_test(failed_report_leaves_no_folder),
        cmocka_unit_test(runs_of_two_databases_share_one_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
