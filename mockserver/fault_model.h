/* The per-request decision of the mock server: answer normally, with an
 * injected error status, or with a fault, and after how long. A pure function
 * of the settings, the seed and the request's sequence number, so the same
 * seed and sequence give the same decisions whatever the thread count. */
#ifndef PB_FAULT_MODEL_H
#define PB_FAULT_MODEL_H

#include <stdint.h>

#include "mock_config.h"

/* What the server does with one request. */
typedef enum pb_mock_action {
    PB_MOCK_OK,
    PB_MOCK_ERROR, /* status is the injected error */
    PB_MOCK_RESET,
    PB_MOCK_HANG,
    PB_MOCK_SLOW_BODY,
    PB_MOCK_MALFORMED,
} pb_mock_action;

/* One decision. */
typedef struct pb_fault_decision {
    pb_mock_action action;
    uint16_t status; /* 200 (ok, slow-body), the injected error, or 0 (reset, hang, malformed) */
    pb_usec latency; /* service time drawn from the latency distribution */
} pb_fault_decision;

/* Decide for request `seq` under settings s: one uniform draw picks the
 * action (the fault and error fractions partition [0, 1), the rest is ok),
 * the next draws give the latency; both from random stream `seq` of `seed`. */
void pb_fault_decide(const pb_mock_settings *s, uint64_t seed, uint64_t seq,
                     pb_fault_decision *out);

#endif
