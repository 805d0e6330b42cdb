/* One trial of one arm of a claim's experiment: a fresh built-in mock (or the
 * user's service, --target), then the arm's pattern driven by the C engine or
 * by the Python reference, and what it measured, with the client's CPU time
 * beside it. */
#ifndef PB_TRIAL_H
#define PB_TRIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"
#include "recorder.h"

/* The mock every claim runs against (scenarios/cheatsheet.json's base): the
 * server answers in about 6 ms and fails 1 % of requests with 503. */
#define PB_TRIAL_LATENCY "lognormal:6ms,25ms"
#define PB_TRIAL_ERRORS "503:0.01"
/* The fault phase, from 40 % to 70 % of a trial: a fifth of requests fail. */
#define PB_TRIAL_FAULT_ERRORS "503:0.2"

/* One configuration measured in a claim: a pattern, its settings in C (run's
 * option names) and in Python (pb_reference.py's options). */
typedef struct pb_arm {
    const char *label; /* e.g. "semaphore-30" */
    const char *pattern;
    uint32_t concurrency;
    const char *const *c_params; /* name, value pairs for pb_run_config_set; NULL-terminated */
    const char *const *py_args;  /* extra pb_reference.py arguments; NULL-terminated */
    bool fault;                  /* the mock has the fault phase */
    uint32_t peak;               /* most requests it may have in flight (0 = concurrency;
                                    adaptive: its max-limit) */
    const char *latency;         /* the mock's latency (NULL = PB_TRIAL_LATENCY) */
    const char *errors;          /* the mock's errors (NULL = PB_TRIAL_ERRORS) */
    uint64_t tasks;              /* Python: the task list, all of it run (0 = enough to
                                    outlast the trial, cut at its end); C says its own in
                                    c_params ("requests") */
} pb_arm;

/* What every trial shares. */
typedef struct pb_trial_plan {
    pb_usec duration;    /* of one trial */
    pb_recorder *rec;    /* C trials are recorded here (may be NULL) */
    int64_t compare_id;  /* the runs' compare id in rec */
    const char *db_path; /* rec's file, stored with each run */
    const char *python;  /* interpreter of the Python reference */
    const char *script;  /* reference/python/pb_reference.py */
    const char *target;  /* the user's service (NULL: a fresh mock per trial); arms with
                            fault phases cannot run against it */
} pb_trial_plan;

/* One trial's figures. */
typedef struct pb_trial {
    double rps;             /* requests that reached the server per second */
    double goodput;         /* ok answers per second */
    double elapsed_s;       /* the trial's length, the drain of in-flight requests included */
    double cpu_s;           /* the client's CPU time (user + system), the mock's excluded */
    double mean_latency_ms; /* of requests that reached the server */
    uint64_t requests, ok;  /* as the client counted them */
    uint64_t server_requests; /* as the mock counted them (0 against a target) */
    bool server_counted;      /* server_requests is the mock's count (false against a
                                 target: only the mock can count what it answered) */
    uint64_t failed;          /* of requests, the failures */
    uint64_t lost;            /* results that never reached the caller (propagate) */
    uint64_t cascaded;        /* the successes among them */
    int64_t run_id;           /* C: the run's id in the database (0 when not recorded) */
    bool generator_bound;     /* C: the engine found itself saturated (its self-monitor) */
} pb_trial;

/* Run arm in C through pb_run_execute against a fresh mock seeded with seed,
 * or against plan->target. Errors carry the engine's message. */
int pb_trial_run_c(const pb_arm *arm, const pb_trial_plan *plan, uint64_t seed, pb_trial *out,
                   pb_err *err) PB_MUST_CHECK;

/* Run arm with the Python reference against a fresh mock seeded with seed, or
 * against plan->target (then nothing is recorded: the mock records the Python
 * arms' runs). */
int pb_trial_run_python(const pb_arm *arm, const pb_trial_plan *plan, uint64_t seed,
                        pb_trial *out, pb_err *err) PB_MUST_CHECK;

#endif
