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
#include <unistd.h>

#include <sqlite3.h>

#include "export.h"
#include "fuzz.h"
#include "html.h"
#include "json_mutator.h"
#include "merge.h"
#include "report_data.h"
#include "scoreboard.h"
#include "summary.h"

/* libFuzzer's entry points take no context: the seed database's bytes and
 * the process's scratch files. */
static uint8_t *seed;
static size_t seed_len;
static char db_path[64], out_path[80], page_path[80];

static void remove_files(void)
{
    unlink(db_path);
    unlink(out_path);
    unlink(page_path);
    char side[96];
    snprintf(side, sizeof(side), "%s-wal", out_path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", out_path);
    unlink(side);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* in memory where there is a tmpfs: every input writes and syncs two
     * databases, which on a disk held the target to about ten inputs a second */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(db_path, sizeof(db_path), "%s/pb-fuzz-json.%d.db", dir, (int)getpid());
    snprintf(out_path, sizeof(out_path), "%s/pb-fuzz-json.%d.merged.db", dir, (int)getpid());
    snprintf(page_path, sizeof(page_path), "%s/pb-fuzz-json.%d.out", dir, (int)getpid());
    FILE *f = fopen(PB_FUZZ_SEED_DB, "rb");
    FUZZ_CHECK(f != NULL);
    seed = malloc(1 << 20);
    FUZZ_CHECK(seed != NULL);
    seed_len = fread(seed, 1, 1 << 20, f);
    FUZZ_CHECK(seed_len > 0 && !ferror(f) && feof(f));
    fclose(f);
    sqlite3_hard_heap_limit64(256 << 20);
    atexit(remove_files);
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
static const fuzz_json_vocab vocab = {keys, values};

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int s)
{
    return fuzz_json_mutate(data, size, max_size, s, &vocab);
}

static void check_refusal(int rc, const pb_err *err)
{
    FUZZ_CHECK_ERR(rc, *err);
    FUZZ_CHECK(strstr(err->msg, db_path) != NULL || strstr(err->msg, out_path) != NULL ||
               strstr(err->msg, page_path) != NULL || rc == PB_ENOMEM);
}

/* The seed with text in every JSON column, its run part of compare 1. */
static void write_database(const char *text)
{
    FILE *f = fopen(db_path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(seed, 1, seed_len, f) == seed_len);
    FUZZ_CHECK(fclose(f) == 0);
    sqlite3 *db = NULL;
    FUZZ_CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
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
    int rc = pb_report_data_load(db_path, pick, id, &d, &err);
    if (rc != 0) {
        check_refusal(rc, &err);
        return;
    }
    rc = pb_summary_write_md(d, db_path, page_path, &err);
    if (rc != 0)
        check_refusal(rc, &err);
    rc = pb_summary_write_json(d, db_path, NULL, page_path, &err);
    if (rc != 0)
        check_refusal(rc, &err);
    pb_charts charts = {0};
    rc = pb_html_write(d, db_path, &charts, NULL, page_path, &err);
    if (rc != 0)
        check_refusal(rc, &err);
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

    FILE *sink = fopen("/dev/null", "w");
    FUZZ_CHECK(sink != NULL);
    pb_export_options opt = {.db_path = db_path, .pick = PB_REPORT_LAST, .format = PB_EXPORT_JSONL};
    pb_export_result res;
    memset(&err, 0, sizeof(err));
    rc = pb_export_write(&opt, sink, &res, &err);
    if (rc != 0)
        check_refusal(rc, &err);
    fclose(sink);

    const char *inputs[] = {db_path};
    pb_merge_stats st;
    memset(&err, 0, sizeof(err));
    rc = pb_merge(out_path, inputs, 1, &st, &err);
    if (rc != 0)
        check_refusal(rc, &err);
    remove_files();
    free(text);
    return 0;
}
