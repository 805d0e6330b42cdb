#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vocabulary.h"

#define SCHEMA_VERSION 3
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* The schema has nine outcome columns in `seconds`: a new outcome needs a
 * column, a higher SCHEMA_VERSION and a migration, not only a row in the table. */
_Static_assert(PB_OUTCOME_COUNT == 9, "the schema has one seconds column per outcome");

/* Columns added to a table after version 1, XX(version, name, declaration),
 * in the order they were added: CREATE TABLE puts them at the end of their
 * table, and migrate() appends the ones an older file lacks with ALTER TABLE
 * ADD COLUMN, so a new file and a migrated one have the same columns in the
 * same order. Append only. Version 2: the harness's own figures per second;
 * version 3: the results a semaphore's propagating gather never handed over
 * (seconds.lost, .cascaded; 0, never NULL) and a server-side row's X-PB-Seq
 * (requests.seq; NULL for the client's rows). */
#define SECONDS_ADDED(XX)                                                                          \
    XX(2, cpu_pct, REAL)                                                                           \
    XX(2, rss_bytes, INTEGER)                                                                      \
    XX(2, loop_lag_us, INTEGER)                                                                    \
    XX(2, backlog, INTEGER)                                                                        \
    XX(3, lost, INTEGER NOT NULL DEFAULT 0)                                                        \
    XX(3, cascaded, INTEGER NOT NULL DEFAULT 0)
#define REQUESTS_ADDED(XX) XX(3, seq, INTEGER)

#define ADDED_DDL(version, name, decl) ", " #name " " #decl

struct added_column {
    const char *table, *name, *decl;
};
#define SECONDS_ENTRY(version, name, decl) {"seconds", #name, #name " " #decl},
#define REQUESTS_ENTRY(version, name, decl) {"requests", #name, #name " " #decl},
/* clang-format off */
static const struct added_column added_columns[] = {
    SECONDS_ADDED(SECONDS_ENTRY)
    REQUESTS_ADDED(REQUESTS_ENTRY)
};
/* clang-format on */

#define OUTCOME_CASE(name, value, text) " WHEN " #value " THEN '" text "'"
#define BREAKER_CASE(name, value, text) " WHEN " #value " THEN '" text "'"
#define OUTCOME_COLUMN(name, value, text, column) " " column " INTEGER,"
#define OUTCOME_COLUMN_NAME(name, value, text, column) " " column ","
#define OUTCOME_PARAM(name, value, text, column) " ?,"
#define OUTCOME_ADD(name, value, text, column) " " column " = " column " + excluded." column ","

/* clang-format off */
static const char tables_sql[] =
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
    " lim INTEGER, queue INTEGER" REQUESTS_ADDED(ADDED_DDL) ");"
    "CREATE TABLE IF NOT EXISTS seconds("
    " run_id INTEGER NOT NULL, sec INTEGER NOT NULL, count INTEGER NOT NULL,"
    PB_OUTCOME_ROLLUP_MAP(OUTCOME_COLUMN)
    " retries INTEGER, bytes INTEGER, p50_us INTEGER, p90_us INTEGER, p99_us INTEGER,"
    " max_us INTEGER, hist BLOB, in_flight INTEGER, lim INTEGER, queue INTEGER,"
    " breaker INTEGER, phase INTEGER" SECONDS_ADDED(ADDED_DDL) ","
    " PRIMARY KEY(run_id, sec));"
    "CREATE TABLE IF NOT EXISTS events("
    " run_id INTEGER NOT NULL, t_us INTEGER NOT NULL, kind TEXT NOT NULL, from_val INTEGER,"
    " to_val INTEGER, value REAL, detail TEXT);"
    "CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id, kind, t_us);";

/* Created after the migration, which drops an older file's view: a view's
 * columns are fixed when it is created. */
static const char view_sql[] =
    "CREATE VIEW IF NOT EXISTS requests_v AS SELECT rowid AS id, run_id, t_us, wait_us,"
    " connect_us, ttfb_us, total_us,"
    " CASE (code >> 6) & 1023 WHEN 0 THEN 200 WHEN 200 THEN 0 ELSE (code >> 6) & 1023 END"
    " AS status,"
    " CASE code & 15" PB_OUTCOME_MAP(OUTCOME_CASE) " END AS outcome,"
    " CASE (code >> 4) & 3" PB_BREAKER_STATE_MAP(BREAKER_CASE) " END AS breaker,"
    " code >> 16 AS attempt, bytes, slot, lim, queue, t_us + wait_us AS start_us,"
    " t_us + wait_us + total_us AS end_us, seq FROM requests;";

#define ROW_COLUMNS                                                                                \
    "INSERT INTO requests(run_id, t_us, wait_us, connect_us, ttfb_us, total_us, code, bytes,"      \
    " slot, lim, queue, seq) VALUES "
#define ROW_VALUES "(?,?,?,?,?,?,?,?,?,?,?,?)"

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
    [ST_SECOND] =
        "INSERT INTO seconds(run_id, sec, count," PB_OUTCOME_ROLLUP_MAP(OUTCOME_COLUMN_NAME)
        " retries, bytes, p50_us, p90_us, p99_us, max_us, hist, in_flight, lim, queue, breaker,"
        " phase, cpu_pct, rss_bytes, loop_lag_us, backlog, lost, cascaded)"
        " VALUES (?, ?, ?," PB_OUTCOME_ROLLUP_MAP(OUTCOME_PARAM)
        " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(run_id, sec) DO UPDATE SET"
        " count = count + excluded.count," PB_OUTCOME_ROLLUP_MAP(OUTCOME_ADD)
        " retries = retries + excluded.retries,"
        " bytes = bytes + excluded.bytes,"
        " p50_us = excluded.p50_us,"
        " p90_us = excluded.p90_us,"
        " p99_us = excluded.p99_us,"
        " max_us = excluded.max_us,"
        " hist = excluded.hist,"
        " in_flight = iif(:marked, excluded.in_flight, in_flight),"
        " lim = iif(:marked, excluded.lim, lim),"
        " queue = iif(:marked, excluded.queue, queue),"
        " breaker = iif(:marked, excluded.breaker, breaker),"
        " phase = iif(:marked, excluded.phase, phase),"
        " cpu_pct = iif(:marked, excluded.cpu_pct, cpu_pct),"
        " rss_bytes = iif(:marked, excluded.rss_bytes, rss_bytes),"
        " loop_lag_us = iif(:marked, excluded.loop_lag_us, loop_lag_us),"
        " backlog = iif(:marked, excluded.backlog, backlog),"
        " lost = lost + excluded.lost,"
        " cascaded = cascaded + excluded.cascaded",
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
/* clang-format on */

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

/* Whether `table` has a column `name`, into *out; returns an SQLite result code. */
static int has_column(sqlite3 *db, const char *table, const char *name, bool *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    pb_bind_text(st, 1, table, -1);
    pb_bind_text(st, 2, name, -1);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0) > 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* seconds.lost and .cascaded, just added to an older file: what the rollup
 * would have counted, had it known, is in the file's `lost` events, so the
 * rows already there get it by the same rule (the second of the event's
 * t_us). Only the seconds that hold such an event are rewritten; the rest
 * keep the default 0. */
static int backfill_lost(sqlite3 *db)
{
    /* clang-format off */
    static const char sql[] =
        "UPDATE seconds SET"
        " lost = (SELECT coalesce(sum(to_val), 0) FROM events AS e WHERE e.run_id ="
        "  seconds.run_id AND e.kind = ?1 AND e.t_us >= seconds.sec * 1000000 AND"
        "  e.t_us < (seconds.sec + 1) * 1000000),"
        " cascaded = (SELECT coalesce(CAST(sum(value) AS INTEGER), 0) FROM events AS e WHERE"
        "  e.run_id = seconds.run_id AND e.kind = ?1 AND e.t_us >= seconds.sec * 1000000 AND"
        "  e.t_us < (seconds.sec + 1) * 1000000)"
        " WHERE (run_id, sec) IN (SELECT run_id, t_us / 1000000 FROM events WHERE kind = ?1)";
    /* clang-format on */
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    pb_bind_text(st, 1, pb_event_kind_name(PB_EVENT_LOST), -1);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Bring an older file's tables to this version (inside the caller's
 * transaction, so a failure leaves the file at its old version): add the
 * columns it lacks (NULL, or their default, in the rows already there), fill
 * seconds.lost and .cascaded from its events, and drop the requests_v view
 * when its table grew, for the caller to create it again. */
static int migrate(sqlite3 *db)
{
    bool lost_added = false, requests_grew = false;
    int rc = SQLITE_OK;
    for (size_t i = 0; i < sizeof(added_columns) / sizeof(added_columns[0]); i++) {
        const struct added_column *c = &added_columns[i];
        bool have = false;
        if ((rc = has_column(db, c->table, c->name, &have)) != SQLITE_OK)
            return rc;
        if (have)
            continue;
        char sql[128];
        snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s", c->table, c->decl);
        if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK)
            return rc;
        lost_added |= strcmp(c->name, "lost") == 0;
        requests_grew |= strcmp(c->table, "requests") == 0;
    }
    if (lost_added)
        rc = backfill_lost(db);
    if (rc == SQLITE_OK && requests_grew)
        rc = sqlite3_exec(db, "DROP VIEW IF EXISTS requests_v", NULL, NULL, NULL);
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
    rc = sqlite3_exec(db, tables_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = migrate(db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, view_sql, NULL, NULL, NULL);
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
    assert(!row->has_seq || row->seq <= INT64_MAX); /* X-PB-Seq is below 2^56 */
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
    pb_bind_nullable(st, first + 12, row->has_seq, (int64_t)row->seq);
}

void pb_schema_bind_second(sqlite3_stmt *st, const pb_schema_second *row)
{
    const pb_hist *h = row->hist;
    bool has_latency = pb_hist_count(h) > 0;
    pb_bind_i64(st, 1, row->run_id);
    pb_bind_i64(st, 2, (int64_t)row->sec);
    pb_bind_i64(st, 3, (int64_t)row->count);
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        pb_bind_i64(st, PB_SCHEMA_SECOND_OUTCOME + o, (int64_t)row->outcomes[o]);
    pb_bind_i64(st, PB_SCHEMA_SECOND_RETRIES, (int64_t)row->retries);
    pb_bind_i64(st, PB_SCHEMA_SECOND_BYTES, (int64_t)row->bytes);
    pb_bind_nullable(st, PB_SCHEMA_SECOND_P50, has_latency, (int64_t)pb_hist_percentile(h, 50));
    pb_bind_nullable(st, PB_SCHEMA_SECOND_P90, has_latency, (int64_t)pb_hist_percentile(h, 90));
    pb_bind_nullable(st, PB_SCHEMA_SECOND_P99, has_latency, (int64_t)pb_hist_percentile(h, 99));
    pb_bind_nullable(st, PB_SCHEMA_SECOND_MAX, has_latency, (int64_t)pb_hist_max(h));
    pb_bind_ok(sqlite3_bind_blob(st, PB_SCHEMA_SECOND_HIST, row->hist_blob, (int)row->hist_len,
                                 SQLITE_STATIC));
    pb_bind_nullable(st, PB_SCHEMA_SECOND_IN_FLIGHT, row->state_known, row->in_flight);
    pb_bind_nullable(st, PB_SCHEMA_SECOND_LIM, row->state_known, row->lim);
    pb_bind_nullable(st, PB_SCHEMA_SECOND_QUEUE, row->state_known, row->queue);
    pb_bind_nullable(st, PB_SCHEMA_SECOND_BREAKER, row->breaker >= 0, row->breaker);
    pb_bind_nullable(st, PB_SCHEMA_SECOND_PHASE, row->phase >= 0, row->phase);
    pb_bind_double_nullable(st, PB_SCHEMA_SECOND_CPU, row->self_known, row->cpu_pct);
    pb_bind_nullable(st, PB_SCHEMA_SECOND_RSS, row->self_known, (int64_t)row->rss_bytes);
    pb_bind_nullable(st, PB_SCHEMA_SECOND_LOOP_LAG, row->self_known, (int64_t)row->loop_lag_us);
    pb_bind_nullable(st, PB_SCHEMA_SECOND_BACKLOG, row->self_known, (int64_t)row->backlog);
    pb_bind_i64(st, PB_SCHEMA_SECOND_LOST, (int64_t)row->lost);
    pb_bind_i64(st, PB_SCHEMA_SECOND_CASCADED, (int64_t)row->cascaded);
    pb_bind_i64(st, PB_SCHEMA_SECOND_MARKED, row->marked);
}
