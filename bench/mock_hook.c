/* The cost of the mock server's request hook: serves as `patternbench mock
 * --threads THREADS --body-size 64` would, on 127.0.0.1, with no request hook
 * ("off") or with one that counts its calls with an atomic increment ("on"),
 * until SIGINT or SIGTERM. Prints "listening on URL" once it listens, and on
 * stop "requests N calls M cpu_us C": M is 0 when off and must equal N when
 * on; C is the CPU time (user + system) the process used while serving,
 * steadier than requests per second on a machine shared with other work.
 * "alone" times, without a server, the work the hook adds to a request (two
 * clock reads, a record filled in, an indirect call of the counting
 * callback) and prints "alone_ns N", to put beside the CPU time per request.
 * bench/mock_hook.sh drives it with wrk.
 * Usage: bench_mock_hook off|on [THREADS=2] | bench_mock_hook alone */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "mock.h"

/* CPU time (user + system) this process has used, in microseconds. */
static unsigned long long cpu_us(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ULL +
           (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void on_request(void *data, const pb_mock_request_record *rec)
{
    (void)rec;
    atomic_fetch_add_explicit((atomic_uint_fast64_t *)data, 1, memory_order_relaxed);
}

/* Nanoseconds of the hook's own work per request, timed over many. */
static double alone_ns(void)
{
    enum { N = 10000000 };
    atomic_uint_fast64_t calls = 0;
    /* volatile: the call stays indirect, as the server's is */
    pb_mock_request_cb volatile cb = on_request;
    pb_usec t0 = pb_monotime_now();
    for (uint64_t i = 0; i < N; i++) {
        pb_mock_request_record rec = {.arrived = pb_monotime_now(), .seq = i, .has_seq = true};
        rec.ended = pb_monotime_now();
        rec.started = rec.arrived;
        rec.kind = PB_MOCK_KIND_OK;
        rec.status = 200;
        rec.bytes = 64;
        rec.completed = true;
        cb(&calls, &rec);
    }
    return (double)(pb_monotime_now() - t0) * 1000.0 / N;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "alone") == 0) {
        printf("alone_ns %.1f\n", alone_ns());
        return 0;
    }
    if (argc < 2 || argc > 3 || (strcmp(argv[1], "off") != 0 && strcmp(argv[1], "on") != 0)) {
        fprintf(stderr, "usage: bench_mock_hook off|on [THREADS=2] | bench_mock_hook alone\n");
        return 2;
    }
    bool hooked = strcmp(argv[1], "on") == 0;
    const char *threads = argc == 3 ? argv[2] : "2";
    atomic_uint_fast64_t calls = 0;
    pb_mock_hooks hooks = {.request = hooked ? on_request : NULL, .data = &calls};

    /* SIGINT and SIGTERM are taken with sigwait; the server's threads inherit
     * the blocked mask */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0) {
        fprintf(stderr, "bench_mock_hook: cannot block SIGINT/SIGTERM\n");
        return 1;
    }

    int status = 1;
    pb_mock_config *cfg = NULL;
    pb_mock *m = NULL;
    pb_err err = {0};
    if (pb_mock_config_create(&cfg) != 0) {
        fprintf(stderr, "bench_mock_hook: out of memory\n");
        return 1;
    }
    if (pb_mock_config_set(cfg, "listen", "127.0.0.1:0", &err) != 0 ||
        pb_mock_config_set(cfg, "threads", threads, &err) != 0 ||
        pb_mock_config_set(cfg, "body-size", "64", &err) != 0 ||
        pb_mock_start_hooked(cfg, &hooks, &m, &err) != 0) {
        fprintf(stderr, "bench_mock_hook: %s\n", err.msg);
        goto cleanup;
    }
    printf("listening on %s\n", pb_mock_url(m));
    fflush(stdout);
    unsigned long long cpu0 = cpu_us();
    int sig;
    if (sigwait(&stop, &sig) != 0) {
        fprintf(stderr, "bench_mock_hook: sigwait failed\n");
        goto cleanup;
    }
    pb_mock_stats at_stop;
    pb_mock_stop_stats(m, &at_stop);
    m = NULL;
    printf("requests %llu calls %llu cpu_us %llu\n", (unsigned long long)at_stop.requests,
           (unsigned long long)atomic_load(&calls), cpu_us() - cpu0);
    status = hooked && at_stop.requests != atomic_load(&calls) ? 1 : 0;
cleanup:
    pb_mock_stop(m);
    pb_mock_config_destroy(cfg);
    return status;
}
