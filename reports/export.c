#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "histogram.h"
#include "reader.h"
#include "vocabulary.h"

/* Output is formatted into this buffer and written when it fills: the rows
 * are the bulk of the work, and stdio's per-call locking would cost more
 * than the formatting. */
#define OUT_BUF 65536
/* The longest line a row can take (CSV or JSON), with room to spare. */
#define LINE_MAX_BYTES 1024

struct sink {
    FILE *f;
    char buf[OUT_BUF];
    size_t len;
    bool failed;
};

static void sink_flush(struct sink *s)
{
    if (s->len > 0 && fwrite(s->buf, 1, s->len, s->f) != s->len)
        s->failed = true;
    s->len = 0;
}

/* Room for one more line. */
static char *sink_line(struct sink *s)
{
    if (s->len + LINE_MAX_BYTES > sizeof(s->buf))
        sink_flush(s);
    return s->buf + s->len;
}

static char *put_str(char *p, const char *text)
{
    size_t n = strlen(text);
    memcpy(p, text, n);
    return p + n;
}

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

/* Wall-clock times as RFC 3339 in UTC with microseconds; the date and time of
 * the last second formatted are kept, since rows come in time order and a
 * second holds many. */
struct wall {
    int64_t sec;   /* the second `text` holds; INT64_MIN before the first */
    char text[24]; /* "2026-12-07T20:29:01" */
};

static char *put_rfc3339(char *p, struct wall *w, int64_t unix_us)
{
    int64_t sec = unix_us >= 0 ? unix_us / 1000000 : -((-unix_us + 999999) / 1000000);
    int64_t us = unix_us - sec * 1000000;
    if (sec != w->sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        if (gmtime_r(&t, &tm) == NULL ||
            strftime(w->text, sizeof(w->text), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
            snprintf(w->text, sizeof(w->text), "0000-00-00T00:00:00");
        w->sec = sec;
    }
    p = put_str(p, w->text);
    *p++ = '.';
    for (int64_t div = 100000; div > 0; div /= 10)
        *p++ = (char)('0' + (us / div) % 10);
    *p++ = 'Z';
    return p;
}

int pb_export_format_from_name(const char *name, pb_export_format *out)
{
    static const struct {
        const char *name;
        pb_export_format format;
    } names[] = {{"csv", PB_EXPORT_CSV}, {"jsonl", PB_EXPORT_JSONL}, {"hgrm", PB_EXPORT_HGRM}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].format;
            return 0;
        }
    return PB_EINVAL;
}

/* One stored row, unpacked (docs/schema.md, requests). */
struct row {
    int64_t run_id, t_us, wait_us, connect_us, ttfb_us, total_us, bytes, slot, lim, queue;
    unsigned outcome, breaker, status, attempt;
    bool has_seq; /* a server-side row: seq is the client's X-PB-Seq */
    int64_t seq;
    int64_t start_unix_us; /* the actual start on the wall clock */
    bool has_target, has_bytes_in; /* --targets' entry; a server-side row's body bytes */
    int64_t target, bytes_in;
};

static void unpack(const pb_request_row *in, struct row *r)
{
    r->run_id = in->run_id;
    r->t_us = (int64_t)in->t_us;
    r->wait_us = (int64_t)in->wait_us;
    r->connect_us = (int64_t)in->connect_us;
    r->ttfb_us = (int64_t)in->ttfb_us;
    r->total_us = (int64_t)in->total_us;
    r->bytes = in->bytes;
    r->slot = in->slot;
    r->lim = in->lim;
    r->queue = in->queue;
    r->has_seq = in->has_seq;
    r->seq = (int64_t)in->seq;
    r->has_target = in->has_target;
    r->target = in->target;
    r->has_bytes_in = in->has_bytes_in;
    r->bytes_in = (int64_t)in->bytes_in;
    r->outcome = in->outcome;
    r->breaker = in->breaker;
    r->status = in->status;
    r->attempt = in->attempt;
}

static const char csv_header[] =
    "run_id,intended_start_us,start_us,start_unix_us,start_time,wait_us,connect_us,ttfb_us,"
    "total_us,status,outcome,attempt,breaker,bytes,slot,limit,queue,seq,target,bytes_in\n";

static void write_csv(struct sink *s, struct wall *w, const struct row *r)
{
    char *p = sink_line(s);
    char *start = p;
    p = put_i64(p, r->run_id);
    *p++ = ',';
    p = put_i64(p, r->t_us);
    *p++ = ',';
    p = put_i64(p, r->t_us + r->wait_us);
    *p++ = ',';
    p = put_i64(p, r->start_unix_us);
    *p++ = ',';
    p = put_rfc3339(p, w, r->start_unix_us);
    *p++ = ',';
    p = put_i64(p, r->wait_us);
    *p++ = ',';
    p = put_i64(p, r->connect_us);
    *p++ = ',';
    p = put_i64(p, r->ttfb_us);
    *p++ = ',';
    p = put_i64(p, r->total_us);
    *p++ = ',';
    p = put_u64(p, r->status);
    *p++ = ',';
    const char *outcome = pb_outcome_name((pb_outcome)r->outcome);
    p = put_str(p, outcome != NULL ? outcome : "unknown");
    *p++ = ',';
    p = put_u64(p, r->attempt);
    *p++ = ',';
    p = put_str(p, pb_breaker_state_name((pb_breaker_state)r->breaker));
    *p++ = ',';
    p = put_i64(p, r->bytes);
    *p++ = ',';
    p = put_i64(p, r->slot);
    *p++ = ',';
    p = put_i64(p, r->lim);
    *p++ = ',';
    p = put_i64(p, r->queue);
    *p++ = ',';
    if (r->has_seq) /* empty for the client's rows */
        p = put_i64(p, r->seq);
    *p++ = ',';
    if (r->has_target) /* empty without --targets */
        p = put_i64(p, r->target);
    *p++ = ',';
    if (r->has_bytes_in) /* empty for the client's rows */
        p = put_i64(p, r->bytes_in);
    *p++ = '\n';
    s->len += (size_t)(p - start);
}

static void write_jsonl(struct sink *s, struct wall *w, const struct row *r)
{
    char *p = sink_line(s);
    char *start = p;
    /* names and values are ours (numbers and vocabulary names): nothing to escape */
    p = put_str(p, "{\"run_id\":");
    p = put_i64(p, r->run_id);
    p = put_str(p, ",\"intended_start_us\":");
    p = put_i64(p, r->t_us);
    p = put_str(p, ",\"start_us\":");
    p = put_i64(p, r->t_us + r->wait_us);
    p = put_str(p, ",\"start_unix_us\":");
    p = put_i64(p, r->start_unix_us);
    p = put_str(p, ",\"start_time\":\"");
    p = put_rfc3339(p, w, r->start_unix_us);
    p = put_str(p, "\",\"wait_us\":");
    p = put_i64(p, r->wait_us);
    p = put_str(p, ",\"connect_us\":");
    p = put_i64(p, r->connect_us);
    p = put_str(p, ",\"ttfb_us\":");
    p = put_i64(p, r->ttfb_us);
    p = put_str(p, ",\"total_us\":");
    p = put_i64(p, r->total_us);
    p = put_str(p, ",\"status\":");
    p = put_u64(p, r->status);
    p = put_str(p, ",\"outcome\":\"");
    const char *outcome = pb_outcome_name((pb_outcome)r->outcome);
    p = put_str(p, outcome != NULL ? outcome : "unknown");
    p = put_str(p, "\",\"attempt\":");
    p = put_u64(p, r->attempt);
    p = put_str(p, ",\"breaker\":\"");
    p = put_str(p, pb_breaker_state_name((pb_breaker_state)r->breaker));
    p = put_str(p, "\",\"bytes\":");
    p = put_i64(p, r->bytes);
    p = put_str(p, ",\"slot\":");
    p = put_i64(p, r->slot);
    p = put_str(p, ",\"limit\":");
    p = put_i64(p, r->lim);
    p = put_str(p, ",\"queue\":");
    p = put_i64(p, r->queue);
    if (r->has_seq) { /* absent from the client's rows */
        p = put_str(p, ",\"seq\":");
        p = put_i64(p, r->seq);
    }
    if (r->has_target) { /* absent without --targets */
        p = put_str(p, ",\"target\":");
        p = put_i64(p, r->target);
    }
    if (r->has_bytes_in) { /* absent from the client's rows */
        p = put_str(p, ",\"bytes_in\":");
        p = put_i64(p, r->bytes_in);
    }
    p = put_str(p, "}\n");
    s->len += (size_t)(p - start);
}

/* The hgrm being built: the histogram and exact moments for its footer. */
struct hgrm {
    pb_hist *h;
    pb_export_latency latency;
    double sum, sum_sq; /* of values in us */
};

static void hgrm_add(struct hgrm *g, const struct row *r)
{
    if (r->outcome == PB_OUTCOME_REJECTED_BY_BREAKER ||
        r->outcome == PB_OUTCOME_DROPPED_BY_BACKPRESSURE)
        return;
    int64_t v = r->total_us + (g->latency == PB_EXPORT_CORRECTED ? r->wait_us : 0);
    uint64_t u = v > 0 ? (uint64_t)v : 0;
    pb_hist_record(g->h, u);
    g->sum += (double)u;
    g->sum_sq += (double)u * (double)u;
}

struct hgrm_rows {
    FILE *f;
    uint64_t total;
};

/* A row as HdrHistogram's outputPercentileDistribution prints it, in ms. */
static void hgrm_row(void *data, uint64_t value, double percentile, uint64_t total_count)
{
    struct hgrm_rows *w = data;
    double p = percentile / 100.0;
    if (total_count == w->total && percentile >= 100.0)
        fprintf(w->f, "%12.3f %2.12f %10" PRIu64 "\n", (double)value / 1e3, p, total_count);
    else
        fprintf(w->f, "%12.3f %2.12f %10" PRIu64 " %14.2f\n", (double)value / 1e3, p, total_count,
                1.0 / (1.0 - p));
}

/* Buckets and sub-buckets of the latency histogram's layout (1 us to 1 h,
 * 3 significant digits), computed as HdrHistogram does. */
static void hgrm_layout(uint64_t *buckets, uint64_t *sub_buckets)
{
    const uint64_t highest = 3600ull * 1000000ull;
    /* 2 * 10^3 rounded up to a power of two */
    uint64_t sub = 1;
    while (sub < 2000)
        sub <<= 1;
    uint64_t smallest_untrackable = sub, n = 1;
    while (smallest_untrackable <= highest) {
        smallest_untrackable <<= 1;
        n++;
    }
    *buckets = n;
    *sub_buckets = sub;
}

static void hgrm_write(const struct hgrm *g, FILE *f)
{
    uint64_t n = pb_hist_count(g->h);
    fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    struct hgrm_rows w = {f, n};
    /* five steps per halving of the distance to 100 %, as wrk2 prints */
    pb_hist_percentiles(g->h, 5, hgrm_row, &w);
    double mean = n > 0 ? g->sum / (double)n : 0.0;
    double var = n > 0 ? g->sum_sq / (double)n - mean * mean : 0.0;
    uint64_t buckets, sub_buckets;
    hgrm_layout(&buckets, &sub_buckets);
    fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean / 1e3,
            var > 0 ? sqrt(var) / 1e3 : 0.0);
    fprintf(f, "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n",
            (double)pb_hist_max(g->h) / 1e3, n);
    fprintf(f, "#[Buckets = %12" PRIu64 ", SubBuckets     = %12" PRIu64 "]\n", buckets,
            sub_buckets);
}

/* The runs picked, in id order (the caller frees them). */
static int pick_runs(pb_reader *rd, const pb_export_options *opt, pb_store_run **out, size_t *n,
                     pb_err *err)
{
    *out = NULL;
    *n = 0;
    pb_report_pick pick = opt->pick;
    int64_t id = opt->id;
    if (pick == PB_REPORT_LAST) {
        int64_t run_id, compare_id;
        int rc = pb_reader_last(rd, &run_id, &compare_id, err);
        if (rc != 0)
            return rc;
        pick = compare_id != 0 ? PB_REPORT_COMPARE : PB_REPORT_RUN;
        id = compare_id != 0 ? compare_id : run_id;
    }
    int rc = pb_reader_runs(rd, pick != PB_REPORT_RUN, id, out, n, err);
    if (rc == 0 && *n == 0)
        rc = pick == PB_REPORT_RUN
                 ? pb_err_set(err, PB_ENOENT, "%s: no run with id %" PRId64, opt->db_path, id)
                 : pb_err_set(err, PB_ENOENT,
                              "%s: no compare with id %" PRId64 " (or it has no "
                              "runs yet)",
                              opt->db_path, id);
    if (rc == 0 && opt->format == PB_EXPORT_HGRM && *n > 1)
        rc = pb_err_set(err, PB_EINVAL,
                        "%s: compare %" PRId64 " has %zu runs, and an hgrm describes the "
                        "latency of one: give --run ID",
                        opt->db_path, id, *n);
    return rc;
}

/* Where the rows go, for the reader's callback. */
struct export_to {
    const pb_export_options *opt;
    struct sink *s;
    struct hgrm *g;
    pb_export_result *res;
    int64_t started_at; /* the run's wall clock at t = 0, us since the epoch */
    struct wall wall;
};

/* Returned by on_row to stop reading once the output failed. */
#define WRITE_FAILED 1

static int on_row(void *data, const pb_request_row *in)
{
    struct export_to *to = data;
    struct row r;
    unpack(in, &r);
    r.start_unix_us = to->started_at + r.t_us + r.wait_us;
    to->res->rows++;
    if (to->opt->format == PB_EXPORT_CSV)
        write_csv(to->s, &to->wall, &r);
    else if (to->opt->format == PB_EXPORT_JSONL)
        write_jsonl(to->s, &to->wall, &r);
    else
        hgrm_add(to->g, &r);
    return to->s->failed ? WRITE_FAILED : 0;
}

int pb_export_write(const pb_export_options *opt, FILE *out, pb_export_result *res, pb_err *err)
{
    memset(res, 0, sizeof(*res));
    pb_reader *rd = NULL;
    pb_store_run *runs = NULL;
    size_t n_runs = 0;
    struct sink *s = NULL;
    struct hgrm g = {.latency = opt->latency};
    int rc = pb_reader_open(opt->db_path, &rd, err);
    if (rc == 0)
        rc = pick_runs(rd, opt, &runs, &n_runs, err);
    if (rc != 0)
        goto cleanup;
    res->runs = n_runs;
    s = malloc(sizeof(*s));
    if (s == NULL || (opt->format == PB_EXPORT_HGRM && pb_hist_create_latency(&g.h) != 0)) {
        rc = pb_err_set(err, PB_ENOMEM, "export: out of memory");
        goto cleanup;
    }
    s->f = out;
    s->len = 0;
    s->failed = false;
    if (opt->format == PB_EXPORT_CSV) {
        memcpy(s->buf, csv_header, sizeof(csv_header) - 1);
        s->len = sizeof(csv_header) - 1;
    }
    struct export_to to = {.opt = opt, .s = s, .g = &g, .res = res, .wall.sec = INT64_MIN};
    for (size_t i = 0; i < n_runs && rc == 0 && !s->failed; i++) {
        to.started_at = runs[i].started_at;
        rc = pb_reader_requests(rd, &runs[i], on_row, &to, err);
        if (rc == WRITE_FAILED)
            rc = 0; /* said below */
    }
    if (rc == 0) {
        sink_flush(s);
        if (opt->format == PB_EXPORT_HGRM) {
            hgrm_write(&g, out);
            res->count = pb_hist_count(g.h);
        }
        if (s->failed || fflush(out) != 0 || ferror(out))
            rc = pb_err_set(err, PB_EIO, "write failed: %s", strerror(errno));
    }

cleanup:
    pb_reader_close(rd);
    pb_hist_destroy(g.h);
    free(s);
    for (size_t i = 0; i < n_runs; i++)
        pb_store_run_cleanup(&runs[i]);
    free(runs);
    return rc;
}
