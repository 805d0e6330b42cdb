#include "summary.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "json_out.h"
#include "scoreboard.h"


const char *pb_summary_latency(double ms, char *buf, size_t cap)
{
    if (!isfinite(ms) || ms < 0) {
        snprintf(buf, cap, "n/a");
        return buf;
    }
    snprintf(buf, cap, ms < 10 ? "%.2f" : ms < 100 ? "%.1f" : "%.0f", ms);
    return buf;
}

const char *pb_summary_count(uint64_t n, char *buf, size_t cap)
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%" PRIu64, n);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *pb_summary_threshold_value(const pb_report_threshold *t, char *buf, size_t cap)
{
    double v = t->value;
    if (!isfinite(v)) {
        snprintf(buf, cap, "no data");
        return buf;
    }
    switch (t->unit) {
    case PB_REPORT_UNIT_US:
        /* the unit a limit is usually written in: 850 us, 308.74 ms, 1.502 s */
        if (v < 1000.0)
            snprintf(buf, cap, "%.0f us", v);
        else if (v < 1e6)
            snprintf(buf, cap, "%.2f ms", v / 1e3);
        else
            snprintf(buf, cap, "%.3f s", v / 1e6);
        break;
    case PB_REPORT_UNIT_FRACTION:
        snprintf(buf, cap, "%.2f %%", v * 100.0);
        break;
    case PB_REPORT_UNIT_PER_S:
        snprintf(buf, cap, "%.1f req/s", v);
        break;
    case PB_REPORT_UNIT_COUNT:
        snprintf(buf, cap, "%.0f", v);
        break;
    case PB_REPORT_UNIT_PCT_PER_H:
        snprintf(buf, cap, "%+.2f %%/h", v);
        break;
    }
    return buf;
}

const char *pb_summary_threshold_scope(const pb_report_threshold *t, const char *run_label)
{
    if (run_label != NULL)
        return run_label;
    return t->label != NULL ? t->label : "all runs";
}

const char pb_summary_phase_caption[] =
    "Requests each pattern let through to the server in each phase of the mock's fault "
    "schedule (attempts that reached the network, counted by the phase they started in). "
    "Read the outage rows: every request sent then fails and adds load to a server that is "
    "already failing, so fewer is kinder; a breaker that fails fast sends a handful where a "
    "queue keeps sending at its full rate. In healthy phases, more is more work done.";

size_t pb_summary_phase_rows(const pb_report_data *d, pb_summary_phase_row *rows, size_t cap)
{
    size_t n_index = 0;
    bool counted = false;
    for (size_t i = 0; i < d->n_runs; i++) {
        const pb_report_run *r = &d->runs[i];
        counted = counted || r->n_phase_sent > 0;
        if (r->n_phase_sent > n_index)
            n_index = r->n_phase_sent;
        for (size_t k = 0; k < r->n_phases; k++)
            if (r->phases[k].index >= 0 && (size_t)r->phases[k].index + 1 > n_index)
                n_index = (size_t)r->phases[k].index + 1;
    }
    if (!counted || n_index < 2)
        return 0;
    size_t n = 0;
    for (size_t index = 0; index < n_index && n < cap; index++) {
        const pb_report_phase *found = NULL;
        for (size_t i = 0; i < d->n_runs && found == NULL; i++)
            for (size_t k = 0; k < d->runs[i].n_phases && found == NULL; k++)
                if (d->runs[i].phases[k].index == (int)index)
                    found = &d->runs[i].phases[k];
        uint64_t sent = 0;
        for (size_t i = 0; i < d->n_runs; i++)
            sent += pb_summary_phase_sent(&d->runs[i], (int)index);
        /* an index no run entered (the profile's phases started later than
         * the runs ended) has nothing to say */
        if (found == NULL && sent == 0)
            continue;
        rows[n].index = (int)index;
        rows[n].name = found != NULL ? found->name : "?";
        rows[n].start_s = found != NULL ? found->start_s : NAN;
        n++;
    }
    return n >= 2 ? n : 0;
}

uint64_t pb_summary_phase_sent(const pb_report_run *r, int index)
{
    return index >= 0 && (size_t)index < r->n_phase_sent ? r->phase_sent[index] : 0;
}

bool pb_summary_resume_note(const pb_report_run *r, char *buf, size_t cap)
{
    const pb_report_events *ev = &r->events[PB_REPORT_EV_RESUME];
    if (ev->n == 0)
        return false;
    int w = snprintf(buf, cap, "run %" PRId64 " (%s) was resumed after its process died: no data",
                     r->id, r->label);
    for (size_t i = 0; i < ev->n && w > 0 && (size_t)w < cap; i++) {
        /* from = the last second recorded before, to = the first after */
        const pb_report_event *e = &ev->items[i];
        w += snprintf(buf + w, cap - (size_t)w, "%s from %" PRId64 " s to %" PRId64 " s",
                      i == 0 ? "" : i + 1 < ev->n ? "," : " and", e->from + 1, e->to);
    }
    if (w > 0 && (size_t)w < cap)
        snprintf(buf + w, cap - (size_t)w, " of run time, where its charts break.");
    return true;
}

const char pb_summary_lost_caption[] =
    "lost: results the caller never got, with the successes among them (ok): under semaphore "
    "--on-error propagate a failure raises in its batch's gather, so the batch's other results "
    "are discarded although their requests ran. delivered ok/s: successes that reached the "
    "caller per second, (ok - the successes lost) / duration; ok/s counts every success the "
    "server answered. Compare delivered ok/s between runs: with --on-error isolate nothing is "
    "lost and the two are equal.";

const char *pb_summary_time(int64_t epoch_us, char *buf, size_t cap)
{
    time_t t = (time_t)(epoch_us / 1000000);
    struct tm tm;
    if (epoch_us <= 0 || gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
        snprintf(buf, cap, "n/a");
    return buf;
}

/* Markdown text: ASCII punctuation that Markdown or HTML would act on is
 * backslash-escaped, control characters become spaces. */
static void md_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7F)
            fputc(' ', f);
        else if (strchr("\\`*_{}[]<>()#+!|~&", ch) != NULL)
            fprintf(f, "\\%c", ch);
        else
            fputc(ch, f);
    }
}

static int close_file(FILE *f, const char *path, pb_err *err)
{
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0)
        bad = true;
    return bad ? pb_err_set(err, PB_EIO, "%s: write failed: %s", path, strerror(errno)) : 0;
}

static void md_thresholds(FILE *f, const char *who, const pb_report_threshold *t, size_t n)
{
    char v[64];
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "| ");
        md_text(f, pb_summary_threshold_scope(&t[i], who));
        fprintf(f, " | `");
        /* inside a code span only the backquote matters */
        for (const char *p = t[i].expr; *p != '\0'; p++)
            fputc(*p == '`' || (unsigned char)*p < 0x20 ? ' ' : *p, f);
        fprintf(f, "` | %s | %s |\n", pb_summary_threshold_value(&t[i], v, sizeof(v)),
                t[i].pass ? "pass" : "**FAIL**");
    }
}

size_t pb_summary_target_rows(const pb_report_run *r, pb_summary_target_fn each, void *data)
{
    json_t *root = r->summary_json != NULL ? json_loads(r->summary_json, 0, NULL) : NULL;
    json_t *targets = json_object_get(root, "targets");
    size_t k;
    json_t *t;
    json_array_foreach(targets, k, t)
    {
        const char *label = json_string_value(json_object_get(t, "target"));
        const pb_summary_target_row row = {
            .index = k,
            .target = label != NULL ? label : "?",
            .requests = json_integer_value(json_object_get(t, "requests")),
            .ok_share = json_number_value(json_object_get(t, "ok_share")),
            .p50_ms = (double)json_integer_value(json_object_get(t, "p50_us")) / 1e3,
            .p99_ms = (double)json_integer_value(json_object_get(t, "p99_us")) / 1e3,
        };
        if (each != NULL)
            each(r, &row, data);
    }
    size_t n = json_array_size(targets);
    json_decref(root);
    return n;
}

static void md_target_row(const pb_report_run *r, const pb_summary_target_row *t, void *data)
{
    FILE *f = data;
    fprintf(f, "| ");
    md_text(f, r->label);
    fprintf(f, " | %zu | ", t->index);
    md_text(f, t->target);
    fprintf(f, " | %" PRId64 " | %.1f %% | %.2f | %.2f |\n", t->requests, 100.0 * t->ok_share,
            t->p50_ms, t->p99_ms);
}

size_t pb_summary_target_count(const pb_report_data *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_runs; i++)
        n += pb_summary_target_rows(&d->runs[i], NULL, NULL);
    return n;
}

static void md_targets(FILE *f, const pb_report_data *d)
{
    if (pb_summary_target_count(d) == 0)
        return;
    fprintf(f, "\n## Requests by target\n\n| run | # | target | requests | ok | "
               "p50 ms | p99 ms |\n|---|---:|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < d->n_runs; i++)
        pb_summary_target_rows(&d->runs[i], md_target_row, f);
}

int pb_summary_write_md(const pb_report_data *d, const char *db_path, const char *path,
                        pb_err *err)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return pb_err_set(err, PB_EIO, "%s: cannot write: %s", path, strerror(errno));
    char a[64], b[64];
    if (d->is_cross) {
        fprintf(f, "# ");
        md_text(f, d->title);
        fprintf(f, "\n\nRuns that were not one compare, each timed from its own start:");
        for (size_t i = 0; i < d->n_runs; i++) {
            const pb_report_run *r = &d->runs[i];
            fprintf(f, "%s run %" PRId64 " (", i > 0 ? "," : "", r->id);
            md_text(f, r->label);
            fprintf(f, ") of `");
            md_text(f, r->db_path);
            fprintf(f, "`, started %s", pb_summary_time(r->started_at, a, sizeof(a)));
        }
        fprintf(f, ".\n\n");
    } else if (d->is_compare) {
        fprintf(f, "# ");
        md_text(f, d->title[0] != '\0' ? d->title : "patternbench compare");
        fprintf(f, "\n\nCompare %" PRId64 " from `", d->compare_id);
        md_text(f, db_path);
        fprintf(f, "`, status %s, started %s.\n\nScenario: `", d->compare_status,
                pb_summary_time(d->compare_started_at, a, sizeof(a)));
        md_text(f, d->scenario_path);
        fprintf(f, "`, seed %" PRIu64 ".\n", d->compare_seed);
        /* the comparison's answer first: who did best in which phase */
        pb_scoreboard *sb = NULL;
        pb_err sb_err = {0};
        if (pb_report_scoreboard(d, &sb, &sb_err) == 0 && sb != NULL)
            pb_scoreboard_print(sb, f, true);
        else if (sb == NULL && sb_err.msg[0] != '\0')
            fprintf(f, "\n(no scoreboard: %s)\n", sb_err.msg);
        pb_scoreboard_destroy(sb);
        fprintf(f, "\n## Runs\n\n");
    } else {
        const pb_report_run *r = &d->runs[0];
        fprintf(f, "# ");
        md_text(f, r->label);
        fprintf(f, "\n\nRun %" PRId64 " from `", r->id);
        md_text(f, db_path);
        fprintf(f, "`, status ");
        md_text(f, r->status);
        fprintf(f, ", started %s.\n\nPattern `", pb_summary_time(r->started_at, a, sizeof(a)));
        md_text(f, r->pattern);
        fprintf(f, "`, target `");
        md_text(f, r->target);
        fprintf(f, "`, seed %" PRIu64 ".\n\n", r->seed);
    }
    /* a run that lost results gets the columns that say what reached its caller */
    bool lost = pb_report_data_any_lost(d);
    fprintf(f,
            "| run | label | pattern | status | requests | duration | ok/s | %sreq/s | error %% | "
            "rejected | dropped | %sretries | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | "
            "p99 corrected ms |\n"
            "|---:|---|---|---|---:|---:|---:|%s---:|---:|---:|---:|%s---:|---:|---:|---:|---:|"
            "---:|---:|\n",
            lost ? "delivered ok/s | " : "", lost ? "lost | " : "", lost ? "---:|" : "",
            lost ? "---:|" : "");
    for (size_t i = 0; i < d->n_runs; i++) {
        const pb_report_run *r = &d->runs[i];
        const pb_report_totals *t = &r->totals;
        fprintf(f, "| %" PRId64 " | ", r->id);
        md_text(f, r->label);
        fprintf(f, " | ");
        md_text(f, r->pattern);
        fprintf(f, " | ");
        md_text(f, r->status);
        fprintf(f, "%s | %s | %.1f s | %.1f | ", t->from_rollup ? " (partial)" : "",
                pb_summary_count(t->requests, a, sizeof(a)), t->duration_s, t->ok_rps);
        if (lost)
            fprintf(f, "%.1f | ", t->delivered_ok_rps);
        fprintf(f, "%.1f | %.2f | ", t->rps, t->error_pct);
        fprintf(f, "%s | ",
                pb_summary_count(t->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER], a, sizeof(a)));
        fprintf(f, "%s | ",
                pb_summary_count(t->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE], a, sizeof(a)));
        if (lost)
            fprintf(f, "%s (%s ok) | ", pb_summary_count(t->lost, a, sizeof(a)),
                    pb_summary_count(t->cascaded, b, sizeof(b)));
        fprintf(f, "%s | ", pb_summary_count(t->retries, a, sizeof(a)));
        const double lat[] = {t->p50_ms, t->p90_ms, t->p99_ms, t->p999_ms, t->max_ms, t->cp99_ms};
        for (size_t k = 0; k < sizeof(lat) / sizeof(lat[0]); k++)
            fprintf(f, "%s |%s", pb_summary_latency(lat[k], b, sizeof(b)),
                    k + 1 < sizeof(lat) / sizeof(lat[0]) ? " " : "\n");
    }
    bool partial = false;
    for (size_t i = 0; i < d->n_runs; i++)
        partial = partial || d->runs[i].totals.from_rollup;
    if (partial)
        fprintf(f, "\n(partial): the run has no final summary (still running, or killed); its "
                   "numbers come from the per-second rollup so far.\n");
    for (size_t i = 0; i < d->n_runs; i++) {
        char note[512];
        if (pb_summary_resume_note(&d->runs[i], note, sizeof(note))) {
            fprintf(f, "\n");
            md_text(f, note);
            fprintf(f, "\n");
        }
    }
    if (lost) {
        fprintf(f, "\n");
        md_text(f, pb_summary_lost_caption);
        fprintf(f, "\n");
    }
    /* a mock without a profile's phases still reports its base phase: not worth a section */
    bool phased = false;
    for (size_t i = 0; i < d->n_runs; i++)
        phased = phased || d->runs[i].n_phases > 1;
    if (phased)
        fprintf(f, "\n## Fault phases\n\n");
    for (size_t i = 0; i < d->n_runs; i++) {
        const pb_report_run *r = &d->runs[i];
        if (r->n_phases <= 1)
            continue;
        fprintf(f, "- ");
        md_text(f, r->label);
        fprintf(f, ":");
        for (size_t k = 0; k < r->n_phases; k++) {
            fprintf(f, " ");
            md_text(f, r->phases[k].name);
            fprintf(f, " %.1f–%.1f s%s", r->phases[k].start_s, r->phases[k].end_s,
                    k + 1 < r->n_phases ? "," : "\n");
        }
    }
    pb_summary_phase_row rows[PB_SUMMARY_MAX_PHASE_ROWS];
    size_t n_rows = pb_summary_phase_rows(d, rows, PB_SUMMARY_MAX_PHASE_ROWS);
    if (n_rows > 0) {
        fprintf(f, "\n## Requests sent, by mock phase\n\n");
        md_text(f, pb_summary_phase_caption);
        fprintf(f, "\n\n| phase | from |");
        for (size_t i = 0; i < d->n_runs; i++) {
            fprintf(f, " ");
            md_text(f, d->runs[i].label);
            fprintf(f, " |");
        }
        fprintf(f, "\n|---|---:|");
        for (size_t i = 0; i < d->n_runs; i++)
            fprintf(f, "---:|");
        fprintf(f, "\n");
        for (size_t k = 0; k < n_rows; k++) {
            fprintf(f, "| ");
            md_text(f, rows[k].name);
            if (isfinite(rows[k].start_s))
                fprintf(f, " | %.1f s |", rows[k].start_s);
            else
                fprintf(f, " | n/a |");
            for (size_t i = 0; i < d->n_runs; i++)
                fprintf(f, " %s |", pb_summary_count(pb_summary_phase_sent(&d->runs[i],
                                                                            rows[k].index),
                                                     a, sizeof(a)));
            fprintf(f, "\n");
        }
    }
    md_targets(f, d);
    bool health = false;
    for (size_t i = 0; i < d->n_runs; i++)
        health |= d->runs[i].health.harness_known || d->runs[i].health.verdict_known ||
                  d->runs[i].health.drift_known;
    if (health) {
        fprintf(f, "\n## Harness and drift\n");
        for (size_t i = 0; i < d->n_runs; i++)
            pb_run_health_md(f, d->runs[i].label, &d->runs[i].health);
    }
    size_t nt = d->n_thresholds;
    for (size_t i = 0; i < d->n_runs; i++)
        nt += d->runs[i].n_thresholds;
    if (nt > 0) {
        fprintf(f, "\n## Thresholds\n\n| run | threshold | value | result |\n|---|---|---:|---|\n");
        md_thresholds(f, NULL, d->thresholds, d->n_thresholds);
        for (size_t i = 0; i < d->n_runs; i++)
            md_thresholds(f, d->runs[i].label, d->runs[i].thresholds, d->runs[i].n_thresholds);
    }
    if (d->n_warnings > 0) {
        fprintf(f, "\n## Warnings\n\n");
        for (size_t i = 0; i < d->n_warnings; i++) {
            fprintf(f, "- ");
            md_text(f, d->warnings[i]);
            fprintf(f, "\n");
        }
    }
    return close_file(f, path, err);
}

/* A string from the database; bytes that are not valid UTF-8 (which JSON
 * cannot carry) make the whole string fall back to ASCII with '?'. */
static json_t *jstr(const char *text)
{
    json_t *v = json_string(text);
    if (v != NULL)
        return v;
    char buf[512];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && o + 1 < sizeof(buf); p++)
        buf[o++] = *p < 0x80 ? (char)*p : '?';
    buf[o] = '\0';
    return json_string(buf);
}

/* A number, or null when unknown. */
static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A JSON text stored in the database, parsed; the raw string if it does not parse. */
static json_t *jparsed(const char *text)
{
    if (text == NULL)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v != NULL ? v : jstr(text);
}

static json_t *jthresholds(const pb_report_threshold *t, size_t n)
{
    static const char *const units[] = {[PB_REPORT_UNIT_US] = "us",
                                        [PB_REPORT_UNIT_FRACTION] = "fraction",
                                        [PB_REPORT_UNIT_PER_S] = "per_s",
                                        [PB_REPORT_UNIT_COUNT] = "count",
                                        [PB_REPORT_UNIT_PCT_PER_H] = "pct_per_h"};
    json_t *arr = json_array();
    char v[64];
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:o, s:o, s:s, s:s, s:b}", "expr", jstr(t[i].expr), "value",
                              jnum(t[i].value), "unit", units[t[i].unit], "text",
                              pb_summary_threshold_value(&t[i], v, sizeof(v)), "pass", t[i].pass);
        if (t[i].label != NULL)
            json_object_set_new(o, "label", jstr(t[i].label));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *jrun(const pb_report_run *r)
{
    const pb_report_totals *t = &r->totals;
    json_t *outcomes = json_object();
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        json_object_set_new(outcomes, pb_outcome_name((pb_outcome)o),
                            json_integer((json_int_t)t->outcomes[o]));
    json_t *lat = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "min", jnum(t->min_ms), "mean",
                            jnum(t->mean_ms), "p50", jnum(t->p50_ms), "p90", jnum(t->p90_ms),
                            "p99", jnum(t->p99_ms), "p999", jnum(t->p999_ms), "max",
                            jnum(t->max_ms));
    json_t *corr = json_pack("{s:o, s:o}", "p50", jnum(t->cp50_ms), "p99", jnum(t->cp99_ms));
    json_t *run = json_object();
    json_object_set_new(run, "id", json_integer(r->id));
    json_object_set_new(run, "database", jstr(r->db_path));
    json_object_set_new(run, "compare_id",
                        r->compare_id ? json_integer(r->compare_id) : json_null());
    json_object_set_new(run, "label", jstr(r->label));
    json_object_set_new(run, "pattern", jstr(r->pattern));
    json_object_set_new(run, "status", jstr(r->status));
    json_object_set_new(run, "totals_from", json_string(t->from_rollup ? "rollup" : "summary"));
    json_object_set_new(run, "seed", json_integer((json_int_t)r->seed));
    json_object_set_new(run, "target", jstr(r->target));
    json_object_set_new(run, "started_at_us", r->started_at ? json_integer(r->started_at) : json_null());
    json_object_set_new(run, "ended_at_us", r->ended_at ? json_integer(r->ended_at) : json_null());
    json_object_set_new(run, "duration_s", jnum(t->duration_s));
    json_object_set_new(run, "requests", json_integer((json_int_t)t->requests));
    json_object_set_new(run, "sent", json_integer((json_int_t)t->sent));
    json_object_set_new(run, "failed", json_integer((json_int_t)t->failed));
    json_object_set_new(run, "retries", json_integer((json_int_t)t->retries));
    json_object_set_new(run, "rps", jnum(t->rps));
    json_object_set_new(run, "ok_rps", jnum(t->ok_rps));
    json_object_set_new(run, "lost", json_integer((json_int_t)t->lost));
    json_object_set_new(run, "cascaded", json_integer((json_int_t)t->cascaded));
    json_object_set_new(run, "delivered_ok_rps", jnum(t->delivered_ok_rps));
    json_object_set_new(run, "error_pct", jnum(t->error_pct));
    json_object_set_new(run, "outcomes", outcomes);
    json_object_set_new(run, "latency_ms", lat);
    json_object_set_new(run, "corrected_latency_ms", corr);
    json_object_set_new(run, "limit_changes", json_integer((json_int_t)t->limit_changes));
    json_t *phases = json_array();
    for (size_t i = 0; i < r->n_phases; i++)
        json_array_append_new(phases, json_pack("{s:i, s:o, s:o, s:o}", "index",
                                                r->phases[i].index, "name",
                                                jstr(r->phases[i].name), "start_s",
                                                jnum(r->phases[i].start_s), "end_s",
                                                jnum(r->phases[i].end_s)));
    json_object_set_new(run, "phases", phases);
    json_t *sent = json_array();
    for (size_t i = 0; i < r->n_phase_sent; i++)
        json_array_append_new(sent, json_integer((json_int_t)r->phase_sent[i]));
    json_object_set_new(run, "phase_sent", sent);
    json_object_set_new(run, "phase_sent_from",
                        json_string(r->n_phase_sent == 0         ? "none"
                                    : r->phase_sent_from_rollup ? "rollup"
                                                                : "summary"));
    json_object_set_new(run, "thresholds", jthresholds(r->thresholds, r->n_thresholds));
    json_object_set_new(run, "health", pb_run_health_json(&r->health));
    json_object_set_new(run, "params", jparsed(r->params_json));
    return run;
}

int pb_summary_write_json(const pb_report_data *d, const char *db_path,
                          const pb_charts *charts, const char *path, pb_err *err)
{
    json_t *root = json_object();
    /* several databases: each run names its own */
    json_object_set_new(root, "database", d->n_databases > 1 ? json_null() : jstr(db_path));
    json_object_set_new(root, "seconds_per_point", json_integer((json_int_t)d->bucket_s));
    json_object_set_new(root, "cross_run", json_boolean(d->is_cross));
    if (d->is_compare && !d->is_cross) {
        json_t *cmp = json_object();
        json_object_set_new(cmp, "id", json_integer(d->compare_id));
        json_object_set_new(cmp, "title", jstr(d->title));
        json_object_set_new(cmp, "scenario_path", jstr(d->scenario_path));
        json_object_set_new(cmp, "seed", json_integer((json_int_t)d->compare_seed));
        json_object_set_new(cmp, "status", jstr(d->compare_status));
        json_object_set_new(cmp, "thresholds", jthresholds(d->thresholds, d->n_thresholds));
        json_object_set_new(root, "compare", cmp);
        pb_scoreboard *sb = NULL;
        pb_err sb_err = {0};
        json_object_set_new(root, "scoreboard",
                            pb_report_scoreboard(d, &sb, &sb_err) == 0 && sb != NULL
                                ? pb_scoreboard_json(sb)
                                : json_null());
        pb_scoreboard_destroy(sb);
    } else {
        json_object_set_new(root, "compare", json_null());
    }
    json_t *runs = json_array();
    for (size_t i = 0; i < d->n_runs; i++)
        json_array_append_new(runs, jrun(&d->runs[i]));
    json_object_set_new(root, "runs", runs);
    pb_summary_phase_row rows[PB_SUMMARY_MAX_PHASE_ROWS];
    size_t n_rows = pb_summary_phase_rows(d, rows, PB_SUMMARY_MAX_PHASE_ROWS);
    json_t *by_phase = json_null();
    if (n_rows > 0) {
        json_t *list = json_array();
        for (size_t k = 0; k < n_rows; k++) {
            /* one count per run, in the order of "runs": labels need not be unique */
            json_t *sent = json_array();
            for (size_t i = 0; i < d->n_runs; i++)
                json_array_append_new(
                    sent,
                    json_integer((json_int_t)pb_summary_phase_sent(&d->runs[i], rows[k].index)));
            json_array_append_new(list, json_pack("{s:i, s:o, s:o, s:o}", "index",
                                                  rows[k].index, "name", jstr(rows[k].name),
                                                  "start_s", jnum(rows[k].start_s), "sent",
                                                  sent));
        }
        by_phase = json_pack("{s:s, s:o}", "caption", pb_summary_phase_caption, "phases", list);
    }
    json_object_set_new(root, "sent_by_phase", by_phase);
    json_t *list = json_array();
    for (size_t i = 0; charts != NULL && i < charts->n; i++)
        json_array_append_new(list, json_string(charts->items[i].name));
    json_object_set_new(root, "charts", list);
    json_t *warnings = json_array();
    for (size_t i = 0; i < d->n_warnings; i++)
        json_array_append_new(warnings, jstr(d->warnings[i]));
    json_object_set_new(root, "warnings", warnings);
    int rc = 0;
    if (pb_json_dump_file(root, path, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0)
        rc = pb_err_set(err, PB_EIO, "%s: write failed: %s", path, strerror(errno));
    json_decref(root);
    return rc;
}
