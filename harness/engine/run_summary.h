/* A run's summary (what its tally, tally.h, becomes with the engine's and the
 * mock's figures): a table for people and the JSON stored in
 * runs.summary_json. */
#ifndef PB_RUN_SUMMARY_H
#define PB_RUN_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "histogram.h"
#include "mock.h"
#include "pattern.h"
#include "phase_tally.h"
#include "target_tally.h"
#include "recorder.h"
#include "segment.h"
#include "selfmon.h"

typedef struct pb_run_summary {
    int64_t run_id;
    char status[16];        /* completed / interrupted / failed */
    uint64_t requests;      /* rows recorded: every attempt, rejections and drops included */
    uint64_t tasks;         /* of those, first attempts: the work that arrived */
    double duration_s, rps; /* rps: attempts that reached the network per second */
    uint64_t outcomes[PB_OUTCOME_COUNT];
    double error_rate; /* failed / (attempts that reached the network) */
    uint64_t answered; /* attempts that got an HTTP answer (any status): the latency population */
    pb_usec min, p50, p90, p95, p99, p999, max; /* service latency of answered attempts */
    double mean;
    pb_usec cp50, cp99; /* answered attempts, from the intended start (coordinated omission) */
    pb_pattern_state pattern;
    uint64_t writer_stalls, writer_stall_us;
    uint64_t rows_dropped;  /* stored, then dropped as older than --keep-requests */
    uint64_t rows_unstored; /* counted in the rollup, not stored as rows (--record, low disk) */
    uint64_t db_bytes;      /* the database and its WAL at the end */
    bool disk_low;          /* free space fell below the reserve: request rows stopped */
    bool disk_refused;      /* the projected growth did not fit: the run was refused */
    uint64_t phase_sent[PB_MAX_PHASES]; /* attempts that reached the network, by mock phase
                                           (phase 0 when the target is not the built-in mock) */
    int n_phases;           /* mock phases the run reached (0 without the built-in mock) */
    pb_phase_figures phases[PB_MAX_PHASES]; /* each attempt in the phase its task was due in */
    uint32_t n_targets;                     /* --targets counted apart (0 without the option) */
    uint32_t targets_total;                 /* targets in the file (the last place takes those
                                               beyond PB_TARGET_TALLY_MAX) */
    pb_target_figures targets[PB_TARGET_TALLY_MAX];
    char pattern_name[32];
    char target[256];   /* URL requested (a password in it redacted) */
    bool insecure;      /* --insecure: https:// certificates were not verified */
    uint64_t network;   /* attempts that reached the network (not rejected/dropped) */
    uint64_t failed;    /* of those, outcome other than ok */
    uint64_t bytes;     /* response bytes received */
    uint64_t resent;    /* requests libcurl re-sent on a fresh connection after the
                           reused one closed with no reply: the server saw them twice */
    uint64_t abandoned; /* in flight when a second signal stopped the run at once */
    uint64_t breaker_transitions;
    uint32_t peak_in_flight;
    uint64_t connections;               /* TCP connections opened (keep-alive reuses them) */
    uint32_t client_threads;            /* HTTP client threads the run used */
    int signal;                         /* SIGINT/SIGTERM that interrupted the run, 0 if none */
    uint64_t status_counts[600];        /* responses per HTTP status */
    char errors[PB_OUTCOME_COUNT][128]; /* first error message seen per outcome ("" if none) */
    pb_segment segment;                 /* the run's segment (count 0 = the whole run) */
    int64_t start_aimed_us;             /* --start-at, us since the epoch (0 = not given) */
    int64_t start_achieved_us;          /* wall clock when the run's clock started */
    bool has_server;                    /* the built-in mock ran: `server` holds its counters */
    pb_mock_stats server;
    bool has_harness;           /* the engine watched itself: harness and p99_drift are set */
    pb_selfmon_verdict harness; /* CPU, RSS, loop lag; generator_bound and what decided it */
    pb_drift p99_drift;         /* of the per-second p99 (verdict unknown under 10 minutes) */
} pb_run_summary;

/* The summary as the JSON stored in runs.summary_json (malloc'd); its
 * "server" is the mock's own GET /__admin/stats object (pb_mock_stats_json). */
char *pb_run_summary_to_json(const pb_run_summary *s);

/* Whether a run that sent requests got no answer to any of them (every
 * attempt that reached the network failed to connect, was reset, timed out,
 * ...); if so, a sentence for people saying so, with the failures by outcome
 * and a sample error, goes into buf ("no request got an answer from URL:
 * 12 connect_error (Failed to connect ...)"). */
bool pb_run_summary_unanswered(const pb_run_summary *s, char *buf, size_t len);

/* Print the summary table people read at the end of a run. db: the database
 * file, or NULL when nothing was recorded. */
void pb_run_summary_print(const pb_run_summary *s, const char *db, FILE *out);

#endif
