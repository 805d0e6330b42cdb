/* The mock server's view of a run, recorded: every request the built-in mock
 * answers becomes a `requests` row of a run of its own (pattern "mock"), with
 * the rollup, phase events and a summary, so that `report`, `export` and
 * `merge` read it as any run. `patternbench mock --db` records this way, and
 * so do the Python arms of `reproduce`. docs/schema.md says what each column
 * holds in such a run.
 *
 * Order: create, start the mock with the hooks, begin (the run row takes the
 * mock's URL; requests answered before it are held and recorded then),
 * detach, stop the mock, end. The run's clock starts at create.
 *
 * Threads: the hooks may be called from any thread, several at once (the
 * mock's threads); they take one lock, which serialises them into the
 * recorder's single producer. A thread of its own closes each second. */
#ifndef PB_SERVER_RECORDING_H
#define PB_SERVER_RECORDING_H

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

/* Before stopping the mock: stop closing seconds and reading its gauges
 * (NULL-safe). */
void pb_server_recording_detach(pb_server_recording *s);

/* The run's id in the database (0 before begin). */
int64_t pb_server_recording_run_id(const pb_server_recording *s);

/* After the mock has stopped (every request has been handed over; detaches
 * first if not done): write
 * the last seconds and the summary with the mock's final counters, set the
 * status ("completed", "interrupted", "failed") and free s (NULL-safe).
 * Returns the recorder's error, naming the file. */
int pb_server_recording_end(pb_server_recording *s, const pb_mock_stats *final,
                            const char *status, pb_err *err);

#endif
