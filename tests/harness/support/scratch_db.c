#include "scratch_db.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int scratch_db_setup(void **state)
{
    scratch_db *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    const char *tag = program_invocation_short_name;
    if (strncmp(tag, "test_", 5) == 0)
        tag += 5;
    scratch_db_create(s->dir, sizeof(s->dir), s->db, sizeof(s->db), tag);
    *state = s;
    return 0;
}

int scratch_db_teardown(void **state)
{
    scratch_db *s = *state;
    scratch_db_remove(s->dir, s->db);
    free(s);
    return 0;
}
