/* The last seconds of a run that ended without its final summary (killed, or
 * still running). The store writes a second of the rollup only when the
 * window of open seconds moves past it, so such a run's committed request
 * rows and events run a few seconds ahead of its `seconds` rows. Here those
 * rows (and, in a file of schema version 3, the `lost` events, for the
 * seconds' lost and cascaded) are counted into a temporary table, and a
 * temporary view `seconds` joins it to the stored rollup, so every query the
 * report makes afterwards sees every committed row. Nothing is written to the
 * database file. */
#ifndef PB_ROLLUP_TAIL_H
#define PB_ROLLUP_TAIL_H

#include <stdint.h>

#include <sqlite3.h>

#include "errors.h"

/* Count the rows and `lost` events of run_id that the stored rollup has not
 * counted yet into temp.seconds_tail, and put the view in place (once per
 * connection). Reads the run's request rows from the newest back, only as far
 * as the stored rollup reaches, and its `lost` events after it. *tail_rows is
 * the number of request rows added. path names the file in messages. */
int pb_rollup_tail_complete(sqlite3 *db, const char *path, int64_t run_id, uint64_t *tail_rows,
                            pb_err *err) PB_MUST_CHECK;

#endif
