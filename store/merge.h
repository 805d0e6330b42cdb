/* `patternbench merge`: the databases of a run's (or compare's) segments,
 * each written by one `--segment I/N` process, become one run per entry in
 * another database, with the same tables a run writes, so it reports like any
 * other. docs/schema.md ("Merged runs") says what a merged run holds. */
#ifndef PB_MERGE_H
#define PB_MERGE_H

#include <stdint.h>

#include "errors.h"

/* What a merge wrote. */
typedef struct pb_merge_stats {
    int64_t compare_id;    /* the merged compare, 0 when the inputs are lone runs */
    int64_t first_run_id;  /* the merged runs are first_run_id .. first_run_id + runs - 1 */
    int runs;              /* one per entry (1 for a lone run) */
    int segments;          /* N */
    uint64_t rows;         /* request rows copied */
    uint64_t seconds;      /* rollup seconds written */
    uint64_t events;       /* events copied */
    int64_t start_skew_us; /* widest gap between the segments' achieved starts */
} pb_merge_stats;

/* Check that the inputs hold segments of one run or compare (the most recent
 * run of each file, or the compare it belongs to): the same configuration and
 * seed, every segment 0..N-1 exactly once, each ended. Then append to out_path
 * (created if missing; not one of the inputs) one run per entry whose rows,
 * events and per-second rollups are the segments' together and whose summary
 * is recomputed from them. A mismatch is refused with a message naming the
 * file and what differs (PB_EINVAL); nothing is written then. A failure while
 * writing (a full disk) deletes what the merge added, or, when even that
 * cannot be written, leaves its runs and compare marked 'failed'; the message
 * says which. */
int pb_merge(const char *out_path, const char *const *inputs, int n_inputs, pb_merge_stats *stats,
             pb_err *err) PB_MUST_CHECK;

#endif
