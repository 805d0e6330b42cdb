/* The engine's HTTP client: how libcurl results map to outcomes, Retry-After,
 * and against the in-process mock server: keep-alive reuse, timeouts,
 * resets (including the ones libcurl silently re-sends), refused connections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "http_client.h"
#include "test_mock.h"

static void curl_results_map_to_outcomes(void **state)
{
    assert_int_equal(pb_http_outcome(CURLE_OK, 200, NULL), PB_OUTCOME_OK);
    assert_int_equal(pb_http_outcome(CURLE_OK, 204, NULL), PB_OUTCOME_OK);
    assert_int_equal(pb_http_outcome(CURLE_OK, 302, NULL), PB_OUTCOME_HTTP_ERROR);
    assert_int_equal(pb_http_outcome(CURLE_OK, 404, NULL), PB_OUTCOME_HTTP_ERROR);
    assert_int_equal(pb_http_outcome(CURLE_OK, 429, NULL), PB_OUTCOME_HTTP_ERROR);
    assert_int_equal(pb_http_outcome(CURLE_OK, 503, NULL), PB_OUTCOME_HTTP_ERROR);
    assert_int_equal(pb_http_outcome(CURLE_OPERATION_TIMEDOUT, 0, NULL), PB_OUTCOME_TIMEOUT);
    assert_int_equal(pb_http_outcome(CURLE_COULDNT_CONNECT, 0, NULL), PB_OUTCOME_CONNECT_ERROR);
    assert_int_equal(pb_http_outcome(CURLE_COULDNT_RESOLVE_HOST, 0, NULL),
                     PB_OUTCOME_CONNECT_ERROR);
    assert_int_equal(pb_http_outcome(CURLE_RECV_ERROR, 0, NULL), PB_OUTCOME_RESET);
    assert_int_equal(pb_http_outcome(CURLE_SEND_ERROR, 0, NULL), PB_OUTCOME_RESET);
    assert_int_equal(pb_http_outcome(CURLE_GOT_NOTHING, 0, NULL), PB_OUTCOME_RESET);
    assert_int_equal(pb_http_outcome(CURLE_PARTIAL_FILE, 200, NULL), PB_OUTCOME_RESET);
    assert_int_equal(pb_http_outcome(CURLE_WEIRD_SERVER_REPLY, 0, NULL), PB_OUTCOME_PROTOCOL_ERROR);
    assert_int_equal(pb_http_outcome(CURLE_UNSUPPORTED_PROTOCOL, 0, NULL),
                     PB_OUTCOME_PROTOCOL_ERROR);
    assert_int_equal(pb_http_outcome(CURLE_SSL_CONNECT_ERROR, 0, NULL), PB_OUTCOME_OTHER_ERROR);
}

static void retry_after_takes_seconds_or_a_date(void **state)
{
    assert_int_equal(pb_http_parse_retry_after(" 120\r\n", 0), 120 * PB_USEC_PER_SEC);
    assert_int_equal(pb_http_parse_retry_after("0", 0), 0);
    assert_int_equal(pb_http_parse_retry_after("soon", 0), 0);
    assert_int_equal(pb_http_parse_retry_after("12abc", 0), 0);
    /* Sun, 06 Nov 1994 08:49:37 GMT is 784111777 s after the epoch */
    assert_int_equal(pb_http_parse_retry_after(" Sun, 06 Nov 1994 08:49:37 GMT\r\n", 784111747),
                     30 * PB_USEC_PER_SEC);
    assert_int_equal(pb_http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800), 0);
}

/* A client on its own loop that keeps `parallel` requests going until `total` have ended. */
struct driver {
    uv_loop_t loop;
    pb_http *http;
    uint64_t started, ended, total;
    uint64_t outcomes[PB_OUTCOME_COUNT];
    uint64_t resent;
    pb_usec retry_after, max_total;
    uint64_t connections;
    uint32_t slots;
    char error[256];
};

static void driver_done(void *data, const pb_http_result *res)
{
    struct driver *d = data;
    d->ended++;
    d->outcomes[res->outcome]++;
    d->resent += res->resent;
    d->retry_after = res->retry_after;
    if (res->total_us > d->max_total)
        d->max_total = res->total_us;
    if (res->error[0] != '\0')
        snprintf(d->error, sizeof(d->error), "%s", res->error);
    if (d->started < d->total) {
        assert_int_equal(pb_http_start(d->http, d->started, 0, 0, NULL, NULL), 0);
        d->started++;
    }
    if (d->ended == d->total)
        uv_stop(&d->loop);
}

static void drive(struct driver *d, const char *url, pb_usec timeout, uint32_t parallel,
                  uint64_t total)
{
    memset(d, 0, sizeof(*d));
    d->total = total;
    assert_int_equal(uv_loop_init(&d->loop), 0);
    pb_http_config cfg = {.url = url, .timeout = timeout};
    assert_int_equal(pb_http_create(&d->loop, &cfg, parallel, driver_done, d, &d->http, NULL), 0);
    for (uint32_t i = 0; i < parallel && d->started < total; i++) {
        assert_int_equal(pb_http_start(d->http, d->started, 0, 0, NULL, NULL), 0);
        d->started++;
    }
    uv_run(&d->loop, UV_RUN_DEFAULT);
    assert_int_equal(pb_http_in_flight(d->http), 0);
    d->connections = pb_http_connections(d->http);
    d->slots = pb_http_slots(d->http);
    pb_http_close(d->http);
    uv_run(&d->loop, UV_RUN_DEFAULT);
    pb_http_destroy(d->http);
    assert_int_equal(uv_loop_close(&d->loop), 0);
}

static void connections_are_kept_alive_and_reused(void **state)
{
    const char *opts[] = {NULL};
    pb_mock *m = test_mock_start(opts);
    struct driver d;
    drive(&d, pb_mock_url(m), 5 * PB_USEC_PER_SEC, 1, 300);
    assert_int_equal(d.outcomes[PB_OUTCOME_OK], 300);
    assert_int_equal(d.connections, 1);
    drive(&d, pb_mock_url(m), 5 * PB_USEC_PER_SEC, 8, 800);
    assert_int_equal(d.outcomes[PB_OUTCOME_OK], 800);
    assert_int_equal(d.connections, 8);
    assert_int_equal(d.slots, 8); /* no easy handle beyond the preallocated ones */
    pb_mock_stats st;
    pb_mock_get_stats(m, &st);
    assert_int_equal(st.requests, 1100);
    assert_int_equal(st.bad_requests, 0); /* every X-PB-Seq header was a number */
    pb_mock_stop(m);
}

static void a_hanging_server_times_out(void **state)
{
    const char *opts[] = {"faults", "hang:1", NULL};
    pb_mock *m = test_mock_start(opts);
    struct driver d;
    drive(&d, pb_mock_url(m), 150 * PB_USEC_PER_MS, 3, 3);
    assert_int_equal(d.outcomes[PB_OUTCOME_TIMEOUT], 3);
    assert_true(d.max_total >= 150 * PB_USEC_PER_MS);
    assert_true(d.max_total < 2 * PB_USEC_PER_SEC);
    assert_non_null(strstr(d.error, "imed out"));
    pb_mock_stop(m);
}

static void resets_are_counted_including_silent_resends(void **state)
{
    const char *opts[] = {"faults", "reset:0.2", "seed", "7", NULL};
    pb_mock *m = test_mock_start(opts);
    struct driver d;
    drive(&d, pb_mock_url(m), 5 * PB_USEC_PER_SEC, 4, 1000);
    pb_mock_stats st;
    pb_mock_get_stats(m, &st);
    assert_true(d.outcomes[PB_OUTCOME_RESET] > 100);
    assert_int_equal(d.outcomes[PB_OUTCOME_OK] + d.outcomes[PB_OUTCOME_RESET], 1000);
    /* what the server saw = what we recorded + what libcurl re-sent behind our back */
    assert_int_equal(st.requests, 1000 + d.resent);
    assert_int_equal(st.resets, d.outcomes[PB_OUTCOME_RESET] + d.resent);
    assert_int_equal(st.resent_resets, d.resent);
    assert_int_equal(st.ok, d.outcomes[PB_OUTCOME_OK]);
    pb_mock_stop(m);
}

static void rate_limited_answers_carry_retry_after(void **state)
{
    const char *opts[] = {"errors", "429:1", NULL};
    pb_mock *m = test_mock_start(opts);
    struct driver d;
    drive(&d, pb_mock_url(m), 5 * PB_USEC_PER_SEC, 1, 5);
    assert_int_equal(d.outcomes[PB_OUTCOME_HTTP_ERROR], 5);
    assert_int_equal(d.retry_after, 1 * PB_USEC_PER_SEC);
    pb_mock_stop(m);
}

static void malformed_replies_are_protocol_errors(void **state)
{
    const char *opts[] = {"faults", "malformed:1", NULL};
    pb_mock *m = test_mock_start(opts);
    struct driver d;
    drive(&d, pb_mock_url(m), 5 * PB_USEC_PER_SEC, 2, 10);
    assert_int_equal(d.outcomes[PB_OUTCOME_PROTOCOL_ERROR], 10);
    pb_mock_stop(m);
}

static void a_closed_port_is_a_connect_error(void **state)
{
    /* bind a port and close it: nothing listens there afterwards */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(a.sin_port));
    struct driver d;
    drive(&d, url, 2 * PB_USEC_PER_SEC, 2, 4);
    assert_int_equal(d.outcomes[PB_OUTCOME_CONNECT_ERROR], 4);
    assert_non_null(strstr(d.error, "onnect"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(curl_results_map_to_outcomes),
        cmocka_unit_test(retry_after_takes_seconds_or_a_date),
        cmocka_unit_test(connections_are_kept_alive_and_reused),
        cmocka_unit_test(a_hanging_server_times_out),
        cmocka_unit_test(resets_are_counted_including_silent_resends),
        cmocka_unit_test(rate_limited_answers_carry_retry_after),
        cmocka_unit_test(malformed_replies_are_protocol_errors),
        cmocka_unit_test(a_closed_port_is_a_connect_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
