/* The per-phase scoreboard of a comparison: for every mock phase and the
 * whole run, per pattern, the mean and 95 % interval over trials of goodput,
 * unserved share, corrected p99 (service p99 beside it) and the load put on
 * the server, and for goodput, unserved share and corrected p99 the winner
 * of the phase, or a tie when the 95 % interval (Welch) of the difference
 * between the best and the runner-up holds 0. `compare` builds it from its
 * runs' summaries, a report from the summaries stored with the runs; the
 * terminal, summary.md, summary.json and the page all print this one. Pure:
 * no I/O but the FILE it is printed to. */
#ifndef PB_SCOREBOARD_H
#define PB_SCOREBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "errors.h"
#include "stats.h"
#include "vocabulary.h"

/* One run's figures in one span (a mock phase, or the whole run). */
typedef struct pb_score_input {
    bool present;                      /* the run reached the span */
    double start_s, end_s;             /* the span in run time; seconds = end_s - start_s */
    double seconds;                    /* the span's length in the run */
    double tasks;                      /* tasks due in the span (first attempts) */
    double ok;                         /* of those, served */
    double attempts;                   /* every attempt, retries, rejections and drops included */
    double outcomes[PB_OUTCOME_COUNT]; /* attempts by outcome */
    double network;                    /* attempts that reached the server */
    double p99_ms, cp99_ms;            /* of the answered: service and corrected; NaN if none */
} pb_score_input;

/* The metrics a phase has a winner of, and the one it describes only. */
#define PB_SCORE_METRIC_MAP(XX)                                                                    \
    XX(GOODPUT, "goodput", "goodput (ok/s)", true)                                                 \
    XX(UNSERVED, "unserved", "unserved share (%)", false)                                          \
    XX(CP99, "corrected_p99", "corrected p99 (ms)", false)                                         \
    XX(LOAD, "load", "load on the server (attempts/s)", false)

typedef enum pb_score_metric {
#define PB_SCORE_METRIC_ENUM(name, key, title, higher) PB_SCORE_##name,
    PB_SCORE_METRIC_MAP(PB_SCORE_METRIC_ENUM)
#undef PB_SCORE_METRIC_ENUM
        PB_SCORE_METRICS
} pb_score_metric;

/* Metrics that name a winner: goodput, unserved share, corrected p99. */
#define PB_SCORE_RANKED 3

/* "goodput", "unserved", "corrected_p99", "load" (JSON keys). */
const char *pb_score_metric_key(pb_score_metric m);

/* "goodput (ok/s)", ... (headings). */
const char *pb_score_metric_title(pb_score_metric m);

/* One pattern in one span. Shares are fractions 0..1. */
typedef struct pb_score_cell {
    size_t n;                            /* trials that reached the span */
    bool has[PB_SCORE_METRICS];          /* the metric has a value (p99: some answer) */
    pb_ci ci[PB_SCORE_METRICS];          /* mean, lo, hi (lo = hi = mean for one trial) */
    double values[PB_SCORE_METRICS][64]; /* per trial, for the differences */
    size_t n_values[PB_SCORE_METRICS];
    pb_ci p99; /* service p99 (ms), beside the corrected one */
    bool has_p99;
    double unserved_by[PB_OUTCOME_COUNT]; /* unserved share split by the attempts' outcomes */
} pb_score_cell;

/* The verdict of one ranked metric in one span. */
typedef struct pb_score_verdict {
    int best;       /* arm with the best mean; -1 when no arm has a value */
    int runner_up;  /* -1 when only one arm has a value */
    bool tie;       /* the difference's interval holds 0 */
    bool one_trial; /* best of one trial: no interval */
    bool tied[64];  /* arms within the noise of the best (tie only), the best included */
    pb_ci diff;     /* best - runner-up, its Welch interval (when trials >= 2) */
} pb_score_verdict;

/* The scoreboard. Spans: the phases in order, then the whole run (last). */
typedef struct pb_scoreboard {
    size_t n_arms, n_trials, n_spans;
    char **arm;                        /* labels */
    char **span;                       /* phase names; the last is "whole run" */
    double *span_start_s, *span_end_s; /* as the first run that reached it had them */
    pb_score_cell *cells;              /* [span * n_arms + arm] */
    pb_score_verdict *verdicts;        /* [span * PB_SCORE_RANKED + metric] */
} pb_scoreboard;

/* Most arms a scoreboard ranks. */
#define PB_SCORE_MAX_ARMS 64

/* Build from in[(arm * n_trials + trial) * n_spans + span] (the last span the
 * whole run). span_names: n_spans - 1 phase names. Labels and names are
 * copied. PB_EINVAL for no arm or more than PB_SCORE_MAX_ARMS or trials
 * beyond 64; PB_ENOMEM. */
int pb_scoreboard_build(const pb_score_input *in, size_t n_arms, size_t n_trials, size_t n_spans,
                        const char *const *arm_labels, const char *const *span_names,
                        pb_scoreboard **out, pb_err *err) PB_MUST_CHECK;

/* Build from runs' stored summaries (runs.summary_json, as
 * pb_run_summary_to_json writes them): summaries[arm * n_trials + trial],
 * NULL for a run that has none (it counts as not run). The spans are the
 * mock phases of the run that reached the most of them ("phases"), then the
 * whole run; a summary without "phases" gives the whole run only. */
int pb_scoreboard_from_summaries(const char *const *summaries, size_t n_arms, size_t n_trials,
                                 const char *const *arm_labels, pb_scoreboard **out,
                                 pb_err *err) PB_MUST_CHECK;

struct pb_report_data;

/* The scoreboard of a page of several runs: its runs grouped by label in the
 * order they first ran, trial k of a label being its k-th run (on a page of
 * runs that were not one compare each run is its own). A run without a
 * stored summary counts with its totals, for the whole run only. *out is NULL
 * (and 0 returned) for a lone run's page. */
int pb_report_scoreboard(const struct pb_report_data *d, pb_scoreboard **out,
                         pb_err *err) PB_MUST_CHECK;

/* Free (NULL-safe). */
void pb_scoreboard_destroy(pb_scoreboard *sb);

/* The cell of arm in span, and the verdict of a ranked metric in span. */
const pb_score_cell *pb_scoreboard_cell(const pb_scoreboard *sb, size_t span, size_t arm);
const pb_score_verdict *pb_scoreboard_verdict(const pb_scoreboard *sb, size_t span,
                                              pb_score_metric m);

/* A number at three significant figures, without an exponent: "0.00172",
 * "1.23", "12.3", "123", "1876" (whole numbers from 100 on). */
const char *pb_score_sig3(double v, char *buf, size_t cap);

/* A cell's metric for a table: "317 [301, 333]", "20.1 % [19.3, 20.9]", one
 * trial's "317", or "-" when it has none. */
const char *pb_score_text(const pb_score_cell *c, pb_score_metric m, char *buf, size_t cap);

/* The verdict in words: "queue", "tie: queue, breaker", "queue (best of one
 * trial, no interval)", "-" when nobody has a value. */
const char *pb_score_verdict_text(const pb_scoreboard *sb, const pb_score_verdict *v, char *buf,
                                  size_t cap);

/* The sentence that says how the scoreboard decides (trials, intervals). */
const char *pb_score_caption(const pb_scoreboard *sb, char *buf, size_t cap);

/* Print for a terminal (markdown = false) or as Markdown tables. */
void pb_scoreboard_print(const pb_scoreboard *sb, FILE *out, bool markdown);

/* The scoreboard as JSON: caption, trials, per span its cells and winners. */
json_t *pb_scoreboard_json(const pb_scoreboard *sb);

#endif
