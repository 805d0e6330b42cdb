/* The circuit breaker state machine on its own: closed -> open -> half-open ->
 * closed or open, driven by results and the monotonic time `now` passed in.
 *
 * Policies: `consecutive` opens after failure_threshold consecutive failures
 * and closes on one successful probe (a failed probe reopens it); `rate`
 * follows resilience4j: a count- or time-based sliding window, open when the
 * failure rate or the slow-call rate reaches its threshold once the window
 * holds minimum_calls (count window: at most window_size), and half-open
 * judges its probes the same way once min(minimum_calls, half_open_calls)
 * have ended. Both let at most half_open_calls probes through per half-open
 * spell (0 = unlimited, only for `consecutive`: the cheat sheet's behaviour).
 *
 * Every permitted call carries the epoch (state change count) it was admitted
 * in; a result from an earlier epoch (a call that was in flight when the
 * state changed) does not move the state machine. */
#ifndef PB_CIRCUIT_BREAKER_H
#define PB_CIRCUIT_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "pattern.h"

typedef struct pb_breaker_bucket {
    uint64_t sec; /* seconds since start this bucket counts */
    uint32_t calls, failed, slow;
} pb_breaker_bucket;

typedef struct pb_breaker {
    pb_pattern_params p;
    pb_event_cb cb;
    void *cb_data;
    pb_breaker_state state;
    uint32_t epoch;
    pb_usec origin, opened_at;
    uint32_t consecutive; /* consecutive failures while closed */
    /* half-open probes */
    uint32_t probes_permitted, probes_done, probes_failed, probes_slow;
    /* rate policy: the closed-state sliding window */
    uint8_t *ring; /* count window: one flags byte per call */
    uint32_t ring_next, ring_count;
    pb_breaker_bucket *bucket; /* time window: one bucket per second */
    uint64_t newest_sec;
    uint32_t w_calls, w_failed, w_slow;
    uint64_t stale_results; /* results ignored because the state changed since their call began */
} pb_breaker;

/* Allocate the window for p (policy, window, thresholds); events go to cb. */
int pb_breaker_init(pb_breaker *b, const pb_pattern_params *p, pb_event_cb cb, void *cb_data,
                    pb_err *err) PB_MUST_CHECK;
void pb_breaker_cleanup(pb_breaker *b);

/* Closed, empty window, at `now`. */
void pb_breaker_start(pb_breaker *b, pb_usec now);

/* Would a call be permitted now? (Moves open -> half-open when due; takes no
 * probe permit.) */
bool pb_breaker_permits(pb_breaker *b, pb_usec now);

/* Ask to make a call: true = go ahead, with *epoch to hand back to record();
 * false = rejected (fail fast). Takes a probe permit in half-open. */
bool pb_breaker_acquire(pb_breaker *b, pb_usec now, uint32_t *epoch);

/* A permitted call ended. */
void pb_breaker_record(pb_breaker *b, pb_usec now, uint32_t epoch, bool failed, pb_usec latency);

/* Time passed: an open breaker becomes half-open once recovery_timeout has
 * elapsed since it opened. */
void pb_breaker_tick(pb_breaker *b, pb_usec now);

/* When an open breaker will let probes through; PB_USEC_NEVER otherwise. */
pb_usec pb_breaker_half_open_at(const pb_breaker *b);

#endif
