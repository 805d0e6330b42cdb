/* patternbench reproduce: check the cheat sheet's claims by experiment:
 * each arm run in repeated trials, interleaved, by the C patterns and by the
 * Python reference, against a fresh built-in mock or the user's service
 * (--target: the claims that need no seeded faults); means with 95 %
 * intervals, Little's-law bounds, the client's CPU, and a verdict per claim. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "claims.h"
#include "claims_report.h"
#include "commands.h"
#include "c2_experiment.h"
#include "engine.h"
#include "json_out.h"
#include "python_ref.h"
#include "recorder.h"
#include "target.h"
#include "units.h"
#include "usage.h"

#define EXIT_USAGE 2
#define EXIT_FAILED 1

#define DEFAULT_TRIALS 5
#define QUICK_TRIALS 3
#define DEFAULT_TRIAL_DURATION (5 * PB_USEC_PER_SEC)
#define QUICK_TRIAL_DURATION (1 * PB_USEC_PER_SEC)
/* --quick runs C2's Python map once, at one error rate (index 1: 1 %, the
 * claims' mock's own) and the control, to stay within about 90 s; the
 * full run has every cell in every trial */
#define QUICK_C2_PYTHON_RATE 1

typedef struct options {
    bool claims[PB_CLAIM_COUNT];
    const char *claims_text;
    size_t trials;
    bool trials_set, quick, no_python, python_set, json;
    const char *python, *script, *db, *report;
    const char *target; /* the user's service instead of the mock (NULL: the mock) */
    bool claims_set;
    uint64_t seed;
    pb_usec trial_duration; /* hidden: --trial-duration, for tests */
} options;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: patternbench reproduce [options]\n"
        "\n"
        "Check the cheat sheet's claims by experiment against the built-in mock (latency\n"
        "lognormal 6 ms median / 25 ms p99, 1 %% 503s). Each arm of a claim runs in N trials,\n"
        "arms interleaved, with patternbench's C patterns and with the Python reference\n"
        "(reference/python/pb_reference.py, asyncio + aiohttp); per arm the mean req/s with\n"
        "its 95 %% confidence interval, the Little's-law bound, the client's CPU, then a\n"
        "verdict per claim. Claims: C1 queue beat semaphore by 356 req/s; C2 error handling\n"
        "inside the worker: a condition map of error rates x batch sizes; C3 72-hour benchmark; C4 "
        "throughput stars.\n"
        "\n"
        "options:\n"
        "  --claims LIST     claims to check, e.g. C1,C4 (default C1,C2,C3,C4;\n"
        "                    with --target C1,C4)\n"
        "  --target URL      run against your service instead of the mock: C1 and C4's healthy\n"
        "                    column, same trials and verdicts; C2 needs the mock's seeded faults\n"
        "  --trials N        trials per arm, 2..%d (default %d)\n"
        "  --quick           %d trials of 1 s each (the whole command within about 90 s)\n"
        "  --python PYTHON   interpreter of the Python reference (default python3; needs aiohttp)\n"
        "  --no-python       C patterns only\n"
        "  --seed N          seed of trial 1; trial k uses N + k - 1 (default 1)\n"
        "  --db FILE         database the C runs are recorded in (default patternbench.db)\n"
        "  --json            the results as one JSON object on stdout\n"
        "  --report DIR      also write DIR/index.html, DIR/summary.md, DIR/summary.json\n"
        "  --help            this text\n"
        "  for tests: --trial-duration D (100ms or more) shortens every trial;\n"
        "  --python-script FILE runs another copy of the reference\n"
        "\n"
        "exit status: 0 done (whatever the verdicts); 2 bad options; 1 a run or the database\n"
        "failed; 128+N interrupted by signal N.\n",
        PB_TRIALS_MAX, DEFAULT_TRIALS, QUICK_TRIALS);
}

static int parse_options(int argc, char **argv, options *o, int *exit_status)
{
    *o = (options){.claims_text = "C1,C2,C3,C4",
                   .trials = DEFAULT_TRIALS,
                   .python = "python3",
                   .script = pb_python_ref_default_script(),
                   .db = "patternbench.db",
                   .seed = 1};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            *exit_status = 0;
            return -1;
        }
        if (strcmp(arg, "--quick") == 0 || strcmp(arg, "--no-python") == 0 ||
            strcmp(arg, "--json") == 0) {
            o->quick = o->quick || strcmp(arg, "--quick") == 0;
            o->no_python = o->no_python || strcmp(arg, "--no-python") == 0;
            o->json = o->json || strcmp(arg, "--json") == 0;
            continue;
        }
        static const char *const with_value[] = {
            "--claims",        "--trials", "--python", "--seed", "--db", "--trial-duration",
            "--python-script", "--report", "--target", NULL};
        char name[32];
        const char *value = NULL;
        int bad = pb_usage_option_value("reproduce", usage, with_value, argc, argv, &i, name, sizeof(name),
                                        &value);
        if (bad != 0) {
            *exit_status = bad;
            return -1;
        }
        pb_err err;
        int rc = 0;
        if (strcmp(name, "--claims") == 0) {
            o->claims_text = value;
            o->claims_set = true;
        } else if (strcmp(name, "--target") == 0) {
            pb_target check;
            pb_target_init(&check);
            rc = pb_target_set_url(&check, value, &err);
            pb_target_cleanup(&check);
            if (rc != 0)
                pb_err_prefix(&err, "--target");
            o->target = value;
        } else if (strcmp(name, "--trials") == 0) {
            uint64_t t;
            rc = pb_parse_u64(value, "--trials", 0, UINT64_MAX, &t, &err);
            if (rc == 0 && (t < 2 || t > PB_TRIALS_MAX))
                rc = pb_err_set(&err, PB_ERANGE,
                                "--trials: expected 2 to %d (a single trial has no confidence "
                                "interval), got \"%s\"",
                                PB_TRIALS_MAX, value);
            o->trials = (size_t)t;
            o->trials_set = true;
        } else if (strcmp(name, "--python") == 0) {
            o->python = value;
            o->python_set = true;
        } else if (strcmp(name, "--python-script") == 0) {
            o->script = value;
        } else if (strcmp(name, "--seed") == 0) {
            rc = pb_parse_u64(value, "--seed", 0, INT64_MAX - PB_TRIALS_MAX, &o->seed, &err);
        } else if (strcmp(name, "--db") == 0) {
            o->db = value;
        } else if (strcmp(name, "--report") == 0) {
            o->report = value;
            if (value[0] == '\0')
                rc = pb_err_set(&err, PB_EINVAL, "--report: expected a directory, got \"\"");
        } else if (strcmp(name, "--trial-duration") == 0) {
            rc = pb_parse_duration(value, "--trial-duration", &o->trial_duration, &err);
            if (rc == 0 && o->trial_duration < 100 * PB_USEC_PER_MS)
                rc = pb_err_set(&err, PB_ERANGE,
                                "--trial-duration: expected at least 100ms, got \"%s\"", value);
        }
        if (rc != 0) {
            *exit_status = pb_usage_error("reproduce", "%s", err.msg);
            return -1;
        }
    }
    pb_err err;
    if (o->target != NULL && !o->claims_set)
        o->claims_text = "C1,C4";
    if (pb_claims_parse(o->claims_text, o->claims, &err) != 0) {
        *exit_status = pb_usage_error("reproduce", "%s", err.msg);
        return -1;
    }
    for (int c = 0; c < PB_CLAIM_COUNT && o->target != NULL; c++) {
        if (o->claims[c] && pb_claims_needs_mock((pb_claim_id)c)) {
            *exit_status = pb_usage_error(
                "reproduce",
                "--claims %s with --target: %s needs the mock's seeded faults (which requests fail "
                "must be known and the same for every arm), which your service does not have; "
                "leave it out (with --target the default is C1,C4) or run it without --target",
                o->claims_text, pb_claims_get((pb_claim_id)c)->id);
            return -1;
        }
    }
    if (o->python_set && o->no_python) {
        *exit_status = pb_usage_error("reproduce", "give --python or --no-python, not both");
        return -1;
    }
    if (o->quick && !o->trials_set)
        o->trials = QUICK_TRIALS;
    if (o->trial_duration == 0)
        o->trial_duration = o->quick ? QUICK_TRIAL_DURATION : DEFAULT_TRIAL_DURATION;
    return 0;
}

/* Whether claim c runs arm a in this reproduce: against a target, the arms
 * with the mock's fault phase are left out. */
static bool arm_runs(const options *o, pb_claim_id c, pb_arm_id a)
{
    return pb_claims_uses(c, a) && !(o->target != NULL && pb_claims_arm(a)->fault);
}

static bool arm_selected(const options *o, pb_arm_id a)
{
    for (int c = 0; c < PB_CLAIM_COUNT; c++)
        if (o->claims[c] && arm_runs(o, (pb_claim_id)c, a))
            return true;
    return false;
}

/* "2612 ± 35" */
static const char *mean_ci(const pb_arm_result *r, bool good, char *buf, size_t len)
{
    if (!r->ready) {
        snprintf(buf, len, "-");
        return buf;
    }
    const pb_ci *ci = good ? &r->goodput : &r->rps;
    snprintf(buf, len, "%.0f ± %.0f", ci->mean, ci->half);
    return buf;
}

static void print_arm(FILE *out, const pb_arm *arm, const pb_arm_result *res, int n_impl)
{
    fprintf(out, "  %-22s", arm->label);
    for (int i = 0; i < n_impl; i++) {
        const pb_arm_result *r = &res[i];
        char a[40], b[40];
        if (!r->ready) {
            fprintf(out, " | %-50.50s", r->missing[0] ? r->missing : "-");
            continue;
        }
        char bound[16] = "-";
        if (r->little_bound > 0)
            snprintf(bound, sizeof(bound), "%.0f", r->little_bound);
        fprintf(out, " | %14s %14s %6s %5.2f%s%s", mean_ci(r, false, a, sizeof(a)),
                mean_ci(r, true, b, sizeof(b)), bound, r->cpu_share,
                r->client_bound ? " CLIENT-BOUND" : "",
                r->generator_bound ? " GENERATOR-BOUND" : "");
    }
    fprintf(out, "\n");
}

/* What --quick's verdicts carry: few, short trials decide less. */
#define PROVISIONAL "provisional: --quick runs 3 trials of 1 s"

static void print_claim(FILE *out, const options *o, pb_claim_id c,
                        pb_arm_result res[PB_ARM_COUNT][PB_IMPL_COUNT], bool python,
                        const pb_verdict *v)
{
    const char *caveat = o->quick ? " (" PROVISIONAL ")" : "";
    const pb_claim *cl = pb_claims_get(c);
    fprintf(out, "\n%s  \"%s\"\n    sheet: %s\n", cl->id, cl->quote, cl->figure);
    bool any = false;
    for (int a = 0; a < PB_ARM_COUNT; a++)
        any = any || arm_runs(o, c, (pb_arm_id)a);
    if (any) {
        fprintf(out, "  %-22s | %14s %14s %6s %5s", "arm", "C req/s", "C ok/s", "bound", "cpu");
        if (python)
            fprintf(out, " | %14s %14s %6s %5s", "Python req/s", "Python ok/s", "bound", "cpu");
        fprintf(out, "\n");
        for (int a = 0; a < PB_ARM_COUNT; a++) {
            if (!arm_runs(o, c, (pb_arm_id)a))
                continue;
            print_arm(out, pb_claims_arm((pb_arm_id)a), res[a], python ? 2 : 1);
        }
    }
    if (python && (any || c == PB_C2)) {
        fprintf(out, "  verdict (Python, the sheet's kind of client): %s%s\n    %s\n",
                v[PB_IMPL_PYTHON].word, caveat, v[PB_IMPL_PYTHON].reason);
        fprintf(out, "  verdict (C patterns): %s%s\n    %s\n", v[PB_IMPL_C].word, caveat,
                v[PB_IMPL_C].reason);
    } else {
        fprintf(out, "  verdict: %s%s\n    %s\n", v[PB_IMPL_C].word, caveat,
                v[PB_IMPL_C].reason);
    }
}

static json_t *arm_json(const pb_arm_result *r)
{
    if (!r->ready)
        return json_pack("{s:s}", "missing", r->missing[0] ? r->missing : "fewer than 2 trials");
    json_t *trials = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const pb_trial *t = &r->trials[i];
        /* against a target, what only the mock knows is null, not 0 */
        json_array_append_new(
            trials, json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:o, s:I, s:I}", "rps", t->rps,
                              "goodput", t->goodput, "elapsed_s", t->elapsed_s, "cpu_s", t->cpu_s,
                              "mean_latency_ms", t->mean_latency_ms, "requests",
                              (json_int_t)t->requests, "ok", (json_int_t)t->ok, "server_requests",
                              t->server_counted ? json_integer((json_int_t)t->server_requests)
                                                : json_null(),
                              "lost", (json_int_t)t->lost, "run_id", (json_int_t)t->run_id));
    }
    return json_pack("{s:o, s:o, s:f, s:o, s:f, s:b, s:b, s:o}", "rps", pb_ci_json(&r->rps),
                     "goodput", pb_ci_json(&r->goodput), "mean_latency_ms", r->mean_latency_ms,
                     "little_bound",
                     r->little_bound > 0 ? json_real(r->little_bound) : json_null(), "cpu_share",
                     r->cpu_share, "client_bound",
                     r->client_bound, "generator_bound", r->generator_bound, "trials", trials);
}

/* C2's maps, C then Python, and whether the two lost the same results. */
static void print_c2(FILE *out, const pb_c2_map map[PB_IMPL_COUNT], bool python)
{
    pb_c2_map_print(out, &map[PB_IMPL_C], "C patterns");
    if (!python)
        return;
    pb_c2_map_print(out, &map[PB_IMPL_PYTHON], "Python reference");
    size_t pairs, equal;
    pb_c2_agreement(&map[PB_IMPL_C], &map[PB_IMPL_PYTHON], &pairs, &equal);
    fprintf(out,
            "  C and Python lost exactly the same results in %zu of %zu cell trials (same seed, "
            "same task numbers, so the mock failed the same tasks for both)\n",
            equal, pairs);
}

/* Everything as one JSON object: --json prints it, --report renders it. */
static json_t *build_json(const options *o, int64_t compare_id, const char *end_status,
                          bool run_python, const char *py_version, const char *aiohttp,
                          const char *py_missing, pb_arm_result res[][PB_IMPL_COUNT],
                          const pb_c2_map map[PB_IMPL_COUNT], pb_verdict v[][PB_IMPL_COUNT])
{
    json_t *root =
        json_pack("{s:s, s:I, s:I, s:f, s:I, s:s, s:s}", "claims_checked", o->claims_text, "seed",
                  (json_int_t)o->seed, "trials", (json_int_t)o->trials, "trial_duration_s",
                  (double)o->trial_duration / 1e6, "compare_id", (json_int_t)compare_id, "status",
                  end_status, "recording",
                  o->target != NULL
                      ? "the C arms are recorded by the engine; the Python arms are not recorded "
                        "(the mock records them, and --target has no mock)"
                      : "the C arms are recorded by the engine; the Python arms by the mock, as "
                        "runs labelled \"ARM (Python, server view)\" in --db");
    json_object_set_new(root, "target", o->target != NULL ? json_string(o->target) : json_null());
    if (o->quick)
        json_object_set_new(root, "provisional", json_string(PROVISIONAL));
    json_object_set_new(root, "python",
                        run_python ? json_pack("{s:s, s:s, s:s}", "command", o->python, "version",
                                               py_version, "aiohttp", aiohttp)
                                   : json_pack("{s:s}", "missing", py_missing));
    json_t *arms_j = json_object(), *claims_j = json_array();
    for (int a = 0; a < PB_ARM_COUNT; a++) {
        if (!arm_selected(o, (pb_arm_id)a))
            continue;
        const pb_arm *arm = pb_claims_arm((pb_arm_id)a);
        json_object_set_new(arms_j, arm->label,
                            json_pack("{s:s, s:i, s:b, s:o, s:o}", "pattern", arm->pattern,
                                      "concurrency", (int)arm->concurrency, "fault", arm->fault,
                                      "c", arm_json(&res[a][PB_IMPL_C]), "python",
                                      arm_json(&res[a][PB_IMPL_PYTHON])));
    }
    for (int c = 0; c < PB_CLAIM_COUNT; c++) {
        if (!o->claims[c])
            continue;
        const pb_claim *cl = pb_claims_get((pb_claim_id)c);
        json_t *used = json_array();
        for (int a = 0; a < PB_ARM_COUNT; a++)
            if (arm_runs(o, (pb_claim_id)c, (pb_arm_id)a))
                json_array_append_new(used, json_string(pb_claims_arm((pb_arm_id)a)->label));
        json_array_append_new(
            claims_j,
            json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:s, s:b}, s:{s:s, s:s, s:b}}", "id", cl->id,
                      "quote", cl->quote, "sheet", cl->figure, "arms", used, "c", "verdict",
                      v[c][PB_IMPL_C].word, "reason", v[c][PB_IMPL_C].reason, "provisional",
                      o->quick, "python", "verdict", v[c][PB_IMPL_PYTHON].word, "reason",
                      v[c][PB_IMPL_PYTHON].reason, "provisional", o->quick));
    }
    json_object_set_new(root, "arms", arms_j);
    json_object_set_new(root, "claims", claims_j);
    if (o->claims[PB_C2]) {
        json_object_set_new(root, "condition_map", pb_c2_map_json(&map[PB_IMPL_C]));
        json_object_set_new(root, "condition_map_python", pb_c2_map_json(&map[PB_IMPL_PYTHON]));
        size_t pairs, equal;
        pb_c2_agreement(&map[PB_IMPL_C], &map[PB_IMPL_PYTHON], &pairs, &equal);
        json_object_set_new(root, "condition_map_agreement",
                            json_pack("{s:I, s:I, s:s}", "pairs", (json_int_t)pairs, "equal",
                                      (json_int_t)equal, "meaning",
                                      "cell trials run by both C and Python with the same seed, "
                                      "and how many of them lost exactly the same results"));
    }
    return root;
}

/* What the shared trial schedule runs: slot i < n_slots is one arm with one
 * implementation; the slot after them is C2's condition map. */
typedef struct schedule {
    const options *o;
    const pb_trial_plan *tp;
    pb_arm_result (*res)[PB_IMPL_COUNT];
    pb_c2_map *map;
    bool run_python;
    struct slot {
        pb_arm_id arm;
        pb_impl impl;
    } slot[PB_ARM_COUNT * PB_IMPL_COUNT];
    size_t n_slots;
} schedule;

/* One arm with one implementation; a Python failure leaves its column's
 * reason and goes on, a C failure ends the schedule. */
static int run_arm(schedule *s, const struct slot *sl, size_t t, uint64_t seed, pb_err *err)
{
    const pb_arm *arm = pb_claims_arm(sl->arm);
    pb_arm_result *r = &s->res[sl->arm][sl->impl];
    if (sl->impl == PB_IMPL_PYTHON && (!s->run_python || r->missing[0] != '\0'))
        return 0;
    pb_trial tr;
    int rc = sl->impl == PB_IMPL_C ? pb_trial_run_c(arm, s->tp, seed, &tr, err)
                                   : pb_trial_run_python(arm, s->tp, seed, &tr, err);
    if (rc != 0 && sl->impl == PB_IMPL_C) {
        pb_err_prefix(err, "%s (C)", arm->label);
        return rc;
    }
    if (rc != 0) {
        /* the Python column of this arm says why; C goes on */
        snprintf(r->missing, sizeof(r->missing), "%s", err->msg);
        fprintf(stderr, "patternbench reproduce: %s (Python): %s\n", arm->label, err->msg);
        return 0;
    }
    r->trials[r->n++] = tr;
    fprintf(stderr, "[trial %zu/%zu] %-22s %-6s %8.0f req/s  cpu %.2f\n", t + 1, s->o->trials,
            arm->label, sl->impl == PB_IMPL_C ? "C" : "Python", tr.rps,
            tr.elapsed_s > 0 ? tr.cpu_s / tr.elapsed_s : 0.0);
    return 0;
}

/* C2's map for one trial: C always, Python when it runs (once under --quick). */
static int run_c2(schedule *s, size_t t, uint64_t seed, pb_err *err)
{
    const options *o = s->o;
    pb_c2_map *map = s->map;
    fprintf(stderr, "[trial %zu/%zu] C2's condition map\n", t + 1, o->trials);
    int rc = pb_c2_run_trial(&map[PB_IMPL_C], PB_IMPL_C, PB_C2_ALL_RATES, s->tp, seed, err);
    if (rc != 0) {
        snprintf(map[PB_IMPL_C].missing, sizeof(map[PB_IMPL_C].missing), "a run failed: %s",
                 err->msg);
        pb_err_prefix(err, "C2 (C)");
        return rc;
    }
    if (s->run_python && map[PB_IMPL_PYTHON].missing[0] == '\0' && (!o->quick || t == 0) &&
        !pb_stop_requested &&
        pb_c2_run_trial(&map[PB_IMPL_PYTHON], PB_IMPL_PYTHON,
                        o->quick ? QUICK_C2_PYTHON_RATE : PB_C2_ALL_RATES, s->tp, seed,
                        err) != 0) {
        /* the Python map says why; C goes on */
        fprintf(stderr, "patternbench reproduce: C2 (Python): %s\n", err->msg);
        snprintf(map[PB_IMPL_PYTHON].missing, sizeof(map[PB_IMPL_PYTHON].missing),
                 "a run failed: %s", err->msg);
    }
    return 0;
}

static int run_scheduled(void *data, size_t arm, size_t trial, uint64_t seed, pb_err *err)
{
    schedule *s = data;
    return arm < s->n_slots ? run_arm(s, &s->slot[arm], trial, seed, err)
                            : run_c2(s, trial, seed, err);
}

int pb_cmd_reproduce(int argc, char **argv)
{
    options o;
    int status = EXIT_USAGE;
    if (parse_options(argc, argv, &o, &status) != 0)
        return status;

    /* the Python column: an interpreter named on purpose must work; the
     * default may be missing, and then its column says so */
    bool python = !o.no_python;
    char py_version[32] = "", aiohttp[32] = "", py_missing[512] = "";
    pb_err err = {0};
    if (python && pb_python_ref_check(o.python, o.script, py_version, sizeof(py_version), aiohttp,
                                      sizeof(aiohttp), &err) != 0) {
        if (o.python_set)
            return pb_usage_error("reproduce", "%s", err.msg);
        snprintf(py_missing, sizeof(py_missing), "%s", err.msg);
        fprintf(stderr, "patternbench reproduce: no Python column: %s\n", err.msg);
    }
    if (o.no_python)
        snprintf(py_missing, sizeof(py_missing), "--no-python");
    bool run_python = python && py_missing[0] == '\0';
    if (o.target != NULL)
        fprintf(stderr,
                "patternbench reproduce: against %s: claims %s%s (C2 needs the mock's seeded "
                "faults; C4 without its fault column)\n",
                o.target, o.claims_text, o.claims_set ? "" : ", the ones that can run there");

    pb_arm_result(*res)[PB_IMPL_COUNT] = calloc(PB_ARM_COUNT, sizeof(*res));
    pb_c2_map *map = calloc(PB_IMPL_COUNT, sizeof(*map)); /* C2's, per implementation */
    pb_recorder *rec = NULL;
    int64_t compare_id = 0;
    const char *end_status = "failed";
    json_t *root = NULL;
    status = EXIT_FAILED;
    if (res == NULL || map == NULL) {
        fprintf(stderr, "patternbench reproduce: out of memory\n");
        goto done;
    }
    for (int impl = 0; impl < PB_IMPL_COUNT; impl++)
        pb_c2_map_init(&map[impl]);
    if (!run_python) {
        for (int a = 0; a < PB_ARM_COUNT; a++)
            snprintf(res[a][PB_IMPL_PYTHON].missing, sizeof(res[a][PB_IMPL_PYTHON].missing),
                     "no Python: %s", py_missing);
        snprintf(map[PB_IMPL_PYTHON].missing, sizeof(map[PB_IMPL_PYTHON].missing),
                 "no Python: %s", py_missing);
    }

    char title[64], plan[256], d[32];
    snprintf(title, sizeof(title), "reproduce %s", o.claims_text);
    snprintf(plan, sizeof(plan),
             "{\"claims\": \"%s\", \"trials\": %zu, \"trial_duration\": \"%s\", \"seed\": "
             "%llu, \"against\": \"%s\"}",
             o.claims_text, o.trials, pb_format_duration(o.trial_duration, d, sizeof(d)),
             (unsigned long long)o.seed, o.target != NULL ? "target" : "mock");
    if (pb_recorder_open(o.db, 0, &rec, &err) != 0 ||
        pb_recorder_begin_compare(rec, title, "reproduce", plan, o.seed, &compare_id, &err) != 0) {
        fprintf(stderr, "patternbench reproduce: --db %s: %s\n", o.db, err.msg);
        goto done;
    }
    pb_trial_plan tp = {.duration = o.trial_duration,
                        .rec = rec,
                        .compare_id = compare_id,
                        .db_path = o.db,
                        .python = o.python,
                        .script = o.script,
                        .target = o.target};

    pb_stop_signals stop_signals;
    pb_stop_signals_install(&stop_signals);
    /* the shared schedule's arms: each selected (arm, implementation), then
     * C2's map as one more arm of every trial */
    schedule sch = {.o = &o, .tp = &tp, .res = res, .map = map, .run_python = run_python};
    for (int a = 0; a < PB_ARM_COUNT; a++)
        for (int impl = 0; impl < PB_IMPL_COUNT && arm_selected(&o, (pb_arm_id)a); impl++)
            sch.slot[sch.n_slots++] = (struct slot){(pb_arm_id)a, (pb_impl)impl};
    pb_trials trials = {.n_trials = o.trials,
                        .n_arms = sch.n_slots + (o.claims[PB_C2] ? 1 : 0),
                        .seed = o.seed,
                        .run = run_scheduled,
                        .data = &sch};
    size_t runs_done;
    pb_trials_end how = pb_trials_run(&trials, &runs_done, &err);
    end_status = how == PB_TRIALS_DONE      ? "completed"
                 : how == PB_TRIALS_STOPPED ? "interrupted"
                                            : "failed";
    if (how == PB_TRIALS_FAILED)
        fprintf(stderr, "patternbench reproduce: %s\n", err.msg);
    pb_stop_signals_restore(&stop_signals);

    for (int a = 0; a < PB_ARM_COUNT; a++)
        for (int impl = 0; impl < PB_IMPL_COUNT; impl++)
            pb_arm_result_finish(&res[a][impl], pb_claims_arm((pb_arm_id)a),
                                 o.target != NULL ? 0.0 : pb_claims_server_mean_ms());

    pb_verdict v[PB_CLAIM_COUNT][PB_IMPL_COUNT];
    for (int c = 0; c < PB_CLAIM_COUNT; c++) {
        if (!o.claims[c])
            continue;
        for (int impl = 0; impl < PB_IMPL_COUNT; impl++) {
            pb_arm_result col[PB_ARM_COUNT];
            for (int a = 0; a < PB_ARM_COUNT; a++)
                col[a] = res[a][impl];
            pb_claims_verdict((pb_claim_id)c, col, (pb_impl)impl, o.target != NULL,
                              &v[c][impl]);
        }
        if (c == PB_C2) {
            for (int impl = 0; impl < PB_IMPL_COUNT; impl++) {
                pb_c2_map *m = &map[impl];
                for (size_t i = 0; i < PB_C2_RATES; i++)
                    for (size_t j = 0; j < PB_C2_BATCHES; j++)
                        pb_c2_cell_finish(&m->cell[i][j]);
                pb_c2_cell_finish(&m->control);
                pb_c2_verdict(m, v[c][impl].word, sizeof(v[c][impl].word), v[c][impl].reason,
                              sizeof(v[c][impl].reason));
            }
            if (run_python && o.quick && map[PB_IMPL_PYTHON].missing[0] == '\0')
                snprintf(v[c][PB_IMPL_PYTHON].reason, sizeof(v[c][PB_IMPL_PYTHON].reason),
                         "--quick runs the Python map once (one trial, no interval) at 1 %% "
                         "errors; each of its cells is compared with C's trial of the same seed "
                         "below");
        }
    }

    if (o.json || o.report != NULL) {
        root = build_json(&o, compare_id, end_status, run_python, py_version, aiohttp, py_missing,
                          res, map, v);
        if (root == NULL) {
            fprintf(stderr, "patternbench reproduce: out of memory\n");
            end_status = "failed";
        }
    }
    if (o.json && root != NULL) {
        if (pb_json_dumpf(root, stdout, JSON_INDENT(2)) != 0)
            end_status = "failed";
        printf("\n");
    } else if (!o.json) {
        printf("patternbench reproduce: %zu trial%s of %s per arm, seed %llu, compare %lld",
               o.trials, o.trials == 1 ? "" : "s", d, (unsigned long long)o.seed,
               (long long)compare_id);
        if (run_python)
            printf("; Python %s, aiohttp %s (%s)\n", py_version, aiohttp, o.python);
        else
            printf("; no Python column (%s)\n", py_missing);
        if (o.target != NULL)
            printf("against %s; mean ± 95 %% CI over trials; bound: not known (your service's "
                   "latency is not known in advance); cpu = the client's CPU seconds per "
                   "second\n",
                   o.target);
        else
            printf("mean ± 95 %% CI over trials; bound = concurrency / the server's mean latency "
                   "of %.2f ms (Little's law); cpu = the client's CPU seconds per second\n",
                   pb_claims_server_mean_ms());
        for (int c = 0; c < PB_CLAIM_COUNT; c++) {
            if (!o.claims[c])
                continue;
            print_claim(stdout, &o, (pb_claim_id)c, res, run_python, v[c]);
            if (c == PB_C2)
                print_c2(stdout, map, run_python);
        }
    }
    if (o.report != NULL && root != NULL) {
        if (pb_claims_report_write(o.report, root, &err) != 0) {
            fprintf(stderr, "patternbench reproduce: --report %s: %s\n", o.report, err.msg);
            end_status = "failed";
        } else {
            fprintf(stderr,
                    "patternbench reproduce: wrote %s/index.html, summary.md, "
                    "summary.json\n",
                    o.report);
        }
    }
    fflush(stdout);
    if (strcmp(end_status, "completed") == 0)
        status = 0;
    else if (strcmp(end_status, "interrupted") == 0)
        status = 128 + SIGINT;

done:
    if (rec != NULL) {
        if (compare_id != 0 &&
            pb_recorder_end_compare(rec, compare_id, end_status, NULL, &err) != 0) {
            fprintf(stderr, "patternbench reproduce: --db %s: %s\n", o.db, err.msg);
            status = EXIT_FAILED;
        }
        if (pb_recorder_close(rec, &err) != 0) {
            fprintf(stderr, "patternbench reproduce: --db %s: %s\n", o.db, err.msg);
            status = EXIT_FAILED;
        }
    }
    json_decref(root);
    free(map);
    free(res);
    return status;
}
