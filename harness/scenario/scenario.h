/* Scenario files (the JSON files in scenarios/): what `compare` runs and under which
 * misbehaviour. The format is documented in scenarios/README.md. Errors name
 * the file, the JSON path and the line and column of the offending value:
 *   scenarios/x.json: patterns[2].concurrency: expected a whole number, got "ten" (line 14, column
 * 22)
 */
#ifndef PB_SCENARIO_H
#define PB_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "errors.h"
#include "json_pos.h"
#include "monotime.h"
#include "run_config.h"

/* At most this many pattern entries per scenario. */
#define PB_SCENARIO_MAX_ENTRIES 64
/* At most this many thresholds on one run (global ones and the entry's own). */
#define PB_SCENARIO_MAX_THRESHOLDS 32
/* Largest scenario file read. */
#define PB_SCENARIO_MAX_BYTES (4u << 20)

/* A pattern option given in an entry, or a request option of the top-level
 * "request", passed on to pb_run_config_set. */
typedef struct pb_scenario_param {
    char *name;  /* as `run` spells the flag, without dashes: "queue-size" */
    char *value; /* the JSON value as text: 50, 0.5, "1s", true */
    char *path;  /* a request option's JSON path ("request.headers[1]"), or the flag that gave
                    it ("--header"); NULL for an entry's */
} pb_scenario_param;

/* One element of "patterns": a pattern with its settings and a label. */
typedef struct pb_scenario_entry {
    char pattern[32];
    char label[PB_RUN_LABEL_MAX + 1];
    pb_usec duration;  /* 0 = the scenario's bound */
    uint64_t requests; /* 0 = the scenario's bound */
    pb_usec timeout;   /* 0 = the scenario's */
    pb_scenario_param *params;
    int n_params;
    char **thresholds; /* the entry's own; global ones are added at run time */
    int n_thresholds;
} pb_scenario_entry;

/* A parsed, validated scenario. Strings are owned (malloc'd). */
typedef struct pb_scenario {
    char *source;              /* the file name as given */
    char *title, *description; /* title defaults to the file name; description may be "" */
    uint64_t seed;             /* the mock's seed and the patterns' (default 1) */
    pb_usec duration;          /* per pattern; 0 with requests 0 = run's default */
    uint64_t requests;
    pb_usec timeout;  /* per request; 0 = run's default */
    char *target_url; /* NULL = the built-in mock */
    pb_scenario_param *request; /* "request" (method, headers, body, ...) as run options, in
                                   order, then those compare's command line adds */
    int n_request;
    char *mock_json;  /* the "mock" profile as JSON text; NULL = a healthy mock */
    bool open_loop;
    uint32_t concurrency; /* closed loop: each entry's default concurrency (0 = pattern's) */
    double rate;          /* open loop: arrivals per second at the start */
    pb_rate_step rate_steps[PB_MAX_PHASES]; /* open loop: later rate changes */
    int n_rate_steps;
    pb_stages stages; /* load.open.stages (a ramp of the rate from `rate`) or
                         load.closed.stages (of workers from `concurrency`); n = 0 none */
    char **thresholds; /* global: checked against every pattern's run */
    int n_thresholds;
    pb_scenario_entry *entries;
    int n_entries;
    char *phase_names[PB_MAX_PHASES]; /* mock phases: [0] = "base" settings */
    pb_usec phase_at[PB_MAX_PHASES];  /* their starts from the start of a run */
    int n_phases;                     /* 0 with a URL target */
    size_t trials;                    /* "trials": rounds of every entry (default 1) */
    double time_scale;                /* "time-scale" (1 = real time); applied by
                                         pb_scenario_time_scale, not by parsing */
    json_t *json;                     /* the document as parsed */
    pb_json_pos *pos;                 /* where each value is written, for messages */
} pb_scenario;

/* Read, parse and validate a scenario file, including every entry's options
 * and the mock profile, so that nothing fails after the first run started. */
int pb_scenario_load(const char *path, pb_scenario **out, pb_err *err) PB_MUST_CHECK;

/* The same from a text in memory; source names it in messages. */
int pb_scenario_parse(const char *text, size_t len, const char *source, pb_scenario **out,
                      pb_err *err) PB_MUST_CHECK;

/* Free (NULL-safe). */
void pb_scenario_destroy(pb_scenario *sc);

/* Make every entry bound by `duration` (when not 0) or else by `requests`
 * (when not 0), as `compare --duration` and `--requests` do. */
void pb_scenario_set_bound(pb_scenario *sc, pb_usec duration, uint64_t requests);

/* Largest --time-scale / "time-scale" accepted. */
#define PB_SCENARIO_MAX_TIME_SCALE 100000.0

/* Run the scenario's schedule k times faster, as `compare --time-scale` and
 * the "time-scale" key do: every run length and phase offset (the mock's
 * and the load's) is divided by k. What the patterns and the server do in
 * real time stays real: latencies, timeouts, the patterns' own windows.
 * Call once, before pb_scenario_set_bound (an explicit --duration is not
 * scaled). PB_ERANGE for k outside (0, PB_SCENARIO_MAX_TIME_SCALE]. */
int pb_scenario_time_scale(pb_scenario *sc, double k, pb_err *err) PB_MUST_CHECK;

/* Add a request option ("method", "header", "body", "ok-status",
 * "secret-header", "cacert", "insecure"), as compare's command line does:
 * checked here, applied to every run after the scenario's own. */
int pb_scenario_add_request_option(pb_scenario *sc, const char *name, const char *value,
                                   pb_err *err) PB_MUST_CHECK;

/* Whether `name` is a request option (a flag of run's that pb_scenario_add_request_option takes).
 */
bool pb_scenario_is_request_option(const char *name);

/* The scenario's "request" with compare's options folded in, as it may be
 * stored: a secret header's value is "<redacted>" (NULL when there is none
 * or out of memory). */
json_t *pb_scenario_request_json(const pb_scenario *sc);

/* Add a global threshold (validated here), as `compare --threshold` does. */
int pb_scenario_add_threshold(pb_scenario *sc, const char *expr, pb_err *err) PB_MUST_CHECK;

/* Mark which entries a comma-separated list of labels or pattern names picks
 * (`compare --patterns queue,breaker`): selected[i] for entry i. A label picks
 * its entry; a name that is no label picks every entry of that pattern. A name
 * that matches nothing is an error listing the labels there are. */
int pb_scenario_select(const pb_scenario *sc, const char *list, bool *selected,
                       pb_err *err) PB_MUST_CHECK;

/* Build the run configuration of entry i: initialises cfg, which the caller
 * cleans up with pb_run_config_cleanup (also on failure). */
int pb_scenario_run_config(const pb_scenario *sc, int i, pb_run_config *cfg,
                           pb_err *err) PB_MUST_CHECK;

#endif
