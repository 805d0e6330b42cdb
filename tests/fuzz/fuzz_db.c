/* A database file as a user may hand one over: damaged, truncated, or made
 * by someone else. The input is the file's bytes (seeds: small real
 * databases of a run, a compare and a server-side run); the report's loader,
 * export in each format and merge's reading of its inputs run on it. Each
 * either reads it or refuses it with a message naming the file; none may
 * crash, read out of bounds, or take memory or time beyond what the file
 * holds (SQLite's heap is capped at 256 MiB; libFuzzer's -rss_limit_mb and
 * -timeout bound the rest). */
#include "fuzz.h"
#include "fuzz_scratch_db.h"
#include "report_data.h"

/* libFuzzer's entry points take no context: the process's scratch files. */
static const fuzz_scratch_db *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    scratch = fuzz_scratch_db_init("db");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    fuzz_scratch_db_write(scratch, data, len);

    pb_err err = {0};
    pb_report_data *d = NULL;
    int rc = pb_report_data_load(scratch->db, PB_REPORT_LAST, 0, &d, &err);
    if (rc != 0)
        fuzz_scratch_db_refused(scratch, rc, &err);
    pb_report_data_destroy(d);

    fuzz_scratch_db_export(scratch, PB_EXPORT_CSV);
    fuzz_scratch_db_export(scratch, PB_EXPORT_JSONL);
    fuzz_scratch_db_export(scratch, PB_EXPORT_HGRM);
    fuzz_scratch_db_merge(scratch);
    fuzz_scratch_db_remove(scratch);
    return 0;
}
