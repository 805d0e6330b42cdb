/* The built-in mock server: a libmicrohttpd daemon whose latency, errors and
 * faults follow a configurable, time-phased, seeded profile. */
#ifndef PB_MOCK_H
#define PB_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "mock_vocab.h"
#include "monotime.h"

/* Opaque: the full mock configuration (base settings + phases + listen
 * address, threads, seed). Defined in mock_config.h. */
typedef struct pb_mock_config pb_mock_config;

/* A running server. */
typedef struct pb_mock pb_mock;

/* Create a default configuration: 127.0.0.1:0, no latency, no errors, no faults,
 * unlimited capacity, 2 threads, seed 1, idle timeout 60s, connection limit
 * from the open-file limit, admin API on without a token. */
int pb_mock_config_create(pb_mock_config **out) PB_MUST_CHECK;

/* Free a configuration (NULL-safe). */
void pb_mock_config_destroy(pb_mock_config *cfg);

/* A deep copy of cfg. */
int pb_mock_config_clone(const pb_mock_config *cfg, pb_mock_config **out) PB_MUST_CHECK;

/* The long name without dashes of the i-th option pb_mock_config_set takes
 * ("listen", "latency", ...), in the order help lists them; NULL past the last. */
const char *pb_mock_config_option(size_t i);

/* Apply one command-line option by its long name without dashes ("latency",
 * "errors", "admin-token", ...: see pb_mock_config_option).
 * Returns PB_ENOENT if `name` is not a mock option, so callers can share argv.
 * Settings given this way change the base settings and every phase that does
 * not set the same key itself; "profile" replaces settings and phases (see
 * pb_mock_config_load_json), so give it before the options it should not undo. */
int pb_mock_config_set(pb_mock_config *cfg, const char *name, const char *value,
                       pb_err *err) PB_MUST_CHECK;

/* Check what single options cannot: PB_EINVAL when the admin API would be
 * reachable beyond loopback without a token (unless --admin open). */
int pb_mock_config_check(const pb_mock_config *cfg, pb_err *err) PB_MUST_CHECK;

/* Replace the profile (settings + phases) from a JSON text, as in --profile
 * files and PUT /__admin/profile. `source` names the input in errors. Settings
 * the text does not name return to their defaults; listen, threads and seed
 * keep their values unless named. On error cfg is unchanged. */
int pb_mock_config_load_json(pb_mock_config *cfg, const char *json, const char *source,
                             pb_err *err) PB_MUST_CHECK;

/* The effective configuration as a JSON text (malloc'd, caller frees; NULL
 * only when out of memory). pb_mock_config_load_json reads it back. */
char *pb_mock_config_to_json(const pb_mock_config *cfg);

/* Number of phases including the base settings (index 0); at least 1. */
int pb_mock_config_phase_count(const pb_mock_config *cfg);

/* Offset from the phase clock's start and name of phase `index` (0 = base,
 * named "base"); the name points into cfg. */
void pb_mock_config_phase_info(const pb_mock_config *cfg, int index, pb_usec *at,
                               const char **name);

/* Called from the server's timer thread when the phase clock enters phase
 * `index` (0 = base settings, also on start and on every restart), `at` being
 * the phase's offset from the phase clock's start. Calls come one at a time,
 * in order; a phase skipped over by a late wake-up is still reported. The
 * callback must not call pb_mock_stop. */
typedef void (*pb_mock_phase_cb)(void *data, int index, const char *name, pb_usec at);

/* What the server did with one request: the rows of PB_MOCK_OUTCOME_MAP in
 * mock_vocab.h, in its order. Each kind increments the pb_mock_stats counter
 * its row names (PB_MOCK_KIND_OK: ok, PB_MOCK_KIND_ERROR: errors,
 * PB_MOCK_KIND_REJECTED_CAPACITY: rejected_capacity, PB_MOCK_KIND_RATE_LIMITED:
 * rate_limited, a fault's kind PB_MOCK_KIND_<FAULT>: the fault's counter,
 * PB_MOCK_KIND_BAD_REQUEST: bad_requests), and requests with it. */
/* clang-format off */
typedef enum pb_mock_kind {
#define PB_MOCK_KIND_ENUM_(e, counter, label) PB_MOCK_KIND_##e,
    PB_MOCK_OUTCOME_MAP(PB_MOCK_KIND_ENUM_)
#undef PB_MOCK_KIND_ENUM_
    PB_MOCK_KIND_COUNT
} pb_mock_kind;
/* clang-format on */

/* A kind's label in pb_mock_outcomes_total ("ok", "rejected_capacity",
 * "slow_body", "bad_request"); "?" for anything else. Static storage. */
const char *pb_mock_kind_name(pb_mock_kind kind);

/* What the server knows of one mock request when it is done with it. Times
 * are pb_monotime_now()'s. */
typedef struct pb_mock_request_record {
    pb_usec arrived;   /* its headers were complete (its first handler call) */
    pb_usec started;   /* its service began: when it left the capacity queue if it
                        * waited there (== ended if it never left it), else == arrived */
    pb_usec ended;     /* the server was done with it: answer sent or connection closed */
    uint64_t seq;      /* X-PB-Seq as the client sent it; 0 without has_seq */
    bool has_seq;      /* the client sent a valid X-PB-Seq */
    uint8_t attempt;   /* X-PB-Attempt; 0 when not sent, and for bad_request */
    pb_mock_kind kind; /* what the server did with it (the counter it is in) */
    uint16_t status;   /* the status counted for it in pb_mock_stats.status: the
                        * status line sent; 0 for reset, hang and malformed */
    pb_usec latency;   /* the latency the fault model drew for it (applied to ok,
                        * error, reset, malformed, slow body; drawn but not applied
                        * to hang and rejected_capacity); 0 when none was drawn
                        * (rate_limited, bad_request) */
    int phase;         /* index of the phase it arrived in (0 = base settings) */
    uint32_t capacity; /* that phase's capacity limit (0 = unlimited) */
    uint32_t queued;   /* requests waiting for a capacity slot when it arrived */
    uint64_t bytes;    /* body bytes sent: the whole body of its answer when
                        * completed (0 for HEAD), a slow body's bytes handed to
                        * libmicrohttpd so far when not; else 0 (unknown) */
    uint64_t bytes_in; /* body bytes received (POST, PUT, ...; 0 without a body) */
    bool completed;    /* libmicrohttpd ended it with MHD_REQUEST_TERMINATED_COMPLETED_OK:
                        * its whole answer was written to the socket */
} pb_mock_request_record;

/* Called once for each mock request counted in pb_mock_stats.requests (admin
 * and /metrics requests are not), when the server is done with it: once its
 * answer is sent, or its connection closed (a reset, a hang at hang-max, the
 * client gone, the server stopping; then rec->completed is false). So per
 * kind and per status the calls add up to the counters once every connection
 * has closed or the server has stopped. Called from libmicrohttpd's threads,
 * several at once with threads >= 2, never with the server's locks held;
 * `rec` lives for the call only. The callback must not call pb_mock_stop and
 * should return quickly: its connection waits for it. */
typedef void (*pb_mock_request_cb)(void *data, const pb_mock_request_record *rec);

/* Whom a server reports to. Any member may be NULL. */
typedef struct pb_mock_hooks {
    pb_mock_phase_cb phase;     /* each phase the phase clock enters */
    pb_mock_request_cb request; /* each mock request the server is done with */
    void *data;                 /* passed to both */
} pb_mock_hooks;

/* Largest request body the mock takes: a longer one is answered 413 (kind
 * bad_request), at once when its Content-Length says so, else once read. */
#define PB_MOCK_MAX_REQUEST_BODY (64u << 20)

/* Start a server with a copy of cfg (checked with pb_mock_config_check
 * first), reporting to a copy of *hooks (NULL for none) from before its first
 * request. The bound port is known on return.
 * Requests carrying a header "X-PB-Seq: N" (N < 2^56), and optionally
 * "X-PB-Attempt: K" (0..255, default 0), draw their fault and latency from
 * random stream (N, K) of the seed; others from an arrival counter. So the
 * same seed and numbering give the same faults whatever the thread count,
 * and a client's retry with a new K gets a fresh draw. */
int pb_mock_start_hooked(const pb_mock_config *cfg, const pb_mock_hooks *hooks, pb_mock **out,
                         pb_err *err) PB_MUST_CHECK;

/* pb_mock_start_hooked with a phase callback `cb` (may be NULL) only. */
int pb_mock_start(const pb_mock_config *cfg, pb_mock_phase_cb cb, void *cb_data, pb_mock **out,
                  pb_err *err) PB_MUST_CHECK;

/* The bound TCP port. */
uint16_t pb_mock_port(const pb_mock *m);

/* "http://127.0.0.1:PORT" (static storage inside m). */
const char *pb_mock_url(const pb_mock *m);

/* Restart the phase clock at 0 (same as POST /__admin/phase/restart). */
void pb_mock_restart_phases(pb_mock *m);

/* Restart the phase clock reading `at` now: the phases go on as if it had run
 * since `at` ago (a resumed run's phases continue where they were). Each
 * phase up to the one `at` falls in is announced to the phase hook at once. */
void pb_mock_restart_phases_at(pb_mock *m, pb_usec at);

/* Replace the running profile from a JSON text (same as PUT /__admin/profile):
 * validated first, the old profile stays on error. The phase clock restarts.
 * listen and threads cannot change on a running server (PB_EINVAL). */
int pb_mock_set_profile(pb_mock *m, const char *json, const char *source,
                        pb_err *err) PB_MUST_CHECK;

/* The running profile as JSON (malloc'd, caller frees; NULL when out of memory). */
char *pb_mock_profile_json(pb_mock *m);

/* Counters since start and gauges now; the fields are the rows of
 * PB_MOCK_COUNTER_MAP and PB_MOCK_GAUGE_MAP in mock_vocab.h, which say what
 * each counts. */
typedef struct pb_mock_stats {
#define PB_MOCK_STATS_COUNTER_(counter, metric, label) uint64_t counter;
    PB_MOCK_COUNTER_MAP(PB_MOCK_STATS_COUNTER_)
#undef PB_MOCK_STATS_COUNTER_
    uint64_t status[600]; /* per HTTP status answered (faults of status 0 have none) */
#define PB_MOCK_STATS_GAUGE_(gauge, type, metric, merge) type gauge;
    PB_MOCK_GAUGE_MAP(PB_MOCK_STATS_GAUGE_)
#undef PB_MOCK_STATS_GAUGE_
} pb_mock_stats;

/* Snapshot the counters (thread-safe). */
void pb_mock_get_stats(pb_mock *m, pb_mock_stats *out);

/* Stop and free the server (NULL-safe); requests in flight (delayed, queued,
 * hung, a slow body half sent) are dropped: their connections are closed.
 * Every request counted has had its request callback when this returns, and
 * no callback runs after. */
void pb_mock_stop(pb_mock *m);

/* pb_mock_stop, filling *out with the counters as they stand once no
 * request can be counted any more, so that the request callback was called
 * exactly once for each request they count. The gauges are a stopped
 * server's: nothing in flight, queued or connected; the phase at the stop.
 * With m NULL, *out is zeroed. */
void pb_mock_stop_stats(pb_mock *m, pb_mock_stats *out);

#endif
