/* The HTTP client spread over several threads ("lanes"), behind the same
 * shape of API as pb_http. One libcurl multi handle on one thread tops out at
 * about half of what wrk does (libcurl spends about twice wrk's CPU per
 * request; see bench/harness_vs_wrk.sh), so the engine can give its transfers
 * to `threads` lanes, each a pb_http on a loop of its own thread, while the
 * caller's loop keeps the pattern, the recorder and the clock. With one lane
 * the pb_http runs on the caller's loop and nothing is handed over.
 *
 * A request goes to the lane with the fewest requests in flight, so the lanes
 * stay within one request of each other and each keeps as many keep-alive
 * connections as its share of the peak: the connections opened match the
 * peak concurrency, as with one lane, whatever slots the pattern uses.
 * Everything the caller sees happens on its loop thread: pb_lanes_start,
 * the done callback, the counters. Each direction is a mutex-guarded buffer
 * that the taker swaps whole for an empty one; a loop wakes the other side
 * once per turn, just before it would block (uv_prepare + uv_async), so a busy
 * run pays one wake-up per batch rather than per request. */
#ifndef PB_HTTP_LANES_H
#define PB_HTTP_LANES_H

#include <stdint.h>

#include <uv.h>

#include "errors.h"
#include "http_client.h"
#include "monotime.h"

typedef struct pb_lanes pb_lanes;

/* Most lanes (threads) a client may have. */
#define PB_LANES_MAX 64u

/* Create a client sending what cfg describes (borrowed, as by
 * pb_http_create) with `threads` lanes (1 = on the caller's loop, no thread).
 * slots: easy handles preallocated in all, shared out among the lanes; cb and
 * cb_data as for pb_http_create. */
int pb_lanes_create(uv_loop_t *loop, const pb_http_config *cfg, uint32_t slots, uint32_t threads,
                    pb_http_done_cb cb, void *cb_data, pb_lanes **out, pb_err *err) PB_MUST_CHECK;

/* Start a request as pb_http_start does, on the lane with the fewest requests in
 * flight; with lane threads it goes out when the caller's loop next turns. A lane thread
 * that cannot start it reports it through the done callback (outcome
 * other_error with libcurl's message) and through pb_lanes_error. PB_ESTATE
 * after pb_lanes_abort_all. */
int pb_lanes_start(pb_lanes *l, uint64_t seq, uint32_t attempt, uint32_t target, void *user,
                   pb_err *err) PB_MUST_CHECK;

/* Requests started and not yet called back. */
uint32_t pb_lanes_in_flight(const pb_lanes *l);

/* The first failure of any lane's libcurl multi interface, "" if none. */
const char *pb_lanes_error(pb_lanes *l);

/* Connections opened so far by all lanes (as of their last completion). */
uint64_t pb_lanes_connections(pb_lanes *l);

/* Lanes in use. */
uint32_t pb_lanes_threads(const pb_lanes *l);

/* Abandon every request in flight without calling back, stopping the lane
 * threads (they are joined before this returns); returns how many. Only
 * pb_lanes_close and pb_lanes_destroy may follow. */
uint32_t pb_lanes_abort_all(pb_lanes *l);

/* Abandon what is in flight, stop the threads and start closing the handles
 * on the caller's loop, which it then runs until none are left before calling
 * pb_lanes_destroy (NULL-safe). */
void pb_lanes_close(pb_lanes *l);

/* Free the client after pb_lanes_close and the loop run (NULL-safe). */
void pb_lanes_destroy(pb_lanes *l);

#endif
