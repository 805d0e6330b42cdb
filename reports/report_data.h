/* What a report shows, read from patternbench databases (docs/schema.md):
 * the runs of one lone run or one compare, or runs picked from one or several
 * databases to compare side by side, their totals, their per-second
 * rollup downsampled for plotting, phases, state-change events and merged
 * latency histograms. Reads only `runs`, `compares`, `seconds` and `events`,
 * never `requests`, so loading does not grow with the number of requests. */
#ifndef PB_REPORT_DATA_H
#define PB_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "histogram.h"
#include "run_health.h"
#include "vocabulary.h"

/* The most points a time series is drawn with; longer runs are bucketed. */
#define PB_REPORT_MAX_POINTS 2000

/* Seconds per plotted point so that a run of `span_s` seconds gives at most
 * max_points points (1 for short runs). */
uint64_t pb_report_bucket_seconds(uint64_t span_s, uint64_t max_points);

/* One plotted point: a bucket of whole seconds of the rollup. Rates are
 * averages over the bucket; p99 and max are the bucket's maxima. */
typedef struct pb_report_point {
    double t_s;       /* bucket start, seconds from run start */
    double width_s;   /* seconds of run time the bucket covers */
    double count;     /* attempts that ended in the bucket */
    double outcomes[PB_OUTCOME_COUNT];
    double retries;
    double lost, cascaded; /* results the caller never got (propagate); the successes among them */
    double p50_ms, p90_ms, p99_ms, max_ms; /* NaN when nothing reached the network */
    double lim, in_flight, queue;          /* averages of the end-of-second state */
    double queue_max;
    double target;    /* --stages: the ramp's mean target (arrivals/s, or workers in a
                         closed loop); NaN in a bucket no second of which has one */
    int breaker;      /* the bucket's worst pb_breaker_state */
    int phase;        /* mock phase at the bucket's end, -1 when unknown */
} pb_report_point;

/* A mock phase: [start_s, end_s) of run time. */
typedef struct pb_report_phase {
    double start_s, end_s;
    int index;
    char *name;
} pb_report_phase;

/* A state change (events table). */
typedef struct pb_report_event {
    double t_s;
    int64_t from, to;
    double value;
} pb_report_event;

/* What a threshold's value measures, as stored in its "unit" (or, for data
 * written before units were stored, read from the metric's name). */
typedef enum pb_report_unit {
    PB_REPORT_UNIT_US,       /* a latency in microseconds */
    PB_REPORT_UNIT_FRACTION, /* 0..1 */
    PB_REPORT_UNIT_PER_S,    /* requests per second */
    PB_REPORT_UNIT_COUNT,
    PB_REPORT_UNIT_PCT_PER_H, /* drift: percent of the mean per hour */
} pb_report_unit;

/* A threshold's verdict. */
typedef struct pb_report_threshold {
    char *expr;
    char *label;       /* the run it judged; NULL when it is not known (all runs) */
    double value;      /* NaN when there was no data */
    pb_report_unit unit;
    bool pass;
} pb_report_threshold;

/* The numbers of a whole run. Latencies in ms, NaN when unknown. */
typedef struct pb_report_totals {
    bool from_rollup;        /* summary_json was NULL: computed from `seconds` */
    uint64_t requests;       /* attempts, rejections and drops included */
    uint64_t sent;           /* attempts that reached the network */
    uint64_t outcomes[PB_OUTCOME_COUNT];
    uint64_t failed;         /* sent attempts that failed */
    uint64_t retries;
    double duration_s, rps;  /* rps: sent per second */
    double ok_rps;           /* goodput: requests that succeeded per second */
    /* semaphore --on-error propagate: results the caller never got because a
     * failure raised in their batch's gather, and the successes among them */
    uint64_t lost, cascaded;
    double delivered_ok_rps; /* successes that reached the caller per second: ok - cascaded */
    double error_pct;        /* failed / sent, % */
    double min_ms, mean_ms, p50_ms, p90_ms, p99_ms, p999_ms, max_ms;
    double cp50_ms, cp99_ms; /* corrected for coordinated omission */
    uint64_t limit_changes, writer_stalls;
} pb_report_totals;

/* The events a report draws, one list per kind (PB_EVENT_BREAKER_STATE and
 * PB_EVENT_LIMIT_CHANGE rows of the events table). */
enum { PB_REPORT_EV_BREAKER, PB_REPORT_EV_LIMIT, PB_REPORT_EV_RESUME, PB_REPORT_EV_KINDS };

/* Events of one kind: loaded only while few enough (max
 * PB_REPORT_MAX_EVENTS), otherwise `truncated` and the rollup is used. */
#define PB_REPORT_MAX_EVENTS 5000
typedef struct pb_report_events {
    pb_report_event *items;
    size_t n;
    bool truncated;
} pb_report_events;

/* One run with everything a report shows of it. Strings are never NULL
 * ("" when the column is NULL) except the JSON texts, which may be. */
typedef struct pb_report_run {
    int64_t id, compare_id;
    char *db_path;    /* the database it was read from */
    int64_t data_id;  /* names its chart data files (runN.dat): its id, or its place on the
                       * page (1, 2, ...) when runs from several databases share an id */
    char *label, *pattern, *target, *status, *host;
    char *params_json, *config_json, *versions_json, *summary_json;
    uint64_t seed;
    int64_t started_at, ended_at; /* us since the epoch; 0 when NULL */
    int64_t duration_us;          /* -1 when NULL (running or killed) */
    uint64_t span_s;              /* last rollup second + 1 */
    bool ramp_workers; /* its --stages ramped closed-loop workers (config "ramp":
                          "concurrency"): the points' target is workers, not per second */
    uint64_t seconds_rows;
    pb_report_totals totals;
    pb_report_threshold *thresholds;
    size_t n_thresholds;
    pb_report_point *points;
    size_t n_points;
    pb_report_phase *phases;
    size_t n_phases;
    /* attempts that reached the network in each mock phase, by phase index:
     * the summary's phase_sent (counted as each request started), or, without
     * a summary, the rollup's (counted by the second each request ended in) */
    uint64_t *phase_sent;
    size_t n_phase_sent;
    bool phase_sent_from_rollup;
    pb_report_events events[PB_REPORT_EV_KINDS];
    pb_hist *hist;                /* merged rollup histograms; NULL if none were stored */
    pb_run_health health;         /* the harness's load and, from 10 minutes on, drift */
} pb_report_run;

/* What to report. */
typedef enum pb_report_pick {
    PB_REPORT_LAST,    /* the most recent compare or lone run */
    PB_REPORT_RUN,     /* one run by id */
    PB_REPORT_COMPARE, /* all runs of one compare by id */
    PB_REPORT_RUNS,    /* a list of runs by id, of any compares */
} pb_report_pick;

/* The runs to read from one database. */
typedef struct pb_report_source {
    const char *db_path;
    pb_report_pick pick;
    int64_t id;          /* PB_REPORT_RUN or _COMPARE */
    const int64_t *ids;  /* PB_REPORT_RUNS: in the order the page shows them */
    size_t n_ids;
} pb_report_source;

/* At most this many warnings are kept. */
#define PB_REPORT_MAX_WARNINGS 8

typedef struct pb_report_data {
    bool is_compare; /* several runs side by side (a compare, or is_cross) */
    /* runs that were not one compare: a list of runs, or runs of several
     * databases. is_compare is set too; of the compare fields only `title`
     * is filled (the runs' labels); labels shared by runs get the database's
     * file name or the run id added ("queue (A.db)"), and each run keeps its
     * own time axis, from its own start */
    bool is_cross;
    size_t n_databases;
    /* compare fields (is_compare only); strings "" when NULL */
    int64_t compare_id;
    char *title, *scenario_path, *scenario_json, *compare_status;
    uint64_t compare_seed;
    int64_t compare_started_at, compare_ended_at;
    /* the compare's verdicts that no run's own summary holds (each verdict
     * is listed once: those a run's summary holds are listed with that run) */
    pb_report_threshold *thresholds;
    size_t n_thresholds;
    pb_report_run *runs;
    size_t n_runs;
    uint64_t bucket_s; /* seconds per plotted point, the same for every run */
    uint64_t span_s;   /* longest run's span */
    int schema_version; /* of the database read last */
    /* what the reader had to work around (corrupt JSON or histograms...) */
    char warnings[PB_REPORT_MAX_WARNINGS][256];
    size_t n_warnings;
} pb_report_data;

/* Open db_path read-only and load the picked run or compare (id ignored for
 * PB_REPORT_LAST) in one read transaction, so a run being written is seen
 * as of one instant. Errors name the file and what was expected. */
int pb_report_data_load(const char *db_path, pb_report_pick pick, int64_t id,
                        pb_report_data **out, pb_err *err) PB_MUST_CHECK;

/* Load the runs of n sources onto one page, each database read in its own
 * read transaction, with one bucket width for all runs. One source with
 * PB_REPORT_LAST, _RUN or _COMPARE is what pb_report_data_load reads; a
 * PB_REPORT_RUNS source or several sources give an is_cross page. Ids a
 * database does not hold are PB_ENOENT naming them and the file. */
int pb_report_data_load_sources(const pb_report_source *src, size_t n, pb_report_data **out,
                                pb_err *err) PB_MUST_CHECK;

/* Free (NULL-safe). */
void pb_report_data_destroy(pb_report_data *d);

/* True when a run on the page lost results (semaphore --on-error propagate):
 * the tables then show what reached the caller beside what the server answered. */
bool pb_report_data_any_lost(const pb_report_data *d);

#endif
