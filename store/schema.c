#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "request_code.h"
#include "vocabulary.h"


/* The schema has nine outcome columns in `seconds`: a new outcome needs a
 * column of a new version and a migration, not only a row in the table. */
_Static_assert(PB_OUTCOME_COUNT == 9, "the schema has one seconds column per outcome");

/* Columns added to a table after version 1: the seconds table's come from
 * PB_SECOND_COLUMNS (seconds.h), which states each column's version; the
 * requests table's are XX(version, name, declaration), in the order they were
 * added: CREATE TABLE puts them at the end of their table, and migrate()
 * appends the ones an older file lacks with ALTER TABLE ADD COLUMN, so a new
 * file and a migrated one have the same columns in the same order. Append
 * only. Version 3: a server-side row's X-PB-Seq (requests.seq; NULL for the
 * client's rows). Version 4: the --targets entry a row sent (requests.target;
 * NULL without --targets) and the body bytes the server received
 * (requests.bytes_in; NULL on the client's rows). */
#define REQUESTS_ADDED(XX) XX(3, seq, INTEGER) XX(4, target, INTEGER) XX(4, bytes_in, INTEGER)

#define ADDED_DDL(version, name, decl) ", " #name " " #decl

struct added_column {
    int version;
    const char *table, *name, *decl;
};
#define SECONDS_ENTRY(name, kind, decl, version, rule, arg)                                        \
    {version, "seconds", #name, #name " " #decl},
#define REQUESTS_ENTRY(version, name, decl) {version, "requests", #name, #name " " #decl},
/* clang-format off */
static const struct added_column added_columns[] = {
    PB_SECOND_COLUMNS(SECONDS_ENTRY)
    REQUESTS_ADDED(REQUESTS_ENTRY)
};
/* clang-format on */

int pb_schema_version(void)
{
    int version = 1;
    for (size_t i = 0; i < sizeof(added_columns) / sizeof(added_columns[0]); i++)
        if (added_columns[i].version > version)
            version = added_columns[i].version;
    return version;
}

#define OUTCOME_COLUMN(name, value, text, column) " " column " INTEGER,"
#define OUTCOME_COLUMN_NAME(name, value, text, column) " " column ","
#define OUTCOME_PARAM(name, value, text, column) " ?,"
#define OUTCOME_ADD(name, value, text, column) " " column " = " column " + excluded." column ","
#define SECOND_DDL(name, kind, decl, version, rule, arg) " " #name " " #decl ","
#define SECOND_NAME(name, kind, decl, version, rule, arg) " " #name ","
#define SECOND_PARAM(name, kind, decl, version, rule, arg) " ?,"
/* A late delta upserted into a stored second, by the column's rule (seconds.h). */
#define SECOND_LATE(name, kind, decl, version, rule, arg) " " #name " = " LATE_##rule(name) ","
#define LATE_SUM(name) #name " + excluded." #name
#define LATE_SUM_LOST(name) LATE_SUM(name)
#define LATE_PCT(name) "excluded." #name
#define LATE_HIST(name) "excluded." #name
#define LATE_MARK(name) "iif(:marked, excluded." #name ", " #name ")"
#define LATE_MARK_SUM(name) LATE_MARK(name)
#define LATE_MARK_AGREE(name) LATE_MARK(name)
#define LATE_MARK_MAX(name) LATE_MARK(name)
#define LATE_MARK_OWN(name) LATE_MARK(name)

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
    PB_OUTCOME_ROLLUP_MAP(OUTCOME_COLUMN) PB_SECOND_COLUMNS(SECOND_DDL)
    " PRIMARY KEY(run_id, sec));"
    "CREATE TABLE IF NOT EXISTS events("
    " run_id INTEGER NOT NULL, t_us INTEGER NOT NULL, kind TEXT NOT NULL, from_val INTEGER,"
    " to_val INTEGER, value REAL, detail TEXT);"
    "CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id, kind, t_us);";

#define ROW_COLUMNS                                                                                \
    "INSERT INTO requests(run_id, t_us, wait_us, connect_us, ttfb_us, total_us, code, bytes,"      \
    " slot, lim, queue, seq, target, bytes_in) VALUES "
#define ROW_VALUES "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

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
    /* a late second arrives as a delta, merged by each column's rule
     * (seconds.h); the caller has merged the histogram. Parameters: one per
     * outcome, one per PB_SECOND_COLUMNS row, run_id, sec, count, :marked. */
    [ST_SECOND] =
        "INSERT INTO seconds(" PB_OUTCOME_ROLLUP_MAP(OUTCOME_COLUMN_NAME)
        PB_SECOND_COLUMNS(SECOND_NAME) " run_id, sec, count)"
        " VALUES (" PB_OUTCOME_ROLLUP_MAP(OUTCOME_PARAM) PB_SECOND_COLUMNS(SECOND_PARAM)
        " ?, ?, ?) ON CONFLICT(run_id, sec) DO UPDATE SET"
        PB_OUTCOME_ROLLUP_MAP(OUTCOME_ADD) PB_SECOND_COLUMNS(SECOND_LATE)
        " count = count + excluded.count",
    [ST_SECOND_HIST] = "SELECT hist FROM seconds WHERE run_id = ?1 AND sec = ?2",
    [ST_RUN_BEGIN] = "INSERT INTO runs(compare_id, label, pattern, params_json, config_json,"
                     " seed, target, started_at, status, versions_json, host) VALUES (?1, ?2,"
                     " ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9, ?10)",
    [ST_RUN_END] = "UPDATE runs SET status = ?2, ended_at = ?3, duration_us = ?4,"
                   " summary_json = ?5, first_request = ?6, last_request = ?7 WHERE id = ?1",
    [ST_RUN_FAILED] = "UPDATE runs SET status = 'failed', ended_at = ?2, duration_us = ?3,"
                      " summary_json = ?4 WHERE id = ?1",
    [ST_RUN_CLOCK] = "UPDATE runs SET started_at = ?2 WHERE id = ?1",
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

const char *pb_schema_reason(sqlite3 *db, const char *path, int rc, char *buf, size_t cap)
{
    struct stat st;
    switch (rc & 0xff) {
    case SQLITE_NOTADB:
        snprintf(buf, cap, "not a database file (patternbench writes SQLite files)");
        break;
    case SQLITE_CANTOPEN:
        if (stat(path, &st) != 0)
            snprintf(buf, cap, "%s", strerror(errno));
        else if (S_ISDIR(st.st_mode))
            snprintf(buf, cap, "is a folder, not a database file");
        else
            snprintf(buf, cap, "cannot be opened (its permissions, or its folder's)");
        break;
    case SQLITE_FULL:
        snprintf(buf, cap, "the disk is full");
        break;
    case SQLITE_CORRUPT:
        snprintf(buf, cap, "the file is damaged (SQLite: %s)",
                 db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        break;
    default:
        snprintf(buf, cap, "%s", db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    }
    return buf;
}

int pb_schema_error(sqlite3 *db, const char *path, pb_err *err, int rc, const char *what)
{
    char why[160];
    return pb_err_set(err, pb_schema_errcode(rc), "%s: %s: %s", path, what,
                      pb_schema_reason(db, path, rc, why, sizeof(why)));
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

/* An older file's SUM_LOST column (seconds.h), counted from its `lost` events
 * (the events table `events`, the event column `arg`, the kind `kind`) by
 * the rule the rollup follows: the second of the event's t_us. The seconds
 * row is `s`. */
#define LOST_FROM_EVENTS(events, arg, kind)                                                        \
    "coalesce((SELECT CAST(sum(e." #arg ") AS INTEGER) FROM " events " AS e WHERE e.run_id ="     \
    " s.run_id AND e.kind = " kind " AND e.t_us >= s.sec * 1000000 AND e.t_us < (s.sec + 1) *"    \
    " 1000000), 0)"

/* The SUM_LOST columns, just added to an older file: what the rollup would
 * have counted, had it known, is in the file's `lost` events, so the rows
 * already there get it by the same rule. Only the seconds that hold such an
 * event are rewritten; the rest keep the default 0. */
static int backfill_lost(sqlite3 *db)
{
#define BACKFILL(name, kind, decl, version, rule, arg) BACKFILL_##rule(name, arg)
#define BACKFILL_SUM_LOST(name, arg) " " #name " = " LOST_FROM_EVENTS("events", arg, "?1") ","
#define BACKFILL_SUM(name, arg)
#define BACKFILL_PCT(name, arg)
#define BACKFILL_HIST(name, arg)
#define BACKFILL_MARK_SUM(name, arg)
#define BACKFILL_MARK_AGREE(name, arg)
#define BACKFILL_MARK_MAX(name, arg)
#define BACKFILL_MARK_OWN(name, arg)
    /* clang-format off */
    static const char sql[] =
        "UPDATE seconds AS s SET" PB_SECOND_COLUMNS(BACKFILL) " sec = sec"
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
        bool have = c->version == 1;
        if (!have && (rc = has_column(db, c->table, c->name, &have)) != SQLITE_OK)
            return rc;
        if (have || c->version == 1)
            continue;
        char sql[128];
        snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s", c->table, c->decl);
        if ((rc = sqlite3_exec(db, sql, NULL, NULL, NULL)) != SQLITE_OK)
            return rc;
        lost_added |= c->version == 3 && strcmp(c->table, "seconds") == 0;
        requests_grew |= strcmp(c->table, "requests") == 0;
    }
    if (lost_added)
        rc = backfill_lost(db);
    if (rc == SQLITE_OK && requests_grew)
        rc = sqlite3_exec(db, "DROP VIEW IF EXISTS requests_v", NULL, NULL, NULL);
    return rc;
}

/* The requests_v view: `code` unpacked by its layout (request_code.h).
 * Created after the migration, which drops an older file's view: a view's
 * columns are fixed when it is created. */
static int create_view(sqlite3 *db)
{
    char sql[2048];
    size_t len = 0;
    int w = snprintf(sql, sizeof(sql),
                     "CREATE VIEW IF NOT EXISTS requests_v AS SELECT rowid AS id, run_id, t_us,"
                     " wait_us, connect_us, ttfb_us, total_us, CASE (code >> %d) & %d WHEN 0 THEN"
                     " 200 WHEN 200 THEN 0 ELSE (code >> %d) & %d END AS status, CASE (code >> %d)"
                     " & %d",
                     PB_CODE_SHIFT_status, PB_CODE_MASK_status, PB_CODE_SHIFT_status,
                     PB_CODE_MASK_status, PB_CODE_SHIFT_outcome, PB_CODE_MASK_outcome);
#define VIEW_APPEND(...)                                                                           \
    do {                                                                                           \
        assert(w > 0 && len + (size_t)w < sizeof(sql));                                            \
        len += (size_t)w;                                                                          \
        w = snprintf(sql + len, sizeof(sql) - len, __VA_ARGS__);                                   \
    } while (0)
#define VIEW_CASE(name, value, text) VIEW_APPEND(" WHEN %d THEN '%s'", value, text);
    PB_OUTCOME_MAP(VIEW_CASE)
    VIEW_APPEND(" END AS outcome, CASE (code >> %d) & %d", PB_CODE_SHIFT_breaker,
                PB_CODE_MASK_breaker);
    PB_BREAKER_STATE_MAP(VIEW_CASE)
    VIEW_APPEND(" END AS breaker, code >> %d AS attempt, bytes, slot, lim, queue,"
                " t_us + wait_us AS start_us, t_us + wait_us + total_us AS end_us, seq, target,"
                " bytes_in"
                " FROM requests;",
                PB_CODE_SHIFT_attempt);
    VIEW_APPEND("%s", "");
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
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
    if (version > pb_schema_version()) {
        result = pb_err_set(err, PB_ENOTSUP,
                            "%s: database schema version %ld is newer than this patternbench "
                            "supports (%d); use a newer patternbench or another --db file",
                            path, version, pb_schema_version());
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
        rc = create_view(db);
    char set_version[64];
    snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d", pb_schema_version());
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, set_version, NULL, NULL, NULL);
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

void pb_schema_bind_row(sqlite3_stmt *st, int first, const pb_request_row *row)
{
    assert(!row->has_seq || row->seq <= INT64_MAX); /* X-PB-Seq is below 2^56 */
    pb_bind_i64(st, first + 1, row->run_id);
    pb_bind_i64(st, first + 2, (sqlite3_int64)row->t_us);
    pb_bind_i64(st, first + 3, (sqlite3_int64)row->wait_us);
    pb_bind_i64(st, first + 4, (sqlite3_int64)row->connect_us);
    pb_bind_i64(st, first + 5, (sqlite3_int64)row->ttfb_us);
    pb_bind_i64(st, first + 6, (sqlite3_int64)row->total_us);
    pb_bind_i64(st, first + 7, pb_request_code_pack(row));
    pb_bind_i64(st, first + 8, row->bytes);
    pb_bind_i64(st, first + 9, row->slot);
    pb_bind_i64(st, first + 10, row->lim);
    pb_bind_i64(st, first + 11, row->queue);
    pb_bind_nullable(st, first + 12, row->has_seq, (int64_t)row->seq);
    pb_bind_nullable(st, first + 13, row->has_target, row->target);
    pb_bind_nullable(st, first + 14, row->has_bytes_in, (int64_t)row->bytes_in);
}

/* Each column's parameter in ST_SECOND: the outcomes come first. */
#define SECOND_PARAM_INDEX(col) (PB_OUTCOME_COUNT + (col) + 1)

void pb_schema_bind_second(sqlite3_stmt *st, const pb_second_row *row)
{
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        pb_bind_i64(st, o + 1, (int64_t)row->outcomes[o]);
#define BIND(name, kind, decl, version, rule, arg)                                                 \
    BIND_##kind(SECOND_PARAM_INDEX(PB_SECOND_COL_##name), row->name,                               \
                PB_SECOND_KNOWN(row, name) || BIND_ALWAYS_##rule);
#define BIND_U64(i, v, known) pb_bind_nullable(st, i, known, (int64_t)(v))
#define BIND_I64(i, v, known) pb_bind_nullable(st, i, known, v)
#define BIND_F64(i, v, known) pb_bind_double_nullable(st, i, known, v)
#define BIND_BLOB(i, v, known)                                                                     \
    pb_bind_ok(known ? sqlite3_bind_blob(st, i, (v).data, (int)(v).len, SQLITE_STATIC)            \
                     : sqlite3_bind_null(st, i))
/* counters are never NULL when written */
#define BIND_ALWAYS_SUM 1
#define BIND_ALWAYS_SUM_LOST 1
#define BIND_ALWAYS_PCT 0
#define BIND_ALWAYS_HIST 0
#define BIND_ALWAYS_MARK_SUM 0
#define BIND_ALWAYS_MARK_AGREE 0
#define BIND_ALWAYS_MARK_MAX 0
#define BIND_ALWAYS_MARK_OWN 0
    PB_SECOND_COLUMNS(BIND)
    int i = SECOND_PARAM_INDEX(PB_SECOND_COLS);
    pb_bind_i64(st, i, row->run_id);
    pb_bind_i64(st, i + 1, (int64_t)row->sec);
    pb_bind_i64(st, i + 2, (int64_t)row->count);
    pb_bind_i64(st, sqlite3_bind_parameter_index(st, ":marked"), row->marked);
}

void pb_schema_unbind_second(sqlite3_stmt *st)
{
#define UNBIND(name, kind, decl, version, rule, arg) UNBIND_##kind(name)
#define UNBIND_BLOB(name)                                                                          \
    pb_bind_ok(sqlite3_bind_null(st, SECOND_PARAM_INDEX(PB_SECOND_COL_##name)));
#define UNBIND_U64(name)
#define UNBIND_I64(name)
#define UNBIND_F64(name)
    PB_SECOND_COLUMNS(UNBIND)
}

int pb_schema_seconds_select(int version, const char *events, char *buf, size_t cap)
{
    size_t len = 0;
    int w = snprintf(buf, cap, "s.sec, s.count");
#define APPEND(...)                                                                                \
    do {                                                                                           \
        if (w < 0 || (len += (size_t)w) >= cap)                                                    \
            return PB_ERANGE;                                                                      \
        w = snprintf(buf + len, cap - len, __VA_ARGS__);                                           \
    } while (0)
#define SELECT_OUTCOME(name, value, text, column) APPEND(", s." column);
    PB_OUTCOME_ROLLUP_MAP(SELECT_OUTCOME)
    /* a column younger than the file reads as NULL, or, a SUM_LOST one, from
     * the file's `lost` events */
#define SELECT_COLUMN(name, kind, decl, version, rule, arg)                                        \
    if (version <= file_version)                                                                   \
        APPEND(", s." #name);                                                                      \
    else                                                                                           \
        SELECT_OLDER_##rule(name, arg);
#define SELECT_OLDER_SUM_LOST(name, arg) APPEND(", " LOST_FROM_EVENTS("%s", arg, "'%s'"), events, lost)
#define SELECT_OLDER_NULL(name, arg) APPEND(", NULL")
#define SELECT_OLDER_SUM SELECT_OLDER_NULL
#define SELECT_OLDER_PCT SELECT_OLDER_NULL
#define SELECT_OLDER_HIST SELECT_OLDER_NULL
#define SELECT_OLDER_MARK_SUM SELECT_OLDER_NULL
#define SELECT_OLDER_MARK_AGREE SELECT_OLDER_NULL
#define SELECT_OLDER_MARK_MAX SELECT_OLDER_NULL
#define SELECT_OLDER_MARK_OWN SELECT_OLDER_NULL
    int file_version = version;
    const char *lost = pb_event_kind_name(PB_EVENT_LOST);
    PB_SECOND_COLUMNS(SELECT_COLUMN)
    APPEND("%s", "");
    return 0;
}

void pb_schema_read_second(sqlite3_stmt *st, pb_second_row *row)
{
    memset(row, 0, sizeof(*row));
    row->sec = (uint64_t)sqlite3_column_int64(st, 0);
    row->count = (uint64_t)sqlite3_column_int64(st, 1);
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        row->outcomes[o] = (uint64_t)sqlite3_column_int64(st, 2 + o);
    int c = 2 + PB_OUTCOME_COUNT;
#define READ(name, kind, decl, version, rule, arg)                                                 \
    if (sqlite3_column_type(st, c) != SQLITE_NULL || BIND_ALWAYS_##rule) {                         \
        row->known |= 1u << PB_SECOND_COL_##name;                                                  \
        READ_##kind(row->name, c);                                                                 \
    }                                                                                              \
    c++;
#define READ_U64(v, c) v = (uint64_t)sqlite3_column_int64(st, c)
#define READ_I64(v, c) v = sqlite3_column_int64(st, c)
#define READ_F64(v, c) v = sqlite3_column_double(st, c)
#define READ_BLOB(v, c)                                                                            \
    v = (pb_second_blob){sqlite3_column_blob(st, c), (size_t)sqlite3_column_bytes(st, c)}
    PB_SECOND_COLUMNS(READ)
}

int pb_schema_count_tail(sqlite3 *db, const char *path, pb_rollup *ru, int64_t run_id, int64_t last,
                         uint64_t *rows, pb_err *err)
{
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(db,
                                 "SELECT t_us, wait_us, total_us, code, bytes FROM requests"
                                 " WHERE run_id = ?1 ORDER BY rowid DESC",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return pb_schema_error(db, path, err, src, "reading the request rows");
    sqlite3_bind_int64(st, 1, run_id);
    int rc = 0;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        pb_request_row row = {.run_id = run_id,
                              .t_us = (uint64_t)sqlite3_column_int64(st, 0),
                              .wait_us = (uint64_t)sqlite3_column_int64(st, 1),
                              .total_us = (uint64_t)sqlite3_column_int64(st, 2),
                              .bytes = (uint32_t)sqlite3_column_int64(st, 4)};
        pb_request_code_unpack(sqlite3_column_int64(st, 3), &row);
        int64_t sec = (int64_t)pb_rollup_row_second(&row);
        /* rows are stored roughly as they ended: one this far back is counted */
        if (sec + PB_ROLLUP_SLOTS < last)
            break;
        if (sec <= last)
            continue;
        if ((rc = pb_rollup_add(ru, &row)) != 0)
            break;
        (*rows)++;
    }
    if (rc == 0 && src != SQLITE_ROW && src != SQLITE_DONE)
        rc = pb_schema_error(db, path, err, src, "reading the request rows");
    sqlite3_finalize(st);
    if (rc != 0)
        return rc;
    /* the results a propagating gather never handed over in those seconds */
    src = sqlite3_prepare_v2(db,
                             "SELECT t_us, to_val, value FROM events WHERE run_id = ?1 AND"
                             " kind = ?2 AND t_us >= ?3 ORDER BY t_us",
                             -1, &st, NULL);
    if (src != SQLITE_OK)
        return pb_schema_error(db, path, err, src, "reading the events");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, pb_event_kind_name(PB_EVENT_LOST), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (last + 1) * (int64_t)PB_USEC_PER_SEC);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t lost = sqlite3_column_int64(st, 1);
        double cascaded = sqlite3_column_double(st, 2);
        rc =
            pb_rollup_lost(ru, (uint64_t)sqlite3_column_int64(st, 0), lost > 0 ? (uint64_t)lost : 0,
                           cascaded > 0 ? (uint64_t)(cascaded + 0.5) : 0);
        if (rc != 0)
            break;
    }
    if (rc == 0 && src != SQLITE_DONE)
        rc = pb_schema_error(db, path, err, src, "reading the events");
    sqlite3_finalize(st);
    return rc;
}
