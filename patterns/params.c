#include "params.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern_map.h"
#include "units.h"

/* Enums are stored through memcpy of an int; make sure that is their size. */
_Static_assert(sizeof(pb_breaker_policy) == sizeof(int), "enum size");
_Static_assert(sizeof(pb_window_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(pb_adaptive_policy) == sizeof(int), "enum size");
_Static_assert(sizeof(pb_jitter) == sizeof(int), "enum size");
_Static_assert(sizeof(pb_on_error) == sizeof(int), "enum size");

static const char *const breaker_policy_names[] = {"consecutive", "rate", NULL};
static const char *const window_kind_names[] = {"count", "time", NULL};
static const char *const adaptive_policy_names[] = {"seed", "corrected", "aimd", "gradient2", NULL};
static const char *const jitter_names[] = {"full", "decorrelated", "none", NULL};
static const char *const on_error_names[] = {"isolate", "propagate", NULL};

typedef enum param_type {
    T_U32,
    T_U64,
    T_DOUBLE,
    T_RATE, /* a double read by pb_parse_rate: "1.5k" */
    T_FRACTION,
    T_DURATION,
    T_BOOL,
    T_ENUM,
} param_type;

/* One bit per pattern of PB_PATTERN_MAP, in its order: which patterns use an
 * option is data, checked by pb_pattern_param_check_used. */
enum {
#define PB_PATTERN_BIT(name) BIT_##name,
    PB_PATTERN_MAP(PB_PATTERN_BIT)
#undef PB_PATTERN_BIT
        N_PATTERNS
};
_Static_assert(N_PATTERNS <= 32, "one bit per pattern in param.patterns");
static const char *const pattern_names[] = {
#define PB_PATTERN_NAME(name) #name,
    PB_PATTERN_MAP(PB_PATTERN_NAME)
#undef PB_PATTERN_NAME
};

typedef struct param {
    pb_param_info info;
    param_type type;
    size_t offset;
    double min, max;          /* numbers; durations in us */
    const char *const *names; /* T_ENUM */
    unsigned patterns;        /* bits of the patterns that read the field */
    bool has_policy;          /* read only under one policy of those patterns: */
    size_t policy;            /* the offset of the policy's enum field */
    int policy_value;         /* and the value it must hold */
} param;

#define F(field) offsetof(pb_pattern_params, field)
#define SEC 1e6
/* Integers stop at INT64_MAX so that params_json stays readable by JSON
 * libraries with 64-bit signed integers (jansson); the double rounds to 2^63
 * and is read as that bound. */
#define I64_MAX_D 9223372036854775807.0
#define MS 1e3
#define FOR(name) (1u << BIT_##name)
#define FOR_ALL ((1u << N_PATTERNS) - 1)
#define ALWAYS false, 0, 0
#define WHEN(field, value) true, F(field), value

/* The one table. Ranges are what each field can hold safely; rules that tie
 * fields together live in pb_pattern_params_check when every pattern shares
 * them (retry-base <= retry-cap), else in the pattern's check op. The last
 * columns say which patterns read the field (FOR_ALL or FOR(name)) and, for
 * one policy's option, under which policy (WHEN); "used by" says the same in
 * words, and test_params checks that it does. */
/* clang-format off */
static const param params[] = {
    {{"tasks", "N", "0", "all", "tasks to run, 0 = endless (the run's duration ends it)"},
     T_U64, F(total_tasks), 0, 1e15, NULL, FOR_ALL, ALWAYS},
    {{"concurrency", "N", "10", "all",
      "workers (queue, breaker), permits (semaphore), consumers (backpressure), initial limit "
      "(adaptive)"},
     T_U32, F(concurrency), 1, 100000, NULL, FOR_ALL, ALWAYS},
    {{"seed", "N", "1", "retry", "seed of the jitter random numbers"}, T_U64, F(seed), 0, I64_MAX_D,
     NULL, FOR_ALL, ALWAYS},
    {{"rate", "PER_SEC", "0", "all",
      "open-loop arrivals per second (task i arrives at start + i/rate); 0 = closed loop"},
     T_RATE, F(rate), 0, 1e7, NULL, FOR_ALL, ALWAYS},
    {{"reject-pause", "DURATION", "10ms", "breaker",
      "closed loop: a worker whose call was rejected by the open breaker waits this long before "
      "its next call"},
     T_DURATION, F(reject_pause), 1 * MS, 3600 * SEC, NULL, FOR(breaker), ALWAYS},
    {{"batch", "N", "100", "semaphore", "tasks per batch; a batch starts when the previous ended"},
     T_U32, F(batch), 1, 1e9, NULL, FOR(semaphore), ALWAYS},
    {{"on-error", "isolate|propagate", "isolate", "semaphore",
      "isolate: a failure is a result (gather with return_exceptions=True); propagate: a "
      "batch's first failure raises in the caller and the batch's other results are lost "
      "(plain gather), though their requests still run"},
     T_ENUM, F(on_error), 0, 0, on_error_names, FOR(semaphore), ALWAYS},
    {{"queue-size", "N", "50", "backpressure", "capacity of the bounded queue"}, T_U32,
     F(queue_size), 1, 1e6, NULL, FOR(backpressure), ALWAYS},
    {{"put-timeout", "DURATION", "1s", "backpressure",
      "a put blocked on a full queue this long drops its item (at least 1ms, so that a "
      "closed-loop producer facing a full queue cannot spin)"},
     T_DURATION, F(put_timeout), 1 * MS, 3600 * SEC, NULL, FOR(backpressure), ALWAYS},
    {{"breaker-policy", "consecutive|rate", "consecutive", "breaker",
      "consecutive failures (the cheat sheet's) or failure/slow-call rate over a sliding window "
      "(resilience4j's)"},
     T_ENUM, F(breaker_policy), 0, 0, breaker_policy_names, FOR(breaker), ALWAYS},
    {{"failure-threshold", "N", "5", "breaker (consecutive)",
      "consecutive failures that open the breaker"},
     T_U32, F(failure_threshold), 1, 1e6, NULL,
      FOR(breaker), WHEN(breaker_policy, PB_BREAKER_POLICY_CONSECUTIVE)},
    {{"recovery-timeout", "DURATION", "30s", "breaker",
      "time an open breaker waits before letting probes through (half-open)"},
     T_DURATION, F(recovery_timeout), 1 * MS, 86400 * SEC, NULL, FOR(breaker), ALWAYS},
    {{"window-type", "count|time", "count", "breaker (rate)",
      "sliding window over the last window-size calls or seconds"},
     T_ENUM, F(window_kind), 0, 0, window_kind_names,
      FOR(breaker), WHEN(breaker_policy, PB_BREAKER_POLICY_RATE)},
    {{"window-size", "N", "100", "breaker (rate)",
      "calls (count window, up to 1000000) or seconds (time window, up to 3600)"},
     T_U32, F(window_size), 1, 1e6, NULL,
      FOR(breaker), WHEN(breaker_policy, PB_BREAKER_POLICY_RATE)},
    {{"minimum-calls", "N", "10", "breaker (rate)",
      "calls in the window before a rate is computed (count window: at most window-size)"},
     T_U32, F(minimum_calls), 1, 1e6, NULL,
      FOR(breaker), WHEN(breaker_policy, PB_BREAKER_POLICY_RATE)},
    {{"failure-rate-threshold", "FRACTION", "0.5", "breaker (rate)",
      "failure rate at or above which the breaker opens (0.5 or 50%)"},
     T_FRACTION, F(failure_rate_threshold), 0, 1, NULL,
      FOR(breaker), WHEN(breaker_policy, PB_BREAKER_POLICY_RATE)},
    {{"slow-call-rate-threshold", "FRACTION", "1", "breaker (rate)",
      "slow-call rate at or above which the breaker opens"},
     T_FRACTION, F(slow_call_rate_threshold), 0, 1, NULL,
      FOR(breaker), WHEN(breaker_policy, PB_BREAKER_POLICY_RATE)},
    {{"slow-call-duration", "DURATION", "60s", "breaker (rate)",
      "a call slower than this is slow"},
     T_DURATION, F(slow_call_duration), 1, 86400 * SEC, NULL,
      FOR(breaker), WHEN(breaker_policy, PB_BREAKER_POLICY_RATE)},
    {{"half-open-calls", "N", "10", "breaker",
      "probes permitted while half-open; 0 = unlimited (the cheat sheet's behaviour, consecutive "
      "policy only)"},
     T_U32, F(half_open_calls), 0, 1e6, NULL, FOR(breaker), ALWAYS},
    {{"adaptive-policy", "seed|corrected|aimd|gradient2", "corrected", "adaptive",
      "how the concurrency limit moves"},
     T_ENUM, F(adaptive_policy), 0, 0, adaptive_policy_names, FOR(adaptive), ALWAYS},
    {{"min-limit", "N", "1", "adaptive", "lowest concurrency limit"}, T_U32, F(min_limit), 1,
     100000, NULL, FOR(adaptive), ALWAYS},
    {{"max-limit", "N", "200", "adaptive", "highest concurrency limit"}, T_U32, F(max_limit), 1,
     100000, NULL, FOR(adaptive), ALWAYS},
    {{"adaptive-window", "DURATION", "1s", "adaptive (corrected)",
      "one limit decision per window (the seed policy always uses its 60s sliding window)"},
     T_DURATION, F(adaptive_window), 10 * MS, 3600 * SEC, NULL,
      FOR(adaptive), WHEN(adaptive_policy, PB_ADAPTIVE_CORRECTED)},
    {{"adaptive-min-samples", "N", "10", "adaptive (corrected)",
      "results a window needs before a decision; fewer carry over to the next window"},
     T_U32, F(adaptive_min_samples), 1, 1e6, NULL,
      FOR(adaptive), WHEN(adaptive_policy, PB_ADAPTIVE_CORRECTED)},
    {{"backoff-ratio", "RATIO", "0.9", "adaptive (aimd)",
      "limit multiplier on a failure or a timeout, from 0.5 to 0.99"},
     T_DOUBLE, F(aimd_backoff_ratio), 0.5, 0.99, NULL,
      FOR(adaptive), WHEN(adaptive_policy, PB_ADAPTIVE_AIMD)},
    {{"aimd-timeout", "DURATION", "5s", "adaptive (aimd)",
      "a result slower than this counts as a drop"},
     T_DURATION, F(aimd_timeout), 1, 3600 * SEC, NULL,
      FOR(adaptive), WHEN(adaptive_policy, PB_ADAPTIVE_AIMD)},
    {{"smoothing", "RATIO", "0.2", "adaptive (gradient2)",
      "weight of each new limit estimate, from 0.01 to 1"},
     T_DOUBLE, F(gradient_smoothing), 0.01, 1, NULL,
      FOR(adaptive), WHEN(adaptive_policy, PB_ADAPTIVE_GRADIENT2)},
    {{"gradient-queue-size", "N", "4", "adaptive (gradient2)",
      "how far the estimate may grow past gradient*limit per update"},
     T_U32, F(gradient_queue_size), 0, 1000, NULL,
      FOR(adaptive), WHEN(adaptive_policy, PB_ADAPTIVE_GRADIENT2)},
    {{"long-window", "N", "600", "adaptive (gradient2)",
      "samples in the exponential average of the long-term RTT"},
     T_U32, F(gradient_long_window), 1, 1e6, NULL,
      FOR(adaptive), WHEN(adaptive_policy, PB_ADAPTIVE_GRADIENT2)},
    {{"rtt-tolerance", "RATIO", "1.5", "adaptive (gradient2)",
      "latency growth (long/short RTT) tolerated before the limit shrinks, from 1 to 100"},
     T_DOUBLE, F(gradient_rtt_tolerance), 1, 100, NULL,
      FOR(adaptive), WHEN(adaptive_policy, PB_ADAPTIVE_GRADIENT2)},
    {{"retry-attempts", "N", "1", "all (retry)",
      "attempts per task including the first; 1 = no retry"},
     T_U32, F(retry_max_attempts), 1, 100, NULL, FOR_ALL, ALWAYS},
    {{"retry-base", "DURATION", "100ms", "all (retry)",
      "backoff before the first retry; doubles each retry"},
     T_DURATION, F(retry_base), 1, 3600 * SEC, NULL, FOR_ALL, ALWAYS},
    {{"retry-cap", "DURATION", "10s", "all (retry)", "largest backoff"}, T_DURATION,
     F(retry_cap), 1, 86400 * SEC, NULL, FOR_ALL, ALWAYS},
    {{"retry-jitter", "full|decorrelated|none", "full", "all (retry)",
      "full: uniform in [0, backoff]; decorrelated: uniform in [base, 3*previous]; none"},
     T_ENUM, F(retry_jitter), 0, 0, jitter_names, FOR_ALL, ALWAYS},
    {{"retry-after", "BOOL", "true", "all (retry)",
      "wait at least the server's Retry-After before retrying"},
     T_BOOL, F(retry_honour_retry_after), 0, 0, NULL, FOR_ALL, ALWAYS},
};
/* clang-format on */

#define N_PARAMS (sizeof(params) / sizeof(params[0]))
_Static_assert(N_PARAMS <= PB_PARAMS_MAX, "more options than PB_PARAMS_MAX");

static const char *enum_name(const char *const *names, int v)
{
    for (int i = 0; names[i] != NULL; i++)
        if (i == v)
            return names[i];
    return NULL;
}

const char *pb_adaptive_policy_name(pb_adaptive_policy v)
{
    return enum_name(adaptive_policy_names, (int)v);
}

const char *pb_jitter_name(pb_jitter v)
{
    return enum_name(jitter_names, (int)v);
}

const pb_param_info *pb_pattern_param_info(size_t i)
{
    return i < N_PARAMS ? &params[i].info : NULL;
}

/* Option names compare with '-' and '_' as the same character. */
static bool name_matches(const char *want, const char *given)
{
    if (strncmp(given, "--", 2) == 0)
        given += 2;
    for (; *want != '\0' && *given != '\0'; want++, given++) {
        char g = *given == '_' ? '-' : *given;
        if (g != *want)
            return false;
    }
    return *want == '\0' && *given == '\0';
}

static const param *find_param(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < N_PARAMS; i++)
        if (name_matches(params[i].info.name, name))
            return &params[i];
    return NULL;
}

static uint64_t int_max(const param *pa)
{
    return pa->max >= I64_MAX_D ? (uint64_t)INT64_MAX : (uint64_t)pa->max;
}

static int parse_value(const param *pa, const char *value, pb_pattern_params *p, pb_err *err)
{
    char what[64];
    snprintf(what, sizeof(what), "--%s", pa->info.name);
    char *field = (char *)p + pa->offset;
    int rc;
    switch (pa->type) {
    case T_U32:
    case T_U64: {
        uint64_t v;
        uint64_t hi = int_max(pa);
        rc = pb_parse_u64(value, what, (uint64_t)pa->min, hi, &v, err);
        if (rc != 0)
            return rc;
        if (pa->type == T_U32) {
            uint32_t v32 = (uint32_t)v;
            memcpy(field, &v32, sizeof(v32));
        } else {
            memcpy(field, &v, sizeof(v));
        }
        return 0;
    }
    case T_DOUBLE: {
        double v;
        rc = pb_parse_double(value, what, pa->min, pa->max, &v, err);
        if (rc == 0)
            memcpy(field, &v, sizeof(v));
        return rc;
    }
    case T_RATE: {
        double v;
        rc = pb_parse_rate(value, what, pa->min, pa->max, &v, err);
        if (rc == 0)
            memcpy(field, &v, sizeof(v));
        return rc;
    }
    case T_FRACTION: {
        double v;
        rc = pb_parse_fraction(value, what, &v, err);
        if (rc == 0)
            memcpy(field, &v, sizeof(v));
        return rc;
    }
    case T_DURATION: {
        pb_usec v;
        rc = pb_parse_duration(value, what, &v, err);
        if (rc != 0)
            return rc;
        if ((double)v < pa->min || (double)v > pa->max) {
            char lo[32], hi[32];
            return pb_err_set(err, PB_ERANGE, "%s: expected a duration from %s to %s, got %s", what,
                              pb_format_duration((pb_usec)pa->min, lo, sizeof(lo)),
                              pb_format_duration((pb_usec)pa->max, hi, sizeof(hi)), value);
        }
        memcpy(field, &v, sizeof(v));
        return 0;
    }
    case T_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (size_t i = 0; i < 4; i++) {
            bool b;
            if (value != NULL && (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0)) {
                b = strcmp(value, yes[i]) == 0;
                memcpy(field, &b, sizeof(b));
                return 0;
            }
        }
        return pb_err_set(err, PB_EPARSE, "%s: expected true or false, got \"%s\"", what,
                          value ? value : "");
    }
    case T_ENUM:
        for (int i = 0; pa->names[i] != NULL; i++) {
            if (value != NULL && strcmp(value, pa->names[i]) == 0) {
                memcpy(field, &i, sizeof(i));
                return 0;
            }
        }
        return pb_err_set(err, PB_EPARSE, "%s: expected one of %s, got \"%s\"", what,
                          pa->info.value_hint, value ? value : "");
    }
    assert(0 && "unknown parameter type");
    return PB_EINVAL;
}

void pb_pattern_params_default(pb_pattern_params *p)
{
    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < N_PARAMS; i++) {
        int rc = parse_value(&params[i], params[i].info.default_text, p, NULL);
        assert(rc == 0 && "a default in the options table does not parse");
        (void)rc;
    }
}

int pb_pattern_params_set(pb_pattern_params *p, const char *name, const char *value, pb_err *err)
{
    const param *pa = find_param(name);
    if (pa == NULL)
        return pb_err_set(err, PB_ENOENT, "unknown pattern option \"%s\"", name ? name : "");
    return parse_value(pa, value, p, err);
}

int pb_pattern_param_index(const char *name)
{
    const param *pa = find_param(name);
    return pa != NULL ? (int)(pa - params) : -1;
}

/* Text of one value; *quoted tells JSON whether it is a string. */
static void format_value(const param *pa, const pb_pattern_params *p, char *buf, size_t len,
                         bool *quoted)
{
    const char *field = (const char *)p + pa->offset;
    *quoted = false;
    switch (pa->type) {
    case T_U32: {
        uint32_t v;
        memcpy(&v, field, sizeof(v));
        snprintf(buf, len, "%lu", (unsigned long)v);
        return;
    }
    case T_U64: {
        uint64_t v;
        memcpy(&v, field, sizeof(v));
        snprintf(buf, len, "%llu", (unsigned long long)v);
        return;
    }
    case T_DOUBLE:
    case T_RATE:
    case T_FRACTION: {
        double v;
        memcpy(&v, field, sizeof(v));
        pb_format_real(v, buf, len);
        return;
    }
    case T_DURATION: {
        pb_usec v;
        memcpy(&v, field, sizeof(v));
        pb_format_duration_exact(v, buf, len);
        *quoted = true;
        return;
    }
    case T_BOOL: {
        bool v;
        memcpy(&v, field, sizeof(v));
        snprintf(buf, len, "%s", v ? "true" : "false");
        return;
    }
    case T_ENUM: {
        int v;
        memcpy(&v, field, sizeof(v));
        const char *name = enum_name(pa->names, v);
        snprintf(buf, len, "%s", name ? name : "invalid");
        *quoted = true;
        return;
    }
    }
    assert(0 && "unknown parameter type");
}

int pb_pattern_params_get(const pb_pattern_params *p, const char *name, char *buf, size_t len)
{
    const param *pa = find_param(name);
    if (pa == NULL)
        return PB_ENOENT;
    char tmp[64];
    bool quoted;
    format_value(pa, p, tmp, sizeof(tmp), &quoted);
    if (strlen(tmp) >= len)
        return PB_EFULL;
    memcpy(buf, tmp, strlen(tmp) + 1);
    return 0;
}

char *pb_pattern_params_to_json(const pb_pattern_params *p, const char *pattern)
{
    /* every name and value is short ASCII without quotes or backslashes */
    size_t cap = N_PARAMS * 96 + 4;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t n = 0;
    out[n++] = '{';
    for (size_t i = 0; i < N_PARAMS; i++) {
        char value[64];
        bool quoted;
        if (pattern != NULL &&
            pb_pattern_param_check_used(pattern, p, params[i].info.name, NULL) != 0)
            continue;
        format_value(&params[i], p, value, sizeof(value), &quoted);
        int w = snprintf(out + n, cap - n, "%s\"%s\":%s%s%s", n > 1 ? "," : "", params[i].info.name,
                         quoted ? "\"" : "", value, quoted ? "\"" : "");
        assert(w > 0 && (size_t)w < cap - n);
        n += (size_t)w;
    }
    out[n++] = '}';
    out[n] = '\0';
    return out;
}

/* Range of every field, as set() would enforce it, for structs filled in code. */
static int check_ranges(const pb_pattern_params *p, pb_err *err)
{
    for (size_t i = 0; i < N_PARAMS; i++) {
        const param *pa = &params[i];
        const char *field = (const char *)p + pa->offset;
        double v = 0;
        switch (pa->type) {
        case T_U32: {
            uint32_t x;
            memcpy(&x, field, sizeof(x));
            v = x;
            break;
        }
        case T_U64: {
            uint64_t x;
            memcpy(&x, field, sizeof(x));
            if (x > int_max(pa))
                return pb_err_set(
                    err, PB_ERANGE, "--%s: %llu is out of range (expected at most %llu)",
                    pa->info.name, (unsigned long long)x, (unsigned long long)int_max(pa));
            v = (double)x;
            break;
        }
        case T_DOUBLE:
        case T_RATE:
        case T_FRACTION:
            memcpy(&v, field, sizeof(v));
            break;
        case T_DURATION: {
            pb_usec x;
            memcpy(&x, field, sizeof(x));
            v = (double)x;
            break;
        }
        case T_BOOL:
            continue;
        case T_ENUM: {
            int x;
            memcpy(&x, field, sizeof(x));
            if (enum_name(pa->names, x) == NULL)
                return pb_err_set(err, PB_ERANGE, "--%s: expected one of %s, got %d", pa->info.name,
                                  pa->info.value_hint, x);
            continue;
        }
        }
        if (!(v >= pa->min && v <= pa->max)) {
            char text[64];
            bool quoted;
            format_value(pa, p, text, sizeof(text), &quoted);
            return pb_err_set(err, PB_ERANGE, "--%s: %s is out of range (expected %g to %g%s)",
                              pa->info.name, text, pa->min, pa->max,
                              pa->type == T_DURATION ? " microseconds" : "");
        }
    }
    return 0;
}

int pb_pattern_params_check(const pb_pattern_params *p, pb_err *err)
{
    int rc = check_ranges(p, err);
    if (rc != 0)
        return rc;
    /* any pattern may be wrapped in retry */
    if (p->retry_base > p->retry_cap)
        return pb_err_set(err, PB_EINVAL,
                          "--retry-base (%lluus) must not exceed --retry-cap (%lluus)",
                          (unsigned long long)p->retry_base, (unsigned long long)p->retry_cap);
    return 0;
}

int pb_pattern_param_check_used(const char *pattern, const pb_pattern_params *p, const char *name,
                                pb_err *err)
{
    const param *pa = find_param(name);
    if (pa == NULL)
        return pb_err_set(err, PB_ENOENT, "--%s: unknown option", name ? name : "");
    int bit = -1;
    for (int i = 0; i < N_PATTERNS; i++)
        if (pattern != NULL && strcmp(pattern, pattern_names[i]) == 0)
            bit = i;
    assert(bit >= 0 && "a pattern the registry does not know");
    if (bit < 0 || (pa->patterns & (1u << bit)) == 0)
        return pb_err_set(err, PB_EINVAL, "--%s: not used by the %s pattern; it applies to %s",
                          pa->info.name, pattern, pa->info.used_by);
    if (!pa->has_policy)
        return 0;
    int policy;
    memcpy(&policy, (const char *)p + pa->policy, sizeof(policy));
    if (policy == pa->policy_value)
        return 0;
    const param *by = NULL;
    for (size_t i = 0; i < N_PARAMS && by == NULL; i++)
        if (params[i].offset == pa->policy && params[i].type == T_ENUM)
            by = &params[i];
    assert(by != NULL && "a policy that is not an enum option");
    const char *now = enum_name(by->names, policy);
    return pb_err_set(err, PB_EINVAL,
                      "--%s: not used by the %s pattern under %s %s; it applies to %s",
                      pa->info.name, pattern, by->info.name, now ? now : "?", pa->info.used_by);
}
