/* `patternbench reproduce` end to end, as a user runs it: the quick C1 check
 * with a fixed seed and shortened trials (--trial-duration, a documented
 * knob), what it prints and records, and its refusals of bad input. */
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
#include <sqlite3.h>

#include "pb_child.h"
#include "test_env.h"
#include "test_file.h"
#include "test_sql.h"

static char dir[] = "/tmp/pb-reproduce-XXXXXX";

/* Run patternbench with args in the scratch folder, to its end; its exit status. */
static int run_in_dir(pb_child *r, const char *const *args)
{
    return pb_child_run(r, args, &(pb_child_options){.cwd = dir}, PB_TEST_TIMEOUT_MS);
}

static void quick_c1_without_python(void **state)
{
    pb_child r;
    int st = run_in_dir(&r, (const char *const[]){"reproduce", "--quick", "--claims", "C1",
                                                  "--no-python", "--seed", "1", "--trial-duration",
                                                  "500ms", "--db", "r.db", "--json", NULL});
    if (st != 0)
        fail_msg("exit %d: %s", st, r.err);
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    if (j == NULL)
        fail_msg("not JSON (%s): %s", jerr.text, r.out);
    assert_int_equal(json_integer_value(json_object_get(j, "trials")), 3);
    json_t *c1 = json_array_get(json_object_get(j, "claims"), 0);
    assert_string_equal(json_string_value(json_object_get(c1, "id")), "C1");
    const char *word = json_string_value(json_object_get(json_object_get(c1, "c"), "verdict"));
    assert_non_null(word);
    assert_true(strcmp(word, "reproduced") == 0 || strcmp(word, "contradicted") == 0 ||
                strncmp(word, "reproduced only when ", 21) == 0 ||
                strcmp(word, "not testable as stated") == 0);
    const char *pyword =
        json_string_value(json_object_get(json_object_get(c1, "python"), "verdict"));
    assert_string_equal(pyword, "not measured");
    /* --quick: every verdict is provisional, and says so */
    assert_true(json_is_true(json_object_get(json_object_get(c1, "c"), "provisional")));
    assert_non_null(json_string_value(json_object_get(j, "provisional")));
    /* every arm: three trials, each one's requests all reached the mock */
    const char *labels[] = {"queue-20", "semaphore-30", "semaphore-20"};
    for (int a = 0; a < 3; a++) {
        json_t *arm = json_object_get(json_object_get(j, "arms"), labels[a]);
        assert_non_null(arm);
        json_t *c = json_object_get(arm, "c");
        json_t *trials = json_object_get(c, "trials");
        assert_int_equal(json_array_size(trials), 3);
        for (size_t t = 0; t < 3; t++) {
            json_t *tr = json_array_get(trials, t);
            json_int_t sent = json_integer_value(json_object_get(tr, "requests"));
            assert_true(sent > 0);
            assert_int_equal(sent, json_integer_value(json_object_get(tr, "server_requests")));
        }
        json_t *rps = json_object_get(c, "rps");
        assert_true(json_real_value(json_object_get(rps, "lo")) <=
                    json_real_value(json_object_get(rps, "hi")));
        assert_true(json_is_object(json_object_get(arm, "python")));
    }
    json_decref(j);
    pb_child_cleanup(&r);

    /* 9 runs recorded under one compare, interleaved: queue, sem-30, sem-20, queue, ... */
    char path[128];
    snprintf(path, sizeof(path), "%s/r.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                         "SELECT label FROM runs WHERE compare_id = "
                                         "(SELECT max(id) FROM compares) ORDER BY id",
                                         -1, &q, NULL),
                     SQLITE_OK);
    int n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        assert_string_equal((const char *)sqlite3_column_text(q, 0), labels[n % 3]);
        n++;
    }
    assert_int_equal(n, 9);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void bad_input_is_refused_naming_it(void **state)
{
    pb_child r;
    assert_int_equal(
        run_in_dir(&r, (const char *const[]){"reproduce", "--trials", "1", "--no-python", NULL}),
        2);
    assert_non_null(strstr(r.err, "--trials: expected 2 to 50"));
    pb_child_cleanup(&r);
    assert_int_equal(run_in_dir(&r, (const char *const[]){"reproduce", "--claims", "C1,C7",
                                                          "--no-python", NULL}),
                     2);
    assert_non_null(strstr(r.err, "unknown claim \"C7\""));
    pb_child_cleanup(&r);
    assert_int_equal(
        run_in_dir(&r, (const char *const[]){"reproduce", "--python", "/nonexistent/python3",
                                             "--claims", "C3", NULL}),
        2);
    assert_non_null(strstr(r.err, "--python /nonexistent/python3"));
    pb_child_cleanup(&r);
    assert_int_equal(
        run_in_dir(&r, (const char *const[]){"reproduce", "--no-python", "--claims", "C1", "--db",
                                             "/nonexistent/dir/x.db", NULL}),
        1);
    assert_non_null(strstr(r.err, "--db /nonexistent/dir/x.db"));
    assert_string_equal(r.out, "");
    pb_child_cleanup(&r);
}

/* A reference whose output says -5 requests: on a (uint64_t) cast that was
 * 18,446,744,073,709,551,611 requests in the Python column; now the arm's
 * Python column is missing, saying which file and field, and C goes on. */
static void a_python_output_with_a_negative_count_is_refused_naming_it(void **state)
{
    char script[128];
    snprintf(script, sizeof(script), "%s/fake_reference.sh", dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs("case \"$1\" in --check) echo '{\"python\": \"3.11.2\", \"aiohttp\": \"3.8.4\"}';;\n"
          "*) echo '{\"requests\": -5, \"ok\": 0, \"failed\": -5, \"lost\": 0, \"cascaded\": 0, "
          "\"elapsed_s\": 1.0, \"rps\": 5.0, \"goodput\": 0.0, \"cpu_s\": 0.1, "
          "\"latency_ms\": {\"mean\": 6.0}}';;\nesac\n",
          f);
    assert_int_equal(fclose(f), 0);
    pb_child r;
    int st = run_in_dir(&r, (const char *const[]){"reproduce", "--quick", "--claims", "C1",
                                                  "--python", "sh", "--python-script", script,
                                                  "--seed", "1", "--trial-duration", "100ms",
                                                  "--db", "neg.db", "--json", NULL});
    if (st != 0)
        fail_msg("exit %d: %s", st, r.err);
    char want[256];
    snprintf(want, sizeof(want), "%s: \"requests\": expected a count from 0, got -5", script);
    if (strstr(r.err, want) == NULL)
        fail_msg("stderr does not say \"%s\": %s", want, r.err);
    assert_null(strstr(r.out, "18446744073709551611"));
    json_t *j = json_loads(r.out, 0, NULL);
    assert_non_null(j);
    json_t *py = json_object_get(json_object_get(json_object_get(j, "arms"), "queue-20"), "python");
    const char *missing = json_string_value(json_object_get(py, "missing"));
    assert_non_null(missing);
    assert_non_null(strstr(missing, "\"requests\""));
    json_decref(j);
    pb_child_cleanup(&r);
}

static void c3_runs_nothing_and_says_what_patternbench_offers(void **state)
{
    pb_child r;
    assert_int_equal(run_in_dir(&r, (const char *const[]){"reproduce", "--claims", "C3",
                                                          "--no-python", "--db", "c3.db", NULL}),
                     0);
    assert_non_null(strstr(r.out, "not testable as stated"));
    assert_non_null(strstr(r.out, "soak-72h.json"));
    pb_child_cleanup(&r);
}

/* The file NAME of the scratch folder, whole (malloc'd). */
static char *slurp_in_dir(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return test_slurp(path, NULL);
}

/* C2 measures the condition map: propagate loses results where independence
 * says it should, isolate loses none, and --report writes the page. */
static void quick_c2_map_and_its_report(void **state)
{
    pb_child r;
    int st = run_in_dir(&r, (const char *const[]){"reproduce", "--quick", "--claims", "C2",
                                                  "--no-python", "--seed", "1", "--trials", "2",
                                                  "--trial-duration", "100ms", "--db", "c2.db",
                                                  "--report", "page", NULL});
    if (st != 0)
        fail_msg("exit %d: %s", st, r.err);
    assert_non_null(strstr(r.out, "C2 condition map"));
    /* which verdict depends on the cells; each says where 94 % holds or would */
    if (strstr(r.out, "not reproduced at any tested condition") != NULL)
        assert_non_null(strstr(r.out, "Where it would hold: independence puts a 94 % cascade"));
    else
        assert_non_null(strstr(r.out, "reproduced only when 1 - (1 - p)^(n - 1) is near 94 %"));
    /* --quick's verdicts carry their caveat */
    assert_non_null(strstr(r.out, "(provisional: --quick"));
    pb_child_cleanup(&r);

    json_error_t jerr;
    char *text = slurp_in_dir("page/summary.json");
    json_t *j = json_loads(text, 0, &jerr);
    free(text);
    if (j == NULL)
        fail_msg("summary.json is not JSON: %s", jerr.text);
    json_t *map = json_object_get(j, "condition_map");
    json_t *cells = json_object_get(map, "cells");
    assert_int_equal(json_array_size(cells), 9);
    for (size_t i = 0; i < 9; i++) {
        json_t *c = json_array_get(cells, i);
        json_int_t ok = json_integer_value(json_object_get(c, "ok"));
        json_int_t cascaded = json_integer_value(json_object_get(c, "cascaded"));
        json_int_t lost = json_integer_value(json_object_get(c, "lost"));
        assert_int_equal(json_integer_value(json_object_get(c, "trials")), 2);
        assert_true(cascaded <= lost && cascaded <= ok);
        /* a cascade rate's interval never leaves 0..100 % */
        json_t *ci = json_object_get(c, "cascade");
        if (json_is_object(ci))
            assert_true(json_real_value(json_object_get(ci, "lo")) >= 0.0 &&
                        json_real_value(json_object_get(ci, "hi")) <= 1.0);
        /* with 5 % errors in batches of 1,000, every batch has a failure:
         * every success is lost, batch size - 1 results per batch */
        if (json_real_value(json_object_get(c, "error_rate")) == 0.05 &&
            json_integer_value(json_object_get(c, "batch")) == 1000) {
            assert_int_equal(cascaded, ok);
            json_int_t tasks = ok + json_integer_value(json_object_get(c, "failed"));
            assert_int_equal(lost, tasks - tasks / 1000);
        }
    }
    json_t *control = json_object_get(map, "control");
    assert_int_equal(json_integer_value(json_object_get(control, "lost")), 0);
    assert_true(json_integer_value(json_object_get(control, "failed")) > 0);
    json_decref(j);

    char *html = slurp_in_dir("page/index.html");
    assert_non_null(strstr(html, "<table class=\"map\">"));
    assert_non_null(strstr(html, "background:#ff"));
    assert_non_null(strstr(html, "-94 % cascade rate"));
    assert_non_null(strstr(html, "(provisional: --quick"));
    assert_null(strstr(html, "<script"));
    free(html);
    char *md = slurp_in_dir("page/summary.md");
    assert_non_null(strstr(md, "| errors | batch 10 | batch 100 | batch 1000 |"));
    assert_true(strstr(md, "**Verdict (C patterns): reproduced only when") != NULL ||
                strstr(md, "**Verdict (C patterns): not reproduced at any tested condition") !=
                    NULL);
    assert_non_null(strstr(md, "(provisional: --quick)"));
    free(md);

    /* the runs' LOST events are recorded: one per batch with a failure */
    char path[128];
    snprintf(path, sizeof(path), "%s/c2.db", dir);
    static const char lost_events[] = "FROM events e JOIN runs r ON e.run_id = r.id WHERE e.kind = "
                                      "'lost' AND r.label = 'c2 propagate p=0.05 n=1000'";
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT count(*) %s", lost_events);
    int64_t batches = test_db_int(path, sql);
    assert_true(batches >= 6); /* 3 batches per trial, 2 trials */
    snprintf(sql, sizeof(sql), "SELECT sum(to_val) %s", lost_events);
    assert_int_equal(test_db_int(path, sql), 999 * batches);
}

/* The Python reference runs the same map: with the same seed and task
 * numbers the mock fails the same tasks, so a faithful Python loses exactly
 * the results C loses, cell by cell. */
static void c2_python_loses_what_c_loses(void **state)
{
    pb_child r;
    int st = run_in_dir(&r, (const char *const[]){"reproduce", "--quick", "--claims", "C2",
                                                  "--python", test_env("PB_PYTHON"), "--seed", "3",
                                                  "--trial-duration", "100ms", "--db", "c2py.db",
                                                  "--json", NULL});
    if (st == 2 && strstr(r.err, "aiohttp") != NULL) {
        pb_child_cleanup(&r);
        skip(); /* this Python has no aiohttp: scripts/install-deps.sh --test installs it */
    }
    if (st != 0)
        fail_msg("exit %d: %s", st, r.err);
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    pb_child_cleanup(&r);
    if (j == NULL)
        fail_msg("not JSON: %s", jerr.text);
    json_t *py = json_object_get(j, "condition_map_python");
    json_t *cells = json_object_get(py, "cells");
    assert_int_equal(json_array_size(cells), 9);
    for (size_t i = 0; i < 9; i++) { /* --quick: Python runs the map once, at 1 % errors */
        json_t *c = json_array_get(cells, i);
        bool ran = json_real_value(json_object_get(c, "error_rate")) == 0.01;
        assert_int_equal(json_integer_value(json_object_get(c, "trials")), ran ? 1 : 0);
    }
    json_t *agree = json_object_get(j, "condition_map_agreement");
    assert_int_equal(json_integer_value(json_object_get(agree, "pairs")), 4);
    assert_int_equal(json_integer_value(json_object_get(agree, "equal")), 4);
    json_decref(j);

    /* the Python client records nothing: the mock recorded each of its runs,
     * every request it answered, as a run of its own: the control and the
     * 1 % row, each with as many rows as the mock counted, and some */
    char path[128];
    snprintf(path, sizeof(path), "%s/c2py.db", dir);
    static const char server_runs[] =
        "FROM runs r WHERE r.pattern = 'mock' AND r.label LIKE '% (Python, server view)' AND "
        "r.status = 'completed'";
    char sql[512];
    snprintf(sql, sizeof(sql), "SELECT count(*) %s", server_runs);
    assert_int_equal(test_db_int(path, sql), 4);
    snprintf(sql, sizeof(sql),
             "SELECT sum((SELECT count(*) FROM requests q WHERE q.run_id = r.id) = "
             "json_extract(r.summary_json, '$.server.requests')) %s",
             server_runs);
    assert_int_equal(test_db_int(path, sql), 4);
    snprintf(sql, sizeof(sql),
             "SELECT sum(json_extract(r.summary_json, '$.server.requests') > 0) %s", server_runs);
    assert_int_equal(test_db_int(path, sql), 4);
}

/* --target: C1 and C4's healthy column against a service of the user's (the
 * mock as a separate process, which the reproduce run knows nothing of); the
 * figures only the mock can give are null, every request is the service's,
 * and C2 is refused before anything starts. */
static void target_runs_c1_and_c4_healthy_against_a_service(void **state)
{
    const char *mock[] = {"mock", "--listen", "127.0.0.1:0", NULL};
    pb_child m;
    pb_child_spawn(&m, mock, NULL);
    pb_child_await(&m, PB_CHILD_OUT, "listening on http://127.0.0.1:", 1, PB_TEST_TIMEOUT_MS);
    char url[64];
    assert_int_equal(sscanf(strstr(m.out, "http://"), "%63s", url), 1);

    pb_child r;
    assert_int_equal(run_in_dir(&r, (const char *const[]){"reproduce", "--target", url,
                                                          "--claims", "C1,C2", "--no-python",
                                                          "--db", "t.db", NULL}),
                     2);
    assert_non_null(strstr(r.err, "C2 needs the mock's seeded faults"));
    assert_string_equal(r.out, "");
    pb_child_cleanup(&r);
    assert_int_equal(run_in_dir(&r, (const char *const[]){"reproduce", "--target", "ftp://x/",
                                                          "--no-python", NULL}),
                     2);
    assert_non_null(strstr(r.err, "--target"));
    pb_child_cleanup(&r);
    struct stat st;
    char db[128];
    snprintf(db, sizeof(db), "%s/t.db", dir);
    assert_int_not_equal(stat(db, &st), 0); /* refused before the database was made */

    int rc = run_in_dir(&r, (const char *const[]){"reproduce", "--target", url, "--trials", "2",
                                                  "--trial-duration", "250ms", "--no-python",
                                                  "--db", "t.db", "--json", NULL});
    if (rc != 0)
        fail_msg("exit %d: %s", rc, r.err);
    assert_non_null(strstr(r.err, "claims C1,C4, the ones that can run there"));
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    if (j == NULL)
        fail_msg("not JSON (%s): %s", jerr.text, r.out);
    assert_string_equal(json_string_value(json_object_get(j, "target")), url);
    json_t *claims = json_object_get(j, "claims");
    assert_int_equal(json_array_size(claims), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(claims, 0), "id")), "C1");
    json_t *c4 = json_array_get(claims, 1);
    assert_string_equal(json_string_value(json_object_get(c4, "id")), "C4");
    assert_int_equal(json_array_size(json_object_get(c4, "arms")), 5);
    json_t *c4v = json_object_get(c4, "c");
    const char *word = json_string_value(json_object_get(c4v, "verdict"));
    if (strcmp(word, "reproduced only when the server is healthy") != 0 &&
        strcmp(word, "contradicted") != 0)
        fail_msg("C4's verdict: %s", word);
    assert_non_null(strstr(json_string_value(json_object_get(c4v, "reason")),
                           "fault phase not measured"));
    /* six healthy arms, none with a fault phase; what the mock alone knows is null */
    json_t *arms = json_object_get(j, "arms");
    assert_int_equal(json_object_size(arms), 6);
    assert_null(json_object_get(arms, "queue-20 fault"));
    json_int_t sent = 0;
    const char *label;
    json_t *arm;
    json_object_foreach(arms, label, arm)
    {
        json_t *c = json_object_get(arm, "c");
        assert_true(json_is_null(json_object_get(c, "little_bound")));
        json_t *trials = json_object_get(c, "trials");
        assert_int_equal(json_array_size(trials), 2);
        for (size_t t = 0; t < 2; t++) {
            json_t *tr = json_array_get(trials, t);
            assert_true(json_is_null(json_object_get(tr, "server_requests")));
            assert_true(json_integer_value(json_object_get(tr, "requests")) > 0);
            sent += json_integer_value(json_object_get(tr, "requests"));
        }
    }
    json_decref(j);
    pb_child_cleanup(&r);

    /* every request the trials counted reached the service, and no more */
    kill(m.pid, SIGTERM);
    pb_child_finish(&m, PB_TEST_TIMEOUT_MS);
    long long served = -1;
    const char *line = strstr(m.out, "\nrequests ");
    assert_non_null(line);
    assert_int_equal(sscanf(line, "\nrequests %lld", &served), 1);
    assert_int_equal(served, sent);
    pb_child_cleanup(&m);
    /* the C runs are recorded, 12 of them under one compare */
    assert_int_equal(test_db_int(db, "SELECT count(*) FROM runs"), 12);
}

static int setup(void **state)
{
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    test_rmtree(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quick_c1_without_python),
        cmocka_unit_test(bad_input_is_refused_naming_it),
        cmocka_unit_test(a_python_output_with_a_negative_count_is_refused_naming_it),
        cmocka_unit_test(c3_runs_nothing_and_says_what_patternbench_offers),
        cmocka_unit_test(quick_c2_map_and_its_report),
        cmocka_unit_test(c2_python_loses_what_c_loses),
        cmocka_unit_test(target_runs_c1_and_c4_healthy_against_a_service),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
