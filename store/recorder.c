#include "recorder.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "recorder_impl.h"
#include "vocabulary.h"

/* every kind the events table takes fits a ring slot */
#define KIND_FITS(name, value, text)                                                               \
    _Static_assert(sizeof(text) - 1 <= PB_RECORDER_KIND_MAX, "event kind " text " fits");
PB_EVENT_KIND_MAP(KIND_FITS)
#undef KIND_FITS

#define DEFAULT_RING_ROWS 65536u
#define BUSY_TIMEOUT_MS 10000

/* ---- the producer ---------------------------------------------------- */

/* A producer call waited `waited` us for room in the ring (0: it did not). */
static void count_stall(pb_recorder *r, pb_usec waited)
{
    if (waited == 0)
        return;
    atomic_fetch_add_explicit(&r->stalls, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->stall_us, waited, memory_order_relaxed);
}

static void push_event(pb_recorder *r, int64_t run_id, uint64_t t_us, const char *kind,
                       int64_t from, int64_t to, double value, const char *detail)
{
    size_t len = detail != NULL ? strnlen(detail, PB_RECORDER_DETAIL_MAX) : 0;
    uint64_t text_slots = (len + PB_SLOT_TEXT - 1) / PB_SLOT_TEXT;
    count_stall(r, pb_ring_reserve(&r->ring, 1 + text_slots));
    uint64_t head = pb_ring_head(&r->ring);
    pb_slot *s = pb_ring_at(&r->ring, head);
    s->kind = PB_SLOT_EVENT;
    s->text_slots = (uint8_t)text_slots;
    s->text_len = (uint16_t)len;
    s->u.event =
        (pb_slot_event){.run_id = run_id, .t_us = t_us, .from = from, .to = to, .value = value};
    snprintf(s->u.event.kind, sizeof(s->u.event.kind), "%s", kind);
    for (uint64_t i = 0; i < text_slots; i++) {
        size_t off = (size_t)i * PB_SLOT_TEXT;
        size_t n = len - off < PB_SLOT_TEXT ? len - off : PB_SLOT_TEXT;
        memcpy(pb_ring_at(&r->ring, head + 1 + i), detail + off, n);
    }
    pb_ring_publish(&r->ring, 1 + text_slots, true);
}

void pb_recorder_request(pb_recorder *r, const pb_request_row *row)
{
    pb_usec waited = pb_ring_reserve(&r->ring, 1);
    count_stall(r, waited);
    pb_slot *s = pb_ring_at(&r->ring, pb_ring_head(&r->ring));
    s->kind = PB_SLOT_ROW;
    s->u.row = *row;
    pb_ring_publish(&r->ring, 1, false);
    if (waited > 0)
        push_event(r, row->run_id, row->t_us + row->wait_us + row->total_us,
                   pb_event_kind_name(PB_EVENT_STALL), 0, 0, (double)waited,
                   "the recorder's ring was full");
}

void pb_recorder_event(pb_recorder *r, int64_t run_id, uint64_t t_us, const char *kind,
                       int64_t from, int64_t to, double value, const char *detail)
{
    assert(kind != NULL);
    push_event(r, run_id, t_us, kind, from, to, value, detail);
}

void pb_recorder_second(pb_recorder *r, const pb_second_mark *mark)
{
    count_stall(r, pb_ring_reserve(&r->ring, 1));
    pb_slot *s = pb_ring_at(&r->ring, pb_ring_head(&r->ring));
    s->kind = PB_SLOT_MARK;
    s->u.mark = *mark;
    pb_ring_publish(&r->ring, 1, true);
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
    static const char *const ok[] = {"completed", "interrupted", "aborted", "failed"};
    for (size_t i = 0; status != NULL && i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(status, ok[i]) == 0)
            return 0;
    return pb_err_set(err, PB_EINVAL,
                      "run status \"%s\" is not one of completed, interrupted, aborted, failed",
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
    rc = pb_writer_call(r, &c, err);
    if (rc == 0)
        *run_id = c.out_id;
    return rc;
}

int pb_recorder_reopen_run(pb_recorder *r, int64_t run_id, const pb_run_info *info, pb_err *err)
{
    struct command c = {.kind = CMD_REOPEN_RUN, .id = run_id, .info = info};
    return pb_writer_call(r, &c, err);
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
    return pb_writer_call(r, &c, err);
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
    rc = pb_writer_call(r, &c, err);
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
    return pb_writer_call(r, &c, err);
}

int pb_recorder_flush(pb_recorder *r, pb_err *err)
{
    struct command c = {.kind = CMD_FLUSH};
    return pb_writer_call(r, &c, err);
}

/* Bytes in a file, 0 when it is not there. */
static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

void pb_recorder_get_stats(pb_recorder *r, pb_recorder_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->rows_written = atomic_load_explicit(&r->rows_written, memory_order_relaxed);
    out->rows_lost = atomic_load_explicit(&r->rows_lost, memory_order_relaxed);
    out->commits = atomic_load_explicit(&r->commits, memory_order_relaxed);
    out->stalls = atomic_load_explicit(&r->stalls, memory_order_relaxed);
    out->stall_us = atomic_load_explicit(&r->stall_us, memory_order_relaxed);
    /* tail first: the head read after it is at least as far on */
    uint64_t tail = atomic_load_explicit(&r->ring.tail, memory_order_acquire);
    out->backlog = atomic_load_explicit(&r->ring.head, memory_order_acquire) - tail;
    out->db_bytes = file_size(r->path);
    char wal[PATH_MAX];
    if (snprintf(wal, sizeof(wal), "%s-wal", r->path) < (int)sizeof(wal))
        out->db_bytes += file_size(wal);
    out->rows_unstored = atomic_load_explicit(&r->rows_unstored, memory_order_relaxed);
    out->free_bytes = atomic_load_explicit(&r->free_bytes, memory_order_relaxed);
    out->rows_dropped = atomic_load_explicit(&r->rows_dropped, memory_order_relaxed);
    out->disk_low = atomic_load(&r->disk_low);
    out->last_error = atomic_load(&r->last_error);
    if (out->last_error != 0) {
        pthread_mutex_lock(&r->mu);
        snprintf(out->last_error_msg, sizeof(out->last_error_msg), "%s", r->last_error_msg);
        pthread_mutex_unlock(&r->mu);
    }
}

/* The folder holding path ("." for a bare file name), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Why path could not be opened or set up: the system's reason when SQLite has
 * one ("Read-only file system", "Is a directory"), which its own "unable to
 * open database file" hides; a missing folder is named. */
static int open_error(sqlite3 *db, const char *path, pb_err *err, int src, const char *what)
{
    int sys = db != NULL ? sqlite3_system_errno(db) : 0;
    if (sys == 0)
        return pb_schema_error(db, path, err, src, what);
    const char *slash = strrchr(path, '/');
    if (sys == ENOENT && slash != NULL && slash != path) {
        char dir[4096];
        struct stat st;
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
        if (stat(dir, &st) != 0)
            return pb_err_set(err, pb_schema_errcode(src), "%s: %s: the folder %s does not exist",
                              path, what, dir);
        /* SQLite falls back to opening read-only, which hides the reason the
         * file could not be created: ask the folder */
        if (access(dir, W_OK) != 0)
            sys = errno;
    }
    return pb_err_set(err, pb_schema_errcode(src), "%s: %s: %s", path, what, strerror(sys));
}

int pb_recorder_open(const char *path, uint32_t ring_rows, pb_recorder **out, pb_err *err)
{
    if (path == NULL || path[0] == '\0')
        return pb_err_set(err, PB_EINVAL, "the database path is empty");
    if (ring_rows == 0)
        ring_rows = DEFAULT_RING_ROWS;
    int rc = 0;
    /* the ring indices sit on cache lines of their own: 64-byte alignment
     * (sizeof is a multiple of it, as aligned_alloc requires) */
    pb_recorder *r = aligned_alloc(_Alignof(pb_recorder), sizeof(pb_recorder));
    if (r == NULL)
        return pb_err_set(err, PB_ENOMEM, "%s: out of memory for the recorder", path);
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
    pthread_mutex_init(&r->call_mu, NULL);
    pthread_cond_init(&r->done_cv, NULL);
    if ((rc = pb_ring_init(&r->ring, ring_rows, err)) != 0)
        goto cleanup;
    r->path = strdup(path);
    r->dir = dir_of(path);
    r->wal_fd = -1;
    if (r->path == NULL || r->dir == NULL || pb_hist_create_latency(&r->scratch) != 0) {
        rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory for the recorder", path);
        goto cleanup;
    }

    int src = sqlite3_open_v2(
        path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        rc = open_error(r->db, path, err, src, "cannot open the database");
        goto cleanup;
    }
    if (sqlite3_db_readonly(r->db, "main") == 1) {
        /* SQLite opened it read-only: the file (or its file system) refuses writes */
        int why = access(path, W_OK) != 0 ? errno : EACCES;
        rc = pb_err_set(err, PB_EDB, "%s: cannot open the database for writing: %s", path,
                        strerror(why));
        goto cleanup;
    }
    sqlite3_extended_result_codes(r->db, 1);
    sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
    char mode[32];
    src = pb_schema_query_one(r->db, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
    if ((src & 0xff) == SQLITE_NOTADB) {
        rc = pb_err_set(err, PB_EINVAL, "%s: not an SQLite database; give another --db file", path);
        goto cleanup;
    }
    if (src != SQLITE_OK) {
        rc = open_error(r->db, path, err, src, "cannot use the database");
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
        rc = pb_schema_error(r->db, path, err, src, "cannot set up the database");
        goto cleanup;
    }
    rc = pb_schema_create(r->db, path, err);
    if (rc == 0)
        rc = pb_schema_prepare(r->db, path, r->st, err);
    if (rc != 0)
        goto cleanup;

    r->last_commit = pb_monotime_now();
    /* the writer takes no signals: they belong to the engine's thread */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int prc = pthread_create(&r->thread, NULL, pb_writer_main, r);
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

void pb_recorder_set_disk_reserve(pb_recorder *r, uint64_t bytes)
{
    atomic_store_explicit(&r->disk_reserve, bytes, memory_order_relaxed);
}

const char *pb_recorder_sqlite_version(void)
{
    return sqlite3_libversion();
}

int pb_recorder_close(pb_recorder *r, pb_err *err)
{
    if (r == NULL)
        return 0;
    int rc = 0;
    if (r->thread_started) {
        struct command c = {.kind = CMD_STOP};
        rc = pb_writer_call(r, &c, err);
        pthread_join(r->thread, NULL);
    }
    for (int i = 0; i < r->n_runs; i++)
    {
        pb_rollup_destroy(r->runs[i].rollup);
        free(r->runs[i].marks);
    }
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(r->st[i]);
    if (r->db != NULL) {
        int src = sqlite3_close(r->db);
        if (src != SQLITE_OK && rc == 0)
            rc = pb_schema_error(r->db, r->path, err, src, "closing the database");
    }
    pb_hist_destroy(r->scratch);
    free(r->blob);
    pb_ring_cleanup(&r->ring);
    free(r->path);
    free(r->dir);
    pthread_cond_destroy(&r->done_cv);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->call_mu);
    free(r);
    return rc;
}
