/* The mock server's view of a run, recorded: every request the built-in mock
 * answers becomes a `requests` row of a run of its own (pattern "mock"), with
 * the rollup, phase events and a summary, so that `report`, `export` and
 * `merge` read it as any run. `patternbench mock --db` records this way, and
 * so do the Python arms of `reproduce`. docs/schema.md says what each column
 * holds in such a run.
 *
 * Order: create, start the mock with the hooks, begin (the run row takes the
 * mock's URL; requests answered before it are held and recorded then), stop
 * (the mock and the recording). The run's clock starts at create.
 *
 * Threads: the hooks may be called from any thread, several at once (the
 * mock's threads); they take one lock, which serialises them into the
 * recorder's single producer. A thread of its own closes each second. */
#ifndef PB_SERVER_RECORDING_H
#define PB_SERVER_RECORDING_H

#include <stdbool.h>
#include <stdint.h>

#include "errors.h"
#include "mock.h"
#include "recorder.h"

typedef struct pb_server_recording pb_server_recording;

/* What the run row says of the server. Strings are copied at begin. */
typedef struct pb_server_run_info {
    const char *label;          /* NULL = "mock" */
    int64_t compare_id;         /* 0 = none */
    const pb_mock_config *mock; /* its profile goes into config_json */
    uint32_t keep_every;        /* request rows stored: 0 or 1 = all, N = one in N (--record) */
    bool rollup_only;           /* store no request rows: the rollup and events only */
    uint64_t keep_requests_us;  /* drop request rows this much older than the newest; 0 = keep */
} pb_server_run_info;

/* A recording into rec, whose clock starts now; nothing is written yet. The
 * phase hook also calls `then` (may be NULL) with then_data, for a caller
 * that logs phases. */
int pb_server_recording_create(pb_recorder *rec, const pb_server_run_info *info,
                               pb_mock_phase_cb then, void *then_data,
                               pb_server_recording **out, pb_err *err) PB_MUST_CHECK;

/* The hooks to start the mock with (data = s). */
void pb_server_recording_hooks(pb_server_recording *s, pb_mock_hooks *out);

/* Once the mock listens: insert the run row (target = its URL) and start
 * closing seconds. m's gauges give each second's in-flight count. */
int pb_server_recording_begin(pb_server_recording *s, pb_mock *m, pb_err *err) PB_MUST_CHECK;

/* The run's id in the database (0 before begin). */
int64_t pb_server_recording_run_id(const pb_server_recording *s);

/* Stop the mock m and end the recording s, in the order that loses nothing:
 * stop closing seconds and reading m's gauges, stop m (pb_mock_stop_stats:
 * every request has been handed over; its final counters into *final, which
 * may be NULL), then write the last seconds and the summary with those
 * counters, set the status ("completed", "interrupted", "failed") and free s.
 * s NULL: only stops m; m may be NULL. Returns the recorder's error, naming
 * the file. */
int pb_server_recording_stop(pb_server_recording *s, pb_mock *m, const char *status,
                             pb_mock_stats *final, pb_err *err);

#endif
