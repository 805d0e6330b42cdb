/* The mock server's counters written out: the JSON of GET /__admin/stats
 * (and of a run summary's "server"), the Prometheus text of /metrics, and
 * the "name value" lines `patternbench mock` prints when it stops. All three
 * are generated from the tables of mock_vocab.h. */
#ifndef PB_MOCK_STATS_H
#define PB_MOCK_STATS_H

#include <stdio.h>

#include <jansson.h>

#include "mock.h"

/* The counters and gauges as a JSON object, then "status": {"CODE": count}
 * for each status answered (new reference, caller decrefs; NULL when out of
 * memory). */
json_t *pb_mock_stats_json(const pb_mock_stats *s);

/* pb_mock_stats_json as indented text (malloc'd, caller frees; NULL when out
 * of memory). */
char *pb_mock_stats_to_json(const pb_mock_stats *s);

/* The counters and gauges in Prometheus text exposition format 0.0.4
 * (malloc'd, caller frees; NULL when out of memory). */
char *pb_mock_stats_to_prometheus(const pb_mock_stats *s);

/* Write one "counter value" line per counter, then "status CODE count" per
 * status answered, and flush. PB_EIO when `out` cannot be written. */
int pb_mock_stats_print(const pb_mock_stats *s, FILE *out) PB_MUST_CHECK;

#endif
