/* The database fuzz targets' scratch files and shared readers. */
#include "fuzz_scratch_db.h"

#include <unistd.h>

#include <sqlite3.h>

#include "fuzz.h"
#include "merge.h"

/* libFuzzer's entry points take no context, nor does atexit: the process's files. */
static fuzz_scratch_db scratch;

void fuzz_scratch_db_remove(const fuzz_scratch_db *s)
{
    unlink(s->db);
    unlink(s->merged);
    unlink(s->out);
    char side[96];
    snprintf(side, sizeof(side), "%s-wal", s->merged);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", s->merged);
    unlink(side);
}

static void remove_at_exit(void)
{
    fuzz_scratch_db_remove(&scratch);
}

const fuzz_scratch_db *fuzz_scratch_db_init(const char *name)
{
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    int pid = (int)getpid();
    snprintf(scratch.db, sizeof(scratch.db), "%s/pb-fuzz-%s.%d.db", dir, name, pid);
    snprintf(scratch.merged, sizeof(scratch.merged), "%s/pb-fuzz-%s.%d.merged.db", dir, name, pid);
    snprintf(scratch.out, sizeof(scratch.out), "%s/pb-fuzz-%s.%d.out", dir, name, pid);
    sqlite3_hard_heap_limit64(256 << 20);
    atexit(remove_at_exit);
    return &scratch;
}

void fuzz_scratch_db_write(const fuzz_scratch_db *s, const void *data, size_t len)
{
    FILE *f = fopen(s->db, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, len, f) == len);
    FUZZ_CHECK(fclose(f) == 0);
}

void fuzz_scratch_db_refused(const fuzz_scratch_db *s, int rc, const pb_err *err)
{
    FUZZ_CHECK_ERR(rc, *err);
    FUZZ_CHECK(strstr(err->msg, s->db) != NULL || strstr(err->msg, s->merged) != NULL ||
               strstr(err->msg, s->out) != NULL || rc == PB_ENOMEM);
}

void fuzz_scratch_db_export(const fuzz_scratch_db *s, pb_export_format format)
{
    FILE *sink = fopen("/dev/null", "w");
    FUZZ_CHECK(sink != NULL);
    pb_export_options opt = {.db_path = s->db, .pick = PB_REPORT_LAST, .format = format};
    pb_export_result res;
    pb_err err = {0};
    int rc = pb_export_write(&opt, sink, &res, &err);
    if (rc != 0)
        fuzz_scratch_db_refused(s, rc, &err);
    fclose(sink);
}

void fuzz_scratch_db_merge(const fuzz_scratch_db *s)
{
    const char *inputs[] = {s->db};
    pb_merge_stats st;
    pb_err err = {0};
    int rc = pb_merge(s->merged, inputs, 1, &st, &err);
    if (rc != 0)
        fuzz_scratch_db_refused(s, rc, &err);
}
