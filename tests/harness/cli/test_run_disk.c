/* The disk guard as a user meets it, on a small tmpfs (root only; skipped
 * otherwise): a run whose projected growth does not fit is refused before its
 * database exists; a closed loop is judged after its first seconds; a run
 * whose disk fills up under it stops storing request rows, says so, and still
 * completes with every second in its rollup; --keep-requests keeps the file
 * bounded whatever the run's length; the reserve is a size or a share of the
 * disk, shown as given. Bad --record, --disk-reserve and --keep-requests
 * values are refused. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "pb_child.h"
#include "test_file.h"
#include "test_sql.h"

struct disk {
    bool mounted;
    char dir[64];
    char db[128];
};

/* Mount a tmpfs of size_mb on a fresh folder; false (test skipped) when not root. */
static bool disk_mount(struct disk *d, int size_mb)
{
    snprintf(d->dir, sizeof(d->dir), "/tmp/pb-test-disk.XXXXXX");
    assert_non_null(mkdtemp(d->dir));
    char opts[32];
    snprintf(opts, sizeof(opts), "size=%dm", size_mb);
    if (geteuid() != 0 || mount("tmpfs", d->dir, "tmpfs", 0, opts) != 0) {
        rmdir(d->dir);
        return false;
    }
    d->mounted = true;
    snprintf(d->db, sizeof(d->db), "%s/run.db", d->dir);
    return true;
}

/* The test's disk, unmounted by the teardown even when an assertion failed. */
static int disk_setup(void **state)
{
    *state = calloc(1, sizeof(struct disk));
    return *state == NULL ? -1 : 0;
}

static int disk_teardown(void **state)
{
    struct disk *d = *state;
    int rc = 0;
    if (d->mounted) {
        rc = umount(d->dir);
        rmdir(d->dir);
    }
    free(d);
    return rc;
}

static void planned_run_that_does_not_fit_is_refused_before_it_starts(void **state)
{
    struct disk *d = *state;
    if (!disk_mount(d, 8))
        skip();
    /* 20,000 requests/s for an hour: about 2.5 GiB against 8 MiB */
    const char *args[] = {"run",  "--rate", "20000",   "--duration", "1h",
                          "--db", d->db,    "--quiet", NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, PB_TEST_TIMEOUT_MS), 2);
    const char *err = ch.err;
    assert_non_null(strstr(err, d->db));
    assert_non_null(strstr(err, "would add about 2.48 GiB"));
    assert_non_null(strstr(err, "--record sample:N"));
    assert_non_null(strstr(err, "--disk-reserve"));
    pb_child_cleanup(&ch);
    /* nothing started: not even the database file */
    struct stat sb;
    assert_int_equal(stat(d->db, &sb), -1);
}

/* --keep-requests bounds the projected rows to the window's: a run refused
 * for keeping every row fits once it keeps the last second's, and one that
 * still does not fit is refused with min(run, window) of rows in the figure. */
static void keep_requests_is_projected(void **state)
{
    struct disk *d = *state;
    if (!disk_mount(d, 16))
        skip();
    /* 20,000 requests/s for 6 s: 4.4 MB of rows against the 4 MiB beside the reserve */
    const char *full[] = {"run", "--rate",  "20000",          "--duration", "6s", "--db",
                          d->db, "--quiet", "--disk-reserve", "12M",        NULL};
    pb_child ch;
    int rc = pb_child_run(&ch, full, NULL, PB_TEST_TIMEOUT_MS);
    if (rc != 2 || strstr(ch.err, "would add about") == NULL)
        fail_msg("every row kept: exit %d, stderr: %s", rc, ch.err);
    pb_child_cleanup(&ch);
    /* the last second's rows, 740 kB, fit and the run completes */
    const char *kept[] = {
        "run",     "--rate",         "20000", "--duration",      "6s", "--db", d->db,
        "--quiet", "--disk-reserve", "12M",   "--keep-requests", "1s", NULL};
    rc = pb_child_run(&ch, kept, NULL, PB_TEST_TIMEOUT_MS);
    if (rc != 0)
        fail_msg("--keep-requests 1s: exit %d, stderr: %s", rc, ch.err);
    pb_child_cleanup(&ch);
    assert_int_equal(test_db_int(d->db, "SELECT COUNT(*) FROM runs WHERE status = 'completed'"), 1);
    /* an hour keeping 10 s: 20,000 x 10 x 37 B of rows + 3,600 s x 1,024 B of
     * rollup = 11,086,400 B, 10.6 MiB, still more than the 4 MiB */
    const char *hour[] = {
        "run",     "--rate",         "20000", "--duration",      "1h",  "--db", d->db,
        "--quiet", "--disk-reserve", "12M",   "--keep-requests", "10s", NULL};
    rc = pb_child_run(&ch, hour, NULL, PB_TEST_TIMEOUT_MS);
    if (rc != 2 ||
        strstr(ch.err, "would add about 10.6 MiB (20000 requests/s, 37 bytes per stored row, "
                       "the last 10.00s of them (--keep-requests)") == NULL)
        fail_msg("an hour keeping 10s: exit %d, stderr: %s", rc, ch.err);
    pb_child_cleanup(&ch);
}

/* The reserve as a user gives it, a share of the disk or a size in powers of
 * 1024, and shown back in those units: 100G is "100 GiB", not "107 GB". */
static void the_reserve_is_a_size_or_a_share_of_the_disk_shown_as_given(void **state)
{
    struct disk *d = *state;
    if (!disk_mount(d, 16))
        skip();
    /* 20,000 requests/s for 15 s: about 10 MB against the 8 MiB left by half the disk */
    static const struct {
        const char *reserve, *says;
    } refused[] = {
        {"50%", "of which 8 MiB must stay free (--disk-reserve 50%)"},
        {"100G", "of which 100 GiB must stay free (--disk-reserve)"},
        {"1.5GiB", "of which 1.50 GiB must stay free (--disk-reserve)"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        const char *args[] = {"run", "--rate",  "20000",          "--duration",       "15s", "--db",
                              d->db, "--quiet", "--disk-reserve", refused[i].reserve, NULL};
        pb_child ch;
        int rc = pb_child_run(&ch, args, NULL, PB_TEST_TIMEOUT_MS);
        if (rc != 2 || strstr(ch.err, refused[i].says) == NULL ||
            strstr(ch.err, " MiB free") == NULL)
            fail_msg("--disk-reserve %s: exit %d, stderr: %s", refused[i].reserve, rc, ch.err);
        pb_child_cleanup(&ch);
    }
    /* 10 % of the disk leaves room for a short run, which completes */
    const char *args[] = {"run",     "--rate",         "200", "--duration", "1s", "--db", d->db,
                          "--quiet", "--disk-reserve", "10%", NULL};
    pb_child ch;
    int rc = pb_child_run(&ch, args, NULL, PB_TEST_TIMEOUT_MS);
    if (rc != 0)
        fail_msg("--disk-reserve 10%%: exit %d, stderr: %s", rc, ch.err);
    pb_child_cleanup(&ch);
    assert_int_equal(test_db_int(d->db, "SELECT COUNT(*) FROM runs WHERE status = 'completed'"), 1);
}

static void closed_loop_is_judged_after_its_first_seconds(void **state)
{
    struct disk *d = *state;
    if (!disk_mount(d, 8))
        skip();
    /* a closed loop's rate is known once it runs: 60 s of it cannot fit in
     * the 1 MB this disk has beyond its reserve */
    const char *args[] = {"run",     "--concurrency",  "16", "--duration", "60s", "--db", d->db,
                          "--quiet", "--disk-reserve", "7M", NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, PB_TEST_TIMEOUT_MS), 2);
    assert_non_null(strstr(ch.err, "after 3 s at"));
    assert_non_null(strstr(ch.err, "would add about"));
    pb_child_cleanup(&ch);
    /* what it measured is kept, and the run says it failed */
    assert_true(test_db_int(d->db, "SELECT COUNT(*) FROM requests") > 0);
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT status = 'failed' FROM runs WHERE id = 1");
    assert_int_equal(test_db_int(d->db, sql), 1);
}

/* Fill the folder until about `keep` bytes stay free. The run under test
 * writes meanwhile (a checkpoint can grow its file by megabytes), so the free
 * space is read again before each block; if the disk fills anyway, the filler
 * gives `keep` bytes back. */
static void fill_disk(const char *dir, uint64_t keep)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/filler", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static char block[1 << 16];
    off_t written = 0;
    for (int i = 0; i < 1 << 12; i++) { /* at most 256 MB: the tmpfs is 16 */
        struct statvfs fs;
        assert_int_equal(statvfs(dir, &fs), 0);
        uint64_t free_bytes = (uint64_t)fs.f_bavail * fs.f_frsize;
        if (free_bytes <= keep)
            break;
        size_t n = free_bytes - keep < sizeof(block) ? (size_t)(free_bytes - keep) : sizeof(block);
        ssize_t w = write(fd, block, n);
        if (w < 0 && errno == ENOSPC) {
            assert_int_equal(ftruncate(fd, written > (off_t)keep ? written - (off_t)keep : 0), 0);
            break;
        }
        assert_true(w > 0);
        written += w;
    }
    close(fd);
}

static void a_disk_that_fills_up_stops_the_rows_not_the_run(void **state)
{
    struct disk *d = *state;
    if (!disk_mount(d, 16))
        skip();
    int in = inotify_init1(IN_CLOEXEC);
    assert_true(in >= 0);
    assert_true(inotify_add_watch(in, d->dir, IN_MODIFY) >= 0);
    /* 2,000 requests/s for 8 s: about 0.6 MB, which fits beside a 4 MB reserve */
    const char *args[] = {"run", "--rate", "2000",           "--duration", "8s", "--db",
                          d->db, "--json", "--disk-reserve", "4M",         NULL};
    pb_child ch;
    pb_child_spawn(&ch, args, NULL);
    /* once the writer has committed rows, someone else fills the disk */
    for (int i = 0; i < 60; i++) {
        struct pollfd p = {.fd = in, .events = POLLIN};
        if (poll(&p, 1, 500) > 0) {
            char buf[4096];
            assert_true(read(in, buf, sizeof(buf)) > 0);
        }
        struct stat sb;
        char wal[160];
        snprintf(wal, sizeof(wal), "%s-wal", d->db);
        if (stat(wal, &sb) == 0 && sb.st_size > 64 * 1024)
            break;
    }
    close(in);
    fill_disk(d->dir, 3 << 20);
    pb_child_finish(&ch, PB_TEST_TIMEOUT_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);

    json_error_t je;
    json_t *sum = json_loads(ch.out, 0, &je);
    assert_non_null(sum);
    assert_string_equal(json_string_value(json_object_get(sum, "run_status")), "completed");
    assert_true(json_is_true(json_object_get(sum, "disk_low")));
    json_int_t requests = json_integer_value(json_object_get(sum, "requests"));
    json_int_t unstored = json_integer_value(json_object_get(sum, "rows_unstored"));
    assert_true(unstored > 0);
    json_decref(sum);
    /* the rows stop, the rollup does not: every request is in a second */
    assert_int_equal(test_db_int(d->db, "SELECT COUNT(*) FROM requests"), requests - unstored);
    assert_int_equal(test_db_int(d->db, "SELECT SUM(count) FROM seconds"), requests);
    assert_int_equal(test_db_int(d->db, "SELECT COUNT(*) FROM events WHERE kind = 'disk'"), 1);
    assert_non_null(strstr(ch.err, "free space fell below the reserve"));
    pb_child_cleanup(&ch);
}

/* Fill the folder to its last byte, whatever else writes there meanwhile. */
static void fill_disk_full(const char *dir)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/filler-full", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static char block[4096];
    for (int tries = 0; tries < 1 << 16; tries++) /* at most 256 MB: the tmpfs is 16 */
        if (write(fd, block, sizeof(block)) < 0)
            break;
    close(fd);
    struct statvfs fs;
    assert_int_equal(statvfs(dir, &fs), 0);
    assert_true((uint64_t)fs.f_bavail * fs.f_frsize < sizeof(block));
}

/* Wait (bounded) until the run's WAL holds more than `bytes`. */
static void await_wal(const char *dir, const char *db, off_t bytes)
{
    int in = inotify_init1(IN_CLOEXEC);
    assert_true(in >= 0);
    assert_true(inotify_add_watch(in, dir, IN_MODIFY) >= 0);
    for (int i = 0; i < 60; i++) {
        struct pollfd p = {.fd = in, .events = POLLIN};
        if (poll(&p, 1, 500) > 0) {
            char buf[4096];
            assert_true(read(in, buf, sizeof(buf)) > 0);
        }
        struct stat sb;
        char wal[160];
        snprintf(wal, sizeof(wal), "%s-wal", db);
        if (stat(wal, &sb) == 0 && sb.st_size > bytes)
            break;
    }
    close(in);
}

/* A run whose disk another process filled to its last byte, once it ends:
 * exit 0, 'completed' with disk_low, its rollup counting every request, its
 * rows the summary's, and no -wal left behind. */
static void ends_in_order(const struct disk *d, pb_child *ch, const char *when)
{
    pb_child_finish(ch, PB_TEST_TIMEOUT_MS);
    json_error_t je;
    json_t *sum = json_loads(ch->out, 0, &je);
    if (sum == NULL)
        fail_msg("exit %d, no summary; stderr: %s", pb_child_exit_code(ch), ch->err);
    const char *status = json_string_value(json_object_get(sum, "run_status"));
    json_int_t requests = json_integer_value(json_object_get(sum, "requests"));
    json_int_t unstored = json_integer_value(json_object_get(sum, "rows_unstored"));
    printf("a full disk %s: exit %d, run %s, %lld requests, %lld rows unstored\n", when,
           pb_child_exit_code(ch), status, (long long)requests, (long long)unstored);
    if (pb_child_exit_code(ch) != 0)
        fail_msg("exit %d; stderr: %s", pb_child_exit_code(ch), ch->err);
    assert_string_equal(status, "completed");
    assert_true(json_is_true(json_object_get(sum, "disk_low")));
    json_decref(sum);
    /* free a little, so that the checks can open the database */
    char path[160];
    snprintf(path, sizeof(path), "%s/filler-full", d->dir);
    assert_int_equal(truncate(path, 0), 0);
    struct stat sb;
    snprintf(path, sizeof(path), "%s-wal", d->db);
    if (stat(path, &sb) == 0)
        fail_msg("%s left behind, %lld bytes", path, (long long)sb.st_size);
    assert_int_equal(test_db_int(d->db, "SELECT COUNT(*) FROM runs WHERE status = 'completed'"), 1);
    assert_int_equal(test_db_int(d->db, "SELECT SUM(count) FROM seconds"), requests);
    assert_int_equal(test_db_int(d->db, "SELECT COUNT(*) FROM requests"), requests - unstored);
}

/* Another process takes the disk's last byte mid-run: the run still ends in
 * order (not 'running'). */
static void a_disk_filled_to_the_last_byte_still_ends_the_run(void **state)
{
    struct disk *d = *state;
    if (!disk_mount(d, 16))
        skip();
    const char *args[] = {"run", "--rate", "2000",           "--duration", "6s", "--db",
                          d->db, "--json", "--disk-reserve", "1M",         NULL};
    pb_child ch;
    pb_child_spawn(&ch, args, NULL);
    await_wal(d->dir, d->db, 64 * 1024);
    fill_disk_full(d->dir);
    ends_in_order(d, &ch, "mid-run");
    pb_child_cleanup(&ch);
}

/* The disk filled to its last byte as soon as the run has begun, before its
 * first commit: the room past the WAL is held from the run's first row, so
 * the run ends as the one above does (it used to exit 1 with nothing stored,
 * its status left 'running' and its -wal behind). */
static void a_disk_filled_before_the_first_commit_still_ends_the_run(void **state)
{
    struct disk *d = *state;
    if (!disk_mount(d, 16))
        skip();
    const char *args[] = {"run", "--rate", "2000",           "--duration", "3s", "--db",
                          d->db, "--json", "--disk-reserve", "1M",         NULL};
    pb_child ch;
    pb_child_spawn(&ch, args, NULL);
    /* printed once the run's row is in the database, before any request */
    pb_child_await(&ch, PB_CHILD_ERR, "run 1: ", 1, PB_TEST_TIMEOUT_MS);
    fill_disk_full(d->dir);
    ends_in_order(d, &ch, "before the first commit");
    pb_child_cleanup(&ch);
}

/* With 700 kB free against a 1 MB reserve and a WAL larger than that, the
 * run stops its rows, and the WAL's checkpoint still fits: no WAL is left
 * behind, and the disk is not filled to its last bytes. */
static void the_reserve_leaves_room_for_the_checkpoint(void **state)
{
    struct disk *d = *state;
    if (!disk_mount(d, 16))
        skip();
    const char *args[] = {"run", "--rate", "4000",           "--duration", "6s", "--db",
                          d->db, "--json", "--disk-reserve", "1M",         NULL};
    pb_child ch;
    pb_child_spawn(&ch, args, NULL);
    await_wal(d->dir, d->db, 800 * 1024);
    fill_disk(d->dir, 700 * 1024);
    pb_child_finish(&ch, PB_TEST_TIMEOUT_MS);
    assert_int_equal(pb_child_exit_code(&ch), 0);
    pb_child_cleanup(&ch);
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", d->db);
    struct stat sb;
    if (stat(wal, &sb) == 0)
        fail_msg("%s left behind, %lld bytes", wal, (long long)sb.st_size);
    struct statvfs fs;
    assert_int_equal(statvfs(d->dir, &fs), 0);
    printf("700 kB free at the start of the fill, %llu kB after the run\n",
           (unsigned long long)fs.f_bavail * fs.f_frsize / 1024);
    assert_true((uint64_t)fs.f_bavail * fs.f_frsize >= 64 * 1024);
}

static void bad_record_and_reserve_values_are_refused(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"--record", "sample:0", "--record sample:N"},
        {"--record", "most", "expected all, sample:N"},
        {"--disk-reserve", "0", "--disk-reserve"},
        {"--disk-reserve", "lots",
         "--disk-reserve: expected a size such as 512, 4k, 1.5G, 100GiB "
         "or a percentage such as 5%, got \"lots\""},
        {"--disk-reserve", "5GB", "got \"5GB\""},
        {"--disk-reserve", "0%", "--disk-reserve: expected a percentage above 0% and below 100%"},
        {"--disk-reserve", "100%", "below 100%, got \"100%\""},
        {"--disk-reserve", "0.5", "--disk-reserve: expected a whole number of bytes"},
        {"--disk-reserve", "17E", "--disk-reserve: size \"17E\" is too large"},
        {"--keep-requests", "500ms", "--keep-requests: expected a duration from 1s"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = {"run", cases[i][0], cases[i][1], "--db", "/nonexistent/run.db", NULL};
        pb_child ch;
        int rc = pb_child_run(&ch, args, NULL, PB_TEST_TIMEOUT_MS);
        if (rc != 2 || strstr(ch.err, cases[i][2]) == NULL)
            fail_msg("%s %s: exit %d, stderr: %s", cases[i][0], cases[i][1], rc, ch.err);
        pb_child_cleanup(&ch);
    }
}

/* The database's file, its WAL folded in (the run has closed it). */
static int64_t file_bytes(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (int64_t)sb.st_size;
}

/* --keep-requests 1s: the rows of the last seconds stay, the rollup keeps
 * every second, and the file stops growing with the run's length. */
static void keep_requests_bounds_the_rows_not_the_rollup(void **state)
{
    (void)state;
    struct disk d = {0};
    snprintf(d.dir, sizeof(d.dir), "/tmp/pb-test-keep.XXXXXX");
    assert_non_null(mkdtemp(d.dir));
    /* 4 s reaches the steady state of a 1 s window; 10 s runs on in it */
    const char *lengths[] = {"4s", "10s", "10s"};
    const char *keep[] = {"1s", "1s", NULL};
    int64_t bytes[3];
    for (int i = 0; i < 3; i++) {
        snprintf(d.db, sizeof(d.db), "%s/run%d.db", d.dir, i);
        const char *args[] = {"run",        "--rate",   "5000",
                              "--duration", lengths[i], "--db",
                              d.db,         "--quiet",  keep[i] != NULL ? "--keep-requests" : NULL,
                              keep[i],      NULL};
        pb_child ch;
        assert_int_equal(pb_child_run(&ch, args, NULL, PB_TEST_TIMEOUT_MS), 0);
        pb_child_cleanup(&ch);
        bytes[i] = file_bytes(d.db);
        int64_t requests =
            test_db_int(d.db, "SELECT json_extract(summary_json, '$.requests') FROM runs");
        assert_int_equal(test_db_int(d.db, "SELECT SUM(count) FROM seconds"), requests);
        if (keep[i] == NULL)
            continue;
        int64_t rows = test_db_int(d.db, "SELECT COUNT(*) FROM requests");
        int64_t dropped =
            test_db_int(d.db, "SELECT json_extract(summary_json, '$.rows_dropped') FROM runs");
        assert_int_equal(rows + dropped, requests);
        /* what stays: at most the last 3 seconds (the kept second, the one in
         * progress, and the rows of the second the last commit came in) */
        assert_true(rows <= 3 * 5000 + 500);
        assert_true(
            test_db_int(d.db,
                        "SELECT MAX(t_us + wait_us + total_us) - MIN(t_us + wait_us + total_us)"
                        " FROM requests") < 3 * 1000000);
        /* runs.first_request names the oldest row kept */
        assert_int_equal(
            test_db_int(d.db, "SELECT first_request = (SELECT MIN(rowid) FROM requests) FROM runs"),
            1);
    }
    /* the file follows what is kept, not how long the run went */
    assert_true(bytes[1] < bytes[2] / 2);
    /* 2.5 times the run is not 2.5 times the file (measured on a quiet machine:
     * 479 kB and 508 kB; a loaded one starts slower, hence the margin) */
    assert_true(bytes[1] < bytes[0] * 2);
    test_rmtree(d.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(planned_run_that_does_not_fit_is_refused_before_it_starts,
                                        disk_setup, disk_teardown),
        cmocka_unit_test_setup_teardown(keep_requests_is_projected, disk_setup, disk_teardown),
        cmocka_unit_test_setup_teardown(the_reserve_is_a_size_or_a_share_of_the_disk_shown_as_given,
                                        disk_setup, disk_teardown),
        cmocka_unit_test_setup_teardown(closed_loop_is_judged_after_its_first_seconds, disk_setup,
                                        disk_teardown),
        cmocka_unit_test_setup_teardown(a_disk_that_fills_up_stops_the_rows_not_the_run, disk_setup,
                                        disk_teardown),
        cmocka_unit_test_setup_teardown(a_disk_filled_to_the_last_byte_still_ends_the_run,
                                        disk_setup, disk_teardown),
        cmocka_unit_test_setup_teardown(a_disk_filled_before_the_first_commit_still_ends_the_run,
                                        disk_setup, disk_teardown),
        cmocka_unit_test_setup_teardown(the_reserve_leaves_room_for_the_checkpoint, disk_setup,
                                        disk_teardown),
        cmocka_unit_test(bad_record_and_reserve_values_are_refused),
        cmocka_unit_test(keep_requests_bounds_the_rows_not_the_rollup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
