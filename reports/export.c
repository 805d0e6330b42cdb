#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "histogram.h"
#include "vocabulary.h"

/* Output is formatted into this buffer and written when it fills: the rows
 * are the bulk of the work, and stdio's per-call locking would cost more
 * than the formatting. */
#define OUT_BUF 65536
/* The longest line a row can take (CSV or JSON), with room to spare. */
#define LINE_MAX_BYTES 512

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
};

static void unpack(sqlite3_stmt *st, struct row *r)
{
    r->run_id = sqlite3_column_int64(st, 0);
    r->t_us = sqlite3_column_int64(st, 1);
    r->wait_us = sqlite3_column_int64(st, 2);
    r->connect_us = sqlite3_column_int64(st, 3);
    r->ttfb_us = sqlite3_column_int64(st, 4);
    r->total_us = sqlite3_column_int64(st, 5);
    uint64_t code = (uint64_t)sqlite3_column_int64(st, 6);
    r->bytes = sqlite3_column_int64(st, 7);
    r->slot = sqlite3_column_int64(st, 8);
    r->lim = sqlite3_column_int64(st, 9);
    r->queue = sqlite3_column_int64(st, 10);
    r->has_seq = sqlite3_column_type(st, 11) != SQLITE_NULL;
    r->seq = sqlite3_column_int64(st, 11);
    r->outcome = (unsigned)(code & 15);
    r->breaker = (unsigned)((code >> 4) & 3);
    /* 200 is stored as 0 and "no response" as 200, so the commonest row packs to 0 */
    unsigned s = (unsigned)((code >> 6) & 1023);
    r->status = s == 0 ? 200 : s == 200 ? 0 : s;
    r->attempt = (unsigned)(code >> 16);
}

static const char csv_header[] =
    "run_id,intended_start_us,start_us,wait_us,connect_us,ttfb_us,total_us,status,outcome,"
    "attempt,breaker,bytes,slot,limit,queue,seq\n";

static void write_csv(struct sink *s, const struct row *r)
{
    char *p = sink_line(s);
    char *start = p;
    p = put_i64(p, r->run_id);
    *p++ = ',';
    p = put_i64(p, r->t_us);
    *p++ = ',';
    p = put_i64(p, r->t_us + r->wait_us);
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
    *p++ = '\n';
    s->len += (size_t)(p - start);
}

static void write_jsonl(struct sink *s, const struct row *r)
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
    p = put_str(p, ",\"wait_us\":");
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
        fprintf(w->f, "%12.3f %2.12f %10" PRIu64 " %14.2f\n", (double)value / 1e3, p,
                total_count, 1.0 / (1.0 - p));
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
    fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
            "1/(1-Percentile)");
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

/* The runs picked, in id order, with their rowid bounds when recorded. */
struct run_ref {
    int64_t id, first, last; /* first = last = -1 when unknown */
};

static int db_error(sqlite3 *db, const char *path, const char *what, pb_err *err)
{
    return pb_err_set(err, PB_EDB, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

static int pick_runs(sqlite3 *db, const pb_export_options *opt, struct run_ref **out, size_t *n,
                     pb_err *err)
{
    *out = NULL;
    *n = 0;
    pb_report_pick pick = opt->pick;
    int64_t id = opt->id;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (pick == PB_REPORT_LAST) {
        if (sqlite3_prepare_v2(db,
                               "SELECT id, compare_id FROM runs ORDER BY started_at DESC, id "
                               "DESC LIMIT 1",
                               -1, &st, NULL) != SQLITE_OK)
            return db_error(db, opt->db_path, "not a patternbench database", err);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            bool in_compare = sqlite3_column_type(st, 1) != SQLITE_NULL;
            pick = in_compare ? PB_REPORT_COMPARE : PB_REPORT_RUN;
            id = sqlite3_column_int64(st, in_compare ? 1 : 0);
        } else if (s == SQLITE_DONE) {
            rc = pb_err_set(err, PB_ENOENT, "%s: the database holds no runs yet", opt->db_path);
        } else {
            rc = db_error(db, opt->db_path, "reading runs", err);
        }
        sqlite3_finalize(st);
        if (rc != 0)
            return rc;
    }
    /* first_request/last_request bound a run's rows (set when it ends);
     * without them the table is scanned for the run's id */
    const char *with_bounds = pick == PB_REPORT_RUN
                                  ? "SELECT id, first_request, last_request FROM runs WHERE id = ?1"
                                  : "SELECT id, first_request, last_request FROM runs WHERE "
                                    "compare_id = ?1 ORDER BY id";
    const char *without = pick == PB_REPORT_RUN
                              ? "SELECT id, NULL, NULL FROM runs WHERE id = ?1"
                              : "SELECT id, NULL, NULL FROM runs WHERE compare_id = ?1 ORDER BY id";
    if (sqlite3_prepare_v2(db, with_bounds, -1, &st, NULL) != SQLITE_OK &&
        sqlite3_prepare_v2(db, without, -1, &st, NULL) != SQLITE_OK)
        return db_error(db, opt->db_path, "not a patternbench database", err);
    sqlite3_bind_int64(st, 1, id);
    size_t cap = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap == 0 ? 8 : cap * 2;
            struct run_ref *nr = realloc(*out, ncap * sizeof(*nr));
            if (nr == NULL) {
                rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory", opt->db_path);
                break;
            }
            *out = nr;
            cap = ncap;
        }
        struct run_ref *r = &(*out)[(*n)++];
        r->id = sqlite3_column_int64(st, 0);
        bool bounded = sqlite3_column_type(st, 1) != SQLITE_NULL &&
                       sqlite3_column_type(st, 2) != SQLITE_NULL;
        r->first = bounded ? sqlite3_column_int64(st, 1) : -1;
        r->last = bounded ? sqlite3_column_int64(st, 2) : -1;
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = db_error(db, opt->db_path, "reading runs", err);
    sqlite3_finalize(st);
    if (rc == 0 && *n == 0)
        rc = pick == PB_REPORT_RUN
                 ? pb_err_set(err, PB_ENOENT, "%s: no run with id %" PRId64, opt->db_path, id)
                 : pb_err_set(err, PB_ENOENT, "%s: no compare with id %" PRId64 " (or it has no "
                                              "runs yet)",
                              opt->db_path, id);
    if (rc == 0 && opt->format == PB_EXPORT_HGRM && *n > 1)
        rc = pb_err_set(err, PB_EINVAL,
                        "%s: compare %" PRId64 " has %zu runs, and an hgrm describes the "
                        "latency of one: give --run ID",
                        opt->db_path, id, *n);
    return rc;
}

/* The columns unpack() reads, with requests.seq (schema version 3) or, from
 * an older file, NULL in its place. */
#define ROW_COLUMNS(seq)                                                                           \
    "run_id, t_us, wait_us, connect_us, ttfb_us, total_us, code, bytes, slot, lim, queue, " seq

/* Whether the file's requests table has version 3's seq column (into *out). */
static int has_seq_column(sqlite3 *db, const char *path, bool *out, pb_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT COUNT(*) FROM pragma_table_info('requests') WHERE name = 'seq'",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(db, path, "not a patternbench database", err);
    int step = sqlite3_step(st);
    *out = step == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    return step == SQLITE_ROW ? 0 : db_error(db, path, "reading the schema", err);
}

static int export_run(sqlite3 *db, const pb_export_options *opt, const struct run_ref *run,
                      bool with_seq, struct sink *s, struct hgrm *g, pb_export_result *res,
                      pb_err *err)
{
    static const char *const sql[2][2] = {
        {"SELECT " ROW_COLUMNS("NULL") " FROM requests WHERE run_id = ?1 ORDER BY rowid",
         "SELECT " ROW_COLUMNS("NULL") " FROM requests WHERE rowid BETWEEN ?2 AND ?3 AND "
                                       "run_id = ?1 ORDER BY rowid"},
        {"SELECT " ROW_COLUMNS("seq") " FROM requests WHERE run_id = ?1 ORDER BY rowid",
         "SELECT " ROW_COLUMNS("seq") " FROM requests WHERE rowid BETWEEN ?2 AND ?3 AND "
                                      "run_id = ?1 ORDER BY rowid"},
    };
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql[with_seq][run->first >= 0], -1, &st, NULL) != SQLITE_OK)
        return db_error(db, opt->db_path, "cannot read the requests table", err);
    sqlite3_bind_int64(st, 1, run->id);
    if (run->first >= 0) {
        sqlite3_bind_int64(st, 2, run->first);
        sqlite3_bind_int64(st, 3, run->last);
    }
    struct row r;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        unpack(st, &r);
        res->rows++;
        if (opt->format == PB_EXPORT_CSV)
            write_csv(s, &r);
        else if (opt->format == PB_EXPORT_JSONL)
            write_jsonl(s, &r);
        else
            hgrm_add(g, &r);
        if (s->failed)
            break;
    }
    int rc = 0;
    if (!s->failed && step != SQLITE_DONE)
        rc = db_error(db, opt->db_path, "reading the requests table", err);
    sqlite3_finalize(st);
    return rc;
}

int pb_export_write(const pb_export_options *opt, FILE *out, pb_export_result *res, pb_err *err)
{
    memset(res, 0, sizeof(*res));
    struct stat sb;
    if (stat(opt->db_path, &sb) != 0)
        return pb_err_set(err, PB_ENOENT, "%s: %s (expected a patternbench database)",
                          opt->db_path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return pb_err_set(err, PB_EINVAL, "%s: not a regular file (expected a patternbench "
                                          "database)",
                          opt->db_path);
    sqlite3 *db = NULL;
    struct run_ref *runs = NULL;
    size_t n_runs = 0;
    struct sink *s = NULL;
    struct hgrm g = {.latency = opt->latency};
    int rc = 0;
    if (sqlite3_open_v2(opt->db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = pb_err_set(err, PB_EDB, "%s: cannot open: %s", opt->db_path,
                        db != NULL ? sqlite3_errmsg(db) : "out of memory");
        goto cleanup;
    }
    sqlite3_busy_timeout(db, 5000);
    /* a large sequential read: map the file rather than copy its pages; a
     * failure only costs speed */
    (void)sqlite3_exec(db, "PRAGMA mmap_size = 1073741824", NULL, NULL, NULL);
    /* one read transaction: a run being written is exported as of one instant */
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(db, opt->db_path, "cannot start a read transaction", err);
        goto cleanup;
    }
    rc = pick_runs(db, opt, &runs, &n_runs, err);
    bool with_seq = false;
    if (rc == 0)
        rc = has_seq_column(db, opt->db_path, &with_seq, err);
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
    for (size_t i = 0; i < n_runs && rc == 0 && !s->failed; i++)
        rc = export_run(db, opt, &runs[i], with_seq, s, &g, res, err);
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
    if (db != NULL) {
        (void)sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        sqlite3_close(db);
    }
    pb_hist_destroy(g.h);
    free(s);
    free(runs);
    return rc;
}
