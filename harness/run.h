/* One pattern run: the configuration `run` and `compare` build, and the
 * summary a run produces. */
#ifndef PB_RUN_H
#define PB_RUN_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>

#include "errors.h"
#include "mock.h"
#include "monotime.h"
#include "pattern.h"
#include "recorder.h"

#define PB_MAX_PHASES 32

/* An open-loop rate change at an offset from run start (scenarios' per-phase load). */
typedef struct pb_rate_step {
    pb_usec at;
    double rate; /* arrivals/s; 0 = closed loop */
} pb_rate_step;

typedef struct pb_run_config {
    char pattern[32];
    char label[128];
    pb_pattern_params params;
    char *target_url;        /* NULL = start the built-in mock with `mock` (malloc'd) */
    pb_mock_config *mock;    /* owned; always present */
    pb_usec duration;        /* 0 = bound by `requests` */
    uint64_t requests;       /* 0 = bound by duration */
    bool duration_set;       /* --duration given: with --requests, both bounds apply */
    pb_usec timeout;         /* per request */
    uint32_t client_threads; /* HTTP client threads; 0 = pick (pb_run_client_threads) */
    uint64_t seed;
    char *db_path; /* malloc'd; default "patternbench.db" */
    bool quiet, json;
    bool record;          /* hidden bench switch: false skips the recorder */
    char mock_option[32]; /* first mock option given, to refuse it with --target */
    int64_t compare_id;   /* 0 = lone run */
    pb_rate_step rate_steps[PB_MAX_PHASES];
    int n_rate_steps;
    char *thresholds[32]; /* expressions, malloc'd */
    int n_thresholds;
} pb_run_config;

/* Defaults: queue, concurrency 10, 10 s, timeout 10 s, seed 1, built-in mock,
 * recording to patternbench.db. */
int pb_run_config_init(pb_run_config *cfg) PB_MUST_CHECK;

/* Free what init and set allocated (safe on a zeroed struct). */
void pb_run_config_cleanup(pb_run_config *cfg);

/* Apply one option by long name without dashes ("pattern", "concurrency",
 * "duration", ...; pattern parameters go to pb_pattern_params_set and mock
 * options to pb_mock_config_set). Flags ("quiet", "json", "no-record") take
 * NULL or "true"/"false". PB_ENOENT if no part knows the name. */
int pb_run_config_set(pb_run_config *cfg, const char *name, const char *value,
                      pb_err *err) PB_MUST_CHECK;

/* Check the whole configuration before anything runs: the pattern's
 * parameters, a bound (duration or requests), no mock option with --target. */
int pb_run_config_check(const pb_run_config *cfg, pb_err *err) PB_MUST_CHECK;

/* The HTTP client threads a run uses: `asked` if not 0, else one per CPU the
 * process may run on (`cpus`, from uv_available_parallelism: it follows the
 * affinity mask, as taskset and cpusets set it), at most 4, and no more than
 * one per 16 slots, so a small run stays on one thread and pays no hand-offs. */
uint32_t pb_run_client_threads(uint32_t asked, uint32_t slots, long cpus);

/* Parse a --client-threads value (1..PB_LANES_MAX), for run and compare alike. */
int pb_run_parse_client_threads(const char *value, uint32_t *out, pb_err *err) PB_MUST_CHECK;

/* Effective configuration as JSON (malloc'd), stored in runs.config_json. */
char *pb_run_config_to_json(const pb_run_config *cfg);

typedef struct pb_run_summary {
    int64_t run_id;
    char status[16];        /* completed / interrupted / failed */
    uint64_t requests;      /* rows recorded: every attempt, rejections and drops included */
    double duration_s, rps; /* rps: attempts that reached the network per second */
    uint64_t outcomes[PB_OUTCOME_COUNT];
    double error_rate;                          /* failed / (attempts that reached the network) */
    pb_usec min, p50, p90, p95, p99, p999, max; /* service latency */
    double mean;
    pb_usec cp50, cp99; /* corrected for coordinated omission (from intended start) */
    pb_pattern_state pattern;
    uint64_t writer_stalls, writer_stall_us;
    uint64_t phase_sent[PB_MAX_PHASES]; /* attempts that reached the network, by mock phase
                                           (phase 0 when the target is not the built-in mock) */
    char pattern_name[32];
    char target[256];   /* URL requested */
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
    bool has_server;                    /* the built-in mock ran: `server` holds its counters */
    pb_mock_stats server;
} pb_run_summary;

/* Set by the run's SIGINT/SIGTERM handling: 1 = stop starting requests, 2 =
 * stop at once. A run also obeys it when set from elsewhere (looked at every
 * 100 ms), and it stays set after the run, so a caller running several
 * (compare) can stop too. Reset it to 0 to run again. */
extern volatile sig_atomic_t pb_stop_requested;

/* Run the configured pattern; rec may be NULL (no recording; also when
 * cfg->record is false). Starts the built-in mock unless cfg->target_url, calls
 * pb_recorder_begin_run / end_run, prints progress on stderr unless cfg->quiet,
 * and handles SIGINT/SIGTERM while it runs (the caller's handlers are put back
 * afterwards). Fills out even when interrupted or failed; returns 0 for a
 * completed or interrupted run, an error (with err) for a failed one. */
int pb_run_execute(const pb_run_config *cfg, pb_recorder *rec, pb_run_summary *out,
                   pb_err *err) PB_MUST_CHECK;

/* The summary as the JSON stored in runs.summary_json (malloc'd). */
char *pb_run_summary_to_json(const pb_run_summary *s);

#endif
