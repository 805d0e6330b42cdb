#include "metrics_page.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "histogram.h"
#include "vocabulary.h"

/* A page never grows beyond this (64 runs of every status fit many times over). */
#define PAGE_MAX (64u << 20)
/* One run's labels, escaped: three values of at most PB_RUN_LABEL_MAX bytes,
 * each doubled at worst by escaping, and the names around them. */
#define LABELS_MAX (3 * 2 * (PB_RUN_LABEL_MAX + 1) + 64)

static const uint64_t bucket_us[PB_METRICS_BUCKETS] = {
#define BUCKET_US(us, le) us,
    PB_METRICS_BUCKET_MAP(BUCKET_US)
#undef BUCKET_US
};

static const char *const bucket_le[PB_METRICS_BUCKETS] = {
#define BUCKET_LE(us, le) le,
    PB_METRICS_BUCKET_MAP(BUCKET_LE)
#undef BUCKET_LE
};

static void hist_from(const pb_hist *h, uint64_t sum_us, pb_metrics_hist *out)
{
    pb_hist_count_at_or_below(h, bucket_us, PB_METRICS_BUCKETS, out->le);
    out->count = pb_hist_count(h);
    out->sum_us = sum_us;
}

void pb_metrics_run_from_view(const pb_run_view *v, pb_metrics_run *out)
{
    memset(out, 0, sizeof(*out));
    out->run_id = v->run_id;
    snprintf(out->label, sizeof(out->label), "%s", v->label != NULL ? v->label : "");
    snprintf(out->pattern, sizeof(out->pattern), "%s",
             v->pattern_name != NULL ? v->pattern_name : "");
    out->finished = v->final;
    out->elapsed = v->elapsed;
    const pb_tally *t = v->tally;
    memcpy(out->outcomes, t->outcomes, sizeof(out->outcomes));
    memcpy(out->status, t->status, sizeof(out->status));
    hist_from(t->service, t->service_sum_us, &out->service);
    hist_from(t->corrected, t->corrected_sum_us, &out->corrected);
    out->p50 = pb_hist_percentile(t->service, 50.0);
    out->p99 = pb_hist_percentile(t->service, 99.0);
    out->breaker = v->pattern.breaker;
    out->has_mock = v->phase >= 0;
    out->recording = v->recording;
    out->in_flight = v->in_flight;
    out->limit = v->pattern.limit;
    out->queue_depth = v->pattern.queue_depth;
    out->phase = v->phase >= 0 ? (uint64_t)v->phase : 0;
    out->rejected = v->pattern.rejected;
    out->dropped = v->pattern.dropped;
    out->retries = v->pattern.retries;
    out->resent = v->resent;
    out->loop_lag = v->loop_lag;
    out->rows_written = v->recorder.rows_written;
    out->backlog = v->recorder.backlog;
    out->stalls = v->recorder.stalls;
    out->stall_us = v->recorder.stall_us;
    out->db_bytes = v->recorder.db_bytes;
}

void pb_metrics_process_read(pb_metrics_process *out)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        unsigned long long size, resident;
        long page = sysconf(_SC_PAGESIZE);
        if (fscanf(f, "%llu %llu", &size, &resident) == 2 && page > 0)
            out->rss_bytes = resident * (uint64_t)page;
        fclose(f);
    }
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        out->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The page being written: bounded, and sticky once it fails. */
struct page {
    char *p;
    size_t len, cap;
    bool failed;
};

static void put(struct page *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct page *b, const char *fmt, ...)
{
    for (int attempt = 0; attempt < 2 && !b->failed; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *p = cap <= PAGE_MAX ? realloc(b->p, cap) : NULL;
        if (p == NULL) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* A label value as the format wants it: backslash, double quote and line
 * feed escaped. */
static void escape_value(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in != '\0' && o + 3 <= cap; in++) {
        if (*in == '\\' || *in == '"' || *in == '\n') {
            out[o++] = '\\';
            out[o++] = *in == '\n' ? 'n' : *in;
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
}

static void run_labels(const pb_metrics_run *r, char *out, size_t cap)
{
    char label[2 * (PB_RUN_LABEL_MAX + 1)], pattern[2 * 32];
    escape_value(r->label, label, sizeof(label));
    escape_value(r->pattern, pattern, sizeof(pattern));
    snprintf(out, cap, "run_id=\"%" PRId64 "\",label=\"%s\",pattern=\"%s\"", r->run_id, label,
             pattern);
}

static void family(struct page *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Which runs have a series of a family. */
enum when { ALWAYS, WITH_MOCK, WITH_RECORDER };

/* A family of one plain series per run: a uint64_t of the snapshot, written
 * as is or, for microseconds, in seconds. */
struct plain {
    const char *name, *type, *help;
    size_t offset;
    enum when when;
    bool usec;
};

#define PLAIN(name, type, field, when, usec, help)                                                 \
    {                                                                                              \
        name, type, help, offsetof(pb_metrics_run, field), when, usec                              \
    }

static const struct plain plains[] = {
    PLAIN("patternbench_in_flight", "gauge", in_flight, ALWAYS, false,
          "Requests started and not yet ended, at the end of the last second."),
    PLAIN("patternbench_concurrency_limit", "gauge", limit, ALWAYS, false,
          "The pattern's concurrency limit (workers, permits, consumers, adaptive limit)."),
    PLAIN("patternbench_queue_depth", "gauge", queue_depth, ALWAYS, false,
          "Tasks waiting in the pattern (open-loop backlog, semaphore waiters, queue)."),
    PLAIN("patternbench_breaker_rejections_total", "counter", rejected, ALWAYS, false,
          "Tasks the circuit breaker refused."),
    PLAIN("patternbench_backpressure_drops_total", "counter", dropped, ALWAYS, false,
          "Tasks backpressure dropped."),
    PLAIN("patternbench_retries_total", "counter", retries, ALWAYS, false,
          "Retry attempts the pattern made."),
    PLAIN("patternbench_resent_total", "counter", resent, ALWAYS, false,
          "Requests libcurl sent again after a kept-alive connection closed unanswered."),
    PLAIN("patternbench_mock_phase", "gauge", phase, WITH_MOCK, false,
          "Index of the built-in mock server's current phase (0 = base settings)."),
    PLAIN("patternbench_event_loop_lag_seconds", "gauge", loop_lag, ALWAYS, true,
          "Worst lateness of the engine loop's 100 ms tick in the last second."),
    PLAIN("patternbench_run_elapsed_seconds", "gauge", elapsed, ALWAYS, true,
          "Run time at the snapshot (whole seconds while running, the run's length at the end)."),
    PLAIN("patternbench_recorder_rows_written_total", "counter", rows_written, WITH_RECORDER, false,
          "Request rows of this run committed to the database."),
    PLAIN("patternbench_recorder_backlog", "gauge", backlog, WITH_RECORDER, false,
          "Records queued for the database writer and not yet taken."),
    PLAIN("patternbench_recorder_stalls_total", "counter", stalls, WITH_RECORDER, false,
          "Times the engine waited for room in the writer's queue."),
    PLAIN("patternbench_recorder_stall_seconds_total", "counter", stall_us, WITH_RECORDER, true,
          "Time the engine spent waiting for room in the writer's queue."),
    PLAIN("patternbench_recorder_database_bytes", "gauge", db_bytes, WITH_RECORDER, false,
          "Size of the database file and its write-ahead log."),
};

static bool has(const pb_metrics_run *r, enum when w)
{
    return w == ALWAYS || (w == WITH_MOCK && r->has_mock) || (w == WITH_RECORDER && r->recording);
}

static void write_plain(struct page *b, const struct plain *f, const pb_metrics_run *runs, size_t n,
                        char (*labels)[LABELS_MAX])
{
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = has(&runs[i], f->when);
    if (!any)
        return;
    family(b, f->name, f->type, f->help);
    for (size_t i = 0; i < n; i++) {
        if (!has(&runs[i], f->when))
            continue;
        uint64_t v;
        memcpy(&v, (const char *)&runs[i] + f->offset, sizeof(v));
        if (f->usec)
            put(b, "%s{%s} %" PRIu64 ".%06" PRIu64 "\n", f->name, labels[i], v / 1000000,
                v % 1000000);
        else
            put(b, "%s{%s} %" PRIu64 "\n", f->name, labels[i], v);
    }
}

static void write_hist(struct page *b, const char *name, const char *help,
                       const pb_metrics_run *runs, size_t n, char (*labels)[LABELS_MAX],
                       size_t offset)
{
    family(b, name, "histogram", help);
    for (size_t i = 0; i < n; i++) {
        const pb_metrics_hist *h = (const pb_metrics_hist *)((const char *)&runs[i] + offset);
        for (int k = 0; k < PB_METRICS_BUCKETS; k++)
            put(b, "%s_bucket{%s,le=\"%s\"} %" PRIu64 "\n", name, labels[i], bucket_le[k],
                h->le[k]);
        put(b, "%s_bucket{%s,le=\"+Inf\"} %" PRIu64 "\n", name, labels[i], h->count);
        put(b, "%s_sum{%s} %" PRIu64 ".%06" PRIu64 "\n", name, labels[i], h->sum_us / 1000000,
            h->sum_us % 1000000);
        put(b, "%s_count{%s} %" PRIu64 "\n", name, labels[i], h->count);
    }
}

char *pb_metrics_page(const pb_metrics_run *runs, size_t n, const pb_metrics_process *proc,
                      size_t *len)
{
    struct page b = {.cap = 16384};
    char(*labels)[LABELS_MAX] = n > 0 ? calloc(n, sizeof(*labels)) : NULL;
    b.p = malloc(b.cap);
    if (b.p == NULL || (n > 0 && labels == NULL))
        goto fail;
    for (size_t i = 0; i < n; i++)
        run_labels(&runs[i], labels[i], sizeof(labels[i]));

    if (n > 0) {
        family(&b, "patternbench_requests_total", "counter",
               "Request attempts recorded (one row each), by outcome; rejections and drops "
               "included.");
        for (size_t i = 0; i < n; i++)
            for (int o = 0; o < PB_OUTCOME_COUNT; o++)
                put(&b, "patternbench_requests_total{%s,outcome=\"%s\"} %" PRIu64 "\n", labels[i],
                    pb_outcome_name((pb_outcome)o), runs[i].outcomes[o]);
    }
    bool any_status = false;
    for (size_t i = 0; i < n && !any_status; i++)
        for (int s = 1; s < 600 && !any_status; s++)
            any_status = runs[i].status[s] != 0;
    if (any_status) {
        family(&b, "patternbench_responses_total", "counter", "HTTP responses by status.");
        for (size_t i = 0; i < n; i++)
            for (int s = 1; s < 600; s++)
                if (runs[i].status[s] != 0)
                    put(&b, "patternbench_responses_total{%s,status=\"%d\"} %" PRIu64 "\n",
                        labels[i], s, runs[i].status[s]);
    }
    if (n > 0) {
        write_hist(&b, "patternbench_request_duration_seconds",
                   "Service latency of answered attempts (start to end; an error status counts).", runs, n,
                   labels, offsetof(pb_metrics_run, service));
        write_hist(&b, "patternbench_request_corrected_duration_seconds",
                   "Latency of answered attempts from when each was due (coordinated omission corrected).",
                   runs, n, labels, offsetof(pb_metrics_run, corrected));
        family(&b, "patternbench_breaker_state", "gauge",
               "The circuit breaker's state: 1 for the current one (none: no breaker).");
        for (size_t i = 0; i < n; i++) {
#define BREAKER_SERIES(name, value, text)                                                          \
    put(&b, "patternbench_breaker_state{%s,state=\"%s\"} %d\n", labels[i], text,                   \
        runs[i].breaker == PB_BREAKER_##name);
            PB_BREAKER_STATE_MAP(BREAKER_SERIES)
#undef BREAKER_SERIES
        }
    }
    for (size_t f = 0; f < sizeof(plains) / sizeof(plains[0]); f++)
        write_plain(&b, &plains[f], runs, n, labels);
    if (n > 0) {
        family(&b, "patternbench_run_finished", "gauge",
               "1 once the run has ended and its figures are final.");
        for (size_t i = 0; i < n; i++)
            put(&b, "patternbench_run_finished{%s} %d\n", labels[i], runs[i].finished);
    }
    family(&b, "process_resident_memory_bytes", "gauge", "Resident memory of the harness.");
    put(&b, "process_resident_memory_bytes %" PRIu64 "\n", proc->rss_bytes);
    family(&b, "process_cpu_seconds_total", "counter", "CPU time of the harness, user and system.");
    put(&b, "process_cpu_seconds_total %.6f\n", proc->cpu_seconds);
    if (b.failed)
        goto fail;
    free(labels);
    *len = b.len;
    return b.p;
fail:
    free(labels);
    free(b.p);
    return NULL;
}
