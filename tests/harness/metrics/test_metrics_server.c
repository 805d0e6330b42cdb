/* The live metrics server: a real run publishes into it while a scraper reads
 * each second's page and the final one, promtool accepts what was served, and
 * a port in use is refused (by the library, and by run and compare with exit
 * status 2 before anything is started or recorded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine.h"
#include "metrics_server.h"
#include "monotime.h"
#include "pb_child.h"
#include "scrape.h"
#include "scratch_db.h"
#include "test_env.h"
#include "test_sql.h"

/* Sum of every sample of a family (its lines `name{...} value`). */
static double family_sum(const char *page, const char *name)
{
    double sum = 0;
    size_t n = strlen(name);
    for (const char *p = page; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        if (strncmp(p, name, n) == 0 && p[n] == '{') {
            /* the value follows the line's last space (label values may hold spaces) */
            const char *v = end != NULL ? end : p + strlen(p);
            while (v > p && v[-1] != ' ')
                v--;
            sum += strtod(v, NULL);
        }
        p = end;
        if (p != NULL)
            p++;
    }
    return sum;
}

/* What the scraper saw, run from the monitor right after each publish. */
struct watch {
    pb_metrics *m;
    int pages;
    bool matched; /* every page's requests = the view's rows */
    double last;
    bool monotonic;
    char *final_page;
};

static void watch_second(void *data, const pb_run_view *v)
{
    struct watch *w = data;
    pb_metrics_publish(w->m, v);
    char *page = NULL;
    assert_int_equal(scrape_get(pb_metrics_url(w->m), &page), 200);
    double requests = family_sum(page, "patternbench_requests_total");
    w->matched = w->matched && requests == (double)v->rows;
    w->monotonic = w->monotonic && requests >= w->last;
    w->last = requests;
    w->pages++;
    if (v->final)
        w->final_page = page;
    else
        free(page);
}

static void promtool_check(const char *page)
{
    if (access(scrape_promtool(), X_OK) != 0) {
        printf("promtool not installed (scripts/install-deps.sh --test installs prometheus): "
               "not checked\n");
        return;
    }
    assert_int_equal(scrape_promtool_check(page), 0);
}

static void a_run_is_scraped_live_and_final(void **state)
{
    scratch_db *c = *state;
    pb_metrics_addr addr;
    pb_err err = {0};
    assert_int_equal(pb_metrics_parse_addr("0", &addr, &err), 0);
    pb_metrics *m;
    assert_int_equal(pb_metrics_start(&addr, &m, &err), 0);
    char *page = NULL;
    /* before any run: the process's figures only */
    assert_int_equal(scrape_get(pb_metrics_url(m), &page), 200);
    assert_null(strstr(page, "patternbench_requests_total"));
    free(page);

    pb_run_config cfg;
    assert_int_equal(pb_run_config_init(&cfg), 0);
    assert_int_equal(pb_run_config_set(&cfg, "db", c->db, &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "quiet", NULL, &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "duration", "2500ms", &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "errors", "503:0.2", &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "label", "live \"one\"", &err), 0);
    struct watch w = {.m = m, .matched = true, .monotonic = true};
    pb_run_observer mon = {.second = watch_second, .data = &w};
    cfg.monitor = &mon;
    pb_recorder *rec;
    assert_int_equal(pb_recorder_open(c->db, 0, &rec, &err), 0);
    pb_stop_requested = 0;
    pb_run_summary s;
    assert_int_equal(pb_run_execute(&cfg, rec, &s, &err), 0);
    assert_int_equal(pb_recorder_close(rec, &err), 0);
    pb_run_config_cleanup(&cfg);

    assert_int_equal(w.pages, 3); /* seconds 1 and 2, then the final page */
    assert_true(w.matched);
    assert_true(w.monotonic);
    assert_non_null(w.final_page);
    const char *fp = w.final_page;
    assert_true(s.requests > 0);
    assert_true(family_sum(fp, "patternbench_requests_total") == (double)s.requests);
    assert_true(family_sum(fp, "patternbench_recorder_rows_written_total") == (double)s.requests);
    assert_true(family_sum(fp, "patternbench_run_finished") == 1);
    /* every attempt that reached the mock got a status (no faults injected) */
    assert_true(family_sum(fp, "patternbench_responses_total") == (double)s.network);
    assert_non_null(strstr(fp, "label=\"live \\\"one\\\"\""));
    char series[128];
    snprintf(series, sizeof(series), "run_id=\"%lld\"", (long long)s.run_id);
    assert_non_null(strstr(fp, series));
    promtool_check(fp);
    free(w.final_page);

    /* the final page has been sent in full: linger returns at once */
    assert_true(pb_metrics_linger(m, 5 * PB_USEC_PER_SEC));
    assert_true(pb_metrics_scrapes(m) >= 4);
    pb_metrics_stop(m);
}

/* Slow clients: sockets that send a request a byte at a time. */
#define SLOW_CLIENTS 1000
/* The whole test's bound, connecting included. */
#define SLOWLORIS_MS 30000
/* What a scraper may wait for a page while the slow clients hold on. */
#define SCRAPE_MAX_US (100 * PB_USEC_PER_MS)
#define SCRAPE_TRIES 3

struct slowloris {
    pb_metrics *m;
    int fds[SLOW_CLIENTS];
    int pages, answered;
    pb_usec worst;
    bool matched; /* every page's requests = the view's rows */
};

/* Each second of the run: every slow client sends one more byte of a header
 * it never ends (so no idle timeout closes it), then a real scrape is timed. */
static void slowloris_second(void *data, const pb_run_view *v)
{
    struct slowloris *sl = data;
    for (int i = 0; i < SLOW_CLIENTS; i++)
        (void)send(sl->fds[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    pb_metrics_publish(sl->m, v);
    /* the second's figure is the fastest of SCRAPE_TRIES scrapes: a machine
     * whose CPUs are shared with other work may leave any one scrape waiting
     * for a CPU, which is not the server holding it up */
    pb_usec best = PB_USEC_NEVER;
    for (int k = 0; k < SCRAPE_TRIES; k++) {
        char *page = NULL;
        pb_usec t0 = pb_monotime_now();
        long status = scrape_get(pb_metrics_url(sl->m), &page);
        pb_usec took = pb_monotime_now() - t0;
        sl->pages++;
        best = took < best ? took : best;
        if (status == 200) {
            sl->answered++;
            sl->matched = sl->matched &&
                          family_sum(page, "patternbench_requests_total") == (double)v->rows;
        }
        free(page);
    }
    if (best > sl->worst)
        sl->worst = best;
}

/* A thousand clients that connect and send a request a byte a second do not
 * keep a scraper out: every scrape is answered, each second's fastest of
 * three within 100 ms, and the run's rows are its summary's. */
static void slow_clients_do_not_block_scrapes(void **state)
{
    scratch_db *c = *state;
    pb_usec deadline = pb_monotime_now() + SLOWLORIS_MS * PB_USEC_PER_MS;
    pb_metrics_addr addr;
    pb_err err = {0};
    assert_int_equal(pb_metrics_parse_addr("127.0.0.1:0", &addr, &err), 0);
    pb_metrics *m;
    assert_int_equal(pb_metrics_start(&addr, &m, &err), 0);
    /* the server raised the soft descriptor limit; both ends live here */
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 8 * SLOW_CLIENTS + 256) {
        printf("open-file limit %llu: too low for %d slow clients and the server's table; "
               "not run\n",
               (unsigned long long)rl.rlim_cur, SLOW_CLIENTS);
        pb_metrics_stop(m);
        skip();
    }

    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)atoi(strrchr(pb_metrics_url(m), ':') + 1));
    struct slowloris *sl = calloc(1, sizeof(*sl));
    assert_non_null(sl);
    sl->m = m;
    sl->matched = true;
    struct pollfd *pfd = calloc(SLOW_CLIENTS, sizeof(*pfd));
    assert_non_null(pfd);
    for (int i = 0; i < SLOW_CLIENTS; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
        assert_true(rc == 0 || errno == EINPROGRESS);
        sl->fds[i] = fd;
        pfd[i] = (struct pollfd){.fd = fd, .events = POLLOUT};
    }
    /* bounded wait until every connection is established */
    int connected = 0;
    while (connected < SLOW_CLIENTS && pb_monotime_now() < deadline) {
        int n = poll(pfd, SLOW_CLIENTS, 100);
        assert_true(n >= 0 || errno == EINTR);
        for (int i = 0; i < SLOW_CLIENTS && n > 0; i++) {
            if (pfd[i].fd < 0 || pfd[i].revents == 0)
                continue;
            int e = 0;
            socklen_t el = sizeof(e);
            assert_int_equal(getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &e, &el), 0);
            if (e != 0)
                fail_msg("slow client %d could not connect: %s", i, strerror(e));
            static const char start[] = "GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Slow: ";
            assert_int_equal(send(pfd[i].fd, start, sizeof(start) - 1, MSG_NOSIGNAL),
                             (ssize_t)(sizeof(start) - 1));
            pfd[i].fd = -1;
            connected++;
        }
    }
    free(pfd);
    assert_int_equal(connected, SLOW_CLIENTS);

    pb_run_config cfg;
    assert_int_equal(pb_run_config_init(&cfg), 0);
    assert_int_equal(pb_run_config_set(&cfg, "db", c->db, &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "quiet", NULL, &err), 0);
    assert_int_equal(pb_run_config_set(&cfg, "duration", "3s", &err), 0);
    /* a steady load that leaves the machine's CPUs to the server being
     * tested (the test shares them with the rest of the suite) */
    assert_int_equal(pb_run_config_set(&cfg, "rate", "500", &err), 0);
    pb_run_observer mon = {.second = slowloris_second, .data = sl};
    cfg.monitor = &mon;
    pb_recorder *rec;
    assert_int_equal(pb_recorder_open(c->db, 0, &rec, &err), 0);
    pb_stop_requested = 0;
    pb_run_summary s;
    assert_int_equal(pb_run_execute(&cfg, rec, &s, &err), 0);
    assert_int_equal(pb_recorder_close(rec, &err), 0);
    pb_run_config_cleanup(&cfg);

    printf("%d scrapes beside %d slow clients: %d answered; the fastest of each second's %d, at "
           "worst %.1f ms\n",
           sl->pages, SLOW_CLIENTS, sl->answered, SCRAPE_TRIES, (double)sl->worst / 1000.0);
    assert_true(sl->pages >= 3 * SCRAPE_TRIES);
    assert_int_equal(sl->answered, sl->pages);
    assert_true(sl->worst <= SCRAPE_MAX_US);
    assert_true(sl->matched);
    assert_true(s.requests > 0);
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM requests WHERE run_id = %lld",
             (long long)s.run_id);
    assert_int_equal(test_db_int(c->db, sql), (int64_t)s.requests);
    assert_true(pb_monotime_now() < deadline);
    for (int i = 0; i < SLOW_CLIENTS; i++)
        close(sl->fds[i]);
    free(sl);
    pb_metrics_stop(m);
}

static void a_port_in_use_is_refused(void **state)
{
    pb_metrics_addr addr;
    pb_err err = {0};
    assert_int_equal(pb_metrics_parse_addr("127.0.0.1:0", &addr, &err), 0);
    pb_metrics *a, *b = NULL;
    assert_int_equal(pb_metrics_start(&addr, &a, &err), 0);
    const char *url = pb_metrics_url(a);
    unsigned port = (unsigned)atoi(strrchr(url, ':') + 1);
    char text[32], want[64];
    snprintf(text, sizeof(text), "%u", port);
    assert_int_equal(pb_metrics_parse_addr(text, &addr, &err), 0);
    assert_int_equal(pb_metrics_start(&addr, &b, &err), PB_ENET);
    assert_null(b);
    snprintf(want, sizeof(want), "--metrics: cannot listen on 127.0.0.1:%u: ", port);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, "in use"));
    pb_metrics_stop(a);

    /* what --metrics accepts */
    assert_int_equal(pb_metrics_parse_addr("[::1]:9464", &addr, &err), 0);
    assert_true(addr.ipv6);
    assert_string_equal(addr.host, "::1");
    assert_int_equal(pb_metrics_parse_addr("localhost:9464", &addr, &err), 0);
    assert_string_equal(addr.host, "127.0.0.1");
    static const char *const bad[] = {"", "nope", "70000", "1.2.3:80", ":80", "[::1]", "-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(pb_metrics_parse_addr(bad[i], &addr, &err), PB_EPARSE);
        assert_non_null(strstr(err.msg, "--metrics: expected [ADDR:]PORT"));
    }
}

/* `run` and `compare` with --metrics on a busy port: exit 2, a message naming
 * --metrics and the address, and no database (nothing was started). */
static void the_cli_refuses_a_busy_port_before_starting(void **state)
{
    scratch_db *c = *state;
    pb_metrics_addr addr;
    pb_err err = {0};
    assert_int_equal(pb_metrics_parse_addr("127.0.0.1:0", &addr, &err), 0);
    pb_metrics *busy;
    assert_int_equal(pb_metrics_start(&addr, &busy, &err), 0);
    char port[16], want[80], scenario[512];
    snprintf(port, sizeof(port), "%s", strrchr(pb_metrics_url(busy), ':') + 1);
    *strchr(port, '/') = '\0';
    snprintf(want, sizeof(want), "--metrics: cannot listen on 127.0.0.1:%s", port);
    snprintf(scenario, sizeof(scenario), "%s/scenarios/demo.json", test_env("PB_SOURCE_DIR"));

    const char *run[] = {"run", "--duration", "1s", "--db", c->db, "--metrics", port, NULL};
    const char *compare[] = {"compare", scenario,    "--duration", "1s", "--db",
                             c->db,     "--metrics", port,         NULL};
    const char *const *cmds[] = {run, compare};
    pb_child ch;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pb_child_run(&ch, cmds[i], NULL, PB_TEST_TIMEOUT_MS), 2);
        assert_non_null(strstr(ch.err, want));
        assert_non_null(strstr(ch.err, "nothing was started"));
        pb_child_cleanup(&ch);
        struct stat st;
        assert_int_not_equal(stat(c->db, &st), 0);
    }
    /* a malformed address is a usage error too */
    const char *bad[] = {"run", "--db", c->db, "--metrics", "local:host", NULL};
    assert_int_equal(pb_child_run(&ch, bad, NULL, PB_TEST_TIMEOUT_MS), 2);
    assert_non_null(strstr(ch.err, "--metrics: expected [ADDR:]PORT"));
    pb_child_cleanup(&ch);
    pb_metrics_stop(busy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_run_is_scraped_live_and_final, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(slow_clients_do_not_block_scrapes, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test(a_port_in_use_is_refused),
        cmocka_unit_test_setup_teardown(the_cli_refuses_a_busy_port_before_starting,
                                        scratch_db_setup, scratch_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
