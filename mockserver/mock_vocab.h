/* The mock server's vocabulary: its fault kinds, its outcomes, its counters
 * and gauges, and the Prometheus metrics they go to. Each is one X-macro table
 * (as libuv's UV_ERRNO_MAP), and everything that spells them is generated from
 * here: the --faults parser and its messages, the fault model's enums, the
 * kinds of request records (pb_mock_kind), pb_mock_stats, the server's atomic
 * counters, the JSON of GET /__admin/stats (also the "server" part of a run
 * summary), /metrics, and `patternbench mock`'s end-of-run lines.
 *
 * To add a fault: a row in PB_MOCK_FAULT_ROWS (its counter comes with it),
 * then what the server does with it in mock_server.c (answer(), and arrive()
 * if it acts before answering, as hang does).
 * To add an outcome: a row in PB_MOCK_OUTCOME_ROWS (its counter and its kind
 * of request record come with it), then count it in mock_server.c.
 * To add a counter: a row in PB_MOCK_COUNTER_MAP, then count it in
 * mock_server.c. A new metric for it: a row in PB_MOCK_METRIC_MAP.
 * To add a gauge: a row in PB_MOCK_GAUGE_MAP (common/mock_gauges.h, with the
 * rule merge combines it by), then set it in mock_server.c.
 *
 * Only macros here: no declarations; the one include is the gauges' table. */
#ifndef PB_MOCK_VOCAB_H
#define PB_MOCK_VOCAB_H

#include "mock_gauges.h"

/* Faults a request can be given instead of a normal answer, in the order the
 * fault model partitions its draw (changing the order changes which requests
 * of a seed get which fault).
 *   ENUM     PB_FAULT_<ENUM> (pb_fault_kind) and PB_MOCK_<ENUM> (pb_mock_action)
 *   name     in --faults, profiles and their error messages
 *   counter  its field in pb_mock_stats, its key in the stats JSON
 *   outcome  its label in pb_mock_outcomes_total{outcome="..."}
 *   status   the HTTP status counted for it; 0 when it sends no status
 *            line or a broken response
 * Rows are written R(XX, ...) so that PB_MOCK_COUNTER_MAP can list them as
 * counters; read them with PB_MOCK_FAULT_MAP. */
#define PB_MOCK_FAULT_ROWS(R, XX)                                                                  \
    R(XX, RESET, "reset", resets, "reset", 0)                                                      \
    R(XX, HANG, "hang", hangs, "hang", 0)                                                          \
    R(XX, SLOW_BODY, "slow-body", slow_bodies, "slow_body", 200)                                   \
    R(XX, MALFORMED, "malformed", malformed, "malformed", 0)

/* XX(ENUM, name, counter, outcome, status) for each fault. */
#define PB_MOCK_FAULT_MAP(XX) PB_MOCK_FAULT_ROWS(PB_MOCK_FAULT_ROW_, XX)
#define PB_MOCK_FAULT_ROW_(XX, e, name, counter, outcome, status)                                  \
    XX(e, name, counter, outcome, status)

/* The outcomes: what the server did with a request, exactly one per request
 * (admin and /metrics excluded), counted when it decides (on arrival).
 *   KIND     PB_MOCK_KIND_<KIND> (pb_mock_kind in mock.h), the kind of a
 *            request record
 *   counter  the pb_mock_stats counter it increments
 *   label    its label in pb_mock_outcomes_total{outcome="..."}
 * Rows are written R(XX, ...), the faults' F(XX, ...), so that
 * PB_MOCK_COUNTER_MAP can list them as counters; read them with
 * PB_MOCK_OUTCOME_MAP. */
#define PB_MOCK_OUTCOME_ROWS(R, F, XX)                                                             \
    /* answered 200 (slow bodies are counted apart) */                                             \
    R(XX, OK, ok, "ok")                                                                            \
    /* answered with an injected error status */                                                   \
    R(XX, ERROR, errors, "error")                                                                  \
    /* immediate 503: capacity queue full */                                                       \
    R(XX, REJECTED_CAPACITY, rejected_capacity, "rejected_capacity")                               \
    /* 429 from the token bucket */                                                                \
    R(XX, RATE_LIMITED, rate_limited, "rate_limited")                                              \
    /* one per fault kind */                                                                       \
    PB_MOCK_FAULT_ROWS(F, XX)                                                                      \
    /* 400: a malformed X-PB-Seq or X-PB-Attempt header; 413: a body beyond                        \
     * PB_MOCK_MAX_REQUEST_BODY */                                                                 \
    R(XX, BAD_REQUEST, bad_requests, "bad_request")

/* XX(KIND, counter, label) for each outcome. */
#define PB_MOCK_OUTCOME_MAP(XX)                                                                    \
    PB_MOCK_OUTCOME_ROWS(PB_MOCK_OUTCOME_ROW_, PB_MOCK_FAULT_OUTCOME_, XX)
#define PB_MOCK_OUTCOME_ROW_(XX, e, counter, label) XX(e, counter, label)
#define PB_MOCK_FAULT_OUTCOME_(XX, e, name, counter, outcome, status) XX(e, counter, outcome)

/* The counters of pb_mock_stats, in the order of its fields, the stats JSON
 * and `patternbench mock`'s lines: requests, the outcomes (counted when the
 * server decides, so that once a client has its answer the counters include
 * it; requests is their sum), then the rest.
 *   XX(counter, METRIC, label)
 *   counter  field name and JSON key (an uint64_t)
 *   METRIC   the PB_MOCK_METRIC_MAP row it is exposed under
 *   label    its label value there ("" for a metric without a label) */
#define PB_MOCK_COUNTER_MAP(XX)                                                                    \
    /* every request the server received (admin and /metrics excluded) */                          \
    XX(requests, REQUESTS, "")                                                                     \
    PB_MOCK_OUTCOME_ROWS(PB_MOCK_OUTCOME_COUNTER_, PB_MOCK_FAULT_COUNTER_, XX)                     \
    /* Resets (hang-max closes) of numbered requests that the client sent                          \
     * again with the same X-PB-Seq and X-PB-Attempt. libcurl resends by                           \
     * itself when a kept-alive connection closes without an answer; its                           \
     * caller then saw requests - resent_resets - resent_hangs requests,                           \
     * resets - resent_resets resets and hangs - resent_hangs hangs. Counted                       \
     * as the resend arrives; not outcomes. */                                                     \
    XX(resent_resets, RESENT, "reset")                                                             \
    XX(resent_hangs, RESENT, "hang")                                                               \
    /* Bytes of request bodies received (POST, PUT, ...; admin excluded), a                        \
     * body refused for its size included as far as it was read. */                                \
    XX(received_bytes, RECEIVED_BYTES, "")                                                         \
    /* Connections, not requests: closed by the server after --idle-timeout                        \
     * without a byte either way (keep-alive waits, unfinished requests; a                         \
     * suspended request is not idle), and turned away by the kernel because                       \
     * --connection-limit was reached and the listen queue was full too. */                        \
    XX(timed_out_connections, CONNECTIONS_DROPPED, "timed_out")                                    \
    XX(refused_connections, CONNECTIONS_DROPPED, "refused")
#define PB_MOCK_OUTCOME_COUNTER_(XX, e, counter, label) XX(counter, OUTCOMES, label)
#define PB_MOCK_FAULT_COUNTER_(XX, e, name, counter, outcome, status) XX(counter, OUTCOMES, outcome)

/* The gauges of pb_mock_stats are PB_MOCK_GAUGE_MAP, in common/mock_gauges.h
 * (included above), with the rule merge combines each by. */

/* The metrics of /metrics, in the order they are written. Their names are
 * what users' dashboards query: never rename one.
 *   XX(METRIC, name, type, label, help)
 *   label  the label's name ("" for none); RESPONSES is labelled by HTTP
 *          status from pb_mock_stats.status, not by a table row */
#define PB_MOCK_METRIC_MAP(XX)                                                                     \
    XX(REQUESTS, "pb_mock_requests_total", "counter", "",                                          \
       "Requests received (admin and /metrics excluded).")                                         \
    XX(OUTCOMES, "pb_mock_outcomes_total", "counter", "outcome",                                   \
       "Requests by what the server did with them.")                                               \
    XX(RESPONSES, "pb_mock_responses_total", "counter", "status", "Responses by HTTP status.")     \
    XX(RESENT, "pb_mock_resent_total", "counter", "outcome",                                       \
       "Closes without an answer whose request the client sent again.")                            \
    XX(RECEIVED_BYTES, "pb_mock_received_bytes_total", "counter", "",                              \
       "Bytes of request bodies received (admin and /metrics excluded).")                          \
    XX(IN_FLIGHT, "pb_mock_in_flight", "gauge", "", "Requests received and not yet finished.")     \
    XX(QUEUED, "pb_mock_queued", "gauge", "", "Requests waiting for a capacity slot.")             \
    XX(PHASE, "pb_mock_phase", "gauge", "", "Index of the active phase (0 = base settings).")      \
    XX(CONNECTIONS_DROPPED, "pb_mock_connections_dropped_total", "counter", "reason",              \
       "Connections closed after the idle timeout or refused at the connection limit.")            \
    XX(CONNECTIONS, "pb_mock_connections", "gauge", "", "Connections open now.")                   \
    XX(ADMIN_BODY_BYTES, "pb_mock_admin_body_bytes", "gauge", "",                                  \
       "Bytes of admin request bodies received and not yet answered.")

#endif
