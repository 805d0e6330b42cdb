/* The built-in mock server: a libmicrohttpd daemon whose latency, errors and
 * faults follow a configurable, time-phased, seeded profile. */
#ifndef PB_MOCK_H
#define PB_MOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"

/* Opaque: the full mock configuration (base settings + phases + listen
 * address, threads, seed). Defined in mock_config.c. */
typedef struct pb_mock_config pb_mock_config;

/* A running server. */
typedef struct pb_mock pb_mock;

/* Create a default configuration: 127.0.0.1:0, no latency, no errors, no faults,
 * unlimited capacity, 2 threads, seed 1. */
int pb_mock_config_create(pb_mock_config **out) PB_MUST_CHECK;

/* Free a configuration (NULL-safe). */
void pb_mock_config_destroy(pb_mock_config *cfg);

/* Apply one command-line option by its long name without dashes ("latency",
 * "errors", "faults", "capacity", "queue-limit", "rate-limit", "body-size",
 * "seed", "threads", "listen", "hang-max", "latency-cap", "profile").
 * Returns PB_ENOENT if `name` is not a mock option, so callers can share argv. */
int pb_mock_config_set(pb_mock_config *cfg, const char *name, const char *value,
                       pb_err *err) PB_MUST_CHECK;

/* Replace the profile (settings + phases) from a JSON text, as in --profile
 * files and PUT /__admin/profile. `source` names the input in errors. */
int pb_mock_config_load_json(pb_mock_config *cfg, const char *json, const char *source,
                             pb_err *err) PB_MUST_CHECK;

/* The effective configuration as a JSON text (malloc'd, caller frees). */
char *pb_mock_config_to_json(const pb_mock_config *cfg);

/* Called from a server thread when the phase clock enters phase `index`
 * (0 = base settings) at `at` microseconds after the phase clock started. */
typedef void (*pb_mock_phase_cb)(void *data, int index, const char *name, pb_usec at);

/* Start a server with a copy of cfg. The bound port is known on return. */
int pb_mock_start(const pb_mock_config *cfg, pb_mock_phase_cb cb, void *cb_data, pb_mock **out,
                  pb_err *err) PB_MUST_CHECK;

/* The bound TCP port. */
uint16_t pb_mock_port(const pb_mock *m);

/* "http://127.0.0.1:PORT" (static storage inside m). */
const char *pb_mock_url(const pb_mock *m);

/* Restart the phase clock at 0 (same as POST /__admin/phase/restart). */
void pb_mock_restart_phases(pb_mock *m);

/* Counters since start. Outcomes are what the server did, per request. */
typedef struct pb_mock_stats {
    uint64_t requests;   /* every request the server received (admin excluded) */
    uint64_t ok;         /* answered 2xx */
    uint64_t errors;     /* answered with an injected error status */
    uint64_t rejected_capacity; /* immediate 503: capacity queue full */
    uint64_t rate_limited;      /* 429 from the token bucket */
    uint64_t resets, hangs, slow_bodies, malformed;
    uint64_t status[600]; /* per HTTP status answered */
    uint32_t in_flight, queued;
    int phase;
} pb_mock_stats;

/* Snapshot the counters (thread-safe). */
void pb_mock_get_stats(pb_mock *m, pb_mock_stats *out);

/* Stop and free the server (NULL-safe); in-flight delayed requests are dropped. */
void pb_mock_stop(pb_mock *m);

#endif
