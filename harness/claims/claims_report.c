/* The claims' page, rendered from reproduce's JSON object. */
#include "claims_report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "html_escape.h"
#include "json_out.h"

/* Width of an error-bar chart, in SVG pixels. */
#define BAR_W 260

static const char *str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s != NULL ? s : "";
}

static double num(const json_t *j, const char *key)
{
    return json_number_value(json_object_get(j, key));
}

/* An arm's figures for one implementation ("c" or "python"), NULL if it has none. */
static const json_t *arm_rps(const json_t *root, const char *label, const char *impl)
{
    const json_t *arm = json_object_get(json_object_get(root, "arms"), label);
    const json_t *r = json_object_get(json_object_get(arm, impl), "rps");
    return json_is_object(r) ? r : NULL;
}

/* "2612 ± 35" or the reason it is missing. */
static void mean_ci_text(const json_t *root, const char *label, const char *impl, char *buf,
                         size_t len)
{
    const json_t *r = arm_rps(root, label, impl);
    if (r == NULL) {
        const json_t *arm = json_object_get(json_object_get(root, "arms"), label);
        const char *why = str(json_object_get(arm, impl), "missing");
        snprintf(buf, len, "- (%s)", why[0] ? why : "not run");
        return;
    }
    snprintf(buf, len, "%.0f ± %.0f", num(r, "mean"), num(r, "half"));
}

/* One horizontal 95 % error bar, 0..scale across BAR_W pixels. */
static void svg_bar(FILE *f, const json_t *ci, double scale)
{
    if (ci == NULL || !(scale > 0)) {
        fprintf(f, "<td></td>");
        return;
    }
    double x = BAR_W * num(ci, "mean") / scale, lo = BAR_W * num(ci, "lo") / scale,
           hi = BAR_W * num(ci, "hi") / scale;
    lo = lo < 0 ? 0 : lo;
    hi = hi > BAR_W ? BAR_W : hi;
    fprintf(f,
            "<td><svg width=\"%d\" height=\"14\" role=\"img\"><line x1=\"0\" y1=\"7\" x2=\"%d\" "
            "y2=\"7\" stroke=\"#ddd\"/><line x1=\"%.1f\" y1=\"7\" x2=\"%.1f\" y2=\"7\" "
            "stroke=\"#333\" stroke-width=\"2\"/><line x1=\"%.1f\" y1=\"2\" x2=\"%.1f\" y2=\"12\" "
            "stroke=\"#333\"/><line x1=\"%.1f\" y1=\"2\" x2=\"%.1f\" y2=\"12\" stroke=\"#333\"/>"
            "<circle cx=\"%.1f\" cy=\"7\" r=\"3\" fill=\"#c33\"/></svg></td>",
            BAR_W, BAR_W, lo, hi, lo, lo, hi, hi, x);
}

/* The largest upper bound among a claim's arms, the scale of its bars. */
static double arms_scale(const json_t *root, const json_t *claim)
{
    double scale = 0;
    size_t i;
    const json_t *label;
    json_array_foreach(json_object_get(claim, "arms"), i, label)
    {
        for (int k = 0; k < 2; k++) {
            const json_t *r = arm_rps(root, json_string_value(label), k ? "python" : "c");
            if (r != NULL && num(r, "hi") > scale)
                scale = num(r, "hi");
        }
    }
    return scale;
}

/* White (0) to red (1), for the heat map. */
static void heat_colour(double v, char *buf, size_t len)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    int gb = (int)lround(255 - 180 * v);
    snprintf(buf, len, "#ff%02x%02x", gb, gb);
}

/* "97.1 [95.0, 98.4] %" of a cell's cascade interval, "97.1 % (1 trial)", or "-". */
static void cell_text(const json_t *cell, char *buf, size_t len)
{
    const json_t *ci = json_object_get(cell, "cascade");
    const json_t *per_trial = json_object_get(cell, "cascade_per_trial");
    if (json_is_object(ci))
        snprintf(buf, len, "%.1f [%.1f, %.1f] %%", 100 * num(ci, "mean"), 100 * num(ci, "lo"),
                 100 * num(ci, "hi"));
    else if (json_array_size(per_trial) == 1)
        snprintf(buf, len, "%.1f %% (1 trial)",
                 100 * json_number_value(json_array_get(per_trial, 0)));
    else
        snprintf(buf, len, "-");
}

/* Whether a map has a figure to show: some cell ran a trial. */
static bool map_ran(const json_t *map)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(map, "cells"), i, c) if (num(c, "trials") > 0) return true;
    return false;
}

/* "C and Python lost the same results in 10 of 10 cell trials", or "". */
static void agreement_text(const json_t *root, char *buf, size_t len)
{
    const json_t *a = json_object_get(root, "condition_map_agreement");
    buf[0] = '\0';
    if (num(a, "pairs") > 0)
        snprintf(buf, len,
                 "C and Python lost exactly the same results in %d of %d cell trials run by "
                 "both with the same seed (the mock fails the same task numbers for both).",
                 (int)num(a, "equal"), (int)num(a, "pairs"));
}

static void html_map(FILE *f, const json_t *map, const char *who)
{
    const json_t *cells = json_object_get(map, "cells");
    fprintf(f, "<h3>Condition map, %s</h3>\n<p>Cascade rate: ", who);
    pb_html_escape(f, str(map, "cascade_rate"));
    fprintf(f, "; expected ");
    pb_html_escape(f, str(map, "expected"));
    fprintf(f, ". Measured [95 %% interval for a share] over trials, expected below it; a thick border marks the "
               "cells whose interval holds the sheet's 94 %%.</p>\n<table class=\"map\"><tr>"
               "<th>errors \\ batch</th>");
    /* the cells are rate-major: one row per error rate */
    size_t n = json_array_size(cells), cols = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(cells, i);
        if (num(c, "error_rate") != num(json_array_get(cells, 0), "error_rate"))
            break;
        fprintf(f, "<th>%d</th>", (int)num(c, "batch"));
        cols++;
    }
    fprintf(f, "</tr>\n");
    for (size_t i = 0; cols > 0 && i < n; i++) {
        const json_t *c = json_array_get(cells, i);
        const json_t *ci = json_object_get(c, "cascade");
        if (i % cols == 0)
            fprintf(f, "<tr><th>%g %%</th>", 100 * num(c, "error_rate"));
        char colour[16], text[48];
        heat_colour(json_is_object(ci) ? num(ci, "mean") : 0, colour, sizeof(colour));
        cell_text(c, text, sizeof(text));
        bool holds = strcmp(str(c, "versus_sheet"), "holds") == 0;
        fprintf(f,
                "<td style=\"background:%s\"%s>%s<br><small>expected %.1f %%; %d trials, "
                "%lld lost</small>%s</td>",
                colour, holds ? " class=\"holds\"" : "", text, 100 * num(c, "expected"),
                (int)num(c, "trials"), (long long)json_integer_value(json_object_get(c, "lost")),
                holds ? "<br><b>94 % holds</b>" : "");
        if (i % cols == cols - 1)
            fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table>\n");
    const json_t *ctl = json_object_get(map, "control");
    fprintf(f,
            "<p>Control, isolate at %g %% errors and batches of %d: %lld results, %lld lost. "
            "Independence puts 94 %% at batches of ",
            100 * num(ctl, "error_rate"), (int)num(ctl, "batch"),
            (long long)(json_integer_value(json_object_get(ctl, "ok")) +
                        json_integer_value(json_object_get(ctl, "failed"))),
            (long long)json_integer_value(json_object_get(ctl, "lost")));
    size_t i;
    const json_t *at;
    json_array_foreach(json_object_get(map, "sheet_drop_at"), i, at)
        fprintf(f, "%s%.0f (%g %%)", i ? ", " : "", num(at, "batch"), 100 * num(at, "error_rate"));
    fprintf(f, ".</p>\n");
}

static void html_verdict(FILE *f, const char *who, const json_t *v)
{
    fprintf(f, "<p><b>%s:</b> <span class=\"verdict\">", who);
    pb_html_escape(f, str(v, "verdict"));
    fprintf(f, "</span>%s<br>",
            json_is_true(json_object_get(v, "provisional"))
                ? " <em>(provisional: --quick runs few, short trials)</em>"
                : "");
    pb_html_escape(f, str(v, "reason"));
    fprintf(f, "</p>\n");
}

static void write_html(FILE *f, const json_t *root)
{
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<title>patternbench reproduce</title><style>"
               "body{font-family:sans-serif;max-width:72em;margin:1em auto;padding:0 1em}"
               "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
               "text-align:left;vertical-align:top}"
               "table.map td{min-width:11em}td.holds{border:3px solid #000}"
               ".verdict{font-weight:bold}blockquote{color:#555}"
               "</style></head><body>\n<h1>patternbench reproduce</h1>\n<p>Claims ");
    pb_html_escape(f, str(root, "claims_checked"));
    fprintf(f, "; %lld trials of %.3g s per arm, seed %lld, status ",
            (long long)json_integer_value(json_object_get(root, "trials")),
            num(root, "trial_duration_s"),
            (long long)json_integer_value(json_object_get(root, "seed")));
    pb_html_escape(f, str(root, "status"));
    const json_t *py = json_object_get(root, "python");
    fprintf(f, "; Python: ");
    pb_html_escape(f, json_object_get(py, "missing") ? str(py, "missing") : str(py, "version"));
    fprintf(f, ".</p>\n");
    size_t i;
    const json_t *claim;
    json_array_foreach(json_object_get(root, "claims"), i, claim)
    {
        fprintf(f, "<h2>");
        pb_html_escape(f, str(claim, "id"));
        fprintf(f, "</h2>\n<blockquote>");
        pb_html_escape(f, str(claim, "quote"));
        fprintf(f, "</blockquote>\n<p>The sheet: ");
        pb_html_escape(f, str(claim, "sheet"));
        fprintf(f, "</p>\n");
        const json_t *arms = json_object_get(claim, "arms");
        if (json_array_size(arms) > 0) {
            double scale = arms_scale(root, claim);
            fprintf(f,
                    "<table><tr><th>arm</th><th>C req/s (mean ± 95 %% CI)</th><th>0 .. %.0f "
                    "req/s</th><th>Python req/s</th><th>0 .. %.0f req/s</th></tr>\n",
                    scale, scale);
            size_t k;
            const json_t *label;
            json_array_foreach(arms, k, label)
            {
                const char *l = json_string_value(label);
                char c[128], p[640];
                mean_ci_text(root, l, "c", c, sizeof(c));
                mean_ci_text(root, l, "python", p, sizeof(p));
                fprintf(f, "<tr><td>");
                pb_html_escape(f, l);
                fprintf(f, "</td><td>");
                pb_html_escape(f, c);
                fprintf(f, "</td>");
                svg_bar(f, arm_rps(root, l, "c"), scale);
                fprintf(f, "<td>");
                pb_html_escape(f, p);
                fprintf(f, "</td>");
                svg_bar(f, arm_rps(root, l, "python"), scale);
                fprintf(f, "</tr>\n");
            }
            fprintf(f, "</table>\n");
        }
        if (strcmp(str(claim, "id"), "C2") == 0 && json_object_get(root, "condition_map")) {
            html_map(f, json_object_get(root, "condition_map"), "C patterns");
            const json_t *py_map = json_object_get(root, "condition_map_python");
            if (map_ran(py_map)) {
                html_map(f, py_map, "Python reference");
                char agree[256];
                agreement_text(root, agree, sizeof(agree));
                fprintf(f, "<p>%s</p>\n", agree);
            }
        }
        html_verdict(f, "Verdict (C patterns)", json_object_get(claim, "c"));
        html_verdict(f, "Verdict (Python reference)", json_object_get(claim, "python"));
    }
    fprintf(f, "<p><small>summary.json holds every trial; summary.md is this page as text."
               "</small></p>\n</body></html>\n");
}

static void md_map(FILE *f, const json_t *map, const char *who)
{
    const json_t *cells = json_object_get(map, "cells");
    fprintf(f,
            "\nCondition map, %s: cascade rate (%s), measured [95 %% interval] [expected %s]; **bold**: "
            "the interval holds the sheet's 94 %%.\n\n| errors |",
            who, str(map, "cascade_rate"), str(map, "expected"));
    size_t n = json_array_size(cells), cols = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(cells, i);
        if (num(c, "error_rate") != num(json_array_get(cells, 0), "error_rate"))
            break;
        fprintf(f, " batch %d |", (int)num(c, "batch"));
        cols++;
    }
    fprintf(f, "\n|---|");
    for (size_t j = 0; j < cols; j++)
        fprintf(f, "---|");
    fprintf(f, "\n");
    for (size_t i = 0; cols > 0 && i < n; i++) {
        const json_t *c = json_array_get(cells, i);
        if (i % cols == 0)
            fprintf(f, "| %g %% |", 100 * num(c, "error_rate"));
        char text[48];
        cell_text(c, text, sizeof(text));
        bool holds = strcmp(str(c, "versus_sheet"), "holds") == 0;
        fprintf(f, " %s%s%s [%.1f %%] |", holds ? "**" : "", text, holds ? "**" : "",
                100 * num(c, "expected"));
        if (i % cols == cols - 1)
            fprintf(f, "\n");
    }
    const json_t *ctl = json_object_get(map, "control");
    fprintf(f, "\nControl (isolate, %g %% x %d): %lld lost.\n", 100 * num(ctl, "error_rate"),
            (int)num(ctl, "batch"), (long long)json_integer_value(json_object_get(ctl, "lost")));
}

static void write_md(FILE *f, const json_t *root)
{
    fprintf(f,
            "# patternbench reproduce\n\nClaims %s; %lld trials of %.3g s per arm, seed %lld, "
            "status %s.\n",
            str(root, "claims_checked"),
            (long long)json_integer_value(json_object_get(root, "trials")),
            num(root, "trial_duration_s"),
            (long long)json_integer_value(json_object_get(root, "seed")), str(root, "status"));
    size_t i;
    const json_t *claim;
    json_array_foreach(json_object_get(root, "claims"), i, claim)
    {
        fprintf(f, "\n## %s\n\n> %s\n\nThe sheet: %s\n", str(claim, "id"), str(claim, "quote"),
                str(claim, "sheet"));
        const json_t *arms = json_object_get(claim, "arms");
        if (json_array_size(arms) > 0) {
            fprintf(f, "\n| arm | C req/s (mean ± 95 %% CI) | Python req/s |\n|---|---|---|\n");
            size_t k;
            const json_t *label;
            json_array_foreach(arms, k, label)
            {
                char c[128], p[640];
                mean_ci_text(root, json_string_value(label), "c", c, sizeof(c));
                mean_ci_text(root, json_string_value(label), "python", p, sizeof(p));
                fprintf(f, "| %s | %s | %s |\n", json_string_value(label), c, p);
            }
        }
        if (strcmp(str(claim, "id"), "C2") == 0 && json_object_get(root, "condition_map")) {
            md_map(f, json_object_get(root, "condition_map"), "C patterns");
            const json_t *py_map = json_object_get(root, "condition_map_python");
            if (map_ran(py_map)) {
                md_map(f, py_map, "Python reference");
                char agree[256];
                agreement_text(root, agree, sizeof(agree));
                fprintf(f, "\n%s\n", agree);
            }
        }
        const json_t *c = json_object_get(claim, "c"), *p = json_object_get(claim, "python");
        const char *caveat =
            json_is_true(json_object_get(c, "provisional")) ? " (provisional: --quick)" : "";
        fprintf(f,
                "\n**Verdict (C patterns): %s%s.** %s\n\n**Verdict (Python reference): %s%s.** "
                "%s\n",
                str(c, "verdict"), caveat, str(c, "reason"), str(p, "verdict"), caveat,
                str(p, "reason"));
    }
}

/* Write one file of the page; *rc keeps the first error. */
static void write_file(const char *dir, const char *name, const json_t *root,
                       void (*render)(FILE *, const json_t *), int *rc, pb_err *err)
{
    if (*rc != 0)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        *rc = pb_err_set(err, PB_EIO, "cannot write %s: %s", path, strerror(errno));
        return;
    }
    int bad = 0;
    if (render != NULL)
        render(f, root);
    else
        bad = pb_json_dumpf(root, f, JSON_INDENT(2)) != 0 || fputc('\n', f) == EOF;
    bad |= ferror(f);
    if (fclose(f) != 0 || bad)
        *rc = pb_err_set(err, PB_EIO, "cannot write %s: %s", path, strerror(errno));
}

int pb_claims_report_write(const char *dir, const json_t *root, pb_err *err)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return pb_err_set(err, PB_EIO, "cannot create the directory %s: %s", dir, strerror(errno));
    int rc = 0;
    write_file(dir, "summary.json", root, NULL, &rc, err);
    write_file(dir, "summary.md", root, write_md, &rc, err);
    write_file(dir, "index.html", root, write_html, &rc, err);
    return rc;
}
