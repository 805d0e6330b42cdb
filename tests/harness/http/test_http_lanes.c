/* The HTTP client spread over threads, against the in-process mock server:
 * every request comes back once on the caller's loop, workers keep their
 * connections, failures on a lane thread come back as results, and aborting
 * abandons what is in flight without a callback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_lanes.h"
#include "test_mock.h"
#include "run_config.h"

#define WORKERS 12

/* WORKERS workers, each starting its next request when its last one ends. */
struct driver {
    uv_loop_t loop;
    uv_thread_t loop_thread;
    pb_lanes *lanes;
    uint64_t started, ended, total;
    uint64_t outcomes[PB_OUTCOME_COUNT];
    uint64_t seen[WORKERS]; /* results per worker */
    bool wrong_thread;
    char error[256];
};

static void driver_done(void *data, const pb_http_result *res)
{
    struct driver *d = data;
    uv_thread_t self = uv_thread_self();
    if (!uv_thread_equal(&self, &d->loop_thread))
        d->wrong_thread = true;
    uint32_t worker = (uint32_t)(uintptr_t)res->user;
    d->ended++;
    d->seen[worker]++;
    d->outcomes[res->outcome]++;
    if (res->error[0] != '\0')
        snprintf(d->error, sizeof(d->error), "%s", res->error);
    if (d->started < d->total) {
        assert_int_equal(pb_lanes_start(d->lanes, d->started, 0, 0, res->user, NULL), 0);
        d->started++;
    }
    if (d->ended == d->total)
        uv_stop(&d->loop);
}

static void open_driver(struct driver *d, const char *url, pb_usec timeout, uint32_t threads,
                        uint64_t total)
{
    memset(d, 0, sizeof(*d));
    d->total = total;
    d->loop_thread = uv_thread_self();
    assert_int_equal(uv_loop_init(&d->loop), 0);
    pb_err err = {0};
    pb_http_config cfg = {.url = url, .timeout = timeout};
    if (pb_lanes_create(&d->loop, &cfg, WORKERS, threads, driver_done, d, &d->lanes, &err) != 0)
        fail_msg("pb_lanes_create: %s", err.msg);
    assert_int_equal(pb_lanes_threads(d->lanes), threads);
    for (uint32_t w = 0; w < WORKERS && d->started < total; w++) {
        assert_int_equal(pb_lanes_start(d->lanes, d->started, 0, 0, (void *)(uintptr_t)w, NULL), 0);
        d->started++;
    }
}

static void close_driver(struct driver *d)
{
    pb_lanes_close(d->lanes);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    pb_lanes_destroy(d->lanes);
    assert_int_equal(uv_loop_close(&d->loop), 0);
}

static void every_request_comes_back_once_on_the_callers_loop(void **state)
{
    static const uint32_t threads[] = {1, 2, 3};
    for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
        pb_mock *m = test_mock_start(NULL);
        struct driver d;
        open_driver(&d, pb_mock_url(m), 5 * PB_USEC_PER_SEC, threads[i], 1200);
        uv_run(&d.loop, UV_RUN_DEFAULT);
        assert_int_equal(pb_lanes_in_flight(d.lanes), 0);
        assert_string_equal(pb_lanes_error(d.lanes), "");
        assert_false(d.wrong_thread);
        assert_int_equal(d.outcomes[PB_OUTCOME_OK], 1200);
        /* the lanes stay balanced, so each keeps only its share of the connections */
        assert_int_equal(pb_lanes_connections(d.lanes), WORKERS);
        uint64_t sum = 0;
        for (int w = 0; w < WORKERS; w++) {
            assert_true(d.seen[w] > 0);
            sum += d.seen[w];
        }
        assert_int_equal(sum, 1200);
        close_driver(&d);
        pb_mock_stats st;
        pb_mock_get_stats(m, &st);
        assert_int_equal(st.requests, 1200);
        assert_int_equal(st.bad_requests, 0);
        pb_mock_stop(m);
    }
}

static void a_refused_connection_comes_back_from_every_lane(void **state)
{
    /* a port nothing listens on: the mock's, just after it stopped */
    pb_mock *m = test_mock_start(NULL);
    char url[128];
    snprintf(url, sizeof(url), "%s", pb_mock_url(m));
    pb_mock_stop(m);
    struct driver d;
    open_driver(&d, url, 2 * PB_USEC_PER_SEC, 3, 60);
    uv_run(&d.loop, UV_RUN_DEFAULT);
    assert_int_equal(d.outcomes[PB_OUTCOME_CONNECT_ERROR], 60);
    for (int w = 0; w < WORKERS; w++)
        assert_true(d.seen[w] > 0);
    assert_true(strlen(d.error) > 0);
    close_driver(&d);
}

static void abort_abandons_requests_in_flight_without_a_callback(void **state)
{
    /* replies come after 10 s: nothing ends before the abort */
    const char *slow[] = {"latency", "fixed:10s", NULL};
    pb_mock *m = test_mock_start(slow);
    struct driver d;
    open_driver(&d, pb_mock_url(m), 20 * PB_USEC_PER_SEC, 3, WORKERS);
    uv_run(&d.loop, UV_RUN_NOWAIT);
    assert_int_equal(pb_lanes_in_flight(d.lanes), WORKERS);
    assert_int_equal(pb_lanes_abort_all(d.lanes), WORKERS);
    assert_int_equal(pb_lanes_in_flight(d.lanes), 0);
    /* the lane threads are joined: nothing comes back after the abort */
    uv_run(&d.loop, UV_RUN_NOWAIT);
    assert_int_equal(d.ended, 0);
    pb_err err = {0};
    assert_int_equal(pb_lanes_start(d.lanes, 99, 0, 0, NULL, &err), PB_ESTATE);
    close_driver(&d);
    pb_mock_stop(m);
}

static void the_thread_count_follows_cpus_and_concurrency(void **state)
{
    assert_int_equal(pb_run_client_threads(3, 1, 1), 3);   /* asked for */
    assert_int_equal(pb_run_client_threads(0, 10, 8), 1);  /* a small run stays on one */
    assert_int_equal(pb_run_client_threads(0, 64, 2), 2);  /* one per CPU */
    assert_int_equal(pb_run_client_threads(0, 64, 16), 4); /* one per 16 slots */
    assert_int_equal(pb_run_client_threads(0, 1000, 64), 4);
    assert_int_equal(pb_run_client_threads(0, 1000, 0), 1);
    pb_err err = {0};
    uv_loop_t loop;
    pb_lanes *l;
    assert_int_equal(uv_loop_init(&loop), 0);
    pb_http_config cfg = {.url = "http://127.0.0.1:1/", .timeout = PB_USEC_PER_SEC};
    assert_int_equal(pb_lanes_create(&loop, &cfg, 4, PB_LANES_MAX + 1, driver_done, NULL, &l, &err),
                     PB_ERANGE);
    assert_non_null(strstr(err.msg, "--client-threads"));
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_request_comes_back_once_on_the_callers_loop),
        cmocka_unit_test(a_refused_connection_comes_back_from_every_lane),
        cmocka_unit_test(abort_abandons_requests_in_flight_without_a_callback),
        cmocka_unit_test(the_thread_count_follows_cpus_and_concurrency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
