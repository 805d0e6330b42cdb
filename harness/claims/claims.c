/* The claims, their arms and their verdicts. */
#include "claims.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const sem_c[] = {"batch", "1000", NULL};
static const char *const sem_py[] = {"--batch", "1000", NULL};
static const char *const bp_c[] = {"queue-size", "50", "put-timeout", "1s", NULL};
static const char *const bp_py[] = {"--queue-size", "50", "--put-timeout", "1", NULL};
static const char *const br_c[] = {"breaker-policy",
                                   "consecutive",
                                   "failure-threshold",
                                   "3",
                                   "recovery-timeout",
                                   "60s",
                                   "half-open-calls",
                                   "0",
                                   NULL};
static const char *const br_py[] = {"--failure-threshold", "3", "--recovery-timeout", "60", NULL};
static const char *const ad_c[] = {"adaptive-policy", "seed", "min-limit", "2",
                                   "max-limit",       "50",   NULL};
static const char *const ad_py[] = {"--min-limit", "2", "--max-limit", "50", NULL};

/* The sheet's settings (scenarios/cheatsheet.json) at concurrency 20 unless
 * the claim names another; the semaphore gathers batches of 1,000. */
static const pb_arm arms[PB_ARM_COUNT] = {
    [PB_ARM_QUEUE_20] = {"queue-20", "queue", 20, NULL, NULL, false},
    [PB_ARM_SEMAPHORE_30] = {"semaphore-30", "semaphore", 30, sem_c, sem_py, false},
    [PB_ARM_SEMAPHORE_20] = {"semaphore-20", "semaphore", 20, sem_c, sem_py, false},
    [PB_ARM_BACKPRESSURE_20] = {"backpressure-20", "backpressure", 20, bp_c, bp_py, false},
    [PB_ARM_BREAKER_20] = {"breaker-20", "breaker", 20, br_c, br_py, false},
    [PB_ARM_ADAPTIVE_20] = {"adaptive-20", "adaptive", 20, ad_c, ad_py, false, 50},
    [PB_ARM_QUEUE_20_FAULT] = {"queue-20 fault", "queue", 20, NULL, NULL, true},
    [PB_ARM_SEMAPHORE_20_FAULT] = {"semaphore-20 fault", "semaphore", 20, sem_c, sem_py, true},
    [PB_ARM_BACKPRESSURE_20_FAULT] = {"backpressure-20 fault", "backpressure", 20, bp_c, bp_py,
                                      true},
    [PB_ARM_BREAKER_20_FAULT] = {"breaker-20 fault", "breaker", 20, br_c, br_py, true},
    [PB_ARM_ADAPTIVE_20_FAULT] = {"adaptive-20 fault", "adaptive", 20, ad_c, ad_py, true, 50},
};

static const pb_claim claims[PB_CLAIM_COUNT] = {
    [PB_C1] = {"C1", "Queue-based approach beat semaphore by 356 req/sec",
               "queue 2,847 vs semaphore 2,491 req/s (ratio 1.143)"},
    [PB_C2] = {"C2", "error handling INSIDE the worker ... dropped my error cascade rate by 94%",
               "-94 % cascade rate"},
    [PB_C3] = {"C3", "Based on 72-hour production benchmark data", "72 hours"},
    [PB_C4] = {"C4",
               "Throughput stars: Queue 5, Semaphore 4, Backpressure 4, Circuit Breaker 3, "
               "Adaptive 5",
               "5 4 4 3 5"},
};

/* C4's patterns at equal concurrency, healthy and with the fault phase. */
static const pb_arm_id c4_healthy[] = {PB_ARM_QUEUE_20, PB_ARM_SEMAPHORE_20, PB_ARM_BACKPRESSURE_20,
                                       PB_ARM_BREAKER_20, PB_ARM_ADAPTIVE_20};
static const pb_arm_id c4_fault[] = {PB_ARM_QUEUE_20_FAULT, PB_ARM_SEMAPHORE_20_FAULT,
                                     PB_ARM_BACKPRESSURE_20_FAULT, PB_ARM_BREAKER_20_FAULT,
                                     PB_ARM_ADAPTIVE_20_FAULT};
static const int sheet_stars[] = {5, 4, 4, 3, 5};
#define C4_PATTERNS 5

const pb_arm *pb_claims_arm(pb_arm_id id)
{
    assert(id < PB_ARM_COUNT);
    return &arms[id];
}

const pb_claim *pb_claims_get(pb_claim_id id)
{
    assert(id < PB_CLAIM_COUNT);
    return &claims[id];
}

bool pb_claims_uses(pb_claim_id claim, pb_arm_id arm)
{
    switch (claim) {
    case PB_C1:
        return arm == PB_ARM_QUEUE_20 || arm == PB_ARM_SEMAPHORE_30 || arm == PB_ARM_SEMAPHORE_20;
    case PB_C4:
        return arm != PB_ARM_SEMAPHORE_30;
    default:
        return false; /* C2 and C3 run nothing in this version */
    }
}

int pb_claims_parse(const char *list, bool selected[PB_CLAIM_COUNT], pb_err *err)
{
    memset(selected, 0, sizeof(bool) * PB_CLAIM_COUNT);
    bool any = false;
    const char *p = list;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        bool known = false;
        for (int c = 0; c < PB_CLAIM_COUNT && !known; c++) {
            if (n == strlen(claims[c].id) && strncasecmp(p, claims[c].id, n) == 0) {
                selected[c] = true;
                known = any = true;
            }
        }
        if (!known)
            return pb_err_set(err, PB_EINVAL,
                              "--claims: unknown claim \"%.*s\"; expected ids from C1, C2, C3, C4 "
                              "separated by commas",
                              (int)(n > 32 ? 32 : n), p);
        p += n;
        if (*p == ',')
            p++;
    }
    if (!any)
        return pb_err_set(err, PB_EINVAL,
                          "--claims: expected ids from C1, C2, C3, C4 separated by commas, got "
                          "\"%s\"",
                          list);
    return 0;
}

void pb_arm_result_finish(pb_arm_result *r, const pb_arm *arm, double server_mean_ms)
{
    double rps[PB_TRIALS_MAX], good[PB_TRIALS_MAX], lat = 0.0;
    r->cpu_share = 0.0;
    r->generator_bound = false;
    for (size_t i = 0; i < r->n; i++) {
        const pb_trial *t = &r->trials[i];
        r->generator_bound = r->generator_bound || t->generator_bound;
        rps[i] = t->rps;
        good[i] = t->goodput;
        lat += t->mean_latency_ms;
        double share = t->elapsed_s > 0 ? t->cpu_s / t->elapsed_s : 0.0;
        r->cpu_share = share > r->cpu_share ? share : r->cpu_share;
    }
    r->ready = pb_stats_ci95(rps, r->n, &r->rps, NULL) == 0 &&
               pb_stats_ci95(good, r->n, &r->goodput, NULL) == 0;
    r->mean_latency_ms = r->n > 0 ? lat / (double)r->n : 0.0;
    uint32_t slots = arm->peak != 0 ? arm->peak : arm->concurrency;
    r->little_bound = server_mean_ms > 0 ? slots / (server_mean_ms / 1e3) : 0.0;
    r->client_bound = r->cpu_share >= PB_CLIENT_BOUND_SHARE;
}

double pb_claims_server_mean_ms(void)
{
    /* lognormal with median 6 ms and p99 25 ms: sigma = ln(25/6) / z(0.99),
     * mean = median * exp(sigma^2 / 2) = 7.24 ms */
    double sigma = log(25.0 / 6.0) / 2.3263478740;
    return 6.0 * exp(sigma * sigma / 2.0);
}

int pb_claims_stars(double value, double best)
{
    if (!(best > 0.0) || !(value > 0.0))
        return 1;
    int s = (int)lround(5.0 * value / best);
    return s < 1 ? 1 : s > 5 ? 5 : s;
}

static void set(pb_verdict *v, const char *word, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set(pb_verdict *v, const char *word, const char *fmt, ...)
{
    snprintf(v->word, sizeof(v->word), "%s", word);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
    va_end(ap);
}

/* Which of two arms has the higher req/s: +1 a, -1 b, 0 when the 95 %
 * interval of the difference holds 0. */
static int ahead(const pb_arm_result *a, const pb_arm_result *b, pb_ci *d)
{
    double x[PB_TRIALS_MAX], y[PB_TRIALS_MAX];
    for (size_t i = 0; i < a->n; i++)
        x[i] = a->trials[i].rps;
    for (size_t i = 0; i < b->n; i++)
        y[i] = b->trials[i].rps;
    if (pb_stats_diff_ci95(x, a->n, y, b->n, d, NULL) != 0)
        return 0;
    return d->lo > 0.0 ? 1 : d->hi < 0.0 ? -1 : 0;
}

/* "queue-20 ahead of semaphore-30 by 120 req/s (95 % CI 40..200), ratio 1.05" */
static void describe(char *buf, size_t len, const char *a, const pb_arm_result *ra, const char *b,
                     const pb_arm_result *rb, const pb_ci *d)
{
    double ratio = rb->rps.mean > 0 ? ra->rps.mean / rb->rps.mean : 0.0;
    snprintf(buf, len, "%s - %s = %+.0f req/s (95 %% CI %+.0f..%+.0f), ratio %.3f", a, b, d->mean,
             d->lo, d->hi, ratio);
}

static const char *missing_of(const pb_arm_result *res, const pb_arm_id *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!res[ids[i]].ready)
            return res[ids[i]].missing[0] ? res[ids[i]].missing : "fewer than 2 trials";
    return NULL;
}

static void verdict_c1(const pb_arm_result *res, pb_verdict *v)
{
    static const pb_arm_id used[] = {PB_ARM_QUEUE_20, PB_ARM_SEMAPHORE_30, PB_ARM_SEMAPHORE_20};
    const char *missing = missing_of(res, used, 3);
    if (missing != NULL) {
        set(v, "not measured", "%s", missing);
        return;
    }
    const pb_arm_result *q = &res[PB_ARM_QUEUE_20], *s30 = &res[PB_ARM_SEMAPHORE_30],
                        *s20 = &res[PB_ARM_SEMAPHORE_20];
    pb_ci d30, d20;
    int sheet = ahead(q, s30, &d30), equal = ahead(q, s20, &d20);
    char a[160], b[160];
    describe(a, sizeof(a), "queue-20", q, "semaphore-30", s30, &d30);
    describe(b, sizeof(b), "queue-20", q, "semaphore-20", s20, &d20);
    const char *bound = q->client_bound || s30->client_bound || s20->client_bound
                            ? "; client-bound: this measures the client, not the pattern"
                            : "";
    if (sheet > 0)
        set(v, "reproduced", "at the sheet's settings %s (the sheet's ratio is 1.143)%s", a, bound);
    else if (equal > 0 && q->little_bound <= 0)
        set(v, "reproduced only when the concurrency is equal (20 vs 20)",
            "%s, but at equal concurrency %s%s", a, b, bound);
    else if (equal > 0)
        set(v, "reproduced only when the concurrency is equal (20 vs 20)",
            "%s, as Little's law bounds (%.0f vs %.0f req/s), but at equal concurrency %s%s", a,
            q->little_bound, s30->little_bound, b, bound);
    else if (sheet < 0 || equal < 0)
        set(v, "contradicted", "%s; at equal concurrency %s%s", a, b, bound);
    else
        set(v, "not testable as stated",
            "the difference is within the noise of %zu trials at both settings (%s; %s); more "
            "trials may decide it%s",
            q->n, a, b, bound);
}

/* Stars from the intervals: arms whose 95 % intervals overlap cannot be told
 * apart, so they get the same stars, those of the best mean among them
 * (overlap taken transitively); the others round(5 * mean / best). */
static void stars_line(char *buf, size_t len, const pb_arm_result *res, const pb_arm_id *ids,
                       bool good, bool *matches)
{
    const pb_ci *ci[C4_PATTERNS];
    int group[C4_PATTERNS];
    double best = 0.0;
    for (int i = 0; i < C4_PATTERNS; i++) {
        ci[i] = good ? &res[ids[i]].goodput : &res[ids[i]].rps;
        best = ci[i]->mean > best ? ci[i]->mean : best;
        group[i] = i;
    }
    /* join overlapping pairs until nothing changes: five arms, a few passes */
    for (bool changed = true; changed;) {
        changed = false;
        for (int i = 0; i < C4_PATTERNS; i++)
            for (int j = 0; j < C4_PATTERNS; j++)
                if (group[i] != group[j] && ci[i]->lo <= ci[j]->hi && ci[j]->lo <= ci[i]->hi) {
                    int g = group[i] < group[j] ? group[i] : group[j];
                    group[i] = group[j] = g;
                    changed = true;
                }
    }
    size_t used = 0;
    *matches = true;
    for (int i = 0; i < C4_PATTERNS && used < len; i++) {
        double top = 0.0;
        int first = -1; /* another arm of its group, to name */
        for (int j = 0; j < C4_PATTERNS; j++)
            if (group[j] == group[i]) {
                top = ci[j]->mean > top ? ci[j]->mean : top;
                if (j != i && first < 0)
                    first = j;
            }
        int s = pb_claims_stars(top, best);
        *matches = *matches && abs(s - sheet_stars[i]) <= 1;
        used += (size_t)snprintf(
            buf + used, len - used, "%s%s %d (sheet %d%s%s%s)", i ? ", " : "", arms[ids[i]].pattern,
            s, sheet_stars[i], first >= 0 ? "; its interval overlaps " : "",
            first >= 0 ? arms[ids[first]].pattern : "", first >= 0 ? "'s, the same stars" : "");
    }
}

static void verdict_c4(const pb_arm_result *res, bool healthy_only, pb_verdict *v)
{
    const char *missing = missing_of(res, c4_healthy, C4_PATTERNS);
    if (missing == NULL && healthy_only) {
        char h[400];
        bool healthy;
        stars_line(h, sizeof(h), res, c4_healthy, false, &healthy);
        set(v, healthy ? "reproduced only when the server is healthy" : "contradicted",
            "stars within one of the sheet's for every pattern: healthy throughput %s (%s); "
            "goodput with a fault phase not measured (the fault phase is the mock's)",
            healthy ? "yes" : "no", h);
        return;
    }
    if (missing == NULL)
        missing = missing_of(res, c4_fault, C4_PATTERNS);
    if (missing != NULL) {
        set(v, "not measured", "%s", missing);
        return;
    }
    char h[400], f[400];
    bool healthy, fault;
    stars_line(h, sizeof(h), res, c4_healthy, false, &healthy);
    stars_line(f, sizeof(f), res, c4_fault, true, &fault);
    const char *word = healthy && fault ? "reproduced"
                       : healthy        ? "reproduced only when the server is healthy"
                       : fault          ? "reproduced only when the server has a fault phase"
                                        : "contradicted";
    set(v, word,
        "stars within one of the sheet's for every pattern: healthy throughput %s (%s); "
        "goodput with a fault phase %s (%s)",
        healthy ? "yes" : "no", h, fault ? "yes" : "no", f);
}

bool pb_claims_needs_mock(pb_claim_id claim)
{
    return claim == PB_C2;
}

void pb_claims_verdict(pb_claim_id claim, const pb_arm_result *res, pb_impl impl, bool healthy_only,
                       pb_verdict *out)
{
    (void)impl;
    switch (claim) {
    case PB_C1:
        verdict_c1(res, out);
        return;
    case PB_C2:
        /* the C verdict comes from the condition map (c2_map.h) */
        set(out, "not measured",
            "C2's condition map runs the C semaphore only: the cascade depends on which requests "
            "fail (the mock's seeded draws), not on the client; pb_reference.py --on-error "
            "propagate counts lost results the same way (batch size - 1 per batch with a "
            "failure)");
        return;
    case PB_C3:
        set(out, "not testable as stated",
            "the sheet gives no setup, load, latency or error rate for its 72 hours, and a short "
            "run cannot stand in for them; patternbench offers `patternbench compare "
            "scenarios/soak-72h.json`, 72 hours against the mock with phased faults, every "
            "request recorded and long runs reported in buckets");
        return;
    case PB_C4:
        verdict_c4(res, healthy_only, out);
        return;
    case PB_CLAIM_COUNT:
        break;
    }
    assert(!"unknown claim");
}
