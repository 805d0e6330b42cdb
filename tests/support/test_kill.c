#include "test_kill.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

int64_t test_db_committed_us(const char *path)
{
    if (access(path, F_OK) != 0)
        return -1;
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int64_t t = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(h, 100) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT coalesce(max(t_us), 0) FROM requests", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        t = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return t;
}

void test_kill_once_stored(pb_child *ch, const char *path, int64_t t_us)
{
    /* bounded: the writer commits each second */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (test_db_committed_us(path) < t_us) {
        pb_child_pump(ch, 100);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 30)
            fail_msg("%s: no rows up to %.1f s within 30 s: %s", path, (double)t_us / 1e6, ch->err);
    }
    assert_int_equal(kill(ch->pid, SIGKILL), 0);
    pb_child_finish(ch, 60000);
    assert_true(WIFSIGNALED(ch->status) && WTERMSIG(ch->status) == SIGKILL);
}
