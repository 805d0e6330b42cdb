/* The interface every concurrency pattern implements: a pure state machine
 * that decides when a request may start and what happens when one ends.
 * No I/O, no clock reads, no allocation after create: time comes in as `now`.
 *
 * How the engine drives one (patterns/README.md has the details):
 *   start(now) once; then admit(now) until it returns WAIT or DONE.
 *   START  -> start one request; complete(now, result) exactly once for it.
 *   REJECT -> record it (reject_outcome, zero latency); no network, no complete().
 *   WAIT   -> tick(now) and admit again at wake_at (always > now), or after the
 *             next complete().
 *   DONE   -> finite mode, every task finished and nothing in flight; admit
 *             keeps returning DONE.
 *   tick(now) may come at any time (at least at each wake_at, about every
 *   100 ms); set_rate(now, rate) changes the open-loop rate from now on;
 *   set_workers(now, n) the number of closed-loop workers. */
#ifndef PB_PATTERN_H
#define PB_PATTERN_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"
#include "params.h"
#include "vocabulary.h" /* pb_outcome, pb_breaker_state, pb_event_kind */

/* What admit() tells the engine to do next. */
typedef enum pb_admit_kind {
    PB_ADMIT_START,  /* start a request now */
    PB_ADMIT_REJECT, /* record a request that never reached the network (fail fast, drop) */
    PB_ADMIT_WAIT,   /* nothing now: call again at wake_at or after the next complete() */
    PB_ADMIT_DONE,   /* the pattern has no more work; the run ends when nothing is in flight */
} pb_admit_kind;

/* One admission decision. */
typedef struct pb_admission {
    pb_admit_kind kind;
    uint64_t ticket;         /* START/REJECT: identifies this attempt in complete() */
    uint64_t task;           /* the task's sequence number (0, 1, ...) */
    uint32_t slot;           /* worker, permit or consumer index, for the record */
    uint32_t attempt;        /* 0 for the first try, 1.. for retries */
    pb_usec intended_start;  /* when the task wanted to start (open-loop schedule, enqueue time) */
    pb_outcome reject_outcome; /* REJECT: why */
    pb_usec wake_at;         /* WAIT: when to call admit() again; PB_USEC_NEVER = on completion */
} pb_admission;

/* The result of a started request, given back to complete(). */
typedef struct pb_result {
    uint64_t ticket;       /* from the admission */
    pb_outcome outcome;
    int http_status;       /* 0 when there was no response */
    pb_usec latency;       /* actual start to end */
    pb_usec retry_after;   /* Retry-After from a 429/503, 0 if none */
} pb_result;

/* Whether a result counts as a failure for the breaker, the adaptive limit and
 * retry: pb_outcome_is_failure(), except that an http_error with a 4xx status
 * other than 429 is the caller's fault, not the server's, and does not count. */
bool pb_result_is_failure(const pb_result *res);

/* One state change, with its time. */
typedef struct pb_event {
    pb_usec at;
    pb_event_kind kind;  /* one of the pattern kinds of PB_EVENT_KIND_MAP */
    int64_t from;
    int64_t to;
    double value;        /* extra figure: error rate, gradient, backoff... */
    const char *detail;  /* static text, e.g. "failure rate 62% >= 50%" (may be NULL) */
} pb_event;

/* Called synchronously from inside admit/complete/tick; must not call back in. */
typedef void (*pb_event_cb)(void *data, const pb_event *ev);

/* What the pattern looks like right now, recorded with each request. Valid
 * from create on (slots is fixed then, for preallocating per-slot state). */
typedef struct pb_pattern_state {
    uint32_t limit;       /* current concurrency limit (workers, permits, consumers, adaptive limit) */
    uint32_t in_flight;   /* requests started and not completed (a retry's backoff included) */
    uint32_t queue_depth; /* tasks waiting: open-loop backlog, semaphore waiters, backpressure queue */
    uint32_t slots;       /* slot indexes this pattern uses are < slots (fixed after create) */
    pb_breaker_state breaker;
    /* counters since start. produced: tasks handed out (backpressure: puts
     * that finished, queued or dropped); consumed: requests completed;
     * dropped: backpressure drops; rejected: breaker refusals; retries:
     * retry attempts; limit_changes: adaptive limit changes; lost: results
     * the caller never got because another task's failure raised first
     * (semaphore --on-error propagate, counted when the batch ends);
     * cascaded: the successes among them */
    uint64_t produced, consumed, dropped, rejected, retries, limit_changes, lost, cascaded;
} pb_pattern_state;

/* The ops table each pattern implements; the engine never switches on names.
 * A pattern is listed in PB_PATTERN_MAP (pattern_map.h) and created through
 * registry.h; the retry decorator (retry.h) has an ops table too, without
 * check or create, since it only ever wraps a created pattern. */
typedef struct pb_pattern_ops {
    const char *name;
    /* The pattern's own cross-field rules, on params whose ranges and shared
     * rules pb_pattern_params_check has passed; NULL when it has none. */
    int (*check)(const pb_pattern_params *p, pb_err *err);
    /* Allocate all state for checked params; *state owned by the caller, freed by destroy. */
    int (*create)(const pb_pattern_params *p, pb_event_cb cb, void *cb_data, void **state,
                  pb_err *err);
    void (*destroy)(void *state);
    /* The run starts at `now`. */
    void (*start)(void *state, pb_usec now);
    /* Next decision; the engine calls it until it returns WAIT or DONE. */
    void (*admit)(void *state, pb_usec now, pb_admission *out);
    /* A started request ended (not called for REJECT admissions). */
    void (*complete)(void *state, pb_usec now, const pb_result *res);
    /* Time passed (timer fired, or periodically); windows and timeouts advance here. */
    void (*tick)(void *state, pb_usec now);
    /* Open-loop arrival rate changed (per phase); 0 = closed loop. May be NULL. */
    void (*set_rate)(void *state, pb_usec now, double rate);
    /* Closed loop (a --stages ramp of concurrency): from now on at most `workers`
     * (<= slots) take new tasks; one above that finishes the request it has and
     * takes no other. NULL for a pattern that sets its own concurrency. */
    void (*set_workers)(void *state, pb_usec now, uint32_t workers);
    /* Snapshot for records and progress lines. */
    void (*state)(const void *state, pb_pattern_state *out);
} pb_pattern_ops;

/* A created pattern (pb_pattern_create in registry.h): ops plus state; the
 * ops are the retry decorator's when it wraps the pattern. */
typedef struct pb_pattern {
    const pb_pattern_ops *ops;
    void *state;
} pb_pattern;

/* Free a created pattern (NULL-safe, and on out->state; sets it to NULL). */
void pb_pattern_destroy(pb_pattern *pat);

#endif
