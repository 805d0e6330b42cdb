#include "recorder.h"

#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sqlite3.h>
#include <uv.h>

#include "rollup.h"

#define SCHEMA_VERSION 1
#define DEFAULT_RING_ROWS 65536u
#define MIN_RING_ROWS 64u
#define MAX_RING_ROWS (1u << 22)
#define INSERT_BATCH 64    /* rows per multi-row INSERT */
#define WRITER_NICE 5      /* the writer thread's nice value */
#define RELEASE_EVERY 256u /* slots the writer frees at a time, at most */
#define WAKE_EVERY 1024u   /* a sleeping writer is woken each time this many slots are queued */
#define DRAIN_MAX 4096u    /* slots handled between looks at the clock and commands */
#define COMMIT_INTERVAL_US (1 * PB_USEC_PER_SEC)
#define COMMIT_ROWS 65536u /* a drained ring commits once this many rows are pending */
#define IDLE_WAIT_US (100 * PB_USEC_PER_MS)
#define MAX_OPEN_RUNS 16
#define BUSY_TIMEOUT_MS 10000

_Static_assert(PB_OUTCOME_COUNT == 9, "the seconds table has one column per outcome");

/* One ring slot. An event takes a head slot and up to 4 more slots that
 * carry its detail text as raw bytes, so every record is a fixed size and
 * the ring never allocates. */
enum slot_kind { SLOT_ROW = 1, SLOT_EVENT = 2, SLOT_MARK = 3 };

struct event_head {
    int64_t run_id;
    uint64_t t_us;
    int64_t from, to;
    double value;
    char kind[PB_RECORDER_KIND_MAX + 1];
};

struct slot {
    uint8_t kind;
    uint8_t text_slots; /* SLOT_EVENT: slots of detail that follow */
    uint16_t text_len;
    union {
        pb_request_row row;
        pb_second_mark mark;
        struct event_head event;
    } u;
};

#define TEXT_PER_SLOT sizeof(struct slot)
#define MAX_RECORD_SLOTS (1 + (PB_RECORDER_DETAIL_MAX + TEXT_PER_SLOT - 1) / TEXT_PER_SLOT)
_Static_assert(MAX_RECORD_SLOTS * 4 <= MIN_RING_ROWS, "the smallest ring holds the largest record");

enum command_kind {
    CMD_BEGIN_RUN,
    CMD_END_RUN,
    CMD_BEGIN_COMPARE,
    CMD_END_COMPARE,
    CMD_FLUSH,
    CMD_STOP
};

/* A synchronous call, executed by the writer after it has drained the ring.
 * Strings belong to the caller, who waits until done. */
struct command {
    enum command_kind kind;
    const pb_run_info *info;
    int64_t id;
    const char *status, *json, *title, *scenario_path, *scenario_json;
    uint64_t duration_us, seed;
    int64_t out_id;
    int rc;
    pb_err err;
    bool done;
};

/* A run between begin_run and end_run. */
struct open_run {
    int64_t id;
    pb_rollup *rollup;
    int64_t first_rowid, last_rowid; /* 0 until a row is stored */
};

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_ROW,
    ST_ROWS,
    ST_EVENT,
    ST_SECOND,
    ST_SECOND_HIST,
    ST_RUN_BEGIN,
    ST_RUN_END,
    ST_RUN_FAILED,
    ST_COMPARE_BEGIN,
    ST_COMPARE_END,
    ST_COUNT
};

struct pb_recorder {
    char *path;
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    char *versions_json, *host;

    /* the ring: head is written by the producer, tail by the writer */
    struct slot *slots;
    uint64_t size, mask, release_every;
    _Alignas(64) _Atomic uint64_t head;
    uint64_t tail_seen; /* producer's last look at tail */
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) atomic_bool writer_idle;
    atomic_bool producer_waiting;
    atomic_bool cmd_pending;

    pthread_mutex_t mu; /* guards the sleeps, the command hand-over and last_error_msg */
    pthread_cond_t writer_cv, producer_cv, done_cv;
    pthread_mutex_t call_mu; /* one synchronous call at a time */
    struct command *cmd;
    pthread_t thread;
    bool thread_started;

    /* writer state */
    uint64_t w_tail;
    bool in_txn;
    pb_usec last_commit; /* when the previous commit started: the next is due a second later */
    uint64_t txn_rows;
    int batch_n;
    pb_request_row batch[INSERT_BATCH];
    struct open_run runs[MAX_OPEN_RUNS];
    int n_runs;
    pb_hist *scratch;
    uint8_t *blob;
    size_t blob_cap;
    int error; /* sticky: after a write error rows are counted as lost */

    _Atomic uint64_t rows_written, rows_lost, commits, stalls, stall_us;
    atomic_int last_error;
    char last_error_msg[256];
};

/* ---- schema ---------------------------------------------------------- */

#define OUTCOME_CASE(name, value, text) " WHEN " #value " THEN '" text "'"

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
    " run_id INTEGER NOT NULL, sec INTEGER NOT NULL, count INTEGER NOT NULL, ok INTEGER,"
    " http_error INTEGER, timeout INTEGER, connect_error INTEGER, reset INTEGER,"
    " protocol_error INTEGER, rejected INTEGER, dropped INTEGER, other INTEGER,"
    " retries INTEGER, bytes INTEGER, p50_us INTEGER, p90_us INTEGER, p99_us INTEGER,"
    " max_us INTEGER, hist BLOB, in_flight INTEGER, lim INTEGER, queue INTEGER,"
    " breaker INTEGER, phase INTEGER, PRIMARY KEY(run_id, sec));"
    "CREATE TABLE IF NOT EXISTS events("
    " run_id INTEGER NOT NULL, t_us INTEGER NOT NULL, kind TEXT NOT NULL, from_val INTEGER,"
    " to_val INTEGER, value REAL, detail TEXT);"
    "CREATE INDEX IF NOT EXISTS events_by_run ON events(run_id, kind, t_us);"
    "CREATE VIEW IF NOT EXISTS requests_v AS SELECT rowid AS id, run_id, t_us, wait_us,"
    " connect_us, ttfb_us, total_us,"
    " CASE (code >> 6) & 1023 WHEN 0 THEN 200 WHEN 200 THEN 0 ELSE (code >> 6) & 1023 END"
    " AS status,"
    " CASE code & 15" PB_OUTCOME_MAP(
        OUTCOME_CASE) " END AS outcome,"
                      " CASE (code >> 4) & 3 WHEN 0 THEN 'none' WHEN 1 THEN 'closed' WHEN 2 THEN "
                      "'open'"
                      " WHEN 3 THEN 'half_open' END AS breaker,"
                      " code >> 16 AS attempt, bytes, slot, lim, queue, t_us + wait_us AS start_us,"
                      " t_us + wait_us + total_us AS end_us FROM requests;";

#define ROW_COLUMNS                                                                                \
    "INSERT INTO requests(run_id, t_us, wait_us, connect_us, ttfb_us, total_us, code, bytes,"      \
    " slot, lim, queue) VALUES "
#define ROW_PARAMS 11
#define ROW_VALUES "(?,?,?,?,?,?,?,?,?,?,?)"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_ROW] = ROW_COLUMNS ROW_VALUES,
    [ST_ROWS] = NULL, /* built in prepare_all */
    [ST_EVENT] = "INSERT INTO events(run_id, t_us, kind, from_val, to_val, value, detail)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* a late second arrives as a delta: counts add up, the caller has merged
     * the histogram, and the state columns change only with a mark (?25) */
    [ST_SECOND] =
        "INSERT INTO seconds(run_id, sec, count, ok, http_error, timeout, connect_error,"
        " reset, protocol_error, rejected, dropped, other, retries, bytes, p50_us, p90_us,"
        " p99_us, max_us, hist, in_flight, lim, queue, breaker, phase) VALUES (?1, ?2, ?3,"
        " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,"
        " ?22, ?23, ?24) ON CONFLICT(run_id, sec) DO UPDATE SET count = count + ?3,"
        " ok = ok + ?4, http_error = http_error + ?5, timeout = timeout + ?6,"
        " connect_error = connect_error + ?7, reset = reset + ?8,"
        " protocol_error = protocol_error + ?9, rejected = rejected + ?10,"
        " dropped = dropped + ?11, other = other + ?12, retries = retries + ?13,"
        " bytes = bytes + ?14, p50_us = ?15, p90_us = ?16, p99_us = ?17, max_us = ?18,"
        " hist = ?19, in_flight = iif(?25, ?20, in_flight), lim = iif(?25, ?21, lim),"
        " queue = iif(?25, ?22, queue), breaker = iif(?25, ?23, breaker),"
        " phase = iif(?25, ?24, phase)",
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
    [ST_COMPARE_END] = "UPDATE compares SET status = ?2, ended_at = ?3, thresholds_json = ?4"
                       " WHERE id = ?1",
};

/* ---- errors ---------------------------------------------------------- */

static int code_for_sqlite(int rc)
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

/* A database error during open or a synchronous call, naming the file. */
static int db_err(pb_recorder *r, pb_err *err, int rc, const char *what)
{
    return pb_err_set(err, code_for_sqlite(rc), "%s: %s: %s", r->path, what,
                      r->db != NULL ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
}

/* Run a statement that returns no rows, then reset it. */
static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* A write failed in the writer: remember the first failure, undo the open
 * transaction (SQLite may have done so already) and count its rows as lost.
 * From here on the writer only drains the ring. */
static int writer_fail(pb_recorder *r, int rc, const char *what)
{
    if (r->error == 0) {
        r->error = code_for_sqlite(rc);
        pthread_mutex_lock(&r->mu);
        snprintf(r->last_error_msg, sizeof(r->last_error_msg), "%s: %s: %s", r->path, what,
                 sqlite3_errmsg(r->db));
        pthread_mutex_unlock(&r->mu);
        atomic_store(&r->last_error, r->error);
    }
    /* best effort: SQLite may have rolled back already, and a failing
     * rollback leaves nothing else to try */
    if (r->in_txn && !sqlite3_get_autocommit(r->db))
        (void)step_done(r->st[ST_ROLLBACK]);
    r->in_txn = false;
    atomic_fetch_add_explicit(&r->rows_lost, r->txn_rows + (uint64_t)r->batch_n,
                              memory_order_relaxed);
    r->txn_rows = 0;
    r->batch_n = 0;
    return r->error;
}

/* Binding checks by assert: the parameter indices are fixed and values are
 * integers, or text and blobs that SQLite does not copy, so only a bug in this
 * file can make a bind fail. */
static void bind_ok(int rc)
{
    assert(rc == SQLITE_OK);
    (void)rc;
}

static void bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
    bind_ok(sqlite3_bind_int64(st, i, v));
}

static void bind_nullable(sqlite3_stmt *st, int i, bool present, int64_t v)
{
    bind_ok(present ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i));
}

/* Text that outlives the statement's next step (NULL binds NULL). */
static void bind_text(sqlite3_stmt *st, int i, const char *text, int len)
{
    bind_ok(text != NULL ? sqlite3_bind_text(st, i, text, len, SQLITE_STATIC)
                         : sqlite3_bind_null(st, i));
}

/* ---- the writer ------------------------------------------------------ */

static int ensure_txn(pb_recorder *r)
{
    if (r->error != 0)
        return r->error;
    if (r->in_txn)
        return 0;
    int rc = step_done(r->st[ST_BEGIN]);
    if (rc != SQLITE_OK)
        return writer_fail(r, rc, "starting a transaction");
    r->in_txn = true;
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

static void bind_row(sqlite3_stmt *st, int first, const pb_request_row *row)
{
    bind_i64(st, first + 1, row->run_id);
    bind_i64(st, first + 2, (sqlite3_int64)row->t_us);
    bind_i64(st, first + 3, (sqlite3_int64)row->wait_us);
    bind_i64(st, first + 4, (sqlite3_int64)row->connect_us);
    bind_i64(st, first + 5, (sqlite3_int64)row->ttfb_us);
    bind_i64(st, first + 6, (sqlite3_int64)row->total_us);
    bind_i64(st, first + 7, pack_code(row));
    bind_i64(st, first + 8, row->bytes);
    bind_i64(st, first + 9, row->slot);
    bind_i64(st, first + 10, row->lim);
    bind_i64(st, first + 11, row->queue);
}

static struct open_run *find_run(pb_recorder *r, int64_t id)
{
    for (int i = 0; i < r->n_runs; i++)
        if (r->runs[i].id == id)
            return &r->runs[i];
    return NULL;
}

/* Note that rows[0..n) of the batch got rowids last - n + 1 .. last. */
static void note_rowids(pb_recorder *r, int from, int n, int64_t last)
{
    struct open_run *run = NULL;
    for (int i = 0; i < n; i++) {
        const pb_request_row *row = &r->batch[from + i];
        if (run == NULL || run->id != row->run_id)
            run = find_run(r, row->run_id);
        if (run == NULL)
            continue;
        int64_t rowid = last - (n - 1) + i;
        if (run->first_rowid == 0)
            run->first_rowid = rowid;
        run->last_rowid = rowid;
    }
}

/* Insert the batched rows: 64 at a time with one statement, else one by one. */
static int flush_batch(pb_recorder *r)
{
    if (r->batch_n == 0)
        return r->error;
    int rc = ensure_txn(r);
    if (rc != 0)
        return rc;
    int n = r->batch_n;
    if (n == INSERT_BATCH) {
        sqlite3_stmt *st = r->st[ST_ROWS];
        for (int i = 0; i < n; i++)
            bind_row(st, i * ROW_PARAMS, &r->batch[i]);
        int src = step_done(st);
        if (src != SQLITE_OK)
            return writer_fail(r, src, "inserting requests");
        note_rowids(r, 0, n, sqlite3_last_insert_rowid(r->db));
    } else {
        sqlite3_stmt *st = r->st[ST_ROW];
        for (int i = 0; i < n; i++) {
            bind_row(st, 0, &r->batch[i]);
            int src = step_done(st);
            if (src != SQLITE_OK)
                return writer_fail(r, src, "inserting requests");
            note_rowids(r, i, 1, sqlite3_last_insert_rowid(r->db));
        }
    }
    r->txn_rows += (uint64_t)n;
    r->batch_n = 0;
    return 0;
}

static int commit(pb_recorder *r)
{
    int rc = flush_batch(r);
    if (rc != 0 || !r->in_txn)
        return rc;
    /* the deadline counts from here, so that the checkpoint SQLite runs
     * after a commit does not stretch the interval past a second */
    r->last_commit = pb_monotime_now();
    int src = step_done(r->st[ST_COMMIT]);
    if (src != SQLITE_OK)
        return writer_fail(r, src, "committing");
    r->in_txn = false;
    atomic_fetch_add_explicit(&r->rows_written, r->txn_rows, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->commits, 1, memory_order_relaxed);
    r->txn_rows = 0;
    return 0;
}

/* The rollup's callback: upsert one second. A late second is merged with the
 * stored histogram here, since SQL cannot add histograms. */
static int emit_second(void *data, int64_t run_id, const pb_rollup_second *s, bool late)
{
    pb_recorder *r = data;
    int rc = ensure_txn(r);
    if (rc != 0)
        return rc;
    const pb_hist *h = s->hist;
    if (late) {
        sqlite3_stmt *q = r->st[ST_SECOND_HIST];
        bind_i64(q, 1, run_id);
        bind_i64(q, 2, (sqlite3_int64)s->sec);
        int src = sqlite3_step(q);
        pb_hist_reset(r->scratch);
        /* a stored blob that does not decode is replaced by what we have */
        if (src == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_BLOB &&
            pb_hist_decode_add(r->scratch, sqlite3_column_blob(q, 0),
                               (size_t)sqlite3_column_bytes(q, 0)) != 0)
            pb_hist_reset(r->scratch);
        rc = pb_hist_add(r->scratch, s->hist);
        assert(rc == 0); /* both are latency histograms */
        (void)rc;
        sqlite3_reset(q);
        if (src != SQLITE_ROW && src != SQLITE_DONE)
            return writer_fail(r, src, "reading a second of the rollup");
        h = r->scratch;
    }
    size_t need = pb_hist_encode(h, NULL, 0);
    if (need > r->blob_cap) {
        uint8_t *nb = realloc(r->blob, need);
        if (nb == NULL)
            return writer_fail(r, SQLITE_NOMEM, "encoding a latency histogram");
        r->blob = nb;
        r->blob_cap = need;
    }
    size_t len = pb_hist_encode(h, r->blob, r->blob_cap);
    bool has_latency = pb_hist_count(h) > 0;

    sqlite3_stmt *st = r->st[ST_SECOND];
    bind_i64(st, 1, run_id);
    bind_i64(st, 2, (sqlite3_int64)s->sec);
    bind_i64(st, 3, (sqlite3_int64)s->count);
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        bind_i64(st, 4 + o, (sqlite3_int64)s->outcomes[o]);
    bind_i64(st, 13, (sqlite3_int64)s->retries);
    bind_i64(st, 14, (sqlite3_int64)s->bytes);
    bind_nullable(st, 15, has_latency, (int64_t)pb_hist_percentile(h, 50));
    bind_nullable(st, 16, has_latency, (int64_t)pb_hist_percentile(h, 90));
    bind_nullable(st, 17, has_latency, (int64_t)pb_hist_percentile(h, 99));
    bind_nullable(st, 18, has_latency, (int64_t)pb_hist_max(h));
    bind_ok(sqlite3_bind_blob(st, 19, r->blob, (int)len, SQLITE_STATIC));
    bind_nullable(st, 20, s->marked, s->mark.in_flight);
    bind_nullable(st, 21, s->marked, s->mark.lim);
    bind_nullable(st, 22, s->marked, s->mark.queue);
    bind_nullable(st, 23, s->marked, s->mark.breaker);
    bind_nullable(st, 24, s->marked && s->mark.phase >= 0, s->mark.phase);
    bind_i64(st, 25, s->marked);
    int src = step_done(st);
    bind_ok(sqlite3_bind_null(st, 19)); /* the blob buffer may move before the next bind */
    if (src != SQLITE_OK)
        return writer_fail(r, src, "writing a second of the rollup");
    return 0;
}

/* Rollup writes fail only through emit_second, which has recorded the error. */
static void check_rollup(pb_recorder *r, int rc)
{
    assert(rc == 0 || r->error != 0);
    (void)r;
    (void)rc;
}

static void handle_row(pb_recorder *r, const pb_request_row *row)
{
    if (r->error != 0) {
        atomic_fetch_add_explicit(&r->rows_lost, 1, memory_order_relaxed);
        return;
    }
    struct open_run *run = find_run(r, row->run_id);
    /* the rollup may write seconds, so rows go into the batch afterwards, and
     * a failed write there counts this row as lost too */
    if (run != NULL && pb_rollup_add(run->rollup, row) != 0) {
        atomic_fetch_add_explicit(&r->rows_lost, 1, memory_order_relaxed);
        return;
    }
    r->batch[r->batch_n++] = *row;
    if (r->batch_n == INSERT_BATCH)
        (void)flush_batch(r); /* a failure is recorded in r->error */
}

static void handle_mark(pb_recorder *r, const pb_second_mark *mark)
{
    struct open_run *run = find_run(r, mark->run_id);
    if (r->error == 0 && run != NULL)
        check_rollup(r, pb_rollup_mark(run->rollup, mark));
}

static void handle_event(pb_recorder *r, uint64_t seq)
{
    const struct slot *head = &r->slots[seq & r->mask];
    if (r->error != 0 || ensure_txn(r) != 0)
        return;
    char detail[PB_RECORDER_DETAIL_MAX + 1];
    size_t len = head->text_len;
    for (size_t off = 0; off < len; off += TEXT_PER_SLOT) {
        size_t n = len - off < TEXT_PER_SLOT ? len - off : TEXT_PER_SLOT;
        seq++;
        memcpy(detail + off, &r->slots[seq & r->mask], n);
    }
    detail[len] = '\0';
    const struct event_head *ev = &head->u.event;
    sqlite3_stmt *st = r->st[ST_EVENT];
    bind_i64(st, 1, ev->run_id);
    bind_i64(st, 2, (sqlite3_int64)ev->t_us);
    bind_text(st, 3, ev->kind, -1);
    bind_i64(st, 4, ev->from);
    bind_i64(st, 5, ev->to);
    bind_ok(sqlite3_bind_double(st, 6, ev->value));
    bind_text(st, 7, len > 0 ? detail : NULL, (int)len);
    int src = step_done(st);
    if (src != SQLITE_OK)
        (void)writer_fail(r, src, "inserting an event");
}

/* Free ring space up to tail; wake the producer if it waits for room. */
static void writer_release(pb_recorder *r, uint64_t tail)
{
    atomic_store_explicit(&r->tail, tail, memory_order_release);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&r->producer_waiting, memory_order_relaxed)) {
        pthread_mutex_lock(&r->mu);
        pthread_cond_signal(&r->producer_cv);
        pthread_mutex_unlock(&r->mu);
    }
}

/* Handle whole records from w_tail towards head, at least `max` slots'
 * worth unless head comes first. Returns the slots handled. */
static uint64_t drain(pb_recorder *r, uint64_t head, uint64_t max)
{
    uint64_t start = r->w_tail, tail = start, released = start;
    while (tail != head && tail - start < max) {
        const struct slot *s = &r->slots[tail & r->mask];
        uint64_t n = 1;
        switch (s->kind) {
        case SLOT_ROW:
            handle_row(r, &s->u.row);
            break;
        case SLOT_MARK:
            handle_mark(r, &s->u.mark);
            break;
        case SLOT_EVENT:
            n += s->text_slots;
            handle_event(r, tail);
            break;
        default:
            assert(!"corrupt ring slot");
        }
        tail += n;
        if (tail - released >= r->release_every) {
            writer_release(r, tail);
            released = tail;
        }
    }
    if (tail != released)
        writer_release(r, tail);
    r->w_tail = tail;
    return tail - start;
}

/* Sleep until woken, the commit deadline or IDLE_WAIT_US, unless work came in. */
static void writer_sleep(pb_recorder *r, pb_usec now)
{
    bool pending = r->in_txn || r->batch_n > 0;
    pb_usec deadline = pending ? r->last_commit + COMMIT_INTERVAL_US : now + IDLE_WAIT_US;
    struct timespec ts = {.tv_sec = (time_t)(deadline / PB_USEC_PER_SEC),
                          .tv_nsec = (long)(deadline % PB_USEC_PER_SEC) * 1000};
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->writer_idle, true);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&r->head) == r->w_tail && !atomic_load(&r->cmd_pending))
        pthread_cond_timedwait(&r->writer_cv, &r->mu, &ts);
    atomic_store(&r->writer_idle, false);
    pthread_mutex_unlock(&r->mu);
}

static void remove_run(pb_recorder *r, struct open_run *run)
{
    pb_rollup_destroy(run->rollup);
    *run = r->runs[--r->n_runs];
}

static int cmd_begin_run(pb_recorder *r, struct command *c)
{
    const pb_run_info *info = c->info;
    if (r->n_runs == MAX_OPEN_RUNS)
        return pb_err_set(&c->err, PB_ESTATE, "%s: %d runs are already open in this recorder",
                          r->path, MAX_OPEN_RUNS);
    int rc = commit(r);
    if (rc != 0)
        return pb_err_set(&c->err, rc, "%s", r->last_error_msg);
    pb_rollup *rollup = NULL;
    sqlite3_stmt *st = r->st[ST_RUN_BEGIN];
    bind_nullable(st, 1, info->compare_id != 0, info->compare_id);
    bind_text(st, 2, info->label != NULL && info->label[0] ? info->label : info->pattern, -1);
    bind_text(st, 3, info->pattern, -1);
    bind_text(st, 4, info->params_json, -1);
    bind_text(st, 5, info->config_json, -1);
    bind_i64(st, 6, (sqlite3_int64)info->seed);
    bind_text(st, 7, info->target, -1);
    bind_i64(st, 8, pb_walltime_now());
    bind_text(st, 9, r->versions_json, -1);
    bind_text(st, 10, r->host, -1);
    int src = step_done(st);
    if (src != SQLITE_OK)
        return db_err(r, &c->err, src, "adding a run");
    c->out_id = sqlite3_last_insert_rowid(r->db);
    rc = pb_rollup_create(c->out_id, emit_second, r, &rollup);
    if (rc != 0)
        return pb_err_set(&c->err, rc, "%s: out of memory for the rollup of run %" PRId64, r->path,
                          c->out_id);
    r->runs[r->n_runs++] = (struct open_run){.id = c->out_id, .rollup = rollup};
    return 0;
}

static int cmd_end_run(pb_recorder *r, struct command *c)
{
    struct open_run *run = find_run(r, c->id);
    if (run == NULL)
        return pb_err_set(&c->err, PB_ENOENT, "%s: run %" PRId64 " is not open in this recorder",
                          r->path, c->id);
    if (r->error == 0)
        check_rollup(r, pb_rollup_flush(run->rollup));
    (void)flush_batch(r); /* while the run is open, so that its last rowids count */
    int64_t first = run->first_rowid, last = run->last_rowid;
    remove_run(r, run);
    (void)commit(r);
    int64_t ended = pb_walltime_now();
    if (r->error != 0) {
        /* the file may still take a small update: say the run failed */
        sqlite3_stmt *st = r->st[ST_RUN_FAILED];
        bind_i64(st, 1, c->id);
        bind_i64(st, 2, ended);
        bind_i64(st, 3, (sqlite3_int64)c->duration_us);
        bind_text(st, 4, c->json, -1);
        int src = step_done(st);
        return pb_err_set(&c->err, r->error,
                          "%s; %" PRIu64 " request rows could not be stored, rows committed "
                          "before the error are kept and run %" PRId64 " %s",
                          r->last_error_msg, atomic_load(&r->rows_lost), c->id,
                          src == SQLITE_OK ? "is marked failed" : "stays marked running");
    }
    sqlite3_stmt *st = r->st[ST_RUN_END];
    bind_i64(st, 1, c->id);
    bind_text(st, 2, c->status, -1);
    bind_i64(st, 3, ended);
    bind_i64(st, 4, (sqlite3_int64)c->duration_us);
    bind_text(st, 5, c->json, -1);
    bind_nullable(st, 6, first != 0, first);
    bind_nullable(st, 7, last != 0, last);
    int src = step_done(st);
    if (src != SQLITE_OK)
        return db_err(r, &c->err, src, "closing a run");
    return 0;
}

static int cmd_begin_compare(pb_recorder *r, struct command *c)
{
    int rc = commit(r);
    if (rc != 0)
        return pb_err_set(&c->err, rc, "%s", r->last_error_msg);
    sqlite3_stmt *st = r->st[ST_COMPARE_BEGIN];
    bind_text(st, 1, c->title, -1);
    bind_text(st, 2, c->scenario_path, -1);
    bind_text(st, 3, c->scenario_json, -1);
    bind_i64(st, 4, (sqlite3_int64)c->seed);
    bind_i64(st, 5, pb_walltime_now());
    int src = step_done(st);
    if (src != SQLITE_OK)
        return db_err(r, &c->err, src, "adding a compare");
    c->out_id = sqlite3_last_insert_rowid(r->db);
    return 0;
}

static int cmd_end_compare(pb_recorder *r, struct command *c)
{
    int rc = commit(r);
    if (rc != 0)
        return pb_err_set(&c->err, rc, "%s", r->last_error_msg);
    sqlite3_stmt *st = r->st[ST_COMPARE_END];
    bind_i64(st, 1, c->id);
    bind_text(st, 2, c->status, -1);
    bind_i64(st, 3, pb_walltime_now());
    bind_text(st, 4, c->json, -1);
    int src = step_done(st);
    if (src != SQLITE_OK)
        return db_err(r, &c->err, src, "closing a compare");
    if (sqlite3_changes(r->db) == 0)
        return pb_err_set(&c->err, PB_ENOENT, "%s: no compare with id %" PRId64, r->path, c->id);
    return 0;
}

/* Execute the pending call once every record queued before it is handled. */
static bool run_command(pb_recorder *r)
{
    struct command *c = r->cmd;
    bool stop = c->kind == CMD_STOP; /* c lives on the caller's stack: not ours once done */
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    while (r->w_tail != head)
        drain(r, head, UINT64_MAX);
    switch (c->kind) {
    case CMD_BEGIN_RUN:
        c->rc = cmd_begin_run(r, c);
        break;
    case CMD_END_RUN:
        c->rc = cmd_end_run(r, c);
        break;
    case CMD_BEGIN_COMPARE:
        c->rc = cmd_begin_compare(r, c);
        break;
    case CMD_END_COMPARE:
        c->rc = cmd_end_compare(r, c);
        break;
    case CMD_FLUSH:
    case CMD_STOP:
        /* at stop, runs still open keep status 'running' but get their seconds */
        for (int i = 0; c->kind == CMD_STOP && i < r->n_runs; i++)
            if (r->error == 0)
                check_rollup(r, pb_rollup_flush(r->runs[i].rollup));
        c->rc = commit(r);
        if (c->rc != 0)
            pb_err_set(&c->err, c->rc, "%s", r->last_error_msg);
        break;
    }
    pthread_mutex_lock(&r->mu);
    c->done = true;
    r->cmd = NULL;
    atomic_store(&r->cmd_pending, false);
    pthread_cond_broadcast(&r->done_cv);
    pthread_mutex_unlock(&r->mu);
    return stop;
}

static void *writer_main(void *arg)
{
    pb_recorder *r = arg;
    (void)pthread_setname_np(pthread_self(), "pb-recorder"); /* cosmetic: for top -H */
    /* the requests being measured come first: when the CPUs are busy the
     * writer yields to them and catches up in the gaps (the ring's 65,536
     * rows last more than a second at the rates one machine reaches, and a
     * ring that fills still stalls the engine, counted). Lowering one's own
     * priority needs no privilege; if it fails the writer simply competes as
     * before. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WRITER_NICE);
    for (;;) {
        if (atomic_load_explicit(&r->cmd_pending, memory_order_acquire)) {
            if (run_command(r))
                break;
            continue;
        }
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        uint64_t handled = head != r->w_tail ? drain(r, head, DRAIN_MAX) : 0;
        pb_usec now = pb_monotime_now();
        bool drained = r->w_tail == atomic_load_explicit(&r->head, memory_order_acquire);
        bool pending = r->in_txn || r->batch_n > 0;
        if (pending && (now - r->last_commit >= COMMIT_INTERVAL_US ||
                        (drained && r->txn_rows + (uint64_t)r->batch_n >= COMMIT_ROWS)))
            (void)commit(r);
        if (handled == 0)
            writer_sleep(r, now);
    }
    return NULL;
}

/* Hand a command to the writer and wait for its result. */
static int call_writer(pb_recorder *r, struct command *c, pb_err *err)
{
    pthread_mutex_lock(&r->call_mu);
    pthread_mutex_lock(&r->mu);
    r->cmd = c;
    atomic_store(&r->cmd_pending, true);
    pthread_cond_signal(&r->writer_cv);
    while (!c->done)
        pthread_cond_wait(&r->done_cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_unlock(&r->call_mu);
    if (c->rc != 0 && err != NULL)
        *err = c->err;
    return c->rc;
}

/* ---- the producer ---------------------------------------------------- */

/* Wait until n slots are free after head; returns the microseconds waited. */
static pb_usec reserve(pb_recorder *r, uint64_t head, uint64_t n)
{
    if (head + n - r->tail_seen <= r->size)
        return 0;
    r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head + n - r->tail_seen <= r->size)
        return 0;
    pb_usec start = pb_monotime_now();
    pthread_mutex_lock(&r->mu);
    atomic_store(&r->producer_waiting, true);
    for (;;) {
        atomic_thread_fence(memory_order_seq_cst);
        r->tail_seen = atomic_load(&r->tail);
        if (head + n - r->tail_seen <= r->size)
            break;
        pthread_cond_signal(&r->writer_cv); /* it may be asleep between wake-ups */
        pthread_cond_wait(&r->producer_cv, &r->mu);
    }
    atomic_store(&r->producer_waiting, false);
    pthread_mutex_unlock(&r->mu);
    pb_usec waited = pb_monotime_now() - start;
    if (waited == 0)
        waited = 1;
    atomic_fetch_add_explicit(&r->stalls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->stall_us, waited, memory_order_relaxed);
    return waited;
}

/* Make n slots from head visible to the writer, waking it when asked or when
 * the ring crosses a multiple of WAKE_EVERY. */
static void publish(pb_recorder *r, uint64_t head, uint64_t n, bool wake)
{
    atomic_store_explicit(&r->head, head + n, memory_order_release);
    if (!wake && head / WAKE_EVERY == (head + n) / WAKE_EVERY)
        return;
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&r->writer_idle, memory_order_relaxed)) {
        pthread_mutex_lock(&r->mu);
        pthread_cond_signal(&r->writer_cv);
        pthread_mutex_unlock(&r->mu);
    }
}

static void push_event(pb_recorder *r, int64_t run_id, uint64_t t_us, const char *kind,
                       int64_t from, int64_t to, double value, const char *detail)
{
    size_t len = detail != NULL ? strnlen(detail, PB_RECORDER_DETAIL_MAX) : 0;
    uint64_t text_slots = (len + TEXT_PER_SLOT - 1) / TEXT_PER_SLOT;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    (void)reserve(r, head, 1 + text_slots);
    struct slot *s = &r->slots[head & r->mask];
    s->kind = SLOT_EVENT;
    s->text_slots = (uint8_t)text_slots;
    s->text_len = (uint16_t)len;
    s->u.event =
        (struct event_head){.run_id = run_id, .t_us = t_us, .from = from, .to = to, .value = value};
    snprintf(s->u.event.kind, sizeof(s->u.event.kind), "%s", kind);
    for (uint64_t i = 0; i < text_slots; i++) {
        size_t off = (size_t)i * TEXT_PER_SLOT;
        size_t n = len - off < TEXT_PER_SLOT ? len - off : TEXT_PER_SLOT;
        memcpy(&r->slots[(head + 1 + i) & r->mask], detail + off, n);
    }
    publish(r, head, 1 + text_slots, true);
}

void pb_recorder_request(pb_recorder *r, const pb_request_row *row)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    pb_usec waited = reserve(r, head, 1);
    struct slot *s = &r->slots[head & r->mask];
    s->kind = SLOT_ROW;
    s->u.row = *row;
    publish(r, head, 1, false);
    if (waited > 0)
        push_event(r, row->run_id, row->t_us + row->wait_us + row->total_us, "stall", 0, 0,
                   (double)waited, "the recorder's ring was full");
}

void pb_recorder_event(pb_recorder *r, int64_t run_id, uint64_t t_us, const char *kind,
                       int64_t from, int64_t to, double value, const char *detail)
{
    assert(kind != NULL);
    push_event(r, run_id, t_us, kind, from, to, value, detail);
}

void pb_recorder_second(pb_recorder *r, const pb_second_mark *mark)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    (void)reserve(r, head, 1);
    struct slot *s = &r->slots[head & r->mask];
    s->kind = SLOT_MARK;
    s->u.mark = *mark;
    publish(r, head, 1, true);
}

/* ---- synchronous calls ----------------------------------------------- */

/* NULL or valid JSON; `what` names the input. */
static int check_json(const char *text, const char *what, pb_err *err)
{
    if (text == NULL)
        return 0;
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (j == NULL)
        return pb_err_set(err, PB_EINVAL, "%s is not valid JSON: %s at line %d, column %d", what,
                          je.text, je.line, je.column);
    json_decref(j);
    return 0;
}

static int check_status(const char *status, pb_err *err)
{
    static const char *const ok[] = {"completed", "interrupted", "failed"};
    for (size_t i = 0; status != NULL && i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(status, ok[i]) == 0)
            return 0;
    return pb_err_set(err, PB_EINVAL,
                      "run status \"%s\" is not one of completed, interrupted, failed",
                      status != NULL ? status : "(null)");
}

int pb_recorder_begin_run(pb_recorder *r, const pb_run_info *info, int64_t *run_id, pb_err *err)
{
    if (info == NULL || info->pattern == NULL || info->pattern[0] == '\0')
        return pb_err_set(err, PB_EINVAL, "a run needs a pattern name");
    int rc = check_json(info->params_json, "the run's params_json", err);
    if (rc == 0)
        rc = check_json(info->config_json, "the run's config_json", err);
    if (rc != 0)
        return rc;
    struct command c = {.kind = CMD_BEGIN_RUN, .info = info};
    rc = call_writer(r, &c, err);
    if (rc == 0)
        *run_id = c.out_id;
    return rc;
}

int pb_recorder_end_run(pb_recorder *r, int64_t run_id, const char *status, uint64_t duration_us,
                        const char *summary_json, pb_err *err)
{
    int rc = check_status(status, err);
    if (rc == 0)
        rc = check_json(summary_json, "the run's summary_json", err);
    if (rc != 0)
        return rc;
    struct command c = {.kind = CMD_END_RUN,
                        .id = run_id,
                        .status = status,
                        .duration_us = duration_us,
                        .json = summary_json};
    return call_writer(r, &c, err);
}

int pb_recorder_begin_compare(pb_recorder *r, const char *title, const char *scenario_path,
                              const char *scenario_json, uint64_t seed, int64_t *compare_id,
                              pb_err *err)
{
    int rc = check_json(scenario_json, "the compare's scenario_json", err);
    if (rc != 0)
        return rc;
    struct command c = {.kind = CMD_BEGIN_COMPARE,
                        .title = title,
                        .scenario_path = scenario_path,
                        .scenario_json = scenario_json,
                        .seed = seed};
    rc = call_writer(r, &c, err);
    if (rc == 0)
        *compare_id = c.out_id;
    return rc;
}

int pb_recorder_end_compare(pb_recorder *r, int64_t compare_id, const char *status,
                            const char *thresholds_json, pb_err *err)
{
    int rc = check_status(status, err);
    if (rc == 0)
        rc = check_json(thresholds_json, "the compare's thresholds_json", err);
    if (rc != 0)
        return rc;
    struct command c = {
        .kind = CMD_END_COMPARE, .id = compare_id, .status = status, .json = thresholds_json};
    return call_writer(r, &c, err);
}

int pb_recorder_flush(pb_recorder *r, pb_err *err)
{
    struct command c = {.kind = CMD_FLUSH};
    return call_writer(r, &c, err);
}

void pb_recorder_get_stats(pb_recorder *r, pb_recorder_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->rows_written = atomic_load_explicit(&r->rows_written, memory_order_relaxed);
    out->rows_lost = atomic_load_explicit(&r->rows_lost, memory_order_relaxed);
    out->commits = atomic_load_explicit(&r->commits, memory_order_relaxed);
    out->stalls = atomic_load_explicit(&r->stalls, memory_order_relaxed);
    out->stall_us = atomic_load_explicit(&r->stall_us, memory_order_relaxed);
    out->last_error = atomic_load(&r->last_error);
    if (out->last_error != 0) {
        pthread_mutex_lock(&r->mu);
        snprintf(out->last_error_msg, sizeof(out->last_error_msg), "%s", r->last_error_msg);
        pthread_mutex_unlock(&r->mu);
    }
}

/* ---- open and close -------------------------------------------------- */

static char *versions_json(void)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "patternbench", PB_VERSION, "libcurl",
                          curl_version_info(CURLVERSION_NOW)->version, "libmicrohttpd",
                          MHD_get_version(), "sqlite", sqlite3_libversion(), "libuv",
                          uv_version_string(), "jansson", jansson_version_str());
    if (j == NULL)
        return NULL;
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

static char *host_text(void)
{
    struct utsname u;
    if (uname(&u) != 0)
        return strdup("unknown");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char buf[512];
    snprintf(buf, sizeof(buf), "%s (%s %s %s, %ld CPUs)", u.nodename, u.sysname, u.release,
             u.machine, cpus);
    return strdup(buf);
}

/* Run SQL that returns at most one text or integer value into out (may be NULL). */
static int query_one(pb_recorder *r, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
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

/* Check the schema version and create what is missing, in one transaction. */
static int prepare_schema(pb_recorder *r, pb_err *err)
{
    char value[128];
    int rc = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_err(r, err, rc, "cannot lock the database");
    int result = 0;
    rc = query_one(r, "PRAGMA user_version", value, sizeof(value));
    if (rc != SQLITE_OK) {
        result = db_err(r, err, rc, "reading the schema version");
        goto cleanup;
    }
    long version = strtol(value, NULL, 10);
    if (version > SCHEMA_VERSION) {
        result = pb_err_set(err, PB_ENOTSUP,
                            "%s: database schema version %ld is newer than this patternbench "
                            "supports (%d); use a newer patternbench or another --db file",
                            r->path, version, SCHEMA_VERSION);
        goto cleanup;
    }
    if (version == 0) {
        rc = query_one(r,
                       "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name "
                       "NOT IN ('compares', 'runs', 'requests', 'seconds', 'events', "
                       "'events_by_run', 'requests_v') LIMIT 1",
                       value, sizeof(value));
        if (rc != SQLITE_OK) {
            result = db_err(r, err, rc, "reading the schema");
            goto cleanup;
        }
        if (value[0] != '\0') {
            result = pb_err_set(err, PB_EINVAL,
                                "%s: not a patternbench database (it holds \"%s\" and no schema "
                                "version); give another --db file",
                                r->path, value);
            goto cleanup;
        }
    }
    rc = sqlite3_exec(r->db, schema_sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, "PRAGMA user_version = 1", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        result = db_err(r, err, rc, "creating the schema");
cleanup:
    if (!sqlite3_get_autocommit(r->db))
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return result;
}

static int prepare_statements(pb_recorder *r, pb_err *err)
{
    char many[sizeof(ROW_COLUMNS) + INSERT_BATCH * (sizeof(ROW_VALUES) + 1)];
    size_t pos = (size_t)snprintf(many, sizeof(many), "%s", ROW_COLUMNS);
    for (int i = 0; i < INSERT_BATCH; i++)
        pos += (size_t)snprintf(many + pos, sizeof(many) - pos, "%s%s", i ? "," : "", ROW_VALUES);
    for (int i = 0; i < ST_COUNT; i++) {
        const char *sql = i == ST_ROWS ? many : stmt_sql[i];
        int rc = sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &r->st[i], NULL);
        if (rc != SQLITE_OK)
            return db_err(r, err, rc, "preparing statements");
    }
    return 0;
}

int pb_recorder_open(const char *path, uint32_t ring_rows, pb_recorder **out, pb_err *err)
{
    if (path == NULL || path[0] == '\0')
        return pb_err_set(err, PB_EINVAL, "the database path is empty");
    if (ring_rows == 0)
        ring_rows = DEFAULT_RING_ROWS;
    if (ring_rows < MIN_RING_ROWS || ring_rows > MAX_RING_ROWS)
        return pb_err_set(err, PB_ERANGE, "recorder ring of %" PRIu32 " rows: expected %u to %u",
                          ring_rows, MIN_RING_ROWS, MAX_RING_ROWS);
    int rc = 0;
    /* the ring indices sit on cache lines of their own: 64-byte alignment
     * (sizeof is a multiple of it, as aligned_alloc requires) */
    pb_recorder *r = aligned_alloc(_Alignof(pb_recorder), sizeof(pb_recorder));
    if (r == NULL)
        return pb_err_set(err, PB_ENOMEM, "%s: out of memory for the recorder", path);
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    pthread_mutex_init(&r->call_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->writer_cv, &ca);
    pthread_cond_init(&r->producer_cv, &ca);
    pthread_cond_init(&r->done_cv, &ca);
    pthread_condattr_destroy(&ca);

    r->size = 1;
    while (r->size < ring_rows)
        r->size <<= 1;
    r->mask = r->size - 1;
    r->release_every = r->size / 4 < RELEASE_EVERY ? r->size / 4 : RELEASE_EVERY;
    r->path = strdup(path);
    r->slots = calloc(r->size, sizeof(struct slot));
    r->versions_json = versions_json();
    r->host = host_text();
    if (r->path == NULL || r->slots == NULL || r->versions_json == NULL || r->host == NULL ||
        pb_hist_create_latency(&r->scratch) != 0) {
        rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory for the recorder", path);
        goto cleanup;
    }

    int src = sqlite3_open_v2(
        path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = db_err(r, err, src, "cannot open the database");
        goto cleanup;
    }
    sqlite3_extended_result_codes(r->db, 1);
    sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
    char mode[32];
    src = query_one(r, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
    if ((src & 0xff) == SQLITE_NOTADB) {
        rc = pb_err_set(err, PB_EINVAL, "%s: not an SQLite database; give another --db file", path);
        goto cleanup;
    }
    if (src != SQLITE_OK) {
        rc = db_err(r, err, src, "cannot use the database");
        goto cleanup;
    }
    if (strcmp(mode, "wal") != 0) {
        rc = pb_err_set(err, PB_EDB,
                        "%s: cannot switch to WAL mode (journal mode is \"%s\"); readers could "
                        "not follow a run",
                        path, mode);
        goto cleanup;
    }
    src = sqlite3_exec(r->db, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384", NULL, NULL,
                       NULL);
    if (src != SQLITE_OK) {
        rc = db_err(r, err, src, "cannot set up the database");
        goto cleanup;
    }
    rc = prepare_schema(r, err);
    if (rc == 0)
        rc = prepare_statements(r, err);
    if (rc != 0)
        goto cleanup;

    r->last_commit = pb_monotime_now();
    /* the writer takes no signals: they belong to the engine's thread */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int prc = pthread_create(&r->thread, NULL, writer_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        rc =
            pb_err_set(err, PB_ESYS, "%s: cannot start the writer thread: %s", path, strerror(prc));
        goto cleanup;
    }
    r->thread_started = true;
    *out = r;
    return 0;

cleanup:
    (void)pb_recorder_close(r, NULL);
    return rc;
}

int pb_recorder_close(pb_recorder *r, pb_err *err)
{
    if (r == NULL)
        return 0;
    int rc = 0;
    if (r->thread_started) {
        struct command c = {.kind = CMD_STOP};
        rc = call_writer(r, &c, err);
        pthread_join(r->thread, NULL);
    }
    for (int i = 0; i < r->n_runs; i++)
        pb_rollup_destroy(r->runs[i].rollup);
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(r->st[i]);
    if (r->db != NULL) {
        int src = sqlite3_close(r->db);
        if (src != SQLITE_OK && rc == 0)
            rc = db_err(r, err, src, "closing the database");
    }
    pb_hist_destroy(r->scratch);
    free(r->blob);
    free(r->slots);
    free(r->versions_json);
    free(r->host);
    free(r->path);
    pthread_cond_destroy(&r->writer_cv);
    pthread_cond_destroy(&r->producer_cv);
    pthread_cond_destroy(&r->done_cv);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->call_mu);
    free(r);
    return rc;
}
