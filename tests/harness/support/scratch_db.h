/* A temporary folder holding one database file, for the harness tests. */
#ifndef PB_TEST_SCRATCH_DB_H
#define PB_TEST_SCRATCH_DB_H

#include <stddef.h>

/* Make /tmp/pb-test-TAG.XXXXXX into dir and set db to dir/run.db (asserts). */
void scratch_db_create(char *dir, size_t dir_len, char *db, size_t db_len, const char *tag);

/* Remove the database file db with its -wal and -shm files. */
void scratch_db_unlink(const char *db);

/* Remove db with its -wal and -shm files, then the folder. */
void scratch_db_remove(const char *dir, const char *db);

/* A test's scratch folder and the database path in it, as cmocka's state. */
typedef struct scratch_db {
    char dir[64];
    char db[128];
} scratch_db;

/* cmocka setup: *state becomes a malloc'd scratch_db, its folder tagged with
 * the test program's name (asserts). */
int scratch_db_setup(void **state);

/* cmocka teardown: remove the scratch_db in *state (scratch_db_remove) and free it. */
int scratch_db_teardown(void **state);

#endif
