/* The writer thread: drains the ring, inserts request rows in batched
 * multi-row INSERTs, feeds each open run's rollup and upserts its seconds,
 * commits at least once a second, and executes the synchronous calls
 * (begin/end of runs and compares, flush, stop) in order with the records. */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "recorder_impl.h"

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
        r->error = pb_schema_errcode(rc);
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

static struct open_run *find_run(pb_recorder *r, int64_t id)
{
    for (int i = 0; i < r->n_runs; i++)
        if (r->runs[i].id == id)
            return &r->runs[i];
    return NULL;
}

/* --keep-requests: remember where second `sec` begins among the run's rowids
 * (a full ring lets the second share the previous mark, dropping coarser). */
static void mark_rowid(struct open_run *run, uint64_t sec, int64_t rowid)
{
    if (run->marks_n > 0) {
        size_t newest = (run->marks_head + run->marks_n - 1) % run->marks_cap;
        if (sec <= run->marks[newest].sec || run->marks_n == run->marks_cap)
            return;
    }
    size_t at = (run->marks_head + run->marks_n) % run->marks_cap;
    run->marks[at] = (struct rowid_mark){.sec = sec, .rowid = rowid};
    run->marks_n++;
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
            run->first_rowid = run->kept_from = rowid;
        run->last_rowid = rowid;
        if (run->keep_sec > 0)
            mark_rowid(run, pb_rollup_row_second(row), rowid);
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
    if (n == PB_SCHEMA_INSERT_BATCH) {
        sqlite3_stmt *st = r->st[ST_ROWS];
        for (int i = 0; i < n; i++)
            pb_schema_bind_row(st, i * PB_SCHEMA_ROW_PARAMS, &r->batch[i]);
        int src = step_done(st);
        if (src != SQLITE_OK)
            return writer_fail(r, src, "inserting requests");
        note_rowids(r, 0, n, sqlite3_last_insert_rowid(r->db));
    } else {
        sqlite3_stmt *st = r->st[ST_ROW];
        for (int i = 0; i < n; i++) {
            pb_schema_bind_row(st, 0, &r->batch[i]);
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

/* One of the writer's own events (kind from the vocabulary, at t_us of the run). */
static void writer_event(pb_recorder *r, int64_t run_id, uint64_t t_us, pb_event_kind kind,
                         double value, const char *detail)
{
    if (ensure_txn(r) != 0)
        return;
    sqlite3_stmt *st = r->st[ST_EVENT];
    pb_bind_i64(st, 1, run_id);
    pb_bind_i64(st, 2, (sqlite3_int64)t_us);
    pb_bind_text(st, 3, pb_event_kind_name(kind), -1);
    pb_bind_i64(st, 4, 0);
    pb_bind_i64(st, 5, 0);
    pb_bind_ok(sqlite3_bind_double(st, 6, value));
    pb_bind_text(st, 7, detail, -1);
    int src = step_done(st);
    if (src != SQLITE_OK)
        (void)writer_fail(r, src, "inserting an event");
}

#define DISK_LOW_DETAIL                                                                            \
    "free space fell below the reserve: from here on only the per-second rollup and events "       \
    "are recorded"

/* Stop storing request rows: the rollup and events go on, so the run
 * completes with every second counted. */
static void go_rollup_only(pb_recorder *r, struct open_run *run, uint64_t free_bytes)
{
    if (run->keep_every == 0)
        return;
    run->keep_every = 0;
    writer_event(r, run->id, run->last_t_us, PB_EVENT_DISK, (double)free_bytes, DISK_LOW_DETAIL);
}

/* The WAL's size, its descriptor opened on first use (only the WAL: SQLite
 * keeps POSIX locks on the database file, which closing any other descriptor
 * of it would drop); 0 when it cannot be read. */
static uint64_t wal_size(pb_recorder *r)
{
    if (r->wal_fd < 0) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s-wal", r->path) >= (int)sizeof(path))
            return 0;
        r->wal_fd = open(path, O_WRONLY | O_CLOEXEC);
    }
    struct stat st;
    if (r->wal_fd < 0 || fstat(r->wal_fd, &st) != 0)
        return 0;
    return (uint64_t)st.st_size;
}

/* With the disk guard on: hold disk past the end of the WAL (allocated, its
 * size unchanged) until the free space falls below the reserve, so that even
 * when another process takes the last free byte, the checkpoint and the writes
 * that end the run in order fit. The checkpoint may grow the database by as
 * much as the WAL holds, and the WAL grows into the room until the writer's
 * next look, so the room is the WAL's size plus ROOM_BYTES (a fixed 1 MiB
 * left a 1 MB WAL behind once a commit had grown it past what was held).
 * Best effort: a disk without room (or without fallocate) simply gets none. */
static void keep_room(pb_recorder *r)
{
    uint64_t size = wal_size(r);
    if (r->wal_fd >= 0)
        (void)fallocate(r->wal_fd, FALLOC_FL_KEEP_SIZE, (off_t)size, (off_t)(size + ROOM_BYTES));
}

/* The room past the WAL is held from a run's first row, not from the first
 * look at the disk after its first commit a second later: a disk filled to
 * its last byte within that second failed the commit, and the run ended with
 * nothing stored and its status left 'running'. */
static void hold_room_for_run(pb_recorder *r)
{
    if (atomic_load_explicit(&r->disk_reserve, memory_order_relaxed) != 0 &&
        !atomic_load(&r->disk_low))
        keep_room(r);
}

/* At most once a second: the free space of the database's folder; below the
 * reserve and what the WAL's checkpoint may add to the database, every open
 * run (and every later one) goes rollup-only, and the WAL is checkpointed
 * into the database at once, while that still fits. */
static void look_at_disk(pb_recorder *r)
{
    uint64_t reserve = atomic_load_explicit(&r->disk_reserve, memory_order_relaxed);
    pb_usec now = pb_monotime_now();
    if (now - r->last_disk_look < DISK_LOOK_US)
        return;
    r->last_disk_look = now;
    struct statvfs fs;
    if (statvfs(r->dir, &fs) != 0)
        return; /* the figure stays as it was; the next look tries again */
    uint64_t free_bytes = (uint64_t)fs.f_bavail * (uint64_t)fs.f_frsize;
    atomic_store_explicit(&r->free_bytes, free_bytes, memory_order_relaxed);
    if (reserve == 0 || atomic_load(&r->disk_low))
        return;
    keep_room(r);
    if (free_bytes >= reserve + wal_size(r))
        return;
    atomic_store(&r->disk_low, true);
    /* the room held past the WAL goes back to the disk, where the checkpoint
     * needs it: the database grows by up to the WAL's pages. Passive: the WAL
     * keeps its blocks, and the next write starts it over in them; a
     * checkpoint that does not fit fails harmlessly, the frames staying in
     * the WAL */
    if (r->wal_fd >= 0) {
        /* what keep_room last held ends at most a WAL and ROOM_BYTES past here */
        uint64_t size = wal_size(r);
        (void)fallocate(r->wal_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)size,
                        (off_t)(size + ROOM_BYTES));
    }
    if (!r->in_txn)
        (void)sqlite3_wal_checkpoint_v2(r->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    for (int i = 0; i < r->n_runs; i++)
        go_rollup_only(r, &r->runs[i], free_bytes);
}

/* --keep-requests: drop the run's stored rows of the seconds older than the
 * newest minus keep_sec, as one DELETE over a rowid range of about a second's
 * rows each time (never one over the whole run); SQLite reuses the freed pages,
 * so the file stays bounded. */
static void drop_old_rows(pb_recorder *r, struct open_run *run)
{
    uint64_t newest = run->last_t_us / PB_USEC_PER_SEC;
    if (run->keep_sec == 0 || run->kept_from == 0 || newest < run->keep_sec)
        return;
    uint64_t cutoff = newest - run->keep_sec;
    while (run->marks_n > 0 && run->marks[run->marks_head].sec < cutoff) {
        run->marks_head = (run->marks_head + 1) % run->marks_cap;
        run->marks_n--;
    }
    int64_t hi = run->marks_n > 0 ? run->marks[run->marks_head].rowid : run->last_rowid + 1;
    if (hi <= run->kept_from || ensure_txn(r) != 0)
        return;
    sqlite3_stmt *st = r->st[ST_DROP_ROWS];
    pb_bind_i64(st, 1, run->kept_from);
    pb_bind_i64(st, 2, hi);
    pb_bind_i64(st, 3, run->id);
    int src = step_done(st);
    if (src != SQLITE_OK) {
        (void)writer_fail(r, src, "dropping request rows older than --keep-requests");
        return;
    }
    atomic_fetch_add_explicit(&r->rows_dropped, (uint64_t)sqlite3_changes(r->db),
                              memory_order_relaxed);
    run->kept_from = hi;
}

static int commit(pb_recorder *r)
{
    int rc = flush_batch(r);
    if (rc != 0)
        return rc;
    for (int i = 0; i < r->n_runs; i++)
        drop_old_rows(r, &r->runs[i]);
    if (r->error != 0 || !r->in_txn)
        return r->error;
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
    look_at_disk(r);
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
        pb_bind_i64(q, 1, run_id);
        pb_bind_i64(q, 2, (sqlite3_int64)s->row.sec);
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

    pb_second_row row = s->row;
    row.run_id = run_id;
    pb_second_set_latency(&row, h, r->blob, len);
    sqlite3_stmt *st = r->st[ST_SECOND];
    pb_schema_bind_second(st, &row);
    int src = step_done(st);
    pb_schema_unbind_second(st); /* the blob buffer may move before the next bind */
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
    if (run != NULL) {
        uint64_t end = row->t_us + row->wait_us + row->total_us;
        if (end > run->last_t_us)
            run->last_t_us = end;
        /* the rollup has counted the row; the table keeps one in keep_every */
        bool keep = run->keep_every != 0 && run->seen % run->keep_every == 0;
        run->seen++;
        if (!keep) {
            atomic_fetch_add_explicit(&r->rows_unstored, 1, memory_order_relaxed);
            return;
        }
    }
    r->batch[r->batch_n++] = *row;
    if (r->batch_n == PB_SCHEMA_INSERT_BATCH)
        (void)flush_batch(r); /* a failure is recorded in r->error */
}

static void handle_mark(pb_recorder *r, const pb_second_mark *mark)
{
    struct open_run *run = find_run(r, mark->run_id);
    if (r->error == 0 && run != NULL)
        check_rollup(r, pb_rollup_mark(run->rollup, mark));
    if (r->error == 0 && run != NULL && mark->clock_wall_us != 0) {
        sqlite3_stmt *st = r->st[ST_RUN_CLOCK];
        pb_bind_i64(st, 1, mark->run_id);
        pb_bind_i64(st, 2, mark->clock_wall_us);
        int src = step_done(st);
        if (src != SQLITE_OK)
            (void)writer_fail(r, src, "setting a run's start"); /* recorded in r->error */
    }
}

static void handle_event(pb_recorder *r, uint64_t seq)
{
    const pb_slot *head = pb_ring_at(&r->ring, seq);
    if (r->error != 0 || ensure_txn(r) != 0)
        return;
    char detail[PB_RECORDER_DETAIL_MAX + 1];
    size_t len = head->text_len;
    for (size_t off = 0; off < len; off += PB_SLOT_TEXT) {
        size_t n = len - off < PB_SLOT_TEXT ? len - off : PB_SLOT_TEXT;
        seq++;
        memcpy(detail + off, pb_ring_at(&r->ring, seq), n);
    }
    detail[len] = '\0';
    const pb_slot_event *ev = &head->u.event;
    sqlite3_stmt *st = r->st[ST_EVENT];
    pb_bind_i64(st, 1, ev->run_id);
    pb_bind_i64(st, 2, (sqlite3_int64)ev->t_us);
    pb_bind_text(st, 3, ev->kind, -1);
    pb_bind_i64(st, 4, ev->from);
    pb_bind_i64(st, 5, ev->to);
    pb_bind_ok(sqlite3_bind_double(st, 6, ev->value));
    pb_bind_text(st, 7, len > 0 ? detail : NULL, (int)len);
    int src = step_done(st);
    if (src != SQLITE_OK) {
        (void)writer_fail(r, src, "inserting an event");
        return;
    }
    /* results a propagating gather never handed over count in the second of
     * the event, so that `seconds` stays an aggregation of what was recorded */
    struct open_run *run = find_run(r, ev->run_id);
    if (run != NULL && strcmp(ev->kind, pb_event_kind_name(PB_EVENT_LOST)) == 0)
        check_rollup(r, pb_rollup_lost(run->rollup, ev->t_us, ev->to > 0 ? (uint64_t)ev->to : 0,
                                       ev->value > 0 ? (uint64_t)(ev->value + 0.5) : 0));
}

/* Handle whole records from w_tail towards head, at least `max` slots'
 * worth unless head comes first. Returns the slots handled. */
static uint64_t drain(pb_recorder *r, uint64_t head, uint64_t max)
{
    uint64_t start = r->w_tail, tail = start, released = start;
    while (tail != head && tail - start < max) {
        const pb_slot *s = pb_ring_at(&r->ring, tail);
        uint64_t n = 1;
        switch (s->kind) {
        case PB_SLOT_ROW:
            handle_row(r, &s->u.row);
            break;
        case PB_SLOT_MARK:
            handle_mark(r, &s->u.mark);
            break;
        case PB_SLOT_EVENT:
            n += s->text_slots;
            handle_event(r, tail);
            break;
        default:
            assert(!"corrupt ring slot");
        }
        tail += n;
        if (tail - released >= r->ring.release_every) {
            pb_ring_release(&r->ring, tail);
            released = tail;
        }
    }
    if (tail != released)
        pb_ring_release(&r->ring, tail);
    r->w_tail = tail;
    return tail - start;
}

/* Sleep until woken, the commit deadline or IDLE_WAIT_US, unless work came in. */
static void writer_sleep(pb_recorder *r, pb_usec now)
{
    bool pending = r->in_txn || r->batch_n > 0;
    pb_usec deadline = pending ? r->last_commit + COMMIT_INTERVAL_US : now + IDLE_WAIT_US;
    pb_ring_wait(&r->ring, r->w_tail, deadline, &r->cmd_pending);
}

static void remove_run(pb_recorder *r, struct open_run *run)
{
    pb_rollup_destroy(run->rollup);
    free(run->marks);
    *run = r->runs[--r->n_runs];
}

/* Open run c->out_id in the writer, its rows kept as info says; the rollup
 * is handed over (destroyed on failure). */
static int open_run(pb_recorder *r, struct command *c, pb_rollup *rollup, struct open_run *out)
{
    const pb_run_info *info = c->info;
    uint32_t keep = info->rollup_only ? 0 : info->keep_every == 0 ? 1 : info->keep_every;
    struct open_run run = {.id = c->out_id, .rollup = rollup, .keep_every = keep};
    if (info->keep_requests_us > 0) {
        run.keep_sec = (info->keep_requests_us + PB_USEC_PER_SEC - 1) / PB_USEC_PER_SEC;
        run.marks_cap = (size_t)run.keep_sec + 64;
        run.marks = calloc(run.marks_cap, sizeof(*run.marks));
        if (run.marks == NULL) {
            pb_rollup_destroy(rollup);
            return pb_err_set(&c->err, PB_ENOMEM,
                              "%s: out of memory for --keep-requests of run %" PRId64, r->path,
                              c->out_id);
        }
    }
    *out = run;
    return 0;
}

/* Take a begun or reopened run among the open ones; on a disk already low it
 * stores its rollup only, as the others do. */
static void add_open_run(pb_recorder *r, const struct open_run *run)
{
    r->runs[r->n_runs++] = *run;
    if (atomic_load(&r->disk_low))
        go_rollup_only(r, &r->runs[r->n_runs - 1],
                       atomic_load_explicit(&r->free_bytes, memory_order_relaxed));
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
    hold_room_for_run(r); /* the WAL of the schema, if the file is new */
    pb_rollup *rollup = NULL;
    sqlite3_stmt *st = r->st[ST_RUN_BEGIN];
    pb_bind_nullable(st, 1, info->compare_id != 0, info->compare_id);
    pb_bind_text(st, 2, info->label != NULL && info->label[0] ? info->label : info->pattern, -1);
    pb_bind_text(st, 3, info->pattern, -1);
    pb_bind_text(st, 4, info->params_json, -1);
    pb_bind_text(st, 5, info->config_json, -1);
    pb_bind_i64(st, 6, (sqlite3_int64)info->seed);
    pb_bind_text(st, 7, info->target, -1);
    pb_bind_i64(st, 8, pb_walltime_now());
    pb_bind_text(st, 9, info->versions_json, -1);
    pb_bind_text(st, 10, info->host, -1);
    int src = step_done(st);
    if (src != SQLITE_OK)
        return pb_schema_error(r->db, r->path, &c->err, src, "adding a run");
    hold_room_for_run(r); /* past the WAL that now holds the run's row */
    c->out_id = sqlite3_last_insert_rowid(r->db);
    rc = pb_rollup_create(c->out_id, emit_second, r, &rollup);
    if (rc != 0)
        return pb_err_set(&c->err, rc, "%s: out of memory for the rollup of run %" PRId64, r->path,
                          c->out_id);
    struct open_run run;
    if ((rc = open_run(r, c, rollup, &run)) != 0)
        return rc;
    add_open_run(r, &run);
    return 0;
}

/* One integer of a query about run ?1 into *out (if_null for NULL). */
static int query_run_i64(pb_recorder *r, const char *sql, int64_t run_id, int64_t if_null,
                         int64_t *out)
{
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK)
        return src;
    sqlite3_bind_int64(st, 1, run_id);
    src = sqlite3_step(st);
    *out = src == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
               ? sqlite3_column_int64(st, 0)
               : if_null;
    sqlite3_finalize(st);
    return src == SQLITE_ROW || src == SQLITE_DONE ? SQLITE_OK : src;
}

/* --keep-requests of a reopened run: where each second of its stored rows
 * begins, so that they are dropped as they age, and not all at once. */
static int mark_stored_rows(pb_recorder *r, struct open_run *run, pb_err *err)
{
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(r->db,
                                 "SELECT rowid, t_us + wait_us + total_us FROM requests WHERE"
                                 " rowid >= ?1 AND run_id = ?2 ORDER BY rowid",
                                 -1, &st, NULL);
    if (src != SQLITE_OK)
        return pb_schema_error(r->db, r->path, err, src, "reading the run's rows");
    sqlite3_bind_int64(st, 1, run->kept_from);
    sqlite3_bind_int64(st, 2, run->id);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t end = (uint64_t)sqlite3_column_int64(st, 1);
        if (end > run->last_t_us)
            run->last_t_us = end;
        mark_rowid(run, end / PB_USEC_PER_SEC, sqlite3_column_int64(st, 0));
    }
    sqlite3_finalize(st);
    return src == SQLITE_DONE ? 0
                              : pb_schema_error(r->db, r->path, err, src, "reading the run's rows");
}

static int cmd_reopen_run(pb_recorder *r, struct command *c)
{
    if (r->n_runs == MAX_OPEN_RUNS)
        return pb_err_set(&c->err, PB_ESTATE, "%s: %d runs are already open in this recorder",
                          r->path, MAX_OPEN_RUNS);
    if (find_run(r, c->id) != NULL)
        return pb_err_set(&c->err, PB_ESTATE, "%s: run %" PRId64 " is open already", r->path,
                          c->id);
    int rc = commit(r);
    if (rc != 0)
        return pb_err_set(&c->err, rc, "%s", r->last_error_msg);
    hold_room_for_run(r);
    if ((rc = ensure_txn(r)) != 0)
        return pb_err_set(&c->err, rc, "%s", r->last_error_msg);
    /* in the writer's transaction: another process cannot resume it meanwhile */
    sqlite3_stmt *st;
    int src = sqlite3_prepare_v2(r->db,
                                 "UPDATE runs SET status = 'running', ended_at = NULL,"
                                 " duration_us = NULL, summary_json = NULL, first_request = NULL,"
                                 " last_request = NULL WHERE id = ?1 AND status IN ('running',"
                                 " 'interrupted')",
                                 -1, &st, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, c->id);
        src = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(r->db);
        sqlite3_finalize(st);
    }
    if (src != SQLITE_OK)
        return pb_schema_error(r->db, r->path, &c->err, src, "reopening a run");
    if (sqlite3_changes(r->db) == 0) {
        (void)commit(r);
        return pb_err_set(&c->err, PB_ESTATE,
                          "%s: run %" PRId64 " is not one whose process died (status running"
                          " or interrupted)",
                          r->path, c->id);
    }
    c->out_id = c->id;
    pb_rollup *rollup = NULL;
    if ((rc = pb_rollup_create(c->id, emit_second, r, &rollup)) != 0)
        return pb_err_set(&c->err, rc, "%s: out of memory for the rollup of run %" PRId64, r->path,
                          c->id);
    /* the seconds its process never wrote, from the rows it did: before this
     * process's, which begin later */
    int64_t last = -1, first_rowid = 0, last_rowid = 0;
    uint64_t tail_rows = 0;
    src = query_run_i64(r, "SELECT max(sec) FROM seconds WHERE run_id = ?1", c->id, -1, &last);
    if (src != SQLITE_OK) {
        pb_rollup_destroy(rollup);
        return pb_schema_error(r->db, r->path, &c->err, src, "reading the run's seconds");
    }
    rc = pb_schema_count_tail(r->db, r->path, rollup, c->id, last, &tail_rows, &c->err);
    if (rc == 0 && (rc = pb_rollup_flush(rollup)) != 0)
        pb_err_set(&c->err, rc, "%s", r->last_error_msg);
    if (rc == 0) {
        src = query_run_i64(r, "SELECT min(rowid) FROM requests WHERE run_id = ?1", c->id, 0,
                            &first_rowid);
        if (src == SQLITE_OK)
            src = query_run_i64(r, "SELECT max(rowid) FROM requests WHERE run_id = ?1", c->id, 0,
                                &last_rowid);
        if (src != SQLITE_OK)
            rc = pb_schema_error(r->db, r->path, &c->err, src, "reading the run's rows");
    }
    if (rc == 0)
        rc = commit(r);
    if (rc != 0) {
        pb_rollup_destroy(rollup);
        if (c->err.msg[0] == '\0')
            pb_err_set(&c->err, rc, "%s", r->last_error_msg);
        return rc;
    }
    struct open_run run;
    if ((rc = open_run(r, c, rollup, &run)) != 0)
        return rc;
    run.first_rowid = run.kept_from = first_rowid;
    run.last_rowid = last_rowid;
    if (run.keep_sec > 0 && first_rowid > 0 && (rc = mark_stored_rows(r, &run, &c->err)) != 0) {
        pb_rollup_destroy(run.rollup);
        free(run.marks);
        return rc;
    }
    add_open_run(r, &run);
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
    /* rows dropped by --keep-requests are not the run's any more */
    int64_t first = run->kept_from, last = run->last_rowid;
    if (first > last)
        first = last = 0;
    remove_run(r, run);
    (void)commit(r);
    int64_t ended = pb_walltime_now();
    if (r->error != 0) {
        /* the file may still take a small update: say the run failed */
        sqlite3_stmt *st = r->st[ST_RUN_FAILED];
        pb_bind_i64(st, 1, c->id);
        pb_bind_i64(st, 2, ended);
        pb_bind_i64(st, 3, (sqlite3_int64)c->duration_us);
        pb_bind_text(st, 4, c->json, -1);
        int src = step_done(st);
        return pb_err_set(&c->err, r->error,
                          "%s; %" PRIu64 " request rows could not be stored, rows committed "
                          "before the error are kept and run %" PRId64 " %s",
                          r->last_error_msg, atomic_load(&r->rows_lost), c->id,
                          src == SQLITE_OK ? "is marked failed" : "stays marked running");
    }
    sqlite3_stmt *st = r->st[ST_RUN_END];
    pb_bind_i64(st, 1, c->id);
    pb_bind_text(st, 2, c->status, -1);
    pb_bind_i64(st, 3, ended);
    pb_bind_i64(st, 4, (sqlite3_int64)c->duration_us);
    pb_bind_text(st, 5, c->json, -1);
    pb_bind_nullable(st, 6, first != 0, first);
    pb_bind_nullable(st, 7, last != 0, last);
    int src = step_done(st);
    if (src != SQLITE_OK)
        return pb_schema_error(r->db, r->path, &c->err, src, "closing a run");
    return 0;
}

static int cmd_begin_compare(pb_recorder *r, struct command *c)
{
    int rc = commit(r);
    if (rc != 0)
        return pb_err_set(&c->err, rc, "%s", r->last_error_msg);
    sqlite3_stmt *st = r->st[ST_COMPARE_BEGIN];
    pb_bind_text(st, 1, c->title, -1);
    pb_bind_text(st, 2, c->scenario_path, -1);
    pb_bind_text(st, 3, c->scenario_json, -1);
    pb_bind_i64(st, 4, (sqlite3_int64)c->seed);
    pb_bind_i64(st, 5, pb_walltime_now());
    int src = step_done(st);
    if (src != SQLITE_OK)
        return pb_schema_error(r->db, r->path, &c->err, src, "adding a compare");
    c->out_id = sqlite3_last_insert_rowid(r->db);
    return 0;
}

static int cmd_end_compare(pb_recorder *r, struct command *c)
{
    int rc = commit(r);
    if (rc != 0)
        return pb_err_set(&c->err, rc, "%s", r->last_error_msg);
    sqlite3_stmt *st = r->st[ST_COMPARE_END];
    pb_bind_i64(st, 1, c->id);
    pb_bind_text(st, 2, c->status, -1);
    pb_bind_i64(st, 3, pb_walltime_now());
    pb_bind_text(st, 4, c->json, -1);
    int src = step_done(st);
    if (src != SQLITE_OK)
        return pb_schema_error(r->db, r->path, &c->err, src, "closing a compare");
    if (sqlite3_changes(r->db) == 0)
        return pb_err_set(&c->err, PB_ENOENT, "%s: no compare with id %" PRId64, r->path, c->id);
    return 0;
}

/* Execute the pending call once every record queued before it is handled. */
static bool run_command(pb_recorder *r)
{
    struct command *c = r->cmd;
    bool stop = c->kind == CMD_STOP; /* c lives on the caller's stack: not ours once done */
    uint64_t head = pb_ring_published(&r->ring);
    while (r->w_tail != head)
        drain(r, head, UINT64_MAX);
    switch (c->kind) {
    case CMD_BEGIN_RUN:
        c->rc = cmd_begin_run(r, c);
        break;
    case CMD_REOPEN_RUN:
        c->rc = cmd_reopen_run(r, c);
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

void *pb_writer_main(void *arg)
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
        uint64_t head = pb_ring_published(&r->ring);
        uint64_t handled = head != r->w_tail ? drain(r, head, DRAIN_MAX) : 0;
        pb_usec now = pb_monotime_now();
        bool drained = r->w_tail == pb_ring_published(&r->ring);
        bool pending = r->in_txn || r->batch_n > 0;
        if (pending && (now - r->last_commit >= COMMIT_INTERVAL_US ||
                        (drained && r->txn_rows + (uint64_t)r->batch_n >= COMMIT_ROWS)))
            (void)commit(r);
        if (handled == 0)
            writer_sleep(r, now);
    }
    /* before SQLite closes (and may delete the WAL) */
    if (r->wal_fd >= 0)
        close(r->wal_fd);
    r->wal_fd = -1;
    return NULL;
}

int pb_writer_call(pb_recorder *r, struct command *c, pb_err *err)
{
    pthread_mutex_lock(&r->call_mu);
    pthread_mutex_lock(&r->mu);
    r->cmd = c;
    atomic_store(&r->cmd_pending, true);
    pb_ring_wake_consumer(&r->ring);
    while (!c->done)
        pthread_cond_wait(&r->done_cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    pthread_mutex_unlock(&r->call_mu);
    if (c->rc != 0 && err != NULL)
        *err = c->err;
    return c->rc;
}
