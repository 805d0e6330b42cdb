/* Live thresholds: `run --threshold EXPR:abort` and --abort-on-fail judge
 * thresholds each second on a trailing window and stop a run that broke,
 * exit 99, status aborted, an abort event, every row kept. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "pb_child.h"
#include "scratch_db.h"
#include "test_file.h"
#include "test_sql.h"

/* How long a run given here may take to end once started. */
#define FINISH_MS 60000

static json_t *summary_json(const pb_child *ch)
{
    json_error_t jerr;
    json_t *j = json_loads(ch->out, 0, &jerr);
    if (j == NULL)
        fail_msg("stdout is not one JSON object (%s): %s", jerr.text, ch->out);
    return j;
}

static int64_t jint(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v))
        fail_msg("summary has no integer \"%s\"", key);
    return json_integer_value(v);
}

/* The case: a mock that answers in 1 ms, then in 500 ms from 5 s on;
 * p99<50ms:abort judged on a 1 s window from 4 s into the run must stop the
 * run within window + delay + 2 s of the slowdown, keep every row and leave
 * a report. Both latencies sit ten times from the limit, and the healthy
 * seconds judged are few (4 and 5) and hold 200 answers each, so that a
 * loaded machine (sanitizers on, the mock's threads waiting for a CPU) must
 * stall three of them past 50 ms in one second to trip it early. */
#define SLOW_AT_S 5
#define WINDOW_S 1
#define DELAY_S 4
static void a_slowdown_aborts_the_run_with_every_row_kept(void **state)
{
    scratch_db *c = *state;
    char profile[160], report[160];
    snprintf(profile, sizeof(profile), "%s/slow.json", c->dir);
    snprintf(report, sizeof(report), "%s/report", c->dir);
    FILE *f = fopen(profile, "w");
    assert_non_null(f);
    fprintf(f,
            "{\"latency\": \"fixed:1ms\", \"phases\": [{\"at\": \"%ds\", \"name\": \"slow\", "
            "\"latency\": \"fixed:500ms\"}]}\n",
            SLOW_AT_S);
    assert_int_equal(fclose(f), 0);
    char window[16], delay[16];
    snprintf(window, sizeof(window), "%ds", WINDOW_S);
    snprintf(delay, sizeof(delay), "%ds", DELAY_S);
    const char *args[] = {"run",
                          "--db",
                          c->db,
                          "--duration",
                          "60s",
                          "--rate",
                          "200",
                          "--concurrency",
                          "200",
                          "--profile",
                          profile,
                          "--threshold",
                          "error_rate<50%",
                          "--threshold",
                          "p99<50ms:abort",
                          "--threshold-window",
                          window,
                          "--abort-delay",
                          delay,
                          "--json",
                          NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, args, NULL, FINISH_MS), 99);
    assert_non_null(strstr(ch.err, "threshold failed: p99<50ms:abort: p99 = "));
    json_t *j = summary_json(&ch);
    assert_string_equal(json_string_value(json_object_get(j, "run_status")), "aborted");
    int64_t id = jint(j, "run_id");
    int64_t requests = jint(j, "requests");

    char sql[256];
    snprintf(sql, sizeof(sql), "select status from runs where id = %lld", (long long)id);
    char *text = test_db_text(c->db, sql);
    assert_string_equal(text, "aborted");
    free(text);
    /* every attempt is a row: nothing is lost by stopping early */
    snprintf(sql, sizeof(sql), "select count(*) from requests where run_id = %lld", (long long)id);
    assert_int_equal(test_db_int(c->db, sql), requests);
    /* one abort event, naming the threshold (index 1 of the list) and its value */
    snprintf(sql, sizeof(sql),
             "select count(*) from events where run_id = %lld and kind = 'abort' and "
             "from_val = 1 and value > 50000 and detail like 'p99<50ms:abort: p99 = %%'",
             (long long)id);
    assert_int_equal(test_db_int(c->db, sql), 1);
    snprintf(sql, sizeof(sql),
             "select (select t_us from events where run_id = %lld and kind = 'abort') - "
             "(select t_us from events where run_id = %lld and kind = 'phase' and detail = "
             "'slow')",
             (long long)id, (long long)id);
    int64_t after = test_db_int(c->db, sql);
    printf("aborted %.3f s after the slowdown at %d s (bound %d s)\n", (double)after / 1e6,
           SLOW_AT_S, WINDOW_S + DELAY_S + 2);
    /* after the slowdown, and within window + delay + 2 s of it */
    assert_true(after > 0);
    assert_true(after <= (WINDOW_S + DELAY_S + 2) * 1000000LL);
    json_decref(j);
    pb_child_cleanup(&ch);

    /* the report of an aborted run is whole: it says so */
    const char *rargs[] = {"report", c->db, "-o", report, NULL};
    assert_int_equal(pb_child_run(&ch, rargs, NULL, FINISH_MS), 0);
    pb_child_cleanup(&ch);
    char index[192];
    snprintf(index, sizeof(index), "%s/index.html", report);
    char *html = test_slurp(index, NULL);
    assert_non_null(strstr(html, "aborted"));
    free(html);
    test_rmtree(report);
    unlink(profile);
}

/* --abort-on-fail judges every threshold a window can judge; one that holds
 * lets the run complete. */
static void abort_on_fail_judges_every_threshold(void **state)
{
    scratch_db *c = *state;
    const char *failing[] = {"run",
                             "--db",
                             c->db,
                             "--duration",
                             "60s",
                             "--errors",
                             "503:0.5",
                             "--threshold",
                             "error_rate<10%",
                             "--abort-on-fail",
                             "--abort-delay",
                             "1s",
                             "--threshold-window",
                             "1s",
                             "--json",
                             NULL};
    pb_child ch;
    assert_int_equal(pb_child_run(&ch, failing, NULL, FINISH_MS), 99);
    json_t *j = summary_json(&ch);
    assert_string_equal(json_string_value(json_object_get(j, "run_status")), "aborted");
    /* stopped after about a second, not at 60 s */
    assert_true(json_real_value(json_object_get(j, "duration_s")) < 10.0);
    json_decref(j);
    pb_child_cleanup(&ch);

    const char *holding[] = {
        "run",           "--db",        c->db,    "--duration",  "3s",         "--latency",
        "fixed:2ms",     "--threshold", "p99<1s", "--threshold", "dropped==0", "--abort-on-fail",
        "--abort-delay", "1s",          "--json", NULL};
    assert_int_equal(pb_child_run(&ch, holding, NULL, FINISH_MS), 0);
    j = summary_json(&ch);
    assert_string_equal(json_string_value(json_object_get(j, "run_status")), "completed");
    json_decref(j);
    pb_child_cleanup(&ch);
}

/* Mistakes are refused before anything runs, naming the input. */
static void live_threshold_mistakes_exit_2(void **state)
{
    scratch_db *c = *state;
    static const struct {
        const char *args[6];
        const char *says;
    } cases[] = {
        {{"--threshold", "p99_drift<5%/h:abort"}, "p99_drift is judged on the whole run only"},
        {{"--abort-on-fail"}, "--abort-on-fail: expected a --threshold"},
        {{"--threshold", "p99<1s", "--threshold-window", "500ms"},
         "--threshold-window: expected whole seconds from 1s to 1h"},
        {{"--threshold", "p99<1s", "--abort-delay", "soon"}, "--abort-delay"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *argv[16] = {"run", "--db", c->db, "--duration", "1s"};
        int n = 5;
        for (int k = 0; cases[i].args[k] != NULL; k++)
            argv[n++] = cases[i].args[k];
        argv[n] = NULL;
        pb_child ch;
        assert_int_equal(pb_child_run(&ch, argv, NULL, FINISH_MS), 2);
        if (strstr(ch.err, cases[i].says) == NULL)
            fail_msg("case %zu: stderr lacks \"%s\":\n%s", i, cases[i].says, ch.err);
        pb_child_cleanup(&ch);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_slowdown_aborts_the_run_with_every_row_kept,
                                        scratch_db_setup, scratch_db_teardown),
        cmocka_unit_test_setup_teardown(abort_on_fail_judges_every_threshold, scratch_db_setup,
                                        scratch_db_teardown),
        cmocka_unit_test_setup_teardown(live_threshold_mistakes_exit_2, scratch_db_setup,
                                        scratch_db_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
