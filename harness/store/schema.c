#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vocabulary.h"

#define SCHEMA_VERSION 2
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* The schema has nine outcome columns in `seconds`: a new outcome needs a
 * column, a higher SCHEMA_VERSION and a migration, not only a row in the table. */
_Static_assert(PB_OUTCOME_COUNT == 9, "the schema has one seconds column per outcome");

/* Version 2 added the harness's own figures to `seconds`; migrate_v1 adds
 * them to an older file. Keep the two lists in step. */
#define SELF_COLUMNS " cpu_pct REAL, rss_bytes INTEGER, loop_lag_us INTEGER, backlog INTEGER,"
static const char *const self_columns[] = {"cpu_pct REAL", "rss_bytes INTEGER",
                                           "loop_lag_us INTEGER", "backlog INTEGER"};

#define OUTCOME_CASE(name, value, text) " WHEN " #value " THEN '" text "'"
#define BREAKER_CASE(name, value, text) " WHEN " #value " THEN '" text "'"
#define OUTCOME_COLUMN(name, value, text, column) " " column " INTEGER,"
#define OUTCOME_COLUMN_NAME(name, value, text, column) " " column ","
#define OUTCOME_PARAM(name, value, text, column) " ?,"
#define OUTCOME_ADD(name, value, text, column) " " column " = " column " + excluded." column ","

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS compares("
    " id INTEGER PRIMARY KEY, title TEXT, scenario_path TEXT, scenario_json TEXT,"
    " seed INTEGER, started_at INTEGER NOT NULL, ended_at INTEGER, status TEXT NOT NULL,"
    " thresholds_json TEXT);"
    "CREATE TABLE IF NOT EXISTS runs("
    " id INTEGER PRIMARY KEY, compare_id INTEGER REFERENCES compares(id), label TEXT,"
    " pattern TEXT NOT NULL, params_json TEXT, config_json TEXT, seed INTEGER, target TEXT,"
    " started_at INTEGER NOT NULL, ended_at INTEGER, duration_us INTEGER, status TEXT NOT NULL,"
    " versions_json TEXT, host TEXT, summary_json TEXT, first_request INTEGER,"
    " last_request INTEGER);"
    "CREATE TABLE IF NOT EXISTS requests("
    " run_id INTEGER NOT NULL, t_us INTEGER NOT NULL, wait_us INTEGER, connect_us INTEGER,"
    " ttfb_us INTEGER, total_us INTEGER, code INTEGER, bytes INTEGER, slot INTEGER,"
    " lim INTEGER, queue INTEGER);"
    "CREATE TABLE IF NOT EXISTS seconds("
    " run_id INTEGER NOT NULL, sec INTEGER NOT NULL, count INTEGER NOT NULL," PB_OUTCOME_ROLLUP_MAP(
        OUTCOME_COLUMN) " retries INTEGER, bytes INTEGER, p50_us INTEGER, p90_us INTEGER, p99_us "
                        "INTEGER,"
                        " max_us INTEGER, hist BLOB, in_flight INTEGER, lim INTEGER, queue INTEGER,"
                        " breaker INTEGER, phase INTEGER," SELF_COLUMNS
                        " PRIMARY KEY(run_id, sec));"
                        "CREATE TABLE IF NOT EXISTS events("
                        " run_id INTEGER NOT NULL, t_us INTEGER NOT NULL, kind TEXT NOT NULL, "
                        "from_val INTEGER,"
                        " to_val INTEGER, value REAL, detail TEXT);"
                        "CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id, kind, t_us);"
                        "CREATE VIEW IF NOT EXISTS requests_v AS SELECT rowid AS id, run_id, t_us, "
                        "wait_us,"
                        " connect_us, ttfb_us, total_us,"
                        " CASE (code >> 6) & 1023 WHEN 0 THEN 200 WHEN 200 THEN 0 ELSE (code >> 6) "
                        "& 1023 END"
                        " AS status,"
                        " CASE code & 15" PB_OUTCOME_MAP(
                            OUTCOME_CASE) " END AS outcome,"
                                          " CASE (code >> 4) & 3" PB_BREAKER_STATE_MAP(
                                              BREAKER_CASE) " END AS breaker,"
                                                            " code >> 16 AS attempt, bytes, slot, "
                                                            "lim, queue, t_us + wait_us AS "
                                                            "start_us,"
                                                            " t_us + wait_us + total_us AS end_us "
                                                            "FROM requests;";

#define ROW_COLUMNS                                                                                \
    "INSERT INTO requests(run_id, t_us, wait_us, connect_us, ttfb_us, total_us, code, bytes,"      \
    " slot, lim, queue) VALUES "
#define ROW_VALUES "(?,?,?,?,?,?,?,?,?,?,?)"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_ROW] = ROW_COLUMNS ROW_VALUES,
    [ST_ROWS] = NULL, /* built in pb_schema_prepare */
    [ST_EVENT] = "INSERT INTO events(run_id, t_us, kind, from_val, to_val, value, detail)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* a late second arrives as a delta: counts add up, the caller has merged
     * the histogram, and the state columns change only with a mark (:marked).
     * Parameters: run_id, sec, count, one per outcome, then the rest in order
     * (PB_SCHEMA_SECOND_* below numbers them), :marked last. */
    [ST_SECOND] = "INSERT INTO seconds(run_id, sec, count," PB_OUTCOME_ROLLUP_MAP(
        OUTCOME_COLUMN_NAME) " retries, bytes, p50_us, p90_us, p99_us, max_us, hist,"
                             " in_flight, lim, queue, breaker, phase, cpu_pct, rss_bytes, "
                             "loop_lag_us,"
                             " backlog) VALUES (?, ?, "
                             "?," PB_OUTCOME_ROLLUP_MAP(
                                 OUTCOME_PARAM) " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                                                " ON CONFLICT(run_id, sec) DO UPDATE SET"
                                                " count = count + "
                                                "excluded.count," PB_OUTCOME_ROLLUP_MAP(
                                                    OUTCOME_ADD) " retries = retries + "
                                                                 "excluded.retries,"
                                                                 " bytes = bytes + excluded.bytes,"
                                                                 " p50_us = excluded.p50_us,"
                                                                 " p90_us = excluded.p90_us,"
                                                                 " p99_us = excluded.p99_us,"
                                                                 " max_us = excluded.max_us,"
                                                                 " hist = excluded.hist,"
                                                                 " in_flight = iif(:marked, "
                                                                 "excluded.in_flight, in_flight),"
                                                                 " lim = iif(:marked, "
                                                                 "excluded.lim, lim),"
                                                                 " queue = iif(:marked, "
                                                                 "excluded.queue, queue),"
                                                                 " breaker = iif(:marked, "
                                                                 "excluded.breaker, breaker),"
                                                                 " phase = iif(:marked, "
                                                                 "excluded.phase, phase),"
                                                                 " cpu_pct = iif(:marked, "
                                                                 "excluded.cpu_pct, cpu_pct),"
                                                                 " rss_bytes = iif(:marked, "
                                                                 "excluded.rss_bytes, rss_bytes),"
                                                                 " loop_lag_us = iif(:marked, "
                                                                 "excluded.loop_lag_us, "
                                                                 "loop_lag_us),"
                                                                 " backlog = iif(:marked, "
                                                                 "excluded.backlog, backlog)",
    [ST_SECOND_HIST] = "SELECT hist FROM seconds WHERE run_id = ?1 AND sec = ?2",
    [ST_RUN_BEGIN] = "INSERT INTO runs(compare_id, label, pattern, params_json, config_json,"
                     " seed, target, started_at, status, versions_json, host) VALUES (?1, ?2,"
                     " ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9, ?10)",
    [ST_RUN_END] = "UPDATE runs SET status = ?2, ended_at = ?3, duration_us = ?4,"
                   " summary_json = ?5, first_request = ?6, last_request = ?7 WHERE id = ?1",
    [ST_RUN_FAILED] = "UPDATE runs SET status = 'failed', ended_at = ?2, duration_us = ?3,"
                      " summary_json = ?4 WHERE id = ?1",
    [ST_COMPARE_BEGIN] = "INSERT INTO compares(title, scenario_path, scenario_json, seed,"
                         " started_at, status) VALUES (?1, ?2, ?3, ?4, ?5, 'running')",
    [ST_DROP_ROWS] = "DELETE FROM requests WHERE rowid >= ?1 AND rowid < ?2 AND run_id = ?3",
    [ST_COMPARE_END] = "UPDATE compares SET status = ?2, ended_at = ?3, thresholds_json = ?4"
                       " WHERE id = ?1",
};

int pb_schema_errcode(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return PB_EFULL;
    case SQLITE_IOERR:
        return PB_EIO;
    case SQLITE_NOMEM:
        return PB_ENOMEM;
    default:
        return PB_EDB;
    }
}

int pb_schema_error(sqlite3 *db, const char *path, pb_err *err, int rc, const char *what)
{
    return pb_err_set(err, pb_schema_errcode(rc), "%s: %s: %s", path, what,
                      db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

int pb_schema_query_one(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (out != NULL)
            snprintf(out, cap, "%s", t != NULL ? (const char *)t : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        if (out != NULL && cap > 0)
            out[0] = '\0';
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Add version 2's columns to a `seconds` table made before them (inside the
 * caller's transaction, so a failure leaves the file at its old version). */
static int migrate_v1(sqlite3 *db)
{
    char have[16];
    int rc = pb_schema_query_one(
        db, "SELECT COUNT(*) FROM pragma_table_info('seconds') WHERE name = 'cpu_pct'", have,
        sizeof(have));
    if (rc != SQLITE_OK || strcmp(have, "0") != 0)
        return rc;
    for (size_t i = 0; i < sizeof(self_columns) / sizeof(self_columns[0]) && rc == SQLITE_OK; i++) {
        char sql[96];
        snprintf(sql, sizeof(sql), "ALTER TABLE seconds ADD COLUMN %s", self_columns[i]);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    return rc;
}

int pb_schema_create(sqlite3 *db, const char *path, pb_err *err)
{
    char value[128];
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return pb_schema_error(db, path, err, rc, "cannot lock the database");
    int result = 0;
    rc = pb_schema_query_one(db, "PRAGMA user_version", value, sizeof(value));
    if (rc != SQLITE_OK) {
        result = pb_schema_error(db, path, err, rc, "reading the schema version");
        goto cleanup;
    }
    long version = strtol(value, NULL, 10);
    if (version > SCHEMA_VERSION) {
        result = pb_err_set(err, PB_ENOTSUP,
                            "%s: database schema version %ld is newer than this patternbench "
                            "supports (%d); use a newer patternbench or another --db file",
                            path, version, SCHEMA_VERSION);
        goto cleanup;
    }
    if (version == 0) {
        rc = pb_schema_query_one(
            db,
            "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name "
            "NOT IN ('compares', 'runs', 'requests', 'seconds', 'events', "
            "'events_by_run', 'requests_v') LIMIT 1",
            value, sizeof(value));
        if (rc != SQLITE_OK) {
            result = pb_schema_error(db, path, err, rc, "reading the schema");
            goto cleanup;
        }
        if (value[0] != '\0') {
            result = pb_err_set(err, PB_EINVAL,
                                "%s: not a patternbench database (it holds \"%s\" and no schema "
                                "version); give another --db file",
                                path, value);
            goto cleanup;
        }
    }
    rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = migrate_v1(db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "PRAGMA user_version = " STRINGIFY(SCHEMA_VERSION), NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        result = pb_schema_error(db, path, err, rc, "creating the schema");
cleanup:
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return result;
}

int pb_schema_prepare(sqlite3 *db, const char *path, sqlite3_stmt *st[ST_COUNT], pb_err *err)
{
    char many[sizeof(ROW_COLUMNS) + PB_SCHEMA_INSERT_BATCH * (sizeof(ROW_VALUES) + 1)];
    size_t pos = (size_t)snprintf(many, sizeof(many), "%s", ROW_COLUMNS);
    for (int i = 0; i < PB_SCHEMA_INSERT_BATCH; i++)
        pos += (size_t)snprintf(many + pos, sizeof(many) - pos, "%s%s", i ? "," : "", ROW_VALUES);
    for (int i = 0; i < ST_COUNT; i++) {
        const char *sql = i == ST_ROWS ? many : stmt_sql[i];
        int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL);
        if (rc != SQLITE_OK)
            return pb_schema_error(db, path, err, rc, "preparing statements");
    }
    return 0;
}

/* The packed `code` column (docs/schema.md): outcome | breaker << 4 |
 * status << 6 | attempt << 16, where status 200 is stored as 0 and "no
 * response" as 200, so that the commonest row, a first attempt answered 200,
 * packs to 0, which SQLite stores in no bytes at all. */
static int64_t pack_code(const pb_request_row *row)
{
    uint64_t status = row->status == 200 ? 0 : row->status == 0 ? 200 : row->status;
    if (status > 1023)
        status = 1023;
    uint64_t outcome = row->outcome < 16 ? row->outcome : PB_OUTCOME_OTHER_ERROR;
    return (int64_t)(outcome | (uint64_t)(row->breaker & 3) << 4 | status << 6 |
                     (uint64_t)row->attempt << 16);
}

void pb_schema_bind_row(sqlite3_stmt *st, int first, const pb_request_row *row)
{
    pb_bind_i64(st, first + 1, row->run_id);
    pb_bind_i64(st, first + 2, (sqlite3_int64)row->t_us);
    pb_bind_i64(st, first + 3, (sqlite3_int64)row->wait_us);
    pb_bind_i64(st, first + 4, (sqlite3_int64)row->connect_us);
    pb_bind_i64(st, first + 5, (sqlite3_int64)row->ttfb_us);
    pb_bind_i64(st, first + 6, (sqlite3_int64)row->total_us);
    pb_bind_i64(st, first + 7, pack_code(row));
    pb_bind_i64(st, first + 8, row->bytes);
    pb_bind_i64(st, first + 9, row->slot);
    pb_bind_i64(st, first + 10, row->lim);
    pb_bind_i64(st, first + 11, row->queue);
}
