/* `patternbench compare` end to end: --check over every shipped scenario,
 * exit statuses, the demo in a shortened form, the same fault schedule for
 * every pattern, and thresholds gating the exit status. Runs the real binary
 * (PB_BINARY) against its in-process mock on port 0. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "pb_child.h"
#include "scenario.h"
#include "test_assert.h"
#include "test_env.h"
#include "test_file.h"
#include "test_sql.h"

static void check_passes_for_every_shipped_scenario(void **state)
{
    test_scratch *fx = *state;
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/scenarios", test_env("PB_SOURCE_DIR"));
    DIR *d = opendir(dir);
    assert_non_null(d);
    char db[400];
    snprintf(db, sizeof(db), "%s/check.db", fx->dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char path[800];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        pb_child r = pb_child_run_list("compare", path, "--check", "--db", db, NULL);
        assert_exit(r, 0);
        assert_contains(r.out, ": ok: ");
        pb_child_cleanup(&r);
        n++;
    }
    closedir(d);
    assert_int_equal(n, 6);
    /* nothing ran: no database was written */
    struct stat st;
    assert_int_not_equal(stat(db, &st), 0);
}

static void broken_scenarios_and_bad_options_exit_2_before_running(void **state)
{
    test_scratch *fx = *state;
    char data[512], db[400];
    snprintf(data, sizeof(data), "%s/tests/data", test_env("PB_SOURCE_DIR"));
    snprintf(db, sizeof(db), "%s/never.db", fx->dir);
    DIR *d = opendir(data);
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "bad_", 4) != 0)
            continue;
        char path[800];
        snprintf(path, sizeof(path), "%s/%s", data, de->d_name);
        pb_child r = pb_child_run_list("compare", path, "--db", db, NULL);
        assert_exit(r, 2);
        assert_contains(r.err, path);
        assert_contains(r.err, "(line ");
        pb_child_cleanup(&r);
        n++;
    }
    closedir(d);
    assert_true(n >= 10);

    char demo[512];
    snprintf(demo, sizeof(demo), "%s/scenarios/demo.json", test_env("PB_SOURCE_DIR"));
    const struct {
        const char *a, *b, *message;
    } bad[] = {
        {"--duration", "10", "--duration: expected a duration with a unit"},
        {"--threshold", "p99<fast", "threshold \"p99<fast\": p99 is a latency"},
        {"--patterns", "queue,bulkhead",
         "--patterns: \"bulkhead\" is neither a label nor a "
         "pattern of"},
        {"--requests", "lots",
         "--requests: expected a whole number from 1 to 9007199254740992, got \"lots\""},
        {"--frobnicate", "1",
         "patternbench compare: --frobnicate: unknown option\nsee 'patternbench compare --help'\n"},
        {"--client-threads", "0", "--client-threads: expected a whole number from 1 to 64"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pb_child r = pb_child_run_list("compare", demo, "--db", db, bad[i].a, bad[i].b, NULL);
        assert_exit(r, 2);
        assert_contains(r.err, bad[i].message);
        pb_child_cleanup(&r);
    }
    pb_child r = pb_child_run_list("compare", "--db", db, NULL);
    assert_exit(r, 2);
    assert_contains(r.err, "expected a scenario file");
    pb_child_cleanup(&r);
    r = pb_child_run_list("compare", "/nonexistent/s.json", NULL);
    assert_exit(r, 2);
    assert_contains(r.err, "/nonexistent/s.json: cannot open the scenario file");
    pb_child_cleanup(&r);
    struct stat st;
    assert_int_not_equal(stat(db, &st), 0);

    r = pb_child_run_list("compare", "--help", NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "usage: patternbench compare SCENARIO.json");
    pb_child_cleanup(&r);
}

/* The column where an option's description starts: after the first run of
 * two spaces of a "  --name ARG  text" line, or the indent of a continuation
 * line; -1 for other lines. */
static int description_column(const char *line, size_t len)
{
    size_t lead = strspn(line, " ");
    if (lead >= len)
        return -1;
    if (lead > 2)
        return (int)lead;
    if (lead != 2 || strncmp(line + lead, "--", 2) != 0)
        return -1;
    const char *gap = strstr(line + lead, "  ");
    if (gap == NULL || gap >= line + len)
        return -1;
    return (int)(gap - line + strspn(gap, " "));
}

/* Every description of the "options:" block of `patternbench CMD --help`
 * starts in the same column, the shared request options' included. */
static void assert_help_aligned(const char *cmd)
{
    pb_child r = pb_child_run_list(cmd, "--help", NULL);
    assert_exit(r, 0);
    const char *p = strstr(r.out, "options:\n");
    assert_non_null(p);
    p += strlen("options:\n");
    int column = -1, lines = 0;
    while (*p != '\0' && *p != '\n') {
        size_t len = strcspn(p, "\n");
        int c = description_column(p, len);
        if (c >= 0) {
            if (column < 0)
                column = c;
            if (c != column)
                fail_msg("%s --help: \"%.*s\" starts its text in column %d, not %d", cmd,
                         (int)len, p, c, column);
            lines++;
        }
        p += len + (p[len] == '\n');
    }
    assert_true(lines > 20);
    assert_non_null(strstr(r.out, "  --targets-order O"));
    pb_child_cleanup(&r);
}

static void help_options_share_one_column(void **state)
{
    (void)state;
    assert_help_aligned("compare");
    assert_help_aligned("run");
}

/* A mistyped option of any subcommand is answered with the closest option of
 * its help, and a usage error (exit 2). */
static void mistyped_options_get_a_suggestion(void **state)
{
    (void)state;
    const struct {
        const char *cmd, *arg, *value, *message;
    } typo[] = {
        {"compare", "--quite", "1", "compare: --quite: unknown option; did you mean --quiet?"},
        {"report", "--lst", "1", "report: --lst: unknown option; did you mean --last?"},
        {"export", "--fromat", "csv", "export: --fromat: unknown option; did you mean --format?"},
        {"reproduce", "--quik", "1", "reproduce: --quik: unknown option; did you mean --quick?"},
        {"mock", "--lisen", "127.0.0.1:0", "mock: --lisen: unknown option; did you mean --listen?"},
    };
    for (size_t i = 0; i < sizeof(typo) / sizeof(typo[0]); i++) {
        pb_child r = pb_child_run_list(typo[i].cmd, typo[i].arg, typo[i].value, NULL);
        assert_exit(r, 2);
        assert_contains(r.err, typo[i].message);
        pb_child_cleanup(&r);
    }
    pb_child r = pb_child_run_list("reprot", NULL);
    assert_exit(r, 2);
    assert_contains(r.err, "reprot: unknown command; did you mean \"report\"?");
    pb_child_cleanup(&r);
}

static void demo_runs_end_to_end_in_a_shortened_form(void **state)
{
    test_scratch *fx = *state;
    char demo[512], db[400];
    snprintf(demo, sizeof(demo), "%s/scenarios/demo.json", test_env("PB_SOURCE_DIR"));
    snprintf(db, sizeof(db), "%s/demo.db", fx->dir);
    char report[400], index[500];
    snprintf(report, sizeof(report), "%s/report", fx->dir);
    snprintf(index, sizeof(index), "%s/index.html", report);
    pb_child r = pb_child_run_list("compare", demo, "--duration", "2s", "--trials", "1", "--db", db,
                                   "--quiet", "--report", report, NULL);
    assert_exit(r, 0);
    /* the comparison's report is written, and its page named */
    assert_contains(r.out, index);
    struct stat st;
    assert_int_equal(stat(index, &st), 0);
    assert_true(st.st_size > 1000);
    const char *labels[] = {"queue", "semaphore", "backpressure", "breaker", "adaptive"};
    for (size_t i = 0; i < 5; i++)
        assert_contains(r.out, labels[i]);
    assert_contains(r.out, "requests that reached the server, by mock phase");
    assert_contains(r.out, "pass  p99<1.5s");
    pb_child_cleanup(&r);

    sqlite3 *sql = test_db_open(db);
    assert_int_equal(test_sql_int(sql, "SELECT count(*) FROM compares"), 1);
    char *status = test_sql_text(sql, "SELECT status FROM compares");
    assert_string_equal(status, "completed");
    free(status);
    assert_int_equal(test_sql_int(sql,
                                  "SELECT count(*) FROM runs WHERE compare_id = (SELECT id FROM "
                                  "compares) AND status = 'completed'"),
                     5);
    /* every run made requests, and ran for about the overridden 2 s */
    assert_int_equal(test_sql_int(sql, "SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM "
                                       "requests q WHERE q.run_id = r.id) > 100"),
                     5);
    assert_int_equal(test_sql_int(sql,
                                  "SELECT count(*) FROM runs WHERE duration_us BETWEEN 1900000 "
                                  "AND 4000000"),
                     5);
    /* thresholds: the demo's two global ones, on each of the five runs */
    char *th = test_sql_text(sql, "SELECT thresholds_json FROM compares");
    json_t *results = json_loads(th, 0, NULL);
    assert_non_null(results);
    assert_int_equal(json_array_size(results), 10);
    size_t i;
    json_t *one;
    json_array_foreach(results, i, one)
    {
        assert_true(json_is_true(json_object_get(one, "pass")));
        assert_non_null(json_object_get(one, "label"));
    }
    json_decref(results);
    free(th);
    /* the stored scenario is what ran, and is itself a valid scenario */
    char *text = test_sql_text(sql, "SELECT scenario_json FROM compares");
    pb_scenario *sc = NULL;
    pb_err err = {0};
    if (pb_scenario_parse(text, strlen(text), "stored", &sc, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(sc->duration, 2 * PB_USEC_PER_SEC);
    assert_int_equal(sc->n_entries, 5);
    pb_scenario_destroy(sc);
    free(text);
    sqlite3_close(sql);
}

/* The statuses of a run's requests in the order they were made. */
static char *status_sequence(sqlite3 *db, const char *label, int64_t compare_id)
{
    char sql[300];
    snprintf(sql, sizeof(sql),
             "SELECT group_concat(status, ' ') FROM (SELECT q.status FROM requests_v q JOIN runs "
             "r ON q.run_id = r.id WHERE r.label = '%s' AND r.compare_id = %lld ORDER BY "
             "q.t_us, q.rowid)",
             label, (long long)compare_id);
    return test_sql_text(db, sql);
}

/* Labels are printed whole in both tables, however long; a phase that a
 * shortened run never reached shows "-" and a note, not a count of 0. */
static void labels_are_never_cut_and_unreached_phases_say_so(void **state)
{
    test_scratch *fx = *state;
    char path[400], db[400];
    snprintf(path, sizeof(path), "%s/labels.json", fx->dir);
    snprintf(db, sizeof(db), "%s/labels.db", fx->dir);
    test_write_text(
        path,
        "{\"title\": \"labels\", \"duration\": \"60s\",\n"
        " \"mock\": {\"latency\": \"fixed:1ms\", \"phases\": [\n"
        "   {\"at\": \"1s\", \"name\": \"outage\", \"errors\": \"503:0.9\"},\n"
        "   {\"at\": \"30s\", \"name\": \"recovered after the long outage\"}]},\n"
        " \"patterns\": [\n"
        "   {\"pattern\": \"breaker\", \"label\": \"breaker-3-60s\", \"failure-threshold\": 3},\n"
        "   {\"pattern\": \"adaptive\", \"label\": "
        "\"adaptive-2-50-with-a-label-longer-than-forty\",\n"
        "    \"min\": 2, \"max\": 50}]}\n");
    pb_child r =
        pb_child_run_list("compare", path, "--duration", "2s", "--db", db, "--quiet", NULL);
    assert_exit(r, 0);
    /* each label whole, at the start of its row and in the phase table's header */
    assert_contains(r.out, "\nbreaker-3-60s ");
    assert_contains(r.out, "\nadaptive-2-50-with-a-label-longer-than-forty ");
    assert_contains(r.out, " breaker-3-60s adaptive-2-50-with-a-label-longer-than-forty\n");
    assert_contains(r.out, "recovered after the long outage");
    /* the 2 s runs never reached the phase at 30 s */
    const char *row = strstr(r.out, "30.00s   recovered after the long outage");
    assert_non_null(row);
    char line[256];
    snprintf(line, sizeof(line), "%.*s", (int)strcspn(row, "\n"), row);
    size_t n = strlen(line);
    assert_true(n > 0 && line[n - 1] == '-');
    assert_null(strpbrk(line + strlen("30.00s   recovered after the long outage"), "0123456789"));
    assert_contains(r.out, "(-: the run ended before that phase began)");
    pb_child_cleanup(&r);
}

static void every_pattern_meets_the_same_faults(void **state)
{
    test_scratch *fx = *state;
    char path[400], db[400];
    snprintf(path, sizeof(path), "%s/same.json", fx->dir);
    snprintf(db, sizeof(db), "%s/same.db", fx->dir);
    /* one request at a time, so that the order of rows is the order of the
     * task sequence the mock draws faults from */
    test_write_text(path,
                    "{\"title\": \"same faults\", \"seed\": 5, \"requests\": 300,\n"
                    " \"mock\": {\"latency\": \"fixed:200us\", \"errors\": \"503:0.3,500:0.1\"},\n"
                    " \"patterns\": [\n"
                    "  {\"pattern\": \"queue\", \"label\": \"a\", \"concurrency\": 1},\n"
                    "  {\"pattern\": \"semaphore\", \"label\": \"b\", \"concurrency\": 1,\n"
                    "   \"batch\": 50}]}\n");
    pb_child r = pb_child_run_list("compare", path, "--db", db, "--quiet", NULL);
    assert_exit(r, 0);
    pb_child_cleanup(&r);
    r = pb_child_run_list("compare", path, "--db", db, "--quiet", "--seed", "6", "--patterns", "a",
                          NULL);
    assert_exit(r, 0);
    pb_child_cleanup(&r);
    /* on two client threads the lone worker's requests meet the same faults */
    r = pb_child_run_list("compare", path, "--db", db, "--quiet", "--client-threads", "2",
                          "--patterns", "a", NULL);
    assert_exit(r, 0);
    pb_child_cleanup(&r);

    sqlite3 *sql = test_db_open(db);
    char *a = status_sequence(sql, "a", 1), *b = status_sequence(sql, "b", 1);
    char *other_seed = status_sequence(sql, "a", 2);
    char *two_threads = status_sequence(sql, "a", 3);
    assert_int_equal(test_sql_int(sql, "SELECT count(*) FROM requests"), 1200);
    assert_int_equal(test_sql_int(sql, "SELECT count(*) FROM runs WHERE compare_id = 3 AND "
                                       "json_extract(summary_json, '$.client_threads') = 2"),
                     1);
    assert_string_equal(a, two_threads);
    /* both kinds of error occur, at the same positions for both patterns */
    assert_contains(a, "503");
    assert_contains(a, "500");
    assert_contains(a, "200");
    assert_string_equal(a, b);
    /* and the comparison can fail: another seed gives another sequence */
    assert_string_not_equal(a, other_seed);
    free(a);
    free(b);
    free(other_seed);
    free(two_threads);
    sqlite3_close(sql);
}

static void the_phase_clock_starts_with_each_run(void **state)
{
    test_scratch *fx = *state;
    char path[400], db[400];
    snprintf(path, sizeof(path), "%s/phases.json", fx->dir);
    snprintf(db, sizeof(db), "%s/phases.db", fx->dir);
    test_write_text(path,
                    "{\"title\": \"phase clock\", \"seed\": 3, \"duration\": \"900ms\",\n"
                    " \"mock\": {\"latency\": \"fixed:1ms\", \"phases\": [\n"
                    "   {\"at\": \"300ms\", \"name\": \"outage\", \"errors\": \"503:1\"},\n"
                    "   {\"at\": \"600ms\", \"name\": \"healthy\", \"errors\": \"none\"}]},\n"
                    " \"load\": {\"closed\": {\"concurrency\": 4}},\n"
                    " \"patterns\": [{\"pattern\": \"queue\"}, {\"pattern\": \"semaphore\"}]}\n");
    pb_child r = pb_child_run_list("compare", path, "--db", db, "--quiet", NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "outage");
    pb_child_cleanup(&r);

    sqlite3 *sql = test_db_open(db);
    const char *labels[] = {"queue", "semaphore"};
    for (int i = 0; i < 2; i++) {
        char q[400];
        /* sent well inside the outage: every answer is a 503; well outside: none
         * (start_us: intended start + wait for a slot) */
        snprintf(q, sizeof(q),
                 "SELECT count(*) FROM requests_v q JOIN runs r ON q.run_id = r.id WHERE "
                 "r.label = '%s' AND q.start_us BETWEEN 380000 AND 520000 AND q.status %s 503",
                 labels[i], "=");
        int64_t inside = test_sql_int(sql, q);
        snprintf(q, sizeof(q),
                 "SELECT count(*) FROM requests_v q JOIN runs r ON q.run_id = r.id WHERE "
                 "r.label = '%s' AND q.start_us BETWEEN 380000 AND 520000 AND q.status %s 503",
                 labels[i], "<>");
        int64_t inside_not = test_sql_int(sql, q);
        snprintf(q, sizeof(q),
                 "SELECT count(*) FROM requests_v q JOIN runs r ON q.run_id = r.id WHERE "
                 "r.label = '%s' AND (q.start_us < 220000 OR q.start_us > 680000) AND "
                 "q.status = 503",
                 labels[i]);
        int64_t outside = test_sql_int(sql, q);
        if (inside < 20 || inside_not != 0 || outside != 0)
            fail_msg("%s: %lld 503s and %lld others inside the outage, %lld 503s outside",
                     labels[i], (long long)inside, (long long)inside_not, (long long)outside);
        /* the recorder saw the mock enter the outage about 300 ms into each run */
        snprintf(q, sizeof(q),
                 "SELECT min(e.t_us) FROM events e JOIN runs r ON e.run_id = r.id WHERE "
                 "r.label = '%s' AND e.kind = 'phase' AND e.to_val = 1",
                 labels[i]);
        int64_t at = test_sql_int(sql, q);
        if (at < 250000 || at > 400000)
            fail_msg("%s: the outage phase began at %lld us", labels[i], (long long)at);
    }
    sqlite3_close(sql);
}

static void thresholds_pass_or_fail_and_set_the_exit_status(void **state)
{
    test_scratch *fx = *state;
    char path[400], db[400];
    snprintf(path, sizeof(path), "%s/th.json", fx->dir);
    snprintf(db, sizeof(db), "%s/th.db", fx->dir);
    test_write_text(path, "{\"title\": \"thresholds\", \"requests\": 200,\n"
                          " \"mock\": {\"latency\": \"fixed:200us\", \"errors\": \"503:0.5\"},\n"
                          " \"thresholds\": [\"requests==200\"],\n"
                          " \"patterns\": [{\"pattern\": \"queue\", \"concurrency\": 2,\n"
                          "                 \"thresholds\": [\"dropped==0\"]}]}\n");
    pb_child r = pb_child_run_list("compare", path, "--db", db, "--quiet", NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "pass  requests==200");
    assert_contains(r.out, "pass  dropped==0");
    pb_child_cleanup(&r);

    r = pb_child_run_list("compare", path, "--db", db, "--quiet", "--threshold", "error_rate<1%",
                          NULL);
    assert_exit(r, 99);
    assert_contains(r.out, "FAIL  error_rate<1%");
    assert_contains(r.out, "error_rate = ");
    assert_contains(r.err, "1 threshold failed");
    pb_child_cleanup(&r);

    r = pb_child_run_list("compare", path, "--db", db, "--quiet", "--threshold", "error_rate<90%",
                          "--threshold", "p99<10s", NULL);
    assert_exit(r, 0);
    assert_contains(r.out, "pass  error_rate<90%");
    pb_child_cleanup(&r);

    /* the failure is recorded with the compare */
    sqlite3 *sql = test_db_open(db);
    char *th = test_sql_text(sql, "SELECT thresholds_json FROM compares WHERE id = 2");
    assert_contains(th, "\"expr\":\"error_rate<1%\"");
    assert_contains(th, "\"pass\":false");
    free(th);
    sqlite3_close(sql);
}

/* SIGINT during the first run: that run ends interrupted, no further run
 * starts, the compare is marked interrupted and the exit status is 130. */
static void an_interrupted_compare_stops_and_says_so(void **state)
{
    test_scratch *fx = *state;
    char path[400], db[400];
    snprintf(path, sizeof(path), "%s/long.json", fx->dir);
    snprintf(db, sizeof(db), "%s/long.db", fx->dir);
    test_write_text(path,
                    "{\"title\": \"long\", \"duration\": \"60s\",\n"
                    " \"mock\": {\"latency\": \"fixed:1ms\"},\n"
                    " \"patterns\": [{\"pattern\": \"queue\"}, {\"pattern\": \"breaker\"}]}\n");
    pb_child c;
    pb_child_spawn(&c, (const char *const[]){"compare", path, "--db", db, NULL}, NULL);
    /* wait for the first run to announce itself (on its output, no sleep) */
    pb_child_await(&c, PB_CHILD_ERR, "run 1: queue against", 1, PB_TEST_TIMEOUT_MS);
    assert_int_equal(kill(c.pid, SIGINT), 0);
    pb_child_finish(&c, PB_TEST_TIMEOUT_MS);
    assert_int_equal(pb_child_exit_code(&c), 130);
    assert_contains(c.out, "interrupted");
    pb_child_cleanup(&c);
    sqlite3 *sql = test_db_open(db);
    char *status = test_sql_text(sql, "SELECT status FROM compares");
    assert_string_equal(status, "interrupted");
    free(status);
    assert_int_equal(test_sql_int(sql, "SELECT count(*) FROM runs"), 1);
    status = test_sql_text(sql, "SELECT status FROM runs");
    assert_string_equal(status, "interrupted");
    free(status);
    sqlite3_close(sql);
}

/* `run --threshold` goes through the same code: printed, stored, exit 99. */
static void run_takes_thresholds_too(void **state)
{
    test_scratch *fx = *state;
    char db[400];
    snprintf(db, sizeof(db), "%s/run.db", fx->dir);
    pb_child r =
        pb_child_run_list("run", "--pattern", "queue", "--requests", "50", "--errors", "503:1",
                          "--latency", "fixed:100us", "--db", db, "--quiet", "--threshold",
                          "error_rate<1%", "--threshold", "requests==50", NULL);
    assert_exit(r, 99);
    assert_contains(r.out, "FAIL  error_rate<1%");
    assert_contains(r.out, "error_rate = 100.00%");
    assert_contains(r.out, "pass  requests==50");
    pb_child_cleanup(&r);

    r = pb_child_run_list("run", "--pattern", "queue", "--requests", "50", "--db", db, "--json",
                          "--threshold", "requests==50", NULL);
    assert_exit(r, 0);
    json_t *summary = json_loads(r.out, 0, NULL);
    assert_non_null(summary);
    json_t *th = json_array_get(json_object_get(summary, "thresholds"), 0);
    assert_string_equal(json_string_value(json_object_get(th, "expr")), "requests==50");
    assert_true(json_is_true(json_object_get(th, "pass")));
    json_decref(summary);
    pb_child_cleanup(&r);

    /* the stored summary carries them, as docs/schema.md says */
    sqlite3 *sql = test_db_open(db);
    char *stored = test_sql_text(sql, "SELECT summary_json FROM runs WHERE id = 1");
    assert_contains(stored, "\"expr\":\"error_rate<1%\"");
    assert_contains(stored, "\"pass\":false");
    free(stored);
    sqlite3_close(sql);

    r = pb_child_run_list("run", "--pattern", "queue", "--requests", "5", "--db", db, "--threshold",
                          "p99<fast", NULL);
    assert_exit(r, 2);
    assert_contains(r.err, "threshold \"p99<fast\": p99 is a latency");
    pb_child_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(check_passes_for_every_shipped_scenario, test_scratch_setup,
                                        test_scratch_teardown),
        cmocka_unit_test_setup_teardown(broken_scenarios_and_bad_options_exit_2_before_running,
                                        test_scratch_setup, test_scratch_teardown),
        cmocka_unit_test(help_options_share_one_column),
        cmocka_unit_test(mistyped_options_get_a_suggestion),
        cmocka_unit_test_setup_teardown(demo_runs_end_to_end_in_a_shortened_form,
                                        test_scratch_setup, test_scratch_teardown),
        cmocka_unit_test_setup_teardown(every_pattern_meets_the_same_faults, test_scratch_setup,
                                        test_scratch_teardown),
        cmocka_unit_test_setup_teardown(the_phase_clock_starts_with_each_run, test_scratch_setup,
                                        test_scratch_teardown),
        cmocka_unit_test_setup_teardown(labels_are_never_cut_and_unreached_phases_say_so,
                                        test_scratch_setup, test_scratch_teardown),
        cmocka_unit_test_setup_teardown(thresholds_pass_or_fail_and_set_the_exit_status,
                                        test_scratch_setup, test_scratch_teardown),
        cmocka_unit_test_setup_teardown(an_interrupted_compare_stops_and_says_so,
                                        test_scratch_setup, test_scratch_teardown),
        cmocka_unit_test_setup_teardown(run_takes_thresholds_too, test_scratch_setup,
                                        test_scratch_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
