/* C2's condition map: the cheat sheet's "error cascade rate dropped by 94 %"
 * measured over a grid of error rates x batch sizes, each cell the semaphore
 * under --on-error propagate against a mock failing that share of requests,
 * beside what independence predicts. Pure: no I/O, no clock.
 *
 * The cascade rate of a run is the share of its successful results that the
 * caller never saw because another task of the same batch failed first
 * (pattern state `cascaded` / ok answers). Under isolate it is 0 by
 * construction; under propagate, with failures independent at rate p and
 * batches of n, a success is lost when any of the other n - 1 tasks fails:
 * 1 - (1 - p)^(n - 1). */
#ifndef PB_C2_MAP_H
#define PB_C2_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define PB_C2_RATES 3
#define PB_C2_BATCHES 3
#define PB_C2_TRIALS_MAX 50

/* The sheet's figure, read as the drop of the cascade rate to 0. */
#define PB_C2_SHEET_DROP 0.94

/* An interval holding 94 % says so only when its half-width is at most this
 * (5 percentage points); a wider one is undecided. */
#define PB_C2_DECISIVE_HALF 0.05

/* The grid's error rates (0.001, 0.01, 0.05) and batch sizes (10, 100, 1000). */
double pb_c2_rate(size_t i);
uint32_t pb_c2_batch(size_t j);

/* The cascade rate independence predicts: 1 - (1 - p)^(n - 1). */
double pb_c2_expected(double p, uint32_t n);

/* The batch size at which the expected cascade rate reaches `rate` for
 * error rate p (1 + ln(1 - rate) / ln(1 - p)), as a real number. */
double pb_c2_batch_for(double p, double rate);

/* One cell's trials and what they add up to. */
typedef struct pb_c2_cell {
    double p;
    uint32_t batch;
    size_t n;                                      /* trials done */
    double cascade[PB_C2_TRIALS_MAX];              /* per trial: cascaded / ok */
    double trial_ok[PB_C2_TRIALS_MAX], trial_cascaded[PB_C2_TRIALS_MAX]; /* per trial */
    uint64_t ok, failed, lost, cascaded, requests; /* summed over trials */
    /* filled by pb_c2_cell_finish */
    bool ready; /* n >= 2 */
    pb_ci ci;   /* of the cascade rate: a share's interval (pb_stats_share95), within 0..1;
                   half is half its width */
    double expected;
    int versus_sheet; /* the 95 % interval: -1 below 94 %, +1 above, 0 holds it and is
                         at most 2 * PB_C2_DECISIVE_HALF wide, 2 holds it but is wider
                         (undecided: more trials may tell) */
} pb_c2_cell;

/* Add one trial's counts (ok answers, failures, lost and cascaded results). */
void pb_c2_cell_add(pb_c2_cell *c, uint64_t ok, uint64_t failed, uint64_t lost, uint64_t cascaded);

/* The interval, the expectation and where the sheet's 94 % lies. */
void pb_c2_cell_finish(pb_c2_cell *c);

/* The map, plus the isolate control at the sheet's settings (1 %, 1000). */
typedef struct pb_c2_map {
    pb_c2_cell cell[PB_C2_RATES][PB_C2_BATCHES];
    pb_c2_cell control; /* isolate */
    char missing[600];  /* why there are no figures ("" when there are) */
} pb_c2_map;

/* Set every cell's p and batch (and the control's), no trials. */
void pb_c2_map_init(pb_c2_map *m);

/* How many tasks a cell's trial runs: whole batches only (a batch the run's
 * end cut short is not judged), about `budget` tasks and at least 3 batches. */
uint64_t pb_c2_tasks(uint32_t batch, uint64_t budget);

/* C2's verdict from the finished map: the word ("reproduced only when ...",
 * "not reproduced at any tested condition" when no cell's interval holds
 * 94 %, "not measured") and a reason naming the cells where 94 % holds, or
 * where independence says it would. */
void pb_c2_verdict(const pb_c2_map *m, char *word, size_t wlen, char *reason, size_t rlen);

#endif
