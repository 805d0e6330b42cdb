/* The SQLite recorder: a writer thread that takes rows from a bounded ring
 * and inserts them in batched transactions (WAL, synchronous=NORMAL),
 * committing at least once a second, and builds the per-second rollup from
 * them. Schema: docs/schema.md.
 *
 * Threads: pb_recorder_request, _event and _second are called from one
 * producer thread (the engine's loop); the other calls are synchronous and
 * may come from any thread, one at a time. pb_recorder_get_stats may be
 * called from anywhere at any time. */
#ifndef PB_RECORDER_H
#define PB_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"
#include "rows.h"

typedef struct pb_recorder pb_recorder;

/* Open (creating or migrating) the database at path and start the writer
 * thread. ring_rows: capacity of the ring in rows, rounded up to a power of
 * two (0 = default 65536; 64 .. 4194304). A file that is not SQLite, not a
 * patternbench database, or of a newer schema version is refused with a
 * message naming it. */
int pb_recorder_open(const char *path, uint32_t ring_rows, pb_recorder **out,
                     pb_err *err) PB_MUST_CHECK;

/* Insert a `runs` row with status 'running'; returns its id. Synchronous. */
int pb_recorder_begin_run(pb_recorder *r, const pb_run_info *info, int64_t *run_id,
                          pb_err *err) PB_MUST_CHECK;

/* Open run_id again for appending, as run --resume does for a run whose
 * process died: its status goes back to 'running' (ended_at, duration,
 * summary and row bounds NULL again), the seconds its process never wrote
 * are written from its request rows and `lost` events (unmarked, as a reader
 * counts them), and the request rows it stored stay its own. info gives how
 * rows are kept (keep_every, rollup_only, keep_requests_us); the rest of it
 * is not read. PB_ESTATE naming the file when the run is not 'running' or
 * 'interrupted', PB_ENOENT when there is none. Synchronous. */
int pb_recorder_reopen_run(pb_recorder *r, int64_t run_id, const pb_run_info *info,
                           pb_err *err) PB_MUST_CHECK;

/* Queue one request row (requests.seq is NULL unless row->has_seq). Never
 * drops: when the ring is full it waits for the writer, adds the wait to the
 * stall counters and queues a 'stall' event. The per-second rollup is built
 * by the writer from these rows, the marks and the `lost` events. After a
 * write error the writer discards rows (counted in rows_lost), so this never
 * blocks for long. */
void pb_recorder_request(pb_recorder *r, const pb_request_row *row);

/* Queue an event (kind as in docs/schema.md; detail may be NULL, copied). A
 * `lost` event also counts in the rollup row of its second (to = lost results,
 * value = the successes among them). */
void pb_recorder_event(pb_recorder *r, int64_t run_id, uint64_t t_us, const char *kind,
                       int64_t from, int64_t to, double value, const char *detail);

/* Queue the state at the end of second mark->sec (call it for every second);
 * rollup rows are written up to mark->sec - 2 (docs/schema.md). */
void pb_recorder_second(pb_recorder *r, const pb_second_mark *mark);

/* Flush everything queued for the run, write its last rollup, then set status
 * ('completed', 'interrupted', 'failed'), ended_at, duration and summary.
 * After a write error (disk full...) the run is marked 'failed' if the file
 * still allows it, and the error is returned with a message naming the file;
 * rows committed before the error stay. PB_ENOENT for a run that is not open. */
int pb_recorder_end_run(pb_recorder *r, int64_t run_id, const char *status, uint64_t duration_us,
                        const char *summary_json, pb_err *err) PB_MUST_CHECK;

/* Insert a `compares` row ('running'); returns its id. */
int pb_recorder_begin_compare(pb_recorder *r, const char *title, const char *scenario_path,
                              const char *scenario_json, uint64_t seed, int64_t *compare_id,
                              pb_err *err) PB_MUST_CHECK;

/* Close a compare with its status and global threshold results (JSON, may be NULL). */
int pb_recorder_end_compare(pb_recorder *r, int64_t compare_id, const char *status,
                            const char *thresholds_json, pb_err *err) PB_MUST_CHECK;

/* Commit everything queued so far (closed rollup seconds included). */
int pb_recorder_flush(pb_recorder *r, pb_err *err) PB_MUST_CHECK;

/* What the recorder has done so far, and how often the producer waited. */
typedef struct pb_recorder_stats {
    uint64_t rows_written; /* request rows committed */
    uint64_t rows_lost;    /* request rows not stored because of a write error */
    uint64_t commits;
    uint64_t stalls, stall_us; /* times pb_recorder_request/_event waited for room, and how long */
    uint64_t backlog;          /* ring slots queued and not yet taken by the writer */
    uint64_t db_bytes;         /* size of the database file and its write-ahead log */
    int last_error;            /* the first write failure (e.g. disk full), 0 if none */
    uint64_t rows_unstored;    /* request rows the rollup counted but the table did not keep
                                  (--record sample:N or seconds, or a low disk) */
    uint64_t rows_dropped;     /* request rows stored, then dropped by --keep-requests */
    uint64_t free_bytes;       /* free space in the database's folder, likewise */
    bool disk_low;             /* free space fell below the reserve: request rows stopped */
    char last_error_msg[256];
} pb_recorder_stats;

/* Snapshot of the figures (two stat() calls for db_bytes); callable from any thread. */
void pb_recorder_get_stats(pb_recorder *r, pb_recorder_stats *out);

/* Keep at least `bytes` free in the database's folder: when free space falls
 * below, the writer stops storing request rows (the rollup and events go on)
 * and records a `disk` event in each open run. 0 (the default) does not look. */
void pb_recorder_set_disk_reserve(pb_recorder *r, uint64_t bytes);

/* The SQLite library's version, for the versions a run records. */
const char *pb_recorder_sqlite_version(void);

/* Flush, stop the writer, close the database (NULL-safe). Runs still
 * 'running' stay so (their open seconds are written): a reader sees an
 * unfinished run. Returns the first write error, if there was one. */
int pb_recorder_close(pb_recorder *r, pb_err *err);

#endif
