/* Proof with a real scraper: Debian's prometheus (scripts/install-deps.sh
 * --test) scrapes `patternbench run --metrics` every second on loopback;
 * after the run, Prometheus's HTTP API is asked for the requests counter, and
 * its last value must match the run's rows in the database within one scrape
 * interval's worth of requests, and every query of the shipped Grafana
 * dashboard (deploy/grafana/patternbench.json) must return data. Skipped
 * when prometheus is not installed. */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "pb_child.h"
#include "scrape.h"
#include "test_env.h"
#include "test_file.h"
#include "test_sql.h"

#define RUN_SECONDS 8
#define TRIES 30
#define TRY_EVERY_MS 200

static const char *prometheus(void)
{
    const char *p = getenv("PB_PROMETHEUS");
    return p != NULL ? p : "/usr/bin/prometheus";
}

/* The value of a one-sample instant query, or -1 while it has no sample. */
static double query(unsigned port, const char *promql)
{
    char url[512], *body = NULL;
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/query?query=%s", port, promql);
    if (scrape_get(url, &body) != 200) {
        free(body);
        return -1;
    }
    json_t *root = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(root);
    json_t *result = json_object_get(json_object_get(root, "data"), "result");
    double v = -1;
    if (json_array_size(result) == 1)
        v = strtod(json_string_value(
                       json_array_get(json_object_get(json_array_get(result, 0), "value"), 1)),
                   NULL);
    json_decref(root);
    return v;
}

/* The series an instant query returns; -1 when the query fails. The text is
 * percent-encoded here. */
static int series_of(unsigned port, const char *promql, char *why, size_t why_len)
{
    char q[2048], url[2300], *body = NULL;
    size_t n = 0;
    for (const char *p = promql; *p != '\0' && n + 4 < sizeof(q); p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-')
            q[n++] = (char)c;
        else
            n += (size_t)snprintf(q + n, sizeof(q) - n, "%%%02X", c);
    }
    q[n] = '\0';
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/query?query=%s", port, q);
    int code = scrape_get(url, &body);
    snprintf(why, why_len, "HTTP %d: %.200s", code, body != NULL ? body : "");
    json_t *root = code == 200 ? json_loads(body, 0, NULL) : NULL;
    free(body);
    if (root == NULL)
        return -1;
    int series = (int)json_array_size(json_object_get(json_object_get(root, "data"), "result"));
    json_decref(root);
    return series;
}

/* Every panel query of the Grafana dashboard, now, Grafana's variables
 * given values ($__rate_interval: 15 s, where Grafana takes at least four
 * scrape intervals; a loaded test machine misses some of the 1 s scrapes, and
 * a rate needs two samples in its window); fails naming the first that
 * returns no data. Returns how many were run. */
static int dashboard_queries_return_data(unsigned port)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/deploy/grafana/patternbench.json", test_env("PB_SOURCE_DIR"));
    json_error_t jerr;
    json_t *dash = json_load_file(path, 0, &jerr);
    if (dash == NULL)
        fail_msg("%s: %s", path, jerr.text);
    int n = 0;
    json_t *panel;
    size_t i;
    json_array_foreach(json_object_get(dash, "panels"), i, panel)
    {
        json_t *target;
        size_t k;
        json_array_foreach(json_object_get(panel, "targets"), k, target)
        {
            const char *expr = json_string_value(json_object_get(target, "expr"));
            assert_non_null(expr);
            char q[1024] = "", *o = q;
            for (const char *p = expr; *p != '\0' && o < q + sizeof(q) - 32;) {
                if (strncmp(p, "$__rate_interval", 16) == 0) {
                    o += sprintf(o, "15s");
                    p += 16;
                } else if (strncmp(p, "$job", 4) == 0) {
                    o += sprintf(o, "patternbench");
                    p += 4;
                } else {
                    *o++ = *p++;
                }
            }
            *o = '\0';
            char why[256];
            int series = series_of(port, q, why, sizeof(why));
            if (series <= 0)
                fail_msg("panel \"%s\": %s returned no data (%s)",
                         json_string_value(json_object_get(panel, "title")), q, why);
            n++;
        }
    }
    json_decref(dash);
    return n;
}

static void prometheus_sees_every_row(void **state)
{
    if (access(prometheus(), X_OK) != 0) {
        printf("prometheus not installed (scripts/install-deps.sh --test installs it): "
               "skipped\n");
        skip();
    }
    char dir[] = "/tmp/pb-test-prometheus.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char config[128], data[128], plog[128], db[128];
    snprintf(config, sizeof(config), "%s/prometheus.yml", dir);
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(plog, sizeof(plog), "%s/prometheus.log", dir);
    snprintf(db, sizeof(db), "%s/run.db", dir);
    unsigned mport = scrape_free_port(), pport = scrape_free_port();
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f,
            "global:\n"
            "  scrape_interval: 1s\n"
            "  scrape_timeout: 1s\n"
            "scrape_configs:\n"
            "  - job_name: patternbench\n"
            "    static_configs:\n"
            "      - targets: ['127.0.0.1:%u']\n",
            mport);
    fclose(f);

    char a_config[160], a_data[160], a_listen[96];
    snprintf(a_config, sizeof(a_config), "--config.file=%s", config);
    snprintf(a_data, sizeof(a_data), "--storage.tsdb.path=%s", data);
    snprintf(a_listen, sizeof(a_listen), "--web.listen-address=127.0.0.1:%u", pport);
    char *pargv[] = {(char *)prometheus(), a_config, a_data, a_listen, NULL};
    pid_t prom = scrape_spawn(pargv, plog);

    /* ready: each try is an HTTP request, bounded in count and time */
    char ready[96], *body = NULL;
    snprintf(ready, sizeof(ready), "http://127.0.0.1:%u/-/ready", pport);
    bool up = false;
    for (int i = 0; i < 100 && !up; i++) {
        up = scrape_get(ready, &body) == 200;
        free(body);
        if (!up)
            poll(NULL, 0, 100);
    }
    assert_true(up);

    char metrics[64];
    snprintf(metrics, sizeof(metrics), "127.0.0.1:%u", mport);
    char duration[16];
    snprintf(duration, sizeof(duration), "%ds", RUN_SECONDS);
    /* --metrics-linger: the run ends once Prometheus has scraped its final figures */
    /* some errors, so that the unserved share has a series */
    const char *rargs[] = {
        "run", "--duration", duration,   "--db",    db,  "--metrics", metrics, "--metrics-linger",
        "5s",  "--errors",   "503:0.05", "--quiet", NULL};
    pb_child run;
    pb_child_spawn(&run, rargs, NULL);
    /* while it runs, as a user watches it: once Prometheus holds a few
     * seconds of it, every query of the dashboard returns data */
    double samples = -1;
    for (int i = 0; i < 4 * TRIES && samples < 3; i++) {
        /* count_over_time(patternbench_run_elapsed_seconds[15s]), encoded */
        samples = query(pport, "max(count_over_time(patternbench_run_elapsed_seconds%5B15s%5D))");
        if (samples < 3)
            pb_child_pump(&run, TRY_EVERY_MS); /* waits on the child's output, bounded */
    }
    assert_true(samples >= 3);
    int panels = dashboard_queries_return_data(pport);
    pb_child_finish(&run, PB_TEST_TIMEOUT_MS);
    assert_int_equal(pb_child_exit_code(&run), 0);
    pb_child_cleanup(&run);
    int64_t rows = test_db_int(db, "SELECT count(*) FROM requests");
    assert_true(rows > 0);

    /* the final scrape is stored a moment after it was answered */
    double finished = -1, seen = -1;
    int tries = 0;
    for (; tries < TRIES; tries++) {
        finished = query(pport, "patternbench_run_finished");
        if (finished == 1)
            break;
        poll(NULL, 0, TRY_EVERY_MS);
    }
    seen = query(pport, "sum(patternbench_requests_total)");
    /* once the run has gone, the next scrape fails and Prometheus marks its
     * series stale: a plain query has nothing, last_over_time still has the
     * final value (what docs/metrics.md tells a user to query after a run) */
    double stale = seen, last = -1;
    for (int i = 0; i < TRIES && stale >= 0; i++) {
        stale = query(pport, "sum(patternbench_requests_total)");
        if (stale >= 0)
            poll(NULL, 0, TRY_EVERY_MS);
    }
    if (stale < 0)
        last = query(pport, "sum(last_over_time(patternbench_requests_total[10m]))");
    double rps = (double)rows / RUN_SECONDS;
    printf("prometheus: requests %.0f, rows %lld, difference %.0f, run %.0f req/s "
           "(one scrape interval's worth), final figures %s after %d tr%s; after the run a "
           "plain query has %s, last_over_time %.0f; %d dashboard queries returned data\n",
           seen, (long long)rows, (double)rows - seen, rps, finished == 1 ? "seen" : "not seen",
           tries + 1, tries == 0 ? "y" : "ies", stale < 0 ? "nothing" : "a value", last, panels);
    kill(prom, SIGTERM);
    scrape_wait(prom);
    test_rmtree(dir);
    assert_true(seen >= 0);
    assert_true(seen <= (double)rows);
    assert_true((double)rows - seen <= rps * 1.0);
    assert_true(stale < 0);
    assert_true(last == seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prometheus_sees_every_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
