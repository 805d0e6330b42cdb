/* The per-phase scoreboard: statistics over trials, winners and ties. */
#include "scoreboard.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "report_data.h"

#define MAX_TRIALS 64

static const struct {
    const char *key, *title;
    bool higher; /* a higher value is better */
} metrics[PB_SCORE_METRICS] = {
#define PB_SCORE_METRIC_ROW(name, key, title, higher) [PB_SCORE_##name] = {key, title, higher},
    PB_SCORE_METRIC_MAP(PB_SCORE_METRIC_ROW)
#undef PB_SCORE_METRIC_ROW
};

const char *pb_score_metric_key(pb_score_metric m)
{
    return m < PB_SCORE_METRICS ? metrics[m].key : "";
}

const char *pb_score_metric_title(pb_score_metric m)
{
    return m < PB_SCORE_METRICS ? metrics[m].title : "";
}

void pb_scoreboard_destroy(pb_scoreboard *sb)
{
    if (sb == NULL)
        return;
    for (size_t i = 0; sb->arm != NULL && i < sb->n_arms; i++)
        free(sb->arm[i]);
    for (size_t i = 0; sb->span != NULL && i < sb->n_spans; i++)
        free(sb->span[i]);
    free(sb->arm);
    free(sb->span);
    free(sb->span_start_s);
    free(sb->span_end_s);
    free(sb->cells);
    free(sb->verdicts);
    free(sb);
}

const pb_score_cell *pb_scoreboard_cell(const pb_scoreboard *sb, size_t span, size_t arm)
{
    return &sb->cells[span * sb->n_arms + arm];
}

const pb_score_verdict *pb_scoreboard_verdict(const pb_scoreboard *sb, size_t span,
                                              pb_score_metric m)
{
    return &sb->verdicts[span * PB_SCORE_RANKED + m];
}

/* Mean and Student-t interval of x; one value is its own mean, no interval. */
static void mean_ci(const double *x, size_t n, pb_ci *ci)
{
    if (pb_stats_ci95(x, n, ci, NULL) != 0) {
        double m = n > 0 ? x[0] : NAN;
        *ci = (pb_ci){.n = n, .mean = m, .lo = m, .hi = m};
    }
}

/* Latencies and rates are never below 0: an interval that reaches below
 * is cut there, as the figure cannot be. */
static void floor_zero(pb_ci *ci)
{
    if (ci->lo < 0.0)
        ci->lo = 0.0;
}

static void fill_cell(pb_score_cell *c, const pb_score_input *in, size_t n_trials, size_t n_spans,
                      size_t span)
{
    double k[MAX_TRIALS], n[MAX_TRIALS], p99[MAX_TRIALS];
    size_t n_p99 = 0;
    double unserved_by[PB_OUTCOME_COUNT] = {0}, failed_attempts = 0, tasks = 0, ok = 0;
    memset(c, 0, sizeof(*c));
    for (size_t t = 0; t < n_trials; t++) {
        const pb_score_input *x = &in[t * n_spans + span];
        if (!x->present || !(x->seconds > 0.0))
            continue;
        size_t i = c->n++;
        double unserved = x->tasks > x->ok ? x->tasks - x->ok : 0.0;
        k[i] = unserved;
        n[i] = x->tasks;
        tasks += x->tasks;
        ok += x->ok;
        c->values[PB_SCORE_GOODPUT][c->n_values[PB_SCORE_GOODPUT]++] = x->ok / x->seconds;
        if (x->tasks > 0)
            c->values[PB_SCORE_UNSERVED][c->n_values[PB_SCORE_UNSERVED]++] = unserved / x->tasks;
        c->values[PB_SCORE_LOAD][c->n_values[PB_SCORE_LOAD]++] = x->network / x->seconds;
        if (isfinite(x->cp99_ms))
            c->values[PB_SCORE_CP99][c->n_values[PB_SCORE_CP99]++] = x->cp99_ms;
        if (isfinite(x->p99_ms))
            p99[n_p99++] = x->p99_ms;
        for (int o = 0; o < PB_OUTCOME_COUNT; o++)
            if (o != PB_OUTCOME_OK) {
                unserved_by[o] += x->outcomes[o];
                failed_attempts += x->outcomes[o];
            }
    }
    for (int m = 0; m < PB_SCORE_METRICS; m++) {
        c->has[m] = c->n_values[m] > 0;
        if (c->has[m] && m != PB_SCORE_UNSERVED) {
            mean_ci(c->values[m], c->n_values[m], &c->ci[m]);
            floor_zero(&c->ci[m]);
        }
    }
    /* a share gets an interval made for shares: it never leaves 0..100 % */
    c->has[PB_SCORE_UNSERVED] = c->has[PB_SCORE_UNSERVED] &&
                                pb_stats_share95(k, n, c->n, &c->ci[PB_SCORE_UNSERVED], NULL) == 0;
    c->has_p99 = n_p99 > 0;
    if (c->has_p99) {
        mean_ci(p99, n_p99, &c->p99);
        floor_zero(&c->p99);
    }
    /* the unserved tasks split by how their attempts ended; with retries a
     * task's failures are spread over its attempts' outcomes */
    double unserved = tasks > ok ? tasks - ok : 0.0;
    for (int o = 0; o < PB_OUTCOME_COUNT && tasks > 0 && failed_attempts > 0; o++)
        c->unserved_by[o] = unserved * (unserved_by[o] / failed_attempts) / tasks;
}

static double cell_mean(const pb_scoreboard *sb, size_t span, size_t arm, pb_score_metric m)
{
    const pb_score_cell *c = pb_scoreboard_cell(sb, span, arm);
    return c->has[m] ? c->ci[m].mean : NAN;
}

static bool better(double a, double b, pb_score_metric m)
{
    return metrics[m].higher ? a > b : a < b;
}

static void judge(pb_scoreboard *sb, size_t span, pb_score_metric m)
{
    pb_score_verdict *v = &sb->verdicts[span * PB_SCORE_RANKED + m];
    memset(v, 0, sizeof(*v));
    v->best = v->runner_up = -1;
    for (size_t a = 0; a < sb->n_arms; a++) {
        double x = cell_mean(sb, span, a, m);
        if (isnan(x))
            continue;
        if (v->best < 0 || better(x, cell_mean(sb, span, (size_t)v->best, m), m)) {
            v->runner_up = v->best;
            v->best = (int)a;
        } else if (v->runner_up < 0 || better(x, cell_mean(sb, span, (size_t)v->runner_up, m), m)) {
            v->runner_up = (int)a;
        }
    }
    if (v->best < 0 || v->runner_up < 0)
        return;
    const pb_score_cell *b = pb_scoreboard_cell(sb, span, (size_t)v->best);
    if (b->n_values[m] < 2 || pb_scoreboard_cell(sb, span, (size_t)v->runner_up)->n_values[m] < 2) {
        v->one_trial = true;
        return;
    }
    /* every arm whose difference from the best holds 0 is tied with it; the
     * runner-up decides whether there is a winner at all */
    for (size_t a = 0; a < sb->n_arms; a++) {
        const pb_score_cell *c = pb_scoreboard_cell(sb, span, a);
        pb_ci d;
        if (a == (size_t)v->best) {
            v->tied[a] = true;
            continue;
        }
        if (c->n_values[m] < 2 || pb_stats_diff_ci95(b->values[m], b->n_values[m], c->values[m],
                                                     c->n_values[m], &d, NULL) != 0)
            continue;
        bool holds_zero = d.lo <= 0.0 && d.hi >= 0.0;
        v->tied[a] = holds_zero;
        if (a == (size_t)v->runner_up) {
            v->diff = d;
            v->tie = holds_zero;
        }
    }
}

int pb_scoreboard_build(const pb_score_input *in, size_t n_arms, size_t n_trials, size_t n_spans,
                        const char *const *arm_labels, const char *const *span_names,
                        pb_scoreboard **out, pb_err *err)
{
    *out = NULL;
    if (n_arms == 0 || n_arms > PB_SCORE_MAX_ARMS || n_trials == 0 || n_trials > MAX_TRIALS ||
        n_spans == 0)
        return pb_err_set(err, PB_EINVAL,
                          "a scoreboard needs 1 to %d patterns and 1 to %d trials, got %zu and %zu",
                          PB_SCORE_MAX_ARMS, MAX_TRIALS, n_arms, n_trials);
    pb_scoreboard *sb = calloc(1, sizeof(*sb));
    if (sb == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    sb->n_arms = n_arms;
    sb->n_trials = n_trials;
    sb->n_spans = n_spans;
    sb->arm = calloc(n_arms, sizeof(*sb->arm));
    sb->span = calloc(n_spans, sizeof(*sb->span));
    sb->span_start_s = calloc(n_spans, sizeof(double));
    sb->span_end_s = calloc(n_spans, sizeof(double));
    sb->cells = calloc(n_spans * n_arms, sizeof(*sb->cells));
    sb->verdicts = calloc(n_spans * PB_SCORE_RANKED, sizeof(*sb->verdicts));
    bool bad = sb->arm == NULL || sb->span == NULL || sb->span_start_s == NULL ||
               sb->span_end_s == NULL || sb->cells == NULL || sb->verdicts == NULL;
    for (size_t a = 0; !bad && a < n_arms; a++)
        bad = (sb->arm[a] = strdup(arm_labels[a])) == NULL;
    for (size_t s = 0; !bad && s < n_spans; s++)
        bad = (sb->span[s] = strdup(s + 1 < n_spans ? span_names[s] : "whole run")) == NULL;
    if (bad) {
        pb_scoreboard_destroy(sb);
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    }
    for (size_t s = 0; s < n_spans; s++) {
        /* a span's times as the first run that reached it had them */
        for (size_t r = n_arms * n_trials; r-- > 0;)
            if (in[r * n_spans + s].present) {
                sb->span_start_s[s] = in[r * n_spans + s].start_s;
                sb->span_end_s[s] = in[r * n_spans + s].end_s;
            }
        for (size_t a = 0; a < n_arms; a++)
            fill_cell(&sb->cells[s * n_arms + a], &in[a * n_trials * n_spans], n_trials, n_spans,
                      s);
        for (int m = 0; m < PB_SCORE_RANKED; m++)
            judge(sb, s, (pb_score_metric)m);
    }
    *out = sb;
    return 0;
}

static double num(const json_t *j, const char *key)
{
    return json_number_value(json_object_get(j, key));
}

/* A latency in us from obj[key] as ms; NaN when absent (nothing answered). */
static double ms_or_nan(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_number(v) ? json_number_value(v) / 1e3 : NAN;
}

static void read_outcomes(const json_t *obj, pb_score_input *x)
{
    for (int o = 0; o < PB_OUTCOME_COUNT; o++)
        x->outcomes[o] = num(obj, pb_outcome_name((pb_outcome)o));
}

static void read_phase(const json_t *ph, pb_score_input *x)
{
    x->present = true;
    x->start_s = num(ph, "start_s");
    x->end_s = num(ph, "end_s");
    x->seconds = x->end_s - x->start_s;
    x->tasks = num(ph, "tasks");
    x->attempts = num(ph, "attempts");
    x->network = num(ph, "network");
    read_outcomes(json_object_get(ph, "outcomes"), x);
    x->ok = x->outcomes[PB_OUTCOME_OK];
    x->p99_ms = ms_or_nan(ph, "p99_us");
    x->cp99_ms = ms_or_nan(ph, "cp99_us");
}

static void read_whole(const json_t *root, pb_score_input *x)
{
    x->present = true;
    x->start_s = 0.0;
    x->end_s = x->seconds = num(root, "duration_s");
    x->attempts = num(root, "requests");
    /* summaries written before tasks were counted: every attempt a task */
    x->tasks = json_is_integer(json_object_get(root, "tasks")) ? num(root, "tasks") : x->attempts;
    x->network = num(root, "network");
    read_outcomes(json_object_get(root, "outcomes"), x);
    x->ok = x->outcomes[PB_OUTCOME_OK];
    x->p99_ms = ms_or_nan(json_object_get(root, "latency_us"), "p99");
    x->cp99_ms = ms_or_nan(json_object_get(root, "corrected_latency_us"), "p99");
}

int pb_scoreboard_from_summaries(const char *const *summaries, size_t n_arms, size_t n_trials,
                                 const char *const *arm_labels, pb_scoreboard **out, pb_err *err)
{
    size_t n_runs = n_arms * n_trials, n_phases = 0, widest = 0;
    json_t **roots = calloc(n_runs > 0 ? n_runs : 1, sizeof(*roots));
    if (roots == NULL)
        return pb_err_set(err, PB_ENOMEM, "out of memory");
    for (size_t r = 0; r < n_runs; r++) {
        roots[r] = summaries[r] != NULL ? json_loads(summaries[r], 0, NULL) : NULL;
        size_t n = json_array_size(json_object_get(roots[r], "phases"));
        if (n > n_phases) {
            n_phases = n;
            widest = r;
        }
    }
    size_t n_spans = n_phases + 1;
    pb_score_input *in = calloc(n_runs * n_spans + 1, sizeof(*in));
    const char **names = calloc(n_spans, sizeof(*names));
    int rc = in == NULL || names == NULL ? pb_err_set(err, PB_ENOMEM, "out of memory") : 0;
    for (size_t r = 0; rc == 0 && r < n_runs; r++) {
        if (!json_is_object(roots[r]))
            continue;
        const json_t *phases = json_object_get(roots[r], "phases");
        for (size_t p = 0; p < json_array_size(phases); p++)
            read_phase(json_array_get(phases, p), &in[r * n_spans + p]);
        read_whole(roots[r], &in[r * n_spans + n_phases]);
    }
    for (size_t p = 0; rc == 0 && p < n_phases; p++) {
        const char *name = json_string_value(
            json_object_get(json_array_get(json_object_get(roots[widest], "phases"), p), "name"));
        names[p] = name != NULL ? name : "";
    }
    if (rc == 0)
        rc = pb_scoreboard_build(in, n_arms, n_trials, n_spans, arm_labels, names, out, err);
    for (size_t r = 0; r < n_runs; r++)
        json_decref(roots[r]);
    free(roots);
    free(in);
    free(names);
    return rc;
}

/* A summary's whole-run part from a run's totals (us latencies), as text. */
static char *totals_summary(const pb_report_totals *t)
{
    json_t *root = json_pack("{s:I, s:I, s:I, s:f}", "requests", (json_int_t)t->requests, "tasks",
                             (json_int_t)t->requests, "network", (json_int_t)t->sent,
                             "duration_s", t->duration_s);
    json_t *out = json_object(), *lat = json_object(), *corr = json_object();
    for (int o = 0; out != NULL && o < PB_OUTCOME_COUNT; o++)
        json_object_set_new(out, pb_outcome_name((pb_outcome)o),
                            json_integer((json_int_t)t->outcomes[o]));
    if (isfinite(t->p99_ms))
        json_object_set_new(lat, "p99", json_integer((json_int_t)llround(t->p99_ms * 1e3)));
    if (isfinite(t->cp99_ms))
        json_object_set_new(corr, "p99", json_integer((json_int_t)llround(t->cp99_ms * 1e3)));
    json_object_set_new(root, "outcomes", out);
    json_object_set_new(root, "latency_us", lat);
    json_object_set_new(root, "corrected_latency_us", corr);
    char *text = root != NULL ? pb_json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

int pb_report_scoreboard(const pb_report_data *d, pb_scoreboard **out, pb_err *err)
{
    *out = NULL;
    if (!d->is_compare || d->n_runs == 0)
        return 0;
    size_t n = d->n_runs, n_arms = 0, n_trials = 0, with_summary = 0;
    size_t *arm_of = calloc(n, sizeof(*arm_of)), *trial_of = calloc(n, sizeof(*trial_of));
    const char **labels = calloc(n, sizeof(*labels));
    const char **texts = NULL;
    char **made = calloc(n, sizeof(*made)); /* summaries made from the rollup's totals */
    int rc = arm_of == NULL || trial_of == NULL || labels == NULL || made == NULL
                 ? pb_err_set(err, PB_ENOMEM, "out of memory")
                 : 0;
    for (size_t r = 0; rc == 0 && r < n; r++) {
        size_t a = 0, k = 0;
        while (a < n_arms && strcmp(labels[a], d->runs[r].label) != 0)
            a++;
        if (a == n_arms)
            labels[n_arms++] = d->runs[r].label;
        for (size_t q = 0; q < r; q++)
            k += arm_of[q] == a;
        arm_of[r] = a;
        trial_of[r] = k;
        n_trials = k + 1 > n_trials ? k + 1 : n_trials;
        /* a run without a stored summary (still running, or killed) has its
         * totals from the rollup: the whole run only */
        if (d->runs[r].summary_json == NULL)
            made[r] = totals_summary(&d->runs[r].totals);
        with_summary += d->runs[r].summary_json != NULL || made[r] != NULL;
    }
    if (rc == 0 && with_summary > 0 && n_arms <= PB_SCORE_MAX_ARMS && n_trials <= MAX_TRIALS) {
        texts = calloc(n_arms * n_trials, sizeof(*texts));
        if (texts == NULL)
            rc = pb_err_set(err, PB_ENOMEM, "out of memory");
        for (size_t r = 0; rc == 0 && r < n; r++)
            texts[arm_of[r] * n_trials + trial_of[r]] =
                d->runs[r].summary_json != NULL ? d->runs[r].summary_json : made[r];
        if (rc == 0)
            rc = pb_scoreboard_from_summaries(texts, n_arms, n_trials, labels, out, err);
    }
    for (size_t r = 0; made != NULL && r < n; r++)
        free(made[r]);
    free(made);
    free(arm_of);
    free(trial_of);
    free(labels);
    free(texts);
    return rc;
}

const char *pb_score_sig3(double v, char *buf, size_t cap)
{
    double a = fabs(v);
    if (!isfinite(v))
        snprintf(buf, cap, "-");
    else if (a >= 99.95 || a == 0.0)
        snprintf(buf, cap, "%.0f", v);
    else if (a >= 9.995)
        snprintf(buf, cap, "%.1f", v);
    else if (a >= 0.9995)
        snprintf(buf, cap, "%.2f", v);
    else
        snprintf(buf, cap, "%.*f", 2 - (int)floor(log10(a)), v);
    return buf;
}

const char *pb_score_text(const pb_score_cell *c, pb_score_metric m, char *buf, size_t cap)
{
    if (!c->has[m]) {
        snprintf(buf, cap, "-");
        return buf;
    }
    double k = m == PB_SCORE_UNSERVED ? 100.0 : 1.0;
    char a[32], lo[32], hi[32];
    pb_score_sig3(c->ci[m].mean * k, a, sizeof(a));
    /* a share has its Wilson interval from one trial on; the others need two */
    if (c->n_values[m] >= 2 || m == PB_SCORE_UNSERVED)
        snprintf(buf, cap, "%s [%s, %s]", a, pb_score_sig3(c->ci[m].lo * k, lo, sizeof(lo)),
                 pb_score_sig3(c->ci[m].hi * k, hi, sizeof(hi)));
    else
        snprintf(buf, cap, "%s", a);
    return buf;
}

const char *pb_score_verdict_text(const pb_scoreboard *sb, const pb_score_verdict *v, char *buf,
                                  size_t cap)
{
    if (v->best < 0) {
        snprintf(buf, cap, "-");
    } else if (v->runner_up < 0) {
        snprintf(buf, cap, "%s (the only one measured)", sb->arm[v->best]);
    } else if (v->one_trial) {
        snprintf(buf, cap, "%s (best of one trial, no interval)", sb->arm[v->best]);
    } else if (!v->tie) {
        snprintf(buf, cap, "%s", sb->arm[v->best]);
    } else {
        size_t used = (size_t)snprintf(buf, cap, "tie:");
        const char *sep = " ";
        for (size_t a = 0; a < sb->n_arms && used < cap; a++)
            if (v->tied[a]) {
                used += (size_t)snprintf(buf + used, cap - used, "%s%s", sep, sb->arm[a]);
                sep = ", ";
            }
    }
    return buf;
}

const char *pb_score_caption(const pb_scoreboard *sb, char *buf, size_t cap)
{
    if (sb->n_trials < 2)
        snprintf(buf, cap,
                 "one trial per pattern: each phase's best is named as the best of one trial, "
                 "with no interval (run more trials with --trials N to tell a difference from "
                 "noise); unserved share with its 95 %% Wilson interval over the phase's tasks");
    else
        snprintf(buf, cap,
                 "mean [95 %% interval] over %zu trials per pattern (Student t; unserved share: "
                 "Wilson, widened by the trials' spread, so it never leaves 0-100 %%); the "
                 "winner is the best mean, or \"tie\" with every pattern whose difference from "
                 "the best has a 95 %% interval (Welch) holding 0",
                 sb->n_trials);
    return buf;
}

/* The winner's lead in words: "by 12.3 [5.1, 19.5]". */
static const char *lead_text(const pb_score_verdict *v, pb_score_metric m, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (v->best < 0 || v->runner_up < 0 || v->one_trial || v->tie)
        return buf;
    double k = m == PB_SCORE_UNSERVED ? 100.0 : 1.0;
    char d[32], lo[32], hi[32];
    snprintf(buf, cap, " (by %s [%s, %s]%s)", pb_score_sig3(fabs(v->diff.mean) * k, d, sizeof(d)),
             pb_score_sig3(fmin(fabs(v->diff.lo), fabs(v->diff.hi)) * k, lo, sizeof(lo)),
             pb_score_sig3(fmax(fabs(v->diff.lo), fabs(v->diff.hi)) * k, hi, sizeof(hi)),
             m == PB_SCORE_UNSERVED ? " points" : "");
    return buf;
}

void pb_scoreboard_print(const pb_scoreboard *sb, FILE *out, bool md)
{
    char cap[512];
    size_t w = 8;
    for (size_t a = 0; a < sb->n_arms; a++)
        w = strlen(sb->arm[a]) > w ? strlen(sb->arm[a]) : w;
    fprintf(out, md ? "\n## Scoreboard\n\n%s.\n" : "\nscoreboard: %s\n",
            pb_score_caption(sb, cap, sizeof(cap)));
    for (size_t s = 0; s < sb->n_spans; s++) {
        char a[32], b[32];
        if (s + 1 < sb->n_spans)
            fprintf(out, md ? "\n### %s (%s-%s s)\n\n" : "\n%s (%s-%s s)\n", sb->span[s],
                    pb_score_sig3(sb->span_start_s[s], a, sizeof(a)),
                    pb_score_sig3(sb->span_end_s[s], b, sizeof(b)));
        else
            fprintf(out, md ? "\n### whole run\n\n" : "\nwhole run\n");
        if (md)
            fprintf(out, "| pattern | goodput (ok/s) | unserved (%%) | corrected p99 (ms) | "
                         "service p99 (ms) | load (attempts/s) |\n|---|---|---|---|---|---|\n");
        else
            fprintf(out, "  %-*s  %-22s %-22s %-24s %-22s %s\n", (int)w, "pattern", "goodput ok/s",
                    "unserved %", "corrected p99 ms", "(service p99 ms)", "load attempts/s");
        for (size_t arm = 0; arm < sb->n_arms; arm++) {
            const pb_score_cell *c = pb_scoreboard_cell(sb, s, arm);
            char t[PB_SCORE_METRICS][64], p99[64];
            for (int m = 0; m < PB_SCORE_METRICS; m++)
                pb_score_text(c, (pb_score_metric)m, t[m], sizeof(t[m]));
            if (!c->has_p99) {
                snprintf(p99, sizeof(p99), "-");
            } else {
                pb_score_cell only = {.n_values[PB_SCORE_CP99] = c->n_values[PB_SCORE_CP99]};
                only.has[PB_SCORE_CP99] = true;
                only.ci[PB_SCORE_CP99] = c->p99;
                pb_score_text(&only, PB_SCORE_CP99, p99, sizeof(p99));
            }
            if (md)
                fprintf(out, "| %s | %s | %s | %s | %s | %s |\n", sb->arm[arm], t[0], t[1], t[2],
                        p99, t[3]);
            else
                fprintf(out, "  %-*s  %-22s %-22s %-24s %-22s %s\n", (int)w, sb->arm[arm], t[0],
                        t[1], t[2], p99, t[3]);
        }
        for (int m = 0; m < PB_SCORE_RANKED; m++) {
            const pb_score_verdict *v = pb_scoreboard_verdict(sb, s, (pb_score_metric)m);
            char verdict[512], lead[128];
            fprintf(out, md ? "%s**%s**: %s%s" : "%s%s: %s%s", m == 0 ? (md ? "\n" : "  ") : "; ",
                    metrics[m].key, pb_score_verdict_text(sb, v, verdict, sizeof(verdict)),
                    lead_text(v, (pb_score_metric)m, lead, sizeof(lead)));
        }
        fprintf(out, "\n");
    }
}

static json_t *ci_json(const pb_ci *ci, size_t n, double k)
{
    if (n >= 2)
        return json_pack("{s:f, s:f, s:f}", "mean", ci->mean * k, "lo", ci->lo * k, "hi",
                         ci->hi * k);
    return json_pack("{s:f}", "mean", ci->mean * k);
}

static json_t *verdict_json(const pb_scoreboard *sb, const pb_score_verdict *v, pb_score_metric m)
{
    char text[512];
    json_t *j = json_pack("{s:s}", "text", pb_score_verdict_text(sb, v, text, sizeof(text)));
    if (j == NULL || v->best < 0)
        return j;
    const char *kind = v->runner_up < 0 ? "only"
                       : v->one_trial   ? "one_trial"
                       : v->tie         ? "tie"
                                        : "winner";
    json_object_set_new(j, "verdict", json_string(kind));
    json_object_set_new(j, "best", json_string(sb->arm[v->best]));
    if (strcmp(kind, "winner") == 0)
        json_object_set_new(j, "winner", json_string(sb->arm[v->best]));
    if (v->tie) {
        json_t *tied = json_array();
        for (size_t a = 0; a < sb->n_arms; a++)
            if (v->tied[a])
                json_array_append_new(tied, json_string(sb->arm[a]));
        json_object_set_new(j, "tied", tied);
    }
    if (v->runner_up >= 0 && !v->one_trial) {
        double k = m == PB_SCORE_UNSERVED ? 100.0 : 1.0;
        json_object_set_new(j, "runner_up", json_string(sb->arm[v->runner_up]));
        json_object_set_new(j, "difference",
                            json_pack("{s:f, s:f, s:f, s:f}", "mean", v->diff.mean * k, "lo",
                                      v->diff.lo * k, "hi", v->diff.hi * k, "df", v->diff.df));
    }
    return j;
}

json_t *pb_scoreboard_json(const pb_scoreboard *sb)
{
    char cap[512];
    json_t *spans = json_array();
    for (size_t s = 0; spans != NULL && s < sb->n_spans; s++) {
        json_t *patterns = json_object(), *winners = json_object();
        for (size_t a = 0; patterns != NULL && a < sb->n_arms; a++) {
            const pb_score_cell *c = pb_scoreboard_cell(sb, s, a);
            json_t *pj = json_pack("{s:I}", "trials", (json_int_t)c->n);
            for (int m = 0; pj != NULL && m < PB_SCORE_METRICS; m++) {
                double k = m == PB_SCORE_UNSERVED ? 100.0 : 1.0;
                /* a share's interval holds from one trial on */
                size_t n = m == PB_SCORE_UNSERVED ? 2 : c->n_values[m];
                json_object_set_new(pj, metrics[m].key,
                                    c->has[m] ? ci_json(&c->ci[m], n, k) : json_null());
            }
            json_object_set_new(pj, "service_p99",
                                c->has_p99 ? ci_json(&c->p99, c->n_values[PB_SCORE_CP99], 1.0)
                                           : json_null());
            json_t *by = json_object();
            for (int o = 0; by != NULL && o < PB_OUTCOME_COUNT; o++)
                if (o != PB_OUTCOME_OK)
                    json_object_set_new(by, pb_outcome_name((pb_outcome)o),
                                        json_real(c->unserved_by[o] * 100.0));
            json_object_set_new(pj, "unserved_by_outcome", by);
            json_object_set_new(patterns, sb->arm[a], pj);
        }
        for (int m = 0; winners != NULL && m < PB_SCORE_RANKED; m++)
            json_object_set_new(winners, metrics[m].key,
                                verdict_json(sb, pb_scoreboard_verdict(sb, s, (pb_score_metric)m),
                                             (pb_score_metric)m));
        json_array_append_new(
            spans, json_pack("{s:s, s:b, s:f, s:f, s:o, s:o}", "phase", sb->span[s], "whole_run",
                             s + 1 == sb->n_spans, "start_s", sb->span_start_s[s], "end_s",
                             sb->span_end_s[s], "patterns", patterns, "winners", winners));
    }
    return json_pack("{s:s, s:I, s:s, s:o}", "caption", pb_score_caption(sb, cap, sizeof(cap)),
                     "trials", (json_int_t)sb->n_trials, "units",
                     "goodput ok/s, unserved % of tasks, latencies ms, load attempts/s", "spans",
                     spans);
}
