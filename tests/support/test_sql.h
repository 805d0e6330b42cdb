/* One value out of a database, for a test to assert on. Each fails the test,
 * naming the SQL and SQLite's message, when the statement does not prepare
 * or returns no row. */
#ifndef PB_TEST_SQL_H
#define PB_TEST_SQL_H

#include <stdint.h>

#include <sqlite3.h>

/* Open the database at path read-only; fails the test naming path. */
sqlite3 *test_db_open(const char *path);

/* The first column of the first row of sql, as an integer. */
int64_t test_sql_int(sqlite3 *db, const char *sql);

/* The first column of the first row of sql as text, malloc'd (the caller
 * frees it); "" for NULL. */
char *test_sql_text(sqlite3 *db, const char *sql);

/* test_sql_int on the database at path, opened read-only for this one query. */
int64_t test_db_int(const char *path, const char *sql);

/* test_sql_text on the database at path, opened read-only for this one query. */
char *test_db_text(const char *path, const char *sql);

#endif
