/* An HTTP client on a libuv loop: libcurl's multi_socket API driven by
 * uv_poll and uv_timer (the glue of curl's docs/examples/multi-uv.c). Easy
 * handles are kept in a pool and reused, so connections stay alive and a
 * request allocates nothing once the pool has grown to the peak in flight. */
#ifndef PB_HTTP_CLIENT_H
#define PB_HTTP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>
#include <uv.h>

#include "errors.h"
#include "monotime.h"
#include "status_set.h"
#include "target.h"
#include "vocabulary.h"

typedef struct pb_http pb_http;

/* How one request ended, handed to the done callback (valid during the call only). */
typedef struct pb_http_result {
    void *user; /* as given to pb_http_start */
    pb_outcome outcome;
    int curl_code;      /* CURLcode */
    uint16_t status;    /* HTTP status, 0 without a response */
    pb_usec started;    /* monotonic instant pb_http_start was called */
    pb_usec connect_us; /* 0 when an idle connection was reused */
    pb_usec ttfb_us;
    pb_usec total_us;
    uint64_t bytes;      /* response headers + body */
    pb_usec retry_after; /* from a Retry-After header, 0 if none */
    uint32_t resent;     /* times libcurl re-sent the request on a fresh connection
                            because the reused one closed before any byte came back */
    const char *error;   /* libcurl's message when curl_code != 0, else "" */
} pb_http_result;

/* Called on the loop thread when a request ends; may call pb_http_start. */
typedef void (*pb_http_done_cb)(void *data, const pb_http_result *res);

/* What a client sends and how. The targets and cacert are borrowed: they
 * must outlive the client (and are only read, by every lane's thread); the
 * rest is copied. */
typedef struct pb_http_config {
    const char *url;          /* for a target without a URL of its own (and with no targets) */
    const pb_target *targets; /* the requests pb_http_start picks from; none = GET url */
    uint32_t n_targets;
    pb_usec timeout;         /* per request (CURLOPT_TIMEOUT_MS) */
    const pb_status_set *ok; /* statuses whose outcome is ok; NULL = 2xx */
    const char *cacert;      /* CA certificates to verify https:// servers with; NULL = the
                                system's */
    bool insecure;           /* do not verify https:// servers' certificates or names */
} pb_http_config;

/* Create a client on `loop` sending what cfg describes. slots: easy handles
 * preallocated (the pool grows on demand up to PB_HTTP_MAX_SLOTS). */
int pb_http_create(uv_loop_t *loop, const pb_http_config *cfg, uint32_t slots, pb_http_done_cb cb,
                   void *cb_data, pb_http **out, pb_err *err) PB_MUST_CHECK;

/* Most requests in flight at once. */
#define PB_HTTP_MAX_SLOTS 65536u

/* Start the request of target number `target` (below the config's
 * n_targets; 0 without targets), carrying the headers `X-PB-Seq: seq` and
 * `X-PB-Attempt: attempt` (capped at 255), from which the mock server draws
 * the request's fault; `user` comes back in the result. PB_EFULL when
 * PB_HTTP_MAX_SLOTS are in flight, PB_ENOMEM/PB_ENET when libcurl refuses. */
int pb_http_start(pb_http *h, uint64_t seq, uint32_t attempt, uint32_t target, void *user,
                  pb_err *err) PB_MUST_CHECK;

/* Requests in flight. */
uint32_t pb_http_in_flight(const pb_http *h);

/* The first failure of libcurl's multi interface (out of memory...), "" if none. */
const char *pb_http_error(const pb_http *h);

/* Connections (sockets) opened so far. */
uint64_t pb_http_connections(const pb_http *h);

/* Easy handles allocated so far (the pool's high-water mark). */
uint32_t pb_http_slots(const pb_http *h);

/* Abandon every request in flight without calling back; returns how many. */
uint32_t pb_http_abort_all(pb_http *h);

/* Abandon what is in flight, release libcurl and start closing the uv handles.
 * The caller then runs the loop until it has no handles left and calls
 * pb_http_destroy (NULL-safe). */
void pb_http_close(pb_http *h);

/* Free the client after pb_http_close and the loop run (NULL-safe). */
void pb_http_destroy(pb_http *h);

/* The outcome of a finished transfer from libcurl's result and the HTTP
 * status: ok when the status is in `ok` (NULL = 2xx), http_error for another. */
pb_outcome pb_http_outcome(int curl_code, long status, const pb_status_set *ok);

/* Parse a Retry-After header value ("120" or an HTTP date, relative to the
 * wall clock `now_epoch` in seconds) into microseconds; 0 if unparseable. */
pb_usec pb_http_parse_retry_after(const char *value, int64_t now_epoch);

#endif
