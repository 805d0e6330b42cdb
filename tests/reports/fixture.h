/* Test databases of the shape docs/schema.md describes, written directly
 * with SQL: runs with a per-second rollup (histograms included), mock
 * phases, breaker transitions, limit changes, drops and retries. */
#ifndef PB_TEST_FIXTURE_H
#define PB_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* One run to generate. The pattern decides the internals: "breaker" opens
 * during the error phase and rejects, "adaptive" changes its limit twice a
 * second, "backpressure" queues and drops during the latency phase. */
typedef struct fx_run_spec {
    const char *label;
    const char *pattern;
    const char *status;   /* "completed", "running", ... */
    int64_t compare_id;   /* 0 = lone run */
    int seconds;          /* rollup rows */
    int rate;             /* requests per second */
    bool summary;         /* write summary_json (with thresholds) */
    bool retries;
    bool no_hist;         /* leave seconds.hist NULL, with fixed percentiles (fast) */
    uint64_t seed;
} fx_run_spec;

/* Phases every generated run goes through: base, a latency spike, errors, base. */
#define FX_PHASE_LATENCY_START 10
#define FX_PHASE_ERRORS_START 20
#define FX_PHASE_ERRORS_END 25

/* Create (or truncate) a database at path with the schema, WAL mode. */
sqlite3 *fx_create(const char *path);

/* Insert a compare row; returns its id. */
int64_t fx_compare(sqlite3 *db, const char *title, const char *status, uint64_t seed);

/* Generate one run; returns its id. Totals of what was generated go to
 * *requests and *errors (failed sent requests) when not NULL. */
int64_t fx_run(sqlite3 *db, const fx_run_spec *spec, uint64_t *requests, uint64_t *failed);

/* Close, asserting success. */
void fx_close(sqlite3 *db);

/* A fresh temporary folder (mkdtemp) for a test; the caller removes it with test_rmtree. */
void fx_tempdir(char *out, size_t cap);

/* A test's workspace: a fresh temporary folder `dir` (PATH_MAX bytes each),
 * the database path dir/pb.db and the report folder dir/report. */
void fx_workspace(char *dir, char *db_path, char *out);

/* out = "dir/name", asserting it fits. */
void fx_path(char *out, size_t cap, const char *dir, const char *name);

/* True if dir/name is a non-empty regular file. */
bool fx_exists(const char *dir, const char *name);

/* Assert dir/name is a PNG of chart size (800-2000 x 300-2000 px) with content. */
void fx_assert_png(const char *dir, const char *name);

/* Assert dir/index.html fetches nothing and every src= and href= names a file
 * in dir; *images gets the number of src= references. */
void fx_assert_page_self_contained(const char *dir, size_t *images);

#endif
