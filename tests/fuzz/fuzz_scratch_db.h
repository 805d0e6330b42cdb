/* The scratch files of the fuzz targets that hand the database readers a
 * file (fuzz_db, fuzz_stored_json): the input database, merge's output and a
 * file the report writes, in memory where there is a tmpfs (every input
 * writes and syncs databases, which on a disk held a target to about ten
 * inputs a second), and the readers they share with their checks. */
#ifndef PB_FUZZ_SCRATCH_DB_H
#define PB_FUZZ_SCRATCH_DB_H

#include <stddef.h>

#include "errors.h"
#include "export.h"

/* The process's scratch files. */
typedef struct fuzz_scratch_db {
    char db[64];     /* the input database */
    char merged[80]; /* merge's output */
    char out[80];    /* what a report writes */
} fuzz_scratch_db;

/* Name the process's files after name ("pb-fuzz-NAME.PID.db"), remove them at
 * exit, and cap SQLite's heap at 256 MiB. */
const fuzz_scratch_db *fuzz_scratch_db_init(const char *name);

/* Replace the input database with len bytes. */
void fuzz_scratch_db_write(const fuzz_scratch_db *s, const void *data, size_t len);

/* Remove the files (merge's -wal and -shm too). */
void fuzz_scratch_db_remove(const fuzz_scratch_db *s);

/* A reader refused the file: rc is err's code, err has a message, and it
 * names one of the files (unless memory ran out). */
void fuzz_scratch_db_refused(const fuzz_scratch_db *s, int rc, const pb_err *err);

/* Export the input's last run in format to /dev/null; read or refused. */
void fuzz_scratch_db_export(const fuzz_scratch_db *s, pb_export_format format);

/* Merge's reading of the input: one file is two segments of nothing,
 * refused, or (a lone segment 0/1) merged into s->merged. */
void fuzz_scratch_db_merge(const fuzz_scratch_db *s);

#endif
