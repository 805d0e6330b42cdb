/* Which libcurl loop should drive the engine? Keeps CONNS GETs in flight
 * against URL for a while with each of:
 *   poll:  curl_multi_perform + curl_multi_poll, easy handles re-added on completion
 *   uv:    the engine's client (harness/http/http_client.c: multi_socket on libuv)
 * alternating rounds, and prints each one's requests per second and the ratio
 * uv / poll. Usage: curl_loops URL [CONNS=64] [SECONDS=5] [ROUNDS=3] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <uv.h>

#include "http_client.h"
#include "monotime.h"

static size_t discard(char *p, size_t size, size_t n, void *data)
{
    return size * n;
}

static double run_poll(const char *url, int conns, pb_usec length)
{
    CURLM *multi = curl_multi_init();
    CURL **easy = calloc((size_t)conns, sizeof(*easy));
    if (multi == NULL || easy == NULL)
        exit(1);
    for (int i = 0; i < conns; i++) {
        easy[i] = curl_easy_init();
        if (easy[i] == NULL)
            exit(1);
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy[i], CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
        curl_multi_add_handle(multi, easy[i]);
    }
    uint64_t done = 0;
    pb_usec start = pb_monotime_now(), end = start + length;
    int running = 1;
    while (pb_monotime_now() < end) {
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            done += msg->data.result == CURLE_OK;
            curl_multi_remove_handle(multi, e);
            curl_multi_add_handle(multi, e);
        }
        curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    double secs = (double)(pb_monotime_now() - start) / 1e6;
    for (int i = 0; i < conns; i++) {
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_multi_cleanup(multi);
    free(easy);
    return (double)done / secs;
}

struct uv_bench {
    pb_http *http;
    uint64_t done, seq;
    pb_usec end;
    uv_loop_t *loop;
};

static void uv_done(void *data, const pb_http_result *res)
{
    struct uv_bench *b = data;
    b->done += res->outcome == PB_OUTCOME_OK;
    if (pb_monotime_now() >= b->end) {
        if (pb_http_in_flight(b->http) == 0)
            uv_stop(b->loop);
        return;
    }
    if (pb_http_start(b->http, b->seq++, 0, 0, NULL, NULL) != 0)
        exit(1);
}

static double run_uv(const char *url, int conns, pb_usec length)
{
    uv_loop_t loop;
    struct uv_bench b = {.loop = &loop};
    pb_http_config cfg = {.url = url, .timeout = 10 * PB_USEC_PER_SEC};
    if (uv_loop_init(&loop) != 0 ||
        pb_http_create(&loop, &cfg, (uint32_t)conns, uv_done, &b, &b.http, NULL) != 0)
        exit(1);
    pb_usec start = pb_monotime_now();
    b.end = start + length;
    for (int i = 0; i < conns; i++)
        if (pb_http_start(b.http, b.seq++, 0, 0, NULL, NULL) != 0)
            exit(1);
    uv_run(&loop, UV_RUN_DEFAULT);
    double secs = (double)(pb_monotime_now() - start) / 1e6;
    pb_http_close(b.http);
    uv_run(&loop, UV_RUN_DEFAULT);
    pb_http_destroy(b.http);
    if (uv_loop_close(&loop) != 0)
        exit(1);
    return (double)b.done / secs;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: curl_loops URL [CONNS=64] [SECONDS=5] [ROUNDS=3]\n");
        return 2;
    }
    const char *url = argv[1];
    int conns = argc > 2 ? atoi(argv[2]) : 64;
    int secs = argc > 3 ? atoi(argv[3]) : 5;
    int rounds = argc > 4 ? atoi(argv[4]) : 3;
    if (conns < 1 || secs < 1 || rounds < 1 || rounds > 99) {
        fprintf(stderr, "curl_loops: expected CONNS >= 1, SECONDS >= 1, ROUNDS in 1..99\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    double poll_rps[99], uv_rps[99];
    for (int r = 0; r < rounds; r++) {
        poll_rps[r] = run_poll(url, conns, (pb_usec)secs * PB_USEC_PER_SEC);
        uv_rps[r] = run_uv(url, conns, (pb_usec)secs * PB_USEC_PER_SEC);
        printf("round %d: curl_multi_poll %.0f req/s, multi_socket+libuv %.0f req/s\n", r + 1,
               poll_rps[r], uv_rps[r]);
    }
    qsort(poll_rps, (size_t)rounds, sizeof(double), cmp_double);
    qsort(uv_rps, (size_t)rounds, sizeof(double), cmp_double);
    double p = poll_rps[rounds / 2], u = uv_rps[rounds / 2];
    printf("medians: curl_multi_poll %.0f, multi_socket+libuv %.0f req/s; multi_socket+libuv / "
           "curl_multi_poll = %.2f\n",
           p, u, u / p);
    curl_global_cleanup();
    return 0;
}
