#include "report_data.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include <jansson.h>

#include "reader.h"
#include "threshold_metric.h"

/* Phase indices a run can have: the base and PB_MAX_PHASES more. */
#define PHASES_MAX PB_HEALTH_MAX_PHASES

uint64_t pb_report_bucket_seconds(uint64_t span_s, uint64_t max_points)
{
    /* round widths people read easily: 1 s, 2 s, 5 s, ... 1 min, ... 1 h, n h */
    static const uint64_t nice[] = {1,   2,   3,   5,    10,   15,   20,   30,  60,
                                    120, 180, 300, 600,  900,  1200, 1800, 3600};
    if (max_points == 0)
        max_points = 1;
    uint64_t need = span_s / max_points + (span_s % max_points != 0);
    for (size_t i = 0; i < sizeof(nice) / sizeof(nice[0]); i++)
        if (nice[i] >= need)
            return nice[i];
    return (need + 3599) / 3600 * 3600;
}

/* Loading state of one database: its reader, where errors go, and the runs
 * it gave: d->runs[first, end). */
struct loader {
    pb_reader *rd;
    const char *path;
    pb_err *err;
    pb_report_data *d;
    size_t first, end;
};

static int out_of_memory(struct loader *L)
{
    return pb_err_set(L->err, PB_ENOMEM, "%s: out of memory", L->path);
}

static void warn(pb_report_data *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(pb_report_data *d, const char *fmt, ...)
{
    if (d->n_warnings >= PB_REPORT_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->warnings[d->n_warnings++], sizeof(d->warnings[0]), fmt, ap);
    va_end(ap);
}

static double json_num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A stored count, or 0 when it is none: missing, negative, or past what a
 * count can hold (2^64; converting such a double is undefined). */
static uint64_t json_count(json_t *obj, const char *key)
{
    double v = json_num(obj, key);
    return isfinite(v) && v > 0 && v < 0x1p64 ? (uint64_t)v : 0;
}

/* The unit of a threshold's value: the stored "unit", else the kind of the
 * metric its expression names before the operator (files written before
 * thresholds stored their unit). */
static pb_report_unit threshold_unit(json_t *item, const char *expr)
{
    static const pb_report_unit of_kind[] = {[PB_THRESHOLD_LATENCY] = PB_REPORT_UNIT_US,
                                             [PB_THRESHOLD_FRACTION] = PB_REPORT_UNIT_FRACTION,
                                             [PB_THRESHOLD_RATE] = PB_REPORT_UNIT_PER_S,
                                             [PB_THRESHOLD_COUNT] = PB_REPORT_UNIT_COUNT,
                                             [PB_THRESHOLD_DRIFT] = PB_REPORT_UNIT_PCT_PER_H};
    pb_threshold_kind kind;
    const char *stored = json_string_value(json_object_get(item, "unit"));
    if (stored != NULL && pb_threshold_kind_from_unit(stored, &kind) == 0)
        return of_kind[kind];
    pb_threshold_metric_id id;
    if (pb_threshold_metric_find(expr, strcspn(expr, "<>=! "), &id) == 0)
        return of_kind[pb_threshold_metric_get(id)->kind];
    return PB_REPORT_UNIT_COUNT;
}

/* Threshold verdicts from a JSON array [{"expr","value","unit","pass","label"}];
 * entries that are not objects with a string expr are skipped. */
static int parse_thresholds(json_t *arr, pb_report_threshold **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return 0;
    pb_report_threshold *t = calloc(json_array_size(arr), sizeof(*t));
    if (t == NULL)
        return PB_ENOMEM;
    size_t i, k = 0;
    json_t *item;
    json_array_foreach(arr, i, item) {
        json_t *expr = json_object_get(item, "expr");
        if (!json_is_string(expr))
            continue;
        t[k].expr = strdup(json_string_value(expr));
        if (t[k].expr == NULL) {
            *out = t;
            *n = k;
            return PB_ENOMEM;
        }
        const char *label = json_string_value(json_object_get(item, "label"));
        if (label != NULL && (t[k].label = strdup(label)) == NULL) {
            free(t[k].expr);
            *out = t;
            *n = k;
            return PB_ENOMEM;
        }
        t[k].value = json_num(item, "value");
        t[k].unit = threshold_unit(item, t[k].expr);
        t[k].pass = json_is_true(json_object_get(item, "pass"));
        k++;
    }
    *out = t;
    *n = k;
    return 0;
}

static void totals_unknown_latency(pb_report_totals *t)
{
    t->min_ms = t->mean_ms = t->p50_ms = t->p90_ms = t->p99_ms = t->p999_ms = t->max_ms = NAN;
    t->cp50_ms = t->cp99_ms = NAN;
}

static void totals_derive(pb_report_totals *t)
{
    t->requests = 0;
    t->failed = 0;
    for (int o = 0; o < PB_OUTCOME_COUNT; o++) {
        t->requests += t->outcomes[o];
        if (pb_outcome_is_failure((pb_outcome)o))
            t->failed += t->outcomes[o];
    }
    t->sent = t->requests - t->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] -
              t->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE];
    t->error_pct = t->sent > 0 ? 100.0 * (double)t->failed / (double)t->sent : 0.0;
}

/* Totals and thresholds from runs.summary_json; false when it is not usable. */
static bool totals_from_summary(struct loader *L, pb_report_run *r)
{
    json_error_t jerr;
    json_t *root = json_loads(r->summary_json, 0, &jerr);
    if (!json_is_object(root)) {
        warn(L->d, "run %" PRId64 ": summary_json is not a JSON object (%s); totals computed "
                   "from the per-second rollup", r->id, jerr.text);
        json_decref(root);
        return false;
    }
    pb_report_totals *t = &r->totals;
    totals_unknown_latency(t);
    json_t *oc = json_object_get(root, "outcomes");
    for (int o = 0; o < PB_OUTCOME_COUNT; o++) {
        t->outcomes[o] = json_count(oc, pb_outcome_name((pb_outcome)o));
        if (t->outcomes[o] == 0)
            t->outcomes[o] = json_count(oc, pb_outcome_column((pb_outcome)o));
    }
    totals_derive(t);
    double req = json_num(root, "requests");
    if (isfinite(req) && req > (double)t->requests) /* no cast: a summary may say -12.5 */
        warn(L->d, "run %" PRId64 ": summary counts %.0f requests but its outcomes add up to %"
                   PRIu64, r->id, req, t->requests);
    t->duration_s = json_num(root, "duration_s");
    t->rps = json_num(root, "rps");
    if (!isfinite(t->rps) && isfinite(t->duration_s) && t->duration_s > 0)
        t->rps = (double)t->sent / t->duration_s;
    json_t *lat = json_object_get(root, "latency_us");
    t->min_ms = json_num(lat, "min") / 1e3;
    t->mean_ms = json_num(lat, "mean") / 1e3;
    t->p50_ms = json_num(lat, "p50") / 1e3;
    t->p90_ms = json_num(lat, "p90") / 1e3;
    t->p99_ms = json_num(lat, "p99") / 1e3;
    t->p999_ms = json_num(lat, "p999") / 1e3;
    t->max_ms = json_num(lat, "max") / 1e3;
    json_t *corr = json_object_get(root, "corrected_latency_us");
    t->cp50_ms = json_num(corr, "p50") / 1e3;
    t->cp99_ms = json_num(corr, "p99") / 1e3;
    json_t *pat = json_object_get(root, "pattern");
    t->retries = json_count(pat, "retries");
    t->lost = json_count(pat, "lost");
    t->cascaded = json_count(pat, "cascaded");
    t->limit_changes = json_count(pat, "limit_changes");
    t->writer_stalls = json_count(root, "writer_stalls");
    int rc = parse_thresholds(json_object_get(root, "thresholds"), &r->thresholds,
                              &r->n_thresholds);
    json_t *sent = json_object_get(root, "phase_sent");
    /* a run has at most PHASES_MAX phases, whatever a file says */
    size_t n_sent = json_array_size(sent) < PHASES_MAX ? json_array_size(sent) : PHASES_MAX;
    if (rc == 0 && json_is_array(sent) && n_sent > 0) {
        r->phase_sent = calloc(n_sent, sizeof(*r->phase_sent));
        if (r->phase_sent == NULL)
            rc = PB_ENOMEM;
        for (size_t i = 0; rc == 0 && i < n_sent; i++) {
            json_t *v = json_array_get(sent, i);
            r->phase_sent[i] = json_is_integer(v) && json_integer_value(v) > 0
                                   ? (uint64_t)json_integer_value(v)
                                   : 0;
        }
        if (rc == 0)
            r->n_phase_sent = n_sent;
    }
    json_decref(root);
    return rc == 0;
}

/* Whether a run's configuration says its stages were workers (a JSON text
 * that does not parse says nothing: a rate ramp, as runs before --ramp). */
static bool ramps_workers(const char *config_json)
{
    if (config_json == NULL)
        return false;
    json_t *root = json_loads(config_json, 0, NULL);
    const char *ramp = json_string_value(json_object_get(root, "ramp"));
    bool workers = ramp != NULL && strcmp(ramp, "concurrency") == 0;
    json_decref(root);
    return workers;
}

/* Append the runs the store gives (by id, or a compare's) to the page; the
 * strings move over. */
static int load_runs(struct loader *L, bool by_compare, int64_t id)
{
    pb_store_run *runs = NULL;
    size_t n = 0;
    int rc = pb_reader_runs(L->rd, by_compare, id, &runs, &n, L->err);
    pb_report_data *d = L->d;
    pb_report_run *more = rc == 0 && n > 0 ? realloc(d->runs, (d->n_runs + n) * sizeof(*more))
                                           : NULL;
    if (rc == 0 && n > 0 && more == NULL)
        rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory reading runs", L->path);
    if (more != NULL)
        d->runs = more;
    for (size_t i = 0; i < n && rc == 0; i++) {
        pb_store_run *s = &runs[i];
        pb_report_run *r = &d->runs[d->n_runs++];
        *r = (pb_report_run){
            .id = s->id,
            .compare_id = s->compare_id,
            .data_id = s->id,
            .label = s->label,
            .pattern = s->pattern,
            .target = s->target,
            .status = s->status,
            .host = s->host,
            .params_json = s->params_json,
            .config_json = s->config_json,
            .versions_json = s->versions_json,
            .summary_json = s->summary_json,
            .seed = s->seed,
            .started_at = s->started_at,
            .ended_at = s->ended_at,
            .duration_us = s->duration_us,
        };
        memset(s, 0, sizeof(*s)); /* moved */
        r->ramp_workers = ramps_workers(r->config_json);
        r->db_path = strdup(L->path);
        if (r->db_path == NULL)
            rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory reading runs", L->path);
        if (rc == 0 && r->label[0] == '\0') {
            /* the label defaults to the pattern name (docs/schema.md) */
            free(r->label);
            if ((r->label = strdup(r->pattern)) == NULL)
                rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory reading runs", L->path);
        }
    }
    for (size_t i = 0; i < n; i++)
        pb_store_run_cleanup(&runs[i]);
    free(runs);
    return rc;
}

/* span_s and seconds_rows of each run. */
static int load_spans(struct loader *L)
{
    int rc = 0;
    for (size_t i = L->first; i < L->end && rc == 0; i++) {
        pb_report_run *r = &L->d->runs[i];
        rc = pb_reader_span(L->rd, r->id, &r->seconds_rows, &r->span_s, L->err);
        if (rc == 0 && r->span_s > L->d->span_s)
            L->d->span_s = r->span_s;
    }
    return rc;
}

/* Breaker states ranked by how bad they are, so a bucket shows its worst:
 * none 0, closed 1, half_open 2, open 3. */
static int breaker_severity(int64_t state)
{
    switch (state) {
    case PB_BREAKER_OPEN:
        return 3;
    case PB_BREAKER_HALF_OPEN:
        return 2;
    case PB_BREAKER_CLOSED:
        return 1;
    default:
        return 0;
    }
}

/* The sums of one bucket of the rollup while its seconds go by. */
struct bucket {
    uint64_t index, seconds, last_sec;
    double count, outcomes[PB_OUTCOME_COUNT], retries, lost, cascaded;
    int64_t p50_sum, p50_sent, p90_sum, p90_sent;
    bool p50_any, p90_any;
    double p99, max; /* NaN until a second has one */
    double lim_sum, in_flight_sum, queue_sum, queue_max, target_sum;
    uint64_t lim_n, in_flight_n, queue_n, target_n;
    int severity;
    int64_t phase; /* -1 until a second has one */
};

/* A mock phase change seen in the rollup's phase column. */
struct phase_change {
    double t_s;
    int index;
};

/* Everything one walk over a run's seconds builds. */
struct series {
    struct loader *L;
    pb_report_run *r;
    uint64_t bucket_s;
    size_t cap; /* points at most */
    double last_frac;
    struct bucket b;
    bool open;
    uint64_t corrupt, first_bad;
    size_t phases_cap; /* of r->phases */
    /* phases from the rollup, for a run without phase events */
    bool want_phases, prev_known;
    int64_t prev_phase;
    /* the last phase a second was marked with: a second without a mark (the
     * tail a resume wrote from a killed process's rows) counts there, and
     * seconds before the first mark in phase 0 */
    size_t last_phase;
    struct phase_change *changes;
    size_t n_changes;
    /* attempts sent per phase index, for a run whose summary does not say */
    uint64_t *phase_sent;
    size_t n_phase_sent;
    pb_run_health_build health;
};

/* Changes of phase kept at most. */
#define MAX_PHASE_CHANGES 1000

static double ms_or_nan(bool any, int64_t sum, int64_t weight)
{
    /* integer microseconds, as the stored percentiles are */
    return any && weight != 0 ? (double)(sum / weight) / 1e3 : NAN;
}

/* Close the bucket into the next point. Latency percentiles of a bucket:
 * p50/p90 averaged weighted by requests sent, p99 and max the bucket's
 * maxima (a spike must not be averaged away). */
static void close_bucket(struct series *S)
{
    static const int severity_to_state[] = {PB_BREAKER_NONE, PB_BREAKER_CLOSED,
                                            PB_BREAKER_HALF_OPEN, PB_BREAKER_OPEN};
    pb_report_run *r = S->r;
    const struct bucket *b = &S->b;
    S->open = false;
    if (r->n_points >= S->cap)
        return;
    pb_report_point *p = &r->points[r->n_points++];
    p->t_s = (double)b->index * (double)S->bucket_s;
    p->width_s = (double)b->seconds;
    /* the last second is partial: the run's measured length says how much */
    if (b->last_sec + 1 == r->span_s)
        p->width_s -= 1.0 - S->last_frac;
    p->count = b->count;
    memcpy(p->outcomes, b->outcomes, sizeof(p->outcomes));
    p->retries = b->retries;
    p->lost = b->lost;
    p->cascaded = b->cascaded;
    p->p50_ms = ms_or_nan(b->p50_any, b->p50_sum, b->p50_sent);
    p->p90_ms = ms_or_nan(b->p90_any, b->p90_sum, b->p90_sent);
    p->p99_ms = b->p99 / 1e3;
    p->max_ms = b->max / 1e3;
    /* a state no second of the bucket knows reads as 0 */
    p->lim = b->lim_n > 0 ? b->lim_sum / (double)b->lim_n : 0.0;
    p->in_flight = b->in_flight_n > 0 ? b->in_flight_sum / (double)b->in_flight_n : 0.0;
    p->queue = b->queue_n > 0 ? b->queue_sum / (double)b->queue_n : 0.0;
    p->queue_max = b->queue_max;
    p->target = b->target_n > 0 ? b->target_sum / (double)b->target_n : NAN;
    p->breaker = severity_to_state[b->severity];
    p->phase = (int)b->phase;
}

static int64_t sent_of(const pb_second_row *row)
{
    return (int64_t)row->count - (int64_t)row->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] -
           (int64_t)row->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE];
}

static void add_to_bucket(struct series *S, const pb_second_row *row)
{
    uint64_t index = row->sec / S->bucket_s;
    if (S->open && index != S->b.index)
        close_bucket(S);
    struct bucket *b = &S->b;
    if (!S->open) {
        *b = (struct bucket){.index = index, .p99 = NAN, .max = NAN, .phase = -1};
        S->open = true;
    }
    int64_t sent = sent_of(row);
    b->seconds++;
    b->last_sec = row->sec;
    b->count += (double)row->count;
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        b->outcomes[o] += (double)row->outcomes[o];
    b->retries += (double)row->retries;
    b->lost += (double)row->lost;
    b->cascaded += (double)row->cascaded;
    if (PB_SECOND_KNOWN(row, p50_us)) {
        b->p50_any = true;
        b->p50_sum += row->p50_us * sent;
        b->p50_sent += sent;
    }
    if (PB_SECOND_KNOWN(row, p90_us)) {
        b->p90_any = true;
        b->p90_sum += row->p90_us * sent;
        b->p90_sent += sent;
    }
    if (PB_SECOND_KNOWN(row, p99_us))
        b->p99 = fmax(b->p99, (double)row->p99_us); /* fmax ignores NaN */
    if (PB_SECOND_KNOWN(row, max_us))
        b->max = fmax(b->max, (double)row->max_us);
    if (PB_SECOND_KNOWN(row, lim)) {
        b->lim_sum += (double)row->lim;
        b->lim_n++;
    }
    if (PB_SECOND_KNOWN(row, in_flight)) {
        b->in_flight_sum += (double)row->in_flight;
        b->in_flight_n++;
    }
    if (PB_SECOND_KNOWN(row, queue)) {
        b->queue_sum += (double)row->queue;
        b->queue_n++;
        b->queue_max = fmax(b->queue_max, (double)row->queue);
    }
    if (PB_SECOND_KNOWN(row, ramp_target)) {
        b->target_sum += row->ramp_target;
        b->target_n++;
    }
    int sev = PB_SECOND_KNOWN(row, breaker) ? breaker_severity(row->breaker) : 0;
    if (sev > b->severity)
        b->severity = sev;
    if (PB_SECOND_KNOWN(row, phase) && row->phase > b->phase)
        b->phase = row->phase;
}

/* One second of the run into the points, the merged histogram, the phases,
 * the sends per phase and the health. */
static int on_second(void *data, const pb_second_row *row)
{
    struct series *S = data;
    pb_report_run *r = S->r;
    if (S->cap > 0)
        add_to_bucket(S, row);
    if (PB_SECOND_KNOWN(row, hist)) {
        if (r->hist == NULL && pb_hist_create_latency(&r->hist) != 0)
            return out_of_memory(S->L);
        if (row->hist.len > 0 && pb_hist_decode_add(r->hist, row->hist.data, row->hist.len) != 0 &&
            S->corrupt++ == 0)
            S->first_bad = row->sec;
    }
    bool phase_known = PB_SECOND_KNOWN(row, phase);
    /* an index no run can have (a hostile or damaged file) is no phase */
    phase_known = phase_known && row->phase >= 0 && row->phase < PHASES_MAX;
    if (S->want_phases && phase_known && (!S->prev_known || S->prev_phase != row->phase) &&
        S->n_changes < MAX_PHASE_CHANGES)
        S->changes[S->n_changes++] = (struct phase_change){(double)row->sec, (int)row->phase};
    S->prev_known = phase_known;
    S->prev_phase = row->phase;
    if (phase_known)
        S->last_phase = (size_t)row->phase;
    size_t index = S->last_phase;
    if (index >= S->n_phase_sent) {
        uint64_t *np = realloc(S->phase_sent, (index + 1) * sizeof(*np));
        if (np == NULL)
            return out_of_memory(S->L);
        memset(np + S->n_phase_sent, 0, (index + 1 - S->n_phase_sent) * sizeof(*np));
        S->phase_sent = np;
        S->n_phase_sent = index + 1;
    }
    S->phase_sent[index] += (uint64_t)sent_of(row);
    pb_run_health_add(&S->health, row);
    return 0;
}

/* Totals from the rollup, for a run without a usable summary (running or killed). */
static void totals_from_rollup(pb_report_run *r)
{
    pb_report_totals *t = &r->totals;
    memset(t->outcomes, 0, sizeof(t->outcomes));
    totals_unknown_latency(t);
    t->from_rollup = true;
    t->retries = t->lost = t->cascaded = 0;
    double seconds = 0.0, p99 = NAN, max = NAN;
    for (size_t i = 0; i < r->n_points; i++) {
        const pb_report_point *p = &r->points[i];
        for (int o = 0; o < PB_OUTCOME_COUNT; o++)
            t->outcomes[o] += (uint64_t)p->outcomes[o];
        t->retries += (uint64_t)p->retries;
        t->lost += (uint64_t)p->lost;
        t->cascaded += (uint64_t)p->cascaded;
        seconds += p->width_s;
        p99 = fmax(p99, p->p99_ms); /* fmax ignores NaN */
        max = fmax(max, p->max_ms);
    }
    totals_derive(t);
    t->duration_s = r->duration_us >= 0 ? (double)r->duration_us / 1e6 : seconds;
    t->rps = t->duration_s > 0 ? (double)t->sent / t->duration_s : 0.0;
    if (r->hist != NULL && pb_hist_count(r->hist) > 0) {
        t->min_ms = (double)pb_hist_min(r->hist) / 1e3;
        t->mean_ms = pb_hist_mean(r->hist) / 1e3;
        t->p50_ms = (double)pb_hist_percentile(r->hist, 50.0) / 1e3;
        t->p90_ms = (double)pb_hist_percentile(r->hist, 90.0) / 1e3;
        t->p99_ms = (double)pb_hist_percentile(r->hist, 99.0) / 1e3;
        t->p999_ms = (double)pb_hist_percentile(r->hist, 99.9) / 1e3;
        t->max_ms = (double)pb_hist_max(r->hist) / 1e3;
    } else {
        /* without histograms only bounds are known: the worst second's p99 and max */
        t->p99_ms = p99;
        t->max_ms = max;
    }
}

/* Append a phase span, merging a repeat of the phase that is already open. */
static int add_phase(pb_report_run *r, size_t *cap, double start, int index, const char *name)
{
    if (r->n_phases > 0 && r->phases[r->n_phases - 1].index == index)
        return 0;
    if (r->n_phases == *cap) {
        size_t ncap = *cap == 0 ? 8 : *cap * 2;
        pb_report_phase *np = realloc(r->phases, ncap * sizeof(*np));
        if (np == NULL)
            return PB_ENOMEM;
        r->phases = np;
        *cap = ncap;
    }
    char fallback[32];
    if (name == NULL || name[0] == '\0') {
        snprintf(fallback, sizeof(fallback), index == 0 ? "base" : "phase %d", index);
        name = fallback;
    }
    pb_report_phase *p = &r->phases[r->n_phases];
    p->name = strdup(name);
    if (p->name == NULL)
        return PB_ENOMEM;
    p->start_s = start;
    p->index = index;
    r->n_phases++;
    return 0;
}

static int on_phase_event(void *data, const pb_store_event *ev)
{
    struct series *S = data;
    if (ev->has_to && (ev->to < 0 || ev->to >= PHASES_MAX))
        return 0; /* no run has that phase: a hostile or damaged file */
    int index = ev->has_to ? (int)ev->to : 0;
    if (add_phase(S->r, &S->phases_cap, (double)ev->t_us / 1e6, index, ev->detail) != 0)
        return out_of_memory(S->L);
    return 0;
}

/* A list of events of one kind being loaded. */
struct event_list {
    struct loader *L;
    pb_report_events *ev;
    size_t cap;
};

/* Returned by on_event to stop at the most a chart draws one by one. */
#define EVENTS_ENOUGH 1

static int on_event(void *data, const pb_store_event *e)
{
    struct event_list *l = data;
    pb_report_events *ev = l->ev;
    if (ev->n == PB_REPORT_MAX_EVENTS) {
        ev->truncated = true;
        return EVENTS_ENOUGH;
    }
    if (ev->n == l->cap) {
        size_t ncap = l->cap == 0 ? 64 : l->cap * 2;
        pb_report_event *ni = realloc(ev->items, ncap * sizeof(*ni));
        if (ni == NULL)
            return out_of_memory(l->L);
        ev->items = ni;
        l->cap = ncap;
    }
    ev->items[ev->n++] = (pb_report_event){
        .t_s = (double)e->t_us / 1e6,
        .from = e->has_from ? e->from : 0,
        .to = e->has_to ? e->to : 0,
        .value = e->has_value ? e->value : NAN,
    };
    return 0;
}

/* Breaker and limit events, while there are few enough to draw one by one,
 * and the resumes of a run whose process died (run --resume). */
static int load_events(struct loader *L, pb_report_run *r)
{
    static const pb_event_kind kinds[PB_REPORT_EV_KINDS] = {
        [PB_REPORT_EV_BREAKER] = PB_EVENT_BREAKER_STATE,
        [PB_REPORT_EV_LIMIT] = PB_EVENT_LIMIT_CHANGE,
        [PB_REPORT_EV_RESUME] = PB_EVENT_RESUME,
    };
    int rc = 0;
    for (int k = 0; k < PB_REPORT_EV_KINDS && rc == 0; k++) {
        struct event_list l = {.L = L, .ev = &r->events[k]};
        rc = pb_reader_events(L->rd, r->id, kinds[k], PB_REPORT_MAX_EVENTS + 1, on_event, &l,
                              L->err);
        if (rc == EVENTS_ENOUGH)
            rc = 0;
    }
    return rc;
}

/* Everything plotted and totalled of one run, bucketed by d->bucket_s: its
 * phase events, then one walk over its seconds. */
static int load_run_series(struct loader *L, pb_report_run *r)
{
    uint64_t bucket = L->d->bucket_s;
    struct series S = {.L = L, .r = r, .bucket_s = bucket, .last_frac = 1.0};
    S.cap = (size_t)(r->span_s / bucket + 1);
    if (r->seconds_rows < S.cap)
        S.cap = (size_t)r->seconds_rows;
    if (S.cap > 0 && (r->points = calloc(S.cap, sizeof(*r->points))) == NULL)
        return out_of_memory(L);
    if (r->duration_us >= 0 && r->span_s > 0) {
        S.last_frac = (double)r->duration_us / 1e6 - (double)(r->span_s - 1);
        if (S.last_frac <= 0.0 || S.last_frac > 1.0)
            S.last_frac = 1.0;
    }
    /* the harness's figures and drift over the run's whole seconds (the last,
     * partial one left out; a run without a length, its last row) */
    uint64_t whole = r->duration_us >= 0 ? (uint64_t)r->duration_us / 1000000
                     : r->span_s > 0      ? r->span_s - 1
                                          : 0;
    /* the stored seconds bound the work, whatever duration the file claims */
    if (whole > r->span_s)
        whole = r->span_s;
    int rc = pb_run_health_start(&S.health, &r->health, r->summary_json, r->config_json, whole,
                                 L->path, L->err);
    if (rc != 0)
        return rc;
    /* mock phases from the 'phase' events, or, when a run has none, from the
     * rollup's phase column; each span ends where the next begins */
    rc = pb_reader_events(L->rd, r->id, PB_EVENT_PHASE, MAX_PHASE_CHANGES, on_phase_event, &S,
                          L->err);
    S.want_phases = rc == 0 && r->n_phases == 0;
    if (S.want_phases && (S.changes = malloc(MAX_PHASE_CHANGES * sizeof(*S.changes))) == NULL)
        rc = out_of_memory(L);
    if (rc == 0)
        rc = pb_reader_seconds(L->rd, r->id, on_second, &S, L->err);
    if (rc == 0 && S.open)
        close_bucket(&S);
    pb_run_health_finish(&S.health);
    if (rc == 0 && S.corrupt > 0)
        warn(L->d,
             "run %" PRId64 ": %" PRIu64 " corrupt latency histogram(s) in the seconds "
             "table skipped (first at second %" PRIu64 ")",
             r->id, S.corrupt, S.first_bad);
    for (size_t i = 0; rc == 0 && S.want_phases && i < S.n_changes; i++)
        if (add_phase(r, &S.phases_cap, S.changes[i].t_s, S.changes[i].index, NULL) != 0)
            rc = out_of_memory(L);
    double end = r->duration_us >= 0 ? (double)r->duration_us / 1e6 : (double)r->span_s;
    for (size_t i = 0; i < r->n_phases; i++)
        r->phases[i].end_s = i + 1 < r->n_phases ? r->phases[i + 1].start_s : end;
    if (rc == 0)
        rc = load_events(L, r);
    if (rc == 0 && (r->summary_json == NULL || !totals_from_summary(L, r)))
        totals_from_rollup(r);
    /* attempts sent per mock phase from the rollup, for a run without a
     * summary that says so (a killed run, or one written before summaries held
     * it) and for a resumed one, whose summary's mock saw only the last process */
    const pb_report_events *resumes = &r->events[PB_REPORT_EV_RESUME];
    bool resumed = resumes->n > 0 || resumes->truncated;
    if (rc == 0 && (r->phase_sent == NULL || resumed) && r->n_phases >= 2) {
        free(r->phase_sent);
        r->phase_sent = S.phase_sent;
        r->n_phase_sent = S.n_phase_sent;
        r->phase_sent_from_rollup = true;
        S.phase_sent = NULL;
    }
    free(S.phase_sent);
    free(S.changes);
    return rc;
}

static int load_compare(struct loader *L, int64_t id)
{
    pb_store_compare c;
    int rc = pb_reader_compare(L->rd, id, &c, L->err);
    if (rc != 0)
        return rc;
    pb_report_data *d = L->d;
    d->is_compare = true;
    d->compare_id = id;
    d->title = c.title;
    d->scenario_path = c.scenario_path;
    d->scenario_json = c.scenario_json;
    d->compare_status = c.status;
    d->compare_seed = c.seed;
    d->compare_started_at = c.started_at;
    d->compare_ended_at = c.ended_at;
    c.title = c.scenario_path = c.scenario_json = c.status = NULL; /* moved */
    if (c.thresholds_json != NULL) {
        json_error_t jerr;
        json_t *root = json_loads(c.thresholds_json, 0, &jerr);
        if (!json_is_array(root))
            warn(d, "compare %" PRId64 ": thresholds_json is not a JSON array (%s)", id,
                 jerr.text);
        else if (parse_thresholds(root, &d->thresholds, &d->n_thresholds) != 0)
            rc = out_of_memory(L);
        json_decref(root);
    }
    pb_store_compare_cleanup(&c);
    return rc;
}

/* The compare stores every run's verdicts again, each with the run's label
 * (harness/cli/cmd_compare.c); a run's summary holds its own. Keep each
 * verdict once: with its run when that run's summary holds it. */
static void drop_repeated_thresholds(pb_report_data *d)
{
    size_t k = 0;
    for (size_t i = 0; i < d->n_thresholds; i++) {
        pb_report_threshold *t = &d->thresholds[i];
        bool repeated = false;
        for (size_t r = 0; t->label != NULL && r < d->n_runs && !repeated; r++) {
            const pb_report_run *run = &d->runs[r];
            if (strcmp(run->label, t->label) != 0)
                continue;
            for (size_t j = 0; j < run->n_thresholds && !repeated; j++)
                repeated = strcmp(run->thresholds[j].expr, t->expr) == 0;
        }
        if (repeated) {
            free(t->expr);
            free(t->label);
        } else {
            d->thresholds[k++] = *t;
        }
    }
    d->n_thresholds = k;
}

/* The runs of a list, in the order given; the ids the database does not hold
 * are named together in one error. */
static int load_listed_runs(struct loader *L, const int64_t *ids, size_t n)
{
    char missing[200] = "";
    size_t n_missing = 0, len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = L->d->n_runs;
        int rc = load_runs(L, false, ids[i]);
        if (rc != 0)
            return rc;
        if (L->d->n_runs > before)
            continue;
        if (len < sizeof(missing)) {
            int w = snprintf(missing + len, sizeof(missing) - len, "%s%" PRId64,
                             n_missing > 0 ? ", " : "", ids[i]);
            len = w < 0 ? sizeof(missing) : len + (size_t)w;
        }
        n_missing++;
    }
    if (n_missing > 0)
        return pb_err_set(L->err, PB_ENOENT, "%s: no run%s with id%s %s", L->path,
                          n_missing > 1 ? "s" : "", n_missing > 1 ? "s" : "", missing);
    return 0;
}

/* Open the source's database and read which runs it gives: their rows and
 * spans. The reader stays open for load_series. */
static int open_source(struct loader *L, const pb_report_source *src)
{
    int rc = pb_reader_open(L->path, &L->rd, L->err);
    if (rc != 0)
        return rc;
    L->d->schema_version = pb_reader_version(L->rd);
    pb_report_pick pick = src->pick;
    int64_t id = src->id;
    if (pick == PB_REPORT_LAST) {
        int64_t run_id, compare_id;
        rc = pb_reader_last(L->rd, &run_id, &compare_id, L->err);
        if (rc != 0)
            return rc;
        pick = compare_id != 0 ? PB_REPORT_COMPARE : PB_REPORT_RUN;
        id = compare_id != 0 ? compare_id : run_id;
    }
    L->first = L->d->n_runs;
    if (pick == PB_REPORT_COMPARE) {
        /* a page of runs from several places has no one compare to describe */
        if (!L->d->is_cross)
            rc = load_compare(L, id);
        if (rc == 0)
            rc = load_runs(L, true, id);
        if (rc == 0 && L->d->n_runs == L->first)
            rc = pb_err_set(L->err, PB_ENOENT, "%s: compare %" PRId64 " has no runs yet",
                            L->path, id);
    } else if (pick == PB_REPORT_RUNS) {
        rc = load_listed_runs(L, src->ids, src->n_ids);
    } else {
        rc = load_runs(L, false, id);
        if (rc == 0 && L->d->n_runs == L->first)
            rc = pb_err_set(L->err, PB_ENOENT, "%s: no run with id %" PRId64, L->path, id);
    }
    L->end = L->d->n_runs;
    /* a run without its final summary (killed, or still running) has
     * committed rows its rollup has not counted yet: the store counts them */
    for (size_t i = L->first; i < L->end && rc == 0; i++) {
        pb_report_run *r = &L->d->runs[i];
        uint64_t tail = 0;
        if (r->summary_json != NULL)
            continue;
        rc = pb_reader_complete_tail(L->rd, r->id, &tail, L->err);
        if (rc == 0 && tail > 0)
            warn(L->d,
                 "run %" PRId64 " has no final summary (killed, or still running): its last %" PRIu64
                 " requests, which its per-second rollup had not counted yet, were counted from "
                 "the request rows",
                 r->id, tail);
    }
    if (rc == 0)
        rc = load_spans(L);
    return rc;
}

/* Everything plotted and totalled of the source's runs, bucketed by d->bucket_s. */
static int load_series(struct loader *L)
{
    int rc = 0;
    for (size_t i = L->first; i < L->end && rc == 0; i++)
        rc = load_run_series(L, &L->d->runs[i]);
    return rc;
}

/* Close the source's reader; rc is the load's result so far. */
static int close_source(struct loader *L, int rc)
{
    pb_reader_close(L->rd);
    L->rd = NULL;
    return rc;
}

/* The file name a page calls a database by: its base name, or the path as
 * given when another database on the page has the same base name. */
static const char *database_name(const pb_report_data *d, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    for (size_t i = 0; i < d->n_runs; i++) {
        const char *other = d->runs[i].db_path;
        const char *os = strrchr(other, '/');
        if (strcmp(other, path) != 0 && strcmp(os != NULL ? os + 1 : other, base) == 0)
            return path;
    }
    return base;
}

/* Labels that several runs share get what tells them apart: the database
 * when they come from different files, the run id when one file holds two
 * of them ("queue (A.db)", "queue (run 7)", "queue (A.db, run 7)"). */
static int tell_labels_apart(pb_report_data *d)
{
    char **labels = calloc(d->n_runs, sizeof(*labels));
    if (labels == NULL)
        return PB_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < d->n_runs && rc == 0; i++) {
        const pb_report_run *r = &d->runs[i];
        bool shared = false, other_file = false, same_file = false;
        for (size_t k = 0; k < d->n_runs; k++) {
            const pb_report_run *o = &d->runs[k];
            if (strcmp(o->label, r->label) != 0)
                continue;
            bool same = strcmp(o->db_path, r->db_path) == 0;
            other_file = other_file || !same;
            if (k == i)
                continue;
            shared = true;
            same_file = same_file || same;
        }
        if (!shared)
            continue;
        char suffix[PATH_MAX + 48];
        int w;
        if (other_file && same_file)
            w = snprintf(suffix, sizeof(suffix), " (%s, run %" PRId64 ")",
                         database_name(d, r->db_path), r->id);
        else if (other_file)
            w = snprintf(suffix, sizeof(suffix), " (%s)", database_name(d, r->db_path));
        else
            w = snprintf(suffix, sizeof(suffix), " (run %" PRId64 ")", r->id);
        size_t n = strlen(r->label) + (size_t)(w > 0 ? w : 0) + 1;
        labels[i] = malloc(n);
        if (labels[i] == NULL)
            rc = PB_ENOMEM;
        else
            snprintf(labels[i], n, "%s%s", r->label, suffix);
    }
    for (size_t i = 0; i < d->n_runs; i++) {
        if (labels[i] == NULL)
            continue;
        free(d->runs[i].label);
        d->runs[i].label = labels[i];
    }
    free(labels);
    return rc;
}

/* What a page of runs that were not one compare needs: labels told apart,
 * data files that do not collide, and a title naming the runs. */
static int describe_cross(pb_report_data *d, pb_err *err)
{
    d->is_compare = true;
    bool ids_shared = false;
    for (size_t i = 0; i < d->n_runs; i++)
        for (size_t k = i + 1; k < d->n_runs; k++)
            ids_shared = ids_shared || d->runs[i].id == d->runs[k].id;
    /* runs of different databases share an id: number their files by place */
    for (size_t i = 0; ids_shared && i < d->n_runs; i++)
        d->runs[i].data_id = (int64_t)i + 1;
    if (tell_labels_apart(d) != 0)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    /* the runs' labels, "queue vs breaker vs adaptive"; many runs are counted */
    size_t len = 1;
    for (size_t i = 0; i < d->n_runs; i++)
        len += strlen(d->runs[i].label) + 4;
    d->title = malloc(len < 64 ? 64 : len);
    d->scenario_path = strdup("");
    d->compare_status = strdup("");
    if (d->title == NULL || d->scenario_path == NULL || d->compare_status == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    if (d->n_runs > 4) {
        snprintf(d->title, 64, "%zu runs side by side", d->n_runs);
        return 0;
    }
    d->title[0] = '\0';
    for (size_t i = 0; i < d->n_runs; i++) {
        if (i > 0)
            strcat(d->title, " vs ");
        strcat(d->title, d->runs[i].label);
    }
    return 0;
}

int pb_report_data_load_sources(const pb_report_source *src, size_t n, pb_report_data **out,
                                pb_err *err)
{
    assert(n > 0);
    *out = NULL;
    pb_report_data *d = calloc(1, sizeof(*d));
    struct loader *L = calloc(n, sizeof(*L));
    if (d == NULL || L == NULL) {
        free(d);
        free(L);
        return pb_err_set(err, PB_ENOMEM, "%s: out of memory", src[0].db_path);
    }
    d->is_cross = n > 1 || src[0].pick == PB_REPORT_RUNS;
    for (size_t k = 0; k < n; k++) {
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = strcmp(src[j].db_path, src[k].db_path) == 0;
        d->n_databases += !seen;
    }
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        L[k] = (struct loader){.path = src[k].db_path, .err = err, .d = d};
        rc = open_source(&L[k], &src[k]);
    }
    /* one bucket width for all runs keeps their curves comparable point by point */
    d->bucket_s = pb_report_bucket_seconds(d->span_s, PB_REPORT_MAX_POINTS);
    for (size_t k = 0; k < n && rc == 0; k++)
        rc = load_series(&L[k]);
    for (size_t i = 0; i < d->n_runs; i++) {
        pb_report_totals *t = &d->runs[i].totals;
        t->ok_rps = isfinite(t->duration_s) && t->duration_s > 0
                        ? (double)t->outcomes[PB_OUTCOME_OK] / t->duration_s
                        : NAN;
        uint64_t delivered =
            t->outcomes[PB_OUTCOME_OK] > t->cascaded ? t->outcomes[PB_OUTCOME_OK] - t->cascaded : 0;
        t->delivered_ok_rps =
            isfinite(t->duration_s) && t->duration_s > 0 ? (double)delivered / t->duration_s : NAN;
    }
    if (rc == 0)
        drop_repeated_thresholds(d);
    if (rc == 0 && d->is_cross)
        rc = describe_cross(d, err);
    for (size_t k = 0; k < n; k++)
        rc = close_source(&L[k], rc);
    free(L);
    if (rc != 0) {
        pb_report_data_destroy(d);
        return rc;
    }
    *out = d;
    return 0;
}

int pb_report_data_load(const char *db_path, pb_report_pick pick, int64_t id,
                        pb_report_data **out, pb_err *err)
{
    const pb_report_source src = {.db_path = db_path, .pick = pick, .id = id};
    return pb_report_data_load_sources(&src, 1, out, err);
}

static void free_thresholds(pb_report_threshold *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].expr);
        free(t[i].label);
    }
    free(t);
}

void pb_report_data_destroy(pb_report_data *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_runs; i++) {
        pb_report_run *r = &d->runs[i];
        free(r->db_path);
        free(r->label);
        free(r->pattern);
        free(r->target);
        free(r->status);
        free(r->host);
        free(r->params_json);
        free(r->config_json);
        free(r->versions_json);
        free(r->summary_json);
        free_thresholds(r->thresholds, r->n_thresholds);
        free(r->points);
        for (size_t k = 0; k < r->n_phases; k++)
            free(r->phases[k].name);
        free(r->phases);
        free(r->phase_sent);
        for (int k = 0; k < PB_REPORT_EV_KINDS; k++)
            free(r->events[k].items);
        pb_hist_destroy(r->hist);
    }
    free(d->runs);
    free(d->title);
    free(d->scenario_path);
    free(d->scenario_json);
    free(d->compare_status);
    free_thresholds(d->thresholds, d->n_thresholds);
    free(d);
}

bool pb_report_data_any_lost(const pb_report_data *d)
{
    for (size_t i = 0; i < d->n_runs; i++)
        if (d->runs[i].totals.lost > 0)
            return true;
    return false;
}
