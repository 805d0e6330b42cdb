/* The per-second rollup of one run: request rows, the engine's
 * end-of-second marks and `lost` events go in, finished seconds come out
 * through a callback. A request belongs to the second in which it ended, a
 * `lost` event to the second of its time. The recorder's writer
 * thread owns it; it reads no clock and allocates only in create. */
#ifndef PB_ROLLUP_H
#define PB_ROLLUP_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "histogram.h"
#include "monotime.h"
#include "rows.h"
#include "seconds.h"
#include "vocabulary.h"

/* Seconds after a mark that stay open for requests that finish late: a mark
 * for second M writes every second up to M - PB_ROLLUP_GRACE. */
#define PB_ROLLUP_GRACE 2
/* Seconds held open at once; a request ending this far past the oldest open
 * second closes it. */
#define PB_ROLLUP_SLOTS 8

/* One second of a run, as it will be written to the `seconds` table: row
 * holds its counts and, once the engine marked it (row.marked), the mark's
 * columns; the latency columns come from hist when it is written. */
typedef struct pb_rollup_second {
    pb_second_row row;
    pb_hist *hist; /* service latency of attempts that reached the network */
    bool used;     /* anything recorded */
} pb_rollup_second;

/* Called for each finished second. `late` is true when the second was written
 * before and s holds only what arrived since: the callee merges it into the
 * stored row. Returns 0 or a PB_E* code, which the rollup passes back. */
typedef int (*pb_rollup_emit_fn)(void *data, int64_t run_id, const pb_rollup_second *s, bool late);

typedef struct pb_rollup pb_rollup;

/* Allocate the rollup of run_id with all its histograms. */
int pb_rollup_create(int64_t run_id, pb_rollup_emit_fn emit, void *data,
                     pb_rollup **out) PB_MUST_CHECK;

/* Free (NULL-safe). Open seconds are dropped: call pb_rollup_flush first. */
void pb_rollup_destroy(pb_rollup *ru);

/* Count one request row; may write seconds that it pushes out of the window. */
int pb_rollup_add(pb_rollup *ru, const pb_request_row *row) PB_MUST_CHECK;

/* Count a `lost` event at t_us: `lost` results the caller never got, `cascaded`
 * of them successes. Like a row, it may write seconds it pushes out of the
 * window, and one for a second already written comes out as a late delta. */
int pb_rollup_lost(pb_rollup *ru, uint64_t t_us, uint64_t lost, uint64_t cascaded) PB_MUST_CHECK;

/* Record the state at the end of mark->sec and write the seconds it closes. */
int pb_rollup_mark(pb_rollup *ru, const pb_second_mark *mark) PB_MUST_CHECK;

/* Write every open second (end of the run). */
int pb_rollup_flush(pb_rollup *ru) PB_MUST_CHECK;

/* Rows that arrived for seconds already written (merged into them). */
uint64_t pb_rollup_late_rows(const pb_rollup *ru);

/* The second a row belongs to: when it ended, (t + wait + total) / 1 s. */
uint64_t pb_rollup_row_second(const pb_request_row *row);

#endif
