/* `patternbench compare --trials`: repeated trials and the per-phase
 * scoreboard, on scenarios whose outcome is known by construction: a breaker
 * and a queue through a full outage at an open-loop rate (the breaker stops
 * sending, both serve nothing), and two identical arms (a tie). Runs the real
 * binary against its in-process mock on port 0, with short phases. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "pb_child.h"
#include "test_assert.h"
#include "test_env.h"
#include "test_file.h"

/* Healthy, then every request fails with 503 (the outage), then healthy
 * again, at 200 arrivals a second; the breaker opens in the outage and, with
 * a recovery timeout longer than the run, stays open. */
static const char outage[] =
    "{\"title\": \"outage\", \"seed\": 7, \"duration\": \"1500ms\", \"timeout\": \"500ms\","
    " \"target\": \"mock\","
    " \"mock\": {\"latency\": \"fixed:2ms\", \"errors\": \"503:0\", \"phases\": ["
    "   {\"at\": \"500ms\", \"name\": \"outage\", \"errors\": \"503:1\"},"
    "   {\"at\": \"1000ms\", \"name\": \"after\", \"errors\": \"503:0\"}]},"
    " \"load\": {\"open\": {\"rate\": 200}},"
    " \"patterns\": ["
    "  {\"pattern\": \"queue\", \"label\": \"queue\", \"concurrency\": 20},"
    "  {\"pattern\": \"breaker\", \"label\": \"breaker\", \"concurrency\": 20,"
    "   \"failure-threshold\": 5, \"recovery-timeout\": \"60s\", \"half-open-calls\": 1}]}";

/* The scoreboard's span named `phase`. */
static const json_t *span(const json_t *root, const char *phase)
{
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(json_object_get(root, "scoreboard"), "spans"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "phase")), phase) == 0)
            return s;
    }
    fail_msg("no span \"%s\" in the scoreboard", phase);
    return NULL;
}

static double metric(const json_t *sp, const char *pattern, const char *key, const char *what)
{
    const json_t *m =
        json_object_get(json_object_get(json_object_get(sp, "patterns"), pattern), key);
    if (!json_is_object(m))
        fail_msg("%s has no %s", pattern, key);
    return json_number_value(json_object_get(m, what));
}

static const char *verdict(const json_t *sp, const char *key)
{
    const char *v = json_string_value(
        json_object_get(json_object_get(json_object_get(sp, "winners"), key), "verdict"));
    return v != NULL ? v : "";
}

static const char *winner(const json_t *sp, const char *key)
{
    const char *v = json_string_value(
        json_object_get(json_object_get(json_object_get(sp, "winners"), key), "winner"));
    return v != NULL ? v : "";
}

/* compare --json (and --report DIR/report when report is true) */
/* The winner of key in span sp is `who`; otherwise the span, for the reader. */
static void expect_winner(const json_t *sp, const char *key, const char *who)
{
    if (strcmp(winner(sp, key), who) != 0) {
        char *text = json_dumps(sp, JSON_INDENT(1));
        fail_msg("%s: expected %s to win, got:\n%s", key, who, text);
    }
}

static json_t *compare_json(test_scratch *fx, const char *scenario, const char *trials, bool report)
{
    char path[400], db[400], dir[400];
    snprintf(path, sizeof(path), "%s/scenario.json", fx->dir);
    snprintf(db, sizeof(db), "%s/trials.db", fx->dir);
    snprintf(dir, sizeof(dir), "%s/report", fx->dir);
    test_write_text(path, scenario);
    pb_child r = report ? pb_child_run_list("compare", path, "--db", db, "--trials", trials,
                                            "--quiet", "--json", "--report", dir, NULL)
                        : pb_child_run_list("compare", path, "--db", db, "--trials", trials,
                                            "--quiet", "--json", NULL);
    assert_exit(r, 0);
    json_error_t jerr;
    json_t *root = json_loads(r.out, 0, &jerr);
    if (root == NULL)
        fail_msg("--json printed no JSON object (%s):\n%s", jerr.text, r.out);
    pb_child_cleanup(&r);
    return root;
}

static void breaker_spares_the_server_in_an_outage_and_serves_no_more(void **state)
{
    test_scratch *fx = *state;
    json_t *root = compare_json(fx, outage, "3", true);
    assert_int_equal(json_integer_value(json_object_get(root, "trials")), 3);
    /* every arm ran 3 times, interleaved, trial k with seed 7 + k - 1 */
    const json_t *runs = json_object_get(root, "runs");
    assert_int_equal(json_array_size(runs), 6);
    static const char *const order[] = {"queue", "breaker"};
    for (size_t i = 0; i < 6; i++) {
        const json_t *r = json_array_get(runs, i);
        assert_string_equal(json_string_value(json_object_get(r, "label")), order[i % 2]);
        assert_int_equal(json_integer_value(json_object_get(r, "trial")), (json_int_t)(i / 2 + 1));
        assert_int_equal(json_integer_value(json_object_get(r, "seed")), (json_int_t)(7 + i / 2));
    }

    const json_t *out = span(root, "outage");
    /* the load on the server during the outage: the breaker's is lower, by
     * more than the noise of 3 trials (its interval is below the queue's) */
    assert_true(metric(out, "breaker", "load", "hi") < metric(out, "queue", "load", "lo"));
    assert_true(metric(out, "queue", "load", "mean") > 150.0);
    /* neither serves the outage (a few tasks due just before its end may
     * reach the mock after it, when the machine is busy): the breaker's
     * unserved share is not better, a tie or the queue's win */
    assert_true(metric(out, "breaker", "unserved", "mean") > 90.0);
    assert_true(metric(out, "queue", "unserved", "mean") > 90.0);
    assert_string_not_equal(winner(out, "unserved"), "breaker");
    assert_string_not_equal(winner(out, "goodput"), "breaker");
    /* a share's interval never leaves 0..100 % */
    assert_true(metric(out, "queue", "unserved", "hi") <= 100.0);

    /* after the outage the open breaker rejects everything, the queue serves */
    const json_t *after = span(root, "after");
    expect_winner(after, "goodput", "queue");
    expect_winner(after, "unserved", "queue");
    /* over the whole run the queue serves more; how clearly depends on how
     * steady the machine was, so only the order is certain */
    const json_t *whole = span(root, "whole run");
    assert_true(metric(whole, "queue", "goodput", "mean") >
                metric(whole, "breaker", "goodput", "mean"));
    assert_string_not_equal(winner(whole, "goodput"), "breaker");
    assert_string_not_equal(winner(whole, "unserved"), "breaker");
    /* the winner's lead carries its interval */
    const json_t *d = json_object_get(json_object_get(json_object_get(after, "winners"), "goodput"),
                                      "difference");
    assert_true(json_number_value(json_object_get(d, "lo")) > 0.0);

    /* the report's summary.json holds the same scoreboard, read back from
     * the database; summary.md and the page open with it */
    char path[400];
    snprintf(path, sizeof(path), "%s/report/summary.json", fx->dir);
    json_error_t jerr;
    json_t *summary = json_load_file(path, 0, &jerr);
    if (summary == NULL)
        fail_msg("%s: %s", path, jerr.text);
    assert_true(
        json_equal(json_object_get(summary, "scoreboard"), json_object_get(root, "scoreboard")));
    snprintf(path, sizeof(path), "%s/report/summary.md", fx->dir);
    char *md = test_slurp(path, NULL);
    assert_contains(md, "## Scoreboard");
    assert_contains(md, "mean [95 % interval] over 3 trials");
    free(md);
    snprintf(path, sizeof(path), "%s/report/index.html", fx->dir);
    char *html = test_slurp(path, NULL);
    char *board = strstr(html, "<section id=\"scoreboard\">");
    assert_non_null(board);
    /* the first section after the title */
    assert_ptr_equal(strstr(html, "<section"), board);
    assert_contains(board, "&#9733; queue");
    free(html);
    /* the comparison chart's data: the corrected p99 (from the intended
     * start) of each pattern, as the scoreboard has it, beside the service p99 */
    snprintf(path, sizeof(path), "%s/report/compare.dat", fx->dir);
    char *dat = test_slurp(path, NULL);
    assert_contains(dat, "corrected p99 ms, from the intended start");
    assert_contains(dat, "service p99 ms");
    const char *line = dat;
    for (int arm = 0; arm < 2; arm++) {
        while (*line == '#')
            line = strchr(line, '\n') + 1;
        double v[32];
        int k = 0;
        const char *p = line;
        while (k < 32 && *p != '\n' && *p != '\0') {
            char *end;
            v[k] = strtod(p, &end);
            if (end == p) /* the quoted labels at the end */
                break;
            k++;
            p = end;
        }
        assert_true(k >= 20);
        double cp99 = metric(whole, order[arm], "corrected_p99", "mean");
        /* column 17 (v[16]): the corrected p99's mean, written at 6 significant figures */
        assert_true(fabs(v[16] - cp99) <= 1e-4 * cp99);
        line = strchr(line, '\n') + 1;
    }
    free(dat);
    snprintf(path, sizeof(path), "%s/report/phases.dat", fx->dir);
    dat = test_slurp(path, NULL);
    assert_contains(dat, "# phase 1: outage");
    free(dat);
    json_decref(summary);
    json_decref(root);
}

static void unserved_share_counts_rejected_and_dropped_tasks(void **state)
{
    test_scratch *fx = *state;
    json_t *root = compare_json(fx, outage, "1", false);
    /* the breaker's own summary: few failures among what reached the server,
     * many rejections */
    const json_t *run = json_array_get(json_object_get(root, "runs"), 1);
    const json_t *sum = json_object_get(run, "summary");
    assert_string_equal(json_string_value(json_object_get(run, "label")), "breaker");
    double tasks = json_number_value(json_object_get(sum, "tasks"));
    double ok = json_number_value(json_object_get(json_object_get(sum, "outcomes"), "ok"));
    double rejected =
        json_number_value(json_object_get(json_object_get(sum, "outcomes"), "rejected_by_breaker"));
    assert_true(rejected > tasks / 4);
    const json_t *whole = span(root, "whole run");
    double unserved = metric(whole, "breaker", "unserved", "mean");
    /* every task that did not end ok, over tasks: the rejections included */
    assert_true(fabs(unserved - 100.0 * (tasks - ok) / tasks) < 1e-6);
    assert_true(unserved > 100.0 * rejected / tasks);
    const json_t *by = json_object_get(
        json_object_get(json_object_get(json_object_get(whole, "patterns"), "breaker"),
                        "unserved_by_outcome"),
        "rejected_by_breaker");
    assert_true(fabs(json_number_value(by) - 100.0 * rejected / tasks) < 1e-6);
    /* one trial: a best, with no interval and said so */
    assert_string_equal(verdict(whole, "goodput"), "one_trial");
    const char *text = json_string_value(
        json_object_get(json_object_get(json_object_get(whole, "winners"), "goodput"), "text"));
    assert_contains(text, "best of one trial, no interval");
    json_decref(root);
}

static void two_identical_arms_are_a_tie(void **state)
{
    test_scratch *fx = *state;
    static const char same[] =
        "{\"title\": \"same\", \"seed\": 3, \"duration\": \"1s\", \"target\": \"mock\","
        " \"mock\": {\"latency\": \"fixed:2ms\", \"errors\": \"503:0.05\"},"
        " \"load\": {\"open\": {\"rate\": 200}},"
        " \"patterns\": ["
        "  {\"pattern\": \"queue\", \"label\": \"one\", \"concurrency\": 20},"
        "  {\"pattern\": \"queue\", \"label\": \"two\", \"concurrency\": 20}]}";
    json_t *root = compare_json(fx, same, "3", false);
    const json_t *whole = span(root, "whole run");
    assert_string_equal(verdict(whole, "goodput"), "tie");
    assert_string_equal(verdict(whole, "unserved"), "tie");
    json_decref(root);
}

static void bad_trials_are_usage_errors(void **state)
{
    test_scratch *fx = *state;
    char path[400], db[400];
    snprintf(path, sizeof(path), "%s/scenario.json", fx->dir);
    snprintf(db, sizeof(db), "%s/bad.db", fx->dir);
    test_write_text(path, outage);
    pb_child r = pb_child_run_list("compare", path, "--db", db, "--trials", "0", NULL);
    assert_exit(r, 2);
    assert_contains(r.err, "--trials");
    pb_child_cleanup(&r);
    test_write_text(path, "{\"trials\": 0, \"patterns\": [{\"pattern\": \"queue\"}]}");
    r = pb_child_run_list("compare", path, "--db", db, NULL);
    assert_exit(r, 2);
    assert_contains(r.err, "trials");
    pb_child_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(breaker_spares_the_server_in_an_outage_and_serves_no_more,
                                        test_scratch_setup, test_scratch_teardown),
        cmocka_unit_test_setup_teardown(unserved_share_counts_rejected_and_dropped_tasks,
                                        test_scratch_setup, test_scratch_teardown),
        cmocka_unit_test_setup_teardown(two_identical_arms_are_a_tie, test_scratch_setup,
                                        test_scratch_teardown),
        cmocka_unit_test_setup_teardown(bad_trials_are_usage_errors, test_scratch_setup,
                                        test_scratch_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
