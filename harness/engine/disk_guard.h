/* Will the run's database fit? The growth a run's settings imply, against the
 * free space of the database's folder minus a reserve that must stay free. */
#ifndef PB_DISK_GUARD_H
#define PB_DISK_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "run_config.h"

/* Bytes one stored request row takes, the index-free table included: 30 B
 * measured on a 10 s clean run, 33 B on a 6-minute faulty one (docs/run.md, "Disk"), before
 * rows kept their task number (requests.seq: 2 B measured up to 32767 tasks, 3 B up to 8 M,
 * 4 B past); the projection takes the larger, with 3 B of task number, rounded up. */
#define PB_DISK_BYTES_PER_ROW 37
/* Bytes one second of the rollup takes (a row of `seconds` with its histogram,
 * whose size grows with the spread of the second's latencies): 500 B measured
 * as the growth from 30 s to 120 s at 200 requests/s against lognormal:10ms,80ms
 * with 0.2 % 503s, 1007 B over 60 s at 355 requests/s against lognormal:10ms,200ms
 * with 5 % 503s (docs/run.md, "Disk"); the projection takes the larger, rounded up. */
#define PB_DISK_ROLLUP_BYTES_PER_SEC 1024

/* A projection and the space it is judged against. */
typedef struct pb_disk_projection {
    uint64_t free_bytes; /* free to this user in the database's folder */
    uint64_t reserve;    /* what must stay free: --disk-reserve or the default rule */
    uint64_t projected;  /* bytes the run will add */
    double rows_per_sec; /* the request rate the projection assumes */
    bool fits;           /* projected <= free_bytes - reserve */
} pb_disk_projection;

/* Project the growth of `rows` more request attempts over `seconds` more of
 * the run, `done_seconds` of it behind (rows stored as cfg->keep_every says;
 * with cfg->keep_requests only the rows of the seconds that widen the kept
 * window, min(done + seconds, D) - min(done, D), add to the file; plus the
 * per-second rollup over all `seconds`) and look at the free space of the
 * folder holding cfg->db_path. The reserve
 * is cfg->disk_reserve, or cfg->disk_reserve_share of the file system, or
 * the larger of 1 GiB and 5 % of it.
 * PB_ESYS (naming the folder) when the file system cannot be asked. */
int pb_disk_project(const pb_run_config *cfg, double done_seconds, double rows, double seconds,
                    pb_disk_projection *out, pb_err *err) PB_MUST_CHECK;

/* The whole run's rows and seconds as its settings imply them before it
 * starts: an open loop's rate (its highest step) over the duration, or the
 * request count; false for a closed loop bound by duration, whose rate is
 * known only once it runs. */
bool pb_disk_planned(const pb_run_config *cfg, double *rows, double *seconds);

/* Judge a run before it starts, when pb_disk_planned knows its size: 0 when
 * it fits or cannot be known yet, PB_EFULL with pb_disk_refuse's message when
 * it does not, PB_ESYS when the disk cannot be asked. */
int pb_disk_check_planned(const pb_run_config *cfg, pb_err *err) PB_MUST_CHECK;

/* The refusal for people: what the run would add, the free space, the
 * reserve, and the options that make it fit (into err, code PB_EFULL). */
int pb_disk_refuse(const pb_run_config *cfg, const pb_disk_projection *p, pb_err *err);

#endif
