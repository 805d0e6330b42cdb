/* The SQLite recorder against real files: what a reader of the database sees
 * after runs, under a full ring, a full disk, concurrent readers and kill -9. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "histogram.h"
#include "monotime.h"
#include "vocabulary.h"
#include "recorder.h"
#include "schema.h"

static char tmpdir[PATH_MAX];

static int make_tmpdir(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/pb-test-recorder-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
    DIR *d = opendir(tmpdir);
    if (d == NULL)
        return -1;
    struct dirent *e;
    char path[PATH_MAX + 256];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(tmpdir);
}

static const char *db_path(const char *name)
{
    static char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return path;
}

static pb_recorder *open_recorder(const char *path, uint32_t ring)
{
    pb_recorder *rec = NULL;
    pb_err err = {0};
    int rc = pb_recorder_open(path, ring, &rec, &err);
    if (rc != 0)
        fail_msg("pb_recorder_open(%s): %s", path, err.msg);
    return rec;
}

static int64_t begin_run(pb_recorder *rec, const char *pattern)
{
    pb_run_info info = {.pattern = pattern,
                        .label = "test",
                        .params_json = "{\"concurrency\":4}",
                        .config_json = "{\"duration_us\":1000000}",
                        .target = "http://127.0.0.1:1/",
                        .seed = 9,
                        .versions_json = "{\"patternbench\":\"0.1.0\",\"libcurl\":\"7\"}",
                        .host = "testhost (Linux, 2 CPUs)"};
    int64_t id = 0;
    pb_err err = {0};
    if (pb_recorder_begin_run(rec, &info, &id, &err) != 0)
        fail_msg("begin_run: %s", err.msg);
    return id;
}

static void end_run(pb_recorder *rec, int64_t id)
{
    pb_err err = {0};
    if (pb_recorder_end_run(rec, id, "completed", 1234567, "{\"requests\":1}", &err) != 0)
        fail_msg("end_run: %s", err.msg);
}

static void close_recorder(pb_recorder *rec)
{
    pb_err err = {0};
    if (pb_recorder_close(rec, &err) != 0)
        fail_msg("close: %s", err.msg);
}

static sqlite3 *open_reader(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", path, sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 10000);
    return db;
}

/* First column of the first row of sql, with ?1 bound to p1 (NULL -> -1). */
static int64_t q_int(sqlite3 *db, const char *sql, int64_t p1)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, p1);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        fail_msg("%s: no row (%s)", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* First column of the first row as text (copied into buf). */
static const char *q_text(sqlite3 *db, const char *sql, int64_t p1, char *buf, size_t cap)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, p1);
    buf[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

/* The rows of a run are exactly t_us = 0, 1, ..., count - 1, stored in that
 * order: no gap, no duplicate. One statement, so one snapshot even while a
 * writer commits. With `interleaved`, another run's rows may sit between
 * them (a second recorder on the file), so order is not checked. */
static int64_t check_prefix(sqlite3 *db, int64_t run_id, bool interleaved)
{
    static const char in_order[] =
        "WITH f AS (SELECT min(rowid) AS first FROM requests WHERE run_id = ?1)"
        " SELECT count(*), coalesce(min(t_us), 0), coalesce(max(t_us), -1),"
        " coalesce(sum(r.t_us != r.rowid - f.first), 0)"
        " FROM requests AS r, f WHERE r.run_id = ?1";
    static const char any_order[] =
        "SELECT count(*), coalesce(min(t_us), 0), coalesce(max(t_us), -1),"
        " count(*) - count(DISTINCT t_us) FROM requests WHERE run_id = ?1";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, interleaved ? any_order : in_order, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s", sqlite3_errmsg(db));
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("%s", sqlite3_errmsg(db));
    int64_t n = sqlite3_column_int64(st, 0), min = sqlite3_column_int64(st, 1);
    int64_t max = sqlite3_column_int64(st, 2), misplaced = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);
    if (min != 0 || max != n - 1 || misplaced != 0)
        fail_msg("run %lld: %lld rows with t_us from %lld to %lld, %lld out of place: not a "
                 "prefix",
                 (long long)run_id, (long long)n, (long long)min, (long long)max,
                 (long long)misplaced);
    return n;
}

static int64_t assert_prefix(sqlite3 *db, int64_t run_id)
{
    return check_prefix(db, run_id, false);
}

/* Every field varies, up to the edges of its type. */
static pb_request_row varied_row(int64_t run_id, uint64_t i)
{
    static const uint16_t statuses[] = {200, 0, 503, 404, 999, 200, 201};
    pb_request_row r = {
        .run_id = run_id,
        .t_us = i * 250,
        .wait_us = i % 5 == 0 ? i % 1000 : 0,
        .connect_us = i % 11 == 0 ? 150 : 0,
        .ttfb_us = 1000 + i % 5000,
        .status = statuses[i % 7],
        .outcome = (uint8_t)(i % PB_OUTCOME_COUNT),
        .breaker = (uint8_t)(i % 4),
        .attempt = (uint16_t)(i % 13 == 0 ? 65535 : i % 3),
        .bytes = i % 17 == 0 ? UINT32_MAX : 100 + (uint32_t)(i % 400),
        .slot = i % 19 == 0 ? UINT32_MAX : (uint32_t)(i % 64),
        .lim = 64 + (uint32_t)(i % 5),
        .queue = (uint32_t)(i % 23),
        /* a server-side row keeps the client's X-PB-Seq, up to 2^56 - 1 */
        .has_seq = i % 4 != 0,
        .seq = i % 29 == 1 ? (UINT64_C(1) << 56) - 1 : i * 7,
    };
    r.total_us = r.ttfb_us + i % 300;
    return r;
}

/* A simple row for counting tests: t_us = i, 1 ms of service. */
static pb_request_row seq_row(int64_t run_id, uint64_t i)
{
    return (pb_request_row){.run_id = run_id,
                            .t_us = i,
                            .ttfb_us = 900,
                            .total_us = 1000,
                            .status = 200,
                            .bytes = 200,
                            .slot = (uint32_t)(i % 8),
                            .lim = 8};
}

static void expect_open_error(const char *path, uint32_t ring, int code, const char *needle)
{
    pb_recorder *rec = NULL;
    pb_err err = {0};
    assert_int_equal(pb_recorder_open(path, ring, &rec, &err), code);
    assert_null(rec);
    if (strstr(err.msg, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err.msg, needle);
}

/* ---- tests ----------------------------------------------------------- */

static void creates_schema_and_appends_runs(void **state)
{
    const char *path = db_path("schema.db");
    pb_recorder *rec = open_recorder(path, 0);
    int64_t a = begin_run(rec, "queue");
    end_run(rec, a);
    close_recorder(rec);
    rec = open_recorder(path, 0); /* reopening appends */
    int64_t b = begin_run(rec, "breaker");
    assert_true(b > a);

    sqlite3 *db = open_reader(path);
    char buf[512];
    assert_int_equal(q_int(db, "PRAGMA user_version", 0), pb_schema_version());
    assert_string_equal(q_text(db, "PRAGMA journal_mode", 0, buf, sizeof(buf)), "wal");
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM sqlite_master WHERE name IN ('compares', 'runs', "
                           "'requests', 'seconds', 'events', 'requests_v')",
                           0),
                     6);
    assert_string_equal(q_text(db, "SELECT status FROM runs WHERE id = ?1", a, buf, sizeof(buf)),
                        "completed");
    assert_string_equal(q_text(db, "SELECT status FROM runs WHERE id = ?1", b, buf, sizeof(buf)),
                        "running");
    assert_int_equal(q_int(db, "SELECT duration_us FROM runs WHERE id = ?1", a), 1234567);
    assert_true(q_int(db, "SELECT ended_at - started_at FROM runs WHERE id = ?1", a) >= 0);
    assert_int_equal(q_int(db, "SELECT ended_at FROM runs WHERE id = ?1", b), -1);
    assert_string_equal(q_text(db,
                               "SELECT label || ' ' || pattern || ' ' || seed || ' ' || target"
                               " FROM runs WHERE id = ?1",
                               a, buf, sizeof(buf)),
                        "test queue 9 http://127.0.0.1:1/");
    /* the engine says where the run ran (its test checks what it says); the store keeps it */
    assert_string_equal(
        q_text(db, "SELECT versions_json FROM runs WHERE id = ?1", a, buf, sizeof(buf)),
        "{\"patternbench\":\"0.1.0\",\"libcurl\":\"7\"}");
    assert_string_equal(q_text(db, "SELECT host FROM runs WHERE id = ?1", a, buf, sizeof(buf)),
                        "testhost (Linux, 2 CPUs)");
    assert_string_equal(
        q_text(db, "SELECT json_extract(params_json, '$.concurrency') FROM runs WHERE id = ?1", a,
               buf, sizeof(buf)),
        "4");
    sqlite3_close(db);
    end_run(rec, b);
    close_recorder(rec);
}

static void refuses_what_is_not_its_database(void **state)
{
    expect_open_error("", 0, PB_EINVAL, "path is empty");
    expect_open_error(db_path("x.db"), 10, PB_ERANGE, "64");
    expect_open_error(db_path("x.db"), 1u << 30, PB_ERANGE, "4194304");

    /* not SQLite at all */
    const char *text = db_path("notes.txt");
    FILE *f = fopen(text, "w");
    assert_non_null(f);
    for (int i = 0; i < 200; i++)
        fputs("these are not the pages you are looking for\n", f);
    fclose(f);
    expect_open_error(text, 0, PB_EINVAL, text);
    expect_open_error(text, 0, PB_EINVAL, "not an SQLite database");

    /* a directory, and a file in a directory that does not exist */
    expect_open_error(tmpdir, 0, PB_EDB, tmpdir);
    expect_open_error(db_path("missing/dir/x.db"), 0, PB_EDB, "missing/dir/x.db");

    /* some other application's SQLite file */
    const char *other = db_path("other.db");
    sqlite3 *db = open_reader(other);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE invoices(id)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_open_error(other, 0, PB_EINVAL, "not a patternbench database");
    expect_open_error(other, 0, PB_EINVAL, other);

    /* a patternbench database from the future */
    const char *future = db_path("future.db");
    close_recorder(open_recorder(future, 0));
    db = open_reader(future);
    char newer[64], said[64];
    snprintf(newer, sizeof(newer), "PRAGMA user_version = %d", pb_schema_version() + 1);
    snprintf(said, sizeof(said), "schema version %d is newer", pb_schema_version() + 1);
    assert_int_equal(sqlite3_exec(db, newer, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    expect_open_error(future, 0, PB_ENOTSUP, said);
    expect_open_error(future, 0, PB_ENOTSUP, future);
}

/* The tables as schema versions 1 and 2 made them, alike but for the columns
 * that end `seconds` (which OLD_TABLES leaves open) and version 2's view. */
#define OLD_TABLES \
    "CREATE TABLE compares(id INTEGER PRIMARY KEY, title TEXT, scenario_path TEXT," \
    " scenario_json TEXT, seed INTEGER, started_at INTEGER NOT NULL, ended_at INTEGER," \
    " status TEXT NOT NULL, thresholds_json TEXT);" \
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, compare_id INTEGER REFERENCES compares(id)," \
    " label TEXT, pattern TEXT NOT NULL, params_json TEXT, config_json TEXT, seed INTEGER," \
    " target TEXT, started_at INTEGER NOT NULL, ended_at INTEGER, duration_us INTEGER," \
    " status TEXT NOT NULL, versions_json TEXT, host TEXT, summary_json TEXT," \
    " first_request INTEGER, last_request INTEGER);" \
    "CREATE TABLE requests(run_id INTEGER NOT NULL, t_us INTEGER NOT NULL, wait_us INTEGER," \
    " connect_us INTEGER, ttfb_us INTEGER, total_us INTEGER, code INTEGER, bytes INTEGER," \
    " slot INTEGER, lim INTEGER, queue INTEGER);" \
    "CREATE TABLE seconds(run_id INTEGER NOT NULL, sec INTEGER NOT NULL, count INTEGER NOT" \
    " NULL, ok INTEGER, http_error INTEGER, timeout INTEGER, connect_error INTEGER, reset" \
    " INTEGER, protocol_error INTEGER, rejected INTEGER, dropped INTEGER, other INTEGER," \
    " retries INTEGER, bytes INTEGER, p50_us INTEGER, p90_us INTEGER, p99_us INTEGER, max_us" \
    " INTEGER, hist BLOB, in_flight INTEGER, lim INTEGER, queue INTEGER, breaker INTEGER,"

#define OLD_EVENTS \
    "CREATE TABLE events(run_id INTEGER NOT NULL, t_us INTEGER NOT NULL, kind TEXT NOT NULL," \
    " from_val INTEGER, to_val INTEGER, value REAL, detail TEXT);" \
    "CREATE INDEX events_by_run ON events(run_id, kind, t_us);"

/* Run `run`'s file once it is over: end the run, close the recorder, open
 * path to read. */
static sqlite3 *finish_and_read(pb_recorder *rec, int64_t run, const char *path)
{
    end_run(rec, run);
    close_recorder(rec);
    return open_reader(path);
}

/* A database file at path made by an older version's statements. */
static void write_old_file(const char *path, const char *sql)
{
    sqlite3 *db = open_reader(path);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* A file of schema version 1 (made here with version 1's statements) is
 * upgraded when opened for writing: version 2's and 3's columns are added,
 * NULL in the old rows (lost and cascaded 0: the file has no `lost` events),
 * every row is kept, and new runs append to it. */
static void version_1_database_is_upgraded_in_place(void **state)
{
    const char *path = db_path("v1.db");
    static const char v1[] =
        OLD_TABLES " phase INTEGER, PRIMARY KEY(run_id, sec));" OLD_EVENTS
        "INSERT INTO runs(id, pattern, started_at, status) VALUES (1, 'queue', 5, 'completed');"
        "INSERT INTO requests VALUES (1, 10, 0, 0, 90, 100, 0, 200, 0, 4, 0);"
        "INSERT INTO seconds(run_id, sec, count, ok, p99_us, lim) VALUES (1, 0, 1, 1, 100, 4),"
        " (1, 1, 0, 0, NULL, 4);"
        "INSERT INTO events VALUES (1, 0, 'phase', -1, 0, 0, 'base');"
        "PRAGMA user_version = 1;";
    write_old_file(path, v1);

    pb_recorder *rec = open_recorder(path, 0);
    int64_t run = begin_run(rec, "breaker");
    pb_second_mark m = {.run_id = run,
                        .sec = 0,
                        .phase = -1,
                        .self_known = true,
                        .cpu_pct = 50.0,
                        .rss_bytes = 1 << 20,
                        .loop_lag_us = 2000,
                        .backlog = 3};
    pb_recorder_second(rec, &m);
    sqlite3 *db = finish_and_read(rec, run, path);
    assert_int_equal(q_int(db, "PRAGMA user_version", 0), pb_schema_version());
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs", 0), 2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM requests WHERE run_id = 1", 0), 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM seconds WHERE run_id = 1", 0), 2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM events WHERE run_id = 1", 0), 1);
    assert_int_equal(q_int(db, "SELECT p99_us FROM seconds WHERE run_id = 1 AND sec = 0", 0), 100);
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM seconds WHERE run_id = 1 AND cpu_pct IS NULL AND "
                           "rss_bytes IS NULL AND loop_lag_us IS NULL AND backlog IS NULL",
                           0),
                     2);
    assert_int_equal(q_int(db, "SELECT loop_lag_us FROM seconds WHERE run_id = ?1", run), 2000);
    assert_int_equal(q_int(db, "SELECT rss_bytes FROM seconds WHERE run_id = ?1", run), 1 << 20);
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM seconds WHERE run_id = 1 AND lost = 0 AND "
                           "cascaded = 0",
                           0),
                     2);
    /* the view still unpacks the old rows, and shows version 3's column */
    assert_int_equal(q_int(db, "SELECT status FROM requests_v WHERE run_id = 1", 0), 200);
    assert_int_equal(q_int(db, "SELECT seq FROM requests_v WHERE run_id = 1", 0), -1);
    /* and version 4's, NULL in the old rows */
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM requests_v WHERE target IS NULL AND "
                           "bytes_in IS NULL",
                           0),
                     q_int(db, "SELECT count(*) FROM requests", 0));
    /* and version 5's, NULL in the old seconds (their run had no stages) */
    assert_int_equal(q_int(db, "SELECT count(*) FROM seconds WHERE run_id = 1 AND ramp_target IS NULL",
                           0),
                     2);
    sqlite3_close(db);
}

/* A file of schema version 2 (version 2's statements, with a propagating
 * semaphore's `lost` events) is upgraded in place: seconds gets lost and
 * cascaded, counted from the events already there by the second of each, 0
 * where there are none; requests gets seq, NULL in the old rows, and
 * requests_v shows it; new runs append. */
static void version_2_database_is_upgraded_in_place(void **state)
{
    const char *path = db_path("v2.db");
    static const char v2[] =
        OLD_TABLES " phase INTEGER, cpu_pct REAL, rss_bytes INTEGER, loop_lag_us INTEGER,"
        " backlog INTEGER, PRIMARY KEY(run_id, sec));" OLD_EVENTS
        "CREATE VIEW requests_v AS SELECT rowid AS id, run_id, t_us, wait_us, connect_us,"
        " ttfb_us, total_us, code >> 16 AS attempt FROM requests;"
        "INSERT INTO runs(id, pattern, started_at, status) VALUES (1, 'semaphore', 5,"
        " 'completed'), (2, 'queue', 6, 'completed');"
        "INSERT INTO requests VALUES (1, 10, 0, 0, 90, 100, 0, 200, 0, 4, 0),"
        " (2, 10, 0, 0, 90, 100, 0, 200, 0, 4, 0);"
        "INSERT INTO seconds(run_id, sec, count, ok, cpu_pct) VALUES (1, 0, 8, 7, 20.0),"
        " (1, 1, 8, 6, 20.0), (1, 2, 8, 8, 20.0), (2, 0, 3, 3, 10.0), (2, 1, 3, 3, 10.0);"
        /* batches 0 and 1 end in second 0, batch 2 in second 1; run 2 at the same
         * times has none, and a phase event is not a loss */
        "INSERT INTO events VALUES (1, 300000, 'lost', 0, 3, 2.0, 'a failure raised in gather'),"
        " (1, 999999, 'lost', 1, 3, 1.0, NULL), (1, 1000000, 'lost', 2, 3, 3.0, NULL),"
        " (1, 0, 'phase', -1, 0, 0, 'base'), (2, 500000, 'limit', 4, 8, 0, NULL);"
        "PRAGMA user_version = 2;";
    write_old_file(path, v2);

    pb_recorder *rec = open_recorder(path, 0);
    int64_t run = begin_run(rec, "semaphore");
    pb_recorder_event(rec, run, 2500000, "lost", 0, 9, 4.0, NULL);
    pb_second_mark m = {.run_id = run, .sec = 2, .phase = -1};
    pb_recorder_second(rec, &m);
    sqlite3 *db = finish_and_read(rec, run, path);
    assert_int_equal(q_int(db, "PRAGMA user_version", 0), pb_schema_version());
    assert_int_equal(q_int(db, "SELECT count(*) FROM seconds", 0), 6);
    assert_int_equal(q_int(db, "SELECT lost FROM seconds WHERE run_id = 1 AND sec = 0", 0), 6);
    assert_int_equal(q_int(db, "SELECT cascaded FROM seconds WHERE run_id = 1 AND sec = 0", 0), 3);
    assert_int_equal(q_int(db, "SELECT lost FROM seconds WHERE run_id = 1 AND sec = 1", 0), 3);
    assert_int_equal(q_int(db, "SELECT cascaded FROM seconds WHERE run_id = 1 AND sec = 1", 0), 3);
    assert_int_equal(q_int(db, "SELECT lost FROM seconds WHERE run_id = 1 AND sec = 2", 0), 0);
    assert_int_equal(q_int(db, "SELECT sum(lost) + sum(cascaded) FROM seconds WHERE run_id = 2", 0),
                     0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM seconds WHERE lost IS NULL", 0), 0);
    /* the other columns of the old rows are as they were */
    assert_int_equal(q_int(db, "SELECT ok FROM seconds WHERE run_id = 1 AND sec = 1", 0), 6);
    assert_int_equal(q_int(db, "SELECT cpu_pct FROM seconds WHERE run_id = 2 AND sec = 1", 0), 10);
    /* the new run's loss, in its second */
    assert_int_equal(q_int(db, "SELECT lost FROM seconds WHERE run_id = ?1 AND sec = 2", run), 9);
    /* requests: seq NULL in the old rows; the view is version 3's, seq included */
    assert_int_equal(q_int(db, "SELECT count(*) FROM requests WHERE seq IS NULL", 0), 2);
    assert_int_equal(q_int(db, "SELECT outcome = 'ok' FROM requests_v WHERE id = 1", 0), 1);
    assert_int_equal(q_int(db, "SELECT count(seq) FROM requests_v", 0), 0);
    sqlite3_close(db);
}

static void bad_calls_are_refused_with_reasons(void **state)
{
    pb_recorder *rec = open_recorder(db_path("bad.db"), 0);
    pb_err err = {0};
    int64_t id = 0;
    pb_run_info none = {.pattern = NULL};
    assert_int_equal(pb_recorder_begin_run(rec, &none, &id, &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "pattern"));
    pb_run_info bad_json = {.pattern = "queue", .params_json = "{\"a\":"};
    assert_int_equal(pb_recorder_begin_run(rec, &bad_json, &id, &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "params_json"));

    int64_t run = begin_run(rec, "queue");
    assert_int_equal(pb_recorder_end_run(rec, run, "done", 0, NULL, &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "\"done\""));
    assert_int_equal(pb_recorder_end_run(rec, run, NULL, 0, NULL, &err), PB_EINVAL);
    assert_int_equal(pb_recorder_end_run(rec, run, "completed", 0, "[1,", &err), PB_EINVAL);
    assert_non_null(strstr(err.msg, "summary_json"));
    assert_int_equal(pb_recorder_end_run(rec, run + 100, "completed", 0, NULL, &err), PB_ENOENT);
    assert_non_null(strstr(err.msg, "is not open"));
    end_run(rec, run);
    assert_int_equal(pb_recorder_end_run(rec, run, "completed", 0, NULL, &err), PB_ENOENT);
    assert_int_equal(pb_recorder_end_compare(rec, 77, "completed", NULL, &err), PB_ENOENT);
    close_recorder(rec);
    assert_int_equal(pb_recorder_close(NULL, NULL), 0);
}

/* Every field of every row and event comes back as it went in, in order. */
static void rows_and_events_round_trip(void **state)
{
    const char *path = db_path("roundtrip.db");
    pb_recorder *rec = open_recorder(path, 1024);
    int64_t run = begin_run(rec, "breaker");
    const uint64_t n = 20000;
    for (uint64_t i = 0; i < n; i++) {
        pb_request_row r = varied_row(run, i);
        pb_recorder_request(rec, &r);
    }
    char long_detail[400];
    memset(long_detail, 'd', sizeof(long_detail) - 1);
    long_detail[sizeof(long_detail) - 1] = '\0';
    long_detail[0] = 'L';
    char eighty[81];
    memset(eighty, 'e', 80);
    eighty[80] = '\0';
    pb_recorder_event(rec, run, 5, "breaker", PB_BREAKER_CLOSED, PB_BREAKER_OPEN, 0.62,
                      "failure rate 62% >= 50%");
    pb_recorder_event(rec, run, 6, "phase", 0, 1, 0, NULL);
    pb_recorder_event(rec, run, 7, "limit", 10, 20, 1.5, long_detail);
    pb_recorder_event(rec, run, 8, "a-kind-name-that-is-far-too-long-to-keep", -5, INT64_MAX,
                      -1e300, eighty);
    sqlite3 *db = finish_and_read(rec, run, path);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT t_us, wait_us, connect_us, ttfb_us, total_us, "
                                        "status, outcome, breaker, attempt, bytes, slot, lim, "
                                        "queue, start_us, end_us, seq FROM requests_v WHERE "
                                        "run_id = ?1 ORDER BY id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, run);
    static const char *const outcomes[] = {"ok",
                                           "http_error",
                                           "timeout",
                                           "connect_error",
                                           "reset",
                                           "protocol_error",
                                           "rejected_by_breaker",
                                           "dropped_by_backpressure",
                                           "other_error"};
    static const char *const breakers[] = {"none", "closed", "open", "half_open"};
    uint64_t i = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        pb_request_row r = varied_row(run, i);
        assert_int_equal(sqlite3_column_int64(st, 0), r.t_us);
        assert_int_equal(sqlite3_column_int64(st, 1), r.wait_us);
        assert_int_equal(sqlite3_column_int64(st, 2), r.connect_us);
        assert_int_equal(sqlite3_column_int64(st, 3), r.ttfb_us);
        assert_int_equal(sqlite3_column_int64(st, 4), r.total_us);
        assert_int_equal(sqlite3_column_int64(st, 5), r.status);
        assert_string_equal(sqlite3_column_text(st, 6), outcomes[r.outcome]);
        assert_string_equal(sqlite3_column_text(st, 7), breakers[r.breaker]);
        assert_int_equal(sqlite3_column_int64(st, 8), r.attempt);
        assert_int_equal(sqlite3_column_int64(st, 9), r.bytes);
        assert_int_equal(sqlite3_column_int64(st, 10), r.slot);
        assert_int_equal(sqlite3_column_int64(st, 11), r.lim);
        assert_int_equal(sqlite3_column_int64(st, 12), r.queue);
        assert_int_equal(sqlite3_column_int64(st, 13), r.t_us + r.wait_us);
        assert_int_equal(sqlite3_column_int64(st, 14), r.t_us + r.wait_us + r.total_us);
        if (r.has_seq)
            assert_int_equal(sqlite3_column_int64(st, 15), r.seq);
        else
            assert_int_equal(sqlite3_column_type(st, 15), SQLITE_NULL);
        i++;
    }
    if (rc != SQLITE_DONE)
        fail_msg("reading %s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    assert_int_equal(i, n);
    /* the run knows where its rows are */
    assert_int_equal(q_int(db, "SELECT first_request FROM runs WHERE id = ?1", run),
                     q_int(db, "SELECT min(rowid) FROM requests WHERE run_id = ?1", run));
    assert_int_equal(q_int(db, "SELECT last_request FROM runs WHERE id = ?1", run),
                     q_int(db, "SELECT max(rowid) FROM requests WHERE run_id = ?1", run));

    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT t_us, kind, from_val, to_val, value, detail FROM "
                                        "events WHERE run_id = ?1 AND kind != 'stall' "
                                        "ORDER BY rowid",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, run);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 5);
    assert_string_equal(sqlite3_column_text(st, 1), "breaker");
    assert_int_equal(sqlite3_column_int64(st, 2), PB_BREAKER_CLOSED);
    assert_int_equal(sqlite3_column_int64(st, 3), PB_BREAKER_OPEN);
    assert_float_equal(sqlite3_column_double(st, 4), 0.62, 1e-12);
    assert_string_equal(sqlite3_column_text(st, 5), "failure rate 62% >= 50%");
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(st, 1), "phase");
    assert_int_equal(sqlite3_column_type(st, 5), SQLITE_NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal(sqlite3_column_text(st, 1), "limit");
    assert_int_equal(sqlite3_column_bytes(st, 5), PB_RECORDER_DETAIL_MAX); /* cut */
    assert_memory_equal(sqlite3_column_text(st, 5), long_detail, PB_RECORDER_DETAIL_MAX);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(st, 1), PB_RECORDER_KIND_MAX);
    assert_int_equal(sqlite3_column_int64(st, 2), -5);
    assert_int_equal(sqlite3_column_int64(st, 3), INT64_MAX);
    assert_true(sqlite3_column_double(st, 4) == -1e300);
    assert_string_equal(sqlite3_column_text(st, 5), eighty);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The seconds table equals an aggregation of the raw rows by the second each
 * request ended in, including requests that ended within the grace period
 * out of order and ones that arrived after their second was written. */
static void rollup_agrees_with_raw_rows(void **state)
{
    const char *path = db_path("rollup.db");
    pb_recorder *rec = open_recorder(path, 0);
    int64_t run = begin_run(rec, "queue");
    uint64_t i = 0;
    for (uint64_t sec = 0; sec < 12; sec++) {
        for (uint64_t k = 0; k < 700; k++, i++) {
            pb_request_row r = varied_row(run, i);
            /* end inside `sec`, except a few that end one second earlier
             * (within the grace) or four seconds earlier (late: merged) */
            uint64_t end = sec * 1000000 + (k * 1399) % 1000000;
            if (k % 50 == 0 && sec >= 1)
                end -= 1000000;
            if (k % 97 == 0 && k % 50 != 0 && sec >= 4)
                end -= 4000000;
            r.total_us = 500 + (k * 7919) % 40000;
            r.wait_us = 0;
            r.t_us = end > r.total_us ? end - r.total_us : 0;
            pb_recorder_request(rec, &r);
        }
        pb_second_mark m = {.run_id = run,
                            .sec = sec,
                            .in_flight = (uint32_t)sec,
                            .lim = 100 + (uint32_t)sec,
                            .queue = 3,
                            .breaker = PB_BREAKER_OPEN,
                            .phase = sec < 6 ? 0 : 1,
                            /* second 0 says nothing of the harness: its columns stay NULL */
                            .self_known = sec > 0,
                            .cpu_pct = 12.5 * (double)sec,
                            .rss_bytes = 40000000 + sec,
                            .loop_lag_us = 300 + sec,
                            .backlog = 2 * sec};
        pb_recorder_second(rec, &m);
    }
    sqlite3 *db = finish_and_read(rec, run, path);
    static const char raw[] =
        "SELECT (t_us + wait_us + total_us) / 1000000, count(*), sum(code & 15 = 0),"
        " sum(code & 15 = 1), sum(code & 15 = 2), sum(code & 15 = 3), sum(code & 15 = 4),"
        " sum(code & 15 = 5), sum(code & 15 = 6), sum(code & 15 = 7), sum(code & 15 = 8),"
        " sum(code >> 16 > 0), sum(bytes) FROM requests WHERE run_id = ?1 GROUP BY 1";
    static const char rolled[] =
        "SELECT sec, count, ok, http_error, timeout, connect_error, reset, protocol_error,"
        " rejected, dropped, other, retries, bytes FROM seconds WHERE run_id = ?1";
    char sql[2048];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s EXCEPT %s)", raw, rolled);
    assert_int_equal(q_int(db, sql, run), 0);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s EXCEPT %s)", rolled, raw);
    assert_int_equal(q_int(db, sql, run), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM seconds WHERE run_id = ?1", run), 12);
    assert_int_equal(q_int(db, "SELECT sum(count) FROM seconds WHERE run_id = ?1", run), i);
    /* state columns come from the marks */
    assert_int_equal(q_int(db, "SELECT lim FROM seconds WHERE run_id = ?1 AND sec = 7", run), 107);
    assert_int_equal(q_int(db, "SELECT phase FROM seconds WHERE run_id = ?1 AND sec = 7", run), 1);
    assert_int_equal(q_int(db, "SELECT breaker FROM seconds WHERE run_id = ?1 AND sec = 2", run),
                     PB_BREAKER_OPEN);
    /* and so do the harness's own figures */
    assert_int_equal(
        q_int(db, "SELECT cpu_pct * 10 FROM seconds WHERE run_id = ?1 AND sec = 7", run), 875);
    assert_int_equal(q_int(db, "SELECT rss_bytes FROM seconds WHERE run_id = ?1 AND sec = 7", run),
                     40000007);
    assert_int_equal(
        q_int(db, "SELECT loop_lag_us FROM seconds WHERE run_id = ?1 AND sec = 7", run), 307);
    assert_int_equal(q_int(db, "SELECT backlog FROM seconds WHERE run_id = ?1 AND sec = 7", run),
                     14);
    assert_int_equal(q_int(db,
                           "SELECT count(*) FROM seconds WHERE run_id = ?1 AND sec = 0 AND cpu_pct "
                           "IS NULL AND rss_bytes IS NULL AND loop_lag_us IS NULL AND backlog IS "
                           "NULL",
                           run),
                     1);

    /* latency columns and the stored histogram against the raw service times */
    for (int64_t sec = 0; sec < 12; sec++) {
        pb_hist *h, *stored;
        assert_int_equal(pb_hist_create_latency(&h), 0);
        assert_int_equal(pb_hist_create_latency(&stored), 0);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT total_us FROM requests WHERE run_id = ?1 AND "
                                            "(t_us + wait_us + total_us) / 1000000 = ?2 AND "
                                            "code & 15 NOT IN (6, 7)",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_int64(st, 2, sec);
        while (sqlite3_step(st) == SQLITE_ROW)
            pb_hist_record(h, (uint64_t)sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT p50_us, p90_us, p99_us, max_us, hist FROM "
                                            "seconds WHERE run_id = ?1 AND sec = ?2",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_int64(st, 2, sec);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_true(pb_hist_count(h) > 500);
        assert_int_equal(sqlite3_column_int64(st, 0), pb_hist_percentile(h, 50));
        assert_int_equal(sqlite3_column_int64(st, 1), pb_hist_percentile(h, 90));
        assert_int_equal(sqlite3_column_int64(st, 2), pb_hist_percentile(h, 99));
        assert_int_equal(sqlite3_column_int64(st, 3), pb_hist_max(h));
        assert_int_equal(pb_hist_decode_add(stored, sqlite3_column_blob(st, 4),
                                            (size_t)sqlite3_column_bytes(st, 4)),
                         0);
        assert_int_equal(pb_hist_count(stored), pb_hist_count(h));
        for (int p = 1; p <= 100; p++)
            assert_int_equal(pb_hist_percentile(stored, p), pb_hist_percentile(h, p));
        sqlite3_finalize(st);
        pb_hist_destroy(h);
        pb_hist_destroy(stored);
    }
    sqlite3_close(db);
}

/* `lost` events through the recorder, as the engine hands them over: each
 * counts in the second of its time, in order with the rows and marks; one for
 * a second the marks already had the writer store is merged into that row;
 * and seconds.lost and .cascaded equal the events summed by second. */
static void lost_events_land_in_their_second(void **state)
{
    const char *path = db_path("lost.db");
    pb_recorder *rec = open_recorder(path, 0);
    int64_t run = begin_run(rec, "semaphore");
    uint64_t i = 0;
    for (uint64_t sec = 0; sec < 8; sec++) {
        for (uint64_t k = 0; k < 40; k++, i++) {
            pb_request_row r = seq_row(run, sec * 1000000 + k * 20000);
            pb_recorder_request(rec, &r);
            /* a batch of 10 ends every 10 requests; every other one had a failure */
            if (k % 20 == 19)
                pb_recorder_event(rec, run, r.t_us + r.total_us, "lost", (int64_t)(i / 10), 9,
                                  (double)(sec % 4), "a failure raised in gather");
        }
        pb_second_mark m = {.run_id = run, .sec = sec, .lim = 8, .phase = -1};
        pb_recorder_second(rec, &m);
    }
    /* second 1 was written when the mark for second 3 came: this one is late */
    pb_recorder_event(rec, run, 1999999, "lost", 99, 5, 5.0, NULL);
    pb_recorder_event(rec, run, 8500000, "batch", 99, 100, 0, NULL); /* not a loss */
    sqlite3 *db = finish_and_read(rec, run, path);
    assert_int_equal(q_int(db, "SELECT lost FROM seconds WHERE run_id = ?1 AND sec = 0", run), 18);
    assert_int_equal(q_int(db, "SELECT cascaded FROM seconds WHERE run_id = ?1 AND sec = 0", run),
                     0);
    assert_int_equal(q_int(db, "SELECT lost FROM seconds WHERE run_id = ?1 AND sec = 1", run),
                     18 + 5);
    assert_int_equal(q_int(db, "SELECT cascaded FROM seconds WHERE run_id = ?1 AND sec = 1", run),
                     2 + 5);
    assert_int_equal(q_int(db, "SELECT cascaded FROM seconds WHERE run_id = ?1 AND sec = 7", run),
                     6);
    /* the merge of the late event kept the second's requests and state */
    assert_int_equal(q_int(db, "SELECT count FROM seconds WHERE run_id = ?1 AND sec = 1", run), 40);
    assert_int_equal(q_int(db, "SELECT lim FROM seconds WHERE run_id = ?1 AND sec = 1", run), 8);
    assert_int_equal(q_int(db, "SELECT sum(lost) FROM seconds WHERE run_id = ?1", run),
                     8 * 2 * 9 + 5);
    static const char by_events[] =
        "SELECT t_us / 1000000, sum(to_val), CAST(sum(value) AS INTEGER) FROM events"
        " WHERE run_id = ?1 AND kind = 'lost' GROUP BY 1";
    static const char rolled[] =
        "SELECT sec, lost, cascaded FROM seconds WHERE run_id = ?1 AND lost > 0";
    char sql[1024];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s EXCEPT %s)", by_events, rolled);
    assert_int_equal(q_int(db, sql, run), 0);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s EXCEPT %s)", rolled, by_events);
    assert_int_equal(q_int(db, sql, run), 0);
    sqlite3_close(db);
}

/* A ring of 64 rows cannot keep up with a producer that never pauses: the
 * producer waits, counts it and records stall events, and no row is lost. */
static void full_ring_stalls_but_keeps_every_row(void **state)
{
    const char *path = db_path("stall.db");
    pb_recorder *rec = open_recorder(path, 64);
    int64_t run = begin_run(rec, "queue");
    const uint64_t n = 200000;
    for (uint64_t i = 0; i < n; i++) {
        pb_request_row r = seq_row(run, i);
        pb_recorder_request(rec, &r);
    }
    end_run(rec, run);
    pb_recorder_stats st;
    pb_recorder_get_stats(rec, &st);
    close_recorder(rec);
    assert_true(st.stalls > 0);
    assert_true(st.stall_us >= st.stalls);
    assert_int_equal(st.rows_written, n);
    assert_int_equal(st.rows_lost, 0);
    assert_int_equal(st.last_error, 0);
    /* after end_run everything queued is written; the file holds the rows */
    assert_int_equal(st.backlog, 0);
    assert_true(st.db_bytes > n * 10);

    sqlite3 *db = open_reader(path);
    assert_int_equal(assert_prefix(db, run), n);
    int64_t events =
        q_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind = 'stall'", run);
    assert_true(events >= 1 && (uint64_t)events <= st.stalls);
    assert_true(q_int(db, "SELECT sum(value) FROM events WHERE run_id = ?1 AND kind = 'stall'",
                      run) <= (int64_t)st.stall_us);
    sqlite3_close(db);
}

/* A reader of the file while rows stream in sees only whole commits: a
 * prefix of the rows, growing, and rollup totals that never run ahead. */
static void reader_sees_consistent_data_while_writing(void **state)
{
    const char *path = db_path("reader.db");
    pb_recorder *rec = open_recorder(path, 0);
    int64_t run = begin_run(rec, "queue");
    sqlite3 *db = open_reader(path);
    const uint64_t rounds = 40, per_round = 2500;
    int64_t last = 0;
    bool saw_partial = false;
    uint64_t pushed = 0;
    for (uint64_t round = 0; round < rounds; round++) {
        for (uint64_t k = 0; k < per_round; k++, pushed++) {
            pb_request_row r = seq_row(run, pushed);
            r.t_us = pushed;
            r.total_us = 1000;
            pb_recorder_request(rec, &r);
            if (pushed % 25000 == 24999) {
                pb_second_mark m = {.run_id = run, .sec = pushed / 25000, .phase = -1};
                pb_recorder_second(rec, &m);
            }
        }
        if (round == rounds / 2) {
            pb_err err = {0};
            assert_int_equal(pb_recorder_flush(rec, &err), 0);
        }
        assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
        int64_t n = assert_prefix(db, run);
        int64_t rolled =
            q_int(db, "SELECT coalesce(sum(count), 0) FROM seconds WHERE run_id = ?1", run);
        assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        assert_true(n >= last && n <= (int64_t)pushed);
        assert_true(rolled <= n);
        if (round == rounds / 2)
            assert_true(n == (int64_t)pushed); /* flushed: everything is visible */
        saw_partial = saw_partial || (n > 0 && n < (int64_t)(rounds * per_round));
        last = n;
    }
    end_run(rec, run);
    assert_int_equal(assert_prefix(db, run), rounds * per_round);
    assert_int_equal(q_int(db, "SELECT sum(count) FROM seconds WHERE run_id = ?1", run),
                     rounds * per_round);
    assert_true(saw_partial);
    sqlite3_close(db);
    close_recorder(rec);
}

/* A trickle of rows is committed within about a second without any flush:
 * the writer wakes up by itself. Polls the recorder's counters (no sleeping). */
static void a_trickle_is_committed_without_a_flush(void **state)
{
    const char *path = db_path("trickle.db");
    pb_recorder *rec = open_recorder(path, 0);
    int64_t run = begin_run(rec, "queue");
    for (uint64_t i = 0; i < 10; i++) {
        pb_request_row r = seq_row(run, i);
        pb_recorder_request(rec, &r);
    }
    pb_usec start = pb_monotime_now(), deadline = start + 10 * PB_USEC_PER_SEC;
    pb_recorder_stats st = {0};
    while (st.rows_written < 10 && pb_monotime_now() < deadline) {
        sched_yield();
        pb_recorder_get_stats(rec, &st);
    }
    pb_usec took = pb_monotime_now() - start;
    assert_int_equal(st.rows_written, 10);
    assert_int_equal(st.commits, 1);
    if (took > 5 * PB_USEC_PER_SEC)
        fail_msg("10 rows took %.1f s to be committed", (double)took / 1e6);
    sqlite3 *db = open_reader(path);
    assert_int_equal(assert_prefix(db, run), 10);
    sqlite3_close(db);
    end_run(rec, run);
    close_recorder(rec);
}

/* Closing without end_run leaves the run 'running', with its rows and seconds. */
static void close_without_end_keeps_run_running(void **state)
{
    const char *path = db_path("unfinished.db");
    pb_recorder *rec = open_recorder(path, 0);
    int64_t run = begin_run(rec, "adaptive");
    for (uint64_t i = 0; i < 5000; i++) {
        pb_request_row r = seq_row(run, i);
        pb_recorder_request(rec, &r);
    }
    close_recorder(rec);
    sqlite3 *db = open_reader(path);
    char buf[64];
    assert_string_equal(q_text(db, "SELECT status FROM runs WHERE id = ?1", run, buf, sizeof(buf)),
                        "running");
    assert_int_equal(assert_prefix(db, run), 5000);
    assert_int_equal(q_int(db, "SELECT sum(count) FROM seconds WHERE run_id = ?1", run), 5000);
    sqlite3_close(db);
}

/* A compare groups runs and ends with its thresholds. */
static void compare_lifecycle(void **state)
{
    const char *path = db_path("compare.db");
    pb_recorder *rec = open_recorder(path, 0);
    pb_err err = {0};
    int64_t cmp = 0;
    assert_int_equal(
        pb_recorder_begin_compare(rec, "title", "scenarios/x.json", "{\"a\":1}", 5, &cmp, &err), 0);
    pb_run_info info = {.compare_id = cmp, .pattern = "semaphore"};
    int64_t run = 0;
    assert_int_equal(pb_recorder_begin_run(rec, &info, &run, &err), 0);
    end_run(rec, run);
    assert_int_equal(pb_recorder_end_compare(rec, cmp, "bogus", NULL, &err), PB_EINVAL);
    assert_int_equal(pb_recorder_end_compare(rec, cmp, "completed",
                                             "[{\"expr\":\"p99<200ms\",\"pass\":true}]", &err),
                     0);
    close_recorder(rec);
    sqlite3 *db = open_reader(path);
    char buf[256];
    assert_int_equal(q_int(db, "SELECT compare_id FROM runs WHERE id = ?1", run), cmp);
    assert_string_equal(q_text(db, "SELECT label FROM runs WHERE id = ?1", run, buf, sizeof(buf)),
                        "semaphore");
    assert_string_equal(q_text(db,
                               "SELECT status || ' ' || title || ' ' || seed FROM compares "
                               "WHERE id = ?1",
                               cmp, buf, sizeof(buf)),
                        "completed title 5");
    assert_int_equal(q_int(db,
                           "SELECT json_extract(thresholds_json, '$[0].pass') FROM compares "
                           "WHERE id = ?1",
                           cmp),
                     1);
    sqlite3_close(db);
}

/* Two recorders (two processes, say) on one file take turns and lose nothing. */
static void two_recorders_share_a_file(void **state)
{
    const char *path = db_path("shared.db");
    pb_recorder *a = open_recorder(path, 0), *b = open_recorder(path, 0);
    int64_t ra = begin_run(a, "queue"), rb = begin_run(b, "semaphore");
    for (uint64_t i = 0; i < 30000; i++) {
        pb_request_row r = seq_row(ra, i);
        pb_recorder_request(a, &r);
        r.run_id = rb;
        pb_recorder_request(b, &r);
    }
    end_run(a, ra);
    end_run(b, rb);
    close_recorder(a);
    close_recorder(b);
    sqlite3 *db = open_reader(path);
    assert_int_equal(check_prefix(db, ra, true), 30000);
    assert_int_equal(check_prefix(db, rb, true), 30000);
    sqlite3_close(db);
}

/* ---- child processes: a full disk and kill -9 ------------------------ */

struct full_report {
    int end_rc, close_rc, last_error;
    uint64_t rows_written, rows_lost, pushed;
    int64_t run_id;
    char msg[512];
};

/* Read exactly len bytes from fd, waiting at most until deadline. */
static bool read_within(int fd, void *buf, size_t len, pb_usec deadline)
{
    size_t got = 0;
    while (got < len) {
        pb_usec now = pb_monotime_now();
        if (now >= deadline)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, (int)((deadline - now) / 1000) + 1);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return false;
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

static void write_all(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, (const char *)buf + done, len - done);
        if (n <= 0)
            _exit(90);
        done += (size_t)n;
    }
}

/* In the child: rows until the 1 MB file size limit makes writes fail. */
static void child_fills_the_disk(const char *path, int fd)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = 1 << 20;
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        _exit(91);
    struct full_report rep = {0};
    pb_err err = {0};
    pb_recorder *rec;
    if (pb_recorder_open(path, 4096, &rec, &err) != 0)
        _exit(92);
    pb_run_info info = {.pattern = "queue"};
    if (pb_recorder_begin_run(rec, &info, &rep.run_id, &err) != 0)
        _exit(93);
    pb_recorder_stats st = {0};
    uint64_t after_error = 0;
    for (uint64_t i = 0; i < 5000000 && after_error < 20000; i++) {
        pb_request_row r = seq_row(rep.run_id, i);
        pb_recorder_request(rec, &r);
        rep.pushed++;
        if (i % 1000 == 0)
            pb_recorder_get_stats(rec, &st);
        if (st.last_error != 0)
            after_error++; /* the producer must not block on a failed writer */
    }
    rep.end_rc = pb_recorder_end_run(rec, rep.run_id, "completed", 1, NULL, &err);
    snprintf(rep.msg, sizeof(rep.msg), "%s", err.msg);
    pb_recorder_get_stats(rec, &st);
    rep.rows_written = st.rows_written;
    rep.rows_lost = st.rows_lost;
    rep.last_error = st.last_error;
    rep.close_rc = pb_recorder_close(rec, NULL);
    write_all(fd, &rep, sizeof(rep));
    _exit(0);
}

static void full_disk_is_reported_and_committed_rows_stay(void **state)
{
    const char *path = db_path("full.db");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_fills_the_disk(path, fds[1]);
    }
    close(fds[1]);
    struct full_report rep;
    bool got = read_within(fds[0], &rep, sizeof(rep), pb_monotime_now() + 120 * PB_USEC_PER_SEC);
    close(fds[0]);
    if (!got)
        kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(got);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    assert_true(rep.last_error == PB_EIO || rep.last_error == PB_EFULL);
    assert_int_equal(rep.end_rc, rep.last_error);
    assert_int_equal(rep.close_rc, rep.last_error);
    if (strstr(rep.msg, path) == NULL ||
        strstr(rep.msg, "committed before the error are kept") == NULL)
        fail_msg("end_run's message does not say what happened: %s", rep.msg);
    assert_true(rep.rows_lost > 0);
    assert_int_equal(rep.rows_written + rep.rows_lost, rep.pushed);

    sqlite3 *db = open_reader(path);
    char buf[64];
    assert_string_equal(q_text(db, "PRAGMA integrity_check", 0, buf, sizeof(buf)), "ok");
    int64_t n = assert_prefix(db, rep.run_id);
    assert_int_equal(n, rep.rows_written);
    q_text(db, "SELECT status FROM runs WHERE id = ?1", rep.run_id, buf, sizeof(buf));
    assert_true(strcmp(buf, "failed") == 0 || strcmp(buf, "running") == 0);
    sqlite3_close(db);
}

struct commit_report {
    uint64_t commits, rows_written;
    int64_t run_id;
};

/* In the child: rows (t_us = 0, 1, 2, ...) as fast as possible, reporting
 * each commit on fd, until killed. */
static void child_writes_until_killed(const char *path, int fd)
{
    pb_err err = {0};
    pb_recorder *rec;
    if (pb_recorder_open(path, 4096, &rec, &err) != 0)
        _exit(92);
    struct commit_report rep = {0};
    pb_run_info info = {.pattern = "queue"};
    if (pb_recorder_begin_run(rec, &info, &rep.run_id, &err) != 0)
        _exit(93);
    for (uint64_t i = 0; i < 500000000; i++) {
        pb_request_row r = seq_row(rep.run_id, i);
        pb_recorder_request(rec, &r);
        if (i % 100000 == 99999) {
            pb_second_mark m = {.run_id = rep.run_id, .sec = i / 1000000, .phase = -1};
            pb_recorder_second(rec, &m);
        }
        if (i % 1000 == 0) {
            pb_recorder_stats st;
            pb_recorder_get_stats(rec, &st);
            if (st.commits != rep.commits) {
                rep.commits = st.commits;
                rep.rows_written = st.rows_written;
                write_all(fd, &rep, sizeof(rep));
            }
        }
    }
    _exit(94); /* not reached in the test: the parent kills it first */
}

/* kill -9 in the middle of writing: the file passes integrity_check, the run
 * is still 'running', and the rows are a gap-free prefix holding at least
 * every row reported committed. A reader in this process follows along. */
static void kill_9_leaves_a_consistent_database(void **state)
{
    const char *path = db_path("killed.db");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_writes_until_killed(path, fds[1]);
    }
    close(fds[1]);
    struct commit_report rep = {0};
    bool ok = true;
    sqlite3 *reader = NULL;
    pb_usec deadline = pb_monotime_now() + 120 * PB_USEC_PER_SEC;
    while (ok && rep.commits < 3) {
        ok = read_within(fds[0], &rep, sizeof(rep), deadline);
        if (ok && reader == NULL)
            reader = open_reader(path);
        /* while the child writes: committed rows are visible, as a prefix */
        if (ok && assert_prefix(reader, rep.run_id) < (int64_t)rep.rows_written)
            fail_msg("a reader saw fewer rows than the writer had committed");
    }
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(fds[0]);
    assert_true(ok);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    sqlite3_close(reader);

    sqlite3 *db = open_reader(path);
    char buf[64];
    assert_string_equal(q_text(db, "PRAGMA integrity_check", 0, buf, sizeof(buf)), "ok");
    assert_string_equal(
        q_text(db, "SELECT status FROM runs WHERE id = ?1", rep.run_id, buf, sizeof(buf)),
        "running");
    int64_t n = assert_prefix(db, rep.run_id);
    assert_true(n >= (int64_t)rep.rows_written && rep.rows_written > 0);
    assert_true(q_int(db, "SELECT coalesce(sum(count), 0) FROM seconds WHERE run_id = ?1",
                      rep.run_id) <= n);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(creates_schema_and_appends_runs),
        cmocka_unit_test(refuses_what_is_not_its_database),
        cmocka_unit_test(version_1_database_is_upgraded_in_place),
        cmocka_unit_test(version_2_database_is_upgraded_in_place),
        cmocka_unit_test(bad_calls_are_refused_with_reasons),
        cmocka_unit_test(rows_and_events_round_trip),
        cmocka_unit_test(rollup_agrees_with_raw_rows),
        cmocka_unit_test(lost_events_land_in_their_second),
        cmocka_unit_test(full_ring_stalls_but_keeps_every_row),
        cmocka_unit_test(reader_sees_consistent_data_while_writing),
        cmocka_unit_test(a_trickle_is_committed_without_a_flush),
        cmocka_unit_test(close_without_end_keeps_run_running),
        cmocka_unit_test(compare_lifecycle),
        cmocka_unit_test(two_recorders_share_a_file),
        cmocka_unit_test(full_disk_is_reported_and_committed_rows_stay),
        cmocka_unit_test(kill_9_leaves_a_consistent_database),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
