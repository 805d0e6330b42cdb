/* What `run` sends, as a server sees it: --method, --header, --body and
 * --ok-status against nginx on loopback and the built-in mock; secrets that
 * never reach an output; HTTPS with --cacert and --insecure; and the mistakes
 * in describing requests that are refused before anything starts. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "pb_child.h"
#include "scratch_db.h"
#include "test_file.h"
#include "test_nginx.h"
#include "test_sql.h"

/* How long a run given here may take to end once started. */
#define FINISH_MS 60000

/* `patternbench COMMAND ARGS...` to its end; returns its exit status. */
static int run_cli(pb_child *ch, const char *command, const char *const *args)
{
    const char *argv[64] = {command};
    int n = 1;
    for (int i = 0; args[i] != NULL && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return pb_child_run(ch, argv, NULL, FINISH_MS);
}

static json_t *summary_json(const pb_child *ch)
{
    json_error_t jerr;
    json_t *j = json_loads(ch->out, 0, &jerr);
    if (j == NULL)
        fail_msg("stdout is not one JSON object (%s): %s", jerr.text, ch->out);
    return j;
}

static int64_t outcome(json_t *summary, const char *name)
{
    json_t *v = json_object_get(json_object_get(summary, "outcomes"), name);
    if (!json_is_integer(v))
        fail_msg("the summary has no outcome \"%s\"", name);
    return json_integer_value(v);
}

/* How many lines of text are exactly `line`. */
static int count_lines(const char *text, const char *line)
{
    int n = 0;
    size_t len = strlen(line);
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '\n');
        size_t l = end != NULL ? (size_t)(end - p) : strlen(p);
        if (l == len && strncmp(p, line, len) == 0)
            n++;
        p = end != NULL ? end + 1 : NULL;
    }
    return n;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void post_put_and_delete_as_nginx_logs_them(void **state)
{
    scratch_db *c = *state;
    test_nginx ng;
    test_nginx_start(&ng, false);
    char body[128];
    snprintf(body, sizeof(body), "%s/body.bin", c->dir);
    char bytes[1024];
    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (char)(i * 7 + 1); /* NULs and all: sent as they are */
    write_file(body, bytes, sizeof(bytes));
    char at_body[140];
    snprintf(at_body, sizeof(at_body), "@%s", body);

    pb_child ch;
    const char *post[] = {"--target",
                          ng.url,
                          "--method",
                          "POST",
                          "--body",
                          at_body,
                          "--header",
                          "X-Demo: from-a-file",
                          "--requests",
                          "20",
                          "--client-threads",
                          "2",
                          "--concurrency",
                          "32",
                          "--db",
                          c->db,
                          "--quiet",
                          "--json",
                          NULL};
    if (run_cli(&ch, "run", post) != 0)
        fail_msg("run failed: %s", ch.err);
    json_t *s = summary_json(&ch);
    assert_int_equal(outcome(s, "ok"), 20);
    json_decref(s);
    pb_child_cleanup(&ch);
    /* a body given inline, another method, an empty header */
    const char *put[] = {"--target",   ng.url, "--method", "PUT", "--body",  "abc",
                         "--requests", "5",    "--db",     c->db, "--quiet", NULL};
    if (run_cli(&ch, "run", put) != 0)
        fail_msg("run failed: %s", ch.err);
    pb_child_cleanup(&ch);
    const char *del[] = {"--target", ng.url, "--method", "DELETE",  "--requests",
                         "3",        "--db", c->db,      "--quiet", NULL};
    if (run_cli(&ch, "run", del) != 0)
        fail_msg("run failed: %s", ch.err);
    pb_child_cleanup(&ch);

    char *log = test_slurp(ng.log, NULL);
    assert_non_null(log);
    if (count_lines(log, "POST / HTTP/1.1 1024 from-a-file") != 20 ||
        count_lines(log, "PUT / HTTP/1.1 3 -") != 5 ||
        count_lines(log, "DELETE / HTTP/1.1 - -") != 3)
        fail_msg("nginx logged:\n%s", log);
    free(log);
    test_nginx_stop(&ng);
}

static void ok_status_decides_what_counts_as_ok(void **state)
{
    scratch_db *c = *state;
    pb_child ch;
    const char *plain[] = {"--errors", "404:1",   "--requests", "30", "--db",
                           c->db,      "--quiet", "--json",     NULL};
    assert_int_equal(run_cli(&ch, "run", plain), 0);
    json_t *s = summary_json(&ch);
    assert_int_equal(outcome(s, "http_error"), 30);
    assert_int_equal(outcome(s, "ok"), 0);
    json_decref(s);
    pb_child_cleanup(&ch);
    const char *with[] = {"--errors", "404:1", "--ok-status", "2xx,404", "--requests", "30",
                          "--db",     c->db,   "--quiet",     "--json",  NULL};
    assert_int_equal(run_cli(&ch, "run", with), 0);
    s = summary_json(&ch);
    assert_int_equal(outcome(s, "ok"), 30);
    assert_int_equal(outcome(s, "http_error"), 0);
    json_decref(s);
    pb_child_cleanup(&ch);
    /* a list without 2xx: the mock's 200s are errors */
    const char *only[] = {"--ok-status", "204",     "--requests", "10", "--db",
                          c->db,         "--quiet", "--json",     NULL};
    assert_int_equal(run_cli(&ch, "run", only), 0);
    s = summary_json(&ch);
    assert_int_equal(outcome(s, "http_error"), 10);
    json_decref(s);
    pb_child_cleanup(&ch);
    assert_int_equal(test_db_int(c->db, "SELECT count(*) FROM runs"), 3);
}

static const char secrets[][24] = {"S3cr3tAuthValue", "S3cr3tKeyValue", "S3cr3tCookieValue",
                                   "S3cr3tUrlPassword"};

/* Fails when any secret is in the len bytes at text (which need not be text). */
static void assert_no_secret(const char *what, const void *text, size_t len)
{
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        if (memmem(text, len, secrets[i], strlen(secrets[i])) != NULL)
            fail_msg("%s holds the secret %s", what, secrets[i]);
}

static void assert_no_secret_in_file(const char *path)
{
    size_t len = 0;
    char *data = test_slurp(path, &len);
    if (data == NULL)
        return; /* a -wal or -shm file that is gone */
    assert_no_secret(path, data, len);
    free(data);
}

static void secrets_reach_the_server_and_no_output(void **state)
{
    scratch_db *c = *state;
    test_nginx ng;
    test_nginx_start(&ng, false);
    /* the URL with a user and password */
    char url[512];
    snprintf(url, sizeof(url), "http://pb:%s@%s", secrets[3], ng.url + strlen("http://"));
    char auth[64], key[64], cookie[64];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", secrets[0]);
    snprintf(key, sizeof(key), "x-api-key: %s", secrets[1]);
    snprintf(cookie, sizeof(cookie), "Cookie: session=%s", secrets[2]);
    char metrics[32];
    snprintf(metrics, sizeof(metrics), "127.0.0.1:%u", test_nginx_free_port());
    const char *args[] = {"run",
                          "--target",
                          url,
                          "--header",
                          auth,
                          "--header",
                          key,
                          "--header",
                          cookie,
                          "--header",
                          "X-Demo: seen",
                          "--secret-header",
                          "X-Api-Key",
                          "--duration",
                          "3s",
                          "--concurrency",
                          "2",
                          "--rate",
                          "200",
                          "--metrics",
                          metrics,
                          "--db",
                          c->db,
                          "--json",
                          NULL};
    /* on a terminal: a progress line every second */
    pb_child ch;
    pb_child_spawn(&ch, args, &(pb_child_options){.tty = true});
    pb_child_await(&ch, PB_CHILD_ERR, "req/s", 1, FINISH_MS);
    char page_url[64];
    snprintf(page_url, sizeof(page_url), "http://%s/metrics", metrics);
    const char *get[] = {"-sS", "--max-time", "5", page_url, NULL};
    pb_child scrape;
    int rc = pb_child_run(&scrape, get, &(pb_child_options){.program = "/usr/bin/curl"}, 10000);
    if (rc != 0 || strstr(scrape.out, "patternbench_requests_total") == NULL)
        fail_msg("scraping %s: exit %d, %s%s", page_url, rc, scrape.out, scrape.err);
    assert_no_secret("the metrics page", scrape.out, scrape.out_len);
    pb_child_cleanup(&scrape);
    pb_child_finish(&ch, FINISH_MS);
    if (pb_child_exit_code(&ch) != 0)
        fail_msg("run failed: %s", ch.err);
    assert_no_secret("the summary", ch.out, ch.out_len);
    assert_no_secret("the progress lines", ch.err, ch.err_len);
    pb_child_cleanup(&ch);

    /* the server got them all */
    char *log = test_slurp(ng.log, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "GET / HTTP/1.1 - seen"));
    free(log);
    test_nginx_stop(&ng);

    /* the stored configuration says what was sent, without the values */
    char *config = test_db_text(c->db, "SELECT config_json FROM runs");
    if (strstr(config, "\"Authorization: <redacted>\"") == NULL ||
        strstr(config, "\"x-api-key: <redacted>\"") == NULL ||
        strstr(config, "\"Cookie: <redacted>\"") == NULL ||
        strstr(config, "\"X-Demo: seen\"") == NULL || strstr(config, "pb:<redacted>@") == NULL)
        fail_msg("stored configuration: %s", config);
    free(config);

    /* nor the database, a report or an export */
    char report[128], export[128], path[192];
    snprintf(report, sizeof(report), "%s/report", c->dir);
    snprintf(export, sizeof(export), "%s/rows.jsonl", c->dir);
    const char *rep[] = {c->db, "-o", report, NULL};
    if (run_cli(&ch, "report", rep) != 0)
        fail_msg("report failed: %s", ch.err);
    assert_no_secret("report's output", ch.out, ch.out_len);
    pb_child_cleanup(&ch);
    const char *exp[] = {c->db, "--format", "jsonl", "-o", export, NULL};
    if (run_cli(&ch, "export", exp) != 0)
        fail_msg("export failed: %s", ch.err);
    pb_child_cleanup(&ch);
    assert_no_secret_in_file(export);
    static const char *const files[] = {"index.html", "summary.md", "summary.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", report, files[i]);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_no_secret_in_file(path);
    }
    static const char *const db_files[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof(db_files) / sizeof(db_files[0]); i++) {
        snprintf(path, sizeof(path), "%s%s", c->db, db_files[i]);
        assert_no_secret_in_file(path);
    }
    test_rmtree(report);
    unlink(export);
}

static void https_with_cacert_without_and_insecure(void **state)
{
    scratch_db *c = *state;
    test_nginx ng;
    test_nginx_start(&ng, true);
    pb_child ch;
    const char *with[] = {"--target", ng.url,          "--cacert", ng.cert, "--requests",
                          "20",       "--concurrency", "4",        "--db",  c->db,
                          "--quiet",  "--json",        NULL};
    if (run_cli(&ch, "run", with) != 0)
        fail_msg("run with --cacert failed: %s", ch.err);
    json_t *s = summary_json(&ch);
    assert_int_equal(outcome(s, "ok"), 20);
    /* connections are reused across requests, TLS or not */
    json_t *conns = json_object_get(s, "connections");
    assert_true(json_is_integer(conns) && json_integer_value(conns) >= 1 &&
                json_integer_value(conns) <= 4);
    assert_null(json_object_get(s, "insecure"));
    json_decref(s);
    pb_child_cleanup(&ch);

    /* the system's CAs do not know the certificate: a TLS error, exit 1 */
    const char *without[] = {"--target", ng.url, "--requests", "5", "--db", c->db, "--quiet", NULL};
    int rc = run_cli(&ch, "run", without);
    if (rc != 1 || strstr(ch.err, "no request got an answer") == NULL ||
        strstr(ch.err, "certificate") == NULL)
        fail_msg("exit %d, stderr: %s", rc, ch.err);
    pb_child_cleanup(&ch);

    const char *insecure[] = {"--target", ng.url, "--insecure", "--requests",
                              "5",        "--db", c->db,        NULL};
    if (run_cli(&ch, "run", insecure) != 0)
        fail_msg("run with --insecure failed: %s", ch.err);
    if (strstr(ch.out, "--insecure") == NULL && strstr(ch.err, "--insecure") == NULL)
        fail_msg("the summary does not name --insecure: %s%s", ch.out, ch.err);
    pb_child_cleanup(&ch);
    assert_int_equal(
        test_db_int(c->db,
                    "SELECT count(*) FROM runs WHERE config_json LIKE '%\"insecure\":true%'"),
        1);
    test_nginx_stop(&ng);
}

/* The requests of target i in the summary's per-target table. */
static int64_t target_requests(json_t *summary, size_t i)
{
    json_t *t = json_array_get(json_object_get(summary, "targets"), i);
    json_t *v = json_object_get(t, "requests");
    if (!json_is_integer(v))
        fail_msg("the summary has no target %zu", i);
    return json_integer_value(v);
}

/* A Vegeta file and a JSONL file, each used in turn: what nginx logs per
 * path is what the summary counts per target. */
static void targets_files_are_used_in_turn(void **state)
{
    scratch_db *c = *state;
    test_nginx ng;
    test_nginx_start(&ng, false);
    char body[128], vegeta[128], jsonl[128];
    snprintf(body, sizeof(body), "%s/b.json", c->dir);
    snprintf(vegeta, sizeof(vegeta), "%s/targets.txt", c->dir);
    snprintf(jsonl, sizeof(jsonl), "%s/targets.jsonl", c->dir);
    write_file(body, "{\"k\": 12345}", 12);
    char text[512];
    int n = snprintf(text, sizeof(text),
                     "# three targets, round-robin\n"
                     "GET /a\nX-Demo: one\n\n"
                     "POST %sb\nContent-Type: application/json\n@%s\n\n"
                     "DELETE /c\n",
                     ng.url, body);
    write_file(vegeta, text, (size_t)n);
    static const char lines[] = "{\"url\": \"/j1\"}\n"
                                "{\"method\": \"PUT\", \"url\": \"/j2\", \"body\": \"hello\", "
                                "\"header\": {\"X-Demo\": \"two\"}}\n";
    write_file(jsonl, lines, sizeof(lines) - 1);

    pb_child ch;
    const char *v[] = {"--target", ng.url,          "--targets", vegeta, "--requests",
                       "31",       "--concurrency", "4",         "--db", c->db,
                       "--quiet",  "--json",        NULL};
    if (run_cli(&ch, "run", v) != 0)
        fail_msg("run --targets failed: %s", ch.err);
    json_t *s = summary_json(&ch);
    assert_int_equal(target_requests(s, 0), 11);
    assert_int_equal(target_requests(s, 1), 10);
    assert_int_equal(target_requests(s, 2), 10);
    json_decref(s);
    pb_child_cleanup(&ch);
    const char *j[] = {"--target", ng.url,       "--targets", jsonl,  "--targets-order",
                       "random",   "--requests", "40",        "--db", c->db,
                       "--quiet",  "--json",     NULL};
    if (run_cli(&ch, "run", j) != 0)
        fail_msg("run --targets failed: %s", ch.err);
    s = summary_json(&ch);
    int64_t j1 = target_requests(s, 0), j2 = target_requests(s, 1);
    assert_int_equal(j1 + j2, 40);
    assert_true(j1 > 0 && j2 > 0);
    json_decref(s);
    pb_child_cleanup(&ch);

    char *log = test_slurp(ng.log, NULL);
    assert_non_null(log);
    if (count_lines(log, "GET /a HTTP/1.1 - one") != 11 ||
        count_lines(log, "POST /b HTTP/1.1 12 -") != 10 ||
        count_lines(log, "DELETE /c HTTP/1.1 - -") != 10 ||
        count_lines(log, "GET /j1 HTTP/1.1 - -") != j1 ||
        count_lines(log, "PUT /j2 HTTP/1.1 5 two") != j2)
        fail_msg("j1 %lld, j2 %lld; nginx logged:\n%s", (long long)j1, (long long)j2, log);
    free(log);
    /* each row names its target; the counts are the summary's (and nginx's) */
    assert_int_equal(test_db_int(c->db, "SELECT count(*) FROM requests_v WHERE run_id = 1 AND "
                                        "target = 0 AND outcome = 'ok'"),
                     11);
    assert_int_equal(test_db_int(c->db, "SELECT count(*) FROM requests_v WHERE run_id = 2 AND "
                                        "target = 1"),
                     j2);
    assert_int_equal(test_db_int(c->db, "SELECT count(*) FROM requests WHERE target IS NULL"), 0);
    /* the report's table per target has the same counts */
    char report[128], md[160];
    snprintf(report, sizeof(report), "%s/report", c->dir);
    snprintf(md, sizeof(md), "%s/summary.md", report);
    const char *rep[] = {c->db, "--run", "1", "-o", report, NULL};
    if (run_cli(&ch, "report", rep) != 0)
        fail_msg("report failed: %s", ch.err);
    pb_child_cleanup(&ch);
    char *page = test_slurp(md, NULL);
    assert_non_null(page);
    if (strstr(page, "## Requests by target") == NULL ||
        strstr(page, "| 0 | GET /a | 11 | 100.0 % |") == NULL ||
        strstr(page, "| 1 | POST http://127.0.0.1:") == NULL ||
        strstr(page, "/b | 10 | 100.0 % |") == NULL ||
        strstr(page, "| 2 | DELETE /c | 10 | 100.0 % |") == NULL)
        fail_msg("summary.md:\n%s", page);
    free(page);
    test_rmtree(report);
    /* the targets are stored once, with the run */
    assert_int_equal(test_db_int(c->db, "SELECT json_array_length(config_json, '$.targets.list') "
                                        "FROM runs WHERE id = 1"),
                     3);
    test_nginx_stop(&ng);
}

/* compare takes a targets file too, as an option and as the scenario's
 * request keys: every entry's run uses it in turn. */
static void compare_uses_a_targets_file_in_every_run(void **state)
{
    scratch_db *c = *state;
    char targets[128], scenario[128], keyed[128];
    snprintf(targets, sizeof(targets), "%s/t.txt", c->dir);
    snprintf(scenario, sizeof(scenario), "%s/s.json", c->dir);
    snprintf(keyed, sizeof(keyed), "%s/keyed.json", c->dir);
    static const char t[] = "GET /a\n\nPOST /b\nContent-Type: text/plain\n\n";
    write_file(targets, t, sizeof(t) - 1);
    static const char sc[] = "{\"title\": \"t\", \"requests\": 20, \"patterns\": ["
                             "{\"pattern\": \"queue\", \"concurrency\": 2},"
                             "{\"pattern\": \"semaphore\", \"concurrency\": 2}]}";
    write_file(scenario, sc, sizeof(sc) - 1);
    char text[512];
    int n = snprintf(text, sizeof(text),
                     "{\"title\": \"k\", \"requests\": 20, \"request\": {\"targets\": \"%s\", "
                     "\"targets-order\": \"random\"}, \"patterns\": ["
                     "{\"pattern\": \"queue\", \"concurrency\": 2}]}",
                     targets);
    write_file(keyed, text, (size_t)n);

    pb_child ch;
    const char *opt[] = {scenario, "--targets", targets, "--db", c->db, "--json", NULL};
    if (run_cli(&ch, "compare", opt) != 0)
        fail_msg("compare --targets failed: %s", ch.err);
    json_t *j = summary_json(&ch);
    json_t *runs = json_object_get(j, "runs");
    assert_int_equal(json_array_size(runs), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *sum = json_object_get(json_array_get(runs, i), "summary");
        assert_int_equal(target_requests(sum, 0), 10);
        assert_int_equal(target_requests(sum, 1), 10);
    }
    json_decref(j);
    pb_child_cleanup(&ch);

    const char *key[] = {keyed, "--db", c->db, "--json", NULL};
    if (run_cli(&ch, "compare", key) != 0)
        fail_msg("compare with request.targets failed: %s", ch.err);
    j = summary_json(&ch);
    json_t *sum = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "summary");
    int64_t a = target_requests(sum, 0), b = target_requests(sum, 1);
    assert_int_equal(a + b, 20);
    assert_true(a > 0 && b > 0);
    json_decref(j);
    pb_child_cleanup(&ch);
    /* each row names its target */
    assert_int_equal(test_db_int(c->db, "SELECT count(*) FROM requests WHERE target IS NULL"), 0);
    assert_int_equal(test_db_int(c->db, "SELECT count(*) FROM requests WHERE target = 1"), 20 + b);

    /* mistakes: exit 2 before anything starts, named as run names them */
    const char *bad[] = {scenario, "--targets-order", "sideways", "--db", c->db, NULL};
    assert_int_equal(run_cli(&ch, "compare", bad), 2);
    assert_non_null(strstr(ch.err, "--targets-order: expected round-robin or random"));
    pb_child_cleanup(&ch);
    n = snprintf(text, sizeof(text),
                 "{\"title\": \"k\", \"requests\": 5, \"request\": {\"targets\": "
                 "\"/nonexistent/t.txt\"}, \"patterns\": [{\"pattern\": \"queue\"}]}");
    write_file(keyed, text, (size_t)n);
    const char *missing[] = {keyed, "--db", c->db, NULL};
    assert_int_equal(run_cli(&ch, "compare", missing), 2);
    assert_non_null(strstr(ch.err, "request.targets"));
    assert_non_null(strstr(ch.err, "/nonexistent/t.txt"));
    pb_child_cleanup(&ch);
}

/* mock --db records the body bytes each request brought. */
static void the_mock_records_body_bytes_per_request(void **state)
{
    scratch_db *c = *state;
    char mock_db[128], body[128], at_body[140];
    snprintf(mock_db, sizeof(mock_db), "%s/mock.db", c->dir);
    snprintf(body, sizeof(body), "%s/body.bin", c->dir);
    snprintf(at_body, sizeof(at_body), "@%s", body);
    char bytes[1000];
    memset(bytes, 'x', sizeof(bytes));
    write_file(body, bytes, sizeof(bytes));
    const char *mock[] = {"mock", "--listen", "127.0.0.1:0", "--db", mock_db, NULL};
    pb_child m;
    pb_child_spawn(&m, mock, NULL);
    pb_child_await(&m, PB_CHILD_OUT, "listening on http://127.0.0.1:", 1, FINISH_MS);
    char url[64];
    assert_int_equal(sscanf(strstr(m.out, "http://"), "%63s", url), 1);
    pb_child ch;
    const char *post[] = {"--target",   url,  "--method", "PATCH", "--body",  at_body,
                          "--requests", "25", "--db",     c->db,   "--quiet", NULL};
    if (run_cli(&ch, "run", post) != 0)
        fail_msg("run failed: %s", ch.err);
    pb_child_cleanup(&ch);
    const char *get[] = {"--target", url, "--requests", "5", "--db", c->db, "--quiet", NULL};
    assert_int_equal(run_cli(&ch, "run", get), 0);
    pb_child_cleanup(&ch);
    kill(m.pid, SIGTERM);
    pb_child_finish(&m, FINISH_MS);
    pb_child_cleanup(&m);
    assert_int_equal(test_db_int(mock_db, "SELECT count(*) FROM requests WHERE bytes_in = 1000"),
                     25);
    assert_int_equal(test_db_int(mock_db, "SELECT count(*) FROM requests WHERE bytes_in = 0"), 5);
    /* the client's rows know nothing of it */
    assert_int_equal(test_db_int(c->db, "SELECT count(*) FROM requests WHERE bytes_in IS NULL"),
                     30);
}

/* The mock over TLS, as `run`'s built-in mock and as `patternbench mock`. */
static void the_mock_serves_https_the_same_way(void **state)
{
    scratch_db *c = *state;
    char cert[128], key[128];
    test_nginx_make_cert(c->dir, cert, sizeof(cert), key, sizeof(key));
    pb_child ch;
    const char *with[] = {"--tls-cert", cert, "--tls-key", key, "--cacert", cert, "--errors",
                          "503:0.1", "--requests", "200", "--concurrency", "4", "--db", c->db,
                          "--quiet", "--json", NULL};
    if (run_cli(&ch, "run", with) != 0)
        fail_msg("run with --cacert failed: %s", ch.err);
    json_t *s = summary_json(&ch);
    /* the same faults as over plain HTTP, the same seed */
    assert_int_equal(outcome(s, "ok") + outcome(s, "http_error"), 200);
    assert_true(outcome(s, "http_error") > 0);
    assert_int_equal(strncmp(json_string_value(json_object_get(s, "target")), "https://", 8), 0);
    json_t *conns = json_object_get(s, "connections");
    assert_true(json_integer_value(conns) >= 1 && json_integer_value(conns) <= 4);
    json_decref(s);
    pb_child_cleanup(&ch);
    const char *plain[] = {"--errors", "503:0.1", "--requests", "200", "--concurrency", "4",
                           "--db", c->db, "--quiet", "--json", NULL};
    assert_int_equal(run_cli(&ch, "run", plain), 0);
    s = summary_json(&ch);
    assert_int_equal(outcome(s, "http_error"),
                     test_db_int(c->db, "SELECT json_extract(summary_json, '$.outcomes.http_error')"
                                        " FROM runs WHERE id = 1"));
    json_decref(s);
    pb_child_cleanup(&ch);

    const char *without[] = {"--tls-cert", cert, "--tls-key", key, "--requests", "3",
                             "--db", c->db, "--quiet", NULL};
    int rc = run_cli(&ch, "run", without);
    if (rc != 1 || strstr(ch.err, "certificate") == NULL)
        fail_msg("exit %d, stderr: %s", rc, ch.err);
    pb_child_cleanup(&ch);

    /* patternbench mock on its own, and run against its https:// URL */
    const char *mock[] = {"mock", "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                          NULL};
    pb_child m;
    pb_child_spawn(&m, mock, NULL);
    pb_child_await(&m, PB_CHILD_OUT, "listening on https://127.0.0.1:", 1, FINISH_MS);
    char url[64];
    assert_int_equal(sscanf(strstr(m.out, "https://"), "%63s", url), 1);
    const char *insecure[] = {"--target", url, "--insecure", "--requests", "50", "--db", c->db,
                              "--quiet", "--json", NULL};
    if (run_cli(&ch, "run", insecure) != 0)
        fail_msg("run --insecure against %s failed: %s", url, ch.err);
    s = summary_json(&ch);
    assert_int_equal(outcome(s, "ok"), 50);
    assert_true(json_is_true(json_object_get(s, "insecure")));
    json_decref(s);
    pb_child_cleanup(&ch);
    kill(m.pid, SIGTERM);
    pb_child_finish(&m, FINISH_MS);
    pb_child_cleanup(&m);
}

static void mistakes_in_requests_exit_2_before_anything_starts(void **state)
{
    scratch_db *c = *state;
    char dir_body[96];
    snprintf(dir_body, sizeof(dir_body), "@%s", c->dir); /* a folder: not readable as a file */
    static const char *const ok_cert = "/etc/hostname";
    char pem[96];
    snprintf(pem, sizeof(pem), "%s/only.pem", c->dir); /* read, never used: refused first */
    static const char pem_text[] = "-----BEGIN CERTIFICATE-----\n";
    write_file(pem, pem_text, sizeof(pem_text) - 1);
    char bad_line[96], empty[96], bad_json[96];
    snprintf(bad_line, sizeof(bad_line), "%s/bad.txt", c->dir);
    snprintf(empty, sizeof(empty), "%s/empty.txt", c->dir);
    snprintf(bad_json, sizeof(bad_json), "%s/bad.jsonl", c->dir);
    static const char bad_text[] = "GET /a\n\nGET\n";
    write_file(bad_line, bad_text, sizeof(bad_text) - 1);
    static const char comments[] = "# nothing but comments\n\n";
    write_file(empty, comments, sizeof(comments) - 1);
    static const char bad_lines[] = "{\"url\": \"/a\"}\n{\"method\": \"GET\"}\n";
    write_file(bad_json, bad_lines, sizeof(bad_lines) - 1);
    const struct {
        const char *args[6];
        const char *says[2];
    } cases[] = {
        {{"--body", "@/nonexistent/body.json"}, {"--body @/nonexistent/body.json", "cannot read"}},
        {{"--body", dir_body}, {"--body @", "cannot read"}},
        {{"--header", "Authorization Bearer x"}, {"--header", "colon"}},
        {{"--header", ": no name"}, {"--header", "colon"}},
        {{"--header", "X-PB-Seq: 3"}, {"X-PB-Seq", "itself"}},
        {{"--header", "X-Bad: a\nb"}, {"--header X-Bad", "control"}},
        {{"--ok-status", "2xx,4x4"}, {"--ok-status", "\"4x4\""}},
        {{"--ok-status", "200,"}, {"--ok-status", "\"\""}},
        {{"--ok-status", "99"}, {"--ok-status", "\"99\""}},
        {{"--method", "GE T"}, {"--method", "\"GE T\""}},
        {{"--secret-header", "Bad Name"}, {"--secret-header", "\"Bad Name\""}},
        {{"--cacert", "/nonexistent/ca.pem"}, {"--cacert /nonexistent/ca.pem", "cannot read"}},
        {{"--cacert", ok_cert, "--insecure"}, {"--cacert and --insecure", NULL}},
        {{"--tls-cert", pem}, {"--tls-cert and --tls-key", NULL}},
        {{"--targets", bad_line}, {"--targets ", ".txt:3: expected a request line"}},
        {{"--targets", empty}, {"--targets ", "at least one target"}},
        {{"--targets", bad_json}, {".jsonl:2: ", "\"url\""}},
        {{"--targets", "/nonexistent/t.txt"}, {"--targets /nonexistent/t.txt", "cannot read"}},
        {{"--targets-format", "xml"}, {"--targets-format", "vegeta or jsonl"}},
        {{"--targets-order", "sideways"}, {"--targets-order", "round-robin or random"}},
        {{"--tls-cert", "/nonexistent/c.pem"}, {"--tls-cert /nonexistent/c.pem", "cannot read"}},
        {{"--tls-key", ok_cert}, {"--tls-key /etc/hostname", "PEM"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[16] = {"--db", c->db, "--requests", "1"};
        int n = 4;
        for (int k = 0; cases[i].args[k] != NULL; k++)
            args[n++] = cases[i].args[k];
        args[n] = NULL;
        pb_child ch;
        int rc = run_cli(&ch, "run", args);
        if (rc != 2 || strstr(ch.err, "patternbench run: ") != ch.err ||
            strstr(ch.err, cases[i].says[0]) == NULL ||
            (cases[i].says[1] != NULL && strstr(ch.err, cases[i].says[1]) == NULL) ||
            strstr(ch.err, "see 'patternbench run --help'") == NULL)
            fail_msg("case %zu (%s %s): exit %d, stderr: %s", i, cases[i].args[0],
                     cases[i].args[1] ? cases[i].args[1] : "", rc, ch.err);
        assert_int_equal(ch.out_len, 0);
        pb_child_cleanup(&ch);
        /* refused before anything ran: no database was created */
        struct stat st;
        assert_int_equal(stat(c->db, &st), -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(post_put_and_delete_as_nginx_logs_them, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(ok_status_decides_what_counts_as_ok, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(secrets_reach_the_server_and_no_output, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(https_with_cacert_without_and_insecure, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(targets_files_are_used_in_turn, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(compare_uses_a_targets_file_in_every_run, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(the_mock_records_body_bytes_per_request, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(the_mock_serves_https_the_same_way, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(mistakes_in_requests_exit_2_before_anything_starts,
                                        scratch_db_setup, scratch_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
