/* A database file as a user may hand one over: damaged, truncated, or made
 * by someone else. The input is the file's bytes (seeds: small real
 * databases of a run, a compare and a server-side run); the report's loader,
 * export in each format and merge's reading of its inputs run on it. Each
 * either reads it or refuses it with a message naming the file; none may
 * crash, read out of bounds, or take memory or time beyond what the file
 * holds (SQLite's heap is capped at 256 MiB; libFuzzer's -rss_limit_mb and
 * -timeout bound the rest). */
#include <unistd.h>

#include <sqlite3.h>

#include "export.h"
#include "fuzz.h"
#include "merge.h"
#include "report_data.h"

/* libFuzzer's entry points take no context: the process's scratch files. */
static char db_path[64], out_path[80];

static void remove_files(void)
{
    unlink(db_path);
    unlink(out_path);
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
    snprintf(db_path, sizeof(db_path), "/tmp/pb-fuzz-db.%d.db", (int)getpid());
    snprintf(out_path, sizeof(out_path), "/tmp/pb-fuzz-db.%d.merged.db", (int)getpid());
    sqlite3_hard_heap_limit64(256 << 20);
    atexit(remove_files);
    return 0;
}

static void check_refusal(int rc, const pb_err *err)
{
    FUZZ_CHECK_ERR(rc, *err);
    /* every refusal names the file it refuses */
    FUZZ_CHECK(strstr(err->msg, db_path) != NULL || strstr(err->msg, out_path) != NULL ||
               rc == PB_ENOMEM);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    FILE *f = fopen(db_path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, len, f) == len);
    FUZZ_CHECK(fclose(f) == 0);

    pb_err err = {0};
    pb_report_data *d = NULL;
    int rc = pb_report_data_load(db_path, PB_REPORT_LAST, 0, &d, &err);
    if (rc != 0)
        check_refusal(rc, &err);
    pb_report_data_destroy(d);

    FILE *sink = fopen("/dev/null", "w");
    FUZZ_CHECK(sink != NULL);
    static const pb_export_format formats[] = {PB_EXPORT_CSV, PB_EXPORT_JSONL, PB_EXPORT_HGRM};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        pb_export_options opt = {.db_path = db_path, .pick = PB_REPORT_LAST, .format = formats[i]};
        pb_export_result res;
        memset(&err, 0, sizeof(err));
        rc = pb_export_write(&opt, sink, &res, &err);
        if (rc != 0)
            check_refusal(rc, &err);
    }
    fclose(sink);

    /* merge reads its inputs before writing: one file is two segments of
     * nothing, refused, or (a lone segment 0/1) merged into the output */
    const char *inputs[] = {db_path};
    pb_merge_stats st;
    memset(&err, 0, sizeof(err));
    rc = pb_merge(out_path, inputs, 1, &st, &err);
    if (rc != 0)
        check_refusal(rc, &err);
    remove_files();
    return 0;
}
