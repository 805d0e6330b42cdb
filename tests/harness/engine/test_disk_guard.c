/* pb_disk_project: the growth a run's settings imply. With --keep-requests D
 * the request rows count for min(run length, D) only, the rollup for the whole
 * run; --record sample:N and seconds store one row in N or none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "disk_guard.h"
#include "run_config.h"

/* A run of `rate` requests/s for `duration` into a database in /tmp, with
 * --keep-requests `keep` and --record `record` (NULL for the defaults). */
static void config(pb_run_config *cfg, const char *rate, const char *duration, const char *keep,
                   const char *record)
{
    pb_err err;
    assert_int_equal(pb_run_config_init(cfg), 0);
    assert_int_equal(pb_run_config_set(cfg, "rate", rate, &err), 0);
    assert_int_equal(pb_run_config_set(cfg, "duration", duration, &err), 0);
    assert_int_equal(pb_run_config_set(cfg, "db", "/tmp/pb-disk-guard.db", &err), 0);
    if (keep != NULL)
        assert_int_equal(pb_run_config_set(cfg, "keep-requests", keep, &err), 0);
    if (record != NULL)
        assert_int_equal(pb_run_config_set(cfg, "record", record, &err), 0);
}

/* What the planned run projects, as run's check before it starts sees it. */
static uint64_t planned(const pb_run_config *cfg)
{
    double rows, seconds;
    assert_true(pb_disk_planned(cfg, &rows, &seconds));
    pb_disk_projection p;
    pb_err err;
    assert_int_equal(pb_disk_project(cfg, 0.0, rows, seconds, &p, &err), 0);
    return p.projected;
}

static void keep_requests_bounds_the_rows_not_the_rollup(void **state)
{
    (void)state;
    const double run_s = 72 * 3600.0, day_s = 24 * 3600.0;
    pb_run_config cfg;
    config(&cfg, "200", "72h", NULL, NULL);
    assert_int_equal(planned(&cfg), (uint64_t)(200 * run_s * PB_DISK_BYTES_PER_ROW +
                                               run_s * PB_DISK_ROLLUP_BYTES_PER_SEC));
    pb_run_config_cleanup(&cfg);
    config(&cfg, "200", "72h", "24h", NULL);
    assert_int_equal(planned(&cfg), (uint64_t)(200 * day_s * PB_DISK_BYTES_PER_ROW +
                                               run_s * PB_DISK_ROLLUP_BYTES_PER_SEC));
    pb_run_config_cleanup(&cfg);
    /* a run shorter than its window keeps every row */
    config(&cfg, "200", "10h", "24h", NULL);
    assert_int_equal(planned(&cfg), (uint64_t)(200 * 36000.0 * PB_DISK_BYTES_PER_ROW +
                                               36000.0 * PB_DISK_ROLLUP_BYTES_PER_SEC));
    pb_run_config_cleanup(&cfg);
}

static void keep_requests_goes_with_record_sample_and_seconds(void **state)
{
    (void)state;
    const double run_s = 72 * 3600.0, day_s = 24 * 3600.0;
    pb_run_config cfg;
    config(&cfg, "200", "72h", "24h", "sample:10");
    assert_int_equal(planned(&cfg), (uint64_t)(20 * day_s * PB_DISK_BYTES_PER_ROW +
                                               run_s * PB_DISK_ROLLUP_BYTES_PER_SEC));
    pb_run_config_cleanup(&cfg);
    config(&cfg, "200", "72h", "24h", "seconds");
    assert_int_equal(planned(&cfg), (uint64_t)(run_s * PB_DISK_ROLLUP_BYTES_PER_SEC));
    pb_run_config_cleanup(&cfg);
}

/* Mid-run, what is left adds rows only while the window still widens. */
static void mid_run_rows_stop_growing_once_the_window_is_full(void **state)
{
    (void)state;
    pb_run_config cfg;
    config(&cfg, "200", "72h", "24h", NULL);
    pb_disk_projection p;
    pb_err err;
    /* 12 h done, 24 h more at 200/s: 12 h of rows widen the window */
    assert_int_equal(pb_disk_project(&cfg, 12 * 3600.0, 200 * 24 * 3600.0, 24 * 3600.0, &p, &err),
                     0);
    assert_int_equal(p.projected, (uint64_t)(200 * 12 * 3600.0 * PB_DISK_BYTES_PER_ROW +
                                             24 * 3600.0 * PB_DISK_ROLLUP_BYTES_PER_SEC));
    /* 48 h done: the window is full, only the rollup grows */
    assert_int_equal(pb_disk_project(&cfg, 48 * 3600.0, 200 * 24 * 3600.0, 24 * 3600.0, &p, &err),
                     0);
    assert_int_equal(p.projected, (uint64_t)(24 * 3600.0 * PB_DISK_ROLLUP_BYTES_PER_SEC));
    pb_run_config_cleanup(&cfg);
}

/* The refusal says the projection counted only the kept rows. */
static void the_refusal_names_keep_requests(void **state)
{
    (void)state;
    pb_run_config cfg;
    config(&cfg, "200", "72h", "24h", NULL);
    pb_disk_projection p = {.projected = 1, .rows_per_sec = 200};
    pb_err err;
    assert_int_equal(pb_disk_refuse(&cfg, &p, &err), PB_EFULL);
    assert_non_null(strstr(err.msg, "the last 24h00m of them (--keep-requests)"));
    pb_run_config_cleanup(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keep_requests_bounds_the_rows_not_the_rollup),
        cmocka_unit_test(keep_requests_goes_with_record_sample_and_seconds),
        cmocka_unit_test(mid_run_rows_stop_growing_once_the_window_is_full),
        cmocka_unit_test(the_refusal_names_keep_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
