/* `patternbench mock` as a user runs it: the first line names the URL, it
 * serves until SIGTERM, then prints its counters; usage errors exit 2 and
 * name the option; --db records what it answered. The binary comes from
 * $PB_BINARY. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "fault_model.h"
#include "mock_config.h"
#include "monotime.h"
#include "pb_child.h"
#include "scratch_db.h"
#include "test_file.h"
#include "test_sql.h"

/* How long the mock may take to end once told to, and to say where it listens. */
#define WITHIN_MS 10000

static void help_describes_the_options(void **state)
{
    pb_child c;
    assert_int_equal(
        pb_child_run(&c, (const char *const[]){"mock", "--help", NULL}, NULL, WITHIN_MS), 0);
    assert_non_null(strstr(c.out, "usage: patternbench mock"));
    const char *opts[] = {"--listen",      "--latency",          "--errors",
                          "--faults",      "--capacity",         "--queue-limit",
                          "--rate-limit",  "--body-size",        "--seed",
                          "--threads",     "--profile",          "--hang-max",
                          "--latency-cap", "--idle-timeout",     "--connection-limit",
                          "--admin",       "--admin-token-file", "PB_ADMIN_TOKEN"};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (strstr(c.out, opts[i]) == NULL)
            fail_msg("--help does not mention %s", opts[i]);
    pb_child_cleanup(&c);
    assert_int_equal(pb_child_run(&c, (const char *const[]){"--help", NULL}, NULL, WITHIN_MS), 0);
    assert_non_null(strstr(c.out, "mock"));
    pb_child_cleanup(&c);
}

static void usage_errors_exit_2_naming_the_option(void **state)
{
    const struct {
        const char *args[4];
        const char *expect;
    } bad[] = {
        {{"mock", "--latency", "fixed:10", NULL}, "--latency"},
        {{"mock", "--errors", "503:2", NULL}, "--errors fraction of 503"},
        {{"mock", "--nope", "1", NULL},
         "patternbench mock: --nope: unknown option\nsee 'patternbench mock --help'\n"},
        {{"mock", "stray", NULL}, "stray: unexpected argument"},
        {{"mock", "--capacity", NULL}, "--capacity: expected a value"},
        {{"mock", "--profile=/nonexistent.json", NULL}, "--profile: cannot open"},
        {{"mock", "--listen", "0.0.0.0:0", NULL}, "reachable from other machines"},
        {{"mock", "--idle-timeout", "1500ms", NULL}, "--idle-timeout: expected whole seconds"},
        {{"mock", "--metrics", "nope", NULL}, "--metrics: expected [ADDR:]PORT"},
        {{"mock", "--admin", "maybe", NULL}, "--admin: expected on, off or open"},
        {{"mock", "--admin-token-file", "/nonexistent", NULL}, "--admin-token-file: cannot open"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_child c;
        int code = pb_child_run(&c, bad[i].args, NULL, WITHIN_MS);
        if (code != 2 || strstr(c.err, bad[i].expect) == NULL)
            fail_msg("%s %s: exit %d, stderr \"%s\", expected 2 and \"%s\"", bad[i].args[1],
                     bad[i].args[2] ? bad[i].args[2] : "", code, c.err, bad[i].expect);
        assert_int_equal(c.out_len, 0);
        pb_child_cleanup(&c);
    }
}

static size_t discard(char *p, size_t size, size_t n, void *data)
{
    return size * n;
}

/* GET url with "Authorization: Bearer TOKEN" unless token is NULL; the status. */
static long get(const char *url, const char *token)
{
    char auth[128];
    CURL *e = curl_easy_init();
    assert_non_null(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    struct curl_slist *h = NULL;
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        h = curl_slist_append(NULL, auth);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    }
    long status = 0;
    assert_int_equal(curl_easy_perform(e), CURLE_OK);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    return status;
}

/* Wait for the first line and return the port. */
static unsigned listening_port(pb_child *c)
{
    pb_child_await(c, PB_CHILD_OUT, "\n", 1, WITHIN_MS);
    unsigned port = 0;
    assert_int_equal(sscanf(c->out, "listening on http://127.0.0.1:%u\n", &port), 1);
    return port;
}

static void the_admin_token_comes_from_a_file_or_the_environment(void **state)
{
    char path[] = "/tmp/pb_token_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char line[] = "from-the-file\n";
    assert_int_equal(write(fd, line, sizeof(line) - 1), (ssize_t)(sizeof(line) - 1));
    close(fd);
    for (int source = 0; source < 2; source++) {
        pb_child c;
        const char *token = source == 0 ? "from-the-file" : "from-the-environment";
        if (source == 0) {
            pb_child_spawn(&c, (const char *const[]){"mock", "--admin-token-file", path, NULL},
                           NULL);
        } else {
            assert_int_equal(setenv("PB_ADMIN_TOKEN", token, 1), 0);
            pb_child_spawn(&c, (const char *const[]){"mock", NULL}, NULL);
            assert_int_equal(unsetenv("PB_ADMIN_TOKEN"), 0);
        }
        char url[96];
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/__admin/stats", listening_port(&c));
        assert_int_equal(get(url, NULL), 401);
        assert_int_equal(get(url, "wrong"), 401);
        assert_int_equal(get(url, token), 200);
        assert_int_equal(kill(c.pid, SIGTERM), 0);
        pb_child_finish(&c, WITHIN_MS);
        assert_int_equal(pb_child_exit_code(&c), 0);
        pb_child_cleanup(&c);
    }
    unlink(path);
}

static void serves_until_sigterm_then_prints_counters(void **state)
{
    pb_child c;
    pb_child_spawn(&c,
                   (const char *const[]){"mock", "--listen", "127.0.0.1:0", "--errors=503:1",
                                         "--seed", "4", NULL},
                   NULL);
    pb_child_await(&c, PB_CHILD_OUT, "\n", 1, WITHIN_MS);
    unsigned port = 0;
    assert_int_equal(sscanf(c.out, "listening on http://127.0.0.1:%u\n", &port), 1);
    assert_true(port > 0 && port < 65536);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", port);
    assert_int_equal(get(url, NULL), 503);
    assert_int_equal(get(url, NULL), 503);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/__admin/stats", port);
    assert_int_equal(get(url, NULL), 200);
    assert_int_equal(kill(c.pid, SIGTERM), 0);
    pb_child_finish(&c, WITHIN_MS);
    assert_int_equal(pb_child_exit_code(&c), 0);
    assert_non_null(strstr(c.out, "\nrequests 2\n"));
    assert_non_null(strstr(c.out, "\nerrors 2\n"));
    assert_non_null(strstr(c.out, "\nstatus 503 2\n"));
    pb_child_cleanup(&c);
}

static void a_port_in_use_exits_1_naming_it(void **state)
{
    pb_child a, b;
    pb_child_spawn(&a, (const char *const[]){"mock", NULL}, NULL);
    pb_child_await(&a, PB_CHILD_OUT, "\n", 1, WITHIN_MS);
    unsigned port = 0;
    assert_int_equal(sscanf(a.out, "listening on http://127.0.0.1:%u", &port), 1);
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
    assert_int_equal(
        pb_child_run(&b, (const char *const[]){"mock", "--listen", listen, NULL}, NULL, WITHIN_MS),
        1);
    assert_non_null(strstr(b.err, listen));
    pb_child_cleanup(&b);
    assert_int_equal(kill(a.pid, SIGINT), 0);
    pb_child_finish(&a, WITHIN_MS);
    assert_int_equal(pb_child_exit_code(&a), 0);
    assert_non_null(strstr(a.out, "\nrequests 0\n"));
    pb_child_cleanup(&a);
}

static void sigint_stops_it_even_when_started_ignored(void **state)
{
    pb_child c;
    pb_child_spawn(&c, (const char *const[]){"mock", NULL},
                   &(pb_child_options){.ignore_sigint = true});
    pb_child_await(&c, PB_CHILD_OUT, "\n", 1, WITHIN_MS);
    assert_int_equal(kill(c.pid, SIGINT), 0);
    pb_child_finish(&c, WITHIN_MS);
    assert_int_equal(pb_child_exit_code(&c), 0);
    assert_non_null(strstr(c.out, "\nrequests 0\n"));
    pb_child_cleanup(&c);
}

/* GET url with X-PB-Seq: seq; whatever happens (a reset is a curl error). */
static void get_numbered(const char *url, uint64_t seq)
{
    char h[64];
    snprintf(h, sizeof(h), "X-PB-Seq: %llu", (unsigned long long)seq);
    struct curl_slist *hs = curl_slist_append(NULL, h);
    CURL *e = curl_easy_init();
    assert_non_null(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_perform(e);
    curl_easy_cleanup(e);
    curl_slist_free_all(hs);
}

/* The number after "\nNAME " in the mock's counters. */
static long long counter(const char *out, const char *name)
{
    char key[64];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *p = strstr(out, key);
    if (p == NULL)
        fail_msg("no counter %s in: %s", name, out);
    return atoll(p + strlen(key));
}

#define DB_REQUESTS 300
#define DB_SEED "5"
static const char *const db_opts[] = {
    "errors",  "503:0.2",           "faults", "reset:0.05,malformed:0.05",
    "latency", "uniform:100us,1ms", NULL};

/* `patternbench report DB -o DIR/page` exits 0. */
static void report_ok(const char *db, const char *dir)
{
    char page[96];
    snprintf(page, sizeof(page), "%s/page", dir);
    pb_child r;
    assert_int_equal(pb_child_run(&r, (const char *const[]){"report", db, "-o", page, NULL}, NULL,
                                  PB_TEST_TIMEOUT_MS),
                     0);
    pb_child_cleanup(&r);
}

/* `mock --db`: one row per request it answered, each the server's decision
 * for that request's X-PB-Seq, adding up to the counters it prints; the
 * rollup and the summary say the same; report reads it as any run. */
static void mock_db_records_every_request_it_answered(void **state)
{
    char dir[64], path[128], url[96];
    scratch_db_create(dir, sizeof(dir), path, sizeof(path), "mockdb");
    pb_child c;
    const char *args[16] = {"mock", "--db", path, "--label", "server side", "--seed", DB_SEED};
    int n = 7;
    for (int i = 0; db_opts[i] != NULL; i += 2) {
        static char names[8][32];
        snprintf(names[i / 2], sizeof(names[0]), "--%s", db_opts[i]);
        args[n++] = names[i / 2];
        args[n++] = db_opts[i + 1];
    }
    args[n] = NULL;
    pb_child_spawn(&c, args, NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", listening_port(&c));
    for (uint64_t k = 0; k < DB_REQUESTS; k++)
        get_numbered(url, k);
    assert_int_equal(kill(c.pid, SIGINT), 0);
    pb_child_finish(&c, WITHIN_MS);
    assert_int_equal(pb_child_exit_code(&c), 0);
    assert_int_equal(counter(c.out, "requests"), DB_REQUESTS);
    assert_non_null(strstr(c.out, "recorded 300 requests into"));

    sqlite3 *db = test_db_open(path);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM requests"), DB_REQUESTS);
    assert_int_equal(
        test_sql_int(db, "SELECT count(DISTINCT seq) FROM requests WHERE seq BETWEEN 0 AND 299"),
        DB_REQUESTS);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM requests_v WHERE status = 503"),
                     counter(c.out, "errors"));
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM requests_v WHERE outcome = 'reset'"),
                     counter(c.out, "resets"));
    assert_int_equal(
        test_sql_int(db, "SELECT count(*) FROM requests_v WHERE outcome = 'protocol_error'"),
        counter(c.out, "malformed"));
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM requests_v WHERE status = 200"),
                     counter(c.out, "ok"));
    assert_int_equal(test_sql_int(db, "SELECT sum(count) FROM seconds"), DB_REQUESTS);
    assert_int_equal(test_sql_int(db,
                                  "SELECT count(*) FROM runs WHERE pattern = 'mock' AND label = "
                                  "'server side' AND status = 'completed' AND seed = 5"),
                     1);
    assert_int_equal(
        test_sql_int(db, "SELECT json_extract(summary_json, '$.server.requests') FROM runs"),
        DB_REQUESTS);

    /* each row is the server's own draw for its X-PB-Seq: what it decided,
     * the latency it drew (ttfb_us in a server-side row) */
    pb_mock_config *mc;
    pb_err err = {0};
    assert_int_equal(pb_mock_config_create(&mc), 0);
    for (int i = 0; db_opts[i] != NULL; i += 2)
        assert_int_equal(pb_mock_config_set(mc, db_opts[i], db_opts[i + 1], &err), 0);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, status, outcome, ttfb_us FROM requests_v",
                                        -1, &st, NULL),
                     SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        pb_fault_decision d;
        pb_fault_decide(&mc->base, 5, (uint64_t)sqlite3_column_int64(st, 0) << 8, &d);
        const char *outcome = (const char *)sqlite3_column_text(st, 2);
        const char *want = d.action == PB_MOCK_OK      ? "ok"
                           : d.action == PB_MOCK_ERROR ? "http_error"
                           : d.action == PB_MOCK_RESET ? "reset"
                                                       : "protocol_error";
        assert_string_equal(outcome, want);
        if (d.action == PB_MOCK_OK || d.action == PB_MOCK_ERROR)
            assert_int_equal(sqlite3_column_int64(st, 1), d.status);
        assert_int_equal(sqlite3_column_int64(st, 3), d.latency);
        rows++;
    }
    sqlite3_finalize(st);
    assert_int_equal(rows, DB_REQUESTS);
    pb_mock_config_destroy(mc);
    sqlite3_close(db);
    pb_child_cleanup(&c);

    report_ok(path, dir);
    test_rmtree(dir);
}

/* SIGKILL in the middle: every row committed stays, and report completes
 * the run from them. */
static void mock_db_killed_keeps_what_it_committed(void **state)
{
    char dir[64], path[128], url[96];
    scratch_db_create(dir, sizeof(dir), path, sizeof(path), "mockdb");
    pb_child c;
    pb_child_spawn(&c, (const char *const[]){"mock", "--db", path, NULL}, NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", listening_port(&c));
    for (uint64_t k = 0; k < 100; k++)
        get_numbered(url, k);
    /* the writer commits at least once a second: wait (bounded) for all 100 */
    sqlite3 *db = test_db_open(path);
    sqlite3_busy_timeout(db, 1000);
    pb_usec deadline = pb_monotime_now() + 10 * PB_USEC_PER_SEC;
    while (test_sql_int(db, "SELECT count(*) FROM requests") < 100) {
        assert_true(pb_monotime_now() < deadline);
        pb_child_pump(&c, 50); /* waits on the child's pipes, not a sleep */
    }
    assert_int_equal(kill(c.pid, SIGKILL), 0);
    pb_child_finish(&c, WITHIN_MS);
    pb_child_cleanup(&c);
    assert_int_equal(test_sql_int(db, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
    sqlite3_close(db);

    report_ok(path, dir);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "%s/page/summary.json", dir);
    json_error_t jerr;
    json_t *j = json_load_file(cmd, 0, &jerr);
    assert_non_null(j);
    json_t *run = json_array_get(json_object_get(j, "runs"), 0);
    assert_int_equal(json_integer_value(json_object_get(run, "requests")), 100);
    json_decref(j);
    test_rmtree(dir);
}

/* A server-side soak stores as `run` does: --record seconds keeps the rollup
 * and no request rows, --record sample:N one row in N; the counts stay whole. */
static void mock_db_stores_as_run_is_told(void **state)
{
    static const struct {
        const char *mode;
        int rows;            /* request rows stored of 100 */
        const char *reserve; /* a size or a share of the disk, as run takes it */
    } cases[] = {{"seconds", 0, "1M"}, {"sample:4", 25, "0.01%"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dir[64], path[128], url[96];
        scratch_db_create(dir, sizeof(dir), path, sizeof(path), "mockdb");
        pb_child c;
        pb_child_spawn(&c,
                       (const char *const[]){"mock", "--db", path, "--record", cases[i].mode,
                                             "--keep-requests", "7d", "--disk-reserve",
                                             cases[i].reserve, NULL},
                       NULL);
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", listening_port(&c));
        for (uint64_t k = 0; k < 100; k++)
            get_numbered(url, k);
        assert_int_equal(kill(c.pid, SIGINT), 0);
        pb_child_finish(&c, WITHIN_MS);
        assert_int_equal(pb_child_exit_code(&c), 0);
        assert_non_null(strstr(c.out, "recorded 100 requests into"));
        pb_child_cleanup(&c);
        sqlite3 *db = test_db_open(path);
        assert_int_equal(test_sql_int(db, "SELECT count(*) FROM requests"), cases[i].rows);
        assert_int_equal(test_sql_int(db, "SELECT sum(count) FROM seconds"), 100);
        sqlite3_close(db);
        test_rmtree(dir);
    }
}

static void mock_db_bad_input_names_it(void **state)
{
    pb_child c;
    assert_int_equal(
        pb_child_run(&c, (const char *const[]){"mock", "--db", "/nonexistent/dir/x.db", NULL}, NULL,
                     WITHIN_MS),
        1);
    assert_non_null(strstr(c.err, "/nonexistent/dir"));
    assert_null(strstr(c.out, "listening on"));
    pb_child_cleanup(&c);
    assert_int_equal(pb_child_run(&c, (const char *const[]){"mock", "--db", NULL}, NULL, WITHIN_MS),
                     2);
    assert_non_null(strstr(c.err, "patternbench mock: --db: expected a value"));
    pb_child_cleanup(&c);
    /* how much is stored: run's words, and only with --db */
    assert_int_equal(pb_child_run(&c,
                                  (const char *const[]){"mock", "--db", "x.db", "--keep-requests",
                                                        "500ms", NULL},
                                  NULL, WITHIN_MS),
                     2);
    assert_non_null(strstr(c.err, "--keep-requests: expected a duration from 1s to 7d"));
    pb_child_cleanup(&c);
    assert_int_equal(
        pb_child_run(&c,
                     (const char *const[]){"mock", "--db", "x.db", "--disk-reserve", "5GB", NULL},
                     NULL, WITHIN_MS),
        2);
    assert_non_null(strstr(c.err, "patternbench mock: --disk-reserve: expected a size such as 512, "
                                  "4k, 1.5G, 100GiB or a percentage such as 5%, got \"5GB\""));
    pb_child_cleanup(&c);
    assert_int_equal(pb_child_run(&c, (const char *const[]){"mock", "--record", "sample:0", NULL},
                                  NULL, WITHIN_MS),
                     2);
    assert_non_null(strstr(c.err, "--record sample:N"));
    pb_child_cleanup(&c);
    assert_int_equal(pb_child_run(&c, (const char *const[]){"mock", "--record", "seconds", NULL},
                                  NULL, WITHIN_MS),
                     2);
    assert_non_null(strstr(c.err, "--record: says what --db stores; give --db FILE"));
    pb_child_cleanup(&c);
    assert_int_equal(
        pb_child_run(&c, (const char *const[]){"mock", "--label", "a,b", NULL}, NULL, WITHIN_MS),
        2);
    assert_non_null(strstr(c.err, "patternbench mock: "));
    pb_child_cleanup(&c);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_describes_the_options),
        cmocka_unit_test(usage_errors_exit_2_naming_the_option),
        cmocka_unit_test(serves_until_sigterm_then_prints_counters),
        cmocka_unit_test(a_port_in_use_exits_1_naming_it),
        cmocka_unit_test(sigint_stops_it_even_when_started_ignored),
        cmocka_unit_test(the_admin_token_comes_from_a_file_or_the_environment),
        cmocka_unit_test(mock_db_records_every_request_it_answered),
        cmocka_unit_test(mock_db_killed_keeps_what_it_committed),
        cmocka_unit_test(mock_db_stores_as_run_is_told),
        cmocka_unit_test(mock_db_bad_input_names_it),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
