/* Inside the mock configuration: the settings one phase runs with, and the
 * full configuration (listen address, threads, seed, base settings, phases).
 * Internal to mockserver/ and its tests; others use the opaque type in mock.h. */
#ifndef PB_MOCK_CONFIG_H
#define PB_MOCK_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "latency_dist.h"
#include "mock.h"

/* Most distinct statuses one --errors spec may list. */
#define PB_MOCK_MAX_ERRORS 8
/* Most phases a profile may list (after the base settings). */
#define PB_MOCK_MAX_PHASES 32
/* queue-limit: no bound. */
#define PB_MOCK_UNLIMITED UINT32_MAX
/* Largest --body-size. */
#define PB_MOCK_MAX_BODY (64ULL << 20)
/* Longest --admin-token. */
#define PB_MOCK_TOKEN_MAX 256
/* Largest --tls-cert and --tls-key file, in bytes (PEM). */
#define PB_MOCK_TLS_PEM_MAX 16384
/* Default --idle-timeout: nginx's client_header_timeout and client_body_timeout. */
#define PB_MOCK_DEFAULT_IDLE_TIMEOUT (60 * PB_USEC_PER_SEC)

/* What --admin allows. */
typedef enum pb_mock_admin_mode {
    PB_MOCK_ADMIN_ON,   /* on; beyond loopback only with a token */
    PB_MOCK_ADMIN_OFF,  /* /__admin/... answers 404 */
    PB_MOCK_ADMIN_OPEN, /* on, even beyond loopback without a token: the user said so */
} pb_mock_admin_mode;

/* Faults a request can be given instead of a normal answer: the rows of
 * PB_MOCK_FAULT_MAP (mock_vocab.h), in its order. */
/* clang-format off */
typedef enum pb_fault_kind {
#define PB_FAULT_ENUM_(e, name, counter, outcome, status) PB_FAULT_##e,
    PB_MOCK_FAULT_MAP(PB_FAULT_ENUM_)
#undef PB_FAULT_ENUM_
    PB_FAULT_COUNT
} pb_fault_kind;
/* clang-format on */

/* A fault's name as --faults spells it ("reset", "slow-body"); "?" for
 * anything else. */
const char *pb_fault_name(pb_fault_kind k);

/* The fault named `name` as --faults spells it; PB_FAULT_COUNT for none. */
pb_fault_kind pb_fault_find(const char *name);

/* What the server does while one phase is active. Plain data. Each key owns
 * consecutive fields (mock_config.c's table of keys copies them as a span). */
typedef struct pb_mock_settings {
    pb_latency_dist latency;
    pb_usec latency_cap; /* 0 = none */
    int n_errors;
    uint16_t error_status[PB_MOCK_MAX_ERRORS];
    double error_fraction[PB_MOCK_MAX_ERRORS];
    double fault_fraction[PB_FAULT_COUNT];
    uint32_t capacity;    /* requests in service at once; 0 = unlimited */
    uint32_t queue_limit; /* waiting beyond capacity; PB_MOCK_UNLIMITED = no bound */
    double rate_limit;    /* token bucket refill per second; 0 = off */
    double rate_burst;    /* token bucket size */
    uint64_t body_size;
    pb_usec hang_max;
} pb_mock_settings;

/* A phase: the base settings with the keys in `overrides` replaced, active
 * from `at` after the phase clock starts. */
typedef struct pb_mock_phase {
    pb_usec at;
    char name[64];
    uint32_t overrides; /* bit per key it sets, by its row in mock_config.c's keys */
    pb_mock_settings s; /* effective settings */
} pb_mock_phase;

/* Everything pb_mock_start needs; plain data, copyable by assignment. */
struct pb_mock_config {
    char host[64]; /* numeric address */
    uint16_t port;
    bool ipv6;
    uint32_t threads;
    uint64_t seed;
    /* command line only: profiles neither set nor show these */
    pb_usec idle_timeout;      /* whole seconds; 0 = none */
    uint32_t connection_limit; /* 0 = the open-file limit - 64 */
    pb_mock_admin_mode admin;
    char admin_token[PB_MOCK_TOKEN_MAX + 1]; /* "" = none */
    char tls_cert[PB_MOCK_TLS_PEM_MAX + 1]; /* --tls-cert's PEM text; "" = plain HTTP */
    char tls_key[PB_MOCK_TLS_PEM_MAX + 1];  /* --tls-key's PEM text */
    pb_mock_settings base;
    int n_phases;
    pb_mock_phase phases[PB_MOCK_MAX_PHASES];
};

/* The documented defaults: no latency, errors or faults, unlimited capacity,
 * no rate limit, 64-byte body, hang-max 60s. */
void pb_mock_settings_default(pb_mock_settings *s);

/* Sum of the error and fault fractions (at most 1 in a valid configuration). */
double pb_mock_settings_fraction_sum(const pb_mock_settings *s);

/* The default token-bucket size for a rate: a tenth of a second's worth, at least 1. */
double pb_mock_default_burst(double rate);

#endif
