/* The live page at `/` of `run --metrics`, loaded by a real headless Chromium
 * (Debian's chromium): after the run has finished, while --metrics-linger
 * keeps the server up, the request count the page displays equals the
 * requests counter that /metrics serves at that moment and the run's rows in
 * the database; a page opened seconds into a run shows the run from its
 * first second, every second of it; `mock --metrics` serves the same page,
 * showing what the server counted. The page loads nothing from elsewhere.
 * Skipped when chromium is not installed ($PB_CHROMIUM names another). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pb_child.h"
#include "scrape.h"
#include "test_sql.h"

#define TRIES 300
#define TRY_EVERY_MS 100

static const char *chromium(void)
{
    const char *p = getenv("PB_CHROMIUM");
    return p != NULL ? p : "/usr/bin/chromium";
}

/* Sum of every sample of a family (its lines `name{...} value` or `name value`). */
static double family_sum(const char *page, const char *name)
{
    double sum = 0;
    size_t n = strlen(name);
    for (const char *p = page; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        if (strncmp(p, name, n) == 0 && (p[n] == '{' || p[n] == ' ')) {
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

/* The text of the element with id `id` in a dumped DOM (asserts it is there). */
static void element_text(const char *dom, const char *id, char *out, size_t cap)
{
    char open[64];
    snprintf(open, sizeof(open), "id=\"%s\">", id);
    const char *p = strstr(dom, open);
    assert_non_null(p);
    p += strlen(open);
    const char *end = strchr(p, '<');
    assert_non_null(end);
    snprintf(out, cap, "%.*s", (int)(end - p), p);
}

/* The test's long-lived child (a run, or a mock), so that a test that fails
 * halfway does not leave it serving: teardown kills what is still there. */
typedef struct live_test {
    pid_t server; /* 0 once the test has reaped it */
} live_test;

static int live_setup(void **state)
{
    *state = calloc(1, sizeof(live_test));
    return *state != NULL ? 0 : -1;
}

static int live_teardown(void **state)
{
    live_test *t = *state;
    if (t->server > 0) {
        kill(t->server, SIGKILL);
        waitpid(t->server, NULL, 0);
    }
    free(t);
    return 0;
}

static bool have_chromium(void)
{
    if (access(chromium(), X_OK) == 0)
        return true;
    printf("%s not installed (scripts/install-deps.sh --test installs chromium): skipped\n",
           chromium());
    return false;
}

/* The page's URL from the line a --metrics server prints on stderr: the URL
 * after `intro`, "http://127.0.0.1:PORT/metrics" (run) or ".../" (mock), as
 * its "/". */
static void page_url(const pb_child *c, const char *intro, char *url, size_t cap)
{
    const char *at = strstr(c->err, intro);
    assert_non_null(at);
    const char *start = at + strlen(intro);
    size_t n = strcspn(start, " \n");
    if (n >= strlen("metrics") && strncmp(start + n - strlen("metrics"), "metrics", 7) == 0)
        n -= strlen("metrics");
    assert_true(n > 0 && start[n - 1] == '/');
    snprintf(url, cap, "%.*s", (int)n, start);
}

/* The DOM of url as headless Chromium renders it after the page's script has
 * run for `budget_ms` of virtual time (malloc'd). */
static char *rendered(const char *dir, const char *url, const char *budget_ms)
{
    char profile[160], budget[64];
    snprintf(profile, sizeof(profile), "--user-data-dir=%s/chromium", dir);
    snprintf(budget, sizeof(budget), "--virtual-time-budget=%s", budget_ms);
    const char *cargs[] = {
        "--headless", "--no-sandbox", "--disable-gpu", profile, budget, "--dump-dom", url, NULL};
    pb_child_options copt = {.program = chromium()};
    pb_child browser;
    pb_child_spawn(&browser, cargs, &copt);
    pb_child_finish(&browser, 120000);
    assert_int_equal(pb_child_exit_code(&browser), 0);
    char *dom = strdup(browser.out);
    assert_non_null(dom);
    pb_child_cleanup(&browser);
    return dom;
}

/* A number from a /live.json body: the digits after "key": (asserts it is there). */
static double json_number(const char *body, const char *key)
{
    char quoted[64];
    snprintf(quoted, sizeof(quoted), "\"%s\":", key);
    const char *p = strstr(body, quoted);
    assert_non_null(p);
    return strtod(p + strlen(quoted), NULL);
}

static void remove_dir(const char *dir)
{
    char rm[192];
    snprintf(rm, sizeof(rm), "rm -rf %s", dir);
    assert_int_equal(system(rm), 0);
}

static void the_page_shows_the_rows_of_a_finished_run(void **state)
{
    live_test *t = *state;
    if (!have_chromium())
        skip();
    char dir[] = "/tmp/pb-test-live-page.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char db[128];
    snprintf(db, sizeof(db), "%s/run.db", dir);

    /* a port of its own choosing, read back from the line naming the URL;
     * some errors, so that the unserved share is drawn */
    const char *rargs[] = {"run", "--duration", "3s",          "--db",
                           db,    "--metrics",  "127.0.0.1:0", "--metrics-linger",
                           "60s", "--errors",   "503:0.05",    NULL};
    pb_child run;
    pb_child_spawn(&run, rargs, NULL);
    t->server = run.pid;
    pb_child_await(&run, PB_CHILD_ERR, "/metrics\n", 1, 30000);
    char url[160];
    page_url(&run, "live metrics at ", url, sizeof(url));

    /* the page itself: HTML, nothing fetched from anywhere else */
    char *body = NULL;
    assert_int_equal(scrape_get(url, &body), 200);
    assert_non_null(strstr(body, "<canvas"));
    assert_null(strstr(body, "://"));
    assert_null(strstr(body, "src="));
    free(body);

    /* wait for the end of the run on the page's own feed (not /metrics,
     * whose final page would end the linger) */
    char json_url[192];
    snprintf(json_url, sizeof(json_url), "%slive.json", url);
    bool finished = false;
    for (int i = 0; i < TRIES && !finished; i++) {
        assert_int_equal(scrape_get(json_url, &body), 200);
        finished = strstr(body, "\"finished\":true") != NULL;
        free(body);
        if (!finished)
            pb_child_pump(&run, TRY_EVERY_MS); /* waits on the child's output, bounded */
    }
    assert_true(finished);

    /* the page as a browser renders it, its script having polled the feed */
    char *dom = rendered(dir, url, "3000");
    char shown[64], status[256];
    element_text(dom, "requests", shown, sizeof(shown));
    element_text(dom, "status", status, sizeof(status));
    free(dom);
    assert_non_null(strstr(status, "finished after"));
    double displayed = strtod(shown, NULL);

    /* the counter at the same moment; this final scrape ends the linger */
    char metrics_url[192];
    snprintf(metrics_url, sizeof(metrics_url), "%smetrics", url);
    assert_int_equal(scrape_get(metrics_url, &body), 200);
    double counter = family_sum(body, "patternbench_requests_total");
    free(body);
    pb_child_finish(&run, PB_TEST_TIMEOUT_MS);
    t->server = 0;
    assert_int_equal(pb_child_exit_code(&run), 0);
    pb_child_cleanup(&run);
    int64_t rows = test_db_int(db, "SELECT count(*) FROM requests");
    printf("live page: displayed %s requests, /metrics %.0f, rows %lld\n", shown, counter,
           (long long)rows);
    assert_true(rows > 0);
    assert_true(displayed == counter);
    assert_true(displayed == (double)rows);
    remove_dir(dir);
}

/* Opened OPENED_AT seconds into a run, the page draws the run from 0 s, one
 * point per second it has run: the server kept them, not the page. */
#define OPENED_AT 4
static void a_page_opened_late_shows_the_run_from_its_start(void **state)
{
    live_test *t = *state;
    if (!have_chromium())
        skip();
    char dir[] = "/tmp/pb-test-live-late.XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *rargs[] = {"run", "--duration", "30s",         "--no-record", "--rate",
                           "200", "--metrics",  "127.0.0.1:0", NULL};
    pb_child run;
    pb_child_spawn(&run, rargs, NULL);
    t->server = run.pid;
    pb_child_await(&run, PB_CHILD_ERR, "/metrics\n", 1, 30000);
    char url[160], json_url[192];
    page_url(&run, "live metrics at ", url, sizeof(url));
    snprintf(json_url, sizeof(json_url), "%slive.json", url);

    /* wait, on the run's own feed, until it is OPENED_AT seconds in */
    double elapsed = 0;
    for (int i = 0; i < TRIES * 2 && elapsed < OPENED_AT * 1e6; i++) {
        char *body = NULL;
        assert_int_equal(scrape_get(json_url, &body), 200);
        if (strstr(body, "\"run\":null") == NULL)
            elapsed = json_number(body, "elapsed_us");
        free(body);
        if (elapsed < OPENED_AT * 1e6)
            pb_child_pump(&run, TRY_EVERY_MS);
    }
    assert_true(elapsed >= OPENED_AT * 1e6);

    char *dom = rendered(dir, url, "2500");
    char shown[128], status[256];
    element_text(dom, "shown", shown, sizeof(shown));
    element_text(dom, "status", status, sizeof(status));
    free(dom);
    kill(run.pid, SIGINT);
    pb_child_finish(&run, PB_TEST_TIMEOUT_MS);
    t->server = 0;
    pb_child_cleanup(&run);
    printf("live page opened %.1f s into the run: shown %s (%s)\n", elapsed / 1e6, shown, status);

    /* "0.0 s to 5.0 s, 5 points": from the start, a point a second */
    assert_non_null(strstr(status, "running"));
    double from = strtod(shown, NULL);
    const char *to_at = strstr(shown, " s to ");
    assert_non_null(to_at);
    double to = strtod(to_at + strlen(" s to "), NULL);
    const char *points_at = strstr(shown, " s, ");
    assert_non_null(points_at);
    long points = strtol(points_at + strlen(" s, "), NULL, 10);
    assert_true(from == 0);
    assert_true(to >= OPENED_AT);
    assert_true(points >= OPENED_AT);
    assert_true(points >= (long)to - 1 && points <= (long)to + 1);
    remove_dir(dir);
}

/* The URL after `intro` up to the line's end, in a child's stdout. */
static void line_url(const char *text, const char *intro, char *url, size_t cap)
{
    const char *at = strstr(text, intro);
    assert_non_null(at);
    at += strlen(intro);
    snprintf(url, cap, "%.*s", (int)strcspn(at, "\n"), at);
}

/* `mock --metrics` serves the same page, drawn from the server's own counts:
 * after a run against it, the page shows every request the server counted,
 * requests/s by outcome (the injected 503s as "error") from its first second. */
static void the_mock_page_shows_what_the_server_counted(void **state)
{
    live_test *t = *state;
    if (!have_chromium())
        skip();
    char dir[] = "/tmp/pb-test-live-mock.XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *margs[] = {"mock", "--metrics", "127.0.0.1:0", "--errors", "503:0.2", NULL};
    pb_child mock;
    pb_child_spawn(&mock, margs, NULL);
    t->server = mock.pid;
    pb_child_await(&mock, PB_CHILD_ERR, "(the counters at /metrics)\n", 1, 30000);
    pb_child_await(&mock, PB_CHILD_OUT, "\n", 1, 30000);
    char target[160], url[160], metrics_url[192];
    line_url(mock.out, "listening on ", target, sizeof(target));
    page_url(&mock, "live page at ", url, sizeof(url));
    snprintf(metrics_url, sizeof(metrics_url), "%smetrics", url);

    const char *rargs[] = {"run",    "--target", target,        "--duration", "3s",
                           "--rate", "100",      "--no-record", "--json",     NULL};
    pb_child run;
    assert_int_equal(pb_child_run(&run, rargs, NULL, PB_TEST_TIMEOUT_MS), 0);
    const char *req = strstr(run.out, "\"requests\":");
    assert_non_null(req);
    double sent = strtod(req + strlen("\"requests\":"), NULL);
    pb_child_cleanup(&run);
    assert_true(sent > 0);

    /* the page's figures are the server's, published once a second: wait
     * until the metrics port has published them all */
    double counted = 0;
    for (int i = 0; i < TRIES && counted < sent; i++) {
        char *body = NULL;
        assert_int_equal(scrape_get(metrics_url, &body), 200);
        counted = family_sum(body, "pb_mock_requests_total");
        free(body);
        if (counted < sent)
            pb_child_pump(&mock, TRY_EVERY_MS);
    }
    assert_true(counted == sent);

    char *dom = rendered(dir, url, "2500");
    char shown[64], status[256], range[128];
    element_text(dom, "requests", shown, sizeof(shown));
    element_text(dom, "status", status, sizeof(status));
    element_text(dom, "shown", range, sizeof(range));
    bool legend = strstr(dom, "</i>ok</span>") != NULL && strstr(dom, "</i>error</span>") != NULL;
    free(dom);
    kill(mock.pid, SIGTERM);
    pb_child_finish(&mock, PB_TEST_TIMEOUT_MS);
    t->server = 0;
    assert_int_equal(pb_child_exit_code(&mock), 0);
    pb_child_cleanup(&mock);
    printf(
        "mock's live page: displayed %s requests, the run sent %.0f, counted %.0f; shown %s (%s)\n",
        shown, sent, counted, range, status);
    assert_true(strtod(shown, NULL) == counted);
    assert_non_null(strstr(status, "serving for"));
    assert_true(strtod(range, NULL) == 0);
    assert_true(legend);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_page_shows_the_rows_of_a_finished_run, live_setup,
                                        live_teardown),
        cmocka_unit_test_setup_teardown(a_page_opened_late_shows_the_run_from_its_start, live_setup,
                                        live_teardown),
        cmocka_unit_test_setup_teardown(the_mock_page_shows_what_the_server_counted, live_setup,
                                        live_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
