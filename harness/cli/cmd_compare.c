/* patternbench compare: run every pattern entry of a scenario under the same
 * conditions, record them under one compare id, print one comparison table,
 * and gate on thresholds. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "engine.h"
#include "metrics_server.h"
#include "progress.h"
#include "recorder.h"
#include "report.h"
#include "scenario.h"
#include "segment.h"
#include "threshold.h"
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
    bool check, quiet;
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
        "  --db FILE           database to append to (default patternbench.db)\n"
        "  --report DIR        write the comparison's report into DIR afterwards\n"
        "  --patterns LIST     run only these entries: labels or pattern names, comma-separated\n"
        "  --duration D        run every entry for D (e.g. 2s), overriding the scenario\n"
        "  --requests N        run every entry for N requests, overriding the scenario\n"
        "  --seed N            override the scenario's seed\n"
        "  --time-scale K      run the schedule K times faster: every run length and phase\n"
        "                      offset divided by K (72: a 72-hour soak in an hour); latencies,\n"
        "                      timeouts and the patterns' windows stay real\n"
        "  --client-threads N  HTTP client threads of every run (default: one per CPU, at\n"
        "                      most 4 and at most one per 16 of the run's concurrency)\n"
        "  --metrics [ADDR:]PORT\n"
        "                      serve live metrics at /metrics in the Prometheus text format\n"
        "                      while running, each run its own series (127.0.0.1 when only\n"
        "                      a port)\n"
        "  --metrics-linger D  after the last run, keep serving until a scrape has fetched\n"
        "                      the final figures, at most D (0s)\n"
        "  --segment I/N       run segment I of N of every entry (merge the N databases\n"
        "                      with 'patternbench merge'; README.md, Scale-out)\n"
        "  --start-at TIME     start the first entry at this wall-clock time (Unix seconds\n"
        "                      or RFC 3339); the others follow it\n"
        "  --threshold EXPR    add a threshold checked on every run (repeatable), e.g.\n"
        "                      'p99<200ms', 'error_rate<1%%', 'rps>1000', 'dropped==0'\n"
        "%s"
        "  --check             validate the scenario (and its mock profile) and exit\n"
        "  --quiet             no progress lines while running\n"
        "  --help              this text\n"
        "\n"
        "threshold metrics: %s\n"
        "\n"
        "exit status: 0 all runs completed and every threshold passed; 99 a threshold\n"
        "failed; 2 bad options or scenario; 1 a run failed; 128+N interrupted by signal N.\n",
        PB_RUN_REQUEST_HELP, pb_threshold_metric_names());
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
        if (strcmp(arg, "--check") == 0) {
            o->check = true;
            continue;
        }
        if (strcmp(arg, "--quiet") == 0) {
            o->quiet = true;
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
            continue;
        }
        /* options with a value: --name VALUE or --name=VALUE */
        static const char *const with_value[] = {
            "--db",         "--report",    "--patterns",       "--duration", "--requests",
            "--seed",       "--threshold", "--client-threads", "--metrics",  "--metrics-linger",
            "--time-scale", "--segment",   "--start-at",       "--method",   "--header",
            "--body",       "--ok-status", "--secret-header",  "--cacert",   NULL};
        char name[32];
        const char *value = NULL;
        int bad = pb_usage_option_value("compare", with_value, argc, argv, &i, name, sizeof(name),
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
    if (o->scenario == NULL) {
        *exit_status =
            pb_usage_error("compare", "expected a scenario file, such as scenarios/demo.json");
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
            snprintf(text, sizeof(text), "%lluus", (unsigned long long)o->duration);
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
    char *s = json_dumps(root, JSON_COMPACT);
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

/* A run's column in the by-phase table: as wide as its label, at least 12. */
static int column_width(const char *label)
{
    int n = (int)strlen(label);
    return n > 12 ? n : 12;
}

static void print_table(FILE *out, const pb_scenario *sc, const int *index,
                        const pb_run_summary *sums, int n_done, int64_t compare_id)
{
    /* a label is never cut: the column is as wide as the longest */
    int w = 5;
    for (int k = 0; k < n_done; k++) {
        int n = (int)strlen(sc->entries[index[k]].label);
        w = n > w ? n : w;
    }
    fprintf(out, "\n%s (seed %llu, compare %lld)\n", sc->title, (unsigned long long)sc->seed,
            (long long)compare_id);
    fprintf(out, "%-*s %-12s %8s %7s %9s %9s %9s %9s %8s %8s  %s\n", w, "label", "pattern", "req/s",
            "error %", "p50", "p99", "cp99", "requests", "rejected", "dropped", "status");
    for (int k = 0; k < n_done; k++) {
        const pb_run_summary *s = &sums[k];
        const pb_scenario_entry *e = &sc->entries[index[k]];
        char p50[16], p99[16], cp99[16];
        fprintf(out, "%-*s %-12s %8.1f %7.2f %9s %9s %9s %9llu %8llu %8llu  %s\n", w, e->label,
                e->pattern, s->rps, s->error_rate * 100.0,
                format_latency(s, s->p50, p50, sizeof(p50)),
                format_latency(s, s->p99, p99, sizeof(p99)),
                format_latency(s, s->cp99, cp99, sizeof(cp99)), (unsigned long long)s->requests,
                (unsigned long long)s->outcomes[PB_OUTCOME_REJECTED_BY_BREAKER],
                (unsigned long long)s->outcomes[PB_OUTCOME_DROPPED_BY_BACKPRESSURE], s->status);
    }
    fprintf(out, "(req/s and error %% count requests that reached the server; cp99 is the p99 "
                 "measured from\n when each request was due, so waiting for a slot counts)\n");
    if (sc->target_url != NULL || sc->n_phases < 2 || n_done == 0)
        return;
    /* what each pattern let through to the server in each phase: during an
     * outage, fewer is kinder to the server */
    fprintf(out, "\nrequests that reached the server, by mock phase\n%-8s %-20s", "from", "phase");
    for (int k = 0; k < n_done; k++)
        fprintf(out, " %*s", column_width(sc->entries[index[k]].label),
                sc->entries[index[k]].label);
    fprintf(out, "\n");
    bool unreached = false;
    for (int ph = 0; ph < sc->n_phases; ph++) {
        char at[32];
        if (sc->phase_at[ph] == 0)
            snprintf(at, sizeof(at), "0s");
        else
            pb_format_duration(sc->phase_at[ph], at, sizeof(at));
        fprintf(out, "%-8s %-20s", at, sc->phase_names[ph]);
        for (int k = 0; k < n_done; k++) {
            int cw = column_width(sc->entries[index[k]].label);
            /* a run shortened by --duration or --requests may end before a
             * phase begins: that is not a phase in which nothing was sent */
            if ((double)sc->phase_at[ph] / 1e6 >= sums[k].duration_s) {
                fprintf(out, " %*s", cw, "-");
                unreached = true;
            } else {
                fprintf(out, " %*llu", cw, (unsigned long long)sums[k].phase_sent[ph]);
            }
        }
        fprintf(out, "\n");
    }
    if (unreached)
        fprintf(out, "(-: the run ended before that phase began)\n");
}

/* Evaluate every run's thresholds (global ones and the entry's own); prints
 * them and fills results with {"label", "expr", "value", "pass"}. Returns
 * the number of failures. */
static int check_thresholds(FILE *out, const pb_scenario *sc, const int *index,
                            const pb_run_summary *sums, int n_done, json_t *results)
{
    int failed = 0;
    bool any = sc->n_thresholds > 0;
    for (int k = 0; k < n_done; k++)
        any = any || sc->entries[index[k]].n_thresholds > 0;
    if (!any)
        return 0;
    fprintf(out, "\nthresholds\n");
    for (int k = 0; k < n_done; k++) {
        const pb_scenario_entry *e = &sc->entries[index[k]];
        if (sc->n_thresholds + e->n_thresholds == 0)
            continue;
        fprintf(out, "  %s\n", e->label);
        json_t *mine = json_array();
        int f1 =
            pb_threshold_check_list(sc->thresholds, sc->n_thresholds, &sums[k], out, "    ", mine);
        int f2 =
            pb_threshold_check_list(e->thresholds, e->n_thresholds, &sums[k], out, "    ", mine);
        /* expressions were validated at load: a negative count is a bug */
        failed += (f1 < 0 ? 1 : f1) + (f2 < 0 ? 1 : f2);
        size_t i;
        json_t *r;
        json_array_foreach(mine, i, r)
        {
            json_object_set_new(r, "label", json_string(e->label));
            json_array_append(results, r);
        }
        json_decref(mine);
    }
    return failed;
}

static void print_plan(const pb_scenario *sc, int n_selected)
{
    char d[32];
    fprintf(stderr, "%s: %d run%s", sc->source, n_selected, n_selected == 1 ? "" : "s");
    if (sc->duration != 0)
        fprintf(stderr, " of %s each", pb_format_duration(sc->duration, d, sizeof(d)));
    else if (sc->requests != 0)
        fprintf(stderr, " of %llu requests each", (unsigned long long)sc->requests);
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
    int n_cfgs = 0, n_done = 0;
    int64_t compare_id = 0;
    const char *end_status = "failed";

    if (pb_scenario_load(o.scenario, &sc, &err) != 0) {
        fprintf(stderr, "patternbench compare: %s\n", err.msg);
        goto done;
    }
    if (pb_scenario_time_scale(sc, o.time_scale > 0.0 ? o.time_scale : sc->time_scale, &err) != 0) {
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
    for (int i = 0; i < o.n_thresholds; i++) {
        if (pb_scenario_add_threshold(sc, o.thresholds[i], &err) != 0) {
            fprintf(stderr, "patternbench compare: %s\n", err.msg);
            goto done;
        }
    }
    selected = calloc((size_t)sc->n_entries, sizeof(*selected));
    index = calloc((size_t)sc->n_entries, sizeof(*index));
    cfgs = calloc((size_t)sc->n_entries, sizeof(*cfgs));
    sums = calloc((size_t)sc->n_entries, sizeof(*sums));
    results = json_array();
    if (selected == NULL || index == NULL || cfgs == NULL || sums == NULL || results == NULL) {
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
    scenario_json = effective_json(sc, &o, selected);
    if (scenario_json == NULL) {
        fprintf(stderr, "patternbench compare: out of memory\n");
        goto done;
    }
    if (pb_recorder_open(o.db, 0, &rec, &err) != 0 ||
        pb_recorder_begin_compare(rec, sc->title, o.scenario, scenario_json, sc->seed, &compare_id,
                                  &err) != 0) {
        fprintf(stderr, "patternbench compare: %s\n", err.msg);
        goto done;
    }
    if (!o.quiet)
        print_plan(sc, n_cfgs);

    pb_stop_signals stop_signals;
    pb_stop_signals_install(&stop_signals);
    int signum = 0; /* that interrupted a run; 0 if the stop came between runs */
    end_status = "completed";
    for (int k = 0; k < n_cfgs; k++) {
        if (pb_stop_requested) {
            end_status = "interrupted";
            break;
        }
        pb_run_config *cfg = &cfgs[k];
        cfg->compare_id = compare_id;
        cfg->quiet = o.quiet;
        if (o.client_threads > 0)
            cfg->client_threads = o.client_threads;
        free(cfg->db_path);
        cfg->db_path = strdup(o.db);
        if (cfg->db_path == NULL) {
            fprintf(stderr, "patternbench compare: out of memory\n");
            end_status = "failed";
            break;
        }
        if (!o.quiet)
            fprintf(stderr, "\n[%d/%d] %s (%s)\n", k + 1, n_cfgs, cfg->label, cfg->pattern);
        pb_progress progress;
        pb_progress_init(&progress, stderr, isatty(STDERR_FILENO) == 1);
        pb_run_observer observer = pb_progress_observer(&progress);
        cfg->observer = &observer;
        cfg->monitor = metrics != NULL ? &monitor : NULL;
        int rc = pb_run_execute(cfg, rec, &sums[k], &err);
        cfg->observer = NULL;
        cfg->monitor = NULL;
        n_done = k + 1; /* a failed run still has its row in the table */
        if (rc != 0) {
            fprintf(stderr, "patternbench compare: %s: %s\n", cfg->label, err.msg);
            end_status = "failed";
            break;
        }
        err.msg[0] = '\0';
        if (strcmp(sums[k].status, "interrupted") == 0 || pb_stop_requested) {
            signum = sums[k].signal;
            end_status = "interrupted";
            break;
        }
    }

    pb_stop_signals_restore(&stop_signals);

    print_table(stdout, sc, index, sums, n_done, compare_id);
    int failed = check_thresholds(stdout, sc, index, sums, n_done, results);
    fflush(stdout);
    char *thresholds_json = json_dumps(results, JSON_COMPACT);
    if (pb_recorder_end_compare(rec, compare_id, end_status, thresholds_json, &err) != 0) {
        fprintf(stderr, "patternbench compare: %s\n", err.msg);
        end_status = "failed";
    }
    free(thresholds_json);
    if (metrics != NULL && o.metrics_linger > 0)
        pb_metrics_linger(metrics, o.metrics_linger);

    /* an entry whose every request went unanswered measured nothing */
    bool unanswered = false;
    for (int k = 0; k < n_done; k++) {
        char why[512];
        if (pb_run_summary_unanswered(&sums[k], why, sizeof(why))) {
            fprintf(stderr, "patternbench compare: %s: %s\n", sc->entries[index[k]].label, why);
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
            printf("\nreport: %s\n", res.index_path);
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
    json_decref(results);
    free(scenario_json);
    free(cfgs);
    free(sums);
    free(index);
    free(selected);
    pb_scenario_destroy(sc);
    return status;
}
