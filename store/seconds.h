/* The `seconds` table, the per-second rollup (docs/schema.md), as one list.
 * A row is keyed by (run_id, sec) and holds `count` and one column per
 * outcome (PB_OUTCOME_ROLLUP_MAP); every other column is written once here,
 * in table order, as
 *   XX(name, kind, declaration, version, rule, arg)
 * kind:        how C holds it: U64, I64, F64 or BLOB (pb_second_row's field)
 * declaration: its SQL type in CREATE TABLE / ALTER TABLE
 * version:     the schema version that added it; a file of an older version
 *              is migrated on write (ALTER TABLE ADD COLUMN) and read as it
 *              is (the column reads as NULL, or by the rule's older-file
 *              reading: SUM_LOST's come from the file's `lost` events)
 * rule:        how two rows of the same second are combined, both when a
 *              late delta is upserted into a stored second and when merge
 *              adds up the segments of a split run:
 *   SUM        counters: added (late: col + excluded.col; merge: summed)
 *   SUM_LOST   a counter that older files keep only as `lost` events (arg:
 *              the event column counted: to_val or value)
 *   HIST       the latency histogram: merged (the caller merges the blobs)
 *   PCT        a percentile of the histogram (arg; 100 = the maximum):
 *              recomputed from the merged histogram
 *   MARK_SUM   the engine's end-of-second state: taken from a mark (late:
 *              only when the delta is marked); merge adds the segments' (N
 *              processes' limits together)
 *   MARK_AGREE likewise; merge keeps it where all segments agree, else NULL
 *   MARK_MAX   likewise; merge keeps the largest
 *   MARK_OWN   likewise; one process's own figure: NULL in a merged second
 * The DDL, the migration, the upsert, its binder, the reader's SELECT and
 * merge's sums are all generated from this list: a new column is one row
 * here (appended, with the next version: the version files are written in
 * follows, pb_schema_version()), plus whatever fills it and shows it. */
#ifndef PB_SECONDS_H
#define PB_SECONDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "vocabulary.h"

#define PB_SECOND_COLUMNS(XX)                                                                      \
    XX(retries, U64, INTEGER, 1, SUM, 0)                                                           \
    XX(bytes, U64, INTEGER, 1, SUM, 0)                                                             \
    XX(p50_us, I64, INTEGER, 1, PCT, 50)                                                           \
    XX(p90_us, I64, INTEGER, 1, PCT, 90)                                                           \
    XX(p99_us, I64, INTEGER, 1, PCT, 99)                                                           \
    XX(max_us, I64, INTEGER, 1, PCT, 100)                                                          \
    XX(hist, BLOB, BLOB, 1, HIST, 0)                                                               \
    XX(in_flight, I64, INTEGER, 1, MARK_SUM, 0)                                                    \
    XX(lim, I64, INTEGER, 1, MARK_SUM, 0)                                                          \
    XX(queue, I64, INTEGER, 1, MARK_SUM, 0)                                                        \
    XX(breaker, I64, INTEGER, 1, MARK_AGREE, 0)                                                    \
    XX(phase, I64, INTEGER, 1, MARK_MAX, 0)                                                        \
    XX(cpu_pct, F64, REAL, 2, MARK_OWN, 0)                                                         \
    XX(rss_bytes, I64, INTEGER, 2, MARK_OWN, 0)                                                    \
    XX(loop_lag_us, I64, INTEGER, 2, MARK_OWN, 0)                                                  \
    XX(backlog, I64, INTEGER, 2, MARK_OWN, 0)                                                      \
    XX(lost, U64, INTEGER NOT NULL DEFAULT 0, 3, SUM_LOST, to_val)                                 \
    XX(cascaded, U64, INTEGER NOT NULL DEFAULT 0, 3, SUM_LOST, value)                              \
    XX(ramp_target, F64, REAL, 5, MARK_SUM, 0)

/* The column's number in pb_second_row.known: PB_SECOND_COL_lim. */
enum {
#define PB_SECOND_COL_ENUM(name, kind, decl, version, rule, arg) PB_SECOND_COL_##name,
    PB_SECOND_COLUMNS(PB_SECOND_COL_ENUM)
#undef PB_SECOND_COL_ENUM
    PB_SECOND_COLS
};
_Static_assert(PB_SECOND_COLS <= 32, "pb_second_row.known has a bit per column");

/* A stored blob, borrowed: valid until the next row (reading) or the step (writing). */
typedef struct pb_second_blob {
    const void *data;
    size_t len;
} pb_second_blob;

#define PB_SECOND_CTYPE_U64 uint64_t
#define PB_SECOND_CTYPE_I64 int64_t
#define PB_SECOND_CTYPE_F64 double
#define PB_SECOND_CTYPE_BLOB pb_second_blob

/* One `seconds` row, as the writer, merge and the reader hand it over. */
typedef struct pb_second_row {
    int64_t run_id;
    uint64_t sec;
    uint64_t count; /* attempts that ended in the second */
    uint64_t outcomes[PB_OUTCOME_COUNT];
#define PB_SECOND_FIELD(name, kind, decl, version, rule, arg) PB_SECOND_CTYPE_##kind name;
    PB_SECOND_COLUMNS(PB_SECOND_FIELD)
#undef PB_SECOND_FIELD
    uint32_t known;    /* bit PB_SECOND_COL_x set: column x is not NULL */
    uint32_t conflict; /* pb_second_merge: MARK_AGREE columns the rows disagreed on */
    bool marked;       /* writing: the engine marked the second (its MARK_* columns are news) */
} pb_second_row;

/* Whether column `name` of row r holds a value (is not NULL). */
#define PB_SECOND_KNOWN(r, name) (((r)->known >> PB_SECOND_COL_##name) & 1u)

/* Set column `name` of row r to v, or to NULL when !present. */
#define PB_SECOND_SET(r, name, present, v)                                                         \
    do {                                                                                           \
        (r)->name = (v);                                                                           \
        if (present)                                                                               \
            (r)->known |= 1u << PB_SECOND_COL_##name;                                              \
        else                                                                                       \
            (r)->known &= ~(1u << PB_SECOND_COL_##name);                                           \
    } while (0)

/* Fill the PCT columns from h (NULL when h is empty) and point the blob at
 * `blob`, h encoded (pb_hist_encode), len bytes. */
void pb_second_set_latency(pb_second_row *r, const pb_hist *h, const uint8_t *blob, size_t len);

/* Add b, a row of the same second, into acc by each column's rule as merge
 * combines segments (count, outcomes and SUM counters summed, MARK_SUM summed
 * over the rows that have them, MARK_AGREE kept only where they all agree,
 * MARK_MAX the largest, MARK_OWN NULL). HIST and PCT are left to the caller,
 * who merges the histograms and calls pb_second_set_latency. acc starts
 * zeroed, with its key set. */
void pb_second_merge(pb_second_row *acc, const pb_second_row *b);

#endif
