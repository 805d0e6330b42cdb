#include "reader.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "histogram.h"
#include "monotime.h"
#include "request_code.h"
#include "rollup.h"
#include "schema.h"

/* Tail seconds counted at most; a run killed later than this past its last
 * stored second is not a case the store produces (it writes a second every
 * second). */
#define MAX_TAIL_SECONDS 64

/* One counted second of a run's tail, with its own histogram. */
struct tail_second {
    pb_second_row row;
    pb_hist *hist;
    uint8_t *blob;
};

/* The tail of one run (pb_reader_complete_tail). */
struct tail {
    int64_t run_id;
    size_t n;
    struct tail_second secs[MAX_TAIL_SECONDS];
};

struct pb_reader {
    sqlite3 *db;
    char *path;
    int version;
    char seconds_sql[4096]; /* the run's seconds, in this file's version */
    bool run_bounds;        /* runs has first_request and last_request */
    struct tail **tails;
    size_t n_tails;
    pb_err *err; /* where the tail's rollup callback reports */
};

static int db_error(pb_reader *rd, pb_err *err, const char *what)
{
    char why[160];
    return pb_err_set(err, PB_EDB, "%s: %s: %s", rd->path, what,
                      pb_schema_reason(rd->db, rd->path, sqlite3_extended_errcode(rd->db), why,
                                       sizeof(why)));
}

static int prepare(pb_reader *rd, const char *sql, sqlite3_stmt **st, pb_err *err)
{
    if (sqlite3_prepare_v2(rd->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return db_error(rd, err, "cannot read the database (is it a patternbench database?)");
    }
    return 0;
}

/* The file's version and tables: one this build reads, or a clear refusal. */
static int check_schema(pb_reader *rd, pb_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare(rd, "PRAGMA user_version", &st, err);
    if (rc != 0)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = db_error(rd, err, "reading the schema version");
        sqlite3_finalize(st);
        return rc;
    }
    rd->version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rd->version > pb_schema_version())
        return pb_err_set(err, PB_ENOTSUP,
                          "%s: schema version %d is newer than this patternbench reads (%d); "
                          "use a newer patternbench",
                          rd->path, rd->version, pb_schema_version());
    rc = prepare(rd,
                 "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name IN "
                 "('runs', 'compares', 'seconds', 'events')",
                 &st, err);
    if (rc != 0)
        return rc;
    int tables = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (tables < 0)
        return db_error(rd, err, "reading the schema");
    if (rd->version < 1 || tables != 4)
        return pb_err_set(err, PB_EPARSE,
                          "%s: not a patternbench database (expected the tables runs, compares, "
                          "seconds and events, schema version %d)",
                          rd->path, pb_schema_version());
    /* a hand-made or early file may lack the runs' rowid bounds: without
     * them a run's request rows are found by a scan of its id */
    rc = prepare(rd,
                 "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name IN ('first_request',"
                 " 'last_request')",
                 &st, err);
    if (rc != 0)
        return rc;
    rd->run_bounds = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 2;
    sqlite3_finalize(st);
    char cols[3500];
    if (pb_schema_seconds_select(rd->version, "events", cols, sizeof(cols)) != 0)
        return pb_err_set(err, PB_ERANGE, "%s: the seconds table's columns do not fit", rd->path);
    snprintf(rd->seconds_sql, sizeof(rd->seconds_sql),
             "SELECT %s FROM seconds AS s WHERE s.run_id = ?1 ORDER BY s.sec", cols);
    return 0;
}

int pb_reader_open(const char *path, pb_reader **out, pb_err *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return pb_err_set(err, PB_ENOENT, "%s: %s (expected a patternbench database)", path,
                          strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return pb_err_set(err, PB_EINVAL,
                          "%s: not a regular file (expected a patternbench database)", path);
    pb_reader *rd = calloc(1, sizeof(*rd));
    if (rd == NULL || (rd->path = strdup(path)) == NULL) {
        free(rd);
        return pb_err_set(err, PB_ENOMEM, "%s: out of memory", path);
    }
    int rc = 0;
    if (sqlite3_open_v2(path, &rd->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = pb_err_set(err, PB_EDB, "%s: cannot open: %s", path,
                        rd->db != NULL ? sqlite3_errmsg(rd->db) : "out of memory");
        goto fail;
    }
    /* a writer's checkpoint can hold the lock briefly */
    sqlite3_busy_timeout(rd->db, 5000);
    /* reports scan the rollup and export the request rows from end to end:
     * map the file rather than copy its pages through read(); a failure only
     * costs speed */
    (void)sqlite3_exec(rd->db, "PRAGMA mmap_size = 1073741824", NULL, NULL, NULL);
    /* one read transaction: every query sees the file as of its first read */
    if (sqlite3_exec(rd->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(rd, err, "cannot start a read transaction");
        goto fail;
    }
    if ((rc = check_schema(rd, err)) != 0)
        goto fail;
    *out = rd;
    return 0;
fail:
    pb_reader_close(rd);
    return rc;
}

static void free_tail(struct tail *t)
{
    for (size_t i = 0; t != NULL && i < t->n; i++) {
        pb_hist_destroy(t->secs[i].hist);
        free(t->secs[i].blob);
    }
    free(t);
}

void pb_reader_close(pb_reader *rd)
{
    if (rd == NULL)
        return;
    if (rd->db != NULL) {
        (void)sqlite3_exec(rd->db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(rd->db);
    }
    for (size_t i = 0; i < rd->n_tails; i++)
        free_tail(rd->tails[i]);
    free(rd->tails);
    free(rd->path);
    free(rd);
}

int pb_reader_version(const pb_reader *rd)
{
    return rd->version;
}

/* A copy of a text column: "" for NULL, or NULL when keep_null; *oom on failure. */
static char *column_text(sqlite3_stmt *st, int col, bool keep_null, bool *oom)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    char *copy = t != NULL ? strdup((const char *)t) : keep_null ? NULL : strdup("");
    if (copy == NULL && (t != NULL || !keep_null))
        *oom = true;
    return copy;
}

static int64_t column_i64(sqlite3_stmt *st, int col, int64_t if_null)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? if_null : sqlite3_column_int64(st, col);
}

void pb_store_run_cleanup(pb_store_run *r)
{
    if (r == NULL)
        return;
    free(r->label);
    free(r->pattern);
    free(r->target);
    free(r->status);
    free(r->host);
    free(r->params_json);
    free(r->config_json);
    free(r->versions_json);
    free(r->summary_json);
    memset(r, 0, sizeof(*r));
}

int pb_reader_last(pb_reader *rd, int64_t *run_id, int64_t *compare_id, pb_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare(rd, "SELECT id, compare_id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1",
                     &st, err);
    if (rc != 0)
        return rc;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
        *compare_id = column_i64(st, 1, 0);
    } else if (s == SQLITE_DONE) {
        rc = pb_err_set(err, PB_ENOENT, "%s: the database holds no runs yet", rd->path);
    } else {
        rc = db_error(rd, err, "reading runs");
    }
    sqlite3_finalize(st);
    return rc;
}

#define RUN_COLUMNS(bounds)                                                                        \
    "SELECT id, compare_id, label, pattern, target, status, host, params_json, config_json,"      \
    " versions_json, summary_json, seed, started_at, ended_at, duration_us, " bounds " FROM runs"

static bool read_run(sqlite3_stmt *st, pb_store_run *r)
{
    bool oom = false;
    r->id = sqlite3_column_int64(st, 0);
    r->compare_id = column_i64(st, 1, 0);
    r->label = column_text(st, 2, false, &oom);
    r->pattern = column_text(st, 3, false, &oom);
    r->target = column_text(st, 4, false, &oom);
    r->status = column_text(st, 5, false, &oom);
    r->host = column_text(st, 6, false, &oom);
    r->params_json = column_text(st, 7, true, &oom);
    r->config_json = column_text(st, 8, true, &oom);
    r->versions_json = column_text(st, 9, true, &oom);
    r->summary_json = column_text(st, 10, true, &oom);
    r->seed = (uint64_t)sqlite3_column_int64(st, 11);
    r->started_at = column_i64(st, 12, 0);
    r->ended_at = column_i64(st, 13, 0);
    r->duration_us = column_i64(st, 14, -1);
    r->has_bounds =
        sqlite3_column_type(st, 15) != SQLITE_NULL && sqlite3_column_type(st, 16) != SQLITE_NULL;
    r->first_request = column_i64(st, 15, 0);
    r->last_request = column_i64(st, 16, 0);
    return !oom;
}

int pb_reader_runs(pb_reader *rd, bool by_compare, int64_t id, pb_store_run **runs, size_t *n,
                   pb_err *err)
{
    sqlite3_stmt *st;
    static const char *const sql[2][2] = {
        {RUN_COLUMNS("NULL, NULL") " WHERE id = ?1",
         RUN_COLUMNS("NULL, NULL") " WHERE compare_id = ?1 ORDER BY id"},
        {RUN_COLUMNS("first_request, last_request") " WHERE id = ?1",
         RUN_COLUMNS("first_request, last_request") " WHERE compare_id = ?1 ORDER BY id"},
    };
    int rc = prepare(rd, sql[rd->run_bounds][by_compare], &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        pb_store_run *more = realloc(*runs, (*n + 1) * sizeof(*more));
        if (more == NULL) {
            rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory reading runs", rd->path);
            break;
        }
        *runs = more;
        pb_store_run *r = &more[(*n)++];
        memset(r, 0, sizeof(*r));
        if (!read_run(st, r)) {
            rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory reading runs", rd->path);
            break;
        }
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = db_error(rd, err, "reading runs");
    sqlite3_finalize(st);
    return rc;
}

void pb_store_compare_cleanup(pb_store_compare *c)
{
    if (c == NULL)
        return;
    free(c->title);
    free(c->scenario_path);
    free(c->status);
    free(c->scenario_json);
    free(c->thresholds_json);
    memset(c, 0, sizeof(*c));
}

int pb_reader_compare(pb_reader *rd, int64_t id, pb_store_compare *out, pb_err *err)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st;
    int rc = prepare(rd,
                     "SELECT title, scenario_path, scenario_json, seed, started_at, ended_at, "
                     "status, thresholds_json FROM compares WHERE id = ?1",
                     &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        bool oom = false;
        out->id = id;
        out->title = column_text(st, 0, false, &oom);
        out->scenario_path = column_text(st, 1, false, &oom);
        out->scenario_json = column_text(st, 2, true, &oom);
        out->seed = (uint64_t)sqlite3_column_int64(st, 3);
        out->started_at = column_i64(st, 4, 0);
        out->ended_at = column_i64(st, 5, 0);
        out->status = column_text(st, 6, false, &oom);
        out->thresholds_json = column_text(st, 7, true, &oom);
        if (oom)
            rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory", rd->path);
    } else if (s == SQLITE_DONE) {
        rc = pb_err_set(err, PB_ENOENT, "%s: no compare with id %" PRId64, rd->path, id);
    } else {
        rc = db_error(rd, err, "reading compares");
    }
    sqlite3_finalize(st);
    if (rc != 0)
        pb_store_compare_cleanup(out);
    return rc;
}

static struct tail *find_tail(const pb_reader *rd, int64_t run_id)
{
    for (size_t i = 0; i < rd->n_tails; i++)
        if (rd->tails[i]->run_id == run_id)
            return rd->tails[i];
    return NULL;
}

/* The tail's rollup callback: a finished second, or a late delta of one
 * already counted, added into the tail's own second. */
struct tail_build {
    pb_reader *rd;
    struct tail *t;
    pb_err *err;
};

static int tail_emit(void *data, int64_t run_id, const pb_rollup_second *s, bool late)
{
    struct tail_build *b = data;
    struct tail *t = b->t;
    size_t i = 0;
    while (i < t->n && t->secs[i].row.sec != s->row.sec)
        i++;
    if (i == t->n) {
        if (t->n == MAX_TAIL_SECONDS)
            return pb_err_set(b->err, PB_ERANGE,
                              "%s: run %" PRId64 " has request rows or events more than %d "
                              "seconds past its rollup; it cannot be reported",
                              b->rd->path, run_id, MAX_TAIL_SECONDS);
        if (pb_hist_create_latency(&t->secs[i].hist) != 0)
            return pb_err_set(b->err, PB_ENOMEM, "%s: out of memory", b->rd->path);
        t->secs[i].row = (pb_second_row){.run_id = run_id, .sec = s->row.sec};
        t->n++;
    }
    /* the rollup's seconds hold no marks here: only counts add up */
    pb_second_merge(&t->secs[i].row, &s->row);
    if (pb_hist_add(t->secs[i].hist, s->hist) != 0)
        return pb_err_set(b->err, PB_EINVAL, "%s: mismatched histograms", b->rd->path);
    (void)late;
    return 0;
}

static int cmp_tail_second(const void *a, const void *b)
{
    const struct tail_second *x = a, *y = b;
    return x->row.sec < y->row.sec ? -1 : x->row.sec > y->row.sec;
}

/* The last stored second of run_id into *last (-1 without rows). */
static int last_stored_second(pb_reader *rd, int64_t run_id, int64_t *last, pb_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare(rd, "SELECT MAX(sec) FROM seconds WHERE run_id = ?1", &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        *last = column_i64(st, 0, -1);
    else
        rc = db_error(rd, err, "reading the seconds table");
    sqlite3_finalize(st);
    return rc;
}

int pb_reader_complete_tail(pb_reader *rd, int64_t run_id, uint64_t *tail_rows, pb_err *err)
{
    *tail_rows = 0;
    if (find_tail(rd, run_id) != NULL)
        return 0;
    int64_t last = -1;
    int rc = last_stored_second(rd, run_id, &last, err);
    if (rc != 0)
        return rc;
    struct tail *t = calloc(1, sizeof(*t));
    struct tail **more = realloc(rd->tails, (rd->n_tails + 1) * sizeof(*more));
    if (more != NULL)
        rd->tails = more;
    if (t == NULL || more == NULL) {
        free(t);
        return pb_err_set(err, PB_ENOMEM, "%s: out of memory", rd->path);
    }
    t->run_id = run_id;
    rd->tails[rd->n_tails++] = t;
    struct tail_build build = {.rd = rd, .t = t, .err = err};
    pb_rollup *ru = NULL;
    if (pb_rollup_create(run_id, tail_emit, &build, &ru) != 0)
        return pb_err_set(err, PB_ENOMEM, "%s: out of memory", rd->path);
    rc = pb_schema_count_tail(rd->db, rd->path, ru, run_id, last, tail_rows, err);
    if (rc == 0)
        rc = pb_rollup_flush(ru);
    pb_rollup_destroy(ru);
    if (rc != 0)
        return rc; /* the rollup fails only through tail_emit, which said why */
    qsort(t->secs, t->n, sizeof(t->secs[0]), cmp_tail_second);
    for (size_t i = 0; i < t->n; i++) {
        struct tail_second *s = &t->secs[i];
        size_t len = pb_hist_encode(s->hist, NULL, 0);
        if ((s->blob = malloc(len)) == NULL)
            return pb_err_set(err, PB_ENOMEM, "%s: out of memory", rd->path);
        len = pb_hist_encode(s->hist, s->blob, len);
        pb_second_set_latency(&s->row, s->hist, s->blob, len);
    }
    return 0;
}

int pb_reader_span(pb_reader *rd, int64_t run_id, uint64_t *rows, uint64_t *span_s, pb_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare(rd, "SELECT COUNT(*), MAX(sec) FROM seconds WHERE run_id = ?1", &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *rows = (uint64_t)sqlite3_column_int64(st, 0);
        *span_s = sqlite3_column_type(st, 1) == SQLITE_NULL
                      ? 0
                      : (uint64_t)sqlite3_column_int64(st, 1) + 1;
    } else {
        rc = db_error(rd, err, "reading the seconds table");
    }
    sqlite3_finalize(st);
    const struct tail *t = find_tail(rd, run_id);
    if (rc == 0 && t != NULL && t->n > 0) {
        *rows += t->n;
        *span_s = t->secs[t->n - 1].row.sec + 1;
    }
    return rc;
}

int pb_reader_seconds(pb_reader *rd, int64_t run_id, pb_reader_second_fn fn, void *data,
                      pb_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare(rd, rd->seconds_sql, &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    int s;
    pb_second_row row;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        pb_schema_read_second(st, &row);
        row.run_id = run_id;
        if ((rc = fn(data, &row)) != 0)
            break;
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = db_error(rd, err, "reading the seconds table");
    sqlite3_finalize(st);
    const struct tail *t = find_tail(rd, run_id);
    for (size_t i = 0; rc == 0 && t != NULL && i < t->n; i++)
        rc = fn(data, &t->secs[i].row);
    return rc;
}

int pb_reader_events(pb_reader *rd, int64_t run_id, pb_event_kind kind, size_t limit,
                     pb_reader_event_fn fn, void *data, pb_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare(rd,
                     "SELECT t_us, from_val, to_val, value, detail FROM events WHERE run_id = ?1"
                     " AND kind = ?2 ORDER BY t_us LIMIT ?3",
                     &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, pb_event_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, limit == 0 ? -1 : (int64_t)limit);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        pb_store_event ev = {
            .t_us = (uint64_t)sqlite3_column_int64(st, 0),
            .has_from = sqlite3_column_type(st, 1) != SQLITE_NULL,
            .has_to = sqlite3_column_type(st, 2) != SQLITE_NULL,
            .has_value = sqlite3_column_type(st, 3) != SQLITE_NULL,
            .from = sqlite3_column_int64(st, 1),
            .to = sqlite3_column_int64(st, 2),
            .value = sqlite3_column_double(st, 3),
            .detail = (const char *)sqlite3_column_text(st, 4),
        };
        if ((rc = fn(data, &ev)) != 0)
            break;
    }
    if (rc == 0 && s != SQLITE_ROW && s != SQLITE_DONE)
        rc = db_error(rd, err, "reading events");
    sqlite3_finalize(st);
    return rc;
}

int pb_reader_requests(pb_reader *rd, const pb_store_run *run, pb_reader_request_fn fn,
                       void *data, pb_err *err)
{
    /* first_request/last_request bound a run's rows (set when it ends), so
     * the scan keeps to them; without them the table is scanned for the id.
     * requests.seq is version 3's. */
#define REQUEST_COLUMNS(added)                                                                     \
    "SELECT t_us, wait_us, connect_us, ttfb_us, total_us, code, bytes, slot, lim, queue, " added   \
    " FROM requests WHERE "
#define REQUEST_BOUNDS(added)                                                                      \
    {                                                                                              \
        REQUEST_COLUMNS(added)                                                                     \
        "run_id = ?1 ORDER BY rowid",                                                              \
            REQUEST_COLUMNS(added) "rowid BETWEEN ?2 AND ?3 AND run_id = ?1 ORDER BY rowid"        \
    }
    /* requests.target and bytes_in are version 4's */
    static const char *const sql[3][2] = {
        REQUEST_BOUNDS("NULL, NULL, NULL"),
        REQUEST_BOUNDS("seq, NULL, NULL"),
        REQUEST_BOUNDS("seq, target, bytes_in"),
    };
    sqlite3_stmt *st;
    int rc = prepare(rd, sql[rd->version >= 4 ? 2 : rd->version >= 3][run->has_bounds], &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, run->id);
    if (run->has_bounds) {
        sqlite3_bind_int64(st, 2, run->first_request);
        sqlite3_bind_int64(st, 3, run->last_request);
    }
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        pb_request_row row = {
            .run_id = run->id,
            .t_us = (uint64_t)sqlite3_column_int64(st, 0),
            .wait_us = (uint64_t)sqlite3_column_int64(st, 1),
            .connect_us = (uint64_t)sqlite3_column_int64(st, 2),
            .ttfb_us = (uint64_t)sqlite3_column_int64(st, 3),
            .total_us = (uint64_t)sqlite3_column_int64(st, 4),
            .bytes = (uint32_t)sqlite3_column_int64(st, 6),
            .slot = (uint32_t)sqlite3_column_int64(st, 7),
            .lim = (uint32_t)sqlite3_column_int64(st, 8),
            .queue = (uint32_t)sqlite3_column_int64(st, 9),
            .has_seq = sqlite3_column_type(st, 10) != SQLITE_NULL,
            .seq = (uint64_t)sqlite3_column_int64(st, 10),
            .has_target = sqlite3_column_type(st, 11) != SQLITE_NULL,
            .target = (uint32_t)sqlite3_column_int64(st, 11),
            .has_bytes_in = sqlite3_column_type(st, 12) != SQLITE_NULL,
            .bytes_in = (uint64_t)sqlite3_column_int64(st, 12),
        };
        pb_request_code_unpack(sqlite3_column_int64(st, 5), &row);
        if ((rc = fn(data, &row)) != 0)
            break;
    }
    if (rc == 0 && s != SQLITE_ROW && s != SQLITE_DONE)
        rc = db_error(rd, err, "reading the requests table");
    sqlite3_finalize(st);
    return rc;
}

int pb_reader_table_bytes(pb_reader *rd, const char *table, uint64_t *bytes, pb_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rd->db, "SELECT sum(pgsize) FROM dbstat WHERE name = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return pb_err_set(err, PB_ENOTSUP, "%s: this SQLite cannot measure tables (no dbstat)",
                          rd->path);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        *bytes = (uint64_t)sqlite3_column_int64(st, 0);
    else
        rc = db_error(rd, err, "measuring a table");
    sqlite3_finalize(st);
    return rc;
}

/* One integer of a query about run_id (?1) and, when not NULL, an event kind
 * (?2) into *out (if_null when NULL or no row). */
static int query_i64(pb_reader *rd, const char *sql, int64_t run_id, const char *kind,
                     int64_t if_null, int64_t *out, pb_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare(rd, sql, &st, err);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, run_id);
    if (kind != NULL)
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *out = column_i64(st, 0, if_null);
    else if (s == SQLITE_DONE)
        *out = if_null;
    else
        rc = db_error(rd, err, "reading the run's records");
    sqlite3_finalize(st);
    return rc;
}

int pb_reader_resume_point(pb_reader *rd, int64_t run_id, pb_store_resume *out, pb_err *err)
{
    *out = (pb_store_resume){0};
    uint64_t tail_rows, rows, span;
    int rc = pb_reader_complete_tail(rd, run_id, &tail_rows, err);
    if (rc == 0)
        rc = pb_reader_span(rd, run_id, &rows, &span, err);
    int64_t last_event = -1, last_task = -1, gap = 0;
    if (rc == 0)
        rc = query_i64(rd, "SELECT max(t_us) FROM events WHERE run_id = ?1", run_id, NULL, -1,
                       &last_event, err);
    if (rc == 0 && rd->version >= 3)
        rc = query_i64(rd, "SELECT max(seq) FROM requests WHERE run_id = ?1", run_id, NULL, -1,
                       &last_task, err);
    if (rc == 0)
        rc = query_i64(rd,
                       "SELECT CAST(total(value) AS INTEGER) FROM events WHERE run_id = ?1 AND"
                       " kind = ?2",
                       run_id, pb_event_kind_name(PB_EVENT_RESUME), 0, &gap, err);
    if (rc != 0)
        return rc;
    out->span_s = span;
    if (last_event >= 0 && (uint64_t)last_event / PB_USEC_PER_SEC + 1 > out->span_s)
        out->span_s = (uint64_t)last_event / PB_USEC_PER_SEC + 1;
    out->has_task = last_task >= 0;
    out->last_task = last_task >= 0 ? (uint64_t)last_task : 0;
    out->gap_s = gap > 0 ? (uint64_t)gap : 0;
    return 0;
}
