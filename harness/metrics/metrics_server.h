/* The live metrics server behind `--metrics [ADDR:]PORT`: libmicrohttpd on a
 * thread of its own answers GET /metrics from snapshots that the engine's
 * thread publishes once a second (and once more at the end of each run), so
 * that a scrape never touches the request path. Every run a process makes
 * (compare makes several) keeps its series, labelled with its run id, label
 * and pattern. */
#ifndef PB_METRICS_SERVER_H
#define PB_METRICS_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "errors.h"
#include "mock.h"
#include "monotime.h"

/* Runs kept on the page; beyond this the oldest is dropped. */
#define PB_METRICS_MAX_RUNS 64

/* Where the server listens. */
typedef struct pb_metrics_addr {
    char host[64]; /* a numeric address */
    bool ipv6;
    uint16_t port; /* 0 = any free port */
} pb_metrics_addr;

typedef struct pb_metrics pb_metrics;

/* Parse `[ADDR:]PORT` as --metrics takes it: a port alone listens on
 * 127.0.0.1; ADDR is a numeric IPv4 address, [IPv6] or `localhost`.
 * PB_EPARSE with a message naming --metrics. */
int pb_metrics_parse_addr(const char *text, pb_metrics_addr *out, pb_err *err) PB_MUST_CHECK;

/* Bind addr and start serving (an empty page until a run publishes).
 * PB_ENET with a message naming --metrics and the address when it cannot
 * listen (a port in use); nothing is left running then. */
int pb_metrics_start(const pb_metrics_addr *addr, pb_metrics **out, pb_err *err) PB_MUST_CHECK;

/* The page's URL, with the bound port: http://127.0.0.1:9464/metrics. */
const char *pb_metrics_url(const pb_metrics *m);

/* Take a snapshot of a run from its view and publish it (the monitor's
 * `second`; called on the engine's thread). A view after a final one starts
 * the next run's series. */
void pb_metrics_publish(pb_metrics *m, const pb_run_view *v);

/* Publish a mock server's counters, taken `at` after its start (mock
 * --metrics, once a second): from the first call on, the live page shows the
 * server at url, and /metrics serves its counters as its own port does. */
void pb_metrics_publish_mock(pb_metrics *m, const char *url, const pb_mock_stats *s, pb_usec at);

/* Before run --resume starts: fill the live page's history with the stored
 * seconds of the run cfg->resume names (streamed from cfg->db_path through
 * the store's reader; the history keeps its bounded share), so that the page
 * shows the run from its first second, and the time no process ran as a gap
 * without points. The resumed process's seconds follow on the run's time;
 * its first second is the baseline its counters are taken from (the run's
 * counters hold the earlier rows), so it is not drawn. Errors come from the
 * reader, with a message naming the file. */
int pb_metrics_resume(pb_metrics *m, const pb_run_config *cfg, pb_err *err) PB_MUST_CHECK;

/* A monitor (pb_run_config.monitor) that publishes every view into m. */
pb_run_observer pb_metrics_monitor(pb_metrics *m);

/* Wait until a page showing every run finished has been sent in full to a
 * scraper, or `max` has passed; true in the first case. */
bool pb_metrics_linger(pb_metrics *m, pb_usec max);

/* Scrapes answered so far (pages sent in full). */
uint64_t pb_metrics_scrapes(pb_metrics *m);

/* Stop serving and free everything (NULL-safe). */
void pb_metrics_stop(pb_metrics *m);

#endif
