/* Reading a patternbench database: the other rooms' one way in. A reader
 * opens a file read-only in one read transaction, so a run being written is
 * read as of one instant, and hands back C structs: runs, compares, the
 * per-second rollup (seconds.h's rows), events, and request rows, streamed
 * through a callback in constant memory. Files of every schema version up to
 * pb_schema_version() are read as they are (docs/schema.md says what an older
 * one lacks); nothing is ever written. */
#ifndef PB_READER_H
#define PB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "rows.h"
#include "seconds.h"
#include "vocabulary.h"

typedef struct pb_reader pb_reader;

/* Open path read-only and start its read transaction. A missing file, one
 * that is not a regular file, not a patternbench database, or of a newer
 * schema version than this build reads is refused with a message naming it. */
int pb_reader_open(const char *path, pb_reader **out, pb_err *err) PB_MUST_CHECK;

/* End the read transaction and close (NULL-safe). */
void pb_reader_close(pb_reader *rd);

/* The file's schema version (1 .. pb_schema_version()). */
int pb_reader_version(const pb_reader *rd);

/* A `runs` row. Text columns are "" when NULL except the JSON texts, which
 * stay NULL; the caller owns every string (pb_store_run_cleanup). */
typedef struct pb_store_run {
    int64_t id, compare_id; /* compare_id 0: a lone run */
    char *label, *pattern, *target, *status, *host;
    char *params_json, *config_json, *versions_json, *summary_json;
    uint64_t seed;
    int64_t started_at, ended_at; /* us since the epoch; 0 when NULL */
    int64_t duration_us;          /* -1 when NULL (running or killed) */
    bool has_bounds;              /* first_request .. last_request bound its request rowids */
    int64_t first_request, last_request;
} pb_store_run;

/* Free a run's strings (NULL-safe). */
void pb_store_run_cleanup(pb_store_run *run);

/* The most recently started run: its id and its compare's (0 for a lone
 * run). PB_ENOENT when the file holds no runs yet. */
int pb_reader_last(pb_reader *rd, int64_t *run_id, int64_t *compare_id,
                   pb_err *err) PB_MUST_CHECK;

/* The run with id `id`, or all runs of compare `id` (by_compare), in id
 * order, appended to *runs (grown with realloc; *n counts them). Finding
 * none is no error. */
int pb_reader_runs(pb_reader *rd, bool by_compare, int64_t id, pb_store_run **runs, size_t *n,
                   pb_err *err) PB_MUST_CHECK;

/* A `compares` row; text "" when NULL except scenario_json and
 * thresholds_json. The caller owns the strings (pb_store_compare_cleanup). */
typedef struct pb_store_compare {
    int64_t id;
    char *title, *scenario_path, *status;
    char *scenario_json, *thresholds_json;
    uint64_t seed;
    int64_t started_at, ended_at; /* 0 when NULL */
} pb_store_compare;

/* Compare `id` into *out; PB_ENOENT naming the file when there is none. */
int pb_reader_compare(pb_reader *rd, int64_t id, pb_store_compare *out, pb_err *err) PB_MUST_CHECK;

/* Free a compare's strings (NULL-safe). */
void pb_store_compare_cleanup(pb_store_compare *c);

/* Count into the reader's view of run_id the request rows and `lost` events
 * that its stored rollup has not counted yet: a run that ended without its
 * final summary (killed, or still running) has rows a few seconds ahead of
 * its `seconds` rows, since a second is written only when the window of open
 * seconds moves past it. They are counted by the store's own rollup and read
 * after the stored seconds by pb_reader_seconds and pb_reader_span, as unmarked
 * seconds. *tail_rows is the number of request rows counted. Once per run. */
int pb_reader_complete_tail(pb_reader *rd, int64_t run_id, uint64_t *tail_rows,
                            pb_err *err) PB_MUST_CHECK;

/* How many `seconds` rows run_id has and its span: the last second + 1 (0
 * without rows). */
int pb_reader_span(pb_reader *rd, int64_t run_id, uint64_t *rows, uint64_t *span_s,
                   pb_err *err) PB_MUST_CHECK;

/* Called once per row; a non-zero return stops the walk and is returned. */
typedef int (*pb_reader_second_fn)(void *data, const pb_second_row *row);

/* Every `seconds` row of run_id in second order (blobs valid during the
 * call). An older file's rows have its missing columns unknown, or counted by
 * the column's rule (seconds.h). */
int pb_reader_seconds(pb_reader *rd, int64_t run_id, pb_reader_second_fn fn, void *data,
                      pb_err *err) PB_MUST_CHECK;

/* An `events` row (strings valid during the call; detail may be NULL). */
typedef struct pb_store_event {
    uint64_t t_us;
    bool has_from, has_to, has_value;
    int64_t from, to;
    double value;
    const char *detail;
} pb_store_event;

typedef int (*pb_reader_event_fn)(void *data, const pb_store_event *ev);

/* The events of one kind of run_id in time order, at most `limit` (0: all). */
int pb_reader_events(pb_reader *rd, int64_t run_id, pb_event_kind kind, size_t limit,
                     pb_reader_event_fn fn, void *data, pb_err *err) PB_MUST_CHECK;

typedef int (*pb_reader_request_fn)(void *data, const pb_request_row *row);

/* A run's request rows in the order they were stored, unpacked (requests.code
 * by request_code.h; has_seq false in a file older than version 3, has_target
 * and has_bytes_in false in one older than version 4). */
int pb_reader_requests(pb_reader *rd, const pb_store_run *run, pb_reader_request_fn fn,
                       void *data, pb_err *err) PB_MUST_CHECK;

/* Where a run whose process died stands, for run --resume to go on from. */
typedef struct pb_store_resume {
    uint64_t span_s;    /* the last second holding anything of the run (a second of the rollup,
                           the end of a request, an event) + 1; 0 for none */
    bool has_task;      /* its request rows carry task numbers (requests.seq) */
    uint64_t last_task; /* the highest of them */
    uint64_t gap_s;     /* seconds earlier resumes left out: their `resume` events' values */
} pb_store_resume;

/* Where run_id stands (its tail counted as pb_reader_complete_tail does). */
int pb_reader_resume_point(pb_reader *rd, int64_t run_id, pb_store_resume *out,
                           pb_err *err) PB_MUST_CHECK;

/* The bytes the table `table` takes in the file (SQLite's dbstat);
 * PB_ENOTSUP when this SQLite has no dbstat. */
int pb_reader_table_bytes(pb_reader *rd, const char *table, uint64_t *bytes,
                          pb_err *err) PB_MUST_CHECK;

#endif
