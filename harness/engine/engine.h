/* The engine: runs one configured pattern against its target on a libuv loop,
 * records every request and fills the run's summary. */
#ifndef PB_ENGINE_H
#define PB_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"
#include "pattern.h"
#include "recorder.h"
#include "run_config.h"
#include "run_summary.h"
#include "tally.h"

/* Set by the run's SIGINT/SIGTERM handling: 1 = stop starting requests, 2 =
 * stop at once. A run also obeys it when set from elsewhere (looked at every
 * 100 ms), and it stays set after the run, so a caller running several
 * (compare) can stop too. Reset it to 0 to run again. */
extern volatile sig_atomic_t pb_stop_requested;

/* For a caller that runs several (compare, reproduce), between runs (the
 * engine has its own handlers during one): SIGINT and SIGTERM set
 * pb_stop_requested, 1 at the first signal, 2 at the next. Restore puts the
 * caller's handlers back. */
typedef struct pb_stop_signals {
    struct sigaction old_int, old_term;
    bool installed;
} pb_stop_signals;
void pb_stop_signals_install(pb_stop_signals *s);
void pb_stop_signals_restore(pb_stop_signals *s);

/* What one closed second of a run looked like, for whoever watches it live. */
typedef struct pb_run_view {
    pb_usec elapsed;
    pb_usec duration;        /* the planned length, 0 when bound by a request count */
    uint64_t rows;           /* attempts recorded so far */
    uint64_t total_requests; /* --requests, 0 when bound by duration */
    uint64_t sec_network;    /* attempts that ended in the last second and reached the network */
    uint64_t sec_failed;
    uint64_t sec_answered; /* of those, answered with an HTTP status */
    uint64_t sec_rejected; /* attempts the breaker rejected in the last second */
    uint64_t sec_dropped;  /* attempts backpressure dropped in the last second */
    pb_usec p50, p99;      /* service latency of the last second's answered attempts */
    pb_usec cp99;          /* their p99 from the intended start; shown in open loop only */
    bool open_loop;        /* tasks arrive on a schedule (--rate), not when a worker is free */
    bool ramp;             /* the rate (or the workers) follows --stages */
    bool ramp_workers;     /* --ramp concurrency: the stages are closed-loop workers */
    double rate_target;    /* then the ramp's mean target over the last second: per second,
                              or workers */
    uint32_t in_flight;
    pb_pattern_state pattern;
    /* the run as a whole, for a monitor (live metrics) */
    int64_t run_id;           /* 0 when the run is not recorded */
    const char *label;        /* the run's label, or its pattern's name */
    const char *pattern_name; /* the pattern's registered name */
    const pb_tally *tally;    /* counts since the run began; valid during the call only */
    uint64_t resent;          /* requests libcurl re-sent (pb_run_summary.resent) */
    int phase;                /* the built-in mock's phase; -1 with --target */
    pb_usec loop_lag;         /* the engine loop's worst lateness in the last second */
    bool recording;           /* recorder holds this run's share of the recorder's figures */
    pb_recorder_stats recorder;
    bool final; /* the run has ended and its rows are written: every figure is final */
    uint64_t db_projected_bytes; /* what they will have grown to at the end, at this rate */
} pb_run_view;

/* Who watches a run while it goes (the CLI's progress line, live metrics);
 * every callback is called on the engine's thread, and data is passed back as
 * given. A monitor (pb_run_config.monitor) gets `second` once more after the
 * run, with v->final set. */
typedef struct pb_run_observer {
    void (*second)(void *data, const pb_run_view *v); /* each closed second */
    void (*note)(void *data, const char *msg);        /* a message for people */
    void (*finish)(void *data);                       /* the run's loop has ended */
    void *data;
} pb_run_observer;

/* Run the configured pattern; rec may be NULL (no recording; also when
 * cfg->record is false). Starts the built-in mock unless cfg->target_url, calls
 * pb_recorder_begin_run / end_run, tells cfg->observer how it goes unless cfg->quiet,
 * and handles SIGINT/SIGTERM while it runs (the caller's handlers are put back
 * afterwards). Fills out even when interrupted or failed; returns 0 for a
 * completed or interrupted run, an error (with err) for a failed one. */
int pb_run_execute(const pb_run_config *cfg, pb_recorder *rec, pb_run_summary *out,
                   pb_err *err) PB_MUST_CHECK;

#endif
