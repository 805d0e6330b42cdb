#include "test_sql.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

sqlite3 *test_db_open(const char *path)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("cannot open %s: %s", path, sqlite3_errmsg(db));
    return db;
}

/* sql prepared and stepped to its first row. */
static sqlite3_stmt *first_row(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) != SQLITE_ROW)
        fail_msg("%s: no row (%s)", sql, sqlite3_errmsg(db));
    return st;
}

int64_t test_sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = first_row(db, sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

char *test_sql_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = first_row(db, sql);
    const unsigned char *t = sqlite3_column_text(st, 0);
    char *copy = strdup(t != NULL ? (const char *)t : "");
    assert_non_null(copy);
    sqlite3_finalize(st);
    return copy;
}

int64_t test_db_int(const char *path, const char *sql)
{
    sqlite3 *db = test_db_open(path);
    int64_t v = test_sql_int(db, sql);
    sqlite3_close(db);
    return v;
}

char *test_db_text(const char *path, const char *sql)
{
    sqlite3 *db = test_db_open(path);
    char *v = test_sql_text(db, sql);
    sqlite3_close(db);
    return v;
}
