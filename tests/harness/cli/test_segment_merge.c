/* Issue 15 end to end: one mock, three `run --segment I/3` processes with a
 * shared --start-at, `merge`d; and the inputs merge refuses. The binary comes
 * from $PB_BINARY. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fault_model.h"
#include "histogram.h"
#include "mock.h"
#include "mock_config.h"
#include "pb_child.h"
#include "scratch_db.h"
#include "test_file.h"
#include "test_sql.h"

/* Run patternbench to the end; returns the exit status, stderr into err_text. */
static int run(const char *const *args, char *err_text, size_t cap)
{
    pb_child c;
    int status = pb_child_run(&c, args, NULL, PB_TEST_TIMEOUT_MS);
    snprintf(err_text, cap, "%s", c.err);
    pb_child_cleanup(&c);
    return status;
}

struct fixture {
    char dir[256], db[256], seg[3][300], one[300], merged[300], url[128];
    pb_child mock;
};

static struct fixture fx;

/* A mock with faults, and a start time 2 s ahead shared by three segments. */
static int setup(void **state)
{
    (void)state;
    scratch_db_create(fx.dir, sizeof(fx.dir), fx.db, sizeof(fx.db), "segment");
    for (int i = 0; i < 3; i++)
        snprintf(fx.seg[i], sizeof(fx.seg[i]), "%s/s%d.db", fx.dir, i);
    snprintf(fx.one, sizeof(fx.one), "%s/one.db", fx.dir);
    snprintf(fx.merged, sizeof(fx.merged), "%s/merged.db", fx.dir);
    const char *args[] = {"mock",     "--seed",     "7",         "--errors",         "503:0.1",
                          "--faults", "reset:0.03", "--latency", "uniform:50us,2ms", NULL};
    pb_child_spawn(&fx.mock, args, NULL);
    /* the first line of stdout names the bound port */
    pb_child_await(&fx.mock, PB_CHILD_OUT, "\n", 1, 10000);
    assert_int_equal(sscanf(fx.mock.out, "listening on %127s", fx.url), 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kill(fx.mock.pid, SIGTERM);
    pb_child_finish(&fx.mock, PB_TEST_TIMEOUT_MS);
    pb_child_cleanup(&fx.mock);
    const char *files[] = {fx.seg[0], fx.seg[1], fx.seg[2], fx.one, fx.merged};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        scratch_db_unlink(files[i]);
    scratch_db_remove(fx.dir, fx.db);
    return 0;
}

/* The mock's counter `name` from GET /__admin/stats, through the CLI-free path: curl. */
static int64_t mock_counter(const char *name)
{
    char cmd[512], buf[4096];
    snprintf(cmd, sizeof(cmd), "curl -s %s/__admin/stats", fx.url);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    pclose(f);
    char key[64];
    snprintf(key, sizeof(key), "\"%s\":", name);
    const char *at = strstr(buf, key);
    assert_non_null(at);
    return strtoll(at + strlen(key), NULL, 10);
}

static void three_segments_merge_into_the_run_one_process_makes(void **state)
{
    (void)state;
    char start[32], err[8192];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(start, sizeof(start), "%lld.5", (long long)now.tv_sec + 2);
    pb_child segs[3];
    char seg[3][8];
    for (int i = 0; i < 3; i++) {
        snprintf(seg[i], sizeof(seg[i]), "%d/3", i);
        const char *args[] = {"run", "--target",   fx.url,    "--segment",     seg[i], "--start-at",
                              start, "--requests", "3000",    "--concurrency", "8",    "--seed",
                              "7",   "--db",       fx.seg[i], "--quiet",       NULL};
        pb_child_spawn(&segs[i], args, NULL);
    }
    for (int i = 0; i < 3; i++) {
        pb_child_finish(&segs[i], PB_TEST_TIMEOUT_MS);
        if (pb_child_exit_code(&segs[i]) != 0)
            fail_msg("segment %d: %s", i, segs[i].err);
        pb_child_cleanup(&segs[i]);
    }
    int64_t mock_requests =
        mock_counter("requests") - mock_counter("resent_resets") - mock_counter("resent_hangs");
    const char *margs[] = {"merge", fx.merged, fx.seg[0], fx.seg[1], fx.seg[2], NULL};
    if (run(margs, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);

    sqlite3 *m = test_db_open(fx.merged);
    int64_t rows = test_sql_int(m, "SELECT count(*) FROM requests WHERE run_id = 1");
    assert_int_equal(rows, 3000);
    /* the mock counted each attempt once (libcurl's own re-sends aside) */
    assert_int_equal(rows, mock_requests);
    assert_int_equal(test_sql_int(m, "SELECT json_extract(summary_json, '$.requests') FROM runs"),
                     rows);
    assert_int_equal(test_sql_int(m, "SELECT sum(count) FROM seconds WHERE run_id = 1"), rows);
    /* per outcome: the merged summary is the segments' sum and the rows' count */
    const char *outcomes[][2] = {{"ok", "0"}, {"http_error", "1"}, {"reset", "4"}};
    for (int o = 0; o < 3; o++) {
        char sql[256];
        int64_t sum = 0;
        for (int i = 0; i < 3; i++) {
            sqlite3 *s = test_db_open(fx.seg[i]);
            snprintf(sql, sizeof(sql),
                     "SELECT json_extract(summary_json, '$.outcomes.%s') FROM runs",
                     outcomes[o][0]);
            sum += test_sql_int(s, sql);
            sqlite3_close(s);
        }
        snprintf(sql, sizeof(sql), "SELECT json_extract(summary_json, '$.outcomes.%s') FROM runs",
                 outcomes[o][0]);
        assert_int_equal(test_sql_int(m, sql), sum);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM requests WHERE code & 15 = %s",
                 outcomes[o][1]);
        assert_int_equal(test_sql_int(m, sql), sum);
    }
    /* p50/p99: the percentiles over the union of the raw rows, within 0.1 % */
    pb_hist *h;
    assert_int_equal(pb_hist_create_latency(&h), 0);
    sqlite3_stmt *q;
    assert_int_equal(
        sqlite3_prepare_v2(m, "SELECT total_us FROM requests WHERE code & 15 NOT IN (6, 7)", -1, &q,
                           NULL),
        SQLITE_OK);
    uint64_t *v = calloc(3000, sizeof(*v));
    size_t n = 0;
    while (sqlite3_step(q) == SQLITE_ROW && n < 3000)
        v[n++] = (uint64_t)sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    for (size_t i = 1; i < n; i++) /* insertion sort: 3000 values */
        for (size_t k = i; k > 0 && v[k - 1] > v[k]; k--) {
            uint64_t t = v[k];
            v[k] = v[k - 1];
            v[k - 1] = t;
        }
    double ps[] = {50, 99};
    const char *keys[] = {"p50", "p99"};
    for (int i = 0; i < 2; i++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT json_extract(summary_json, '$.latency_us.%s') FROM runs",
                 keys[i]);
        double exact = (double)v[(size_t)((ps[i] / 100) * (double)n + 0.999999) - 1];
        double merged = (double)test_sql_int(m, sql);
        assert_true(merged >= exact && merged <= exact * 1.001 + 1);
    }
    free(v);
    pb_hist_destroy(h);
    /* the segments started together: aimed .5 s, achieved within 50 ms */
    assert_true(
        test_sql_int(m, "SELECT json_extract(summary_json, '$.segment.start_skew_us') FROM runs") <
        50000);

    /* task by task: segment I sent the task numbers k = j*3 + I, so its 503s
     * are exactly the mock's draws for those k (a segment numbering its tasks
     * j, or another share, meets other draws) */
    pb_mock_config *mc;
    assert_int_equal(pb_mock_config_create(&mc), 0);
    pb_err merr;
    assert_int_equal(pb_mock_config_set(mc, "errors", "503:0.1", &merr), 0);
    assert_int_equal(pb_mock_config_set(mc, "faults", "reset:0.03", &merr), 0);
    assert_int_equal(pb_mock_config_set(mc, "latency", "uniform:50us,2ms", &merr), 0);
    for (int i = 0; i < 3; i++) {
        int64_t expected = 0;
        for (uint64_t k = (uint64_t)i; k < 3000; k += 3) {
            pb_fault_decision d;
            pb_fault_decide(&mc->base, 7, k << 8, &d); /* the stream of (seq k, attempt 0) */
            expected += d.action == PB_MOCK_ERROR && d.status == 503;
        }
        sqlite3 *s = test_db_open(fx.seg[i]);
        assert_true(expected > 50);
        assert_int_equal(
            test_sql_int(s, "SELECT count(*) FROM requests WHERE (code >> 6) & 1023 = 503"),
            expected);
        sqlite3_close(s);
    }
    pb_mock_config_destroy(mc);

    /* the same seed in one process meets the same faults: task numbers j*3 + I
     * are the ones a single process uses, so every outcome count is equal */
    const char *oargs[] = {"run",           "--target", fx.url,   "--requests", "3000",
                           "--concurrency", "8",        "--seed", "7",          "--db",
                           fx.one,          "--quiet",  NULL};
    if (run(oargs, err, sizeof(err)) != 0)
        fail_msg("one process: %s", err);
    sqlite3 *one = test_db_open(fx.one);
    for (int o = 0; o < 9; o++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM requests WHERE code & 15 = %d", o);
        assert_int_equal(test_sql_int(one, sql), test_sql_int(m, sql));
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM requests WHERE code & 15 = %d AND (code >> 6) & 1023 = 503",
                 o);
        assert_int_equal(test_sql_int(one, sql), test_sql_int(m, sql));
    }
    sqlite3_close(one);
    sqlite3_close(m);

    /* a merged run reports like any other */
    char report_dir[300];
    snprintf(report_dir, sizeof(report_dir), "%s/report", fx.dir);
    const char *rargs[] = {"report", fx.merged, "-o", report_dir, NULL};
    int rc = run(rargs, err, sizeof(err));
    assert_true(rc == 0 || strstr(err, "gnuplot") != NULL);
    test_rmtree(report_dir);
}

/* Sum of the first column of sql over the segment files. */
static int64_t segments_sum(char files[][300], int n, const char *sql)
{
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        sqlite3 *s = test_db_open(files[i]);
        sum += test_sql_int(s, sql);
        sqlite3_close(s);
    }
    return sum;
}

/* Segments of a semaphore under --on-error propagate: the merged run's
 * seconds hold the segments' lost results summed, as its summary's
 * pattern.lost sums theirs, and every row's seq is copied. A segment
 * written before schema version 3 (made here by taking its columns away)
 * gives its lost results from its `lost` events: the same merged totals. */
static void merge_sums_lost_results(void **state)
{
    (void)state;
    char err[8192], seg[2][300], merged[300], older[300];
    for (int i = 0; i < 2; i++) {
        snprintf(seg[i], sizeof(seg[i]), "%s/p%d.db", fx.dir, i);
        char share[8];
        snprintf(share, sizeof(share), "%d/2", i);
        const char *args[] = {
            "run",       "--target",      fx.url, "--pattern", "semaphore", "--on-error",
            "propagate", "--batch",       "10",   "--segment", share,       "--requests",
            "2000",      "--concurrency", "4",    "--seed",    "7",         "--db",
            seg[i],      "--quiet",       NULL};
        if (run(args, err, sizeof(err)) != 0)
            fail_msg("segment %d: %s", i, err);
    }
    /* seq as the mock records it: some rows without (a client that sent no X-PB-Seq) */
    sqlite3 *w;
    assert_int_equal(sqlite3_open(seg[0], &w), SQLITE_OK);
    assert_int_equal(sqlite3_exec(w,
                                  "UPDATE requests SET seq = CASE WHEN rowid % 5 = 0 THEN rowid * 2"
                                  " END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(w);
    int64_t lost = segments_sum(seg, 2, "SELECT sum(lost) FROM seconds");
    int64_t cascaded = segments_sum(seg, 2, "SELECT sum(cascaded) FROM seconds");
    assert_int_equal(lost, segments_sum(seg, 2,
                                        "SELECT json_extract(summary_json, "
                                        "'$.pattern.lost') FROM runs"));
    /* 10 % errors and 3 % resets in batches of 10: most batches raise */
    assert_true(lost > 500);
    assert_true(cascaded > 0);

    snprintf(merged, sizeof(merged), "%s/pmerged.db", fx.dir);
    const char *margs[] = {"merge", merged, seg[0], seg[1], NULL};
    if (run(margs, err, sizeof(err)) != 0)
        fail_msg("merge: %s", err);
    sqlite3 *m = test_db_open(merged);
    assert_int_equal(test_sql_int(m, "SELECT sum(lost) FROM seconds"), lost);
    assert_int_equal(test_sql_int(m, "SELECT sum(cascaded) FROM seconds"), cascaded);
    assert_int_equal(
        test_sql_int(m, "SELECT json_extract(summary_json, '$.pattern.lost') FROM runs"), lost);
    assert_int_equal(
        test_sql_int(m, "SELECT json_extract(summary_json, '$.pattern.cascaded') FROM runs"),
        cascaded);
    assert_int_equal(test_sql_int(m, "SELECT count(seq) FROM requests"),
                     segments_sum(seg, 2, "SELECT count(seq) FROM requests"));
    assert_int_equal(test_sql_int(m, "SELECT sum(seq) FROM requests"),
                     segments_sum(seg, 2, "SELECT sum(seq) FROM requests"));
    sqlite3_close(m);

    /* segment 1 as schema version 2 wrote it: no lost, cascaded or seq */
    assert_int_equal(sqlite3_open(seg[1], &w), SQLITE_OK);
    assert_int_equal(sqlite3_exec(w,
                                  "DROP VIEW requests_v; ALTER TABLE requests DROP COLUMN seq;"
                                  " ALTER TABLE seconds DROP COLUMN lost;"
                                  " ALTER TABLE seconds DROP COLUMN cascaded;"
                                  " PRAGMA user_version = 2",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(w);
    snprintf(older, sizeof(older), "%s/polder.db", fx.dir);
    const char *oargs[] = {"merge", older, seg[0], seg[1], NULL};
    if (run(oargs, err, sizeof(err)) != 0)
        fail_msg("merge with a version-2 segment: %s", err);
    m = test_db_open(older);
    assert_int_equal(test_sql_int(m, "SELECT sum(lost) FROM seconds"), lost);
    assert_int_equal(test_sql_int(m, "SELECT sum(cascaded) FROM seconds"), cascaded);
    sqlite3_close(m);
    scratch_db_unlink(seg[0]);
    scratch_db_unlink(seg[1]);
    scratch_db_unlink(merged);
    scratch_db_unlink(older);
}

static void merge_refuses_inputs_that_do_not_fit(void **state)
{
    (void)state;
    char err[8192];
    /* the segments of the test above exist; an overlap, a gap, another run */
    const char *overlap[] = {"merge", fx.db, fx.seg[0], fx.seg[1], fx.seg[1], fx.seg[2], NULL};
    assert_int_equal(run(overlap, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "segment 1/3 is also in"));
    assert_non_null(strstr(err, fx.seg[1]));
    const char *missing[] = {"merge", fx.db, fx.seg[0], fx.seg[2], NULL};
    assert_int_equal(run(missing, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "segments missing: 1/3"));
    /* a segment of another configuration */
    char other[300];
    snprintf(other, sizeof(other), "%s/other.db", fx.dir);
    const char *oargs[] = {"run",        "--target", fx.url,          "--segment", "1/3",
                           "--requests", "3000",     "--concurrency", "9",         "--seed",
                           "7",          "--db",     other,           "--quiet",   NULL};
    assert_int_equal(run(oargs, err, sizeof(err)), 0);
    const char *differ[] = {"merge", fx.db, fx.seg[0], other, fx.seg[2], NULL};
    assert_int_equal(run(differ, err, sizeof(err)), 2);
    assert_non_null(strstr(err, other));
    assert_non_null(strstr(err, "params.concurrency"));
    /* an input that is not there is named with the system's reason, not
     * SQLite's "unable to open database file" */
    char nothere[300];
    snprintf(nothere, sizeof(nothere), "%s/nothere.db", fx.dir);
    assert_int_equal(run((const char *[]){"merge", fx.merged, nothere, NULL}, err, sizeof(err)), 1);
    if (strstr(err, nothere) == NULL || strstr(err, "No such file or directory") == NULL ||
        strstr(err, "unable to open") != NULL)
        fail_msg("merge of a missing input: %s", err);
    /* a lone run is not a segment */
    assert_int_equal(run((const char *[]){"merge", fx.db, fx.one, NULL}, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "is not a segment"));
    scratch_db_unlink(other);
}

/* A merge whose disk fills while it copies (a file size limit stands in for
 * the disk) exits 1 naming the output and leaves no half-merged run that
 * says it is running: what it added is deleted, or marked 'failed' when even
 * the delete does not fit; once there is room, the merge gives one completed
 * run with every segment's rows. */
static void a_merge_that_runs_out_of_disk_keeps_nothing_half_merged(void **state)
{
    (void)state;
    char out[300];
    snprintf(out, sizeof(out), "%s/full.db", fx.dir);
    struct stat st;
    assert_int_equal(stat(fx.seg[0], &st), 0);
    const char *args[] = {"merge", out, fx.seg[0], fx.seg[1], fx.seg[2], NULL};
    /* room for the schema and about one segment's rows, not three */
    pb_child_options small = {.max_file_size = (rlim_t)st.st_size};
    int64_t failed_runs = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        pb_child c;
        pb_child_spawn(&c, args, &small);
        pb_child_finish(&c, PB_TEST_TIMEOUT_MS);
        if (pb_child_exit_code(&c) != 1 || strstr(c.err, out) == NULL)
            fail_msg("attempt %d: exit %d, stderr: %s", attempt, pb_child_exit_code(&c), c.err);
        /* deleted, or when even the delete does not fit, marked failed */
        bool kept_nothing = strstr(c.err, "nothing of the merge was kept") != NULL;
        bool marked = strstr(c.err, "left marked 'failed'") != NULL;
        if (kept_nothing == marked)
            fail_msg("attempt %d: stderr: %s", attempt, c.err);
        pb_child_cleanup(&c);
        failed_runs += marked;
        assert_int_equal(test_db_int(out, "SELECT count(*) FROM runs WHERE status <> 'failed'"), 0);
        assert_int_equal(test_db_int(out, "SELECT count(*) FROM runs"), failed_runs);
    }
    char err[8192];
    assert_int_equal(run(args, err, sizeof(err)), 0);
    assert_int_equal(test_db_int(out, "SELECT count(*) FROM runs WHERE status = 'completed'"), 1);
    assert_int_equal(test_db_int(out, "SELECT count(*) FROM runs"), failed_runs + 1);
    int64_t rows = 0;
    for (int i = 0; i < 3; i++)
        rows += test_db_int(fx.seg[i], "SELECT count(*) FROM requests");
    assert_int_equal(test_db_int(out, "SELECT count(*) FROM requests WHERE run_id = (SELECT id "
                                      "FROM runs WHERE status = 'completed')"),
                     rows);
    printf("two merges out of room: %lld run%s left marked failed, the others deleted\n",
           (long long)failed_runs, failed_runs == 1 ? "" : "s");
    scratch_db_unlink(out);
}

static void bad_segment_and_past_start(void **state)
{
    (void)state;
    char err[8192];
    const char *bad[] = {"run", "--segment", "3/2", "--requests", "10", NULL};
    assert_int_equal(run(bad, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "--segment: expected I below N"));
    const char *few[] = {"run",        "--segment", "3/4",  "--concurrency", "2",
                         "--requests", "10",        "--db", fx.db,           NULL};
    assert_int_equal(run(few, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "no worker"));
    const char *fmt[] = {"run", "--start-at", "tomorrow", "--requests", "1", NULL};
    assert_int_equal(run(fmt, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "--start-at: expected Unix seconds"));
    /* a start in the past: the run starts at once, saying so */
    const char *past[] = {"run",        "--target", fx.url, "--start-at", "2020-01-01T00:00:00Z",
                          "--requests", "5",        "--db", fx.db,        NULL};
    assert_int_equal(run(past, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "warning: --start-at was"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(three_segments_merge_into_the_run_one_process_makes),
        cmocka_unit_test(merge_refuses_inputs_that_do_not_fit),
        cmocka_unit_test(a_merge_that_runs_out_of_disk_keeps_nothing_half_merged),
        cmocka_unit_test(merge_sums_lost_results),
        cmocka_unit_test(bad_segment_and_past_start),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
