#include "run_health.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "html_escape.h"

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

#define MAX_PHASES PB_HEALTH_MAX_PHASES

/* Which of the mock's phases are faults: those whose settings differ from the
 * base profile's. A phase that restores the base ("recovered") is not one, so
 * a soak's long healthy stretches between outages count for drift. Phase 0 is
 * the base; phase i is mock.phases[i - 1] of the run's configuration. Without
 * a readable configuration every phase after the base counts as a fault. */
static void fault_phases(const char *config_json, bool fault[MAX_PHASES])
{
    for (int i = 0; i < MAX_PHASES; i++)
        fault[i] = i > 0;
    json_t *root = config_json != NULL ? json_loads(config_json, 0, NULL) : NULL;
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

int pb_run_health_start(pb_run_health_build *b, pb_run_health *out, const char *summary_json,
                        const char *config_json, uint64_t whole_s, const char *path, pb_err *err)
{
    memset(b, 0, sizeof(*b));
    memset(out, 0, sizeof(*out));
    b->out = out;
    b->whole_s = whole_s;
    out->cpu_pct_mean = out->cpu_pct_max = out->rss_max_mb = out->lag_p99_max_ms = NAN;
    for (int i = 0; i < PB_HEALTH_SERIES; i++)
        pb_drift_compute(NULL, 0, &out->drift[i]);
    verdict_from_summary(summary_json, out);
    if (whole_s < PB_DRIFT_MIN_SPAN_S)
        return 0;
    fault_phases(config_json, b->fault);
    for (int i = 0; i < PB_HEALTH_SERIES; i++) {
        b->y[i] = malloc(whole_s * sizeof(double));
        if (b->y[i] == NULL) {
            pb_run_health_finish(b);
            return pb_err_set(err, PB_ENOMEM, "%s: out of memory", path);
        }
        for (uint64_t s = 0; s < whole_s; s++)
            b->y[i][s] = NAN;
    }
    return 0;
}

static double known_or_nan(bool known, double v)
{
    return known ? v : NAN;
}

void pb_run_health_add(pb_run_health_build *b, const pb_second_row *row)
{
    pb_run_health *out = b->out;
    if (PB_SECOND_KNOWN(row, cpu_pct)) {
        out->harness_known = true;
        b->cpu_sum += row->cpu_pct;
        b->cpu_n++;
        out->cpu_pct_max = fmax(out->cpu_pct_max, row->cpu_pct); /* fmax ignores NaN */
    }
    if (PB_SECOND_KNOWN(row, rss_bytes))
        out->rss_max_mb = fmax(out->rss_max_mb, (double)row->rss_bytes / 1e6);
    if (PB_SECOND_KNOWN(row, loop_lag_us))
        out->lag_p99_max_ms = fmax(out->lag_p99_max_ms, (double)row->loop_lag_us / 1e3);
    if (b->y[0] == NULL || row->sec >= b->whole_s)
        return;
    /* fault phases are the mock's doing, not the run's drift */
    int64_t phase = PB_SECOND_KNOWN(row, phase) ? row->phase : 0;
    if (phase > 0 && (phase >= MAX_PHASES || b->fault[phase]))
        return;
    uint64_t sec = row->sec;
    double sent = (double)((int64_t)row->count -
                           (int64_t)row->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] -
                           (int64_t)row->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE]);
    double ok = (double)row->outcomes[PB_OUTCOME_OK];
    b->y[PB_HEALTH_RPS][sec] = sent;
    b->y[PB_HEALTH_ERROR_RATE][sec] = sent > 0 ? (sent - ok) / sent * 100.0 : NAN;
    b->y[PB_HEALTH_P50][sec] = known_or_nan(PB_SECOND_KNOWN(row, p50_us), (double)row->p50_us / 1e3);
    b->y[PB_HEALTH_P99][sec] = known_or_nan(PB_SECOND_KNOWN(row, p99_us), (double)row->p99_us / 1e3);
    b->y[PB_HEALTH_LIMIT][sec] = known_or_nan(PB_SECOND_KNOWN(row, lim), (double)row->lim);
    b->y[PB_HEALTH_RSS][sec] =
        known_or_nan(PB_SECOND_KNOWN(row, rss_bytes), (double)row->rss_bytes / 1e6);
}

void pb_run_health_finish(pb_run_health_build *b)
{
    pb_run_health *out = b->out;
    if (b->cpu_n > 0)
        out->cpu_pct_mean = b->cpu_sum / (double)b->cpu_n;
    if (b->y[0] != NULL && b->y[PB_HEALTH_SERIES - 1] != NULL) {
        out->drift_known = true;
        for (int i = 0; i < PB_HEALTH_SERIES; i++)
            pb_drift_compute(b->y[i], (size_t)b->whole_s, &out->drift[i]);
    }
    for (int i = 0; i < PB_HEALTH_SERIES; i++) {
        free(b->y[i]);
        b->y[i] = NULL;
    }
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
