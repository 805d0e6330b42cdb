/* The JSON a database holds beside its rows: a run's summary, configuration
 * and parameters and a compare's thresholds, as someone else's tool or a
 * damaged file may have left them. The input is JSON text; it goes into
 * every one of those columns of a small real database (the seed of
 * corpus/db, its run made part of a compare), and the readers report and
 * merge use run on it: the report's loader (the run's page and the
 * compare's), its summary.md, summary.json and page, the scoreboard from
 * summaries, export, and merge's reading of its input. Each either reads it
 * or refuses it with a message naming the file; none may crash or read out
 * of bounds (flags/stored_json bounds time and memory per input). */
#include <sqlite3.h>

#include "fuzz.h"
#include "fuzz_scratch_db.h"
#include "html.h"
#include "json_mutator.h"
#include "report_data.h"
#include "scoreboard.h"
#include "summary.h"

/* libFuzzer's entry points take no context: the seed database's bytes and
 * the process's scratch files. */
static uint8_t *seed;
static size_t seed_len;
static const fuzz_scratch_db *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    scratch = fuzz_scratch_db_init("json");
    FILE *f = fopen(PB_FUZZ_SEED_DB, "rb");
    FUZZ_CHECK(f != NULL);
    seed = malloc(1 << 20);
    FUZZ_CHECK(seed != NULL);
    seed_len = fread(seed, 1, 1 << 20, f);
    FUZZ_CHECK(seed_len > 0 && !ferror(f) && feof(f));
    fclose(f);
    return 0;
}

/* keys of the stored summaries, configurations, parameters and thresholds */
static const char *const keys[] = {
    "run_id", "run_status", "pattern_name", "requests", "failed", "lost", "answered", "duration_s",
    "duration_us", "rps", "error_rate", "outcomes", "ok", "latency_us", "p50", "p99", "p999",
    "max", "phases", "phase", "start_s", "end_s", "generator_bound", "seconds",
    "seconds_saturated", "harness", "cpu_pct_max", "rss_max_bytes", "mock", "latency", "errors",
    "faults", "params", "pattern", "label", "target", "limit", "thresholds", "expr", "pass",
    "server", "status", "name", NULL};
static const char *const values[] = {
    "0", "-1", "1e308", "-1e308", "18446744073709551615", "9223372036854775807", "0.5", "\"\"",
    "\"p99 < 250ms\"", "\"reset:1\"", "\"fixed:3ms\"", "\"completed\"", "[]", "{}", "null",
    "true", "false", NULL};
FUZZ_JSON_MUTATOR(keys, values)

/* The seed with text in every JSON column, its run part of compare 1. */
static void write_database(const char *text)
{
    fuzz_scratch_db_write(scratch, seed, seed_len);
    sqlite3 *db = NULL;
    FUZZ_CHECK(sqlite3_open(scratch->db, &db) == SQLITE_OK);
    static const char *const sql[] = {
        "INSERT INTO compares(id, title, started_at, ended_at, status, thresholds_json) "
        "VALUES (1, 'fuzz', 0, 1, 'completed', ?1)",
        "UPDATE runs SET summary_json = ?1, config_json = ?1, params_json = ?1, compare_id = 1"};
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        sqlite3_stmt *st = NULL;
        FUZZ_CHECK(sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) == SQLITE_OK);
        FUZZ_CHECK(sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC) == SQLITE_OK);
        FUZZ_CHECK(sqlite3_step(st) == SQLITE_DONE);
        sqlite3_finalize(st);
    }
    FUZZ_CHECK(sqlite3_close(db) == SQLITE_OK);
}

/* The report's loader and what it writes from the data. */
static void report(pb_report_pick pick, int64_t id)
{
    pb_err err = {0};
    pb_report_data *d = NULL;
    int rc = pb_report_data_load(scratch->db, pick, id, &d, &err);
    if (rc != 0) {
        fuzz_scratch_db_refused(scratch, rc, &err);
        return;
    }
    rc = pb_summary_write_md(d, scratch->db, scratch->out, &err);
    if (rc != 0)
        fuzz_scratch_db_refused(scratch, rc, &err);
    rc = pb_summary_write_json(d, scratch->db, NULL, scratch->out, &err);
    if (rc != 0)
        fuzz_scratch_db_refused(scratch, rc, &err);
    pb_charts charts = {0};
    rc = pb_html_write(d, scratch->db, &charts, NULL, scratch->out, &err);
    if (rc != 0)
        fuzz_scratch_db_refused(scratch, rc, &err);
    pb_scoreboard *sb = NULL;
    rc = pb_report_scoreboard(d, &sb, &err);
    if (rc != 0)
        FUZZ_CHECK_ERR(rc, err);
    pb_scoreboard_destroy(sb);
    pb_report_data_destroy(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *text = fuzz_cstr(data, len);
    write_database(text);
    report(PB_REPORT_LAST, 0);
    report(PB_REPORT_COMPARE, 1);

    pb_err err = {0};
    const char *summaries[] = {text, text};
    const char *labels[] = {"a", "b"};
    pb_scoreboard *sb = NULL;
    int rc = pb_scoreboard_from_summaries(summaries, 2, 1, labels, &sb, &err);
    if (rc != 0)
        FUZZ_CHECK_ERR(rc, err);
    pb_scoreboard_destroy(sb);

    fuzz_scratch_db_export(scratch, PB_EXPORT_JSONL);
    fuzz_scratch_db_merge(scratch);
    fuzz_scratch_db_remove(scratch);
    free(text);
    return 0;
}
