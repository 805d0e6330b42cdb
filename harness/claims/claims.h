/* The cheat sheet's claims as experiments: the arms each one measures, the
 * statistics of repeated trials of an arm, and the verdict a claim gets from
 * them, in a fixed vocabulary. Pure: no I/O, no clock. */
#ifndef PB_CLAIMS_H
#define PB_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"
#include "stats.h"
#include "trial.h"
#include "trials.h"

/* An arm whose client used this share of one CPU or more measured the client. */
#define PB_CLIENT_BOUND_SHARE 0.9

typedef enum pb_claim_id { PB_C1, PB_C2, PB_C3, PB_C4, PB_CLAIM_COUNT } pb_claim_id;

/* Who drives the pattern: patternbench's C patterns or the Python reference. */
typedef enum pb_impl { PB_IMPL_C, PB_IMPL_PYTHON, PB_IMPL_COUNT } pb_impl;

/* The arms, in the order trials run them (each trial runs every selected arm
 * once, A B C A B C ..., so that the machine's drift hits all alike). */
typedef enum pb_arm_id {
    PB_ARM_QUEUE_20,
    PB_ARM_SEMAPHORE_30,
    PB_ARM_SEMAPHORE_20,
    PB_ARM_BACKPRESSURE_20,
    PB_ARM_BREAKER_20,
    PB_ARM_ADAPTIVE_20,
    PB_ARM_QUEUE_20_FAULT,
    PB_ARM_SEMAPHORE_20_FAULT,
    PB_ARM_BACKPRESSURE_20_FAULT,
    PB_ARM_BREAKER_20_FAULT,
    PB_ARM_ADAPTIVE_20_FAULT,
    PB_ARM_COUNT
} pb_arm_id;

/* The arm's settings. */
const pb_arm *pb_claims_arm(pb_arm_id id);

/* What the sheet claims. */
typedef struct pb_claim {
    const char *id;    /* "C1" */
    const char *quote; /* the sheet's words */
    const char *figure; /* the sheet's figure, as the table shows it */
} pb_claim;

const pb_claim *pb_claims_get(pb_claim_id id);

/* Whether claim uses arm. */
bool pb_claims_uses(pb_claim_id claim, pb_arm_id arm);

/* Parse a --claims list ("C1,C4", case-insensitive) into selected. An unknown
 * id or an empty list is PB_EINVAL with a message naming it and the known ids. */
int pb_claims_parse(const char *list, bool selected[PB_CLAIM_COUNT], pb_err *err) PB_MUST_CHECK;

/* Repeated trials of one arm with one implementation, and what they add up to. */
typedef struct pb_arm_result {
    size_t n;                 /* trials done */
    pb_trial trials[PB_TRIALS_MAX];
    char missing[600];        /* why there are no figures ("" when there are) */
    /* filled by pb_arm_result_finish once n >= 2 */
    bool ready;
    pb_ci rps, goodput;
    double mean_latency_ms;
    double little_bound;      /* concurrency / the server's mean latency: the most a closed
                                 loop of that concurrency can get from this mock (0: the
                                 server's latency is not known, as against a target) */
    double cpu_share;         /* the largest trial's client CPU seconds per second */
    bool client_bound;        /* cpu_share >= PB_CLIENT_BOUND_SHARE */
    bool generator_bound;     /* some trial's engine found itself saturated */
} pb_arm_result;

/* Compute the intervals, the Little's-law bound from the server's mean service
 * time server_mean_ms (0 when it is not known: no bound) and the client-bound flag. */
void pb_arm_result_finish(pb_arm_result *r, const pb_arm *arm, double server_mean_ms);

/* A verdict: one of "reproduced", "contradicted", "reproduced only when ...",
 * "not testable as stated", with a one-sentence reason. */
typedef struct pb_verdict {
    char word[96];
    char reason[1024];
} pb_verdict;

/* The verdict of a claim from the arms' results of one implementation
 * (res[arm]); a claim without figures for it says so. healthy_only: the arms
 * with fault phases were not run (against a target), so C4 is judged on its
 * healthy column alone. */
void pb_claims_verdict(pb_claim_id claim, const pb_arm_result *res, pb_impl impl,
                       bool healthy_only, pb_verdict *out);

/* Whether claim needs the mock's seeded faults, so cannot run against a
 * target (C2: which requests fail must be known and the same for every arm). */
bool pb_claims_needs_mock(pb_claim_id claim);

/* The mean service time of the claims' mock (PB_TRIAL_LATENCY), in ms. */
double pb_claims_server_mean_ms(void);

/* Stars 1..5 of value relative to best (5 = best; round(5 * value / best), at least 1). */
int pb_claims_stars(double value, double best);

#endif
