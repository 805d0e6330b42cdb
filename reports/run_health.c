#include "run_health.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

static const char *const series_names[PB_HEALTH_SERIES] = {
    [PB_HEALTH_RPS] = "req/s",  [PB_HEALTH_ERROR_RATE] = "error %", [PB_HEALTH_P50] = "p50 ms",
    [PB_HEALTH_P99] = "p99 ms", [PB_HEALTH_RSS] = "harness RSS MB", [PB_HEALTH_LIMIT] = "limit",
};

/* Keys of the series in summary.json. */
static const char *const series_keys[PB_HEALTH_SERIES] = {
    [PB_HEALTH_RPS] = "rps",    [PB_HEALTH_ERROR_RATE] = "error_pct", [PB_HEALTH_P50] = "p50_ms",
    [PB_HEALTH_P99] = "p99_ms", [PB_HEALTH_RSS] = "rss_mb",           [PB_HEALTH_LIMIT] = "limit",
};

const char *pb_run_health_series_name(int i)
{
    return i >= 0 && i < PB_HEALTH_SERIES ? series_names[i] : "";
}

static int db_fail(sqlite3 *db, const char *path, const char *what, pb_err *err)
{
    return pb_err_set(err, PB_EDB, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

static bool has_harness_columns(sqlite3 *db)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT COUNT(*) FROM pragma_table_info('seconds') WHERE name IN "
                           "('cpu_pct', 'rss_bytes', 'loop_lag_us')",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    bool yes = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 3;
    sqlite3_finalize(st);
    return yes;
}

static double column_or_nan(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

static void verdict_from_summary(const char *summary_json, pb_run_health *h)
{
    if (summary_json == NULL)
        return;
    json_t *root = json_loads(summary_json, 0, NULL);
    json_t *gb = json_object_get(root, "generator_bound");
    json_t *harness = json_object_get(root, "harness");
    if (json_is_boolean(gb)) {
        h->verdict_known = true;
        h->generator_bound = json_is_true(gb);
        h->seconds = (uint64_t)json_integer_value(json_object_get(harness, "seconds"));
        h->seconds_saturated =
            (uint64_t)json_integer_value(json_object_get(harness, "seconds_saturated"));
    }
    json_decref(root);
}

/* Mock phases a run can have, the base included (PB_MAX_PHASES + 1). */
#define MAX_PHASES 33

/* Which of the mock's phases are faults: those whose settings differ from the
 * base profile's. A phase that restores the base ("recovered") is not one, so
 * a soak's long healthy stretches between outages count for drift. Phase 0 is
 * the base; phase i is mock.phases[i - 1] of the run's configuration. Without
 * a readable configuration every phase after the base counts as a fault. */
static void fault_phases(sqlite3 *db, int64_t run_id, bool fault[MAX_PHASES])
{
    for (int i = 0; i < MAX_PHASES; i++)
        fault[i] = i > 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT config_json FROM runs WHERE id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, run_id);
    json_t *root = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
        root = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    sqlite3_finalize(st);
    json_t *mock = json_object_get(root, "mock");
    json_t *phases = json_object_get(mock, "phases");
    for (size_t i = 0; i < json_array_size(phases) && i + 1 < MAX_PHASES; i++) {
        const char *key;
        json_t *value;
        bool differs = false;
        json_object_foreach(json_array_get(phases, i), key, value)
        {
            if (strcmp(key, "at") == 0 || strcmp(key, "name") == 0)
                continue;
            differs |= !json_equal(value, json_object_get(mock, key));
        }
        fault[i + 1] = differs;
    }
    json_decref(root);
}

int pb_run_health_load(sqlite3 *db, const char *path, int64_t run_id, const char *summary_json,
                       uint64_t whole_s, pb_run_health *out, pb_err *err)
{
    memset(out, 0, sizeof(*out));
    out->cpu_pct_mean = out->cpu_pct_max = out->rss_max_mb = out->lag_p99_max_ms = NAN;
    for (int i = 0; i < PB_HEALTH_SERIES; i++)
        pb_drift_compute(NULL, 0, &out->drift[i]);
    verdict_from_summary(summary_json, out);
    bool harness = has_harness_columns(db);
    sqlite3_stmt *st = NULL;
    double *y[PB_HEALTH_SERIES] = {0};
    int rc = 0;
    if (harness) {
        if (sqlite3_prepare_v2(db,
                               "SELECT AVG(cpu_pct), MAX(cpu_pct), MAX(rss_bytes) / 1e6, "
                               "MAX(loop_lag_us) / 1e3, COUNT(cpu_pct) FROM seconds WHERE "
                               "run_id = ?1",
                               -1, &st, NULL) != SQLITE_OK)
            return db_fail(db, path, "reading the harness's figures", err);
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 4) > 0) {
            out->harness_known = true;
            out->cpu_pct_mean = column_or_nan(st, 0);
            out->cpu_pct_max = column_or_nan(st, 1);
            out->rss_max_mb = column_or_nan(st, 2);
            out->lag_p99_max_ms = column_or_nan(st, 3);
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (whole_s < PB_DRIFT_MIN_SPAN_S)
        return 0;
    for (int i = 0; i < PB_HEALTH_SERIES; i++) {
        y[i] = malloc(whole_s * sizeof(double));
        if (y[i] == NULL) {
            rc = pb_err_set(err, PB_ENOMEM, "%s: out of memory", path);
            goto cleanup;
        }
        for (uint64_t s = 0; s < whole_s; s++)
            y[i][s] = NAN;
    }
    bool fault[MAX_PHASES];
    fault_phases(db, run_id, fault);
    char sql[320];
    snprintf(sql, sizeof(sql),
             "SELECT sec, count - rejected - dropped, ok, p50_us, p99_us, lim, phase, %s FROM "
             "seconds WHERE run_id = ?1 AND sec < ?2",
             harness ? "rss_bytes" : "NULL");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, path, "reading the seconds table", err);
        goto cleanup;
    }
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)whole_s);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t sec = sqlite3_column_int64(st, 0);
        /* fault phases are the mock's doing, not the run's drift */
        int phase = sqlite3_column_type(st, 6) != SQLITE_NULL ? sqlite3_column_int(st, 6) : 0;
        if (sec < 0 || (phase > 0 && (phase >= MAX_PHASES || fault[phase])))
            continue;
        double sent = sqlite3_column_double(st, 1), ok = sqlite3_column_double(st, 2);
        y[PB_HEALTH_RPS][sec] = sent;
        y[PB_HEALTH_ERROR_RATE][sec] = sent > 0 ? (sent - ok) / sent * 100.0 : NAN;
        y[PB_HEALTH_P50][sec] = column_or_nan(st, 3) / 1e3;
        y[PB_HEALTH_P99][sec] = column_or_nan(st, 4) / 1e3;
        y[PB_HEALTH_LIMIT][sec] = column_or_nan(st, 5);
        y[PB_HEALTH_RSS][sec] = column_or_nan(st, 7) / 1e6;
    }
    if (s != SQLITE_DONE) {
        rc = db_fail(db, path, "reading the seconds table", err);
        goto cleanup;
    }
    out->drift_known = true;
    for (int i = 0; i < PB_HEALTH_SERIES; i++)
        pb_drift_compute(y[i], (size_t)whole_s, &out->drift[i]);
cleanup:
    sqlite3_finalize(st);
    for (int i = 0; i < PB_HEALTH_SERIES; i++)
        free(y[i]);
    return rc;
}

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *pb_run_health_json(const pb_run_health *h)
{
    json_t *o = json_object();
    json_object_set_new(o, "generator_bound",
                        h->verdict_known ? json_boolean(h->generator_bound) : json_null());
    json_t *hz = json_object();
    json_object_set_new(hz, "cpu_pct_mean", num(h->cpu_pct_mean));
    json_object_set_new(hz, "cpu_pct_max", num(h->cpu_pct_max));
    json_object_set_new(hz, "rss_max_mb", num(h->rss_max_mb));
    json_object_set_new(hz, "loop_lag_p99_max_ms", num(h->lag_p99_max_ms));
    if (h->verdict_known) {
        json_object_set_new(hz, "seconds", json_integer((json_int_t)h->seconds));
        json_object_set_new(hz, "seconds_saturated",
                            json_integer((json_int_t)h->seconds_saturated));
    }
    json_object_set_new(o, "harness", hz);
    json_t *drift = json_null();
    if (h->drift_known) {
        drift = json_object();
        for (int i = 0; i < PB_HEALTH_SERIES; i++) {
            const pb_drift *d = &h->drift[i];
            json_t *one = json_object();
            json_object_set_new(one, "per_h", num(d->slope_per_h));
            json_object_set_new(one, "per_h_lo", num(d->lo_per_h));
            json_object_set_new(one, "per_h_hi", num(d->hi_per_h));
            json_object_set_new(one, "pct_per_h", num(d->pct_per_h));
            json_object_set_new(one, "mean", num(d->mean));
            json_object_set_new(one, "first_10pct", num(d->first));
            json_object_set_new(one, "last_10pct", num(d->last));
            json_object_set_new(one, "verdict", json_string(pb_drift_verdict_name(d->verdict)));
            json_object_set_new(drift, series_keys[i], one);
        }
    }
    json_object_set_new(o, "drift", drift);
    return o;
}

/* A figure for a table cell: "n/a" for NaN, else three significant digits. */
static const char *fig(double v, char *buf, size_t cap)
{
    if (!isfinite(v))
        snprintf(buf, cap, "n/a");
    else
        snprintf(buf, cap, "%.3g", v);
    return buf;
}

static const char *harness_line(const pb_run_health *h, char *buf, size_t cap)
{
    char a[16], b[16], c[16], d[16];
    int n = snprintf(buf, cap,
                     "harness CPU %s %% mean, %s %% max; RSS %s MB max; loop lag p99 %s ms max",
                     fig(h->cpu_pct_mean, a, sizeof(a)), fig(h->cpu_pct_max, b, sizeof(b)),
                     fig(h->rss_max_mb, c, sizeof(c)), fig(h->lag_p99_max_ms, d, sizeof(d)));
    if (n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, "; %s",
                 !h->verdict_known    ? "generator-bound: unknown (no summary says)"
                 : h->generator_bound ? "**generator-bound**"
                                      : "not generator-bound");
    return buf;
}

void pb_run_health_md(FILE *f, const char *label, const pb_run_health *h)
{
    char line[256];
    if (h->harness_known || h->verdict_known)
        fprintf(f, "\n%s: %s", label, harness_line(h, line, sizeof(line)));
    if (h->verdict_known && h->generator_bound)
        fprintf(f, " (%" PRIu64 " of %" PRIu64 " s saturated)", h->seconds_saturated, h->seconds);
    if (h->harness_known || h->verdict_known)
        fputs("\n", f);
    if (!h->drift_known)
        return;
    fprintf(f, "\nDrift of %s (per hour, 95 %% interval; fault phases left out):\n\n", label);
    fputs("| series | mean | slope /h | 95 % interval | %/h | first 10 % | last 10 % | verdict |\n"
          "|---|---:|---:|---|---:|---:|---:|---|\n",
          f);
    for (int i = 0; i < PB_HEALTH_SERIES; i++) {
        const pb_drift *d = &h->drift[i];
        char m[16], s[16], lo[16], hi[16], p[16], a[16], b[16];
        fprintf(f, "| %s | %s | %s | [%s, %s] | %s | %s | %s | %s |\n", series_names[i],
                fig(d->mean, m, sizeof(m)), fig(d->slope_per_h, s, sizeof(s)),
                fig(d->lo_per_h, lo, sizeof(lo)), fig(d->hi_per_h, hi, sizeof(hi)),
                fig(d->pct_per_h, p, sizeof(p)), fig(d->first, a, sizeof(a)),
                fig(d->last, b, sizeof(b)), pb_drift_verdict_name(d->verdict));
    }
}

void pb_run_health_html(FILE *f, const char *const *labels, const pb_run_health *const *h, size_t n)
{
    bool any = false;
    for (size_t r = 0; r < n; r++)
        any |= h[r]->harness_known || h[r]->verdict_known || h[r]->drift_known;
    if (!any)
        return;
    fputs("<section id=\"health\">\n<h2>Harness and drift</h2>\n", f);
    for (size_t r = 0; r < n; r++) {
        char line[256];
        fputs("<p><b>", f);
        pb_html_escape(f, labels[r]);
        fputs("</b>: ", f);
        /* the line's only markup is Markdown's bold: show it as HTML */
        harness_line(h[r], line, sizeof(line));
        char *bold = strstr(line, "**generator-bound**");
        if (bold != NULL) {
            *bold = '\0';
            pb_html_escape(f, line);
            fputs("<strong class=\"fail\">generator-bound</strong>", f);
        } else {
            pb_html_escape(f, line);
        }
        fputs("</p>\n", f);
        if (!h[r]->drift_known)
            continue;
        fputs("<div class=\"wrap\"><table>\n<tr><th>series</th><th>mean</th><th>slope /h</th>"
              "<th>95 % interval</th><th>%/h</th><th>first 10 %</th><th>last 10 %</th>"
              "<th>verdict</th></tr>\n",
              f);
        for (int i = 0; i < PB_HEALTH_SERIES; i++) {
            const pb_drift *d = &h[r]->drift[i];
            char m[16], s[16], lo[16], hi[16], p[16], a[16], b[16];
            fprintf(f,
                    "<tr><td>%s</td><td>%s</td><td>%s</td><td>[%s, %s]</td><td>%s</td><td>%s</td>"
                    "<td>%s</td><td>%s</td></tr>\n",
                    series_names[i], fig(d->mean, m, sizeof(m)), fig(d->slope_per_h, s, sizeof(s)),
                    fig(d->lo_per_h, lo, sizeof(lo)), fig(d->hi_per_h, hi, sizeof(hi)),
                    fig(d->pct_per_h, p, sizeof(p)), fig(d->first, a, sizeof(a)),
                    fig(d->last, b, sizeof(b)), pb_drift_verdict_name(d->verdict));
        }
        fputs("</table></div>\n", f);
    }
    fputs("<p class=\"note\">Drift: least-squares slope of the per-minute means, fault phases "
          "left out; <em>drifting</em> when the slope's 95 % interval excludes 0 and the fitted "
          "change over the run is at least 5 % of the mean (runs of 10 minutes or more).</p>\n"
          "</section>\n",
          f);
}
