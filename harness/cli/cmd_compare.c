/* patternbench compare: run every pattern entry of a scenario under the same
 * conditions, record them under one compare id, print one comparison table,
 * and gate on thresholds. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "engine.h"
#include "json_out.h"
#include "metrics_server.h"
#include "progress.h"
#include "recorder.h"
#include "reader.h"
#include "report.h"
#include "resume.h"
#include "scenario.h"
#include "scoreboard.h"
#include "secrets.h"
#include "segment.h"
#include "threshold.h"
#include "trials.h"
#include "units.h"
#include "usage.h"

/* Exit statuses (run uses the same): usage or scenario error (PB_EXIT_USAGE),
 * a failed run, a failed threshold. Interrupted runs exit 128 + the signal. */
#define EXIT_USAGE PB_EXIT_USAGE
#define EXIT_FAILED 1
#define EXIT_THRESHOLD 99

#define MAX_CLI_THRESHOLDS 16

typedef struct options {
    const char *scenario;
    const char *db;
    const char *report_dir;
    const char *patterns;
    pb_usec duration;
    uint64_t requests;
    bool seed_set;
    uint64_t seed;
    uint32_t client_threads; /* 0 = each run's default */
    double time_scale;       /* --time-scale; 0 = the scenario's */
    bool metrics;            /* --metrics given: serve at metrics_addr */
    pb_metrics_addr metrics_addr;
    pb_usec metrics_linger;
    const char *segment;  /* --segment I/N for every entry, NULL = whole runs */
    const char *start_at; /* --start-at for the first entry, NULL = at once */
    const char *thresholds[MAX_CLI_THRESHOLDS];
    int n_thresholds;
    struct {
        char name[32]; /* without dashes */
        const char *value;
    } request[64]; /* --method, --header, --body, ...: added to the scenario's */
    int n_request;
    size_t trials; /* --trials; 0 = the scenario's */
    bool check, quiet, json;
    const char *resume;  /* --resume DB[:COMPARE]; NULL for a new comparison */
    char experiment[64]; /* the first argument given that changes the runs (not an output's) */
} options;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: patternbench compare SCENARIO.json [options]\n"
        "\n"
        "Run every pattern entry of a scenario in turn, each against a fresh built-in mock\n"
        "server with the same seed and its phase clock started with the run, so that every\n"
        "pattern meets the same fault schedule. All runs share one compare id in the\n"
        "database; a comparison table is printed at the end. Scenario format:\n"
        "scenarios/README.md.\n"
        "\n"
        "options:\n"
        "  --db FILE            database to append to (default patternbench.db)\n"
        "  --report DIR         write the comparison's report into DIR afterwards\n"
        "  --patterns LIST      run only these entries: labels or pattern names,\n"
        "                       comma-separated\n"
        "  --duration D         run every entry for D (e.g. 2s), overriding the scenario\n"
        "  --requests N         run every entry for N requests, overriding the scenario\n"
        "  --seed N             override the scenario's seed\n"
        "  --trials N           run every entry N times (1..%d, default the scenario's\n"
        "                       \"trials\" or 1), trial by trial (A1 B1 A2 B2 ...), trial k\n"
        "                       with seed + k - 1; the scoreboard gives means with 95 %%\n"
        "                       intervals and calls a tie when the difference is noise\n"
        "  --time-scale K       run the schedule K times faster: every run length and\n"
        "                       phase offset divided by K (72: a 72-hour soak in an\n"
        "                       hour); latencies, timeouts and the patterns' windows\n"
        "                       stay real\n"
        "  --client-threads N   HTTP client threads of every run (default: one per CPU,\n"
        "                       at most 4 and at most one per 16 of the run's\n"
        "                       concurrency)\n"
        "  --metrics [ADDR:]PORT\n"
        "                       serve live metrics at /metrics in the Prometheus text\n"
        "                       format while running, each run its own series, and a\n"
        "                       live page of the current run at / (127.0.0.1 when\n"
        "                       only a port)\n"
        "  --metrics-linger D   after the last run, keep serving until a scrape has\n"
        "                       fetched the final figures, at most D (0s)\n"
        "  --segment I/N        run segment I of N of every entry (merge the N databases\n"
        "                       with 'patternbench merge'; docs/merge.md)\n"
        "  --start-at TIME      start the first entry at this wall-clock time (Unix\n"
        "                       seconds or RFC 3339); the others follow it\n"
        "  --threshold EXPR     add a threshold checked on every run (repeatable), e.g.\n"
        "                       'p99<200ms', 'error_rate<1%%', 'rps>1000', 'dropped==0'\n"
        "  --resume DB[:COMPARE]\n"
        "                       continue a comparison whose process died (status running\n"
        "                       or interrupted; the file's last compare without :COMPARE):\n"
        "                       its running run goes on as 'run --resume' does, the runs\n"
        "                       not started yet run as the stored scenario says; beside\n"
        "                       it only --quiet, --json, --metrics and --metrics-linger\n"
        "                       may be given\n"
        "%s"
        "  --check              validate the scenario (and its mock profile) and exit\n"
        "  --quiet              no progress lines while running\n"
        "  --json               print the runs' summaries and the scoreboard as one JSON\n"
        "                       object on stdout instead of the tables\n"
        "  --help               this text\n"
        "\n"
        "threshold metrics: %s\n"
        "\n"
        "exit status: 0 all runs completed and every threshold passed; 99 a threshold\n"
        "failed; 2 bad options or scenario; 1 a run failed; 128+N interrupted by signal N.\n",
        PB_TRIALS_MAX, PB_RUN_REQUEST_HELP, pb_threshold_metric_names());
}

/* Arguments that change how a comparison is shown, not what it runs: the
 * only ones a resumed comparison takes. */
static bool output_option(const char *name)
{
    static const char *const names[] = {"--quiet", "--json", "--metrics", "--metrics-linger",
                                        "--resume"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

static void note_experiment(options *o, const char *name)
{
    if (!output_option(name) && o->experiment[0] == '\0')
        snprintf(o->experiment, sizeof(o->experiment), "%s", name);
}

static int parse_options(int argc, char **argv, options *o, int *exit_status)
{
    *o = (options){.db = "patternbench.db"};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            *exit_status = 0;
            return -1;
        }
        if (strncmp(arg, "--", 2) == 0) {
            size_t n = strcspn(arg, "=");
            char flag[64];
            snprintf(flag, sizeof(flag), "%.*s", (int)n, arg);
            note_experiment(o, flag);
        }
        if (strcmp(arg, "--check") == 0) {
            o->check = true;
            continue;
        }
        if (strcmp(arg, "--quiet") == 0) {
            o->quiet = true;
            continue;
        }
        if (strcmp(arg, "--json") == 0) {
            o->json = true;
            continue;
        }
        if (strcmp(arg, "--insecure") == 0 && o->n_request < 64) {
            snprintf(o->request[o->n_request].name, sizeof(o->request[0].name), "insecure");
            o->request[o->n_request++].value = NULL;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (o->scenario != NULL) {
                *exit_status =
                    pb_usage_error("compare", "expected one scenario file, got \"%s\" and \"%s\"",
                                   o->scenario, arg);
                return -1;
            }
            o->scenario = arg;
            note_experiment(o, arg);
            continue;
        }
        /* options with a value: --name VALUE or --name=VALUE */
        static const char *const with_value[] = {
            "--db",         "--report",    "--patterns",       "--duration", "--requests",
            "--seed",       "--threshold", "--client-threads", "--metrics",  "--metrics-linger",
            "--time-scale", "--segment",   "--start-at",       "--method",   "--header",
            "--body",       "--ok-status", "--secret-header",  "--cacert",   "--trials",
            "--targets",    "--targets-format", "--targets-order", "--resume", NULL};
        char name[32];
        const char *value = NULL;
        int bad = pb_usage_option_value("compare", usage, with_value, argc, argv, &i, name, sizeof(name),
                                        &value);
        if (bad != 0) {
            *exit_status = bad;
            return -1;
        }
        pb_err err;
        int rc = 0;
        if (pb_scenario_is_request_option(name + 2)) {
            /* checked once the scenario is loaded, in its order after the scenario's */
            if (o->n_request == (int)(sizeof(o->request) / sizeof(o->request[0])))
                rc = pb_err_set(&err, PB_ERANGE, "%s: too many request options", name);
            else {
                snprintf(o->request[o->n_request].name, sizeof(o->request[0].name), "%s", name + 2);
                o->request[o->n_request++].value = value;
            }
        } else if (strcmp(name, "--resume") == 0) {
            o->resume = value;
        } else if (strcmp(name, "--db") == 0) {
            o->db = value;
        } else if (strcmp(name, "--report") == 0) {
            o->report_dir = value;
        } else if (strcmp(name, "--patterns") == 0) {
            o->patterns = value;
        } else if (strcmp(name, "--duration") == 0) {
            rc = pb_run_parse_duration(value, &o->duration, &err);
        } else if (strcmp(name, "--requests") == 0) {
            rc = pb_run_parse_requests(value, &o->requests, &err);
        } else if (strcmp(name, "--seed") == 0) {
            rc = pb_run_parse_seed(value, &o->seed, &err);
            o->seed_set = true;
        } else if (strcmp(name, "--time-scale") == 0) {
            rc = pb_parse_double(value, "--time-scale", 1e-3, PB_SCENARIO_MAX_TIME_SCALE,
                                 &o->time_scale, &err);
        } else if (strcmp(name, "--metrics") == 0) {
            o->metrics = true;
            rc = pb_metrics_parse_addr(value, &o->metrics_addr, &err);
        } else if (strcmp(name, "--metrics-linger") == 0) {
            rc = pb_parse_duration(value, "--metrics-linger", &o->metrics_linger, &err);
        } else if (strcmp(name, "--segment") == 0) {
            pb_segment seg;
            rc = pb_segment_parse(value, &seg, &err);
            o->segment = value;
        } else if (strcmp(name, "--start-at") == 0) {
            int64_t at;
            rc = pb_segment_parse_start(value, &at, &err);
            o->start_at = value;
        } else if (strcmp(name, "--trials") == 0) {
            uint64_t t = 0;
            rc = pb_parse_u64(value, "--trials", 1, PB_TRIALS_MAX, &t, &err);
            o->trials = (size_t)t;
        } else if (strcmp(name, "--client-threads") == 0) {
            rc = pb_run_parse_client_threads(value, &o->client_threads, &err);
        } else if (strcmp(name, "--threshold") == 0) {
            pb_threshold t;
            rc = pb_threshold_parse(value, &t, &err);
            if (rc == 0 && o->n_thresholds == MAX_CLI_THRESHOLDS)
                rc = pb_err_set(&err, PB_ERANGE, "--threshold: at most %d on the command line",
                                MAX_CLI_THRESHOLDS);
            if (rc == 0)
                o->thresholds[o->n_thresholds++] = value;
        }
        if (rc != 0) {
            *exit_status = pb_usage_error("compare", "%s", err.msg);
            return -1;
        }
    }
    if (o->resume != NULL) {
        if (o->experiment[0] != '\0') {
            *exit_status = pb_usage_error(
                "compare",
                "%s: a resumed comparison keeps the scenario and options it was started with; "
                "beside --resume only --quiet, --json, --metrics and --metrics-linger may be given",
                o->experiment);
            return -1;
        }
        return 0;
    }
    if (o->scenario == NULL) {
        *exit_status =
            pb_usage_error("compare", "expected a scenario file, such as scenarios/demo.json");
        return -1;
    }
    if (o->trials > 1 && (o->segment != NULL || o->start_at != NULL)) {
        *exit_status = pb_usage_error("compare", "--trials runs whole comparisons: give it "
                                                 "without --segment and --start-at");
        return -1;
    }
    if (o->duration != 0 && o->requests != 0) {
        *exit_status = pb_usage_error("compare", "give either --duration or --requests, not both");
        return -1;
    }
    return 0;
}

/* The scenario as it will run, with the command line's overrides folded in,
 * so that the stored text reproduces the comparison when fed back. */
static char *effective_json(const pb_scenario *sc, const options *o, const bool *selected)
{
    json_t *root = json_deep_copy(sc->json);
    if (root == NULL)
        return NULL;
    char text[64];
    if (o->duration != 0 || o->requests != 0) {
        json_object_del(root, "duration");
        json_object_del(root, "requests");
        if (o->duration != 0) {
            /* an explicit --duration is not scaled (pb_scenario_time_scale):
             * stored as the length that the stored "time-scale" gives back */
            double k = o->time_scale > 0.0 ? o->time_scale : sc->time_scale;
            snprintf(text, sizeof(text), "%.0fus", (double)o->duration * k);
            json_object_set_new(root, "duration", json_string(text));
        } else {
            json_object_set_new(root, "requests", json_integer((json_int_t)o->requests));
        }
    }
    if (o->seed_set)
        json_object_set_new(root, "seed", json_integer((json_int_t)o->seed));
    /* secret headers' values stay out of the stored scenario */
    json_object_del(root, "request");
    json_t *request = pb_scenario_request_json(sc);
    if (request != NULL)
        json_object_set_new(root, "request", request);
    if (o->time_scale > 0.0)
        json_object_set_new(root, "time-scale", json_real(o->time_scale));
    if (o->trials > 0)
        json_object_set_new(root, "trials", json_integer((json_int_t)o->trials));
    json_t *patterns = json_object_get(root, "patterns");
    json_t *kept = json_array();
    for (size_t i = 0; kept != NULL && i < json_array_size(patterns); i++) {
        json_t *e = json_array_get(patterns, i);
        if (!selected[i])
            continue;
        if (o->duration != 0 || o->requests != 0) {
            json_object_del(e, "duration");
            json_object_del(e, "requests");
        }
        if (o->client_threads > 0)
            json_object_set_new(e, "client-threads", json_integer((json_int_t)o->client_threads));
        json_array_append(kept, e);
    }
    json_object_set_new(root, "patterns", kept);
    if (o->n_thresholds > 0) {
        json_t *th = json_object_get(root, "thresholds");
        if (th == NULL) {
            th = json_array();
            json_object_set_new(root, "thresholds", th);
        }
        for (int i = 0; i < o->n_thresholds; i++)
            json_array_append_new(th, json_string(o->thresholds[i]));
    }
    char *s = pb_json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}

/* Latencies in one unit across the sub-second range, so columns compare. */
static const char *format_latency(const pb_run_summary *s, pb_usec v, char *buf, size_t len)
{
    if (s->network == 0)
        return "-";
    if (v < PB_USEC_PER_MS)
        snprintf(buf, len, "%lluus", (unsigned long long)v);
    else if (v < PB_USEC_PER_SEC)
        snprintf(buf, len, "%.2fms", (double)v / 1e3);
    else
        snprintf(buf, len, "%.3fs", (double)v / 1e6);
    return buf;
}

/* The runs of a comparison in the order they ran: run r is trial r / n_arms
 * of arm r % n_arms (the arms interleaved trial by trial). */
typedef struct runs {
    const pb_scenario *sc;
    const int *index;     /* arm -> scenario entry */
    size_t n_arms, n_trials;
    pb_run_summary *sums; /* [run] */
    bool *done;           /* [run]: ran (a failed or interrupted run too) */
} runs;

static const pb_scenario_entry *entry_of(const runs *R, size_t r)
{
    return &R->sc->entries[R->index[r % R->n_arms]];
}

/* "queue", or "queue #2" when there are trials */
static const char *run_label(const runs *R, size_t r, char *buf, size_t len)
{
    if (R->n_trials > 1)
        snprintf(buf, len, "%s #%zu", entry_of(R, r)->label, r / R->n_arms + 1);
    else
        snprintf(buf, len, "%s", entry_of(R, r)->label);
    return buf;
}

/* A run's column in the by-phase table: as wide as its label, at least 12. */
static int column_width(const char *label)
{
    int n = (int)strlen(label);
    return n > 12 ? n : 12;
}

static void print_table(FILE *out, const runs *R, int64_t compare_id)
{
    const pb_scenario *sc = R->sc;
    size_t n_runs = R->n_arms * R->n_trials, n_done = 0;
    /* a label is never cut: the column is as wide as the longest */
    int w = 5;
    char label[160];
    for (size_t r = 0; r < n_runs; r++) {
        int n = (int)strlen(run_label(R, r, label, sizeof(label)));
        w = n > w ? n : w;
        n_done += R->done[r];
    }
    fprintf(out, "\n%s (seed %llu, compare %lld", sc->title, (unsigned long long)sc->seed,
            (long long)compare_id);
    if (R->n_trials > 1)
        fprintf(out, ", %zu trials: #k ran with seed %llu + k - 1", R->n_trials,
                (unsigned long long)sc->seed);
    fprintf(out, ")\n");
    fprintf(out, "%-*s %-12s %8s %7s %9s %9s %9s %9s %8s %8s  %s\n", w, "label", "pattern", "req/s",
            "error %", "p50", "p99", "cp99", "requests", "rejected", "dropped", "status");
    bool bound = false;
    for (size_t r = 0; r < n_runs; r++) {
        if (!R->done[r])
            continue;
        const pb_run_summary *s = &R->sums[r];
        const pb_scenario_entry *e = entry_of(R, r);
        char p50[16], p99[16], cp99[16];
        bool gb = s->has_harness && s->harness.generator_bound;
        bound = bound || gb;
        fprintf(out, "%-*s %-12s %8.1f %7.2f %9s %9s %9s %9llu %8llu %8llu  %s%s\n", w,
                run_label(R, r, label, sizeof(label)), e->pattern, s->rps, s->error_rate * 100.0,
                format_latency(s, s->p50, p50, sizeof(p50)),
                format_latency(s, s->p99, p99, sizeof(p99)),
                format_latency(s, s->cp99, cp99, sizeof(cp99)), (unsigned long long)s->requests,
                (unsigned long long)s->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER],
                (unsigned long long)s->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE], s->status,
                gb ? " GENERATOR-BOUND" : "");
    }
    fprintf(out, "(req/s and error %% count requests that reached the server; cp99 is the p99 "
                 "measured from\n when each request was due, so waiting for a slot counts)\n");
    if (bound)
        fprintf(out, "(GENERATOR-BOUND: the harness itself was saturated during that run, so its "
                     "figures measure the\n client as much as the pattern; see its report's "
                     "harness section)\n");
    /* with trials, the scoreboard's load column says the same per phase */
    if (sc->target_url != NULL || sc->n_phases < 2 || n_done == 0 || R->n_trials > 1)
        return;
    /* what each pattern let through to the server in each phase: during an
     * outage, fewer is kinder to the server */
    fprintf(out, "\nrequests that reached the server, by mock phase\n%-8s %-20s", "from", "phase");
    for (size_t k = 0; k < R->n_arms; k++)
        if (R->done[k])
            fprintf(out, " %*s", column_width(entry_of(R, k)->label), entry_of(R, k)->label);
    fprintf(out, "\n");
    bool unreached = false;
    for (int ph = 0; ph < sc->n_phases; ph++) {
        char at[32];
        if (sc->phase_at[ph] == 0)
            snprintf(at, sizeof(at), "0s");
        else
            pb_format_duration(sc->phase_at[ph], at, sizeof(at));
        fprintf(out, "%-8s %-20s", at, sc->phase_names[ph]);
        for (size_t k = 0; k < R->n_arms; k++) {
            if (!R->done[k])
                continue;
            int cw = column_width(entry_of(R, k)->label);
            /* a run shortened by --duration or --requests may end before a
             * phase begins: that is not a phase in which nothing was sent */
            if ((double)sc->phase_at[ph] / 1e6 >= R->sums[k].duration_s) {
                fprintf(out, " %*s", cw, "-");
                unreached = true;
            } else {
                fprintf(out, " %*llu", cw, (unsigned long long)R->sums[k].phase_sent[ph]);
            }
        }
        fprintf(out, "\n");
    }
    if (unreached)
        fprintf(out, "(-: the run ended before that phase began)\n");
}

/* Evaluate every run's thresholds (global ones and the entry's own); prints
 * them and fills results with {"label", "expr", "value", "pass"} (and
 * "trial" with trials). Returns the number of failures. */
static int check_thresholds(FILE *out, const runs *R, json_t *results)
{
    const pb_scenario *sc = R->sc;
    int failed = 0;
    bool any = sc->n_thresholds > 0;
    for (size_t k = 0; k < R->n_arms; k++)
        any = any || entry_of(R, k)->n_thresholds > 0;
    if (!any)
        return 0;
    fprintf(out, "\nthresholds\n");
    for (size_t r = 0; r < R->n_arms * R->n_trials; r++) {
        const pb_scenario_entry *e = entry_of(R, r);
        if (!R->done[r] || sc->n_thresholds + e->n_thresholds == 0)
            continue;
        char label[160];
        fprintf(out, "  %s\n", run_label(R, r, label, sizeof(label)));
        json_t *mine = json_array();
        int f1 = pb_threshold_check_list(sc->thresholds, sc->n_thresholds, &R->sums[r], out,
                                         "    ", mine);
        int f2 = pb_threshold_check_list(e->thresholds, e->n_thresholds, &R->sums[r], out,
                                         "    ", mine);
        /* expressions were validated at load: a negative count is a bug */
        failed += (f1 < 0 ? 1 : f1) + (f2 < 0 ? 1 : f2);
        size_t i;
        json_t *j;
        json_array_foreach(mine, i, j)
        {
            json_object_set_new(j, "label", json_string(e->label));
            if (R->n_trials > 1)
                json_object_set_new(j, "trial", json_integer((json_int_t)(r / R->n_arms + 1)));
            json_array_append(results, j);
        }
        json_decref(mine);
    }
    return failed;
}

/* The scoreboard of the runs that ran, from their summaries as they are
 * stored (the report reads the same). NULL with a message on stderr when
 * it cannot be built. */
static pb_scoreboard *scoreboard_of(const runs *R)
{
    size_t n = R->n_arms * R->n_trials;
    char **text = calloc(n, sizeof(*text));
    const char **labels = calloc(R->n_arms, sizeof(*labels));
    pb_scoreboard *sb = NULL;
    pb_err err = {0};
    int rc = text == NULL || labels == NULL ? pb_err_set(&err, PB_ENOMEM, "out of memory") : 0;
    /* arm-major, as the scoreboard takes them */
    for (size_t r = 0; rc == 0 && r < n; r++) {
        size_t arm = r % R->n_arms, trial = r / R->n_arms;
        if (R->done[r] && (text[arm * R->n_trials + trial] =
                               pb_run_summary_to_json(&R->sums[r])) == NULL)
            rc = pb_err_set(&err, PB_ENOMEM, "out of memory");
    }
    for (size_t k = 0; rc == 0 && k < R->n_arms; k++)
        labels[k] = entry_of(R, k)->label;
    if (rc == 0)
        rc = pb_scoreboard_from_summaries((const char *const *)text, R->n_arms, R->n_trials,
                                          labels, &sb, &err);
    if (rc != 0)
        fprintf(stderr, "patternbench compare: scoreboard: %s\n", err.msg);
    for (size_t r = 0; text != NULL && r < n; r++)
        free(text[r]);
    free(text);
    free(labels);
    return sb;
}

/* --json: the comparison, every run's summary and the scoreboard. */
static int print_json(const runs *R, int64_t compare_id, const char *status,
                      const pb_scoreboard *sb, json_t *thresholds)
{
    json_t *list = json_array();
    for (size_t r = 0; list != NULL && r < R->n_arms * R->n_trials; r++) {
        if (!R->done[r])
            continue;
        char *text = pb_run_summary_to_json(&R->sums[r]);
        json_t *summary = text != NULL ? json_loads(text, 0, NULL) : NULL;
        free(text);
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:I, s:I, s:o*}", "label",
                                        entry_of(R, r)->label, "pattern", entry_of(R, r)->pattern,
                                        "trial", (json_int_t)(r / R->n_arms + 1), "seed",
                                        (json_int_t)(R->sc->seed + r / R->n_arms), "summary",
                                        summary));
    }
    json_t *root = json_pack("{s:s, s:I, s:I, s:I, s:s, s:o, s:o*, s:O}", "title", R->sc->title,
                             "compare_id", (json_int_t)compare_id, "seed",
                             (json_int_t)R->sc->seed, "trials", (json_int_t)R->n_trials, "status",
                             status, "runs", list, "scoreboard",
                             sb != NULL ? pb_scoreboard_json(sb) : NULL, "thresholds",
                             thresholds);
    int rc = root == NULL || pb_json_dumpf(root, stdout, JSON_INDENT(2)) != 0 ? -1 : 0;
    printf("\n");
    json_decref(root);
    return rc;
}

static void print_plan(const pb_scenario *sc, int n_selected)
{
    char d[32];
    fprintf(stderr, "%s: %d run%s", sc->source, n_selected, n_selected == 1 ? "" : "s");
    if (sc->duration != 0)
        fprintf(stderr, " of %s each", pb_format_duration(sc->duration, d, sizeof(d)));
    else if (sc->requests != 0)
        fprintf(stderr, " of %llu requests each", (unsigned long long)sc->requests);
    if (sc->trials > 1)
        fprintf(stderr, ", %zu trials each (seeds %llu..%llu)", sc->trials,
                (unsigned long long)sc->seed, (unsigned long long)(sc->seed + sc->trials - 1));
    if (sc->time_scale != 1.0)
        fprintf(stderr, " (time scale %g: the schedule runs %g times faster)", sc->time_scale,
                sc->time_scale);
    char *shown = sc->target_url != NULL ? pb_secrets_url(sc->target_url) : NULL;
    fprintf(stderr, ", seed %llu, target %s", (unsigned long long)sc->seed,
            shown != NULL            ? shown
            : sc->target_url != NULL ? "(a URL)"
                                     : "built-in mock");
    free(shown);
    if (sc->target_url == NULL)
        fprintf(stderr, " (%d phase%s)", sc->n_phases, sc->n_phases == 1 ? "" : "s");
    fprintf(stderr, "\n");
}

/* A comparison to resume (compare --resume DB[:COMPARE]). */
typedef struct resumed {
    char *db;            /* the database file (malloc'd) */
    int64_t compare_id;
    int64_t run_id;      /* its run that goes on; 0 when none had started */
    pb_scenario *sc;     /* its stored scenario, the command line's options folded in */
} resumed;

/* Read the comparison `spec` names and check that it can go on: refused
 * (PB_EINVAL / PB_ENOENT / PB_ESTATE, naming the file and the compare) for a
 * file that is not a database, a compare that is not there or has ended, and
 * one with a run that ended already (only its first run can go on). */
static int load_resumed(const char *spec, resumed *out, pb_err *err)
{
    pb_reader *rd = NULL;
    pb_store_compare c = {0};
    pb_store_run *list = NULL;
    size_t n = 0;
    int64_t last_run = 0;
    *out = (resumed){0};
    int rc = pb_resume_parse_spec(spec, "compare", &out->db, &out->compare_id, err);
    if (rc == 0)
        rc = pb_reader_open(out->db, &rd, err);
    if (rc == 0 && out->compare_id == 0) {
        rc = pb_reader_last(rd, &last_run, &out->compare_id, err);
        if (rc == PB_ENOENT || (rc == 0 && out->compare_id == 0))
            rc = pb_err_set(err, PB_ENOENT,
                            "%s: its last run is not part of a compare; name the compare as "
                            "%s:COMPARE",
                            out->db, out->db);
    }
    if (rc == 0)
        rc = pb_reader_compare(rd, out->compare_id, &c, err);
    if (rc == 0 && strcmp(c.status, "running") != 0 && strcmp(c.status, "interrupted") != 0)
        rc = pb_err_set(err, PB_ESTATE,
                        "%s: compare %" PRId64 " %s; only a compare whose process died (status "
                        "running or interrupted) can be resumed",
                        out->db, out->compare_id,
                        strcmp(c.status, "completed") == 0 ? "completed" : "has ended");
    if (rc == 0 && c.scenario_json == NULL)
        rc = pb_err_set(err, PB_EINVAL, "%s: compare %" PRId64 " has no stored scenario",
                        out->db, out->compare_id);
    /* what the runs not started yet would send must be all there */
    if (rc == 0 && strstr(c.scenario_json, PB_SECRETS_REDACTED) != NULL)
        rc = pb_err_set(err, PB_EINVAL,
                        "%s: compare %" PRId64 " was stored without a secret (a secret header's "
                        "value or the target's password), so its runs cannot go on",
                        out->db, out->compare_id);
    if (rc == 0)
        rc = pb_reader_runs(rd, true, out->compare_id, &list, &n, err);
    /* the table and the scoreboard need every run's summary, which only a
     * run of this process has: the runs before the one that goes on must not
     * have ended */
    if (rc == 0 && n > 1)
        rc = pb_err_set(err, PB_ESTATE,
                        "%s: compare %" PRId64 " has %zu runs already; only a compare killed "
                        "during its first run can be resumed",
                        out->db, out->compare_id, n);
    if (rc == 0 && n == 1)
        out->run_id = list[0].id;
    char source[512];
    snprintf(source, sizeof(source), "%s compare %" PRId64, out->db, out->compare_id);
    if (rc == 0)
        rc = pb_scenario_parse(c.scenario_json, strlen(c.scenario_json), source, &out->sc, err);
    if (rc == 0)
        rc = pb_scenario_time_scale(out->sc, out->sc->time_scale, err);
    if (rc != 0) {
        pb_scenario_destroy(out->sc);
        out->sc = NULL;
    }
    for (size_t i = 0; i < n; i++)
        pb_store_run_cleanup(&list[i]);
    free(list);
    pb_store_compare_cleanup(&c);
    pb_reader_close(rd);
    return rc;
}

/* One run of the schedule: arm k's configuration with trial t's seed. */
typedef struct schedule {
    runs *R;
    pb_run_config *cfgs;
    pb_run_config *resumed; /* run 0's, when it goes on from a killed process; NULL if not */
    const options *o;
    pb_recorder *rec;
    pb_run_observer *monitor;
    int64_t compare_id;
    int signum; /* that interrupted a run */
} schedule;

static int reseed(pb_run_config *cfg, uint64_t seed, pb_err *err)
{
    char text[32];
    snprintf(text, sizeof(text), "%llu", (unsigned long long)seed);
    int rc = pb_run_config_set(cfg, "seed", text, err);
    if (rc == 0)
        rc = pb_mock_config_set(cfg->mock, "seed", text, err);
    return rc;
}

static int run_one(void *data, size_t k, size_t t, uint64_t seed, pb_err *err)
{
    schedule *S = data;
    runs *R = S->R;
    size_t r = t * R->n_arms + k;
    pb_run_config *cfg = r == 0 && S->resumed != NULL ? S->resumed : &S->cfgs[k];
    /* a resumed run keeps the seed it was started with */
    int rc = cfg == S->resumed ? 0 : reseed(cfg, seed, err);
    if (rc != 0)
        return rc;
    if (!S->o->quiet) {
        fprintf(stderr, "\n[%zu/%zu] %s (%s)%s", r + 1, R->n_arms * R->n_trials, cfg->label,
                cfg->pattern, cfg == S->resumed ? ", resumed" : "");
        if (R->n_trials > 1)
            fprintf(stderr, " trial %zu/%zu, seed %llu", t + 1, R->n_trials,
                    (unsigned long long)seed);
        fprintf(stderr, "\n");
    }
    pb_progress progress;
    pb_progress_init(&progress, stderr, isatty(STDERR_FILENO) == 1);
    pb_run_observer observer = pb_progress_observer(&progress);
    cfg->observer = &observer;
    cfg->monitor = S->monitor;
    rc = pb_run_execute(cfg, S->rec, &R->sums[r], err);
    cfg->observer = NULL;
    cfg->monitor = NULL;
    R->done[r] = true; /* a failed run still has its row in the table */
    if (rc != 0) {
        pb_err_prefix(err, "%s", cfg->label);
        return rc;
    }
    if (strcmp(R->sums[r].status, "interrupted") == 0 || pb_stop_requested) {
        S->signum = R->sums[r].signal;
        pb_stop_requested = pb_stop_requested ? pb_stop_requested : 1;
    }
    return 0;
}

int pb_cmd_compare(int argc, char **argv)
{
    options o;
    int status = EXIT_USAGE;
    if (parse_options(argc, argv, &o, &status) != 0)
        return status;

    pb_err err = {0};
    pb_scenario *sc = NULL;
    pb_recorder *rec = NULL;
    pb_metrics *metrics = NULL;
    pb_run_config *cfgs = NULL;
    pb_run_summary *sums = NULL;
    int *index = NULL;
    bool *selected = NULL;
    char *scenario_json = NULL;
    json_t *results = NULL;
    bool *done_runs = NULL;
    pb_scoreboard *sb = NULL;
    int n_cfgs = 0;
    int64_t compare_id = 0;
    const char *end_status = "failed";
    resumed from = {0};
    pb_run_config resumed_cfg;
    bool has_resumed_cfg = false;

    if (o.resume != NULL) {
        /* the stored scenario holds every option that shaped the runs */
        if (load_resumed(o.resume, &from, &err) != 0) {
            fprintf(stderr, "patternbench compare: --resume: %s\n", err.msg);
            goto done;
        }
        sc = from.sc;
        from.sc = NULL;
        o.db = from.db;
        compare_id = from.compare_id;
    } else if (pb_scenario_load(o.scenario, &sc, &err) != 0) {
        fprintf(stderr, "patternbench compare: %s\n", err.msg);
        goto done;
    } else if (pb_scenario_time_scale(sc, o.time_scale > 0.0 ? o.time_scale : sc->time_scale,
                                      &err) != 0) {
        fprintf(stderr, "patternbench compare: %s\n", err.msg);
        goto done;
    }
    pb_scenario_set_bound(sc, o.duration, o.requests);
    if (o.seed_set)
        sc->seed = o.seed;
    for (int i = 0; i < o.n_request; i++) {
        if (pb_scenario_add_request_option(sc, o.request[i].name, o.request[i].value, &err) != 0) {
            status = pb_usage_error("compare", "%s", err.msg);
            goto done;
        }
    }
    if (o.trials > 0)
        sc->trials = o.trials;
    if (sc->trials > 1 && o.segment != NULL) {
        status = pb_usage_error("compare", "%s: \"trials\": %zu runs whole comparisons: give "
                                           "--trials 1 with --segment",
                                o.scenario, sc->trials);
        goto done;
    }
    for (int i = 0; i < o.n_thresholds; i++) {
        if (pb_scenario_add_threshold(sc, o.thresholds[i], &err) != 0) {
            fprintf(stderr, "patternbench compare: %s\n", err.msg);
            goto done;
        }
    }
    selected = calloc((size_t)sc->n_entries, sizeof(*selected));
    index = calloc((size_t)sc->n_entries, sizeof(*index));
    cfgs = calloc((size_t)sc->n_entries, sizeof(*cfgs));
    sums = calloc((size_t)sc->n_entries * sc->trials, sizeof(*sums));
    done_runs = calloc((size_t)sc->n_entries * sc->trials, sizeof(*done_runs));
    results = json_array();
    if (selected == NULL || index == NULL || cfgs == NULL || sums == NULL || results == NULL ||
        done_runs == NULL) {
        fprintf(stderr, "patternbench compare: out of memory\n");
        status = EXIT_FAILED;
        goto done;
    }
    if (o.patterns != NULL) {
        if (pb_scenario_select(sc, o.patterns, selected, &err) != 0) {
            fprintf(stderr, "patternbench compare: %s\n", err.msg);
            goto done;
        }
    } else {
        for (int i = 0; i < sc->n_entries; i++)
            selected[i] = true;
    }

    /* every configuration is built before the first run starts, so that a
     * mistake never surfaces half-way through a long comparison */
    for (int i = 0; i < sc->n_entries; i++) {
        if (!selected[i])
            continue;
        int rc = pb_scenario_run_config(sc, i, &cfgs[n_cfgs], &err);
        index[n_cfgs++] = i;
        /* each entry runs the same segment; the first waits for --start-at
         * and the others follow it, as in a whole compare */
        if (rc == 0 && o.segment != NULL)
            rc = pb_run_config_set(&cfgs[n_cfgs - 1], "segment", o.segment, &err);
        if (rc == 0 && o.start_at != NULL && n_cfgs == 1)
            rc = pb_run_config_set(&cfgs[n_cfgs - 1], "start-at", o.start_at, &err);
        if (rc == 0 && o.segment != NULL)
            rc = pb_run_config_check(&cfgs[n_cfgs - 1], &err);
        if (rc != 0) {
            fprintf(stderr, "patternbench compare: %s\n", err.msg);
            goto done;
        }
    }
    /* the run that was going on, as 'run --resume' takes it back */
    if (from.run_id != 0) {
        if (pb_run_config_init(&resumed_cfg) != 0) {
            fprintf(stderr, "patternbench compare: out of memory\n");
            goto done;
        }
        has_resumed_cfg = true;
        if (pb_resume_prepare_run(from.db, from.run_id, &resumed_cfg, &err) != 0 ||
            pb_run_config_check(&resumed_cfg, &err) != 0) {
            fprintf(stderr, "patternbench compare: --resume: %s\n", err.msg);
            goto done;
        }
        resumed_cfg.compare_id = compare_id;
        resumed_cfg.quiet = o.quiet;
    }
    if (o.check) {
        printf("%s: ok: \"%s\", %d pattern entr%s:", o.scenario, sc->title, n_cfgs,
               n_cfgs == 1 ? "y" : "ies");
        for (int k = 0; k < n_cfgs; k++)
            printf(" %s", sc->entries[index[k]].label);
        printf("\n");
        status = 0;
        goto done;
    }

    /* bound before anything starts: a port in use is a usage error, and
     * nothing has been recorded */
    if (o.metrics && pb_metrics_start(&o.metrics_addr, &metrics, &err) != 0) {
        fprintf(stderr, "patternbench compare: %s\n", err.msg);
        fprintf(stderr, "patternbench compare: nothing was started; choose another port for "
                        "--metrics (0 picks a free one)\n");
        goto done;
    }
    pb_run_observer monitor = {0};
    if (metrics != NULL) {
        fprintf(stderr, "patternbench compare: live metrics at %s\n", pb_metrics_url(metrics));
        monitor = pb_metrics_monitor(metrics);
    }

    status = EXIT_FAILED;
    if (o.resume == NULL && (scenario_json = effective_json(sc, &o, selected)) == NULL) {
        fprintf(stderr, "patternbench compare: out of memory\n");
        goto done;
    }
    if (pb_recorder_open(o.db, 0, &rec, &err) != 0 ||
        (o.resume == NULL && pb_recorder_begin_compare(rec, sc->title, o.scenario, scenario_json,
                                                       sc->seed, &compare_id, &err) != 0)) {
        fprintf(stderr, "patternbench compare: %s\n", err.msg);
        goto done;
    }
    if (!o.quiet) {
        if (o.resume != NULL)
            fprintf(stderr, "patternbench compare: resuming compare %" PRId64 " of %s\n",
                    compare_id, o.db);
        print_plan(sc, n_cfgs);
    }

    runs R = {.sc = sc, .index = index, .n_arms = (size_t)n_cfgs, .n_trials = sc->trials,
              .sums = sums, .done = done_runs};
    for (int k = 0; k < n_cfgs; k++) {
        pb_run_config *cfg = &cfgs[k];
        cfg->compare_id = compare_id;
        cfg->quiet = o.quiet;
        if (o.client_threads > 0)
            cfg->client_threads = o.client_threads;
        free(cfg->db_path);
        cfg->db_path = strdup(o.db);
        if (cfg->db_path == NULL) {
            fprintf(stderr, "patternbench compare: out of memory\n");
            goto done;
        }
    }
    schedule S = {.R = &R,
                  .cfgs = cfgs,
                  .resumed = has_resumed_cfg ? &resumed_cfg : NULL,
                  .o = &o,
                  .rec = rec,
                  .monitor = metrics != NULL ? &monitor : NULL,
                  .compare_id = compare_id};
    pb_trials trials = {.n_trials = sc->trials,
                        .n_arms = (size_t)n_cfgs,
                        .seed = sc->seed,
                        .run = run_one,
                        .data = &S};
    pb_stop_signals stop_signals;
    pb_stop_signals_install(&stop_signals);
    size_t runs_done;
    pb_trials_end how = pb_trials_run(&trials, &runs_done, &err);
    end_status = how == PB_TRIALS_DONE      ? "completed"
                 : how == PB_TRIALS_STOPPED ? "interrupted"
                                            : "failed";
    if (how == PB_TRIALS_FAILED)
        fprintf(stderr, "patternbench compare: %s\n", err.msg);
    else
        err.msg[0] = '\0';
    int signum = S.signum;
    pb_stop_signals_restore(&stop_signals);

    size_t n_runs = (size_t)n_cfgs * sc->trials, n_done = 0;
    for (size_t r = 0; r < n_runs; r++)
        n_done += done_runs[r];
    /* the tables go to stderr under --json, so that stdout is one object */
    FILE *tables = o.json ? stderr : stdout;
    print_table(tables, &R, compare_id);
    int failed = check_thresholds(tables, &R, results);
    if (n_done > 0 && (sb = scoreboard_of(&R)) != NULL && !o.json)
        pb_scoreboard_print(sb, stdout, false);
    if (o.json && print_json(&R, compare_id, end_status, sb, results) != 0) {
        fprintf(stderr, "patternbench compare: --json: out of memory\n");
        end_status = "failed";
    }
    fflush(stdout);
    char *thresholds_json = pb_json_dumps(results, JSON_COMPACT);
    if (pb_recorder_end_compare(rec, compare_id, end_status, thresholds_json, &err) != 0) {
        fprintf(stderr, "patternbench compare: %s\n", err.msg);
        end_status = "failed";
    }
    free(thresholds_json);
    if (metrics != NULL && o.metrics_linger > 0)
        pb_metrics_linger(metrics, o.metrics_linger);

    /* an entry whose every request went unanswered measured nothing */
    bool unanswered = false;
    for (size_t r = 0; r < n_runs; r++) {
        char why[512], label[160];
        if (done_runs[r] && pb_run_summary_unanswered(&sums[r], why, sizeof(why))) {
            fprintf(stderr, "patternbench compare: %s: %s\n", run_label(&R, r, label, sizeof(label)),
                    why);
            unanswered = true;
        }
    }
    if (strcmp(end_status, "completed") == 0)
        status = unanswered ? EXIT_FAILED : failed > 0 ? EXIT_THRESHOLD : 0;
    else if (strcmp(end_status, "interrupted") == 0)
        status = 128 + (signum != 0 ? signum : SIGINT);
    if (failed > 0)
        fprintf(stderr, "patternbench compare: %d threshold%s failed\n", failed,
                failed == 1 ? "" : "s");
    if (o.report_dir != NULL && n_done > 0) {
        pb_report_options ro = {
            .db_path = o.db, .pick = PB_REPORT_COMPARE, .id = compare_id, .out_dir = o.report_dir};
        pb_report_result res = {0};
        if (pb_recorder_close(rec, &err) != 0) {
            fprintf(stderr, "patternbench compare: %s\n", err.msg);
            status = EXIT_FAILED;
        } else if (pb_report_write(&ro, &res, &err) != 0) {
            fprintf(stderr, "patternbench compare: report: %s\n", err.msg);
            if (status == 0 || status == EXIT_THRESHOLD)
                status = EXIT_FAILED;
        } else {
            fprintf(tables, "\nreport: %s\n", res.index_path);
        }
        rec = NULL;
    }

done:;
    pb_err cerr = {0};
    /* the writer's error that ended a run (a full disk) is said once */
    if (rec != NULL && pb_recorder_close(rec, &cerr) != 0) {
        if (err.msg[0] == '\0' || strstr(err.msg, cerr.msg) == NULL)
            fprintf(stderr, "patternbench compare: %s\n", cerr.msg);
        if (status == 0 || status == EXIT_THRESHOLD)
            status = EXIT_FAILED;
    }
    pb_metrics_stop(metrics);
    for (int k = 0; k < n_cfgs; k++)
        pb_run_config_cleanup(&cfgs[k]);
    if (has_resumed_cfg)
        pb_run_config_cleanup(&resumed_cfg);
    free(from.db);
    json_decref(results);
    pb_scoreboard_destroy(sb);
    free(done_runs);
    free(scenario_json);
    free(cfgs);
    free(sums);
    free(index);
    free(selected);
    pb_scenario_destroy(sc);
    return status;
}
