/* The database's shape: the tables, the requests_v view, the schema version
 * check and migrations, the prepared statements the writer uses, and the
 * binding and reading of rows (the `seconds` columns are seconds.h's list,
 * the `code` layout request_code.h's). docs/schema.md describes the same. */
#ifndef PB_SCHEMA_H
#define PB_SCHEMA_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "errors.h"
#include "histogram.h"
#include "rollup.h"
#include "rows.h"
#include "seconds.h"
#include "vocabulary.h"

/* The schema version this patternbench writes: the newest version a column of
 * the tables was added in (PB_SECOND_COLUMNS, and the requests table's in
 * schema.c), so a column added with a new version raises it. It reads and
 * migrates every older one. */
int pb_schema_version(void);

/* Rows one multi-row INSERT takes (ST_ROWS). */
#define PB_SCHEMA_INSERT_BATCH 64
/* Columns of one request row in an INSERT. */
#define PB_SCHEMA_ROW_PARAMS 14

/* The statements the writer keeps prepared. */
typedef enum pb_stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_ROW,  /* one request row */
    ST_ROWS, /* PB_SCHEMA_INSERT_BATCH request rows */
    ST_EVENT,
    ST_SECOND,
    ST_SECOND_HIST,
    ST_RUN_BEGIN,
    ST_RUN_END,
    ST_RUN_FAILED,
    ST_RUN_CLOCK, /* a run's started_at: the wall clock at its t = 0 */
    ST_COMPARE_BEGIN,
    ST_COMPARE_END,
    ST_DROP_ROWS, /* a run's request rows in a rowid range: the oldest, for --keep-requests */
    ST_COUNT
} pb_stmt_id;

/* The project error code for an SQLite result code (PB_EFULL for a full disk, ...). */
int pb_schema_errcode(int sqlite_rc);

/* An error about the database at path: "path: what: SQLite's message". */
int pb_schema_error(sqlite3 *db, const char *path, pb_err *err, int sqlite_rc, const char *what);

/* SQLite's failure `sqlite_rc` on the file at path in a user's words: "not a
 * database file ...", the system's reason a file cannot be opened ("No such
 * file or directory"), "the disk is full", "the file is damaged ..."; else
 * SQLite's own message. Into buf; returns buf. */
const char *pb_schema_reason(sqlite3 *db, const char *path, int sqlite_rc, char *buf, size_t cap);

/* Check the schema version of the open database and create what is missing,
 * in one transaction; an older version is migrated in that transaction (its
 * tables get the columns added since, docs/schema.md: NULL in its rows, except
 * seconds.lost and .cascaded, which are counted from its `lost` events); a
 * newer version or a file that is not a patternbench database is refused
 * naming path. */
int pb_schema_create(sqlite3 *db, const char *path, pb_err *err) PB_MUST_CHECK;

/* Prepare every statement of pb_stmt_id into st (finalize them with sqlite3_finalize). */
int pb_schema_prepare(sqlite3 *db, const char *path, sqlite3_stmt *st[ST_COUNT],
                      pb_err *err) PB_MUST_CHECK;

/* Run SQL that returns at most one value into out as text ("" for no row;
 * out may be NULL); returns an SQLite result code. */
int pb_schema_query_one(sqlite3 *db, const char *sql, char *out, size_t cap);

/* Feed into ru what run_id's stored rollup has not counted yet: its request
 * rows that ended after second `last` (-1: every row; read newest first, as
 * far back as a row can still be uncounted) and its `lost` events from second
 * last + 1 on. *rows counts the request rows fed. Returns 0, the rollup's
 * error (its emit callback says why), or a database error naming path. */
int pb_schema_count_tail(sqlite3 *db, const char *path, pb_rollup *ru, int64_t run_id, int64_t last,
                         uint64_t *rows, pb_err *err) PB_MUST_CHECK;

/* Bind one request row's columns to parameters first+1 .. first+PB_SCHEMA_ROW_PARAMS. */
void pb_schema_bind_row(sqlite3_stmt *st, int first, const pb_request_row *row);

/* Bind ST_SECOND's parameters to one row (seconds.h); its blobs are bound
 * without a copy, so they must stay until the step. */
void pb_schema_bind_second(sqlite3_stmt *st, const pb_second_row *row);

/* Unbind ST_SECOND's blobs after the step (their buffers may move). */
void pb_schema_unbind_second(sqlite3_stmt *st);

/* The result columns that pb_schema_read_second reads, for a file of schema
 * `version`, from a `seconds` table aliased `s`, as text into buf: its
 * columns in table order, those younger than the file as NULL or, the
 * SUM_LOST ones, counted from the `lost` events of the table `events`
 * ("events", "seg.events"). PB_ERANGE when cap is too small. */
int pb_schema_seconds_select(int version, const char *events, char *buf, size_t cap) PB_MUST_CHECK;

/* A stepped row of pb_schema_seconds_select's columns into *row (run_id left
 * 0; blobs borrowed until the next step). */
void pb_schema_read_second(sqlite3_stmt *st, pb_second_row *row);

/* Binding checks by assert: the parameter indices are fixed and values are
 * integers, or text and blobs that SQLite does not copy, so only a bug in the
 * store can make a bind fail. */
static inline void pb_bind_ok(int rc)
{
    assert(rc == SQLITE_OK);
    (void)rc;
}

static inline void pb_bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
    pb_bind_ok(sqlite3_bind_int64(st, i, v));
}

static inline void pb_bind_nullable(sqlite3_stmt *st, int i, bool present, int64_t v)
{
    pb_bind_ok(present ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i));
}

/* A REAL column, or NULL when !present. */
static inline void pb_bind_double_nullable(sqlite3_stmt *st, int i, bool present, double v)
{
    pb_bind_ok(present ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i));
}

/* Text that outlives the statement's next step (NULL binds NULL). */
static inline void pb_bind_text(sqlite3_stmt *st, int i, const char *text, int len)
{
    pb_bind_ok(text != NULL ? sqlite3_bind_text(st, i, text, len, SQLITE_STATIC)
                            : sqlite3_bind_null(st, i));
}

#endif
