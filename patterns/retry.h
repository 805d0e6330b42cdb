/* The retry decorator: wraps any created pattern, whose ops it calls through
 * an ops table of its own (no check or create: it is not a pattern one can
 * name). pb_pattern_create (registry.h) applies it; it needs nothing of the
 * registry, only pattern.h. When a started request fails
 * (pb_result_is_failure) and attempts are left, it keeps the slot (the inner
 * pattern still sees its request in flight), emits a RETRY event and, once the
 * backoff has passed, admits the next attempt of the same task on the same
 * slot. The inner pattern sees a single complete() with the final result, so
 * a breaker or an adaptive limit judges a task by its last attempt.
 *
 * Backoff before retry n (0 = first retry) is exponential, base * 2^n capped
 * at cap, then jittered: full = uniform in [0, that]; decorrelated (AWS) =
 * uniform in [base, 3 * previous backoff], capped; none = as is. With
 * retry_honour_retry_after the wait is at least the server's Retry-After
 * (which the cap does not shorten). Draws come from pb_rng streams keyed by
 * (seed, task, attempt), so a run's backoffs do not depend on timing. */
#ifndef PB_RETRY_H
#define PB_RETRY_H

#include <stdint.h>

#include "pattern.h"
#include "rng.h"

/* Backoff before retry number n given the previous backoff (decorrelated
 * jitter only; pass retry_base for the first retry). */
pb_usec pb_retry_backoff(const pb_pattern_params *p, uint32_t n, pb_usec prev, pb_rng *rng);

/* Wrap `inner` (created, not started) for p's retry options into *out, which
 * then owns inner and destroys it with itself; on failure (PB_ENOMEM) the
 * caller still owns inner. */
int pb_retry_wrap(const pb_pattern *inner, const pb_pattern_params *p, pb_event_cb cb,
                  void *cb_data, pb_pattern *out, pb_err *err) PB_MUST_CHECK;

#endif
