#include "html.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "html_escape.h"
#include "json_out.h"
#include "scoreboard.h"
#include "summary.h"

static const char css[] =
    ":root{color-scheme:light}"
    "body{margin:0;background:#eef0f3;color:#1d1f23;font:15px/1.45 system-ui,-apple-system,"
    "'Segoe UI','DejaVu Sans',sans-serif}"
    "main{max-width:1160px;margin:0 auto;padding:24px 32px 48px;background:#fff}"
    "h1{font-size:1.65em;margin:0 0 .15em}"
    "h2{font-size:1.2em;margin:1.8em 0 .6em;padding-bottom:.2em;border-bottom:2px solid #e4e7eb}"
    "h3{font-size:1em;margin:1.2em 0 .4em}"
    ".meta{color:#555;margin:0}"
    ".wrap{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:.86em}"
    "th,td{padding:4px 6px;border-bottom:1px solid #e4e7eb;text-align:right;white-space:nowrap}"
    "th{background:#f2f4f7;font-weight:600;white-space:normal;vertical-align:bottom}"
    ".l{text-align:left}"
    "td.l{white-space:normal;overflow-wrap:break-word;max-width:22em}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}"
    "dt{color:#555}dd{margin:0;overflow-wrap:anywhere}"
    "code,pre{font-family:'DejaVu Sans Mono',ui-monospace,monospace;font-size:.88em}"
    "pre{background:#f6f8fa;border:1px solid #e4e7eb;padding:10px;white-space:pre-wrap;"
    "overflow-wrap:anywhere;margin:.4em 0}"
    "figure{margin:26px 0;break-inside:avoid;page-break-inside:avoid}"
    "figure img{display:block;width:100%;height:auto;border:1px solid #e4e7eb}"
    "figcaption{color:#555;font-size:.9em;margin-top:6px}"
    ".pass{color:#0a7a36;font-weight:600}.fail{color:#b3261e;font-weight:700}"
    ".partial{color:#9a5b00}"
    "table.sb td,table.sb th{text-align:left;vertical-align:top}"
    "table.sb td.v{white-space:normal;font-weight:600;max-width:14em}"
    "table.sb tr.first td,table.sb tr.first th{border-top:2px solid #c9ced6}"
    ".sb .win{color:#0a7a36;font-weight:700}.sb .tie{color:#9a5b00}.sb .dim{color:#777}"
    ".notice{background:#fff4e0;border-left:4px solid #e69f00;padding:8px 12px;margin:12px 0}"
    "footer{margin-top:3em;color:#777;font-size:.85em}"
    "@media print{body{background:#fff;font-size:10.5pt}main{max-width:none;padding:0}"
    "a{color:inherit;text-decoration:none}.noprint{display:none}"
    "h2{break-after:avoid;page-break-after:avoid}table{font-size:8.5pt}"
    "th,td{padding:3px 5px}pre{white-space:pre-wrap}"
    "figure img{width:auto;max-width:100%;max-height:165mm;margin:0 auto;border:0}}"
    "@page{size:A4 landscape;margin:12mm}";

static void esc(FILE *f, const char *s)
{
    pb_html_escape(f, s);
}

/* A JSON text from the database, indented for reading (as is if it does not parse). */
static void pretty_json(FILE *f, const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    char *pretty = v != NULL ? pb_json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY) : NULL;
    fputs("<pre>", f);
    esc(f, pretty != NULL ? pretty : text);
    fputs("</pre>\n", f);
    free(pretty);
    json_decref(v);
}

static void thresholds_rows(FILE *f, const char *scope, const pb_report_threshold *t, size_t n)
{
    char v[64];
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><td class=\"l\">", f);
        esc(f, pb_summary_threshold_scope(&t[i], scope));
        fputs("</td><td class=\"l\"><code>", f);
        esc(f, t[i].expr);
        fprintf(f, "</code></td><td>%s</td><td class=\"%s\">%s</td></tr>\n",
                pb_summary_threshold_value(&t[i], v, sizeof(v)), t[i].pass ? "pass" : "fail",
                t[i].pass ? "pass" : "FAIL");
    }
}

static void header(FILE *f, const pb_report_data *d, const char *db_path)
{
    char a[64], b[64];
    const char *title = d->is_compare ? (d->title[0] != '\0' ? d->title : "patternbench compare")
                                      : d->runs[0].label;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>patternbench report: ",
          f);
    esc(f, title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<header>\n<h1>", css);
    esc(f, title);
    fputs("</h1>\n<p class=\"meta\">", f);
    if (d->is_cross) {
        fprintf(f, "%zu runs that were not one compare, each timed from its own start · "
                   "database%s ",
                d->n_runs, d->n_databases > 1 ? "s" : "");
        for (size_t i = 0; i < d->n_runs; i++) {
            bool seen = false;
            for (size_t k = 0; k < i && !seen; k++)
                seen = strcmp(d->runs[k].db_path, d->runs[i].db_path) == 0;
            if (seen)
                continue;
            fputs(i > 0 ? ", <code>" : "<code>", f);
            esc(f, d->runs[i].db_path);
            fputs("</code>", f);
        }
        fputs("</p>\n</header>\n", f);
        return;
    }
    if (d->is_compare) {
        fprintf(f, "Compare %" PRId64 " of %zu pattern runs · status ", d->compare_id, d->n_runs);
        esc(f, d->compare_status);
        fprintf(f, " · started %s · ended %s",
                pb_summary_time(d->compare_started_at, a, sizeof(a)),
                pb_summary_time(d->compare_ended_at, b, sizeof(b)));
    } else {
        const pb_report_run *r = &d->runs[0];
        fprintf(f, "Run %" PRId64 " · pattern ", r->id);
        esc(f, r->pattern);
        fputs(" · status ", f);
        esc(f, r->status);
        fprintf(f, " · started %s · ended %s", pb_summary_time(r->started_at, a, sizeof(a)),
                pb_summary_time(r->ended_at, b, sizeof(b)));
    }
    fputs(" · database <code>", f);
    esc(f, db_path);
    fputs("</code></p>\n</header>\n", f);
}

/* One pattern's figures in a phase, the winner's (or the tied) marked. */
static void scoreboard_row(FILE *f, const pb_scoreboard *sb, size_t span, size_t arm)
{
    char text[128];
    const pb_score_cell *c = pb_scoreboard_cell(sb, span, arm);
    fputs("<tr><td class=\"l\">", f);
    esc(f, sb->arm[arm]);
    fputs("</td>", f);
    for (int m = 0; m < PB_SCORE_METRICS; m++) {
        const pb_score_verdict *v =
            m < PB_SCORE_RANKED ? pb_scoreboard_verdict(sb, span, (pb_score_metric)m) : NULL;
        bool mark = v != NULL && v->best == (int)arm && v->runner_up >= 0 && !v->one_trial &&
                    !v->tie;
        bool tied = v != NULL && v->tie && v->tied[arm];
        fprintf(f, "<td%s>%s", mark ? " class=\"win\"" : tied ? " class=\"tie\"" : "",
                mark ? "&#9733; " : "");
        esc(f, pb_score_text(c, (pb_score_metric)m, text, sizeof(text)));
        if (m == PB_SCORE_CP99 && c->has_p99) {
            char p99[32];
            fprintf(f, " <span class=\"dim\">(service %s)</span>",
                    pb_score_sig3(c->p99.mean, p99, sizeof(p99)));
        }
        fputs("</td>", f);
    }
    fputs("</tr>\n", f);
}

/* The comparison's answer, first on the page: phase x metric, winners marked. */
static void scoreboard(FILE *f, const pb_report_data *d)
{
    pb_scoreboard *sb = NULL;
    pb_err err = {0};
    /* runs that were not one compare met different conditions: no winners */
    if (d->is_cross)
        return;
    if (pb_report_scoreboard(d, &sb, &err) != 0 || sb == NULL) {
        if (err.msg[0] != '\0') {
            fputs("<p class=\"notice\">No scoreboard: ", f);
            esc(f, err.msg);
            fputs("</p>\n", f);
        }
        return;
    }
    char cap[512], a[32], b[32];
    fputs("<section id=\"scoreboard\">\n<h2>Scoreboard: who did best in each phase</h2>\n<p>", f);
    esc(f, pb_score_caption(sb, cap, sizeof(cap)));
    fputs(". Unserved: every task that did not end ok (errors, timeouts, resets, rejections, "
          "drops) over the tasks due in the phase; corrected p99 from each task's intended "
          "start, the service p99 beside it; load: attempts per second that reached the "
          "server (no winner: less is kinder to a failing server, more serves more).</p>\n"
          "<div class=\"wrap\"><table class=\"sb\"><tr><th class=\"l\">phase</th>"
          "<th class=\"l\">pattern</th>",
          f);
    for (int m = 0; m < PB_SCORE_METRICS; m++) {
        fputs("<th class=\"l\">", f);
        esc(f, pb_score_metric_title((pb_score_metric)m));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t s = 0; s < sb->n_spans; s++) {
        fprintf(f, "<tr class=\"first\"><th class=\"l\" rowspan=\"%zu\">", sb->n_arms + 1);
        esc(f, sb->span[s]);
        fprintf(f, "<br><span class=\"dim\">%s&ndash;%s s</span></th>",
                pb_score_sig3(sb->span_start_s[s], a, sizeof(a)),
                pb_score_sig3(sb->span_end_s[s], b, sizeof(b)));
        /* the verdicts on the phase's first line, then one line a pattern */
        fputs("<td class=\"dim\">winner</td>", f);
        char text[512];
        for (int m = 0; m < PB_SCORE_METRICS; m++) {
            if (m >= PB_SCORE_RANKED) {
                fputs("<td class=\"dim\">(no winner)</td>", f);
                continue;
            }
            const pb_score_verdict *v = pb_scoreboard_verdict(sb, s, (pb_score_metric)m);
            bool won = v->best >= 0 && !v->tie && !v->one_trial && v->runner_up >= 0;
            fprintf(f, "<td class=\"v %s\">%s", won ? "win" : v->tie ? "tie" : "dim",
                    won ? "&#9733; " : "");
            esc(f, pb_score_verdict_text(sb, v, text, sizeof(text)));
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
        for (size_t arm = 0; arm < sb->n_arms; arm++)
            scoreboard_row(f, sb, s, arm);
    }
    fputs("</table></div>\n</section>\n", f);
    pb_scoreboard_destroy(sb);
}

static void reproduce(FILE *f, const pb_report_data *d)
{
    fputs("<section id=\"reproduce\">\n<h2>Scenario and seed</h2>\n<dl>\n", f);
    if (d->is_cross) {
        char a[64];
        for (size_t i = 0; i < d->n_runs; i++) {
            const pb_report_run *r = &d->runs[i];
            fputs("<dt>", f);
            esc(f, r->label);
            fprintf(f, "</dt><dd>run %" PRId64 " of <code>", r->id);
            esc(f, r->db_path);
            fputs("</code>", f);
            if (r->compare_id != 0)
                fprintf(f, " (compare %" PRId64 ")", r->compare_id);
            fputs(" · pattern ", f);
            esc(f, r->pattern);
            fprintf(f, " · seed %" PRIu64 " · started %s</dd>\n", r->seed,
                    pb_summary_time(r->started_at, a, sizeof(a)));
        }
        fputs("</dl>\n", f);
    } else if (d->is_compare) {
        fputs("<dt>Scenario file</dt><dd><code>", f);
        esc(f, d->scenario_path);
        fprintf(f, "</code></dd>\n<dt>Seed</dt><dd>%" PRIu64 "</dd>\n", d->compare_seed);
        fputs("<dt>Runs</dt><dd>", f);
        for (size_t i = 0; i < d->n_runs; i++) {
            fputs(i > 0 ? ", " : "", f);
            esc(f, d->runs[i].label);
            fputs(" (", f);
            esc(f, d->runs[i].pattern);
            fputs(")", f);
        }
        fputs("</dd>\n</dl>\n", f);
    } else {
        const pb_report_run *r = &d->runs[0];
        fputs("<dt>Pattern</dt><dd>", f);
        esc(f, r->pattern);
        fputs("</dd>\n<dt>Target</dt><dd><code>", f);
        esc(f, r->target);
        fprintf(f, "</code></dd>\n<dt>Seed</dt><dd>%" PRIu64 "</dd>\n</dl>\n", r->seed);
    }
    fputs("<p class=\"meta\">The full configuration of each run is under Runs below.</p>\n", f);
    fputs("</section>\n", f);
}

static void summary_table(FILE *f, const pb_report_data *d)
{
    /* a run that lost results gets the columns that say what reached its caller */
    bool lost = pb_report_data_any_lost(d);
    fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"wrap\">\n"
          "<table id=\"summary-table\">\n<thead><tr><th>run</th><th class=\"l\">label</th>"
          "<th class=\"l\">pattern</th><th class=\"l\">status</th><th>requests</th>"
          "<th>duration</th><th title=\"goodput: requests that succeeded per second\">ok/s</th>",
          f);
    if (lost)
        fputs("<th title=\"successes that reached the caller per second\">delivered ok/s</th>", f);
    fputs("<th title=\"attempts sent to the server per second\">req/s</th><th>error %</th>"
          "<th>rejected</th><th>dropped</th>",
          f);
    if (lost)
        fputs("<th title=\"results the caller never got (the successes among them)\">lost</th>", f);
    fputs("<th>retries</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th>"
          "<th>max ms</th><th title=\"p99 measured from the intended start (coordinated omission "
          "corrected)\">p99 corr. ms</th></tr></thead>\n<tbody>\n",
          f);
    bool partial = false;
    char a[64];
    for (size_t i = 0; i < d->n_runs; i++) {
        const pb_report_run *r = &d->runs[i];
        const pb_report_totals *t = &r->totals;
        partial = partial || t->from_rollup;
        fprintf(f, "<tr><td>%" PRId64 "</td><td class=\"l\">", r->id);
        esc(f, r->label);
        fputs("</td><td class=\"l\">", f);
        esc(f, r->pattern);
        fputs(t->from_rollup ? "</td><td class=\"l partial\">" : "</td><td class=\"l\">", f);
        esc(f, r->status);
        fputs(t->from_rollup ? " (partial)" : "", f);
        fprintf(f, "</td><td>%s</td>", pb_summary_count(t->requests, a, sizeof(a)));
        fprintf(f, "<td>%.1f s</td><td><strong>%.1f</strong></td>", t->duration_s, t->ok_rps);
        if (lost)
            fprintf(f, "<td><strong>%.1f</strong></td>", t->delivered_ok_rps);
        fprintf(f, "<td>%.1f</td><td>%.2f</td>", t->rps, t->error_pct);
        fprintf(f, "<td>%s</td>",
                pb_summary_count(t->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER], a, sizeof(a)));
        fprintf(f, "<td>%s</td>",
                pb_summary_count(t->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE], a, sizeof(a)));
        if (lost) {
            char b[64];
            fprintf(f, "<td>%s (%s ok)</td>", pb_summary_count(t->lost, a, sizeof(a)),
                    pb_summary_count(t->cascaded, b, sizeof(b)));
        }
        fprintf(f, "<td>%s</td>", pb_summary_count(t->retries, a, sizeof(a)));
        const double lat[] = {t->p50_ms, t->p90_ms, t->p99_ms, t->p999_ms, t->max_ms, t->cp99_ms};
        for (size_t k = 0; k < sizeof(lat) / sizeof(lat[0]); k++)
            fprintf(f, "<td>%s</td>", pb_summary_latency(lat[k], a, sizeof(a)));
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n</div>\n", f);
    if (partial)
        fputs("<p class=\"partial\">(partial): the run has no final summary (still running, or "
              "killed); its numbers come from the per-second rollup written so far.</p>\n",
              f);
    for (size_t i = 0; i < d->n_runs; i++) {
        char note[512];
        if (!pb_summary_resume_note(&d->runs[i], note, sizeof(note)))
            continue;
        fputs("<p class=\"meta resumed\">", f);
        esc(f, note);
        fputs("</p>\n", f);
    }
    fputs("<p class=\"meta\">ok/s (goodput) counts requests that succeeded; req/s counts "
          "attempts sent, failed ones included. Latencies in milliseconds: service time of "
          "sent requests; "
          "p99 corr. is measured from the intended start (coordinated omission corrected). "
          "error % counts sent requests that failed; rejected (by the breaker) and dropped "
          "(by backpressure) attempts never reached the network.</p>\n",
          f);
    if (lost) {
        fputs("<p class=\"meta\">", f);
        esc(f, pb_summary_lost_caption);
        fputs("</p>\n", f);
    }
    fputs("</section>\n", f);
}

/* The clearest verdict of a comparison under faults: how many requests each
 * pattern let through while the server was failing. */
static void phase_table(FILE *f, const pb_report_data *d)
{
    pb_summary_phase_row rows[PB_SUMMARY_MAX_PHASE_ROWS];
    size_t n_rows = pb_summary_phase_rows(d, rows, PB_SUMMARY_MAX_PHASE_ROWS);
    if (n_rows == 0)
        return;
    fputs("<section id=\"by-phase\">\n<h2>Requests sent, by mock phase</h2>\n"
          "<div class=\"wrap\">\n<table id=\"phase-table\">\n<thead><tr>"
          "<th class=\"l\">phase</th><th>from</th>",
          f);
    for (size_t i = 0; i < d->n_runs; i++) {
        fputs("<th>", f);
        esc(f, d->runs[i].label);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    char a[64];
    for (size_t k = 0; k < n_rows; k++) {
        fputs("<tr><td class=\"l\">", f);
        esc(f, rows[k].name);
        if (isfinite(rows[k].start_s))
            fprintf(f, "</td><td>%.1f s</td>", rows[k].start_s);
        else
            fputs("</td><td>n/a</td>", f);
        for (size_t i = 0; i < d->n_runs; i++)
            fprintf(f, "<td>%s</td>",
                    pb_summary_count(pb_summary_phase_sent(&d->runs[i], rows[k].index), a,
                                     sizeof(a)));
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n</div>\n<p class=\"meta\">", f);
    esc(f, pb_summary_phase_caption);
    fputs("</p>\n</section>\n", f);
}

static void target_row(const pb_report_run *r, const pb_summary_target_row *t, void *data)
{
    FILE *f = data;
    char a[64], b[64], c[64];
    fputs("<tr><td class=\"l\">", f);
    esc(f, r->label);
    fprintf(f, "</td><td>%zu</td><td class=\"l\"><code>", t->index);
    esc(f, t->target);
    fprintf(f, "</code></td><td>%s</td><td>%.1f %%</td><td>%s</td><td>%s</td></tr>\n",
            pb_summary_count(t->requests > 0 ? (uint64_t)t->requests : 0, a, sizeof(a)),
            100.0 * t->ok_share, pb_summary_latency(t->p50_ms, b, sizeof(b)),
            pb_summary_latency(t->p99_ms, c, sizeof(c)));
}

/* What each request of a --targets file got, as summary.md shows it. */
static void target_table(FILE *f, const pb_report_data *d)
{
    if (pb_summary_target_count(d) == 0)
        return;
    fputs("<section id=\"by-target\">\n<h2>Requests by target</h2>\n<div class=\"wrap\">\n"
          "<table id=\"target-table\">\n<thead><tr><th class=\"l\">run</th><th>#</th>"
          "<th class=\"l\">target</th><th>requests</th>"
          "<th title=\"ok answers among the attempts that reached the server\">ok</th>"
          "<th>p50 ms</th><th>p99 ms</th></tr></thead>\n<tbody>\n",
          f);
    for (size_t i = 0; i < d->n_runs; i++)
        pb_summary_target_rows(&d->runs[i], target_row, f);
    fputs("</tbody>\n</table>\n</div>\n<p class=\"meta\">Requests counts every attempt "
          "(rejections and drops included); ok is the share of those that reached the server; "
          "latencies are those of the answered.</p>\n</section>\n",
          f);
}

static void thresholds(FILE *f, const pb_report_data *d)
{
    fputs("<section id=\"thresholds\">\n<h2>Thresholds</h2>\n", f);
    size_t n = d->n_thresholds;
    for (size_t i = 0; i < d->n_runs; i++)
        n += d->runs[i].n_thresholds;
    if (n == 0) {
        fputs("<p>No thresholds were set.</p>\n</section>\n", f);
        return;
    }
    size_t failed = 0;
    for (size_t i = 0; i < d->n_thresholds; i++)
        failed += !d->thresholds[i].pass;
    for (size_t i = 0; i < d->n_runs; i++)
        for (size_t k = 0; k < d->runs[i].n_thresholds; k++)
            failed += !d->runs[i].thresholds[k].pass;
    fprintf(f, "<p class=\"%s\">%zu of %zu threshold verdicts passed (one per threshold and "
               "run).</p>\n",
            failed ? "fail" : "pass", n - failed, n);
    fputs("<table id=\"thresholds-table\">\n<thead><tr><th class=\"l\">run</th>"
          "<th class=\"l\">threshold</th><th>value</th><th>result</th></tr></thead>\n<tbody>\n",
          f);
    thresholds_rows(f, NULL, d->thresholds, d->n_thresholds);
    for (size_t i = 0; i < d->n_runs; i++)
        thresholds_rows(f, d->runs[i].label, d->runs[i].thresholds, d->runs[i].n_thresholds);
    fputs("</tbody>\n</table>\n</section>\n", f);
}

static void figures(FILE *f, const pb_charts *charts, uint64_t bucket_s)
{
    fputs("<section id=\"charts\">\n<h2>Charts</h2>\n", f);
    if (charts == NULL || charts->n == 0) {
        fputs("<p>No charts were drawn.</p>\n</section>\n", f);
        return;
    }
    if (bucket_s > 1)
        fprintf(f, "<p class=\"meta\">Long run: each plotted point covers %" PRIu64
                   " seconds.</p>\n",
                bucket_s);
    for (size_t i = 0; i < charts->n; i++) {
        const pb_chart *c = &charts->items[i];
        /* chart names and texts are the report's own static strings */
        fprintf(f,
                "<figure id=\"chart-%s\">\n<a href=\"%s.svg\" title=\"open the SVG: it shows "
                "the time and value under the mouse\"><img src=\"%s.png\" alt=\"%s\"></a>\n"
                "<figcaption><strong>%s.</strong> ",
                c->name, c->name, c->name, c->title, c->title);
        esc(f, c->caption);
        fprintf(f, " <span class=\"noprint\"><a href=\"%s.svg\">SVG (values on hover)</a> · "
                   "<a href=\"%s.gp\">gnuplot script</a></span></figcaption>\n</figure>\n",
                c->name, c->name);
    }
    fputs("</section>\n", f);
}

static void run_details(FILE *f, const pb_report_data *d)
{
    fputs("<section id=\"runs\">\n<h2>Runs</h2>\n", f);
    if (d->is_compare && d->scenario_json != NULL) {
        fputs("<h3>Scenario as run (normalised)</h3>\n", f);
        pretty_json(f, d->scenario_json);
    }
    char a[64], b[64];
    for (size_t i = 0; i < d->n_runs; i++) {
        const pb_report_run *r = &d->runs[i];
        fprintf(f, "<h3>Run %" PRId64 ": ", r->id);
        esc(f, r->label);
        fputs("</h3>\n<dl>\n<dt>Pattern</dt><dd>", f);
        esc(f, r->pattern);
        if (d->is_cross) {
            fputs("</dd>\n<dt>Database</dt><dd><code>", f);
            esc(f, r->db_path);
            fputs("</code>", f);
        }
        fputs("</dd>\n<dt>Target</dt><dd><code>", f);
        esc(f, r->target);
        fprintf(f, "</code></dd>\n<dt>Seed</dt><dd>%" PRIu64 "</dd>\n", r->seed);
        fputs("<dt>Status</dt><dd>", f);
        esc(f, r->status);
        fprintf(f, "</dd>\n<dt>Started</dt><dd>%s</dd>\n<dt>Ended</dt><dd>%s</dd>\n",
                pb_summary_time(r->started_at, a, sizeof(a)),
                pb_summary_time(r->ended_at, b, sizeof(b)));
        fputs("<dt>Host</dt><dd>", f);
        esc(f, r->host[0] != '\0' ? r->host : "n/a");
        fputs("</dd>\n</dl>\n", f);
        if (r->params_json != NULL) {
            fputs("<p class=\"meta\">Pattern parameters</p>\n", f);
            pretty_json(f, r->params_json);
        }
        if (r->config_json != NULL) {
            fputs("<p class=\"meta\">Effective configuration</p>\n", f);
            pretty_json(f, r->config_json);
        }
        if (r->versions_json != NULL) {
            fputs("<p class=\"meta\">Versions</p>\n", f);
            pretty_json(f, r->versions_json);
        }
    }
    fputs("</section>\n", f);
}

/* The harness's load and drift, per run (reports/run_health.c). */
static void health(FILE *f, const pb_report_data *d)
{
    enum { MAX_RUNS = 64 };
    const char *labels[MAX_RUNS];
    const pb_run_health *h[MAX_RUNS];
    size_t n = d->n_runs < MAX_RUNS ? d->n_runs : MAX_RUNS;
    for (size_t i = 0; i < n; i++) {
        labels[i] = d->runs[i].label;
        h[i] = &d->runs[i].health;
    }
    pb_run_health_html(f, labels, h, n);
}

int pb_html_write(const pb_report_data *d, const char *db_path, const pb_charts *charts,
                  const char *notice, const char *path, pb_err *err)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return pb_err_set(err, PB_EIO, "%s: cannot write: %s", path, strerror(errno));
    header(f, d, db_path);
    if (notice != NULL) {
        fputs("<p class=\"notice\">", f);
        esc(f, notice);
        fputs("</p>\n", f);
    }
    for (size_t i = 0; i < d->n_warnings; i++) {
        fputs("<p class=\"notice\">", f);
        esc(f, d->warnings[i]);
        fputs("</p>\n", f);
    }
    scoreboard(f, d);
    reproduce(f, d);
    summary_table(f, d);
    phase_table(f, d);
    target_table(f, d);
    thresholds(f, d);
    health(f, d);
    figures(f, charts, d->bucket_s);
    run_details(f, d);
    fputs("<footer>Written by patternbench " PB_VERSION
          " report. The charts' gnuplot scripts and data files are beside this page.</footer>\n"
          "</main>\n</body>\n</html>\n",
          f);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0)
        bad = true;
    return bad ? pb_err_set(err, PB_EIO, "%s: write failed: %s", path, strerror(errno)) : 0;
}
