/* The words a run is recorded in: how a request ended (outcomes), the circuit
 * breaker's states and the kinds of row in the `events` table. Each list is
 * spelled once, here, as an X-macro table (libuv's UV_ERRNO_MAP); the enums,
 * the name lookups, the store's SQL and the reports are built from them.
 *
 * Integers and names in these tables are database values (docs/schema.md):
 * append new rows, never renumber or rename one. tests/common/test_vocabulary.c
 * pins every row as stored today. */
#ifndef PB_VOCABULARY_H
#define PB_VOCABULARY_H

#include <stdbool.h>

#include "errors.h"

/* How one request (or one would-be request) ended, written once as
 *   ROW(XX, enum suffix, stored integer, name, rollup column, counts as failure,
 *       legend title, chart colour).
 * The integer goes into the low 4 bits of requests.code (so at most 15), the
 * name into summaries and the requests_v view, the rollup column is the
 * outcome's column of the `seconds` table. A failure is an attempt that reached
 * the network and failed (not a breaker rejection or a backpressure drop). The
 * legend title and colour are how every chart draws the outcome (colours from
 * Okabe-Ito, told apart with the common colour-vision deficiencies); they are
 * not stored. Expand it through PB_OUTCOME_MAP, PB_OUTCOME_ROLLUP_MAP or
 * PB_OUTCOME_STYLE_MAP, not directly. */
#define PB_OUTCOME_ROWS(ROW, XX)                                                                   \
    ROW(XX, OK, 0, "ok", "ok", false, "ok", "#009E73")                                             \
    ROW(XX, HTTP_ERROR, 1, "http_error", "http_error", true, "http error", "#D55E00")              \
    ROW(XX, TIMEOUT, 2, "timeout", "timeout", true, "timeout", "#E69F00")                          \
    ROW(XX, CONNECT_ERROR, 3, "connect_error", "connect_error", true, "connect error", "#CC79A7")  \
    ROW(XX, RESET, 4, "reset", "reset", true, "reset", "#882255")                                  \
    ROW(XX, PROTOCOL_ERROR, 5, "protocol_error", "protocol_error", true, "protocol error",         \
        "#AA4499")                                                                                 \
    ROW(XX, REJECTED_BY_BREAKER, 6, "rejected_by_breaker", "rejected", false, "rejected",          \
        "#56B4E9")                                                                                 \
    ROW(XX, DROPPED_BY_BACKPRESSURE, 7, "dropped_by_backpressure", "dropped", false, "dropped",    \
        "#0072B2")                                                                                 \
    ROW(XX, OTHER_ERROR, 8, "other_error", "other", true, "other error", "#777777")

/* XX(enum suffix, stored integer, name) once per outcome, in stored order. */
#define PB_OUTCOME_MAP(XX) PB_OUTCOME_ROWS(PB_OUTCOME_ROW3_, XX)

/* XX(enum suffix, stored integer, name, rollup column) once per outcome. */
#define PB_OUTCOME_ROLLUP_MAP(XX) PB_OUTCOME_ROWS(PB_OUTCOME_ROW4_, XX)

/* XX(enum suffix, legend title, chart colour) once per outcome. */
#define PB_OUTCOME_STYLE_MAP(XX) PB_OUTCOME_ROWS(PB_OUTCOME_STYLE_, XX)

#define PB_OUTCOME_ROW3_(XX, name, value, text, column, failure, title, colour)                    \
    XX(name, value, text)
#define PB_OUTCOME_ROW4_(XX, name, value, text, column, failure, title, colour)                    \
    XX(name, value, text, column)
#define PB_OUTCOME_STYLE_(XX, name, value, text, column, failure, title, colour)                   \
    XX(name, title, colour)

/* How a request ended; the value is the stored integer. */
typedef enum pb_outcome {
#define PB_OUTCOME_ENUM(name, value, text) PB_OUTCOME_##name = value,
    PB_OUTCOME_MAP(PB_OUTCOME_ENUM)
#undef PB_OUTCOME_ENUM
    PB_OUTCOME_COUNT
} pb_outcome;

/* "ok", "timeout", ...; NULL for an out-of-range value. */
const char *pb_outcome_name(pb_outcome o);

/* The outcome's column in the `seconds` table ("rejected"); NULL if out of range. */
const char *pb_outcome_column(pb_outcome o);

/* True for outcomes where a request was attempted and failed (not rejections,
 * drops or out-of-range values). */
bool pb_outcome_is_failure(pb_outcome o);

/* The outcome named `name` ("timeout"), into *out; PB_ENOENT for any other text. */
int pb_outcome_from_name(const char *name, pb_outcome *out) PB_MUST_CHECK;

/* Circuit breaker states, XX(enum suffix, stored integer, name): recorded per
 * request in bits 4-5 of requests.code (so at most 3) and per second in
 * seconds.breaker; NONE for patterns without a breaker. */
#define PB_BREAKER_STATE_MAP(XX)                                                                   \
    XX(NONE, 0, "none")                                                                            \
    XX(CLOSED, 1, "closed")                                                                        \
    XX(OPEN, 2, "open")                                                                            \
    XX(HALF_OPEN, 3, "half_open")

/* A circuit breaker state; the value is the stored integer. */
typedef enum pb_breaker_state {
#define PB_BREAKER_STATE_ENUM(name, value, text) PB_BREAKER_##name = value,
    PB_BREAKER_STATE_MAP(PB_BREAKER_STATE_ENUM)
#undef PB_BREAKER_STATE_ENUM
} pb_breaker_state;

/* "closed", "open", "half_open", "none"; "none" for an out-of-range value too. */
const char *pb_breaker_state_name(pb_breaker_state s);

/* The breaker state named `name` ("half_open"), into *out; PB_ENOENT for any other text. */
int pb_breaker_state_from_name(const char *name, pb_breaker_state *out) PB_MUST_CHECK;

/* Every kind of row in the `events` table, XX(enum suffix, value, kind). The
 * kind string is what is stored (at most 23 characters); the enum value is not
 * stored. The first five and LOST come from patterns through their event
 * callback, the rest from the engine and the recorder. docs/schema.md says what from_val,
 * to_val, value and detail hold for each. */
#define PB_EVENT_KIND_MAP(XX)                                                                      \
    XX(BREAKER_STATE, 1, "breaker") /* from/to are pb_breaker_state */                             \
    XX(LIMIT_CHANGE, 2, "limit")    /* from/to are concurrency limits */                           \
    XX(DROP, 3, "drop")             /* from = task dropped, to = queue depth at the drop */        \
    XX(RETRY, 4, "retry")           /* from = failed attempt, to = next; value = backoff us */     \
    /* semaphore batch boundary: from = batch ended (-1 at the first), to = batch starting;        \
       value = permit-us left idle by the barrier while the ended batch's slowest tasks ran */     \
    XX(BATCH, 5, "batch")                                                                          \
    XX(PHASE, 6, "phase")   /* to = mock phase index, detail = its name */                         \
    XX(RESEND, 7, "resend") /* from = task libcurl re-sent, to = times re-sent */                  \
    XX(STALL, 8, "stall")   /* value = us the engine waited for the writer */                      \
    XX(SIGNAL, 9, "signal") /* the run was interrupted: to = signal number */                      \
    XX(DISK, 10, "disk")    /* free space fell below the reserve: value = free bytes */            \
    /* semaphore --on-error propagate, at the end of a batch in which a failure raised:            \
       from = the batch, to = its results the caller never got (batch size - 1),                   \
       value = how many of those were successes (the cascade) */                                   \
    XX(LOST, 11, "lost")                                                                           \
    /* a live threshold failed and stopped the run: from = the threshold's index in the run's      \
       list, value = its measured value (in its unit), detail = "EXPR: METRIC = VALUE over the     \
       last N s" */                                                                                \
    XX(ABORT, 12, "abort")                                                                         \
    /* run --resume continued a run whose process died: from = the last second it recorded,        \
       to = the first second of the resumed process, value = the seconds between them (the gap),   \
       detail = where the schedule and the task numbers go on */                                   \
    XX(RESUME, 13, "resume")

/* A kind of event. */
typedef enum pb_event_kind {
#define PB_EVENT_KIND_ENUM(name, value, text) PB_EVENT_##name = value,
    PB_EVENT_KIND_MAP(PB_EVENT_KIND_ENUM)
#undef PB_EVENT_KIND_ENUM
} pb_event_kind;

/* The kind as stored in events.kind ("breaker"); NULL for a value not in the table. */
const char *pb_event_kind_name(pb_event_kind k);

/* The event kind stored as `name` ("phase"), into *out; PB_ENOENT for any other text. */
int pb_event_kind_from_name(const char *name, pb_event_kind *out) PB_MUST_CHECK;

#endif
