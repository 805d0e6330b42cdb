/* Merging the databases of a split run's segments (merge.h). Inputs are read
 * twice: first each on its own connection, to check that they fit together
 * before anything is written; then attached one at a time to the output's
 * connection, whose INSERT ... SELECT copies rows without passing them
 * through C. ATTACH cannot happen inside a transaction, so each input is
 * copied in a transaction of its own; the merged run stays 'running' until
 * its summary is written, as a run being recorded does. A merge that fails
 * half-way (a full disk) deletes what it added, or, when even that cannot be
 * written, marks its runs and compare 'failed': never a half-merged run that
 * says it is running, nor one more of them on each retry. */
#include "merge.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "histogram.h"
#include "json_out.h"
#include "mock_gauges.h"
#include "request_code.h"
#include "schema.h"
#include "vocabulary.h"

/* One run of an input file, as the checks and the summary need it. */
struct in_run {
    int64_t id, seed, started_at, ended_at, duration_us, first, last;
    bool has_bounds;
    char *label, *pattern, *params_json, *config_json, *target, *status, *versions_json, *host,
        *summary_json;
    json_t *config;  /* config_json without what differs between segments */
    json_t *summary; /* summary_json */
    uint32_t seg_index, seg_count;
    int64_t start_aimed_us, start_achieved_us;
};

/* One input file: a lone run, or a compare's runs in order. */
struct input {
    const char *path;
    int version; /* its schema version: 1 .. pb_schema_version() */
    int64_t compare_id;
    char *title, *scenario_path, *scenario_json;
    int64_t cmp_seed, cmp_started, cmp_ended;
    int n_runs;
    struct in_run *runs;
};

struct merge {
    const char *out_path;
    struct input *in;
    int n_in;
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    bool prepared;
    pb_hist *sec_hist, *run_hist, *corrected;
    uint8_t *blob;
    size_t blob_cap;
    pb_merge_stats *stats;
    pb_err *err;
};

static char *dup_col(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return t != NULL ? strdup((const char *)t) : NULL;
}

static void free_input(struct input *in)
{
    for (int k = 0; k < in->n_runs; k++) {
        struct in_run *r = &in->runs[k];
        free(r->label);
        free(r->pattern);
        free(r->params_json);
        free(r->config_json);
        free(r->target);
        free(r->status);
        free(r->versions_json);
        free(r->host);
        free(r->summary_json);
        json_decref(r->config);
        json_decref(r->summary);
    }
    free(in->runs);
    free(in->title);
    free(in->scenario_path);
    free(in->scenario_json);
}

static int64_t json_i64(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* Fill r's parsed parts from its JSON columns; an error names the file. */
static int parse_run(const char *path, struct in_run *r, pb_err *err)
{
    if (r->status == NULL || strcmp(r->status, "running") == 0)
        return pb_err_set(err, PB_EINVAL,
                          "%s: run %" PRId64 " has not ended (status running): its process was "
                          "stopped or is still going; run that segment again",
                          path, r->id);
    json_t *cfg = r->config_json != NULL ? json_loads(r->config_json, 0, NULL) : NULL;
    json_t *seg = json_object_get(cfg, "segment");
    if (!json_is_object(seg)) {
        json_decref(cfg);
        return pb_err_set(err, PB_EINVAL,
                          "%s: run %" PRId64 " is not a segment (it ran without --segment I/N)",
                          path, r->id);
    }
    r->seg_index = (uint32_t)json_i64(seg, "index");
    r->seg_count = (uint32_t)json_i64(seg, "count");
    r->start_aimed_us = json_i64(cfg, "start_at_us");
    /* what may differ between the segments of one run */
    json_object_del(cfg, "segment");
    json_object_del(cfg, "start_at_us");
    r->config = cfg;
    r->summary = r->summary_json != NULL ? json_loads(r->summary_json, 0, NULL) : NULL;
    if (r->summary == NULL)
        return pb_err_set(err, PB_EINVAL, "%s: run %" PRId64 " has no readable summary", path,
                          r->id);
    r->start_achieved_us = json_i64(json_object_get(r->summary, "segment"), "start_achieved_us");
    return 0;
}

#define RUN_COLUMNS                                                                                \
    "id, label, pattern, params_json, config_json, seed, target, started_at, ended_at,"            \
    " duration_us, status, versions_json, host, summary_json, first_request, last_request"

static int read_run(sqlite3_stmt *q, struct in_run *r)
{
    r->id = sqlite3_column_int64(q, 0);
    r->label = dup_col(q, 1);
    r->pattern = dup_col(q, 2);
    r->params_json = dup_col(q, 3);
    r->config_json = dup_col(q, 4);
    r->seed = sqlite3_column_int64(q, 5);
    r->target = dup_col(q, 6);
    r->started_at = sqlite3_column_int64(q, 7);
    r->ended_at = sqlite3_column_int64(q, 8);
    r->duration_us = sqlite3_column_int64(q, 9);
    r->status = dup_col(q, 10);
    r->versions_json = dup_col(q, 11);
    r->host = dup_col(q, 12);
    r->summary_json = dup_col(q, 13);
    r->has_bounds =
        sqlite3_column_type(q, 14) != SQLITE_NULL && sqlite3_column_type(q, 15) != SQLITE_NULL;
    r->first = sqlite3_column_int64(q, 14);
    r->last = sqlite3_column_int64(q, 15);
    return r->pattern == NULL || r->status == NULL ? PB_ENOMEM : 0;
}

/* Read the most recent run of the file at in->path, or the compare it is
 * part of, on a read-only connection of its own. */
static int load_input(struct input *in, pb_err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int rc = 0;
    int src = sqlite3_open_v2(in->path, &db, SQLITE_OPEN_READONLY, NULL);
    if (src != SQLITE_OK) {
        rc = pb_schema_error(db, in->path, err, src, "cannot open the database");
        goto done;
    }
    char version[32];
    src = pb_schema_query_one(db, "PRAGMA user_version", version, sizeof(version));
    in->version = src == SQLITE_OK ? (int)strtol(version, NULL, 10) : 0;
    if (in->version < 1 || in->version > pb_schema_version()) {
        rc = pb_err_set(err, PB_EINVAL,
                        "%s: not a patternbench database of schema version 1 to %d (expected the "
                        "--db file of a `run --segment` or `compare --segment`)",
                        in->path, pb_schema_version());
        goto done;
    }
    src = sqlite3_prepare_v2(db,
                             "SELECT " RUN_COLUMNS " FROM runs WHERE compare_id IS (SELECT "
                             "compare_id FROM runs ORDER BY id DESC LIMIT 1) AND (compare_id IS "
                             "NOT NULL OR id = (SELECT max(id) FROM runs)) ORDER BY id",
                             -1, &q, NULL);
    if (src != SQLITE_OK) {
        rc = pb_schema_error(db, in->path, err, src, "reading its runs");
        goto done;
    }
    while ((src = sqlite3_step(q)) == SQLITE_ROW) {
        struct in_run *more = realloc(in->runs, sizeof(*more) * (size_t)(in->n_runs + 1));
        if (more == NULL) {
            rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory reading its runs", in->path);
            goto done;
        }
        in->runs = more;
        struct in_run *r = &in->runs[in->n_runs++];
        memset(r, 0, sizeof(*r));
        if (read_run(q, r) != 0) {
            rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory reading its runs", in->path);
            goto done;
        }
        if ((rc = parse_run(in->path, r, err)) != 0)
            goto done;
    }
    if (src != SQLITE_DONE) {
        rc = pb_schema_error(db, in->path, err, src, "reading its runs");
        goto done;
    }
    if (in->n_runs == 0) {
        rc = pb_err_set(err, PB_EINVAL, "%s: holds no run to merge", in->path);
        goto done;
    }
    sqlite3_finalize(q);
    q = NULL;
    src = sqlite3_prepare_v2(db,
                             "SELECT c.id, title, scenario_path, scenario_json, c.seed, "
                             "c.started_at, c.ended_at FROM compares c JOIN runs r ON "
                             "r.compare_id = c.id WHERE r.id = ?1",
                             -1, &q, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_bind_int64(q, 1, in->runs[0].id);
    if (src == SQLITE_OK && (src = sqlite3_step(q)) == SQLITE_ROW) {
        in->compare_id = sqlite3_column_int64(q, 0);
        in->title = dup_col(q, 1);
        in->scenario_path = dup_col(q, 2);
        in->scenario_json = dup_col(q, 3);
        in->cmp_seed = sqlite3_column_int64(q, 4);
        in->cmp_started = sqlite3_column_int64(q, 5);
        in->cmp_ended = sqlite3_column_int64(q, 6);
        src = SQLITE_DONE;
    }
    if (src != SQLITE_DONE && src != SQLITE_OK)
        rc = pb_schema_error(db, in->path, err, src, "reading its compare");
done:
    sqlite3_finalize(q);
    sqlite3_close(db);
    return rc;
}

/* Where a and b first differ, as a dotted path into buf, with both values. */
static bool json_diff(json_t *a, json_t *b, char *path, size_t cap, json_t **va, json_t **vb)
{
    if (json_is_object(a) && json_is_object(b)) {
        const char *key;
        json_t *v;
        size_t len = strlen(path);
        json_object_foreach(a, key, v)
        {
            snprintf(path + len, cap - len, "%s%s", len ? "." : "", key);
            json_t *w = json_object_get(b, key);
            if (w == NULL) {
                *va = v;
                *vb = NULL;
                return true;
            }
            if (json_diff(v, w, path, cap, va, vb))
                return true;
        }
        json_object_foreach(b, key, v)
        {
            if (json_object_get(a, key) == NULL) {
                snprintf(path + len, cap - len, "%s%s", len ? "." : "", key);
                *va = NULL;
                *vb = v;
                return true;
            }
        }
        path[len] = '\0';
        return false;
    }
    if (json_equal(a, b))
        return false;
    *va = a;
    *vb = b;
    return true;
}

static void text_of(json_t *v, char *buf, size_t cap)
{
    char *t = v != NULL ? pb_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    snprintf(buf, cap, "%s", t != NULL ? t : "(absent)");
    if (strlen(buf) > 60)
        snprintf(buf + 57, cap - 57, "...");
    free(t);
}

/* The inputs are segments of one run or compare: same entries and
 * configuration, each segment 0..N-1 exactly once. */
static int check_inputs(struct merge *m)
{
    pb_err *err = m->err;
    const struct input *a = &m->in[0];
    uint32_t n = a->runs[0].seg_count;
    int *owner = NULL;
    int rc = 0;
    if (n == 0 || n > 1u << 20)
        return pb_err_set(err, PB_EINVAL, "%s: run %" PRId64 " has no valid segment count", a->path,
                          a->runs[0].id);
    owner = malloc(sizeof(*owner) * n);
    if (owner == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory checking the segments");
    for (uint32_t s = 0; s < n; s++)
        owner[s] = -1;
    for (int i = 0; i < m->n_in; i++) {
        const struct input *b = &m->in[i];
        if ((a->compare_id != 0) != (b->compare_id != 0) || a->n_runs != b->n_runs) {
            rc = pb_err_set(err, PB_EINVAL,
                            "%s: holds %s of %d run%s, but %s holds %s of %d: not segments of "
                            "one run or compare",
                            b->path, b->compare_id ? "a compare" : "a lone run", b->n_runs,
                            b->n_runs == 1 ? "" : "s", a->path,
                            a->compare_id ? "a compare" : "a lone run", a->n_runs);
            goto done;
        }
        if (a->scenario_json != NULL && b->scenario_json != NULL &&
            strcmp(a->scenario_json, b->scenario_json) != 0) {
            rc = pb_err_set(err, PB_EINVAL,
                            "%s: compare %" PRId64
                            " ran another scenario than %s's (scenario_json differs)",
                            b->path, b->compare_id, a->path);
            goto done;
        }
        const struct in_run *b0 = &b->runs[0];
        for (int k = 0; k < b->n_runs; k++) {
            const struct in_run *ra = &a->runs[k], *rb = &b->runs[k];
            char path[256] = "", ta[64], tb[64];
            json_t *va = NULL, *vb = NULL;
            if (json_diff(ra->config, rb->config, path, sizeof(path), &va, &vb)) {
                text_of(va, ta, sizeof(ta));
                text_of(vb, tb, sizeof(tb));
                rc = pb_err_set(err, PB_EINVAL,
                                "%s: run %" PRId64
                                " is not a segment of the same run as %s run %" PRId64
                                ": its configuration differs in \"%s\": %s there, %s here",
                                b->path, rb->id, a->path, ra->id, path, ta, tb);
                goto done;
            }
            if (rb->seg_count != n || rb->seg_index != b0->seg_index) {
                rc = pb_err_set(err, PB_EINVAL,
                                "%s: run %" PRId64 " is segment %" PRIu32 "/%" PRIu32
                                ", expected %" PRIu32 "/%" PRIu32 " like the file's other runs "
                                "and %s",
                                b->path, rb->id, rb->seg_index, rb->seg_count, b0->seg_index, n,
                                a->path);
                goto done;
            }
        }
        if (b0->seg_index >= n) {
            rc = pb_err_set(err, PB_EINVAL, "%s: segment %" PRIu32 "/%" PRIu32 " is out of range",
                            b->path, b0->seg_index, n);
            goto done;
        }
        if (owner[b0->seg_index] >= 0) {
            rc = pb_err_set(err, PB_EINVAL,
                            "%s: segment %" PRIu32 "/%" PRIu32
                            " is also in %s: the inputs overlap (give each segment once)",
                            b->path, b0->seg_index, n, m->in[owner[b0->seg_index]].path);
            goto done;
        }
        owner[b0->seg_index] = i;
    }
    for (uint32_t s = 0; s < n; s++) {
        if (owner[s] < 0) {
            char missing[256] = "";
            size_t len = 0;
            for (uint32_t t = s; t < n && len + 24 < sizeof(missing); t++)
                if (owner[t] < 0)
                    len += (size_t)snprintf(missing + len, sizeof(missing) - len,
                                            "%s%" PRIu32 "/%" PRIu32, len ? ", " : "", t, n);
            rc = pb_err_set(err, PB_EINVAL,
                            "segments missing: %s (%d file%s given; merge needs all %" PRIu32 ")",
                            missing, m->n_in, m->n_in == 1 ? "" : "s", n);
            goto done;
        }
    }
    m->stats->segments = (int)n;
done:
    free(owner);
    return rc;
}

static int db_fail(struct merge *m, int src, const char *what)
{
    return pb_schema_error(m->db, m->out_path, m->err, src, what);
}

static int exec_sql(struct merge *m, const char *sql, const char *what)
{
    int src = sqlite3_exec(m->db, sql, NULL, NULL, NULL);
    return src == SQLITE_OK ? 0 : db_fail(m, src, what);
}

/* Prepare sql, bind the integers given (count, then values), step it to the end. */
static int run_sql(struct merge *m, const char *sql, const char *what, int n, ...)
{
    sqlite3_stmt *q = NULL;
    int src = sqlite3_prepare_v2(m->db, sql, -1, &q, NULL);
    va_list ap;
    va_start(ap, n);
    for (int i = 1; i <= n && src == SQLITE_OK; i++)
        src = sqlite3_bind_int64(q, i, va_arg(ap, int64_t));
    va_end(ap);
    if (src == SQLITE_OK) {
        while ((src = sqlite3_step(q)) == SQLITE_ROW)
            ;
        if (src == SQLITE_DONE)
            src = SQLITE_OK;
    }
    sqlite3_finalize(q);
    return src == SQLITE_OK ? 0 : db_fail(m, src, what);
}

/* Status of a merged whole: the worst of its parts. */
static const char *worse(const char *a, const char *b)
{
    static const char *const order[] = {"completed", "interrupted", "aborted", "failed"};
    int ia = 0, ib = 0;
    for (int i = 0; i < 4; i++) {
        if (strcmp(a, order[i]) == 0)
            ia = i;
        if (strcmp(b, order[i]) == 0)
            ib = i;
    }
    return order[ia > ib ? ia : ib];
}

/* Add every integer of src into acc (recursively into objects), except keys in skip. */
static int add_ints(json_t *acc, json_t *src, const char *const *skip)
{
    const char *key;
    json_t *v;
    int bad = 0;
    json_object_foreach(src, key, v)
    {
        bool skipped = false;
        for (int i = 0; skip != NULL && skip[i] != NULL; i++)
            skipped |= strcmp(key, skip[i]) == 0;
        if (skipped)
            continue;
        json_t *have = json_object_get(acc, key);
        if (json_is_integer(v)) {
            json_int_t sum =
                json_integer_value(v) + (json_is_integer(have) ? json_integer_value(have) : 0);
            bad |= json_object_set_new(acc, key, json_integer(sum));
        } else if (json_is_object(v)) {
            if (!json_is_object(have)) {
                have = json_object();
                bad |= json_object_set_new(acc, key, have);
            }
            bad |= add_ints(have, v, skip);
        }
    }
    return bad;
}

static json_t *latency_json(const pb_hist *h)
{
    return json_pack("{s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I}", "min", (json_int_t)pb_hist_min(h), "mean",
                     pb_hist_mean(h), "p50", (json_int_t)pb_hist_percentile(h, 50), "p90",
                     (json_int_t)pb_hist_percentile(h, 90), "p95",
                     (json_int_t)pb_hist_percentile(h, 95), "p99",
                     (json_int_t)pb_hist_percentile(h, 99), "p999",
                     (json_int_t)pb_hist_percentile(h, 99.9), "max", (json_int_t)pb_hist_max(h));
}

/* The mock's gauges that merge leaves out, " server.in_flight," each. */
#define GAUGE_OMITTED_NOTE(gauge, type, metric, merge) GAUGE_NOTE_##merge(gauge)
#define GAUGE_NOTE_PB_GAUGE_OMIT(gauge) " server." #gauge ","
#define GAUGE_NOTE_PB_GAUGE_SUM(gauge)
#define SERVER_OMITTED PB_MOCK_GAUGE_MAP(GAUGE_OMITTED_NOTE)

/* Totals of the merged seconds, for the summary. */
struct totals {
    uint64_t count, outcomes[PB_OUTCOME_COUNT], bytes;
};

/* The summary of merged run k, in the shape of a run's summary_json; what a
 * sum cannot give honestly is left out and listed under "merged". */
static char *merged_summary(struct merge *m, int k, int64_t run_id, const char *status,
                            int64_t duration_us, const struct totals *t)
{
    const struct in_run *r0 = &m->in[0].runs[k];
    json_t *root = json_object(), *outcomes = json_object(), *st = json_object(),
           *pat = json_object(), *errors = json_object(), *server = NULL,
           *phase_sent = json_array(), *segs = json_array();
    char *text = NULL;
    int bad = root == NULL || outcomes == NULL || st == NULL || pat == NULL || errors == NULL ||
              phase_sent == NULL || segs == NULL;
    if (bad)
        goto done;
    uint64_t rejected = t->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER],
             dropped = t->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE];
    uint64_t network = t->count - rejected - dropped;
    uint64_t failed = network - t->outcomes[PB_OUTCOME_OK];
    double duration_s = (double)duration_us / 1e6;
    uint64_t sums[6] = {0};
    static const char *const summed[] = {"writer_stalls", "writer_stall_us", "resent",
                                         "abandoned",     "connections",     "client_threads"};
    static const char *const pattern_skip[] = {"limit", "breaker", NULL};
    /* the mock's counters are summed, its gauges by their rule (common/mock_gauges.h) */
#define GAUGE_OMITTED(gauge, type, metric, merge) merge == PB_GAUGE_OMIT ? #gauge : "",
    static const char *const server_skip[] = {PB_MOCK_GAUGE_MAP(GAUGE_OMITTED) NULL};
#undef GAUGE_OMITTED
    int64_t min_start = INT64_MAX, max_start = INT64_MIN;
    for (int i = 0; i < m->n_in; i++) {
        const struct in_run *r = &m->in[i].runs[k];
        json_t *s = r->summary;
        for (int j = 0; j < 6; j++)
            sums[j] += (uint64_t)json_i64(s, summed[j]);
        bad |= add_ints(st, json_object_get(s, "status"), NULL);
        bad |= add_ints(pat, json_object_get(s, "pattern"), pattern_skip);
        json_t *srv = json_object_get(s, "server");
        if (json_is_object(srv)) {
            if (server == NULL && (server = json_object()) == NULL)
                bad = 1;
            else
                bad |= add_ints(server, srv, server_skip);
        }
        json_t *ps = json_object_get(s, "phase_sent"), *v;
        size_t idx;
        json_array_foreach(ps, idx, v)
        {
            json_int_t have = json_integer_value(json_array_get(phase_sent, idx));
            if (idx < json_array_size(phase_sent))
                bad |=
                    json_array_set_new(phase_sent, idx, json_integer(have + json_integer_value(v)));
            else
                bad |= json_array_append_new(phase_sent, json_integer(json_integer_value(v)));
        }
        const char *key;
        json_object_foreach(json_object_get(s, "errors"), key, v)
        {
            if (json_object_get(errors, key) == NULL)
                bad |= json_object_set(errors, key, v);
        }
        bad |= json_array_append_new(
            segs, json_pack("{s:s,s:I,s:i,s:s,s:I,s:I}", "file", m->in[i].path, "run_id",
                            (json_int_t)r->id, "index", (int)r->seg_index, "status", r->status,
                            "start_aimed_us", (json_int_t)r->start_aimed_us, "start_achieved_us",
                            (json_int_t)r->start_achieved_us));
        if (r->start_achieved_us < min_start)
            min_start = r->start_achieved_us;
        if (r->start_achieved_us > max_start)
            max_start = r->start_achieved_us;
    }
    int64_t skew = max_start - min_start;
    if (skew > m->stats->start_skew_us)
        m->stats->start_skew_us = skew;
    bad |= json_object_set_new(root, "run_id", json_integer(run_id));
    bad |= json_object_set_new(root, "run_status", json_string(status));
    bad |= json_object_set(root, "pattern_name", json_object_get(r0->summary, "pattern_name"));
    bad |= json_object_set(root, "target", json_object_get(r0->summary, "target"));
    bad |= json_object_set_new(root, "requests", json_integer((json_int_t)t->count));
    bad |= json_object_set_new(root, "network", json_integer((json_int_t)network));
    bad |= json_object_set_new(root, "failed", json_integer((json_int_t)failed));
    bad |= json_object_set_new(root, "duration_s", json_real(duration_s));
    bad |= json_object_set_new(root, "rps",
                               json_real(duration_s > 0 ? (double)network / duration_s : 0));
    bad |= json_object_set_new(root, "error_rate",
                               json_real(network > 0 ? (double)failed / (double)network : 0));
    bad |= json_object_set_new(root, "bytes", json_integer((json_int_t)t->bytes));
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        bad |= json_object_set_new(outcomes, pb_outcome_name((pb_outcome)o),
                                   json_integer((json_int_t)t->outcomes[o]));
    bad |= json_object_set(root, "outcomes", outcomes);
    bad |= json_object_set(root, "status", st);
    bad |= json_object_set_new(root, "latency_us", latency_json(m->run_hist));
    bad |= json_object_set_new(root, "corrected_latency_us",
                               json_pack("{s:I,s:I}", "p50",
                                         (json_int_t)pb_hist_percentile(m->corrected, 50), "p99",
                                         (json_int_t)pb_hist_percentile(m->corrected, 99)));
    bad |= json_object_set(root, "pattern", pat);
    for (int j = 0; j < 6; j++)
        bad |= json_object_set_new(root, summed[j], json_integer((json_int_t)sums[j]));
    bad |= json_object_set(root, "phase_sent", phase_sent);
    bad |= json_object_set(root, "errors", errors);
    if (server != NULL)
        bad |= json_object_set(root, "server", server);
    bad |= json_object_set_new(
        root, "segment",
        json_pack("{s:i,s:O,s:I,s:s}", "count", m->stats->segments, "merged", segs, "start_skew_us",
                  (json_int_t)skew, "note",
                  "merged by patternbench merge: counts, outcomes, statuses, bytes, pattern "
                  "counters and the mock's counters are the segments' sums; latency "
                  "percentiles come from the merged histograms (service) and the merged rows "
                  "(corrected); duration is the longest segment's. Left out as no sum gives "
                  "them: peak_in_flight, pattern.limit, pattern.breaker," SERVER_OMITTED
                  " thresholds (not re-evaluated)"));
    if (!bad)
        text = pb_json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
done:
    json_decref(outcomes);
    json_decref(st);
    json_decref(pat);
    json_decref(errors);
    json_decref(server);
    json_decref(phase_sent);
    json_decref(segs);
    json_decref(root);
    return text;
}

/* Write one merged second: its histogram is m->sec_hist. */
static int emit_second(struct merge *m, pb_second_row *row)
{
    const pb_hist *h = m->sec_hist;
    size_t need = pb_hist_encode(h, NULL, 0);
    if (need > m->blob_cap) {
        uint8_t *nb = realloc(m->blob, need);
        if (nb == NULL)
            return pb_err_set(m->err, PB_ENOMEM, "out of memory encoding a histogram");
        m->blob = nb;
        m->blob_cap = need;
    }
    size_t len = pb_hist_encode(h, m->blob, m->blob_cap);
    pb_second_set_latency(row, h, m->blob, len);
    row->marked = true;
    sqlite3_stmt *st = m->st[ST_SECOND];
    pb_schema_bind_second(st, row);
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    pb_schema_unbind_second(st);
    if (src != SQLITE_DONE)
        return db_fail(m, src, "writing a merged second");
    m->stats->seconds++;
    return 0;
}

/* The input files, for an error about a merged row whose file is not known:
 * "a.db", or "one of a.db, b.db" (cut short with "..." past size). */
static const char *input_names(const struct merge *m, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "%s", m->n_in > 1 ? "one of " : "");
    for (int i = 0; i < m->n_in && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "", m->in[i].path);
    if (used >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

/* Sum the segments' seconds (copied to temp.merge_seconds) second by second,
 * each column by its rule in seconds.h; histograms merge exactly. */
static int merge_seconds(struct merge *m, int64_t run_id, struct totals *t)
{
    char cols[2048], sql[2200];
    if (pb_schema_seconds_select(pb_schema_version(), "temp.merge_events", cols, sizeof(cols)) != 0)
        assert(0); /* the buffer fits the table */
    snprintf(sql, sizeof(sql), "SELECT %s FROM temp.merge_seconds AS s ORDER BY s.sec", cols);
    sqlite3_stmt *q = NULL;
    int rc = 0;
    int src = sqlite3_prepare_v2(m->db, sql, -1, &q, NULL);
    if (src != SQLITE_OK)
        return db_fail(m, src, "reading the segments' seconds");
    pb_second_row acc = {.run_id = run_id}, b;
    bool open = false;
    pb_hist_reset(m->sec_hist);
    pb_hist_reset(m->run_hist);
    while ((src = sqlite3_step(q)) == SQLITE_ROW) {
        pb_schema_read_second(q, &b);
        if (open && b.sec != acc.sec) {
            if ((rc = emit_second(m, &acc)) != 0)
                goto done;
            if (pb_hist_add(m->run_hist, m->sec_hist) != 0)
                assert(0); /* both are latency histograms */
            pb_hist_reset(m->sec_hist);
            open = false;
        }
        if (!open) {
            acc = (pb_second_row){.run_id = run_id, .sec = b.sec};
            open = true;
        }
        pb_second_merge(&acc, &b);
        t->count += b.count;
        for (int o = 0; o < PB_OUTCOME_COUNT; o++)
            t->outcomes[o] += b.outcomes[o];
        t->bytes += b.bytes;
        if (PB_SECOND_KNOWN(&b, hist) &&
            pb_hist_decode_add(m->sec_hist, b.hist.data, b.hist.len) != 0) {
            char files[512];
            rc = pb_err_set(m->err, PB_EPARSE, "%s: second %" PRIu64 " holds a corrupt histogram",
                            input_names(m, files, sizeof(files)), b.sec);
            goto done;
        }
    }
    if (src != SQLITE_DONE) {
        rc = db_fail(m, src, "reading the segments' seconds");
        goto done;
    }
    if (open && (rc = emit_second(m, &acc)) == 0 && pb_hist_add(m->run_hist, m->sec_hist) != 0)
        assert(0);
done:
    sqlite3_finalize(q);
    return rc;
}

/* Latency from the intended start, over the merged rows that reached the network. */
static int corrected_latency(struct merge *m, int64_t run_id, int64_t first, int64_t last)
{
    sqlite3_stmt *q = NULL;
    pb_hist_reset(m->corrected);
    int src = sqlite3_prepare_v2(m->db,
                                 "SELECT wait_us + total_us, code FROM main.requests WHERE rowid "
                                 "BETWEEN ?1 AND ?2 AND run_id = ?3",
                                 -1, &q, NULL);
    if (src == SQLITE_OK) {
        pb_bind_i64(q, 1, first);
        pb_bind_i64(q, 2, last);
        pb_bind_i64(q, 3, run_id);
        while ((src = sqlite3_step(q)) == SQLITE_ROW) {
            pb_request_row row;
            pb_request_code_unpack(sqlite3_column_int64(q, 1), &row);
            if (row.outcome != PB_OUTCOME_REJECTED_BY_BREAKER &&
                row.outcome != PB_OUTCOME_DROPPED_BY_BACKPRESSURE)
                pb_hist_record(m->corrected, (uint64_t)sqlite3_column_int64(q, 0));
        }
    }
    sqlite3_finalize(q);
    return src == SQLITE_DONE ? 0 : db_fail(m, src, "reading the merged rows");
}

static int64_t query_i64(struct merge *m, const char *sql)
{
    char v[32];
    return pb_schema_query_one(m->db, sql, v, sizeof(v)) == SQLITE_OK ? strtoll(v, NULL, 10) : 0;
}

/* Copy segment input i's part of entry k (rows, events, seconds) in one transaction. */
static int copy_segment(struct merge *m, int i, int k, int64_t run_id, int64_t *first,
                        int64_t *last)
{
    const struct in_run *r = &m->in[i].runs[k];
    sqlite3_stmt *q = NULL;
    int src = sqlite3_prepare_v2(m->db, "ATTACH ?1 AS seg", -1, &q, NULL);
    if (src == SQLITE_OK) {
        pb_bind_text(q, 1, m->in[i].path, -1);
        src = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    if (src != SQLITE_DONE)
        return pb_schema_error(m->db, m->in[i].path, m->err, src, "cannot attach it");
    int rc = exec_sql(m, "BEGIN IMMEDIATE", "cannot lock the database");
    if (rc != 0)
        goto detach;
    int64_t before = query_i64(m, "SELECT coalesce(max(rowid), 0) FROM main.requests");
    /* the run's rowid bounds keep the scan to its rows, as docs/schema.md advises;
     * requests.seq is version 3's (NULL in an older segment's rows) */
    const char *seq = m->in[i].version >= 4   ? "seq, target, bytes_in"
                      : m->in[i].version >= 3 ? "seq, NULL, NULL"
                                              : "NULL, NULL, NULL";
    char sql[4096];
    int len =
        snprintf(sql, sizeof(sql),
                 "INSERT INTO main.requests(run_id, t_us, wait_us, connect_us, ttfb_us, total_us, "
                 "code, bytes, slot, lim, queue, seq, target, bytes_in) SELECT ?1, t_us, wait_us, "
                 "connect_us, ttfb_us, "
                 "total_us, code, bytes, slot, lim, queue, %s FROM seg.requests WHERE %s ORDER BY "
                 "rowid",
                 seq, r->has_bounds ? "rowid BETWEEN ?2 AND ?3 AND run_id = ?4" : "run_id = ?2");
    assert(len > 0 && (size_t)len < sizeof(sql));
    (void)len;
    if (r->has_bounds)
        rc = run_sql(m, sql, "copying request rows", 4, run_id, r->first, r->last, r->id);
    else
        rc = run_sql(m, sql, "copying request rows", 2, run_id, r->id);
    int64_t copied = sqlite3_changes64(m->db);
    if (rc == 0 && copied > 0) {
        if (*first == 0)
            *first = before + 1;
        *last = sqlite3_last_insert_rowid(m->db);
        m->stats->rows += (uint64_t)copied;
    }
    /* every segment with the built-in mock saw the same phases: keep one copy */
    if (rc == 0)
        rc = run_sql(m,
                     "INSERT INTO temp.merge_events SELECT t_us, kind, from_val, to_val, value, "
                     "detail FROM seg.events WHERE run_id = ?1 AND (kind <> 'phase' OR ?2)",
                     "copying events", 2, r->id, (int64_t)(i == 0));
    /* the segment's seconds as this version holds them (an older file's
     * columns by seconds.h's rule for it), for merge_seconds to add up */
    if (rc == 0) {
        char cols[2048];
        if (pb_schema_seconds_select(m->in[i].version, "seg.events", cols, sizeof(cols)) != 0)
            assert(0); /* the buffer fits the table */
        len = snprintf(sql, sizeof(sql),
                       "INSERT INTO temp.merge_seconds SELECT s.run_id, %s FROM seg.seconds AS s "
                       "WHERE s.run_id = ?1",
                       cols);
        assert(len > 0 && (size_t)len < sizeof(sql));
        rc = run_sql(m, sql, "copying the rollup", 1, r->id);
    }
    if (rc == 0)
        rc = exec_sql(m, "COMMIT", "committing");
    if (rc != 0 && !sqlite3_get_autocommit(m->db))
        sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
detach:;
    int drc = exec_sql(m, "DETACH seg", "detaching an input");
    return rc != 0 ? rc : drc;
}

/* Distinct hosts of entry k's segments, " | " between them. */
static void hosts_text(const struct merge *m, int k, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < m->n_in; i++) {
        const char *h = m->in[i].runs[k].host != NULL ? m->in[i].runs[k].host : "";
        if (strstr(buf, h) != NULL && h[0] != '\0')
            continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len ? " | " : "", h);
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
}

static int merge_entry(struct merge *m, int k, int64_t compare_id, const char **status_out)
{
    const struct in_run *r0 = &m->in[0].runs[k];
    int64_t started = r0->started_at, ended = r0->ended_at, duration = r0->duration_us;
    const char *status = "completed";
    for (int i = 0; i < m->n_in; i++) {
        const struct in_run *r = &m->in[i].runs[k];
        started = r->started_at < started ? r->started_at : started;
        ended = r->ended_at > ended ? r->ended_at : ended;
        duration = r->duration_us > duration ? r->duration_us : duration;
        status = worse(status, r->status);
    }
    *status_out = status;
    json_t *cfg = json_deep_copy(r0->config);
    char *config_json = NULL, *summary = NULL;
    char host[4096];
    hosts_text(m, k, host, sizeof(host));
    int rc = 0;
    if (cfg == NULL ||
        json_object_set_new(cfg, "segments", json_integer(m->stats->segments)) != 0 ||
        (config_json = pb_json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
        rc = pb_err_set(m->err, PB_ENOMEM, "out of memory describing the merged run");
        goto done;
    }
    sqlite3_stmt *st = m->st[ST_RUN_BEGIN];
    pb_bind_nullable(st, 1, compare_id != 0, compare_id);
    pb_bind_text(st, 2, r0->label, -1);
    pb_bind_text(st, 3, r0->pattern, -1);
    pb_bind_text(st, 4, r0->params_json, -1);
    pb_bind_text(st, 5, config_json, -1);
    pb_bind_i64(st, 6, r0->seed);
    pb_bind_text(st, 7, r0->target, -1);
    pb_bind_i64(st, 8, started);
    pb_bind_text(st, 9, r0->versions_json, -1);
    pb_bind_text(st, 10, host, -1);
    int src = sqlite3_step(st);
    sqlite3_reset(st);
    if (src != SQLITE_DONE) {
        rc = db_fail(m, src, "adding the merged run");
        goto done;
    }
    int64_t run_id = sqlite3_last_insert_rowid(m->db);
    if (m->stats->first_run_id == 0)
        m->stats->first_run_id = run_id;
    m->stats->runs++;
    int64_t first = 0, last = 0;
    for (int i = 0; i < m->n_in && rc == 0; i++)
        rc = copy_segment(m, i, k, run_id, &first, &last);
    if (rc != 0)
        goto done;
    if ((rc = exec_sql(m, "BEGIN IMMEDIATE", "cannot lock the database")) != 0)
        goto done;
    /* events of all segments, interleaved in time */
    rc = run_sql(m,
                 "INSERT INTO main.events(run_id, t_us, kind, from_val, to_val, value, detail) "
                 "SELECT ?1, t_us, kind, from_val, to_val, value, detail FROM temp.merge_events "
                 "ORDER BY t_us, rowid",
                 "writing events", 1, run_id);
    if (rc == 0)
        m->stats->events += (uint64_t)sqlite3_changes64(m->db);
    struct totals t = {0};
    if (rc == 0)
        rc = merge_seconds(m, run_id, &t);
    if (rc == 0)
        rc = corrected_latency(m, run_id, first, last);
    if (rc == 0)
        rc = exec_sql(m, "DELETE FROM temp.merge_events; DELETE FROM temp.merge_seconds",
                      "clearing scratch tables");
    if (rc == 0 && (summary = merged_summary(m, k, run_id, status, duration, &t)) == NULL)
        rc = pb_err_set(m->err, PB_ENOMEM, "out of memory writing the merged summary");
    if (rc == 0) {
        st = m->st[ST_RUN_END];
        pb_bind_i64(st, 1, run_id);
        pb_bind_text(st, 2, status, -1);
        pb_bind_i64(st, 3, ended);
        pb_bind_i64(st, 4, duration);
        pb_bind_text(st, 5, summary, -1);
        pb_bind_nullable(st, 6, first > 0, first);
        pb_bind_nullable(st, 7, first > 0, last);
        src = sqlite3_step(st);
        sqlite3_reset(st);
        if (src != SQLITE_DONE)
            rc = db_fail(m, src, "ending the merged run");
    }
    if (rc == 0)
        rc = exec_sql(m, "COMMIT", "committing");
    if (rc != 0 && !sqlite3_get_autocommit(m->db))
        sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
done:
    free(summary);
    free(config_json);
    json_decref(cfg);
    return rc;
}

static int open_output(struct merge *m)
{
    for (int i = 0; i < m->n_in; i++) {
        char a[PATH_MAX], b[PATH_MAX];
        if (realpath(m->out_path, a) != NULL && realpath(m->in[i].path, b) != NULL &&
            strcmp(a, b) == 0)
            return pb_err_set(m->err, PB_EINVAL,
                              "%s: is also an input; give merge another output file", m->out_path);
    }
    int src =
        sqlite3_open_v2(m->out_path, &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (src != SQLITE_OK)
        return db_fail(m, src, "cannot open the database");
    sqlite3_busy_timeout(m->db, 5000);
    char mode[32];
    src = pb_schema_query_one(m->db, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
    if (src != SQLITE_OK)
        return db_fail(m, src, "cannot use the database");
    int rc = pb_schema_create(m->db, m->out_path, m->err);
    if (rc == 0 && (rc = pb_schema_prepare(m->db, m->out_path, m->st, m->err)) == 0)
        m->prepared = true;
    if (rc == 0)
        rc = exec_sql(m,
                      "CREATE TEMP TABLE merge_events(t_us INTEGER, kind TEXT, from_val INTEGER,"
                      " to_val INTEGER, value REAL, detail TEXT);"
                      "CREATE TEMP TABLE merge_seconds AS SELECT * FROM main.seconds WHERE 0",
                      "creating scratch tables");
    return rc;
}

/* After a failure: delete the runs (and compare) this merge added, in one
 * transaction; when that cannot be written either, mark them 'failed'. The
 * rolled-back copy left room in the WAL that deleting (which writes few pages:
 * the freed ones are not rewritten) or an update usually fits in. Says which
 * in err's message. */
static void undo(struct merge *m)
{
    if (m->stats->runs == 0 && m->stats->compare_id == 0)
        return;
    if (!sqlite3_get_autocommit(m->db))
        sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
    int64_t first = m->stats->first_run_id, last = first + m->stats->runs - 1;
    if (m->stats->runs == 0)
        first = 1, last = 0;
    int64_t compare = m->stats->compare_id;
    sqlite3_stmt *q = NULL;
    static const char delete_sql[] =
        "BEGIN IMMEDIATE;"
        "DELETE FROM requests WHERE run_id BETWEEN ?1 AND ?2;"
        "DELETE FROM events WHERE run_id BETWEEN ?1 AND ?2;"
        "DELETE FROM seconds WHERE run_id BETWEEN ?1 AND ?2;"
        "DELETE FROM runs WHERE id BETWEEN ?1 AND ?2;"
        "DELETE FROM compares WHERE id = ?3;"
        "COMMIT";
    static const char fail_sql[] = "BEGIN IMMEDIATE;"
                                   "UPDATE runs SET status = 'failed' WHERE id BETWEEN ?1 AND ?2;"
                                   "UPDATE compares SET status = 'failed' WHERE id = ?3;"
                                   "COMMIT";
    const char *const plans[] = {delete_sql, fail_sql};
    const char *const said[] = {"; nothing of the merge was kept",
                                "; the merged run is left marked 'failed'"};
    for (int p = 0; p < 2; p++) {
        int src = SQLITE_OK;
        for (const char *sql = plans[p]; src == SQLITE_OK && *sql != '\0';) {
            src = sqlite3_prepare_v2(m->db, sql, -1, &q, &sql);
            if (src != SQLITE_OK || q == NULL)
                break;
            for (int i = 1; i <= sqlite3_bind_parameter_count(q); i++)
                sqlite3_bind_int64(q, i, i == 1 ? first : i == 2 ? last : compare);
            src = sqlite3_step(q);
            src = src == SQLITE_DONE ? SQLITE_OK : src;
            sqlite3_finalize(q);
            q = NULL;
        }
        if (src == SQLITE_OK) {
            size_t n = strlen(m->err->msg);
            snprintf(m->err->msg + n, sizeof(m->err->msg) - n, "%s", said[p]);
            return;
        }
        if (!sqlite3_get_autocommit(m->db))
            sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

int pb_merge(const char *out_path, const char *const *inputs, int n_inputs, pb_merge_stats *stats,
             pb_err *err)
{
    memset(stats, 0, sizeof(*stats));
    if (n_inputs < 1)
        return pb_err_set(err, PB_EINVAL, "expected at least one input database");
    struct merge m = {.out_path = out_path, .n_in = n_inputs, .stats = stats, .err = err};
    int rc = 0;
    m.in = calloc((size_t)n_inputs, sizeof(*m.in));
    if (m.in == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    for (int i = 0; i < n_inputs && rc == 0; i++) {
        m.in[i].path = inputs[i];
        rc = load_input(&m.in[i], err);
    }
    if (rc == 0)
        rc = check_inputs(&m);
    if (rc == 0 &&
        (pb_hist_create_latency(&m.sec_hist) != 0 || pb_hist_create_latency(&m.run_hist) != 0 ||
         pb_hist_create_latency(&m.corrected) != 0))
        rc = pb_err_set(err, PB_ENOMEM, "out of memory for histograms");
    if (rc == 0)
        rc = open_output(&m);
    if (rc != 0)
        goto done;
    const struct input *a = &m.in[0];
    int64_t compare_id = 0;
    if (a->compare_id != 0) {
        int64_t started = a->cmp_started;
        for (int i = 0; i < n_inputs; i++)
            started = m.in[i].cmp_started < started ? m.in[i].cmp_started : started;
        sqlite3_stmt *st = m.st[ST_COMPARE_BEGIN];
        pb_bind_text(st, 1, a->title, -1);
        pb_bind_text(st, 2, a->scenario_path, -1);
        pb_bind_text(st, 3, a->scenario_json, -1);
        pb_bind_i64(st, 4, a->cmp_seed);
        pb_bind_i64(st, 5, started);
        int src = sqlite3_step(st);
        sqlite3_reset(st);
        if (src != SQLITE_DONE) {
            rc = db_fail(&m, src, "adding the merged compare");
            goto done;
        }
        compare_id = stats->compare_id = sqlite3_last_insert_rowid(m.db);
    }
    const char *status = "completed";
    for (int k = 0; k < a->n_runs && rc == 0; k++) {
        const char *s = "completed";
        rc = merge_entry(&m, k, compare_id, &s);
        status = worse(status, s);
    }
    if (rc == 0 && compare_id != 0) {
        int64_t ended = 0;
        for (int i = 0; i < n_inputs; i++)
            ended = m.in[i].cmp_ended > ended ? m.in[i].cmp_ended : ended;
        sqlite3_stmt *st = m.st[ST_COMPARE_END];
        pb_bind_i64(st, 1, compare_id);
        pb_bind_text(st, 2, status, -1);
        pb_bind_i64(st, 3, ended);
        /* global thresholds are not re-evaluated on merged runs */
        pb_bind_text(st, 4, NULL, 0);
        int src = sqlite3_step(st);
        sqlite3_reset(st);
        if (src != SQLITE_DONE)
            rc = db_fail(&m, src, "ending the merged compare");
    }
done:
    if (rc != 0 && m.db != NULL)
        undo(&m);
    if (m.prepared)
        for (int i = 0; i < ST_COUNT; i++)
            sqlite3_finalize(m.st[i]);
    if (m.db != NULL)
        sqlite3_close(m.db);
    for (int i = 0; i < n_inputs; i++)
        free_input(&m.in[i]);
    free(m.in);
    free(m.blob);
    pb_hist_destroy(m.sec_hist);
    pb_hist_destroy(m.run_hist);
    pb_hist_destroy(m.corrected);
    return rc;
}
