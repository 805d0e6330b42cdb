/* The recorder's insides, shared by recorder.c (the producer's side and the
 * synchronous calls) and writer.c (the writer thread). Not for other rooms. */
#ifndef PB_RECORDER_IMPL_H
#define PB_RECORDER_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "histogram.h"
#include "recorder.h"
#include "ring.h"
#include "rollup.h"
#include "schema.h"

/* How the writer batches and commits. */
#define WRITER_NICE 5   /* the writer thread's nice value */
#define DRAIN_MAX 4096u /* slots handled between looks at the clock and commands */
#define COMMIT_INTERVAL_US (1 * PB_USEC_PER_SEC)
/* Disk space held past the end of the WAL, beyond the WAL's own size, while
 * the disk guard is on, so that the checkpoint and the writes after another
 * process fills the disk (the rollup, the run's end) still fit. */
#define ROOM_BYTES (1024 * 1024)
#define COMMIT_ROWS 65536u /* a drained ring commits once this many rows are pending */
#define IDLE_WAIT_US (100 * PB_USEC_PER_MS)
#define MAX_OPEN_RUNS 16
#define DISK_LOOK_US (1 * PB_USEC_PER_SEC) /* how often the writer looks at the free space */

enum command_kind {
    CMD_BEGIN_RUN,
    CMD_REOPEN_RUN,
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
    uint32_t keep_every;             /* store one request row in this many; 0 = none */
    uint64_t seen;                   /* request rows handed over so far */
    uint64_t last_t_us;              /* latest end of a request, for the writer's own events */
    /* --keep-requests: the first stored rowid of each second (by when requests
     * ended), oldest first, in a ring of the seconds kept and some; the rows
     * before the oldest second to keep are dropped, a second at a time */
    uint64_t keep_sec; /* 0 = keep every row */
    struct rowid_mark {
        uint64_t sec;
        int64_t rowid;
    } *marks;
    size_t marks_cap, marks_head, marks_n;
    int64_t kept_from; /* the oldest of the run's rowids still stored (0 = none yet) */
};

struct pb_recorder {
    char *path;
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];

    pb_ring ring; /* the engine's records on their way to the writer */
    atomic_bool cmd_pending;

    pthread_mutex_t mu; /* guards the command hand-over and last_error_msg */
    pthread_cond_t done_cv;
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
    pb_request_row batch[PB_SCHEMA_INSERT_BATCH];
    struct open_run runs[MAX_OPEN_RUNS];
    int n_runs;
    pb_hist *scratch;
    uint8_t *blob;
    size_t blob_cap;
    int error;              /* sticky: after a write error rows are counted as lost */
    char *dir;              /* the database's folder, for its free space */
    pb_usec last_disk_look; /* when the writer last looked at the free space */
    int wal_fd;             /* the WAL, for keep_room; -1 until opened */

    _Atomic uint64_t rows_written, rows_lost, commits, stalls, stall_us;
    _Atomic uint64_t rows_unstored; /* counted by the rollup, not stored (sample, rollup only) */
    _Atomic uint64_t rows_dropped; /* stored, then dropped as older than --keep-requests */
    _Atomic uint64_t disk_reserve;  /* bytes of free space to keep; 0 = do not look */
    _Atomic uint64_t free_bytes;    /* free space of the folder, at the last look */
    atomic_bool disk_low;           /* free space fell below the reserve: rollup only */
    atomic_int last_error;
    char last_error_msg[256];
};

/* The writer thread's body; arg is the recorder. */
void *pb_writer_main(void *arg);

/* Hand a synchronous command to the writer and wait for its result. */
int pb_writer_call(pb_recorder *r, struct command *c, pb_err *err) PB_MUST_CHECK;

#endif
