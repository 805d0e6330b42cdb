/* The per-request decision of the mock server: answer normally, with an
 * injected error status, or with a fault, and after how long. A pure function
 * of the settings, the seed and the request's sequence number, so the same
 * seed and sequence give the same decisions whatever the thread count. */
#ifndef PB_FAULT_MODEL_H
#define PB_FAULT_MODEL_H

#include <stdint.h>

#include "mock_config.h"

/* What the server does with one request: answer normally, with an injected
 * error, or with one of the faults. Not the same set as pb_fault_kind (a
 * settings index, which has no ok or error), so derived from it: fault k is
 * action PB_MOCK_FAULT_ACTION(k), named PB_MOCK_<ENUM> after its row. */
typedef enum pb_mock_action {
    PB_MOCK_OK,    /* 0: callers use it as "nothing" */
    PB_MOCK_ERROR, /* status is the injected error */
#define PB_MOCK_ACTION_ENUM_(e, name, counter, outcome, status) PB_MOCK_##e,
    PB_MOCK_FAULT_MAP(PB_MOCK_ACTION_ENUM_)
#undef PB_MOCK_ACTION_ENUM_
} pb_mock_action;

/* The action of fault kind k. */
#define PB_MOCK_FAULT_ACTION(k) ((pb_mock_action)(PB_MOCK_ERROR + 1 + (k)))

/* One decision. */
typedef struct pb_fault_decision {
    pb_mock_action action;
    uint16_t status; /* 200 for ok, the injected error, or the fault's status in its row */
    pb_usec latency; /* service time drawn from the latency distribution */
} pb_fault_decision;

/* Decide for request `seq` under settings s: one uniform draw picks the
 * action (the fault and error fractions partition [0, 1), the rest is ok),
 * the next draws give the latency; both from random stream `seq` of `seed`. */
void pb_fault_decide(const pb_mock_settings *s, uint64_t seed, uint64_t seq,
                     pb_fault_decision *out);

#endif
