/* Every pattern's parameters in one flat struct, and the one table of options
 * (name -> field -> parser -> default -> help) that the CLI, scenario files,
 * params_json and patterns/README.md all come from. */
#ifndef PB_PARAMS_H
#define PB_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"

typedef enum pb_breaker_policy {
    PB_BREAKER_POLICY_CONSECUTIVE, /* the cheat sheet's: open after N consecutive failures */
    PB_BREAKER_POLICY_RATE, /* resilience4j's: failure/slow-call rate over a sliding window */
} pb_breaker_policy;

typedef enum pb_window_kind { PB_WINDOW_COUNT, PB_WINDOW_TIME } pb_window_kind;

typedef enum pb_adaptive_policy {
    PB_ADAPTIVE_SEED,      /* the cheat sheet's controller, bugs included */
    PB_ADAPTIVE_CORRECTED, /* the seed's thresholds, fixed (default) */
    PB_ADAPTIVE_AIMD,      /* Netflix concurrency-limits AIMDLimit */
    PB_ADAPTIVE_GRADIENT2, /* Netflix concurrency-limits Gradient2Limit */
} pb_adaptive_policy;

typedef enum pb_jitter { PB_JITTER_FULL, PB_JITTER_DECORRELATED, PB_JITTER_NONE } pb_jitter;

typedef enum pb_on_error {
    PB_ON_ERROR_ISOLATE,   /* gather(..., return_exceptions=True): every result reaches the caller */
    PB_ON_ERROR_PROPAGATE, /* plain gather: a batch's first failure raises, its other results are lost */
} pb_on_error;

/* Every pattern's parameters; pb_pattern_params_default() fills the documented
 * defaults, and each pattern reads the fields it uses. */
typedef struct pb_pattern_params {
    uint64_t total_tasks; /* 0 = endless (duration-bound) */
    uint32_t concurrency; /* workers / permits / consumers / initial adaptive limit */
    uint64_t seed;        /* for jitter */
    double rate;          /* open-loop arrivals per second; 0 = closed loop */
    double arrival_offset; /* open loop: the schedule's position at start (pb_arrivals_offset);
                              set by the engine for a segment of a split run, not an option */
    pb_usec reject_pause; /* closed loop: how long a worker waits after a fail-fast rejection */

    /* semaphore */
    uint32_t batch; /* tasks per batch */
    pb_on_error on_error;
    /* backpressure */
    uint32_t queue_size;
    pb_usec put_timeout;
    /* breaker */
    pb_breaker_policy breaker_policy;
    uint32_t failure_threshold; /* consecutive: failures to open */
    pb_usec recovery_timeout;   /* open -> half-open */
    pb_window_kind window_kind; /* rate policy */
    uint32_t window_size;       /* calls (count) or seconds (time) */
    uint32_t minimum_calls;
    double failure_rate_threshold;   /* 0..1 */
    double slow_call_rate_threshold; /* 0..1 */
    pb_usec slow_call_duration;
    uint32_t half_open_calls; /* permitted probes in half-open; 0 = unlimited (the seed) */
    /* adaptive */
    pb_adaptive_policy adaptive_policy;
    uint32_t min_limit, max_limit;
    pb_usec adaptive_window;       /* corrected: one decision per window */
    uint32_t adaptive_min_samples; /* corrected: results needed for a decision */
    double aimd_backoff_ratio;     /* aimd: limit *= ratio on a drop */
    pb_usec aimd_timeout;          /* aimd: a result slower than this counts as a drop */
    double gradient_smoothing;     /* gradient2 */
    uint32_t gradient_queue_size;  /* gradient2: growth allowance per update */
    uint32_t gradient_long_window; /* gradient2: samples in the long RTT average */
    double gradient_rtt_tolerance; /* gradient2: accepted long/short RTT ratio */
    /* retry decorator (max_attempts 1 = no retry) */
    uint32_t retry_max_attempts;
    pb_usec retry_base, retry_cap;
    pb_jitter retry_jitter;
    bool retry_honour_retry_after;
} pb_pattern_params;

/* Fill the documented defaults (see patterns/README.md). */
void pb_pattern_params_default(pb_pattern_params *p);

/* Set one option by name ("failure-threshold", "put-timeout", ...; '_' and '-'
 * are interchangeable, a leading "--" is ignored) from its text form.
 * PB_ENOENT if no option has that name, PB_EPARSE/PB_ERANGE for a bad value;
 * err names the option and what was expected. */
int pb_pattern_params_set(pb_pattern_params *p, const char *name, const char *value,
                          pb_err *err) PB_MUST_CHECK;

/* The text form of one option's value (as accepted by set) into buf.
 * PB_ENOENT for an unknown name, PB_EFULL if buf is too small. */
int pb_pattern_params_get(const pb_pattern_params *p, const char *name, char *buf,
                          size_t len) PB_MUST_CHECK;

/* The options with their effective values as a JSON object (malloc'd, NULL
 * when out of memory): those pattern `pattern` reads under its policy
 * (pb_pattern_param_check_used), or every option when pattern is NULL.
 * Durations are strings such as "100ms" that set() accepts; numbers are the
 * shortest text that reads back as the same value ("0.9"). */
char *pb_pattern_params_to_json(const pb_pattern_params *p, const char *pattern);

/* Check each field's range and the cross-field rules every pattern shares
 * (the retry decorator's); a pattern's own rules are its check op, and
 * pb_pattern_check (registry.h) runs both. PB_EINVAL/PB_ERANGE; err names the
 * option and what was expected. */
int pb_pattern_params_check(const pb_pattern_params *p, pb_err *err) PB_MUST_CHECK;

/* One row of the options table, for help text and documentation. */
typedef struct pb_param_info {
    const char *name;       /* "failure-threshold" */
    const char *value_hint; /* "N", "DURATION", "consecutive|rate", ... */
    const char *default_text;
    const char *used_by; /* "breaker", "all", "adaptive (aimd)", ... */
    const char *help;
} pb_param_info;

/* The table holds at most this many options, so that a caller can keep a set
 * of them in a uint64_t (bit i = pb_pattern_param_info(i)). */
#define PB_PARAMS_MAX 64

/* The i-th option (0-based), NULL past the end. */
const pb_param_info *pb_pattern_param_info(size_t i);

/* The index of option `name` as pb_pattern_param_info counts them ('_' and '-'
 * alike), -1 if no option has that name. */
int pb_pattern_param_index(const char *name);

/* Whether option `name` matters to pattern `pattern` (a registered name) as p
 * configures it: 0 if the pattern reads it; PB_EINVAL when it belongs to other
 * patterns, or to another policy of this one (--backoff-ratio under
 * --adaptive-policy corrected), err naming the option, the pattern and the
 * policy, and who uses it; PB_ENOENT for an unknown option. Options every
 * pattern reads (concurrency, rate, the retry decorator's) always pass. */
int pb_pattern_param_check_used(const char *pattern, const pb_pattern_params *p, const char *name,
                                pb_err *err) PB_MUST_CHECK;

/* Names of the enum values ("aimd", "full", ...); NULL if out of range. */
const char *pb_adaptive_policy_name(pb_adaptive_policy v);
const char *pb_jitter_name(pb_jitter v);

#endif
