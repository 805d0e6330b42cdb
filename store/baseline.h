/* The floor the recorder is measured against (bench/recorder.c): the same
 * request rows through SQLite alone, one prepared INSERT in one transaction,
 * with no ring, no writer thread, no rollup and no batching. Here because it
 * is SQL, and SQL lives in the store. */
#ifndef PB_BASELINE_H
#define PB_BASELINE_H

#include <stddef.h>

#include "errors.h"
#include "monotime.h"
#include "rows.h"

/* Create a new file at path (WAL, synchronous=NORMAL, as the recorder's) with
 * a bare requests table and insert the n rows; *elapsed is the time from the
 * first row to the commit. Errors name the file. */
int pb_baseline_insert(const char *path, const pb_request_row *rows, size_t n, pb_usec *elapsed,
                       pb_err *err) PB_MUST_CHECK;

#endif
