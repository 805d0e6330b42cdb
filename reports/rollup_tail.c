#include "rollup_tail.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "monotime.h"
#include "vocabulary.h"

/* The store keeps at most this many seconds open (PB_ROLLUP_SLOTS): a row
 * that ended this far before the last stored second was counted already, and
 * rows are stored in the order requests ended, give or take the hand-over
 * between client threads, so the backward scan can stop there. */
#define OPEN_SECONDS 8
/* Seconds counted at once; a run killed later than this past its last stored
 * second is not a case the store produces (it writes a second every second). */
#define MAX_TAIL_SECONDS 64

/* The outcome columns of the seconds table, in outcome order, and a parameter each. */
#define COLUMN(name, value, text, column) " " column ","
#define PARAM(name, value, text, column) " ?,"

struct tail_second {
    uint64_t sec, count, retries, bytes, lost, cascaded;
    uint64_t outcomes[PB_OUTCOME_COUNT];
    pb_hist *hist;
};

static int fail(sqlite3 *db, const char *path, pb_err *err, const char *what)
{
    return pb_err_set(err, PB_EDB, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

/* The view reads the stored rollup and the tail alike. */
static int ensure_view(sqlite3 *db, const char *path, pb_err *err)
{
    static const char sql[] =
        "CREATE TEMP TABLE IF NOT EXISTS seconds_tail AS SELECT * FROM main.seconds WHERE 0;"
        "CREATE TEMP VIEW IF NOT EXISTS seconds AS SELECT * FROM main.seconds"
        " UNION ALL SELECT * FROM temp.seconds_tail;";
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, path, err, "preparing the report of an unfinished run");
    return 0;
}

static int64_t last_stored_second(sqlite3 *db, int64_t run_id)
{
    sqlite3_stmt *st;
    int64_t last = -1;
    if (sqlite3_prepare_v2(db, "SELECT MAX(sec) FROM main.seconds WHERE run_id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return -2;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        last = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_ROW)
        last = -2;
    sqlite3_finalize(st);
    return last;
}

/* Whether the file's rollup has version 3's lost and cascaded (into *out). */
static int has_lost_column(sqlite3 *db, bool *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT COUNT(*) FROM pragma_table_info('seconds', 'main') WHERE name = "
                           "'lost'",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    *out = rc == 0 && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    return rc;
}

/* The tail second `sec` among secs[0, *n) into *out, added when it is not
 * there yet; PB_ERANGE past MAX_TAIL_SECONDS, PB_ENOMEM. */
static int tail_second_at(struct tail_second *secs, size_t *n, uint64_t sec, const char *path,
                          int64_t run_id, struct tail_second **out, pb_err *err)
{
    size_t i = 0;
    while (i < *n && secs[i].sec != sec)
        i++;
    if (i == *n) {
        if (*n == MAX_TAIL_SECONDS)
            return pb_err_set(err, PB_ERANGE,
                              "%s: run %" PRId64 " has request rows or events more than %d "
                              "seconds past its rollup; it cannot be reported",
                              path, run_id, MAX_TAIL_SECONDS);
        if (pb_hist_create_latency(&secs[i].hist) != 0)
            return pb_err_set(err, PB_ENOMEM, "%s: out of memory", path);
        secs[i].sec = sec;
        (*n)++;
    }
    *out = &secs[i];
    return 0;
}

static int write_second(sqlite3_stmt *ins, int64_t run_id, const struct tail_second *s,
                        bool with_lost, uint8_t *blob, size_t cap)
{
    sqlite3_reset(ins);
    sqlite3_clear_bindings(ins);
    sqlite3_bind_int64(ins, 1, run_id);
    sqlite3_bind_int64(ins, 2, (int64_t)s->sec);
    sqlite3_bind_int64(ins, 3, (int64_t)s->count);
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        sqlite3_bind_int64(ins, 4 + o, (int64_t)s->outcomes[o]);
    int i = 4 + PB_OUTCOME_COUNT;
    sqlite3_bind_int64(ins, i, (int64_t)s->retries);
    sqlite3_bind_int64(ins, i + 1, (int64_t)s->bytes);
    if (pb_hist_count(s->hist) > 0) {
        sqlite3_bind_int64(ins, i + 2, (int64_t)pb_hist_percentile(s->hist, 50));
        sqlite3_bind_int64(ins, i + 3, (int64_t)pb_hist_percentile(s->hist, 90));
        sqlite3_bind_int64(ins, i + 4, (int64_t)pb_hist_percentile(s->hist, 99));
        sqlite3_bind_int64(ins, i + 5, (int64_t)pb_hist_max(s->hist));
    }
    size_t len = pb_hist_encode(s->hist, blob, cap);
    sqlite3_bind_blob(ins, i + 6, blob, (int)len, SQLITE_STATIC);
    if (with_lost) {
        sqlite3_bind_int64(ins, i + 7, (int64_t)s->lost);
        sqlite3_bind_int64(ins, i + 8, (int64_t)s->cascaded);
    }
    /* in_flight, lim, queue, breaker, phase come from the engine's marks,
     * which a killed run never wrote for these seconds: NULL, as the rollup
     * stores an unmarked second */
    return sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
}

int pb_rollup_tail_complete(sqlite3 *db, const char *path, int64_t run_id, uint64_t *tail_rows,
                            pb_err *err)
{
    *tail_rows = 0;
    int rc = ensure_view(db, path, err);
    if (rc != 0)
        return rc;
    int64_t last = last_stored_second(db, run_id);
    if (last == -2)
        return fail(db, path, err, "reading the seconds table");

    struct tail_second secs[MAX_TAIL_SECONDS];
    memset(secs, 0, sizeof(secs));
    size_t n_secs = 0;
    sqlite3_stmt *scan = NULL, *ins = NULL;
    uint8_t *blob = NULL;
    size_t cap = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT t_us + wait_us + total_us, total_us, code, bytes FROM requests"
                           " WHERE run_id = ?1 ORDER BY rowid DESC",
                           -1, &scan, NULL) != SQLITE_OK) {
        rc = fail(db, path, err, "reading the request rows");
        goto cleanup;
    }
    sqlite3_bind_int64(scan, 1, run_id);
    int src;
    while ((src = sqlite3_step(scan)) == SQLITE_ROW) {
        uint64_t sec = (uint64_t)sqlite3_column_int64(scan, 0) / PB_USEC_PER_SEC;
        if ((int64_t)sec + OPEN_SECONDS < last)
            break;
        if ((int64_t)sec <= last)
            continue;
        struct tail_second *s;
        if ((rc = tail_second_at(secs, &n_secs, sec, path, run_id, &s, err)) != 0)
            goto cleanup;
        int64_t code = sqlite3_column_int64(scan, 2);
        unsigned outcome = (unsigned)(code & 15);
        if (outcome >= PB_OUTCOME_COUNT)
            outcome = PB_OUTCOME_OTHER_ERROR;
        s->count++;
        s->outcomes[outcome]++;
        if ((code >> 16) > 0)
            s->retries++;
        s->bytes += (uint64_t)sqlite3_column_int64(scan, 3);
        if (outcome != PB_OUTCOME_REJECTED_BY_BREAKER &&
            outcome != PB_OUTCOME_DROPPED_BY_BACKPRESSURE)
            pb_hist_record(s->hist, (uint64_t)sqlite3_column_int64(scan, 1));
        (*tail_rows)++;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        rc = fail(db, path, err, "reading the request rows");
        goto cleanup;
    }
    /* the results a propagating gather never handed over in those seconds:
     * the `lost` events after the stored rollup (version 3 counts them there;
     * an older file's readers sum the events themselves) */
    bool with_lost = false;
    if (has_lost_column(db, &with_lost) != 0) {
        rc = fail(db, path, err, "reading the seconds table");
        goto cleanup;
    }
    if (with_lost) {
        sqlite3_finalize(scan);
        scan = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT t_us, to_val, value FROM events WHERE run_id = ?1 AND "
                               "kind = ?2 AND t_us >= ?3",
                               -1, &scan, NULL) != SQLITE_OK) {
            rc = fail(db, path, err, "reading the events");
            goto cleanup;
        }
        sqlite3_bind_int64(scan, 1, run_id);
        sqlite3_bind_text(scan, 2, pb_event_kind_name(PB_EVENT_LOST), -1, SQLITE_STATIC);
        sqlite3_bind_int64(scan, 3, (last + 1) * (int64_t)PB_USEC_PER_SEC);
        while ((src = sqlite3_step(scan)) == SQLITE_ROW) {
            uint64_t sec = (uint64_t)sqlite3_column_int64(scan, 0) / PB_USEC_PER_SEC;
            struct tail_second *s;
            if ((rc = tail_second_at(secs, &n_secs, sec, path, run_id, &s, err)) != 0)
                goto cleanup;
            int64_t lost = sqlite3_column_int64(scan, 1);
            double cascaded = sqlite3_column_double(scan, 2);
            s->lost += lost > 0 ? (uint64_t)lost : 0;
            s->cascaded += cascaded > 0 ? (uint64_t)(cascaded + 0.5) : 0;
        }
        if (src != SQLITE_DONE) {
            rc = fail(db, path, err, "reading the events");
            goto cleanup;
        }
    }
    if (n_secs == 0)
        goto cleanup;
    if (sqlite3_prepare_v2(
            db,
            with_lost ? "INSERT INTO temp.seconds_tail(run_id, sec, count," PB_OUTCOME_ROLLUP_MAP(
                            COLUMN) " retries, bytes, p50_us, p90_us, p99_us, max_us, hist, lost,"
                                    " cascaded) VALUES (?, ?, ?," PB_OUTCOME_ROLLUP_MAP(
                                        PARAM) " ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      : "INSERT INTO temp.seconds_tail(run_id, sec, count," PB_OUTCOME_ROLLUP_MAP(
                            COLUMN) " retries, bytes, p50_us, p90_us, p99_us, max_us, hist)"
                                    " VALUES (?, ?, ?," PB_OUTCOME_ROLLUP_MAP(
                                        PARAM) " ?, ?, ?, ?, ?, ?, ?)",
            -1, &ins, NULL) != SQLITE_OK) {
        rc = fail(db, path, err, "preparing the report of an unfinished run");
        goto cleanup;
    }
    for (size_t i = 0; i < n_secs; i++) {
        size_t need = pb_hist_encode(secs[i].hist, NULL, 0);
        if (need > cap) {
            uint8_t *nb = realloc(blob, need);
            if (nb == NULL) {
                rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory", path);
                goto cleanup;
            }
            blob = nb;
            cap = need;
        }
        if (write_second(ins, run_id, &secs[i], with_lost, blob, cap) != 0) {
            rc = fail(db, path, err, "preparing the report of an unfinished run");
            goto cleanup;
        }
    }
cleanup:
    sqlite3_finalize(scan);
    sqlite3_finalize(ins);
    free(blob);
    for (size_t i = 0; i < n_secs; i++)
        pb_hist_destroy(secs[i].hist);
    return rc;
}
