#include "live_page.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

char *pb_live_json(const pb_metrics_run *runs, size_t n, const pb_metrics_process *proc,
                   size_t *len)
{
    struct json j = {.cap = JSON_FIXED + 6 * (sizeof(runs->label) + sizeof(runs->pattern))};
    j.p = malloc(j.cap);
    if (j.p == NULL)
        return NULL;
    put(&j, "{\"le_us\":[");
    static const uint64_t bucket_us[PB_METRICS_BUCKETS] = {
#define BUCKET_US(us, le) us,
        PB_METRICS_BUCKET_MAP(BUCKET_US)
#undef BUCKET_US
    };
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
