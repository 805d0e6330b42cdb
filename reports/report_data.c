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
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include "rollup_tail.h"

/* The schema version this reader understands (docs/schema.md); it reads
 * every older one too. */
#define SCHEMA_VERSION 3

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

/* Loading state: the open database and where errors go. */
/* Loading state of one database: its connection, where errors go, and the
 * runs it gave: d->runs[first, end). */
struct loader {
    sqlite3 *db;
    const char *path;
    pb_err *err;
    pb_report_data *d;
    size_t first, end;
    bool in_transaction;
    int version; /* the database's schema version */
};

static int db_error(struct loader *L, const char *what)
{
    return pb_err_set(L->err, PB_EDB, "%s: %s: %s", L->path, what, sqlite3_errmsg(L->db));
}

static int prepare(struct loader *L, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(L->db, sql, -1, st, NULL) != SQLITE_OK) {
        *st = NULL;
        return db_error(L, "cannot read the database (is it a patternbench database?)");
    }
    return 0;
}

/* A copy of a text column, "" for NULL; NULL only when out of memory. */
static char *column_text(sqlite3_stmt *st, int col, bool keep_null)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (t == NULL)
        return keep_null ? NULL : strdup("");
    return strdup((const char *)t);
}

static int64_t column_i64(sqlite3_stmt *st, int col, int64_t if_null)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? if_null : sqlite3_column_int64(st, col);
}

static double column_ms(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col) / 1e3;
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

static uint64_t json_count(json_t *obj, const char *key)
{
    double v = json_num(obj, key);
    return isfinite(v) && v > 0 ? (uint64_t)v : 0;
}

/* The unit of a threshold's value: the stored "unit", else the metric's kind
 * (the metric is the expression's name before its operator). */
static pb_report_unit threshold_unit(json_t *item, const char *expr)
{
    static const struct {
        const char *name;
        pb_report_unit unit;
    } units[] = {{"us", PB_REPORT_UNIT_US},
                 {"fraction", PB_REPORT_UNIT_FRACTION},
                 {"per_s", PB_REPORT_UNIT_PER_S},
                 {"count", PB_REPORT_UNIT_COUNT},
                 {"pct_per_h", PB_REPORT_UNIT_PCT_PER_H}};
    const char *stored = json_string_value(json_object_get(item, "unit"));
    for (size_t i = 0; stored != NULL && i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(stored, units[i].name) == 0)
            return units[i].unit;
    size_t n = strcspn(expr, "<>=! ");
    if (n == 10 && strncmp(expr, "error_rate", n) == 0)
        return PB_REPORT_UNIT_FRACTION;
    if (n == 3 && strncmp(expr, "rps", n) == 0)
        return PB_REPORT_UNIT_PER_S;
    static const char *const latencies[] = {"min", "mean", "p50", "p90", "p95", "p99",
                                            "p999", "p99.9", "max", "cp50", "cp99"};
    for (size_t i = 0; i < sizeof(latencies) / sizeof(latencies[0]); i++)
        if (strlen(latencies[i]) == n && strncmp(expr, latencies[i], n) == 0)
            return PB_REPORT_UNIT_US;
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
    if (isfinite(req) && (uint64_t)req > t->requests)
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
    if (rc == 0 && json_is_array(sent) && json_array_size(sent) > 0) {
        r->phase_sent = calloc(json_array_size(sent), sizeof(*r->phase_sent));
        if (r->phase_sent == NULL)
            rc = PB_ENOMEM;
        for (size_t i = 0; rc == 0 && i < json_array_size(sent); i++) {
            json_t *v = json_array_get(sent, i);
            r->phase_sent[i] = json_is_integer(v) && json_integer_value(v) > 0
                                   ? (uint64_t)json_integer_value(v)
                                   : 0;
        }
        if (rc == 0)
            r->n_phase_sent = json_array_size(sent);
    }
    json_decref(root);
    return rc == 0;
}

#define RUN_COLUMNS                                                            \
    "id, compare_id, label, pattern, target, status, host, params_json, config_json, "        \
    "versions_json, summary_json, seed, started_at, ended_at, duration_us"

/* Fill r from a row of RUN_COLUMNS. */
static int read_run_row(sqlite3_stmt *st, pb_report_run *r)
{
    r->id = sqlite3_column_int64(st, 0);
    r->compare_id = column_i64(st, 1, 0);
    r->label = column_text(st, 2, false);
    r->pattern = column_text(st, 3, false);
    r->target = column_text(st, 4, false);
    r->status = column_text(st, 5, false);
    r->host = column_text(st, 6, false);
    r->params_json = column_text(st, 7, true);
    r->config_json = column_text(st, 8, true);
    r->versions_json = column_text(st, 9, true);
    r->summary_json = column_text(st, 10, true);
    r->seed = (uint64_t)sqlite3_column_int64(st, 11);
    r->started_at = column_i64(st, 12, 0);
    r->ended_at = column_i64(st, 13, 0);
    r->duration_us = column_i64(st, 14, -1);
    if (r->label == NULL || r->pattern == NULL || r->target == NULL || r->status == NULL ||
        r->host == NULL)
        return PB_ENOMEM;
    if ((sqlite3_column_type(st, 7) != SQLITE_NULL && r->params_json == NULL) ||
        (sqlite3_column_type(st, 8) != SQLITE_NULL && r->config_json == NULL) ||
        (sqlite3_column_type(st, 9) != SQLITE_NULL && r->versions_json == NULL) ||
        (sqlite3_column_type(st, 10) != SQLITE_NULL && r->summary_json == NULL))
        return PB_ENOMEM;
    if (r->label[0] == '\0') {
        /* the label defaults to the pattern name (docs/schema.md) */
        free(r->label);
        r->label = strdup(r->pattern);
        if (r->label == NULL)
            return PB_ENOMEM;
    }
    return 0;
}

/* The runs to report, in id order. */
static int load_runs(struct loader *L, const char *where, int64_t id)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "SELECT " RUN_COLUMNS " FROM runs WHERE %s ORDER BY id", where);
    sqlite3_stmt *st;
    int rc = prepare(L, sql, &st);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    size_t cap = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (L->d->n_runs == cap) {
            size_t ncap = cap == 0 ? 4 : cap * 2;
            pb_report_run *nr = realloc(L->d->runs, ncap * sizeof(*nr));
            if (nr == NULL) {
                rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory reading runs", L->path);
                goto cleanup;
            }
            memset(nr + cap, 0, (ncap - cap) * sizeof(*nr));
            L->d->runs = nr;
            cap = ncap;
        }
        pb_report_run *r = &L->d->runs[L->d->n_runs++];
        r->data_id = sqlite3_column_int64(st, 0);
        r->db_path = strdup(L->path);
        if (r->db_path == NULL || read_run_row(st, r) != 0) {
            rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory reading runs", L->path);
            goto cleanup;
        }
    }
    if (s != SQLITE_DONE)
        rc = db_error(L, "reading runs");
cleanup:
    sqlite3_finalize(st);
    return rc;
}

/* span_s and seconds_rows of each run. */
static int load_spans(struct loader *L)
{
    sqlite3_stmt *st;
    int rc = prepare(L, "SELECT COUNT(*), MAX(sec) FROM seconds WHERE run_id = ?1", &st);
    if (rc != 0)
        return rc;
    for (size_t i = L->first; i < L->end && rc == 0; i++) {
        pb_report_run *r = &L->d->runs[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, r->id);
        if (sqlite3_step(st) != SQLITE_ROW) {
            rc = db_error(L, "reading the seconds table");
            break;
        }
        r->seconds_rows = (uint64_t)sqlite3_column_int64(st, 0);
        r->span_s = sqlite3_column_type(st, 1) == SQLITE_NULL
                        ? 0
                        : (uint64_t)sqlite3_column_int64(st, 1) + 1;
        if (r->span_s > L->d->span_s)
            L->d->span_s = r->span_s;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Breaker states ranked by how bad they are, so a bucket shows its worst:
 * none 0, closed 1, half_open 2, open 3 (states numbered as in PB_BREAKER_STATE_MAP). */
#define BREAKER_SEVERITY "CASE breaker WHEN 2 THEN 3 WHEN 3 THEN 2 WHEN 1 THEN 1 ELSE 0 END"

/* One SUM per outcome column of the rollup, in stored order. */
#define SUM_OUTCOME(name, value, text, column) "SUM(" column "), "

/* Result columns of load_points' query. */
enum {
    P_BUCKET,
    P_FIRST_SEC,
    P_SECONDS,
    P_COUNT,
    P_OUTCOMES,
    P_RETRIES = P_OUTCOMES + PB_OUTCOME_COUNT,
    P_LOST,
    P_CASCADED,
    P_P50,
    P_P90,
    P_P99,
    P_MAX,
    P_LIM,
    P_IN_FLIGHT,
    P_QUEUE,
    P_QUEUE_MAX,
    P_SEVERITY,
    P_PHASE,
    P_LAST_SEC,
};

/* A bucket's lost results and the successes among them: version 3's rollup
 * columns, or an older file's `lost` events (?3) in the bucket's seconds, the
 * rule version 3 counts them by. */
#define LOST_V3 "SUM(lost), SUM(cascaded), "
#define LOST_EVENTS_IN_BUCKET                                                                      \
    " FROM events WHERE run_id = ?1 AND kind = ?3 AND t_us >= sec / ?2 * ?2 * 1000000 AND"         \
    " t_us < (sec / ?2 + 1) * ?2 * 1000000), "
#define LOST_FROM_EVENTS                                                                           \
    "(SELECT SUM(to_val)" LOST_EVENTS_IN_BUCKET "(SELECT SUM(value)" LOST_EVENTS_IN_BUCKET

/* clang-format off */
/* load_points' query, with `lost` the way its file counts lost results. */
#define POINTS_SQL(lost)                                                                           \
    "SELECT sec / ?2, MIN(sec), COUNT(*), SUM(count), "                                            \
    PB_OUTCOME_ROLLUP_MAP(SUM_OUTCOME) "SUM(retries), " lost                                       \
    "SUM(p50_us * (count - rejected - dropped)) / NULLIF(SUM(CASE WHEN p50_us IS NULL "            \
    "THEN 0 ELSE count - rejected - dropped END), 0), "                                            \
    "SUM(p90_us * (count - rejected - dropped)) / NULLIF(SUM(CASE WHEN p90_us IS NULL "            \
    "THEN 0 ELSE count - rejected - dropped END), 0), "                                            \
    "MAX(p99_us), MAX(max_us), AVG(lim), AVG(in_flight), AVG(queue), MAX(queue), "                 \
    "MAX(" BREAKER_SEVERITY "), MAX(phase), MAX(sec) "                                             \
    "FROM seconds WHERE run_id = ?1 GROUP BY sec / ?2 ORDER BY 1"
/* clang-format on */

/* The run's rollup, bucketed by d->bucket_s seconds. Latency percentiles of
 * a bucket: p50/p90 averaged weighted by requests sent, p99 and max the
 * bucket's maxima (a spike must not be averaged away). */
static int load_points(struct loader *L, pb_report_run *r)
{
    static const char sql_v3[] = POINTS_SQL(LOST_V3);
    static const char sql_older[] = POINTS_SQL(LOST_FROM_EVENTS);
    uint64_t bucket = L->d->bucket_s;
    size_t cap = (size_t)(r->span_s / bucket + 1);
    if (r->seconds_rows < cap)
        cap = (size_t)r->seconds_rows;
    if (cap == 0)
        return 0;
    r->points = calloc(cap, sizeof(*r->points));
    if (r->points == NULL)
        return pb_err_set(L->err, PB_ENOMEM, "%s: out of memory", L->path);
    sqlite3_stmt *st;
    int rc = prepare(L, L->version >= 3 ? sql_v3 : sql_older, &st);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)bucket);
    if (L->version < 3)
        sqlite3_bind_text(st, 3, pb_event_kind_name(PB_EVENT_LOST), -1, SQLITE_STATIC);
    /* the last second is partial: the run's measured length says how much */
    double last_frac = 1.0;
    if (r->duration_us >= 0 && r->span_s > 0) {
        last_frac = (double)r->duration_us / 1e6 - (double)(r->span_s - 1);
        if (last_frac <= 0.0 || last_frac > 1.0)
            last_frac = 1.0;
    }
    static const int severity_to_state[] = {PB_BREAKER_NONE, PB_BREAKER_CLOSED,
                                            PB_BREAKER_HALF_OPEN, PB_BREAKER_OPEN};
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW && r->n_points < cap) {
        pb_report_point *p = &r->points[r->n_points];
        p->t_s = (double)sqlite3_column_int64(st, P_BUCKET) * (double)bucket;
        p->width_s = (double)sqlite3_column_int64(st, P_SECONDS);
        if ((uint64_t)sqlite3_column_int64(st, P_LAST_SEC) + 1 == r->span_s)
            p->width_s -= 1.0 - last_frac;
        p->count = sqlite3_column_double(st, P_COUNT);
        for (int o = 0; o < PB_OUTCOME_COUNT; o++)
            p->outcomes[o] = sqlite3_column_double(st, P_OUTCOMES + o);
        p->retries = sqlite3_column_double(st, P_RETRIES);
        p->lost = sqlite3_column_double(st, P_LOST);
        p->cascaded = sqlite3_column_double(st, P_CASCADED);
        p->p50_ms = column_ms(st, P_P50);
        p->p90_ms = column_ms(st, P_P90);
        p->p99_ms = column_ms(st, P_P99);
        p->max_ms = column_ms(st, P_MAX);
        p->lim = sqlite3_column_double(st, P_LIM);
        p->in_flight = sqlite3_column_double(st, P_IN_FLIGHT);
        p->queue = sqlite3_column_double(st, P_QUEUE);
        p->queue_max = sqlite3_column_double(st, P_QUEUE_MAX);
        int sev = sqlite3_column_int(st, P_SEVERITY);
        p->breaker = severity_to_state[sev >= 0 && sev <= 3 ? sev : 0];
        p->phase = (int)column_i64(st, P_PHASE, -1);
        r->n_points++;
    }
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        rc = db_error(L, "reading the seconds table");
    sqlite3_finalize(st);
    return rc;
}

/* Merge every second's histogram of the run (NULL blobs are skipped). */
static int load_hist(struct loader *L, pb_report_run *r)
{
    sqlite3_stmt *st;
    int rc = prepare(L, "SELECT sec, hist FROM seconds WHERE run_id = ?1 AND hist IS NOT NULL",
                     &st);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    uint64_t corrupt = 0, first_bad = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->hist == NULL && pb_hist_create_latency(&r->hist) != 0) {
            rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory", L->path);
            goto cleanup;
        }
        const void *blob = sqlite3_column_blob(st, 1);
        int len = sqlite3_column_bytes(st, 1);
        if (blob == NULL || len <= 0)
            continue;
        if (pb_hist_decode_add(r->hist, blob, (size_t)len) != 0) {
            if (corrupt++ == 0)
                first_bad = (uint64_t)sqlite3_column_int64(st, 0);
        }
    }
    if (s != SQLITE_DONE)
        rc = db_error(L, "reading latency histograms");
    if (corrupt > 0)
        warn(L->d, "run %" PRId64 ": %" PRIu64 " corrupt latency histogram(s) in the seconds "
                   "table skipped (first at second %" PRIu64 ")", r->id, corrupt, first_bad);
cleanup:
    sqlite3_finalize(st);
    return rc;
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

/* Mock phases from the 'phase' events, or, when a run has none, from the
 * rollup's phase column. Each span ends where the next begins. */
static int load_phases(struct loader *L, pb_report_run *r)
{
    static const char from_events[] =
        "SELECT t_us, to_val, detail FROM events WHERE run_id = ?1 AND kind = ?2 "
        "ORDER BY t_us LIMIT 1000";
    static const char from_seconds[] =
        "SELECT sec * 1000000, phase, NULL FROM (SELECT sec, phase, LAG(phase) OVER "
        "(ORDER BY sec) AS prev FROM seconds WHERE run_id = ?1) "
        "WHERE phase IS NOT NULL AND prev IS NOT phase ORDER BY sec LIMIT 1000";
    size_t cap = 0;
    int rc = 0;
    for (int pass = 0; pass < 2 && r->n_phases == 0 && rc == 0; pass++) {
        sqlite3_stmt *st;
        rc = prepare(L, pass == 0 ? from_events : from_seconds, &st);
        if (rc != 0)
            return rc;
        sqlite3_bind_int64(st, 1, r->id);
        if (pass == 0)
            sqlite3_bind_text(st, 2, pb_event_kind_name(PB_EVENT_PHASE), -1, SQLITE_STATIC);
        int s;
        while ((s = sqlite3_step(st)) == SQLITE_ROW) {
            double t = (double)sqlite3_column_int64(st, 0) / 1e6;
            int index = (int)column_i64(st, 1, 0);
            if (add_phase(r, &cap, t, index, (const char *)sqlite3_column_text(st, 2)) != 0) {
                rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory", L->path);
                break;
            }
        }
        if (rc == 0 && s != SQLITE_DONE)
            rc = db_error(L, "reading phases");
        sqlite3_finalize(st);
    }
    double end = r->duration_us >= 0 ? (double)r->duration_us / 1e6 : (double)r->span_s;
    for (size_t i = 0; i < r->n_phases; i++)
        r->phases[i].end_s = i + 1 < r->n_phases ? r->phases[i + 1].start_s : end;
    return rc;
}

/* Attempts sent per mock phase from the rollup, for a run without a summary
 * that says so (a killed run, or one written before summaries held it). */
static int load_phase_sent(struct loader *L, pb_report_run *r)
{
    if (r->phase_sent != NULL || r->n_phases < 2)
        return 0;
    sqlite3_stmt *st;
    int rc = prepare(L,
                     "SELECT phase, SUM(count - rejected - dropped) FROM seconds WHERE run_id = "
                     "?1 AND phase BETWEEN 0 AND 1023 GROUP BY phase ORDER BY phase",
                     &st);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, r->id);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        size_t index = (size_t)sqlite3_column_int64(st, 0);
        if (index >= r->n_phase_sent) {
            uint64_t *np = realloc(r->phase_sent, (index + 1) * sizeof(*np));
            if (np == NULL) {
                rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory", L->path);
                break;
            }
            memset(np + r->n_phase_sent, 0, (index + 1 - r->n_phase_sent) * sizeof(*np));
            r->phase_sent = np;
            r->n_phase_sent = index + 1;
        }
        int64_t n = sqlite3_column_int64(st, 1);
        r->phase_sent[index] = n > 0 ? (uint64_t)n : 0;
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = db_error(L, "reading the seconds table");
    r->phase_sent_from_rollup = true;
    sqlite3_finalize(st);
    return rc;
}

/* Breaker and limit events, while there are few enough to draw one by one. */
static int load_events(struct loader *L, pb_report_run *r)
{
    static const pb_event_kind kinds[PB_REPORT_EV_KINDS] = {
        [PB_REPORT_EV_BREAKER] = PB_EVENT_BREAKER_STATE,
        [PB_REPORT_EV_LIMIT] = PB_EVENT_LIMIT_CHANGE,
    };
    sqlite3_stmt *st;
    int rc = prepare(L,
                     "SELECT t_us, from_val, to_val, value FROM events WHERE run_id = ?1 AND "
                     "kind = ?2 ORDER BY t_us LIMIT ?3",
                     &st);
    if (rc != 0)
        return rc;
    for (int k = 0; k < PB_REPORT_EV_KINDS && rc == 0; k++) {
        pb_report_events *ev = &r->events[k];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, r->id);
        sqlite3_bind_text(st, 2, pb_event_kind_name(kinds[k]), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, PB_REPORT_MAX_EVENTS + 1);
        size_t cap = 0;
        int s;
        while ((s = sqlite3_step(st)) == SQLITE_ROW) {
            if (ev->n == PB_REPORT_MAX_EVENTS) {
                ev->truncated = true;
                break;
            }
            if (ev->n == cap) {
                size_t ncap = cap == 0 ? 64 : cap * 2;
                pb_report_event *ni = realloc(ev->items, ncap * sizeof(*ni));
                if (ni == NULL) {
                    rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory", L->path);
                    break;
                }
                ev->items = ni;
                cap = ncap;
            }
            pb_report_event *e = &ev->items[ev->n++];
            e->t_s = (double)sqlite3_column_int64(st, 0) / 1e6;
            e->from = column_i64(st, 1, 0);
            e->to = column_i64(st, 2, 0);
            e->value = sqlite3_column_type(st, 3) == SQLITE_NULL ? NAN
                                                                  : sqlite3_column_double(st, 3);
        }
        if (rc == 0 && s != SQLITE_ROW && s != SQLITE_DONE)
            rc = db_error(L, "reading events");
    }
    sqlite3_finalize(st);
    return rc;
}

/* The harness's figures and drift, over the run's whole seconds (the last,
 * partial one left out; a run without a length, its last row). */
static int load_health(struct loader *L, pb_report_run *r)
{
    uint64_t whole = r->duration_us >= 0 ? (uint64_t)r->duration_us / 1000000
                     : r->span_s > 0      ? r->span_s - 1
                                          : 0;
    return pb_run_health_load(L->db, L->path, r->id, r->summary_json, whole, &r->health, L->err);
}

static int load_compare(struct loader *L, int64_t id)
{
    sqlite3_stmt *st;
    int rc = prepare(L,
                     "SELECT title, scenario_path, scenario_json, seed, started_at, ended_at, "
                     "status, thresholds_json FROM compares WHERE id = ?1",
                     &st);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    pb_report_data *d = L->d;
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        rc = pb_err_set(L->err, PB_ENOENT, "%s: no compare with id %" PRId64, L->path, id);
        goto cleanup;
    }
    if (s != SQLITE_ROW) {
        rc = db_error(L, "reading compares");
        goto cleanup;
    }
    d->is_compare = true;
    d->compare_id = id;
    d->title = column_text(st, 0, false);
    d->scenario_path = column_text(st, 1, false);
    d->scenario_json = column_text(st, 2, true);
    d->compare_seed = (uint64_t)sqlite3_column_int64(st, 3);
    d->compare_started_at = column_i64(st, 4, 0);
    d->compare_ended_at = column_i64(st, 5, 0);
    d->compare_status = column_text(st, 6, false);
    if (d->title == NULL || d->scenario_path == NULL || d->compare_status == NULL) {
        rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory", L->path);
        goto cleanup;
    }
    const char *th = (const char *)sqlite3_column_text(st, 7);
    if (th != NULL) {
        json_error_t jerr;
        json_t *root = json_loads(th, 0, &jerr);
        if (!json_is_array(root))
            warn(d, "compare %" PRId64 ": thresholds_json is not a JSON array (%s)", id,
                 jerr.text);
        else if (parse_thresholds(root, &d->thresholds, &d->n_thresholds) != 0)
            rc = pb_err_set(L->err, PB_ENOMEM, "%s: out of memory", L->path);
        json_decref(root);
    }
cleanup:
    sqlite3_finalize(st);
    return rc;
}

/* What --last means: the compare of the most recently started run, or that run alone. */
static int pick_last(struct loader *L, pb_report_pick *pick, int64_t *id)
{
    sqlite3_stmt *st;
    int rc = prepare(L, "SELECT id, compare_id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1",
                     &st);
    if (rc != 0)
        return rc;
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        bool in_compare = sqlite3_column_type(st, 1) != SQLITE_NULL;
        *pick = in_compare ? PB_REPORT_COMPARE : PB_REPORT_RUN;
        *id = sqlite3_column_int64(st, in_compare ? 1 : 0);
    } else if (s == SQLITE_DONE) {
        rc = pb_err_set(L->err, PB_ENOENT, "%s: the database holds no runs yet", L->path);
    } else {
        rc = db_error(L, "reading runs");
    }
    sqlite3_finalize(st);
    return rc;
}

static int check_schema(struct loader *L)
{
    sqlite3_stmt *st;
    int rc = prepare(L, "PRAGMA user_version", &st);
    if (rc != 0)
        return rc;
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = db_error(L, "reading the schema version");
        sqlite3_finalize(st);
        return rc;
    }
    int version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    L->d->schema_version = version;
    L->version = version;
    if (version > SCHEMA_VERSION)
        return pb_err_set(L->err, PB_ENOTSUP,
                          "%s: schema version %d is newer than this patternbench reads (%d); "
                          "use a newer patternbench",
                          L->path, version, SCHEMA_VERSION);
    rc = prepare(L,
                 "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name IN "
                 "('runs', 'compares', 'seconds', 'events')",
                 &st);
    if (rc != 0)
        return rc;
    int tables = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (tables < 0)
        return db_error(L, "reading the schema");
    if (version < 1 || tables != 4)
        return pb_err_set(L->err, PB_EPARSE,
                          "%s: not a patternbench database (expected the tables runs, compares, "
                          "seconds and events, schema version %d)",
                          L->path, SCHEMA_VERSION);
    return 0;
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
        int rc = load_runs(L, "id = ?1", ids[i]);
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

/* Open the source's database in a read transaction and read which runs it
 * gives: their rows and spans. The connection stays open for load_series. */
static int open_source(struct loader *L, const pb_report_source *src)
{
    struct stat sb;
    if (stat(L->path, &sb) != 0)
        return pb_err_set(L->err, PB_ENOENT, "%s: %s (expected a patternbench database)",
                          L->path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return pb_err_set(L->err, PB_EINVAL, "%s: not a regular file (expected a patternbench "
                                             "database)", L->path);
    if (sqlite3_open_v2(L->path, &L->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return pb_err_set(L->err, PB_EDB, "%s: cannot open: %s", L->path,
                          L->db != NULL ? sqlite3_errmsg(L->db) : "out of memory");
    /* a writer's checkpoint can hold the lock briefly */
    sqlite3_busy_timeout(L->db, 5000);
    /* the rollup is scanned twice (series, histograms): map the file instead of
     * copying its pages through read(); a failure only costs speed */
    if (sqlite3_exec(L->db, "PRAGMA mmap_size = 1073741824", NULL, NULL, NULL) != SQLITE_OK)
        warn(L->d, "%s: memory-mapped reading unavailable: %s", L->path, sqlite3_errmsg(L->db));
    /* one read transaction: every query sees the database as of its first read */
    if (sqlite3_exec(L->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return db_error(L, "cannot start a read transaction");
    L->in_transaction = true;

    pb_report_pick pick = src->pick;
    int64_t id = src->id;
    int rc = check_schema(L);
    if (rc == 0 && pick == PB_REPORT_LAST)
        rc = pick_last(L, &pick, &id);
    if (rc != 0)
        return rc;
    L->first = L->d->n_runs;
    if (pick == PB_REPORT_COMPARE) {
        /* a page of runs from several places has no one compare to describe */
        if (!L->d->is_cross)
            rc = load_compare(L, id);
        if (rc == 0)
            rc = load_runs(L, "compare_id = ?1", id);
        if (rc == 0 && L->d->n_runs == L->first)
            rc = pb_err_set(L->err, PB_ENOENT, "%s: compare %" PRId64 " has no runs yet",
                            L->path, id);
    } else if (pick == PB_REPORT_RUNS) {
        rc = load_listed_runs(L, src->ids, src->n_ids);
    } else {
        rc = load_runs(L, "id = ?1", id);
        if (rc == 0 && L->d->n_runs == L->first)
            rc = pb_err_set(L->err, PB_ENOENT, "%s: no run with id %" PRId64, L->path, id);
    }
    L->end = L->d->n_runs;
    /* a run without its final summary (killed, or still running) has
     * committed rows its rollup has not counted yet; the view that adds them
     * belongs to this connection, so every database gets its own */
    for (size_t i = L->first; i < L->end && rc == 0; i++) {
        pb_report_run *r = &L->d->runs[i];
        uint64_t tail = 0;
        if (r->summary_json != NULL)
            continue;
        rc = pb_rollup_tail_complete(L->db, L->path, r->id, &tail, L->err);
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
    for (size_t i = L->first; i < L->end && rc == 0; i++) {
        pb_report_run *r = &L->d->runs[i];
        rc = load_points(L, r);
        if (rc == 0)
            rc = load_hist(L, r);
        if (rc == 0)
            rc = load_phases(L, r);
        if (rc == 0)
            rc = load_events(L, r);
        if (rc == 0 && (r->summary_json == NULL || !totals_from_summary(L, r)))
            totals_from_rollup(r);
        if (rc == 0)
            rc = load_phase_sent(L, r);
        if (rc == 0)
            rc = load_health(L, r);
    }
    return rc;
}

/* End the read transaction and close; rc is the load's result so far. */
static int close_source(struct loader *L, int rc)
{
    if (L->in_transaction && sqlite3_exec(L->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK &&
        rc == 0)
        rc = db_error(L, "cannot end the read transaction");
    sqlite3_close(L->db);
    L->db = NULL;
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
