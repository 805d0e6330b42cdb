#include "live_page.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock_vocab.h"
#include "vocabulary.h"

/* Everything but the label and pattern fits in this many bytes with room to
 * spare: about 60 numbers of at most 20 digits, and their names. */
#define JSON_FIXED 8192

/* A text whose bound is reserved up front: a put that does not fit is an
 * internal bug, which leaves the text failed rather than cut. */
struct json {
    char *p;
    size_t len, cap;
    bool failed;
};

static void put(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct json *j, const char *fmt, ...)
{
    if (j->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(j->p + j->len, j->cap - j->len, fmt, ap);
    va_end(ap);
    assert(n >= 0 && (size_t)n < j->cap - j->len);
    if (n < 0 || (size_t)n >= j->cap - j->len)
        j->failed = true;
    else
        j->len += (size_t)n;
}

/* A JSON string: quote, backslash and control bytes escaped (at most six
 * bytes out for one in, which the caller reserved). */
static void put_string(struct json *j, const char *s)
{
    put(j, "\"");
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            put(j, "\\%c", c);
        else if (c < 0x20)
            put(j, "\\u%04x", c);
        else
            put(j, "%c", c);
    }
    put(j, "\"");
}

static const char *breaker_name(pb_breaker_state s)
{
    switch (s) {
#define BREAKER_NAME(name, value, text)                                                            \
    case PB_BREAKER_##name:                                                                        \
        return text;
        PB_BREAKER_STATE_MAP(BREAKER_NAME)
#undef BREAKER_NAME
    }
    return "none";
}

static void put_hist(struct json *j, const char *name, const pb_metrics_hist *h)
{
    put(j, ",\"%s\":[", name);
    for (int k = 0; k < PB_METRICS_BUCKETS; k++)
        put(j, "%s%" PRIu64, k > 0 ? "," : "", h->le[k]);
    put(j, ",%" PRIu64 "]", h->count);
}

static void put_run(struct json *j, const pb_metrics_run *r)
{
    uint64_t requests = 0;
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        requests += r->outcomes[o];
    put(j, "{\"run_id\":%" PRId64 ",\"label\":", r->run_id);
    put_string(j, r->label);
    put(j, ",\"pattern\":");
    put_string(j, r->pattern);
    put(j, ",\"finished\":%s,\"elapsed_us\":%" PRIu64 ",\"requests\":%" PRIu64 ",\"outcomes\":{",
        r->finished ? "true" : "false", r->elapsed, requests);
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        put(j, "%s\"%s\":%" PRIu64, o > 0 ? "," : "", pb_outcome_name((pb_outcome)o),
            r->outcomes[o]);
    put(j, "},\"p50_us\":%" PRIu64 ",\"p99_us\":%" PRIu64, r->p50, r->p99);
    put_hist(j, "service_le", &r->service);
    put(j,
        ",\"in_flight\":%" PRIu64 ",\"limit\":%" PRIu64 ",\"queue_depth\":%" PRIu64
        ",\"breaker\":\"%s\",\"rejected\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"retries\":%" PRIu64
        ",\"phase\":",
        r->in_flight, r->limit, r->queue_depth, breaker_name(r->breaker), r->rejected, r->dropped,
        r->retries);
    if (r->has_mock)
        put(j, "%" PRIu64, r->phase);
    else
        put(j, "null");
    put(j, ",\"loop_lag_us\":%" PRIu64 ",\"rows_written\":", r->loop_lag);
    if (r->recording)
        put(j, "%" PRIu64, r->rows_written);
    else
        put(j, "null");
    put(j, "}");
}

/* ---- the run's page ---- */

static const uint64_t bucket_us[PB_METRICS_BUCKETS] = {
#define BUCKET_US(us, le) us,
    PB_METRICS_BUCKET_MAP(BUCKET_US)
#undef BUCKET_US
};

/* A run's point: the outcomes' counts, the service histogram's counts at
 * each bound and in all (each of the span), the process's CPU over the span,
 * then the gauges at its end. */
enum {
    RUN_OUTCOMES = 0,
    RUN_BUCKETS = RUN_OUTCOMES + PB_OUTCOME_COUNT,
    RUN_ANSWERED = RUN_BUCKETS + PB_METRICS_BUCKETS,
    RUN_CPU_US,
    RUN_IN_FLIGHT,
    RUN_LIMIT,
    RUN_QUEUE,
    RUN_LAG_US,
    RUN_PHASE,
    RUN_VALUES
};
_Static_assert(RUN_VALUES <= PB_LIVE_VALUES, "a run's point fits PB_LIVE_VALUES");

static const pb_live_merge run_rules[RUN_VALUES] = {
    [RUN_OUTCOMES... RUN_CPU_US] = PB_LIVE_SUM,
    [RUN_IN_FLIGHT... RUN_QUEUE] = PB_LIVE_LAST,
    [RUN_LAG_US] = PB_LIVE_MAX,
    [RUN_PHASE] = PB_LIVE_MAX,
};

/* The run's series, in chart order. */
enum {
    RS_RATE,
    RS_GOODPUT,
    RS_SHARES,
    RS_P50 = RS_SHARES + PB_OUTCOME_COUNT,
    RS_P99,
    RS_LIMIT,
    RS_QUEUE,
    RS_IN_FLIGHT,
    RS_CPU,
    RS_LAG,
    RS_COUNT
};

static const char *const run_names[RS_COUNT] = {
    "attempts/s",
    "goodput/s",
#define OUTCOME_TITLE(name, title, colour) title,
    PB_OUTCOME_STYLE_MAP(OUTCOME_TITLE)
#undef OUTCOME_TITLE
        "p50",
    "p99",
    "limit",
    "queue depth",
    "in flight",
    "CPU %",
    "loop lag ms",
};

static const char *const run_colours[RS_COUNT] = {
    "#0072B2",
    "#009E73",
#define OUTCOME_COLOUR(name, title, colour) colour,
    PB_OUTCOME_STYLE_MAP(OUTCOME_COLOUR)
#undef OUTCOME_COLOUR
        "#0072B2",
    "#D55E00",
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#0072B2",
    "#D55E00",
};

static const pb_live_chart run_charts[] = {
    {"attempts/s and goodput/s", false, RS_RATE, 2},
    {"unserved share by outcome (%)", true, RS_SHARES, PB_OUTCOME_COUNT},
    {"latency this second (ms, from the histogram buckets)", false, RS_P50, 2},
    {"pattern state", false, RS_LIMIT, 3},
    {"harness", false, RS_CPU, 2},
};

/* The value below which a share q of the point's answers fall, in ms, by
 * linear interpolation inside the bucket that holds it (as Prometheus's
 * histogram_quantile does); NAN when nothing was answered. */
static double quantile_ms(const pb_live_point *p, double q)
{
    const uint64_t *le = &p->v[RUN_BUCKETS];
    uint64_t total = p->v[RUN_ANSWERED];
    if (total == 0)
        return NAN;
    double rank = q * (double)total;
    for (int k = 0; k < PB_METRICS_BUCKETS; k++)
        if ((double)le[k] >= rank) {
            double lo = k > 0 ? (double)bucket_us[k - 1] : 0;
            double below = k > 0 ? (double)le[k - 1] : 0;
            double in = (double)le[k] - below;
            double at = in > 0 ? (rank - below) / in : 1;
            return (lo + ((double)bucket_us[k] - lo) * at) / 1000;
        }
    /* beyond the last bound: the bound is all that is known */
    return (double)bucket_us[PB_METRICS_BUCKETS - 1] / 1000;
}

static void run_values(const pb_live_point *p, double *out, bool *shade)
{
    double secs = p->span > 0 ? (double)p->span / 1e6 : 1;
    uint64_t attempts = 0;
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        attempts += p->v[RUN_OUTCOMES + o];
    out[RS_RATE] = (double)attempts / secs;
    out[RS_GOODPUT] = (double)p->v[RUN_OUTCOMES + PB_OUTCOME_OK] / secs;
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        out[RS_SHARES + o] =
            attempts > 0 ? 100.0 * (double)p->v[RUN_OUTCOMES + o] / (double)attempts : 0;
    /* the chart is of the unserved: ok has no line there */
    out[RS_SHARES + PB_OUTCOME_OK] = NAN;
    out[RS_P50] = quantile_ms(p, 0.50);
    out[RS_P99] = quantile_ms(p, 0.99);
    out[RS_LIMIT] = (double)p->v[RUN_LIMIT];
    out[RS_QUEUE] = (double)p->v[RUN_QUEUE];
    out[RS_IN_FLIGHT] = (double)p->v[RUN_IN_FLIGHT];
    out[RS_CPU] = 100.0 * (double)p->v[RUN_CPU_US] / 1e6 / secs;
    out[RS_LAG] = (double)p->v[RUN_LAG_US] / 1000;
    *shade = p->v[RUN_PHASE] > 0;
}

const pb_live_source pb_live_run_source = {
    .rules = run_rules,
    .n_values = RUN_VALUES,
    .names = run_names,
    .colours = run_colours,
    .n_series = RS_COUNT,
    .charts = run_charts,
    .n_charts = sizeof(run_charts) / sizeof(run_charts[0]),
    .values = run_values,
};

/* now - was for a counter that a new snapshot never lowers; 0 if it did. */
static uint64_t grown(uint64_t now, uint64_t was)
{
    return now >= was ? now - was : 0;
}

void pb_live_run_point(const pb_metrics_run *was, double cpu_was, const pb_metrics_run *now,
                       double cpu_now, pb_live_point *out)
{
    memset(out, 0, sizeof(*out));
    out->end = now->elapsed;
    out->span = grown(now->elapsed, was->elapsed);
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        out->v[RUN_OUTCOMES + o] = grown(now->outcomes[o], was->outcomes[o]);
    for (int k = 0; k < PB_METRICS_BUCKETS; k++)
        out->v[RUN_BUCKETS + k] = grown(now->service.le[k], was->service.le[k]);
    out->v[RUN_ANSWERED] = grown(now->service.count, was->service.count);
    out->v[RUN_CPU_US] = cpu_now > cpu_was ? (uint64_t)llround((cpu_now - cpu_was) * 1e6) : 0;
    out->v[RUN_IN_FLIGHT] = now->in_flight;
    out->v[RUN_LIMIT] = now->limit;
    out->v[RUN_QUEUE] = now->queue_depth;
    out->v[RUN_LAG_US] = now->loop_lag;
    out->v[RUN_PHASE] = now->phase;
}

int pb_live_run_stored_point(const pb_second_row *row, pb_hist *scratch, pb_live_point *out)
{
    memset(out, 0, sizeof(*out));
    out->end = (pb_usec)(row->sec + 1) * PB_USEC_PER_SEC;
    out->span = PB_USEC_PER_SEC;
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        out->v[RUN_OUTCOMES + o] = row->outcomes[o];
    pb_hist_reset(scratch);
    if (PB_SECOND_KNOWN(row, hist) && row->hist.len > 0) {
        int rc = pb_hist_decode_add(scratch, row->hist.data, row->hist.len);
        if (rc != 0)
            return rc;
    }
    pb_hist_count_at_or_below(scratch, bucket_us, PB_METRICS_BUCKETS, &out->v[RUN_BUCKETS]);
    out->v[RUN_ANSWERED] = pb_hist_count(scratch);
    /* a gauge the mark left NULL (an older file, a second never marked) reads 0 */
    if (PB_SECOND_KNOWN(row, cpu_pct) && row->cpu_pct > 0)
        out->v[RUN_CPU_US] = (uint64_t)llround(row->cpu_pct / 100 * 1e6);
    out->v[RUN_IN_FLIGHT] =
        PB_SECOND_KNOWN(row, in_flight) && row->in_flight > 0 ? (uint64_t)row->in_flight : 0;
    out->v[RUN_LIMIT] = PB_SECOND_KNOWN(row, lim) && row->lim > 0 ? (uint64_t)row->lim : 0;
    out->v[RUN_QUEUE] = PB_SECOND_KNOWN(row, queue) && row->queue > 0 ? (uint64_t)row->queue : 0;
    out->v[RUN_LAG_US] =
        PB_SECOND_KNOWN(row, loop_lag_us) && row->loop_lag_us > 0 ? (uint64_t)row->loop_lag_us : 0;
    out->v[RUN_PHASE] = PB_SECOND_KNOWN(row, phase) && row->phase > 0 ? (uint64_t)row->phase : 0;
    return 0;
}

/* ---- the mock server's page ---- */

/* A mock's point: its requests of each outcome over the span, then its
 * gauges at the end. */
enum {
    MOCK_KINDS = 0,
    MOCK_IN_FLIGHT = MOCK_KINDS + PB_MOCK_KIND_COUNT,
    MOCK_QUEUED,
    MOCK_CONNECTIONS,
    MOCK_PHASE,
    MOCK_VALUES
};
_Static_assert(MOCK_VALUES <= PB_LIVE_VALUES, "a mock's point fits PB_LIVE_VALUES");

static const pb_live_merge mock_rules[MOCK_VALUES] = {
    [MOCK_KINDS... MOCK_IN_FLIGHT - 1] = PB_LIVE_SUM,
    [MOCK_IN_FLIGHT... MOCK_CONNECTIONS] = PB_LIVE_LAST,
    [MOCK_PHASE] = PB_LIVE_MAX,
};

/* The mock's series, in chart order: a rate per outcome, then the gauges. */
enum { MS_KINDS = 0, MS_IN_FLIGHT = PB_MOCK_KIND_COUNT, MS_QUEUED, MS_CONNECTIONS, MS_COUNT };

static const char *const mock_names[MS_COUNT] = {
#define KIND_LABEL(e, counter, label) label,
    PB_MOCK_OUTCOME_MAP(KIND_LABEL)
#undef KIND_LABEL
        "in flight",
    "queued",
    "connections",
};

/* The outcomes' colours (the run's palette: served green, errors warm,
 * refusals blue); one missing from here is drawn grey. */
static const char *const mock_colours[MS_COUNT] = {
    [PB_MOCK_KIND_OK] = "#009E73",
    [PB_MOCK_KIND_ERROR] = "#D55E00",
    [PB_MOCK_KIND_REJECTED_CAPACITY] = "#56B4E9",
    [PB_MOCK_KIND_RATE_LIMITED] = "#0072B2",
    [PB_MOCK_KIND_RESET] = "#882255",
    [PB_MOCK_KIND_HANG] = "#E69F00",
    [PB_MOCK_KIND_SLOW_BODY] = "#CC79A7",
    [PB_MOCK_KIND_MALFORMED] = "#AA4499",
    [MS_IN_FLIGHT] = "#0072B2",
    [MS_QUEUED] = "#E69F00",
    [MS_CONNECTIONS] = "#009E73",
};

static const pb_live_chart mock_charts[] = {
    {"requests/s by outcome", true, MS_KINDS, PB_MOCK_KIND_COUNT},
    {"server state", false, MS_IN_FLIGHT, 3},
};

static void mock_values(const pb_live_point *p, double *out, bool *shade)
{
    double secs = p->span > 0 ? (double)p->span / 1e6 : 1;
    for (int k = 0; k < PB_MOCK_KIND_COUNT; k++)
        out[MS_KINDS + k] = (double)p->v[MOCK_KINDS + k] / secs;
    out[MS_IN_FLIGHT] = (double)p->v[MOCK_IN_FLIGHT];
    out[MS_QUEUED] = (double)p->v[MOCK_QUEUED];
    out[MS_CONNECTIONS] = (double)p->v[MOCK_CONNECTIONS];
    *shade = p->v[MOCK_PHASE] > 0;
}

const pb_live_source pb_live_mock_source = {
    .rules = mock_rules,
    .n_values = MOCK_VALUES,
    .names = mock_names,
    .colours = mock_colours,
    .n_series = MS_COUNT,
    .charts = mock_charts,
    .n_charts = sizeof(mock_charts) / sizeof(mock_charts[0]),
    .values = mock_values,
};

void pb_live_mock_point(const pb_mock_stats *was, pb_usec was_at, const pb_mock_stats *now,
                        pb_usec now_at, pb_live_point *out)
{
    memset(out, 0, sizeof(*out));
    out->end = now_at;
    out->span = grown(now_at, was_at);
#define KIND_DELTA(e, counter, label)                                                              \
    out->v[MOCK_KINDS + PB_MOCK_KIND_##e] = grown(now->counter, was->counter);
    PB_MOCK_OUTCOME_MAP(KIND_DELTA)
#undef KIND_DELTA
    out->v[MOCK_IN_FLIGHT] = now->in_flight;
    out->v[MOCK_QUEUED] = now->queued;
    out->v[MOCK_CONNECTIONS] = now->connections;
    out->v[MOCK_PHASE] = now->phase > 0 ? (uint64_t)now->phase : 0;
}

/* ---- the feed ---- */

/* A figure's number as the page shows it: whole from 100 up, else one decimal. */
static void put_figure_number(struct json *j, double v)
{
    if (isnan(v))
        put(j, "\"-\"");
    else
        put(j, v >= 100 ? "\"%.0f\"" : "\"%.1f\"", v);
}

/* A duration in microseconds as the page shows it: "850 us", "12.5 ms". */
static void put_figure_ms(struct json *j, uint64_t us)
{
    if (us < 1000)
        put(j, "\"%" PRIu64 " us\"", us);
    else
        put(j, us >= 100000 ? "\"%.0f ms\"" : "\"%.1f ms\"", (double)us / 1000);
}

static void put_figure_name(struct json *j, bool first, const char *id, const char *name)
{
    put(j, "%s[\"%s\",\"%s\",", first ? "" : ",", id, name);
}

char *pb_live_run_head(const pb_metrics_run *r, const pb_live_point *last)
{
    struct json j = {.cap = JSON_FIXED + 6 * (sizeof(r->label) + sizeof(r->pattern))};
    j.p = malloc(j.cap);
    if (j.p == NULL)
        return NULL;
    if (r == NULL) {
        put(&j, "\"key\":null,\"title\":\"waiting for a run\",\"status\":\"no run has started "
                "yet\",\"figures\":[]");
        goto done;
    }
    double v[RS_COUNT];
    bool shade;
    if (last != NULL)
        run_values(last, v, &shade);
    else
        for (int k = 0; k < RS_COUNT; k++)
            v[k] = NAN;
    put(&j, "\"key\":\"run %" PRId64 "\",\"title\":", r->run_id);
    /* "run 3 · queue · label" (the label when it says more than the pattern) */
    char title[sizeof(r->label) + sizeof(r->pattern) + 64];
    snprintf(title, sizeof(title), "run %" PRId64 " \u00b7 %s%s%s", r->run_id, r->pattern,
             r->label[0] != '\0' && strcmp(r->label, r->pattern) != 0 ? " \u00b7 " : "",
             r->label[0] != '\0' && strcmp(r->label, r->pattern) != 0 ? r->label : "");
    put_string(&j, title);
    put(&j, ",\"status\":\"%s %.1f s", r->finished ? "finished after" : "running,",
        (double)r->elapsed / 1e6);
    if (r->recording)
        put(&j, " \u00b7 rows written %" PRIu64 "\"", r->rows_written);
    else
        put(&j, " (not recorded)\"");
    uint64_t requests = 0;
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        requests += r->outcomes[o];
    put(&j, ",\"figures\":[");
    put_figure_name(&j, true, "requests", "requests");
    put(&j, "\"%" PRIu64 "\"]", requests);
    put_figure_name(&j, false, "rate", "attempts/s");
    put_figure_number(&j, v[RS_RATE]);
    put(&j, "]");
    put_figure_name(&j, false, "goodput", "goodput/s");
    put_figure_number(&j, v[RS_GOODPUT]);
    put(&j, "]");
    put_figure_name(&j, false, "unserved", "unserved");
    if (last == NULL) {
        put(&j, "\"-\"]");
    } else {
        double unserved = 0;
        for (int o = 0; o < PB_OUTCOME_COUNT; o++)
            if (o != PB_OUTCOME_OK)
                unserved += v[RS_SHARES + o];
        put(&j, "\"%.1f %%\"]", unserved);
    }
    put_figure_name(&j, false, "p50", "p50 (run)");
    put_figure_ms(&j, r->p50);
    put(&j, "]");
    put_figure_name(&j, false, "p99", "p99 (run)");
    put_figure_ms(&j, r->p99);
    put(&j, "]");
    put_figure_name(&j, false, "state", "limit / queue");
    put(&j, "\"%" PRIu64 " / %" PRIu64 "\"]", r->limit, r->queue_depth);
    put_figure_name(&j, false, "breaker", "breaker");
    put(&j, "\"%s\"]", breaker_name(r->breaker));
    put_figure_name(&j, false, "cpu", "harness CPU");
    if (last == NULL)
        put(&j, "\"-\"]");
    else
        put(&j, "\"%.0f %%\"]", v[RS_CPU]);
    put_figure_name(&j, false, "lag", "loop lag");
    put_figure_ms(&j, r->loop_lag);
    put(&j, "]]");
done:
    if (j.failed) {
        free(j.p);
        return NULL;
    }
    return j.p;
}

char *pb_live_mock_head(const char *url, const pb_mock_stats *s, pb_usec elapsed,
                        const pb_live_point *last)
{
    struct json j = {.cap = JSON_FIXED + 6 * strlen(url)};
    j.p = malloc(j.cap);
    if (j.p == NULL)
        return NULL;
    double v[MS_COUNT] = {0};
    bool shade;
    if (last != NULL)
        mock_values(last, v, &shade);
    double rate = 0;
    for (int k = 0; last != NULL && k < PB_MOCK_KIND_COUNT; k++)
        rate += v[MS_KINDS + k];
    put(&j, "\"key\":\"mock\",\"title\":");
    char title[256];
    snprintf(title, sizeof(title), "mock server %s", url);
    put_string(&j, title);
    put(&j, ",\"status\":\"serving for %.1f s\",\"figures\":[", (double)elapsed / 1e6);
    put_figure_name(&j, true, "requests", "requests");
    put(&j, "\"%" PRIu64 "\"]", s->requests);
    put_figure_name(&j, false, "rate", "requests/s");
    put_figure_number(&j, last != NULL ? rate : NAN);
    put(&j, "]");
    put_figure_name(&j, false, "ok", "ok/s");
    put_figure_number(&j, last != NULL ? v[MS_KINDS + PB_MOCK_KIND_OK] : NAN);
    put(&j, "]");
    put_figure_name(&j, false, "in_flight", "in flight");
    put(&j, "\"%" PRIu32 "\"]", s->in_flight);
    put_figure_name(&j, false, "queued", "queued");
    put(&j, "\"%" PRIu32 "\"]", s->queued);
    put_figure_name(&j, false, "connections", "connections");
    put(&j, "\"%" PRIu32 "\"]", s->connections);
    put_figure_name(&j, false, "phase", "phase");
    put(&j, "\"%d\"]]", s->phase);
    if (j.failed) {
        free(j.p);
        return NULL;
    }
    return j.p;
}

/* Bytes a point takes at most: its times and shade, and each series' value
 * (%.6g: at most 13 characters, and a comma). */
#define POINT_MAX(n_series) (64 + 16 * (size_t)(n_series))

static void put_points(struct json *j, const pb_live_source *src, const char *name,
                       const pb_live_point *p, size_t n)
{
    double v[PB_LIVE_VALUES * 2];
    assert(src->n_series <= (int)(sizeof(v) / sizeof(v[0])));
    put(j, ",\"%s\":[", name);
    for (size_t i = 0; i < n; i++) {
        bool shade = false;
        src->values(&p[i], v, &shade);
        put(j, "%s[%.6f,%.6f,%d", i > 0 ? "," : "", (double)p[i].end / 1e6, (double)p[i].span / 1e6,
            shade ? 1 : 0);
        for (int k = 0; k < src->n_series; k++)
            if (isnan(v[k]) || isinf(v[k]))
                put(j, ",null");
            else
                put(j, ",%.6g", v[k]);
        put(j, "]");
    }
    put(j, "]");
}

char *pb_live_feed(const pb_live_source *src, const char *head, const pb_live_point *recent,
                   size_t n_recent, const pb_live_point *whole, size_t n_whole, unsigned stride,
                   size_t *len)
{
    size_t names = 0;
    for (int k = 0; k < src->n_series; k++)
        names += strlen(src->names[k]) + 32;
    for (int c = 0; c < src->n_charts; c++)
        names += strlen(src->charts[c].title) + 64;
    struct json j = {.cap = JSON_FIXED + strlen(head) + names +
                            (n_recent + n_whole) * POINT_MAX(src->n_series)};
    j.p = malloc(j.cap);
    if (j.p == NULL)
        return NULL;
    put(&j, "{%s,\"charts\":[", head);
    for (int c = 0; c < src->n_charts; c++) {
        const pb_live_chart *ch = &src->charts[c];
        put(&j, "%s{\"title\":\"%s\",\"sparse\":%s,\"series\":[", c > 0 ? "," : "", ch->title,
            ch->sparse ? "true" : "false");
        for (int k = 0; k < ch->count; k++) {
            const char *colour = src->colours[ch->first + k];
            put(&j, "%s[%d,\"%s\",\"%s\"]", k > 0 ? "," : "", ch->first + k,
                src->names[ch->first + k], colour != NULL ? colour : "#777777");
        }
        put(&j, "]}");
    }
    put(&j, "],\"stride\":%u", stride);
    put_points(&j, src, "recent", recent, n_recent);
    if (whole != NULL)
        put_points(&j, src, "whole", whole, n_whole);
    put(&j, "}\n");
    if (j.failed) {
        free(j.p);
        return NULL;
    }
    *len = j.len;
    return j.p;
}

char *pb_live_json(const pb_metrics_run *runs, size_t n, const pb_metrics_process *proc,
                   size_t *len)
{
    struct json j = {.cap = JSON_FIXED + 6 * (sizeof(runs->label) + sizeof(runs->pattern))};
    j.p = malloc(j.cap);
    if (j.p == NULL)
        return NULL;
    put(&j, "{\"le_us\":[");
    for (int k = 0; k < PB_METRICS_BUCKETS; k++)
        put(&j, "%s%" PRIu64, k > 0 ? "," : "", bucket_us[k]);
    put(&j, "],\"cpu_seconds\":%.6f,\"rss_bytes\":%" PRIu64 ",\"run\":", proc->cpu_seconds,
        proc->rss_bytes);
    if (n > 0)
        put_run(&j, &runs[n - 1]);
    else
        put(&j, "null");
    put(&j, "}\n");
    if (j.failed) {
        free(j.p);
        return NULL;
    }
    *len = j.len;
    return j.p;
}
