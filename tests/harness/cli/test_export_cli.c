/* `patternbench export` as a user runs it (the binary from PB_BINARY): a real
 * run against the built-in mock, then its rows as CSV and JSON lines (as many
 * as the run recorded, with a server-side row's X-PB-Seq) and its latency as
 * an .hgrm file whose percentiles, parsed back, are the run summary's. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "pb_child.h"
#include "test_file.h"
#include "test_sql.h"

struct ctx {
    char dir[64];
    char db[128];
    json_t *summary; /* the run's --json summary */
};

static size_t lines_of(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p != '\0'; p++)
        n += *p == '\n';
    return n;
}

/* Run `patternbench ARGS...`, which writes the file out, to exit status 0;
 * the file's content (malloc'd). */
static char *exported(const char *const *args, const char *out)
{
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, PB_TEST_TIMEOUT_MS), 0);
    pb_child_cleanup(&ch);
    return test_slurp(out, NULL);
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    snprintf(c->dir, sizeof(c->dir), "/tmp/pb-export-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->db, sizeof(c->db), "%s/pb.db", c->dir);
    /* failures, rejections and waiting for a slot, so that every column and
     * both latencies have something to say */
    const char *run[] = {"run",
                         "--pattern",
                         "breaker",
                         "--requests",
                         "3000",
                         "--rate",
                         "1500",
                         "--concurrency",
                         "8",
                         "--latency",
                         "lognormal:2ms,20ms",
                         "--errors",
                         "503:0.3",
                         "--db",
                         c->db,
                         "--quiet",
                         "--json",
                         NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, run, NULL, PB_TEST_TIMEOUT_MS), 0);
    c->summary = json_loads(ch.out, 0, NULL);
    pb_child_cleanup(&ch);
    assert_non_null(c->summary);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    json_decref(c->summary);
    test_rmtree(c->dir);
    free(c);
    return 0;
}

static json_int_t summary_int(struct ctx *c, const char *obj, const char *key)
{
    json_t *o = obj != NULL ? json_object_get(c->summary, obj) : c->summary;
    json_t *v = json_object_get(o, key);
    assert_true(json_is_number(v));
    return (json_int_t)json_number_value(v);
}

static void csv_and_jsonl_hold_every_row(void **state)
{
    struct ctx *c = *state;
    json_int_t requests = summary_int(c, NULL, "requests");
    assert_true(requests >= 3000);
    char out[128];
    snprintf(out, sizeof(out), "%s/rows.csv", c->dir);
    const char *csv[] = {"export", c->db, "--format", "csv", "-o", out, NULL};
    char *text = exported(csv, out);
    assert_int_equal(
        strncmp(text, "run_id,intended_start_us,start_us,start_unix_us,start_time,", 59), 0);
    assert_non_null(strstr(text, ",queue,seq,target,bytes_in\n"));
    assert_int_equal(lines_of(text), (size_t)requests + 1);
    /* the client's own rows have no X-PB-Seq: the last field is empty */
    assert_int_equal(text[strlen(text) - 2], ',');
    /* every outcome the summary counts is in the rows */
    json_int_t ok = summary_int(c, "outcomes", "ok");
    json_int_t rejected = summary_int(c, "outcomes", "rejected_by_breaker");
    size_t ok_rows = 0, rejected_rows = 0;
    for (const char *p = strstr(text, ",ok,"); p != NULL; p = strstr(p + 1, ",ok,"))
        ok_rows++;
    for (const char *p = strstr(text, ",rejected_by_breaker,"); p != NULL;
         p = strstr(p + 1, ",rejected_by_breaker,"))
        rejected_rows++;
    assert_int_equal(ok_rows, (size_t)ok);
    assert_int_equal(rejected_rows, (size_t)rejected);
    assert_true(rejected > 0);
    free(text);

    const char *jsonl[] = {"export", c->db, "--run", "1", "--format", "jsonl", NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, jsonl, NULL, PB_TEST_TIMEOUT_MS), 0);
    text = ch.out;
    assert_int_equal(lines_of(text), (size_t)requests);
    /* each line is a JSON object with the documented fields; the wall-clock
     * start is the run's t = 0 on the wall clock plus the offset, and its
     * RFC 3339 text says the same microsecond */
    int64_t started_at = test_db_int(c->db, "select started_at from runs where id = 1");
    int64_t ended_at = test_db_int(c->db, "select ended_at from runs where id = 1");
    size_t parsed = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        json_t *o = json_loads(line, 0, NULL);
        assert_non_null(o);
        assert_true(json_is_integer(json_object_get(o, "start_us")));
        assert_true(json_integer_value(json_object_get(o, "start_us")) >=
                    json_integer_value(json_object_get(o, "intended_start_us")));
        assert_true(json_is_string(json_object_get(o, "outcome")));
        /* the task number, the X-PB-Seq it sent */
        assert_true(json_is_integer(json_object_get(o, "seq")));
        json_int_t unix_us = json_integer_value(json_object_get(o, "start_unix_us"));
        assert_int_equal(unix_us - json_integer_value(json_object_get(o, "start_us")), started_at);
        assert_true(unix_us >= started_at && unix_us <= ended_at);
        const char *when = json_string_value(json_object_get(o, "start_time"));
        assert_non_null(when);
        struct tm tm = {0};
        const char *rest = strptime(when, "%Y-%m-%dT%H:%M:%S", &tm);
        assert_non_null(rest);
        assert_int_equal(strlen(rest), 8); /* ".123456Z" */
        assert_int_equal(rest[7], 'Z');
        assert_int_equal((int64_t)timegm(&tm) * 1000000 + atoll(rest + 1), unix_us);
        json_decref(o);
        parsed++;
    }
    assert_int_equal(parsed, (size_t)requests);
    assert_non_null(strstr(ch.err, " rows of 1 run"));
    pb_child_cleanup(&ch);
}

/* One parsed .hgrm: its rows and footer. */
struct hgrm {
    double value[512], pct[512];
    size_t n;
    double max;
    long long total;
};

static void parse_hgrm(const char *text, struct hgrm *h)
{
    memset(h, 0, sizeof(*h));
    assert_non_null(strstr(text, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"));
    for (const char *line = text; line != NULL && *line != '\0';
         line = strchr(line, '\n') != NULL ? strchr(line, '\n') + 1 : NULL) {
        double v, p;
        long long count;
        if (sscanf(line, "#[Max = %lf, Total count = %lld]", &v, &count) == 2) {
            h->max = v;
            h->total = count;
        } else if (line[0] != '#' && sscanf(line, "%lf %lf %lld", &v, &p, &count) == 3 &&
                   h->n < 512) {
            h->value[h->n] = v;
            h->pct[h->n] = p;
            h->n++;
        }
    }
    assert_true(h->n > 10);
}

/* The value HdrHistogram's plotter reads at percentile p: the first row at
 * or past it; *below gets the last row before it. */
static double value_at(const struct hgrm *h, double p, double *below)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->pct[i] >= p - 1e-12) {
            *below = i > 0 ? h->value[i - 1] : h->value[0];
            return h->value[i];
        }
    fail_msg("no row at percentile %g", p);
    return NAN;
}

static void hgrm_gives_the_summary_percentiles(void **state)
{
    struct ctx *c = *state;
    static const char *const kinds[] = {"service", "corrected"};
    static const char *const objects[] = {"latency_us", "corrected_latency_us"};
    for (int k = 0; k < 2; k++) {
        char out[128];
        snprintf(out, sizeof(out), "%s/%s.hgrm", c->dir, kinds[k]);
        const char *args[] = {"export", c->db, "--format", "hgrm", "--latency",
                              kinds[k], "-o",  out,        NULL};
        char *text = exported(args, out);
        struct hgrm h;
        parse_hgrm(text, &h);
        free(text);
        /* the rows that reached the network: every attempt less the rejected */
        json_int_t network = summary_int(c, NULL, "requests") -
                             summary_int(c, "outcomes", "rejected_by_breaker") -
                             summary_int(c, "outcomes", "dropped_by_backpressure");
        assert_int_equal(h.total, network);
        /* values in ms with three decimals: the summary's microseconds exactly */
        double below;
        double p50 = value_at(&h, 0.5, &below);
        assert_int_equal(llround(p50 * 1e3), summary_int(c, objects[k], "p50"));
        /* 99 % falls between two of wrk2's steps: the summary's p99 lies between them */
        double p99_us = (double)summary_int(c, objects[k], "p99");
        double above = value_at(&h, 0.99, &below);
        assert_true(p99_us >= llround(below * 1e3) && p99_us <= llround(above * 1e3));
        if (k == 0)
            assert_int_equal(llround(h.max * 1e3), summary_int(c, "latency_us", "max"));
    }
}

static void mistakes_get_clear_messages(void **state)
{
    struct ctx *c = *state;
    char out[128], missing[128];
    snprintf(out, sizeof(out), "%s/never.csv", c->dir);
    snprintf(missing, sizeof(missing), "%s/missing.db", c->dir);
    const struct {
        const char *args[10];
        int status;
        const char *needle;
    } cases[] = {
        {{"export", NULL}, 2, "patternbench export: expected a database file"},
        {{"export", c->db, "--format", "xml", NULL},
         2,
         "patternbench export: --format: expected csv, jsonl or hgrm, got \"xml\"\nsee "
         "'patternbench export --help'"},
        {{"export", c->db, "--latency", "corrected", NULL}, 2, "--format hgrm only"},
        {{"export", c->db, "--run", "x", NULL}, 2, "--run"},
        {{"export", c->db, "--frob", NULL}, 2, "patternbench export: --frob: unknown option"},
        {{"export", c->db, "--run", "9", "-o", out, NULL}, 1, "no run with id 9"},
        {{"export", missing, "-o", out, NULL}, 1, "missing.db"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pb_child ch;
        assert_int_equal(pb_child_run(&ch, cases[i].args, NULL, PB_TEST_TIMEOUT_MS),
                         cases[i].status);
        if (strstr(ch.err, cases[i].needle) == NULL)
            fail_msg("case %zu: expected \"%s\" in: %s", i, cases[i].needle, ch.err);
        pb_child_cleanup(&ch);
        /* a failed export leaves no file behind */
        assert_int_equal(access(out, F_OK), -1);
    }
}

/* A database of a schema version export does not know (newer, or below 1)
 * is refused as report and merge refuse it: exit 1, the file named, no
 * output written (docs/schema.md). */
static void unknown_schema_versions_are_refused(void **state)
{
    struct ctx *c = *state;
    char copy[160], out[160];
    snprintf(copy, sizeof(copy), "%s/version.db", c->dir);
    snprintf(out, sizeof(out), "%s/version.csv", c->dir);
    static const struct {
        int version;
        const char *says;
    } cases[] = {
        {99, "schema version 99 is newer than this patternbench reads"},
        {-1, "not a patternbench database"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sqlite3 *db;
        /* VACUUM INTO copies the run's database whole, WAL included */
        assert_int_equal(sqlite3_open_v2(c->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        char sql[256];
        unlink(copy);
        snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", copy);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", cases[i].version);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        for (int format = 0; format < 3; format++) {
            const char *names[] = {"csv", "jsonl", "hgrm"};
            const char *args[] = {"export", copy, "--format", names[format], "-o", out, NULL};
            pb_child ch;
            assert_int_equal(pb_child_run(&ch, args, NULL, PB_TEST_TIMEOUT_MS), 1);
            if (strstr(ch.err, copy) == NULL || strstr(ch.err, cases[i].says) == NULL)
                fail_msg("version %d, %s: %s", cases[i].version, names[format], ch.err);
            pb_child_cleanup(&ch);
            assert_int_equal(access(out, F_OK), -1);
        }
    }
    unlink(copy);
}

/* A row keeps the X-PB-Seq it sent or received, up to 2^56 - 1, and a server
 * may record rows without one (made here by giving every third row one and
 * taking it from the others): CSV ends each such line with it and leaves the
 * field empty for the others; JSON lines carry "seq" only where there is one. */
static void export_carries_the_server_side_seq(void **state)
{
    struct ctx *c = *state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "UPDATE requests SET seq = CASE WHEN rowid = 3 THEN 72057594037927935"
                     " WHEN rowid % 3 = 0 THEN rowid * 10 END",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    json_int_t requests = summary_int(c, NULL, "requests");

    char out[128];
    snprintf(out, sizeof(out), "%s/seq.csv", c->dir);
    const char *csv[] = {"export", c->db, "--run", "1", "-o", out, NULL};
    char *text = exported(csv, out);
    size_t line_no = 0, with_seq = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"), line_no++) {
        if (line_no == 0)
            continue;
        /* seq is third from the end: ...,seq,target,bytes_in (both empty here) */
        size_t len = strlen(line);
        assert_true(len >= 2 && strcmp(line + len - 2, ",,") == 0);
        line[len - 2] = '\0';
        const char *seq = strrchr(line, ',') + 1;
        if (line_no % 3 == 0) {
            long long want = line_no == 3 ? 72057594037927935LL : (long long)line_no * 10;
            assert_int_equal(strtoll(seq, NULL, 10), want);
            with_seq++;
        } else {
            assert_string_equal(seq, "");
        }
    }
    assert_int_equal(line_no, (size_t)requests + 1);
    assert_int_equal(with_seq, (size_t)requests / 3);
    free(text);

    const char *jsonl[] = {"export", c->db, "--format", "jsonl", NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, jsonl, NULL, PB_TEST_TIMEOUT_MS), 0);
    text = ch.out;
    line_no = 1;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"), line_no++) {
        json_t *o = json_loads(line, 0, NULL);
        assert_non_null(o);
        json_t *seq = json_object_get(o, "seq");
        if (line_no % 3 == 0)
            assert_int_equal(json_integer_value(seq),
                             line_no == 3 ? 72057594037927935LL : (long long)line_no * 10);
        else
            assert_null(seq);
        json_decref(o);
    }
    pb_child_cleanup(&ch);
}

/* A file of schema version 1 (no seq, target or bytes_in, no lost or
 * cascaded, no harness columns) exports and reports as it is: every row, seq empty, and the file
 * still at version 1 afterwards (reading never migrates). */
static void a_version_1_file_is_read_as_it_is(void **state)
{
    struct ctx *c = *state;
    char v1[128], out[256], report_dir[128];
    snprintf(v1, sizeof(v1), "%s/v1.db", c->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(c->db, &db), SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", v1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    assert_int_equal(sqlite3_open(v1, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "DROP VIEW requests_v; ALTER TABLE requests DROP COLUMN seq;"
                     " ALTER TABLE requests DROP COLUMN target;"
                     " ALTER TABLE requests DROP COLUMN bytes_in;"
                     " ALTER TABLE seconds DROP COLUMN lost; ALTER TABLE seconds DROP COLUMN"
                     " cascaded; ALTER TABLE seconds DROP COLUMN cpu_pct; ALTER TABLE seconds"
                     " DROP COLUMN rss_bytes; ALTER TABLE seconds DROP COLUMN loop_lag_us;"
                     " ALTER TABLE seconds DROP COLUMN backlog; PRAGMA user_version = 1",
                     NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);

    snprintf(out, sizeof(out), "%s/v1.csv", c->dir);
    const char *csv[] = {"export", v1, "--run", "1", "-o", out, NULL};
    char *text = exported(csv, out);
    assert_int_equal(lines_of(text), (size_t)summary_int(c, NULL, "requests") + 1);
    /* seq, target and bytes_in: empty in every row */
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        size_t len = strlen(line);
        if (line == text)
            assert_true(len > 19 && strcmp(line + len - 19, "seq,target,bytes_in") == 0);
        else
            assert_true(len > 3 && strcmp(line + len - 3, ",,,") == 0);
    }
    free(text);

    snprintf(report_dir, sizeof(report_dir), "%s/v1-report", c->dir);
    const char *report[] = {"report", v1, "--run", "1", "-o", report_dir, NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, report, NULL, PB_TEST_TIMEOUT_MS), 0);
    pb_child_cleanup(&ch);
    snprintf(out, sizeof(out), "%s/summary.json", report_dir);
    free(test_slurp(out, NULL));

    assert_int_equal(sqlite3_open(v1, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_and_jsonl_hold_every_row),
        cmocka_unit_test(hgrm_gives_the_summary_percentiles),
        cmocka_unit_test(mistakes_get_clear_messages),
        cmocka_unit_test(unknown_schema_versions_are_refused),
        cmocka_unit_test(export_carries_the_server_side_seq),
        cmocka_unit_test(a_version_1_file_is_read_as_it_is),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
