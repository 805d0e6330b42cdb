/* The report's harness figures and drift section, on synthetic rollups: a
 * database written here with 20 minutes of seconds for three runs (flat,
 * p99 and RSS rising, req/s falling), read by the report's loader; and the
 * same tables at schema version 1, where the harness's columns do not exist. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "report_data.h"
#include "rng.h"
#include "summary.h"

#define SPAN 1200

static const char tables[] =
    "CREATE TABLE compares(id INTEGER PRIMARY KEY, title TEXT, scenario_path TEXT,"
    " scenario_json TEXT, seed INTEGER, started_at INTEGER NOT NULL, ended_at INTEGER,"
    " status TEXT NOT NULL, thresholds_json TEXT);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, compare_id INTEGER, label TEXT, pattern TEXT NOT"
    " NULL, params_json TEXT, config_json TEXT, seed INTEGER, target TEXT, started_at INTEGER NOT"
    " NULL, ended_at INTEGER, duration_us INTEGER, status TEXT NOT NULL, versions_json TEXT,"
    " host TEXT, summary_json TEXT, first_request INTEGER, last_request INTEGER);"
    "CREATE TABLE requests(run_id INTEGER NOT NULL, t_us INTEGER NOT NULL, wait_us INTEGER,"
    " connect_us INTEGER, ttfb_us INTEGER, total_us INTEGER, code INTEGER, bytes INTEGER,"
    " slot INTEGER, lim INTEGER, queue INTEGER);"
    "CREATE TABLE events(run_id INTEGER NOT NULL, t_us INTEGER NOT NULL, kind TEXT NOT NULL,"
    " from_val INTEGER, to_val INTEGER, value REAL, detail TEXT);"
    "CREATE TABLE seconds(run_id INTEGER NOT NULL, sec INTEGER NOT NULL, count INTEGER NOT"
    " NULL, ok INTEGER, http_error INTEGER, timeout INTEGER, connect_error INTEGER, reset"
    " INTEGER, protocol_error INTEGER, rejected INTEGER, dropped INTEGER, other INTEGER,"
    " retries INTEGER, bytes INTEGER, p50_us INTEGER, p90_us INTEGER, p99_us INTEGER, max_us"
    " INTEGER, hist BLOB, in_flight INTEGER, lim INTEGER, queue INTEGER, breaker INTEGER,"
    " phase INTEGER%s, PRIMARY KEY(run_id, sec));";

static char dir[64], path[128];

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

/* One run of SPAN seconds: each series is base * (1 + slope * s / SPAN) with
 * noise; seconds 600..659 are a fault phase whose p99 is 50 times higher. */
static void add_run(sqlite3 *db, int id, int version, double rps_slope, double p99_slope,
                    double rss_slope, bool bound)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO runs(id, compare_id, label, pattern, started_at, ended_at, duration_us,"
             " status, summary_json) VALUES (%d, 1, 'run%d', 'queue', 1, 2, %d500000, "
             "'completed', %s)",
             id, id, SPAN,
             version < 2 ? "NULL"
             : bound     ? "'{\"generator_bound\":true,\"harness\":{\"seconds\":1201,"
                           "\"seconds_saturated\":300}}'"
                         : "'{\"generator_bound\":false,\"harness\":{\"seconds\":1201,"
                           "\"seconds_saturated\":0}}'");
    exec(db, sql);
    sqlite3_stmt *st;
    const char *ins =
        version < 2
            ? "INSERT INTO seconds(run_id, sec, count, ok, http_error, rejected, dropped, p50_us,"
              " p99_us, lim, phase) VALUES (?1, ?2, ?3, ?4, ?3 - ?4, 0, 0, ?5, ?6, 10, ?7)"
            : "INSERT INTO seconds(run_id, sec, count, ok, http_error, rejected, dropped, p50_us,"
              " p99_us, lim, phase, cpu_pct, rss_bytes, loop_lag_us, backlog) VALUES (?1, ?2, ?3,"
              " ?4, ?3 - ?4, 0, 0, ?5, ?6, 10, ?7, ?8, ?9, ?10, 0)";
    assert_int_equal(sqlite3_prepare_v2(db, ins, -1, &st, NULL), SQLITE_OK);
    pb_rng rng;
    pb_rng_seed(&rng, (uint64_t)id);
    for (int s = 0; s <= SPAN; s++) { /* SPAN whole seconds and a partial one */
        double x = (double)s / SPAN;
        int fault = s >= 600 && s < 660;
        double rps = 1000.0 * (1.0 + rps_slope * x) + 30.0 * pb_rng_normal(&rng);
        double p99 = 20000.0 * (1.0 + p99_slope * x) + 1000.0 * pb_rng_normal(&rng);
        double rss = 40e6 * (1.0 + rss_slope * x) + 1e5 * pb_rng_normal(&rng);
        sqlite3_bind_int(st, 1, id);
        sqlite3_bind_int(st, 2, s);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)(s == SPAN ? rps / 2 : rps));
        sqlite3_bind_int64(st, 4, (sqlite3_int64)(rps * 0.99));
        sqlite3_bind_int64(st, 5, 5000);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)(fault ? 50 * p99 : p99));
        sqlite3_bind_int(st, 7, fault ? 1 : 0);
        if (version >= 2) {
            sqlite3_bind_double(st, 8, bound ? 195.0 : 40.0);
            sqlite3_bind_int64(st, 9, (sqlite3_int64)rss);
            sqlite3_bind_int64(st, 10, bound ? 15000 : 800);
        }
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

static void make_db(int version)
{
    snprintf(dir, sizeof(dir), "/tmp/pb-health-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/h.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[4096];
    snprintf(sql, sizeof(sql), tables,
             version >= 2 ? ", cpu_pct REAL, rss_bytes INTEGER, loop_lag_us INTEGER, backlog "
                            "INTEGER"
                          : "");
    exec(db, sql);
    exec(db, "INSERT INTO compares(id, title, started_at, status) VALUES (1, 'drift', 1, "
             "'completed')");
    exec(db, "BEGIN");
    add_run(db, 1, version, 0.0, 0.0, 0.0, false);
    add_run(db, 2, version, 0.0, 0.5, 0.3, true);
    add_run(db, 3, version, -0.3, 0.0, 0.0, false);
    exec(db, "COMMIT");
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
    exec(db, sql);
    sqlite3_close(db);
}

static void remove_db(void)
{
    unlink(path);
    rmdir(dir);
}

static void drift_verdicts_on_synthetic_rollups(void **state)
{
    make_db(2);
    pb_report_data *d;
    pb_err err;
    if (pb_report_data_load(path, PB_REPORT_COMPARE, 1, &d, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(d->n_runs, 3);
    const pb_run_health *flat = &d->runs[0].health, *up = &d->runs[1].health,
                        *down = &d->runs[2].health;
    for (int i = 0; i < 3; i++)
        assert_true(d->runs[i].health.drift_known);
    /* flat: every series stable, the fault phase's p99 left out */
    for (int i = 0; i < PB_HEALTH_SERIES; i++)
        if (flat->drift[i].verdict != PB_DRIFT_STABLE)
            fail_msg("flat run: %s is %s", pb_run_health_series_name(i),
                     pb_drift_verdict_name(flat->drift[i].verdict));
    assert_int_equal(flat->drift[PB_HEALTH_P99].seconds, SPAN - 60);
    assert_true(fabs(flat->drift[PB_HEALTH_P99].mean - 20.0) < 0.5);
    /* rising p99 and RSS; req/s stays */
    assert_int_equal(up->drift[PB_HEALTH_P99].verdict, PB_DRIFT_UP);
    assert_int_equal(up->drift[PB_HEALTH_RSS].verdict, PB_DRIFT_UP);
    assert_int_equal(up->drift[PB_HEALTH_RPS].verdict, PB_DRIFT_STABLE);
    assert_true(up->drift[PB_HEALTH_P99].last > up->drift[PB_HEALTH_P99].first * 1.3);
    /* +50 % of 20 ms over 20 minutes: 30 ms an hour */
    assert_true(up->drift[PB_HEALTH_P99].lo_per_h < 30.0 &&
                up->drift[PB_HEALTH_P99].hi_per_h > 30.0);
    /* falling req/s */
    assert_int_equal(down->drift[PB_HEALTH_RPS].verdict, PB_DRIFT_DOWN);
    assert_int_equal(down->drift[PB_HEALTH_P99].verdict, PB_DRIFT_STABLE);
    assert_int_equal(down->drift[PB_HEALTH_LIMIT].verdict, PB_DRIFT_STABLE);
    /* the harness's figures and the verdict its summary holds */
    assert_true(up->harness_known && up->verdict_known && up->generator_bound);
    assert_false(flat->generator_bound);
    assert_true(fabs(up->cpu_pct_max - 195.0) < 1e-9);
    assert_true(fabs(up->lag_p99_max_ms - 15.0) < 1e-9);

    /* summary.md and summary.json carry them */
    char md[192], js[192];
    snprintf(md, sizeof(md), "%s/summary.md", dir);
    snprintf(js, sizeof(js), "%s/summary.json", dir);
    assert_int_equal(pb_summary_write_md(d, path, md, &err), 0);
    assert_int_equal(pb_summary_write_json(d, path, NULL, js, &err), 0);
    FILE *f = fopen(md, "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_non_null(strstr(text, "## Harness and drift"));
    assert_non_null(strstr(text, "**generator-bound**"));
    assert_non_null(strstr(text, "| p99 ms |"));
    assert_non_null(strstr(text, "drifting up"));
    assert_non_null(strstr(text, "drifting down"));
    json_t *root = json_load_file(js, 0, NULL);
    assert_non_null(root);
    json_t *runs = json_object_get(root, "runs");
    json_t *h1 = json_object_get(json_array_get(runs, 1), "health");
    assert_true(json_is_true(json_object_get(h1, "generator_bound")));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(h1, "drift"), "p99_ms"), "verdict")),
                        "drifting up");
    json_t *h2 = json_object_get(json_array_get(runs, 2), "health");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(h2, "drift"), "rps"), "verdict")),
                        "drifting down");
    json_decref(root);
    unlink(md);
    unlink(js);
    pb_report_data_destroy(d);
    remove_db();
}

/* schema version 1: no harness columns, no summary verdict; drift still judged */
static void version_1_rollups_read_without_harness_figures(void **state)
{
    make_db(1);
    pb_report_data *d;
    pb_err err;
    if (pb_report_data_load(path, PB_REPORT_COMPARE, 1, &d, &err) != 0)
        fail_msg("%s", err.msg);
    const pb_run_health *up = &d->runs[1].health;
    assert_false(up->harness_known);
    assert_false(up->verdict_known);
    assert_true(isnan(up->cpu_pct_max));
    assert_int_equal(up->drift[PB_HEALTH_RSS].verdict, PB_DRIFT_UNKNOWN);
    assert_int_equal(up->drift[PB_HEALTH_P99].verdict, PB_DRIFT_UP);
    json_t *j = pb_run_health_json(up);
    assert_true(json_is_null(json_object_get(j, "generator_bound")));
    json_decref(j);
    pb_report_data_destroy(d);
    remove_db();
}

/* A phase that restores the base profile ("recovered") is healthy time for
 * drift; only a phase whose settings differ from the base is left out. A run
 * without a readable configuration leaves out every phase after the base. */
static void a_recovered_phase_counts_for_drift(void **state)
{
    (void)state;
    make_db(2);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec(db, "BEGIN");
    add_run(db, 4, 2, 0.0, 0.0, 0.0, false);
    add_run(db, 5, 2, 0.0, 0.0, 0.0, false);
    /* after the fault (phase 1, 600..659 s) comes phase 2, the base's settings again */
    exec(db, "UPDATE seconds SET phase = 2 WHERE run_id IN (4, 5) AND sec >= 660");
    exec(db,
         "UPDATE runs SET config_json = '{\"mock\": {\"errors\": \"503:0.01\", \"latency\": "
         "\"fixed:5ms\", \"phases\": [{\"at\": \"600s\", \"name\": \"outage\", \"errors\": "
         "\"503:1\"}, {\"at\": \"660s\", \"name\": \"recovered\", \"errors\": \"503:0.01\"}]}}' "
         "WHERE id = 4");
    exec(db, "COMMIT");
    sqlite3_close(db);
    const int64_t ids[] = {4, 5};
    const size_t seconds[] = {SPAN - 60, 600};
    for (int i = 0; i < 2; i++) {
        pb_report_data *d;
        pb_err err;
        if (pb_report_data_load(path, PB_REPORT_RUN, ids[i], &d, &err) != 0)
            fail_msg("%s", err.msg);
        assert_int_equal(d->runs[0].health.drift[PB_HEALTH_P99].seconds, seconds[i]);
        pb_report_data_destroy(d);
    }
    remove_db();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drift_verdicts_on_synthetic_rollups),
        cmocka_unit_test(version_1_rollups_read_without_harness_figures),
        cmocka_unit_test(a_recovered_phase_counts_for_drift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
