#include "scratch_db.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

void scratch_db_create(char *dir, size_t dir_len, char *db, size_t db_len, const char *tag)
{
    assert_true((size_t)snprintf(dir, dir_len, "/tmp/pb-test-%s.XXXXXX", tag) < dir_len);
    assert_non_null(mkdtemp(dir));
    assert_true((size_t)snprintf(db, db_len, "%s/run.db", dir) < db_len);
}

void scratch_db_unlink(const char *db)
{
    char path[512];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", db, suffix[i]);
        unlink(path);
    }
}

void scratch_db_remove(const char *dir, const char *db)
{
    scratch_db_unlink(db);
    rmdir(dir);
}
