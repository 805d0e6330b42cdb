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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "engine.h"
#include "metrics_server.h"
#include "pb_child.h"
#include "scrape.h"
#include "scratch_db.h"
#include "test_env.h"

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
        cmocka_unit_test(a_port_in_use_is_refused),
        cmocka_unit_test_setup_teardown(the_cli_refuses_a_busy_port_before_starting,
                                        scratch_db_setup, scratch_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
