#include "baseline.h"

#include <sqlite3.h>

#include "request_code.h"

static int fail(sqlite3 *db, const char *path, const char *what, pb_err *err)
{
    return pb_err_set(err, PB_EDB, "%s: %s: %s", path, what,
                      db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

int pb_baseline_insert(const char *path, const pb_request_row *rows, size_t n, pb_usec *elapsed,
                       pb_err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        rc = fail(db, path, "cannot open", err);
        goto done;
    }
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                     "CREATE TABLE requests(run_id INTEGER NOT NULL, t_us INTEGER NOT NULL,"
                     " wait_us INTEGER, connect_us INTEGER, ttfb_us INTEGER, total_us INTEGER,"
                     " code INTEGER, bytes INTEGER, slot INTEGER, lim INTEGER, queue INTEGER,"
                     " seq INTEGER)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = fail(db, path, "creating the reference table", err);
        goto done;
    }
    /* seq stays NULL, as in the client's rows */
    if (sqlite3_prepare_v2(db, "INSERT INTO requests VALUES (?,?,?,?,?,?,?,?,?,?,?,NULL)", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = fail(db, path, "preparing the reference insert", err);
        goto done;
    }
    pb_usec start = pb_monotime_now();
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = fail(db, path, "BEGIN", err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const pb_request_row *r = &rows[i];
        sqlite3_bind_int64(st, 1, 2);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)r->t_us);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)r->wait_us);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)r->connect_us);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)r->ttfb_us);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)r->total_us);
        sqlite3_bind_int64(st, 7, pb_request_code_pack(r));
        sqlite3_bind_int64(st, 8, r->bytes);
        sqlite3_bind_int64(st, 9, r->slot);
        sqlite3_bind_int64(st, 10, r->lim);
        sqlite3_bind_int64(st, 11, r->queue);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = fail(db, path, "reference insert", err);
            goto done;
        }
        sqlite3_reset(st);
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = fail(db, path, "COMMIT", err);
        goto done;
    }
    *elapsed = pb_monotime_now() - start;
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
