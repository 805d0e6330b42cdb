#include "charts.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "scoreboard.h"

/* Time charts: the plots end at PLOT_RIGHT of the width; the legend starts at
 * KEY_LEFT, leaving room between for a right axis's tics and label. A legend
 * entry longer than KEY_LINE characters is wrapped onto a second line, so
 * that every entry fits in the width left to it. */
#define PLOT_RIGHT "0.70"
#define KEY_LEFT "0.79"
#define KEY_LINE 24

/* Characters of database text shown in a legend entry or a title. */
#define LABEL_CHARS 28
#define TITLE_CHARS 60
#define QUOTED_CAP 256

/* Okabe-Ito, distinguishable with the common colour-vision deficiencies. */
static const char *const run_colors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                         "#E69F00", "#56B4E9", "#000000", "#882255"};
#define N_RUN_COLORS (sizeof(run_colors) / sizeof(run_colors[0]))

/* Legend names and colours: the outcome table's (vocabulary.h); the captions
 * say who rejects (the breaker) and who drops (backpressure). */
static const char *const outcome_titles[PB_OUTCOME_COUNT] = {
#define OUTCOME_TITLE(name, title, colour) [PB_OUTCOME_##name] = title,
    PB_OUTCOME_STYLE_MAP(OUTCOME_TITLE)
#undef OUTCOME_TITLE
};

static const char *const outcome_colors[PB_OUTCOME_COUNT] = {
#define OUTCOME_COLOUR(name, title, colour) [PB_OUTCOME_##name] = colour,
    PB_OUTCOME_STYLE_MAP(OUTCOME_COLOUR)
#undef OUTCOME_COLOUR
};

/* Columns of runN.dat, as gnuplot numbers them. */
enum {
    COL_T = 1,
    COL_WIDTH,
    COL_ATTEMPTS_RPS,
    COL_SENT_RPS,
    COL_OK_RPS,
    /* COL_OK_RPS + outcome (1..8): the outcome's share of attempts, % */
    COL_P50 = COL_OK_RPS + PB_OUTCOME_COUNT,
    COL_P90,
    COL_P99,
    COL_MAX,
    COL_LIMIT,
    COL_IN_FLIGHT,
    COL_QUEUE,
    COL_QUEUE_MAX,
    COL_BREAKER,
    COL_DROPS_RPS,
    COL_RETRIES_RPS,
    COL_REJECTED_RPS,
    COL_FAILED_PCT,
    COL_PHASE,
    COL_TARGET,
};

/* What the data say about one run, to leave out curves that have nothing. */
struct run_facts {
    size_t rows;  /* rows written to runN.dat */
    bool latency; /* some finite latency */
    bool outcome[PB_OUTCOME_COUNT];
    bool limit, breaker, queue, retries;
    bool target; /* some second has a --stages target */
    bool limit_events, breaker_events; /* limitN.dat / breakerN.dat written */
    bool stairs;                       /* runN.dat rows in start/end pairs */
    bool percentiles;                  /* percentilesN.dat written */
    bool percentiles_exact;            /* from histograms, not summary points */
    double max_x;                      /* largest 1/(1-p) in percentilesN.dat */
    double lat_min, lat_max;           /* range of percentilesN.dat values, ms */
};

struct ctx {
    const pb_report_data *d;   /* the runs time charts draw: with trials, each pattern's first */
    const pb_report_data *all; /* every run */
    const pb_scoreboard *sb;   /* per pattern over trials, by phase; NULL without a compare */
    const char *dir;
    pb_err *err;
    double xscale; /* seconds per x-axis unit */
    const char *xunit;
    /* a long run alone: the x axis shows UTC wall-clock time from x0, the
     * run's start in seconds since the epoch */
    bool wall;
    double x0;
    const pb_report_run *shade; /* the run whose phases shade time charts */
    struct run_facts *facts;
    char subject[QUOTED_CAP]; /* quoted: the compare's title or the run's label */
    pb_charts *out;
};

static int open_out(struct ctx *c, const char *name, FILE **f)
{
    char path[PATH_MAX];
    int w = snprintf(path, sizeof(path), "%s/%s", c->dir, name);
    if (w < 0 || (size_t)w >= sizeof(path))
        return pb_err_set(c->err, PB_ERANGE, "%s/%s: path too long", c->dir, name);
    *f = fopen(path, "w");
    if (*f == NULL)
        return pb_err_set(c->err, PB_EIO, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

static int close_out(struct ctx *c, const char *name, FILE *f)
{
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0)
        bad = true;
    if (bad)
        return pb_err_set(c->err, PB_EIO, "%s/%s: write failed: %s", c->dir, name, strerror(errno));
    return 0;
}

/* A number for a data file: gnuplot reads "nan" as a gap. */
static void num(FILE *f, double v, char sep)
{
    if (isfinite(v))
        fprintf(f, "%.6g%c", v, sep);
    else
        fprintf(f, "nan%c", sep);
}

/* Seconds from the run's start to its end: its measured length, or the rollup's
 * span while it is still running or after a crash. */
static double run_end_s(const pb_report_run *r)
{
    return r->duration_us >= 0 ? (double)r->duration_us / 1e6 : (double)r->span_s;
}

static const char *run_color(size_t i)
{
    return run_colors[i % N_RUN_COLORS];
}

static const char *quote(const char *text, size_t chars, char *buf)
{
    return pb_gnuplot_quote(text, chars, buf, QUOTED_CAP);
}

static void plot_item(FILE *f, bool *first)
{
    fprintf(f, *first ? "plot " : ", \\\n     ");
    *first = false;
}

/* Each run has its own dash and marker as well as its colour, so that runs
 * whose curves coincide stay apart in print and for colour-blind readers. */
static const int run_dashes[] = {1, 2, 4, 3, 5};
static const int run_points[] = {7, 5, 9, 13, 11, 6, 4, 8};
#define N_RUN_DASHES (sizeof(run_dashes) / sizeof(run_dashes[0]))
#define N_RUN_POINTS (sizeof(run_points) / sizeof(run_points[0]))

/* Markers per curve: enough to tell runs apart, few enough to read the line. */
#define MARKS_PER_CURVE 10
/* At most this many hover targets per curve in the SVG. */
#define HOVER_PER_CURVE 400

/* The value a chart plots of a rollup point, to find curves that coincide. */
typedef double (*point_value)(const pb_report_point *p);

static double value_ok_rps(const pb_report_point *p)
{
    return p->width_s > 0 ? p->outcomes[PB_OUTCOME_OK] / p->width_s : 0.0;
}

static double value_sent_rps(const pb_report_point *p)
{
    double sent = p->count - p->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] -
                  p->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE];
    return p->width_s > 0 ? sent / p->width_s : 0.0;
}

static double value_p99(const pb_report_point *p)
{
    return p->p99_ms;
}

static double value_limit(const pb_report_point *p)
{
    return p->lim;
}

/* True when run a's curve lies on run b's: the same points, each within 2 %
 * of the larger value or 0.5 % of the chart's height (what a 2-pixel line
 * hides). Unknown values (NaN) must be unknown in both. */
static bool curves_coincide(const pb_report_run *a, const pb_report_run *b, point_value value)
{
    if (a->n_points != b->n_points || a->n_points == 0)
        return false;
    double top = 0.0;
    for (size_t i = 0; i < a->n_points; i++)
        top = fmax(top, fmax(fabs(value(&a->points[i])), fabs(value(&b->points[i]))));
    for (size_t i = 0; i < a->n_points; i++) {
        double x = value(&a->points[i]), y = value(&b->points[i]);
        if (isnan(x) != isnan(y))
            return false;
        if (isnan(x))
            continue;
        if (fabs(x - y) > 0.02 * fmax(fabs(x), fabs(y)) + 0.005 * top)
            return false;
    }
    return true;
}

/* The legend title of run i in a compare: its label, and the first earlier
 * run whose curve it lies on, since a line drawn over another hides it
 * ('breaker (= queue)'; runs that all coincide all name the first).
 * Returned quoted, in buf (QUOTED_CAP). */
static const char *legend_title(struct ctx *c, size_t i, point_value value, char *buf)
{
    const char *label = c->d->runs[i].label;
    for (size_t j = 0; value != NULL && j < i; j++) {
        if (!curves_coincide(&c->d->runs[i], &c->d->runs[j], value))
            continue;
        char text[160], a[QUOTED_CAP], b[QUOTED_CAP];
        const char *other = c->d->runs[j].label;
        snprintf(text, sizeof(text), "%s (= %s)", label, other);
        if (strlen(text) <= KEY_LINE)
            return quote(text, KEY_LINE, buf);
        /* a long pair goes on two lines rather than past the image's edge */
        snprintf(text, sizeof(text), "(= %s)", other);
        snprintf(buf, QUOTED_CAP, "%s.\"\\n\".%s", quote(label, KEY_LINE, a),
                 quote(text, KEY_LINE, b));
        return buf;
    }
    return quote(label, LABEL_CHARS, buf);
}

/* One run's curve in a compare chart: the line in the run's colour and dash,
 * its markers every few rows (staggered between runs, so that coinciding
 * curves show every run's markers), hover targets in the SVG naming the run,
 * the time and the value, and a legend entry showing line and marker.
 * `col` is a data column or a gnuplot expression in parentheses; `unit`
 * follows the value in the hover text. title is quoted, or NULL for none. */
static void plot_run_curve(struct ctx *c, FILE *f, bool *first, size_t i, const char *col,
                           double width, const char *unit, const char *title)
{
    const pb_report_run *r = &c->d->runs[i];
    const struct run_facts *fx = &c->facts[i];
    size_t lines = fx->rows * (fx->stairs ? 2 : 1);
    size_t every = lines / MARKS_PER_CURVE > 0 ? lines / MARKS_PER_CURVE : 1;
    size_t offset = every * i / (c->d->n_runs > 0 ? c->d->n_runs : 1);
    size_t hover = lines / HOVER_PER_CURVE > 0 ? lines / HOVER_PER_CURVE : 1;
    char val[64];
    snprintf(val, sizeof(val), col[0] == '(' ? "%s" : "$%s", col);
    const char *color = run_color(i);
    int dash = run_dashes[i % N_RUN_DASHES], point = run_points[i % N_RUN_POINTS];
    char name[QUOTED_CAP];
    quote(r->label, LABEL_CHARS, name);
    plot_item(f, first);
    fprintf(f,
            "'run%" PRId64 ".dat' using (tx($1)):%s with lines linecolor rgb '%s' linewidth %g "
            "dashtype %d notitle",
            r->data_id, col, color, width, dash);
    plot_item(f, first);
    fprintf(f,
            "'run%" PRId64 ".dat' every %zu::%zu using (tx($1)):%s with points linecolor rgb "
            "'%s' pointtype %d pointsize 0.9 notitle",
            r->data_id, every, offset, col, color, point);
    /* hover: a label per row whose text the SVG shows under the mouse */
    plot_item(f, first);
    char when[64];
    if (c->wall)
        snprintf(when, sizeof(when), "strftime('%%H:%%M:%%S UTC', tx($1))");
    else
        snprintf(when, sizeof(when), "sprintf('t = %%.1f %s', $1/xs)", c->xunit);
    fprintf(f,
            "'run%" PRId64 ".dat' every %zu using (tx($1)):%s:(sprintf('%%s\\n%%s\\n"
            "%%.4g %s', %s, %s, %s)) with labels hypertext point pointtype 7 pointsize "
            "hover_ps linecolor rgb '%s' notitle",
            r->data_id, hover, col, unit, name, when, val, color);
    if (title != NULL) {
        plot_item(f, first);
        fprintf(f,
                "keyentry with linespoints linecolor rgb '%s' linewidth %g dashtype %d "
                "pointtype %d pointsize 0.9 title %s",
                color, width, dash, point, title);
    }
}

/* ---- data files ---- */

static int write_series(struct ctx *c, size_t ri)
{
    const pb_report_run *r = &c->d->runs[ri];
    struct run_facts *fx = &c->facts[ri];
    char name[64];
    snprintf(name, sizeof(name), "run%" PRId64 ".dat", r->data_id);
    FILE *f;
    int rc = open_out(c, name, &f);
    if (rc != 0)
        return rc;
    fprintf(f,
            "# patternbench report data: run %" PRId64 ", one row per %" PRIu64
            " s of run time\n# columns: 1 t_s (middle of the row's time) 2 width_s"
            " 3 attempts/s 4 sent/s 5 ok/s",
            r->id, c->d->bucket_s);
    for (int o = 1; o < PB_OUTCOME_COUNT; o++)
        fprintf(f, " %d %s%%", COL_OK_RPS + o, pb_outcome_column((pb_outcome)o));
    fprintf(f,
            " %d p50_ms %d p90_ms %d p99_ms %d max_ms %d limit %d in_flight %d queue"
            " %d queue_max %d breaker(0=closed,1=half-open,2=open) %d drops/s"
            " %d retries/s %d rejected/s %d failed%% %d phase %d target\n",
            COL_P50, COL_P90, COL_P99, COL_MAX, COL_LIMIT, COL_IN_FLIGHT, COL_QUEUE, COL_QUEUE_MAX,
            COL_BREAKER, COL_DROPS_RPS, COL_RETRIES_RPS, COL_REJECTED_RPS, COL_FAILED_PCT,
            COL_PHASE, COL_TARGET);
    static const double breaker_level[] = {NAN, 0.0, 2.0, 1.0};
    /* A rollup row holds for its whole bucket: short series are drawn as stairs
     * (each row at its start and its end) so that a fault phase's effect lines
     * up with the phase's band; long ones as lines through bucket middles. */
    bool stairs = r->n_points <= PB_REPORT_MAX_POINTS / 4;
    fx->stairs = stairs;
    double drawn_to = NAN; /* the end of the last bucket written */
    for (size_t i = 0; i < r->n_points; i++) {
        const pb_report_point *p = &r->points[i];
        /* a sliver of a second at the end would show as a spurious dip in rates */
        if (p->width_s < 0.25)
            continue;
        /* whole seconds without data (a resumed run's gap): a row of nan, which
         * gnuplot does not draw, so the lines break there instead of joining
         * across or falling to 0 */
        if (p->t_s - drawn_to >= 1.0) {
            num(f, (drawn_to + p->t_s) / 2, ' ');
            for (int col = 2; col < COL_PHASE; col++)
                num(f, NAN, ' ');
            num(f, NAN, '\n');
        }
        drawn_to = p->t_s + p->width_s;
        double sent = p->count - p->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] -
                      p->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE];
        for (int edge = 0; edge < (stairs ? 2 : 1); edge++) {
            double failed = 0.0;
            num(f, stairs ? p->t_s + edge * p->width_s : p->t_s + p->width_s / 2, ' ');
            num(f, p->width_s, ' ');
            num(f, p->count / p->width_s, ' ');
            num(f, sent / p->width_s, ' ');
            num(f, p->outcomes[PB_OUTCOME_OK] / p->width_s, ' ');
            for (int o = 1; o < PB_OUTCOME_COUNT; o++) {
                double pct = p->count > 0 ? 100.0 * p->outcomes[o] / p->count : 0.0;
                num(f, pct, ' ');
                if (p->outcomes[o] > 0)
                    fx->outcome[o] = true;
                if (pb_outcome_is_failure((pb_outcome)o))
                    failed += pct;
            }
            num(f, p->p50_ms, ' ');
            num(f, p->p90_ms, ' ');
            num(f, p->p99_ms, ' ');
            num(f, p->max_ms, ' ');
            num(f, p->lim, ' ');
            num(f, p->in_flight, ' ');
            num(f, p->queue, ' ');
            num(f, p->queue_max, ' ');
            num(f, breaker_level[p->breaker >= 0 && p->breaker <= 3 ? p->breaker : 0], ' ');
            num(f, p->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE] / p->width_s, ' ');
            num(f, p->retries / p->width_s, ' ');
            num(f, p->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER] / p->width_s, ' ');
            num(f, failed, ' ');
            num(f, p->phase, ' ');
            num(f, p->target, '\n');
        }
        fx->rows++;
        if (isfinite(p->p50_ms) || isfinite(p->p99_ms))
            fx->latency = true;
        if (p->lim > 0 || p->in_flight > 0)
            fx->limit = true;
        if (p->breaker != 0)
            fx->breaker = true;
        if (p->queue_max > 0 || p->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE] > 0)
            fx->queue = true;
        if (p->retries > 0)
            fx->retries = true;
        if (isfinite(p->target))
            fx->target = true;
    }
    return close_out(c, name, f);
}

/* A step series from events: the value before the first event, then each change. */
static int write_steps(struct ctx *c, size_t ri, const char *kind, const pb_report_events *ev,
                       int64_t (*level)(int64_t))
{
    const pb_report_run *r = &c->d->runs[ri];
    char name[64];
    snprintf(name, sizeof(name), "%s%" PRId64 ".dat", kind, r->data_id);
    FILE *f;
    int rc = open_out(c, name, &f);
    if (rc != 0)
        return rc;
    fprintf(f, "# patternbench report data: run %" PRId64 ", %s changes\n# columns: 1 t_s 2 %s\n",
            r->id, kind, kind);
    fprintf(f, "0 %" PRId64 "\n", level(ev->items[0].from));
    for (size_t i = 0; i < ev->n; i++) {
        num(f, ev->items[i].t_s, ' ');
        fprintf(f, "%" PRId64 "\n", level(ev->items[i].to));
    }
    /* hold the last state to the end of the run */
    num(f, fmax(run_end_s(r), ev->items[ev->n - 1].t_s), ' ');
    fprintf(f, "%" PRId64 "\n", level(ev->items[ev->n - 1].to));
    return close_out(c, name, f);
}

static int64_t same_level(int64_t v)
{
    return v;
}

/* Breaker states drawn bottom-up by severity: closed 0, half-open 1, open 2. */
static int64_t breaker_level(int64_t state)
{
    return state == 2 ? 2 : state == 3 ? 1 : 0;
}

struct pct_writer {
    FILE *f;
    struct run_facts *fx;
};

static void pct_row(void *data, uint64_t value, double percentile, uint64_t total_count)
{
    struct pct_writer *w = data;
    /* 100 % sits at infinity on a 1/(1-p) axis */
    if (percentile >= 100.0)
        return;
    double x = 1.0 / (1.0 - percentile / 100.0);
    double ms = (double)value / 1e3;
    fprintf(w->f, "%.6g %.6g %.6g\n", x, percentile, ms);
    w->fx->max_x = fmax(w->fx->max_x, x);
    w->fx->lat_min = fmin(w->fx->lat_min, ms);
    w->fx->lat_max = fmax(w->fx->lat_max, ms);
    w->fx->percentiles = true;
}

static int write_percentiles(struct ctx *c, size_t ri)
{
    const pb_report_run *r = &c->d->runs[ri];
    struct run_facts *fx = &c->facts[ri];
    fx->lat_min = INFINITY;
    fx->lat_max = 0.0;
    bool exact = r->hist != NULL && pb_hist_count(r->hist) > 0;
    const pb_report_totals *t = &r->totals;
    if (!exact && !isfinite(t->p50_ms) && !isfinite(t->p99_ms))
        return 0;
    char name[64];
    snprintf(name, sizeof(name), "percentiles%" PRId64 ".dat", r->data_id);
    FILE *f;
    int rc = open_out(c, name, &f);
    if (rc != 0)
        return rc;
    fprintf(f,
            "# patternbench report data: run %" PRId64 ", latency percentile distribution "
            "(%s)\n# columns: 1 1/(1-p) 2 percentile 3 latency_ms\n",
            r->id, exact ? "merged per-second histograms" : "the run summary's percentiles");
    struct pct_writer w = {f, fx};
    if (exact) {
        fx->percentiles_exact = true;
        pb_hist_percentiles(r->hist, 5, pct_row, &w);
    } else {
        const double pcts[] = {50.0, 90.0, 99.0, 99.9};
        const double vals[] = {t->p50_ms, t->p90_ms, t->p99_ms, t->p999_ms};
        for (size_t i = 0; i < 4; i++)
            if (isfinite(vals[i]))
                pct_row(&w, (uint64_t)llround(vals[i] * 1e3), pcts[i], 0);
    }
    return close_out(c, name, f);
}

/* ---- script pieces ---- */

static void gp_begin(struct ctx *c, FILE *f, const char *name, int w, int h, const char *what)
{
    fprintf(f,
            "# patternbench report: %s.\n"
            "# Draws %s.png and %s.svg from the .dat files beside it; edit and re-run with\n"
            "#   gnuplot %s.gp\n"
            "# from this folder.\n"
            "xs = %g\n"
            "x0 = %.16g\n"
            "tx(s) = x0 + s/xs\n"
            "do for [out in '%s.png %s.svg'] {\n"
            "reset\n"
            "if (out[strlen(out)-2:] eq 'png') {\n"
            "  set terminal pngcairo noenhanced size %d,%d font 'DejaVu Sans,11' linewidth 1.2\n"
            "  hover_ps = 0\n"
            "} else {\n"
            "  # mouse: the pointer's time and value, and each hover label's text, are shown\n"
            "  # by a script that standalone puts inside the SVG file itself\n"
            "  set terminal svg mouse standalone noenhanced size %d,%d font 'DejaVu Sans,11' "
            "linewidth 1.2 background '#ffffff'\n"
            "  hover_ps = 0.35\n"
            "}\n"
            "set output out\n"
            "set encoding utf8\n"
            "set border 3 linecolor rgb '#555555'\n"
            "set tics nomirror out scale 0.6\n"
            "set grid xtics ytics linecolor rgb '#e2e2e2' linewidth 1 dashtype 1\n"
            "set key outside right top vertical Left reverse samplen 2.5 spacing 1.15\n"
            "set offsets 0, 0, graph 0.06, 0\n",
            what, name, name, name, c->xscale, c->x0, name, name, w, h, w, h);
}

static void gp_end(FILE *f)
{
    fprintf(f, "unset output\n}\n");
}

/* The x axis of time charts, in the unit chosen for the run's length: it ends
 * where the longest run ended, not at the next whole rollup second. */
static void gp_time_axis(struct ctx *c, FILE *f, bool label)
{
    double end = 0.0;
    for (size_t i = 0; i < c->d->n_runs; i++)
        end = fmax(end, run_end_s(&c->d->runs[i]));
    end /= c->xscale;
    fprintf(f, "set xrange [x0:x0+%g]\n", end > 0 ? end : 1.0);
    if (c->wall) {
        /* more than a day: the date too */
        fprintf(f, "set xdata time\nset timefmt '%%s'\nset format x \"%s\"\n",
                end > 86400 ? "%d %b\\n%H:%M" : "%H:%M");
    }
    if (!label) {
        fprintf(f, "unset xlabel\n");
    } else if (c->wall) {
        fprintf(f, "set xlabel 'wall-clock time, UTC (the run started ' . "
                   "strftime('%%Y-%%m-%%d %%H:%%M:%%S', x0) . ')'\n");
    } else {
        fprintf(f, "set xlabel 'time since run start (%s)'\n", c->xunit);
    }
}

/* Shade and name the mock's phases, its fault schedule (every phase after the
 * base settings). Neutral tints: a phase may as well be a recovery. */
static void gp_phases(struct ctx *c, FILE *f, bool labels)
{
    if (c->shade == NULL)
        return;
    int k = 0;
    for (size_t i = 0; i < c->shade->n_phases; i++) {
        const pb_report_phase *p = &c->shade->phases[i];
        if (p->index == 0 || p->end_s <= p->start_s)
            continue;
        double x0 = p->start_s / c->xscale, x1 = p->end_s / c->xscale;
        fprintf(f,
                "set object %d rectangle from first x0+%g, graph 0 to first x0+%g, graph 1 behind "
                "fillcolor rgb '%s' fillstyle solid 0.55 noborder\n",
                100 + k, x0, x1, k % 2 == 0 ? "#f2dfc4" : "#d9e3f0");
        if (labels) {
            char q[QUOTED_CAP];
            fprintf(f,
                    "set label %d %s at first x0+%g, graph 1 center offset 0,0.75 front "
                    "textcolor rgb '#5a4632' font ',9'\n",
                    100 + k, quote(p->name, 24, q), (x0 + x1) / 2);
        }
        k++;
    }
}

/* "set title 'WHAT — subject'" (subject already quoted). */
static void gp_title(struct ctx *c, FILE *f, const char *what)
{
    fprintf(f, "set title '%s — ' . %s font ',13'\n", what, c->subject);
}

static int add_chart(struct ctx *c, const char *name, const char *title, const char *caption)
{
    assert(c->out->n < PB_CHARTS_MAX);
    pb_chart *ch = &c->out->items[c->out->n++];
    snprintf(ch->name, sizeof(ch->name), "%s", name);
    snprintf(ch->title, sizeof(ch->title), "%s", title);
    /* the time charts draw one trial of each pattern; the scoreboard's charts all */
    bool one_of_many =
        c->d != c->all && strcmp(name, "compare") != 0 && strcmp(name, "phases") != 0;
    snprintf(ch->caption, sizeof(ch->caption), "%s%s", caption,
             one_of_many ? " Each pattern's first trial is drawn." : "");
    return 0;
}

/* ---- the charts ---- */

static int finish(struct ctx *c, FILE *f, const char *name, const char *title, const char *caption)
{
    char script[64];
    snprintf(script, sizeof(script), "%s.gp", name);
    gp_end(f);
    int rc = close_out(c, script, f);
    if (rc == 0)
        rc = add_chart(c, name, title, caption);
    return rc;
}

static bool any_rows(struct ctx *c)
{
    for (size_t i = 0; i < c->d->n_runs; i++)
        if (c->facts[i].rows > 0)
            return true;
    return false;
}

static bool any_target(const struct ctx *c)
{
    for (size_t i = 0; i < c->d->n_runs; i++)
        if (c->facts[i].target)
            return true;
    return false;
}

/* Goodput is the headline: a pattern that sends 400 req/s into an outage,
 * all of them failing, must not look better than one that fails fast and
 * sends none. Attempts sent are drawn beside it, smaller. */
static int chart_throughput(struct ctx *c)
{
    FILE *f;
    int rc = open_out(c, "throughput.gp", &f);
    if (rc != 0)
        return rc;
    char q[QUOTED_CAP], num_col[16];
    bool first = true;
    if (c->d->is_compare) {
        int h = 110 + 300 + 230;
        gp_begin(c, f, "throughput", 1100, h, "goodput and attempts over time");
        fprintf(f,
                "set multiplot title 'Throughput — ' . %s font ',13'\n"
                "set key at screen " KEY_LEFT ", graph 1 left top\n"
                "set lmargin at screen 0.08\nset rmargin at screen " PLOT_RIGHT "\n",
                c->subject);
        static const struct {
            const char *what, *unit;
            int col;
            double width, top, bottom;
            point_value value;
        } panels[] = {
            {"goodput", "ok/s", COL_OK_RPS, 2.0, 0.9, 0.42, value_ok_rps},
            {"attempts sent", "sent/s", COL_SENT_RPS, 1.5, 0.34, 0.09, value_sent_rps},
        };
        for (size_t k = 0; k < 2; k++) {
            fprintf(f, "set tmargin at screen %g\nset bmargin at screen %g\n", panels[k].top,
                    panels[k].bottom);
            gp_time_axis(c, f, k == 1);
            gp_phases(c, f, k == 0);
            fprintf(f, "set ylabel '%s'\nset yrange [0:*]\nset key title '%s'\n", panels[k].unit,
                    panels[k].what);
            first = true;
            /* beside the attempts, what a ramp aimed for: the first ramped run's
             * (a scenario gives every run the same load) */
            const pb_report_run *ramped = NULL;
            for (size_t i = 0; k == 1 && ramped == NULL && i < c->d->n_runs; i++)
                if (c->facts[i].target)
                    ramped = &c->d->runs[i];
            if (ramped != NULL && ramped->ramp_workers)
                fprintf(f, "set y2label 'workers'\nset y2range [0:*]\n"
                           "set y2tics nomirror out scale 0.6\n");
            snprintf(num_col, sizeof(num_col), "%d", panels[k].col);
            for (size_t i = 0; i < c->d->n_runs; i++) {
                if (c->facts[i].rows == 0)
                    continue;
                plot_run_curve(c, f, &first, i, num_col, panels[k].width, panels[k].unit,
                               legend_title(c, i, panels[k].value, q));
            }
            if (ramped != NULL) {
                char title[QUOTED_CAP], text[64];
                snprintf(text, sizeof(text), "%s (%s)",
                         ramped->ramp_workers ? "target workers" : "target", ramped->label);
                plot_item(f, &first);
                fprintf(f,
                        "'run%" PRId64 ".dat' using (tx($1)):%d%s with lines linecolor rgb "
                        "'#E69F00' linewidth 2.5 dashtype (7,5) title %s",
                        ramped->data_id, COL_TARGET, ramped->ramp_workers ? " axes x1y2" : "",
                        quote(text, KEY_LINE, title));
            }
            fprintf(f, "\nunset label\nunset object\n");
        }
        fprintf(f, "unset multiplot\n");
    } else {
        const pb_report_run *r = &c->d->runs[0];
        const struct run_facts *fx = &c->facts[0];
        gp_begin(c, f, "throughput", 1100, 440, "goodput and attempts over time");
        gp_title(c, f, "Throughput");
        gp_time_axis(c, f, true);
        fprintf(f, "set ylabel 'requests per second'\nset yrange [0:*]\n");
        if (fx->target && r->ramp_workers)
            fprintf(f, "set rmargin at screen " PLOT_RIGHT "\nset y2label 'workers'\n"
                       "set y2range [0:*]\nset y2tics nomirror out scale 0.6\n");
        gp_phases(c, f, true);
        snprintf(num_col, sizeof(num_col), "%d", COL_OK_RPS);
        plot_run_curve(c, f, &first, 0, num_col, 2.5, "ok/s", "'succeeded (goodput)'");
        plot_item(f, &first);
        fprintf(f,
                "'run%" PRId64 ".dat' using (tx($1)):%d with lines linecolor rgb '#777777' "
                "linewidth 1.2 dashtype 2 title 'attempts sent'",
                r->data_id, COL_SENT_RPS);
        if (fx->outcome[PB_OUTCOME_REJECTED_BY_BREAKER] ||
            fx->outcome[PB_OUTCOME_DROPPED_BY_BACKPRESSURE]) {
            plot_item(f, &first);
            fprintf(f,
                    "'run%" PRId64 ".dat' using (tx($1)):($%d+$%d) with lines linecolor rgb "
                    "'#CC79A7' linewidth 1.2 dashtype 3 title 'rejected or dropped'",
                    r->data_id, COL_REJECTED_RPS, COL_DROPS_RPS);
        }
        if (fx->target) {
            /* a ramp of workers is read on its own axis (the workers reached at each
             * second's end are the internals chart's limit) */
            const char *axes = r->ramp_workers ? " axes x1y2" : "";
            plot_item(f, &first);
            fprintf(f,
                    "'run%" PRId64 ".dat' using (tx($1)):%d%s with lines linecolor rgb '#E69F00' "
                    "linewidth 2.5 dashtype (7,5) title '%s'",
                    r->data_id, COL_TARGET, axes,
                    r->ramp_workers ? "target workers (--stages)" : "target (--stages)");
        }
        fprintf(f, "\n");
    }
    char caption[sizeof(((pb_chart *)0)->caption)];
    snprintf(caption, sizeof(caption),
             "%s%s. Shaded and named: the mock's phases (its fault "
             "schedule). In the SVG the pointer shows time and value.",
             c->d->is_compare && any_target(c)
                 ? "Top: goodput, requests that succeeded per second, per pattern (a legend "
                   "entry names the patterns whose line it covers). Below: attempts sent, and "
                   "(orange dashes) what the ramp (stages) aimed for"
             : c->d->is_compare
                 ? "Top: goodput, requests that succeeded per second, per pattern (a legend "
                   "entry names the patterns whose line it covers). Below: attempts sent"
                 : c->facts[0].target && c->d->runs[0].ramp_workers
                     ? "Goodput, requests that succeeded per second, (grey dashes) attempts "
                       "sent, failed ones included, and on the right axis (orange dashes) the "
                       "closed-loop workers --stages aimed for"
                 : c->facts[0].target
                     ? "Goodput, requests that succeeded per second, (grey dashes) attempts "
                       "sent, failed ones included, and (orange dashes) the arrival rate "
                       "--stages aimed for"
                     : "Goodput, requests that succeeded per second, and (dashed) attempts sent, "
                       "failed ones included",
             c->d->bucket_s > 1 ? "; each point averages a bucket of seconds" : "");
    return finish(c, f, "throughput", "Throughput", caption);
}

/* Stacked areas of each outcome's share of attempts for run ri. */
static void error_panel(struct ctx *c, FILE *f, size_t ri, bool labels)
{
    const pb_report_run *r = &c->d->runs[ri];
    const struct run_facts *fx = &c->facts[ri];
    bool any = false;
    for (int o = 1; o < PB_OUTCOME_COUNT; o++)
        any = any || fx->outcome[o];
    fprintf(f, "set ylabel 'share of attempts (%%)'\n");
    if (any)
        fprintf(f, "set yrange [0:*<100]\nunset label 1\n");
    else
        fprintf(f, "set yrange [0:5]\nset label 1 'no failed, rejected or dropped requests' at "
                   "graph 0.5, graph 0.5 center front textcolor rgb '#555555'\n");
    bool first = true;
    /* at most eight "+$NN" terms: the sums fit with room to spare */
    char lower[128] = "0", upper[sizeof(lower) + 8];
    for (int o = 1; o < PB_OUTCOME_COUNT; o++) {
        if (!fx->outcome[o])
            continue;
        snprintf(upper, sizeof(upper), "%s+$%d", lower, COL_OK_RPS + o);
        plot_item(f, &first);
        fprintf(f,
                "'run%" PRId64 ".dat' using (tx($1)):(%s):(%s) with filledcurves fillcolor "
                "rgb '%s' fillstyle solid 0.85 noborder title '%s'",
                r->data_id, lower, upper, outcome_colors[o], outcome_titles[o]);
        assert(strlen(upper) < sizeof(lower));
        memcpy(lower, upper, strlen(upper) + 1);
    }
    if (!any) {
        plot_item(f, &first);
        fprintf(f,
                "'run%" PRId64 ".dat' using (tx($1)):%d with lines linecolor rgb '#009E73' "
                "linewidth 2 title 'failed'",
                r->data_id, COL_FAILED_PCT);
    }
    fprintf(f, "\n");
    if (labels)
        fprintf(f, "unset label\n");
}

static int chart_errors(struct ctx *c)
{
    FILE *f;
    int rc = open_out(c, "errors.gp", &f);
    if (rc != 0)
        return rc;
    size_t n = 0;
    for (size_t i = 0; i < c->d->n_runs; i++)
        n += c->facts[i].rows > 0;
    int h = c->d->is_compare ? 110 + 230 * (int)n : 440;
    gp_begin(c, f, "errors", 1100, h, "error rate over time, by outcome");
    if (c->d->is_compare) {
        fprintf(f,
                "set multiplot layout %zu,1 title 'Errors over time — ' . %s font ',13' "
                "margins 0.08," PLOT_RIGHT ",%.4f,%.4f spacing 0,%.4f\n"
                "set key at screen " KEY_LEFT ", graph 1 left top\n",
                n, c->subject, 60.0 / h, 1.0 - 55.0 / h, 55.0 / h);
        size_t k = 0;
        char q[QUOTED_CAP];
        for (size_t i = 0; i < c->d->n_runs; i++) {
            if (c->facts[i].rows == 0)
                continue;
            gp_time_axis(c, f, ++k == n);
            gp_phases(c, f, k == 1);
            /* the run's name heads its legend: a panel title would collide with the
             * phase names above the plot */
            fprintf(f, "set key title %s\n", quote(c->d->runs[i].label, LABEL_CHARS, q));
            error_panel(c, f, i, k == 1);
        }
        fprintf(f, "unset multiplot\n");
    } else {
        gp_title(c, f, "Errors over time");
        gp_time_axis(c, f, true);
        gp_phases(c, f, true);
        error_panel(c, f, 0, false);
    }
    return finish(c, f, "errors", "Errors over time",
                  "Share of attempts ending in each failure outcome, stacked. Rejected (by "
                  "the circuit breaker) and dropped (by backpressure) attempts never reached "
                  "the network. Shaded and named: the mock's phases (its fault schedule).");
}

static int chart_latency(struct ctx *c)
{
    bool any = false;
    for (size_t i = 0; i < c->d->n_runs; i++)
        any = any || c->facts[i].latency;
    if (!any)
        return 0;
    FILE *f;
    int rc = open_out(c, "latency.gp", &f);
    if (rc != 0)
        return rc;
    gp_begin(c, f, "latency", 1100, 440, "latency percentiles over time");
    gp_title(c, f, "Latency over time");
    gp_time_axis(c, f, true);
    /* a log axis already extends to the next decade: no extra headroom */
    fprintf(f, "set ylabel 'service latency (ms, log scale)'\nset logscale y 10\n"
               "set format y '%%g'\nset offsets 0, 0, 0, 0\n");
    gp_phases(c, f, true);
    bool first = true;
    char q[QUOTED_CAP];
    for (size_t i = 0; i < c->d->n_runs; i++) {
        const pb_report_run *r = &c->d->runs[i];
        if (!c->facts[i].latency)
            continue;
        if (c->d->is_compare) {
            if (first) {
                plot_item(f, &first);
                fprintf(f, "keyentry with lines linecolor rgb '#444444' linewidth 2 "
                           "title 'p99 (thick)', keyentry with lines linecolor rgb '#444444' "
                           "linewidth 0.8 title 'p50 (thin)'");
            }
            char col[16];
            snprintf(col, sizeof(col), "%d", COL_P99);
            plot_run_curve(c, f, &first, i, col, 2.0, "ms (p99)", legend_title(c, i, value_p99, q));
            plot_item(f, &first);
            fprintf(f,
                    "'run%" PRId64 ".dat' using (tx($1)):%d with lines linecolor rgb '%s' "
                    "linewidth 0.8 dashtype %d notitle",
                    r->data_id, COL_P50, run_color(i), run_dashes[i % N_RUN_DASHES]);
            continue;
        }
        static const struct {
            int col;
            const char *color, *style, *title;
        } lines[] = {
            {COL_MAX, "#999999", "linewidth 1 dashtype 3", "max"},
            {COL_P99, "#D55E00", "linewidth 2", "p99"},
            {COL_P90, "#E69F00", "linewidth 1.5", "p90"},
            {COL_P50, "#0072B2", "linewidth 2", "p50"},
        };
        for (size_t k = 0; k < sizeof(lines) / sizeof(lines[0]); k++) {
            plot_item(f, &first);
            fprintf(f,
                    "'run%" PRId64 ".dat' using (tx($1)):%d with lines linecolor rgb '%s' %s "
                    "title '%s'",
                    r->data_id, lines[k].col, lines[k].color, lines[k].style, lines[k].title);
        }
    }
    fprintf(f, "\n");
    return finish(c, f, "latency", "Latency over time",
                  c->d->bucket_s > 1
                      ? "Service latency per bucket of seconds (p50 averaged, p99 and max the "
                        "bucket's worst second), log scale. Shaded: the mock's phases."
                      : "Service latency percentiles of each second, log scale. Shaded and named: "
                        "the mock's phases (its fault schedule).");
}

static int chart_percentiles(struct ctx *c)
{
    double max_x = 1.0, lo = INFINITY, hi = 0.0;
    bool any = false;
    for (size_t i = 0; i < c->d->n_runs; i++) {
        const struct run_facts *fx = &c->facts[i];
        if (!fx->percentiles)
            continue;
        any = true;
        max_x = fmax(max_x, fx->max_x);
        lo = fmin(lo, fx->lat_min);
        hi = fmax(hi, fx->lat_max);
    }
    if (!any)
        return 0;
    FILE *f;
    int rc = open_out(c, "percentiles.gp", &f);
    if (rc != 0)
        return rc;
    gp_begin(c, f, "percentiles", 1100, 440, "latency percentile distribution");
    gp_title(c, f, "Latency by percentile");
    fprintf(f, "set logscale x 10\nset xrange [1:%g]\nset xlabel 'percentile'\n",
            fmax(10.0, max_x * 1.5));
    fprintf(f, "set xtics (");
    /* tic labels are formats: %% prints one percent sign */
    static const char *const tics[] = {"50%%",    "90%%",     "99%%",      "99.9%%",
                                       "99.99%%", "99.999%%", "99.9999%%", "99.99999%%"};
    double x = 2.0;
    for (size_t k = 0; k < sizeof(tics) / sizeof(tics[0]) && x <= max_x * 1.5; k++) {
        fprintf(f, "%s'%s' %g", k == 0 ? "" : ", ", tics[k], x);
        x = k == 0 ? 10.0 : x * 10.0;
    }
    fprintf(f, ")\nset mxtics 10\n");
    /* a long tail needs a log axis to show the body and the tail at once */
    if (lo > 0 && hi / lo > 20.0)
        fprintf(f, "set logscale y 10\nset format y '%%g'\nset offsets 0, 0, 0, 0\n"
                   "set ylabel 'service latency (ms, log scale)'\n");
    else
        fprintf(f, "set yrange [0:*]\nset ylabel 'service latency (ms)'\n");
    bool first = true;
    char q[QUOTED_CAP];
    for (size_t i = 0; i < c->d->n_runs; i++) {
        const pb_report_run *r = &c->d->runs[i];
        const struct run_facts *fx = &c->facts[i];
        if (!fx->percentiles)
            continue;
        plot_item(f, &first);
        fprintf(f,
                "'percentiles%" PRId64 ".dat' using 1:3 with %s linecolor rgb '%s' "
                "linewidth 2 title %s%s",
                r->data_id,
                fx->percentiles_exact ? "lines" : "linespoints pointtype 7 pointsize 0.8",
                c->d->is_compare ? run_color(i) : "#0072B2", quote(r->label, LABEL_CHARS, q),
                fx->percentiles_exact ? "" : " . ' (summary percentiles only)'");
    }
    fprintf(f, "\n");
    return finish(c, f, "percentiles", "Latency percentile distribution",
                  "Service latency at each percentile over the whole run (HdrHistogram style: "
                  "the x axis is 1/(1-p), so each decade is one more nine).");
}

/* A legend of coloured squares drawn across the bottom of the image, at most
 * `per_row` entries a row, so that it fits whatever the panels' widths (a
 * gnuplot key belongs to one panel and, in a narrow one, stacks down over
 * the plots). Objects and labels from 900 up. */
static void gp_bottom_legend(FILE *f, const char *const *names, const char *const *colours,
                             size_t n, size_t per_row)
{
    char q[QUOTED_CAP];
    size_t rows = (n + per_row - 1) / per_row;
    double w = 0.9 / (double)per_row;
    /* a name is cut to the characters its slot holds (about 7.5 px each at
     * 10 pt on 1100 px, after the square) */
    size_t chars = (size_t)(w * 1100.0 / 7.5) - 4;
    for (size_t k = 0; k < n; k++) {
        double x = 0.05 + w * (double)(k % per_row),
               y = 0.02 + 0.04 * (double)(rows - 1 - k / per_row);
        fprintf(f,
                "set object %zu rectangle from screen %.4f, screen %.4f to screen %.4f, screen "
                "%.4f fillcolor rgb '%s' fillstyle solid 0.85 noborder front\n"
                "set label %zu %s at screen %.4f, screen %.4f left front font ',10'\n",
                900 + k, x, y + 0.004, x + 0.014, y + 0.024, colours[k], 900 + k,
                quote(names[k], chars, q), x + 0.02, y + 0.014);
    }
}

/* Error bars from column lo to lo + 1 (hi) of the plot's data file, as
 * vectors with flat heads: gnuplot's own errorbars leave a white disc at the
 * mean over the bar. `index` selects a block ("index 2 ") or is "". */
static void gp_error_bars(FILE *f, const char *index, int lo)
{
    fprintf(f,
            ", \\\n     '' %susing 1:%d:(0):($%d-$%d) with vectors heads size screen 0.007,90 "
            "linecolor rgb '#222222' linewidth 1.2 notitle",
            index, lo, lo + 1, lo);
}

/* An interval's bounds for a data file: the mean itself when there is no
 * interval (one trial), so that an error bar collapses onto the bar's top. */
static void ci_cols(FILE *f, const pb_score_cell *c, pb_score_metric m, double k, char sep)
{
    if (!c->has[m]) {
        fprintf(f, "nan nan nan%c", sep);
        return;
    }
    num(f, c->ci[m].mean * k, ' ');
    num(f, c->ci[m].lo * k, ' ');
    num(f, c->ci[m].hi * k, sep);
}

/* A bar's label: the mean at three significant figures, quoted for gnuplot. */
static void label_col(FILE *f, const pb_score_cell *c, pb_score_metric m, double k, char sep)
{
    char v[32];
    fprintf(f, "\"%s\"%c", c->has[m] ? pb_score_sig3(c->ci[m].mean * k, v, sizeof(v)) : "", sep);
}

/* Mean over arm a's runs of what reached its caller per second. */
static double delivered_of(const struct ctx *c, size_t a)
{
    double sum = 0.0;
    size_t n = 0;
    for (size_t i = 0; i < c->all->n_runs; i++)
        if (strcmp(c->all->runs[i].label, c->sb->arm[a]) == 0 &&
            isfinite(c->all->runs[i].totals.delivered_ok_rps)) {
            sum += c->all->runs[i].totals.delivered_ok_rps;
            n++;
        }
    return n > 0 ? sum / (double)n : NAN;
}

/* Columns of compare.dat, as gnuplot numbers them. */
enum {
    CMP_GOODPUT = 2, /* mean, lo, hi */
    CMP_COLOUR = 5,
    CMP_UNSERVED = 6, /* mean, lo, hi, % */
    CMP_STACK = 9,    /* + outcome - 1: cumulative unserved %, outcomes 1.. */
    CMP_CP99 = CMP_STACK + PB_OUTCOME_COUNT - 1, /* mean, lo, hi */
    CMP_P99 = CMP_CP99 + 3,
    CMP_DELIVERED,
    CMP_LABELS, /* goodput, unserved, corrected p99: text at three significant figures */
};

/* The whole run per pattern, over its trials: goodput, the unserved share
 * stacked by how the tasks ended (rejections and drops included), and the
 * corrected p99 with the service p99 as a second mark. */
static int chart_compare(struct ctx *c)
{
    const pb_scoreboard *sb = c->sb;
    if (sb == NULL || sb->n_arms < 2)
        return 0;
    size_t whole = sb->n_spans - 1;
    bool bars = sb->n_trials > 1;
    FILE *f;
    int rc = open_out(c, "compare.dat", &f);
    if (rc != 0)
        return rc;
    double top[3] = {0, 0, 0};
    bool any_p99 = false, lost = pb_report_data_any_lost(c->all), used[PB_OUTCOME_COUNT] = {false};
    fprintf(f,
            "# patternbench report data: the whole run per pattern, mean [95 %% interval] over "
            "%zu trial%s\n"
            "# columns: 1 index 2-4 goodput ok/s (mean lo hi) 5 colour (0xRRGGBB)"
            " 6-8 unserved %% of tasks (mean lo hi)",
            sb->n_trials, sb->n_trials == 1 ? "" : "s");
    for (int o = 1; o < PB_OUTCOME_COUNT; o++)
        fprintf(f, " %d %s%s", CMP_STACK + o - 1, o == 1 ? "cumulative unserved %: +" : "+",
                pb_outcome_name((pb_outcome)o));
    fprintf(f,
            " %d-%d corrected p99 ms, from the intended start (mean lo hi) %d service p99 ms"
            " %d delivered ok/s (successes that reached the caller) %d-%d labels\n",
            CMP_CP99, CMP_CP99 + 2, CMP_P99, CMP_DELIVERED, CMP_LABELS, CMP_LABELS + 2);
    for (size_t a = 0; a < sb->n_arms; a++) {
        const pb_score_cell *x = pb_scoreboard_cell(sb, whole, a);
        fprintf(f, "%zu ", a);
        ci_cols(f, x, PB_SCORE_GOODPUT, 1.0, ' ');
        fprintf(f, "%ld ", strtol(run_color(a) + 1, NULL, 16));
        ci_cols(f, x, PB_SCORE_UNSERVED, 100.0, ' ');
        double cum = 0.0;
        for (int o = 1; o < PB_OUTCOME_COUNT; o++) {
            cum += x->unserved_by[o] * 100.0;
            used[o] = used[o] || x->unserved_by[o] > 0.0;
            num(f, cum, ' ');
        }
        ci_cols(f, x, PB_SCORE_CP99, 1.0, ' ');
        num(f, x->has_p99 ? x->p99.mean : NAN, ' ');
        num(f, delivered_of(c, a), ' ');
        label_col(f, x, PB_SCORE_GOODPUT, 1.0, ' ');
        label_col(f, x, PB_SCORE_UNSERVED, 100.0, ' ');
        label_col(f, x, PB_SCORE_CP99, 1.0, '\n');
        const pb_score_metric m[3] = {PB_SCORE_GOODPUT, PB_SCORE_UNSERVED, PB_SCORE_CP99};
        for (int k = 0; k < 3; k++)
            if (x->has[m[k]])
                top[k] = fmax(top[k],
                              (bars ? x->ci[m[k]].hi : x->ci[m[k]].mean) * (k == 1 ? 100.0 : 1.0));
        if (x->has_p99)
            top[2] = fmax(top[2], x->p99.mean);
        any_p99 = any_p99 || x->has[PB_SCORE_CP99];
    }
    rc = close_out(c, "compare.dat", f);
    if (rc == 0)
        rc = open_out(c, "compare.gp", &f);
    if (rc != 0)
        return rc;
    gp_begin(c, f, "compare", 1100, 520, "comparison of the patterns' whole runs");
    /* the outcomes the stack shows, named once under the panels */
    const char *names[PB_OUTCOME_COUNT], *colours[PB_OUTCOME_COUNT];
    size_t n_used = 0;
    for (int o = 1; o < PB_OUTCOME_COUNT; o++)
        if (used[o]) {
            names[n_used] = outcome_titles[o];
            colours[n_used++] = outcome_colors[o];
        }
    fprintf(f, "set label 899 'unserved, by outcome:' at screen 0.05, screen 0.075 left front "
               "font ',10'\n");
    gp_bottom_legend(f, names, colours, n_used, 8);
    fprintf(f,
            "set multiplot layout 1,3 title 'Comparison — ' . %s font ',13' "
            "margins 0.06,0.98,0.30,0.86 spacing 0.07,0\n"
            "set style fill solid 0.85 noborder\nset boxwidth 0.62\nunset key\n"
            "set grid noxtics ytics\nset xrange [-0.6:%zu.4]\n",
            c->subject, sb->n_arms - 1);
    fprintf(f, "set xtics rotate by 30 right (");
    char q[QUOTED_CAP];
    for (size_t a = 0; a < sb->n_arms; a++)
        fprintf(f, "%s%s %zu", a == 0 ? "" : ", ",
                pb_gnuplot_quote_tic(sb->arm[a], 20, q, sizeof(q)), a);
    fprintf(f, ")\n");
    /* labels sit above the error bar's top, never on it */
    for (int k = 0; k < 3; k++) {
        fprintf(f, "set yrange [0:%g]\n", top[k] > 0 ? top[k] * 1.18 : 1.0);
        int mean = k == 0 ? CMP_GOODPUT : k == 1 ? CMP_UNSERVED : CMP_CP99;
        int label_y = bars ? mean + 2 : mean;
        if (k == 0) {
            fprintf(f, "set title 'Goodput (ok/s)%s' font ',11'\n",
                    lost ? "; hatched: reached the caller" : "");
            fprintf(f, "plot 'compare.dat' using 1:%d:%d with boxes linecolor rgb variable", mean,
                    CMP_COLOUR);
            if (lost)
                fprintf(f,
                        ", \\\n     '' using 1:%d with boxes fill transparent pattern 4 "
                        "linecolor rgb '#222222'",
                        CMP_DELIVERED);
        } else if (k == 1) {
            fprintf(f, "set title 'Unserved share of tasks (%%), by outcome' font ',11'\n");
            bool first = true;
            /* from the top of the stack down, each box hiding the part below it */
            for (int o = PB_OUTCOME_COUNT - 1; o >= 1; o--) {
                if (!used[o])
                    continue;
                fprintf(f, "%s'compare.dat' using 1:%d with boxes linecolor rgb '%s' notitle",
                        first ? "plot " : ", \\\n     ", CMP_STACK + o - 1, outcome_colors[o]);
                first = false;
            }
            if (first)
                fprintf(f, "plot 'compare.dat' using 1:%d with boxes linecolor rgb '%s' notitle",
                        CMP_UNSERVED, outcome_colors[PB_OUTCOME_HTTP_ERROR]);
        } else {
            fprintf(f, "set title 'Corrected p99 (ms); ◆ service p99' font ',11'\n");
            if (!any_p99) {
                fprintf(f, "set label 1 'no latency recorded' at graph 0.5, graph 0.5 center\n"
                           "plot 0 with lines linecolor rgb '#ffffff' notitle\nunset label 1\n");
                continue;
            }
            fprintf(f,
                    "plot 'compare.dat' using 1:%d:%d with boxes linecolor rgb variable, \\\n"
                    "     '' using 1:%d with points pointtype 13 pointsize 1.4 linecolor rgb "
                    "'#222222'",
                    mean, CMP_COLOUR, CMP_P99);
        }
        if (bars)
            gp_error_bars(f, "", mean + 1);
        fprintf(f, ", \\\n     '' using 1:%d:%d with labels offset 0,0.8 font ',9' notitle\n",
                label_y, CMP_LABELS + k);
    }
    fprintf(f, "unset multiplot\n");
    char caption[320];
    snprintf(caption, sizeof(caption),
             "Whole run per pattern%s: goodput (ok/s%s); unserved share of tasks, stacked by "
             "outcome (rejections and drops included); corrected p99 from the intended start, "
             "service p99 as a diamond.",
             bars ? ", mean and 95 % interval over the trials" : " (one trial)",
             lost ? "; hatched: reached the caller" : "");
    return finish(c, f, "compare", "Comparison", caption);
}

/* Small multiples: for each mock phase, goodput (top row) and corrected p99
 * (bottom row) per pattern, with 95 % intervals over the trials. */
static int chart_phases(struct ctx *c)
{
    const pb_scoreboard *sb = c->sb;
    if (sb == NULL || sb->n_spans < 3 || sb->n_arms < 2)
        return 0;
    size_t n = sb->n_spans - 1; /* the phases; the whole run is the compare chart's */
    bool bars = sb->n_trials > 1;
    FILE *f;
    int rc = open_out(c, "phases.dat", &f);
    if (rc != 0)
        return rc;
    fprintf(f, "# patternbench report data: per mock phase (one block each, gnuplot index = "
               "phase), one row per pattern\n"
               "# columns: 1 index 2-4 goodput ok/s (mean lo hi) 5-7 corrected p99 ms "
               "(mean lo hi) 8 colour (0xRRGGBB)\n");
    double top[2] = {0, 0};
    for (size_t s = 0; s < n; s++) {
        fprintf(f, "# phase %zu: %s\n", s, sb->span[s]);
        for (size_t a = 0; a < sb->n_arms; a++) {
            const pb_score_cell *x = pb_scoreboard_cell(sb, s, a);
            fprintf(f, "%zu ", a);
            ci_cols(f, x, PB_SCORE_GOODPUT, 1.0, ' ');
            ci_cols(f, x, PB_SCORE_CP99, 1.0, ' ');
            fprintf(f, "%ld\n", strtol(run_color(a) + 1, NULL, 16));
            if (x->has[PB_SCORE_GOODPUT])
                top[0] =
                    fmax(top[0], bars ? x->ci[PB_SCORE_GOODPUT].hi : x->ci[PB_SCORE_GOODPUT].mean);
            if (x->has[PB_SCORE_CP99])
                top[1] = fmax(top[1], bars ? x->ci[PB_SCORE_CP99].hi : x->ci[PB_SCORE_CP99].mean);
        }
        fprintf(f, "\n\n");
    }
    rc = close_out(c, "phases.dat", f);
    if (rc == 0)
        rc = open_out(c, "phases.gp", &f);
    if (rc != 0)
        return rc;
    gp_begin(c, f, "phases", 1100, 560, "goodput and corrected p99 per mock phase");
    fprintf(f,
            "set multiplot layout 2,%zu title 'By phase — ' . %s font ',13' "
            "margins 0.07,0.99,0.16,0.86 spacing 0.02,0.1\n"
            "set style fill solid 0.85 noborder\nset boxwidth 0.7\nunset key\n"
            "set grid noxtics ytics\nset xrange [-0.6:%zu.4]\nunset xtics\n",
            n, c->subject, sb->n_arms - 1);
    const char *names[PB_SCORE_MAX_ARMS], *colours[PB_SCORE_MAX_ARMS];
    for (size_t k = 0; k < sb->n_arms; k++) {
        names[k] = sb->arm[k];
        colours[k] = run_color(k);
    }
    gp_bottom_legend(f, names, colours, sb->n_arms, 6);
    char q[QUOTED_CAP], a[32], b[32];
    for (int row = 0; row < 2; row++) {
        /* one scale per row, so that panels compare at a glance */
        fprintf(f, "set yrange [0:%g]\n", top[row] > 0 ? top[row] * 1.1 : 1.0);
        for (size_t s = 0; s < n; s++) {
            char title[160];
            snprintf(title, sizeof(title), "%s (%s-%s s)", sb->span[s],
                     pb_score_sig3(sb->span_start_s[s], a, sizeof(a)),
                     pb_score_sig3(sb->span_end_s[s], b, sizeof(b)));
            if (row == 0)
                fprintf(f, "set title %s font ',10'\n", quote(title, 30, q));
            else
                fprintf(f, "unset title\n");
            if (s == 0)
                fprintf(f, "set ylabel '%s'\nset format y '%%g'\n",
                        row == 0 ? "goodput (ok/s)" : "corrected p99 (ms)");
            else
                fprintf(f, "unset ylabel\nset format y ''\n");
            int col = row == 0 ? 2 : 5;
            fprintf(f,
                    "plot 'phases.dat' index %zu using 1:%d:8 with boxes linecolor rgb "
                    "variable notitle",
                    s, col);
            if (bars) {
                char index[32];
                snprintf(index, sizeof(index), "index %zu ", s);
                gp_error_bars(f, index, col + 1);
            }
            fprintf(f, "\n");
        }
    }
    fprintf(f, "unset multiplot\n");
    char caption[320];
    snprintf(caption, sizeof(caption),
             "Each mock phase on its own: goodput (top) and corrected p99 (bottom) per "
             "pattern%s; every panel of a row shares its scale. A pattern with no answered "
             "request in a phase has no p99 bar there.",
             bars ? ", mean with its 95 % interval over the trials" : " (one trial)");
    return finish(c, f, "phases", "By phase", caption);
}

/* Which internals panels have something to show. */
struct panels {
    bool limit, breaker, queue, retries;
    bool target; /* some second has a --stages target */
    size_t n;
};

static struct panels internals_panels(struct ctx *c)
{
    struct panels p = {0};
    for (size_t i = 0; i < c->d->n_runs; i++) {
        const struct run_facts *fx = &c->facts[i];
        p.limit = p.limit || fx->limit || fx->limit_events;
        p.breaker = p.breaker || fx->breaker || fx->breaker_events;
        p.queue = p.queue || fx->queue;
        p.retries = p.retries || fx->retries;
    }
    p.n = (size_t)p.limit + p.breaker + p.queue + p.retries;
    return p;
}

/* A gauge of at most this many samples is drawn as dots; more would merge into a bar. */
#define GAUGE_DOTS_MAX 60

static bool gauge_dots(const struct run_facts *fx)
{
    return fx->stairs && fx->rows <= GAUGE_DOTS_MAX;
}

/* `using ... with ...` of a gauge sampled at the end of each rollup row (in
 * flight, queue depth), drawn at its sampling instants: held over the second
 * before, it would seem to break a limit that changed at the boundary. A few
 * samples are dots (a line between them would invent a trend); many are a
 * line, through bucket middles once rows are buckets. */
static const char *gauge_plot(const struct run_facts *fx, int col, bool dashed, char *buf,
                              size_t cap)
{
    const char *line = dashed ? "with lines linewidth 1.2 dashtype 2" : "with lines linewidth 2";
    if (gauge_dots(fx))
        snprintf(buf, cap, "every 2::1 using (tx($1)):%d with points pointtype 7 pointsize 0.7",
                 col);
    else if (fx->stairs)
        snprintf(buf, cap, "every 2::1 using (tx($1)):%d %s", col, line);
    else
        snprintf(buf, cap, "using (tx($1+$2/2)):%d %s", col, line);
    return buf;
}

static void internals_limit(struct ctx *c, FILE *f)
{
    fprintf(f, "set key title 'Concurrency'\nset ylabel 'requests'\nset yrange [0:*]\n");
    bool first = true;
    if (c->d->is_compare) {
        plot_item(f, &first);
        fprintf(f,
                "keyentry with lines linecolor rgb '#444444' linewidth 2 title 'limit', "
                "keyentry %s linecolor rgb '#444444' title 'in flight'",
                c->d->n_runs > 0 && gauge_dots(&c->facts[0])
                    ? "with points pointtype 7 pointsize 0.7"
                    : "with lines linewidth 1.2 dashtype 2");
    }
    char q[QUOTED_CAP];
    for (size_t i = 0; i < c->d->n_runs; i++) {
        const pb_report_run *r = &c->d->runs[i];
        const struct run_facts *fx = &c->facts[i];
        if (fx->rows == 0 && !fx->limit_events)
            continue;
        const char *color = c->d->is_compare ? run_color(i) : "#0072B2";
        const char *label = c->d->is_compare ? legend_title(c, i, value_limit, q) : "'limit'";
        int dash = c->d->is_compare ? run_dashes[i % N_RUN_DASHES] : 1;
        plot_item(f, &first);
        if (fx->limit_events)
            fprintf(f,
                    "'limit%" PRId64 ".dat' using (tx($1)):2 with steps linecolor rgb '%s' "
                    "linewidth 2 dashtype %d title %s",
                    r->data_id, color, dash, label);
        else
            fprintf(f,
                    "'run%" PRId64 ".dat' using (tx($1)):%d with lines linecolor rgb '%s' "
                    "linewidth 2 dashtype %d title %s",
                    r->data_id, COL_LIMIT, color, dash, label);
        if (fx->rows > 0) {
            plot_item(f, &first);
            char how[96];
            fprintf(f, "'run%" PRId64 ".dat' %s linecolor rgb '%s' %s", r->data_id,
                    gauge_plot(fx, COL_IN_FLIGHT, true, how, sizeof(how)),
                    c->d->is_compare ? color : "#D55E00",
                    c->d->is_compare ? "notitle" : "title 'in flight'");
        }
    }
    fprintf(f, "\n");
}

static void internals_breaker(struct ctx *c, FILE *f)
{
    fprintf(f, "set key title 'Circuit breaker'\nunset ylabel\n"
               "set yrange [-0.35:2.6]\nset ytics ('closed' 0, 'half-open' 1, 'open' 2)\n"
               "set grid noytics\n");
    bool first = true;
    char q[QUOTED_CAP];
    size_t k = 0;
    for (size_t i = 0; i < c->d->n_runs; i++) {
        const pb_report_run *r = &c->d->runs[i];
        const struct run_facts *fx = &c->facts[i];
        if (!fx->breaker && !fx->breaker_events)
            continue;
        /* runs drawn over each other are nudged apart to stay visible */
        double off = 0.07 * (double)k++;
        const char *color = c->d->is_compare ? run_color(i) : "#D55E00";
        const char *label = c->d->is_compare ? quote(r->label, LABEL_CHARS, q) : "'state'";
        plot_item(f, &first);
        if (fx->breaker_events)
            fprintf(f,
                    "'breaker%" PRId64 ".dat' using (tx($1)):($2+%g) with steps linecolor "
                    "rgb '%s' linewidth 2 title %s",
                    r->data_id, off, color, label);
        else
            fprintf(f,
                    "'run%" PRId64 ".dat' using (tx($1)):($%d+%g) with steps linecolor "
                    "rgb '%s' linewidth 2 title %s",
                    r->data_id, COL_BREAKER, off, color, label);
    }
    fprintf(f, "\nset ytics autofreq\nset grid ytics\n");
}

static void internals_queue(struct ctx *c, FILE *f)
{
    bool drops = false;
    for (size_t i = 0; i < c->d->n_runs; i++)
        drops = drops || c->facts[i].outcome[PB_OUTCOME_DROPPED_BY_BACKPRESSURE];
    fprintf(f, "set key title 'Queue'\nset ylabel 'tasks waiting'\nset yrange [0:*]\n");
    if (drops)
        fprintf(f, "set y2label 'dropped per second'\nset y2range [0:*]\nset y2tics nomirror\n");
    bool first = true;
    if (c->d->is_compare && drops) {
        plot_item(f, &first);
        fprintf(f, "keyentry with lines linecolor rgb '#444444' linewidth 2 title 'depth', "
                   "keyentry with lines linecolor rgb '#444444' linewidth 1.2 dashtype 2 "
                   "title 'drops/s (right)'");
    }
    char q[QUOTED_CAP];
    for (size_t i = 0; i < c->d->n_runs; i++) {
        const pb_report_run *r = &c->d->runs[i];
        if (!c->facts[i].queue)
            continue;
        const char *color = c->d->is_compare ? run_color(i) : "#0072B2";
        plot_item(f, &first);
        char how[96];
        fprintf(f, "'run%" PRId64 ".dat' %s linecolor rgb '%s' title %s", r->data_id,
                gauge_plot(&c->facts[i], COL_QUEUE, false, how, sizeof(how)), color,
                c->d->is_compare ? quote(r->label, LABEL_CHARS, q) : "'queue depth'");
        if (!c->facts[i].outcome[PB_OUTCOME_DROPPED_BY_BACKPRESSURE])
            continue;
        plot_item(f, &first);
        fprintf(f,
                "'run%" PRId64 ".dat' using (tx($1)):%d axes x1y2 with lines linecolor rgb "
                "'%s' linewidth 1.2 dashtype 2 %s",
                r->data_id, COL_DROPS_RPS, c->d->is_compare ? color : "#D55E00",
                c->d->is_compare ? "notitle" : "title 'drops/s (right)'");
    }
    fprintf(f, "\nunset y2tics\nunset y2label\n");
}

static void internals_retries(struct ctx *c, FILE *f)
{
    fprintf(f, "set key title 'Retries'\nset ylabel 'retries per second'\n"
               "set yrange [0:*]\n");
    bool first = true;
    char q[QUOTED_CAP];
    for (size_t i = 0; i < c->d->n_runs; i++) {
        const pb_report_run *r = &c->d->runs[i];
        if (!c->facts[i].retries)
            continue;
        plot_item(f, &first);
        fprintf(f,
                "'run%" PRId64 ".dat' using (tx($1)):%d with lines linecolor rgb '%s' "
                "linewidth 2 title %s",
                r->data_id, COL_RETRIES_RPS, c->d->is_compare ? run_color(i) : "#CC79A7",
                c->d->is_compare ? quote(r->label, LABEL_CHARS, q) : "'retries/s'");
    }
    fprintf(f, "\n");
}

static int chart_internals(struct ctx *c)
{
    struct panels p = internals_panels(c);
    if (p.n == 0)
        return 0;
    FILE *f;
    int rc = open_out(c, "internals.gp", &f);
    if (rc != 0)
        return rc;
    int h = 110 + 230 * (int)p.n;
    gp_begin(c, f, "internals", 1100, h, "pattern internals over time");
    fprintf(f,
            "set multiplot layout %zu,1 title 'Pattern internals — ' . %s font ',13' "
            "margins 0.08," PLOT_RIGHT ",%.4f,%.4f spacing 0,%.4f\n"
            "set key at screen " KEY_LEFT ", graph 1 left top\n",
            p.n, c->subject, 60.0 / h, 1.0 - 55.0 / h, 55.0 / h);
    size_t k = 0;
    void (*const draw[4])(struct ctx *, FILE *) = {internals_limit, internals_breaker,
                                                   internals_queue, internals_retries};
    const bool on[4] = {p.limit, p.breaker, p.queue, p.retries};
    for (int i = 0; i < 4; i++) {
        if (!on[i])
            continue;
        gp_time_axis(c, f, ++k == p.n);
        gp_phases(c, f, k == 1);
        draw[i](c, f);
        if (k == 1)
            fprintf(f, "unset label\n");
    }
    fprintf(f, "unset multiplot\n");
    return finish(c, f, "internals", "Pattern internals",
                  "What the pattern did: its concurrency limit (adaptive changes from the event "
                  "log) against requests in flight, circuit breaker state, queue depth and "
                  "drops, and retries. Panels without data are left out.");
}

/* The runs time charts draw: with trials, each pattern's first (its label's
 * first run), so that a chart has one curve per pattern. A shallow copy of
 * d whose runs point into d's; *runs is to be freed. NULL runs: d itself. */
static const pb_report_data *first_trials(const pb_report_data *d, const pb_scoreboard *sb,
                                          pb_report_data *view, pb_report_run **runs)
{
    *runs = NULL;
    if (sb == NULL || sb->n_trials < 2 || (*runs = calloc(sb->n_arms, sizeof(**runs))) == NULL)
        return d;
    *view = *d;
    view->n_runs = 0;
    for (size_t i = 0; i < d->n_runs; i++) {
        bool seen = false;
        for (size_t k = 0; k < view->n_runs && !seen; k++)
            seen = strcmp((*runs)[k].label, d->runs[i].label) == 0;
        if (!seen && view->n_runs < sb->n_arms)
            (*runs)[view->n_runs++] = d->runs[i];
    }
    view->runs = *runs;
    return view;
}

int pb_charts_write(const pb_report_data *d, const char *dir, pb_charts *out, pb_err *err)
{
    memset(out, 0, sizeof(*out));
    pb_scoreboard *sb = NULL;
    int rc = pb_report_scoreboard(d, &sb, err);
    if (rc != 0)
        return rc;
    pb_report_data view;
    pb_report_run *firsts;
    struct ctx c = {.dir = dir, .err = err, .out = out, .all = d, .sb = sb};
    c.d = d = first_trials(d, sb, &view, &firsts);
    c.facts = calloc(d->n_runs > 0 ? d->n_runs : 1, sizeof(*c.facts));
    if (c.facts == NULL) {
        pb_scoreboard_destroy(sb);
        free(firsts);
        return pb_err_set(err, PB_ENOMEM, "report: out of memory");
    }
    /* a run alone of more than an hour is read against wall-clock logs; runs
     * side by side keep each its own start. Else seconds for short runs,
     * minutes up to half a day, hours beyond */
    if (d->n_runs == 1 && d->runs[0].started_at > 0 && d->span_s > 3600) {
        c.wall = true;
        c.x0 = (double)d->runs[0].started_at / 1e6;
        c.xscale = 1.0;
        c.xunit = "UTC";
    } else if (d->span_s <= 900) {
        c.xscale = 1.0;
        c.xunit = "s";
    } else if (d->span_s <= 12 * 3600) {
        c.xscale = 60.0;
        c.xunit = "min";
    } else {
        c.xscale = 3600.0;
        c.xunit = "h";
    }
    for (size_t i = 0; i < d->n_runs && c.shade == NULL; i++)
        for (size_t k = 0; k < d->runs[i].n_phases; k++)
            if (d->runs[i].phases[k].index != 0)
                c.shade = &d->runs[i];
    char subject[128];
    if (d->is_compare && d->title[0] == '\0')
        snprintf(subject, sizeof(subject), "compare %" PRId64, d->compare_id);
    else
        snprintf(subject, sizeof(subject), "%s", "");
    quote(subject[0] != '\0' ? subject
          : d->is_compare    ? d->title
                             : d->runs[0].label,
          TITLE_CHARS, c.subject);

    for (size_t i = 0; i < d->n_runs && rc == 0; i++) {
        const pb_report_run *r = &d->runs[i];
        rc = write_series(&c, i);
        if (rc == 0 && r->events[PB_REPORT_EV_LIMIT].n > 0 &&
            !r->events[PB_REPORT_EV_LIMIT].truncated) {
            rc = write_steps(&c, i, "limit", &r->events[PB_REPORT_EV_LIMIT], same_level);
            c.facts[i].limit_events = true;
        }
        if (rc == 0 && r->events[PB_REPORT_EV_BREAKER].n > 0 &&
            !r->events[PB_REPORT_EV_BREAKER].truncated) {
            rc = write_steps(&c, i, "breaker", &r->events[PB_REPORT_EV_BREAKER], breaker_level);
            c.facts[i].breaker_events = true;
        }
        if (rc == 0)
            rc = write_percentiles(&c, i);
    }
    if (rc == 0)
        rc = chart_compare(&c);
    if (rc == 0)
        rc = chart_phases(&c);
    if (rc == 0 && any_rows(&c)) {
        rc = chart_throughput(&c);
        if (rc == 0)
            rc = chart_errors(&c);
        if (rc == 0)
            rc = chart_latency(&c);
    }
    if (rc == 0)
        rc = chart_percentiles(&c);
    if (rc == 0 && any_rows(&c))
        rc = chart_internals(&c);
    free(c.facts);
    free(firsts);
    pb_scoreboard_destroy(sb);
    return rc;
}
