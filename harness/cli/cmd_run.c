/* `patternbench run`: drive one pattern against a target and record every request. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "disk_guard.h"
#include "engine.h"
#include "metrics_server.h"
#include "mock.h"
#include "progress.h"
#include "recorder.h"
#include "registry.h"
#include "resume.h"
#include "run_summary.h"
#include "threshold.h"
#include "units.h"
#include "usage.h"

/* The --pattern line: every registered name, wrapped under the help column
 * so that no line passes 80 columns. */
static void pattern_help(FILE *out)
{
    static const char flag[] = "  --pattern NAME       ";
    char text[PB_PATTERN_NAMES_MAX + 16];
    pb_pattern_names(", ", text, PB_PATTERN_NAMES_MAX);
    /* the default is the run's (pb_run_config_init) */
    strcat(text, " (queue)");
    size_t col = (size_t)fprintf(out, "%s", flag);
    bool first = true;
    for (char *save = NULL, *w = strtok_r(text, " ", &save); w != NULL;
         w = strtok_r(NULL, " ", &save), first = false) {
        if (!first && col + 1 + strlen(w) > 80)
            col = (size_t)fprintf(out, "\n%*s", (int)(sizeof(flag) - 1), "") - 1;
        else if (!first)
            col += (size_t)fprintf(out, " ");
        col += (size_t)fprintf(out, "%s", w);
    }
    fprintf(out, "\n");
}

static void usage(FILE *out)
{
    fprintf(out, "usage: patternbench run --pattern NAME [options]\n"
                 "\n"
                 "Drive one concurrency pattern against the built-in mock server (started on an\n"
                 "ephemeral loopback port) or --target URL, and record every request in SQLite.\n"
                 "\n"
                 "run options:\n");
    pattern_help(out);
    fprintf(out,
            "  --target URL         an HTTP server to call instead of the built-in mock\n"
            "%s"
            "  --duration D         run length, e.g. 30s, 5m, 72h (10s); with --requests,\n"
            "                       whichever bound comes first\n"
            "  --stages D:R,...     ramp the arrival rate linearly from --rate, e.g.\n"
            "                       2m:1000,1h:1000,2m:0; the stages are the run's length\n"
            "  --ramp WHAT          what --stages ramps: rate (the default), or concurrency,\n"
            "                       the closed loop's workers from --concurrency (0 unless\n"
            "                       given)\n"
            "  --requests N         run N tasks (one row each, plus retries and rejections);\n"
            "                       --tasks N is the same\n"
            "  --timeout D          per request (10s)\n"
            "  --client-threads N   HTTP client threads (one per CPU up to 4, at most one\n"
            "                       per 16 of --concurrency)\n"
            "  --db FILE            SQLite database, appended to (patternbench.db)\n"
            "  --no-record          no database at all: nothing is stored\n"
            "  --record MODE        all | sample:N (one request row in N) | seconds (the\n"
            "                       per-second rollup and events only); the rollup always\n"
            "                       counts every request (all)\n"
            "  --keep-requests D    drop request rows older than D as the run goes, a second\n"
            "                       at a time; the rollup keeps every second (1s to 7d)\n"
            "  --disk-reserve SIZE  free space the database's disk keeps: a run whose\n"
            "                       projected growth does not fit is refused, and one that\n"
            "                       gets there stops storing request rows; a size (512M,\n"
            "                       1.5G, 100GiB, 2T: powers of 1024) or a share of the\n"
            "                       disk (5%%) (the larger of 1G and 5%% of the disk)\n"
            "  --label TEXT         name of the run in reports (the pattern's name)\n"
            "  --seed N             seeds the pattern's jitter and the mock's draws (1)\n"
            "  --segment I/N        run segment I of N of this run (N processes, then\n"
            "                       'patternbench merge'); see docs/merge.md\n"
            "  --start-at TIME      start at this wall-clock time (Unix seconds or RFC 3339)\n"
            "  --resume DB[:RUN]    continue a run whose process died (status running or\n"
            "                       interrupted; the file's last run without :RUN), with\n"
            "                       its own configuration; beside it only --quiet, --json,\n"
            "                       --metrics and --metrics-linger may be given\n"
            "  --threshold EXPR     pass/fail criterion such as p99<200ms, error_rate<1%%,\n"
            "                       rps>1000 (repeatable; a failure makes the exit status 99);\n"
            "                       EXPR:abort also judges it live and stops the run\n"
            "  --abort-on-fail      judge every threshold live (each second, over the window)\n"
            "  --abort-delay D      judge live thresholds from D on (1m)\n"
            "  --threshold-window D the trailing seconds they are judged on (1m)\n"
            "  --metrics [ADDR:]PORT\n"
            "                       serve live metrics at /metrics in the Prometheus text\n"
            "                       format and a live page at / for a browser while\n"
            "                       running (127.0.0.1 when only a port)\n"
            "  --metrics-linger D   after the run, keep serving until a scrape has fetched\n"
            "                       the final figures, at most D (0s)\n"
            "  --quiet              no progress lines\n"
            "  --json               print the summary as one JSON object on stdout\n"
            "  --help               this text\n"
            "\n"
            "pattern parameters:\n",
            PB_RUN_REQUEST_HELP);
    for (size_t i = 0;; i++) {
        const pb_param_info *p = pb_pattern_param_info(i);
        if (p == NULL)
            break;
        /* the run's own --requests and --seed cover these */
        if (strcmp(p->name, "tasks") == 0 || strcmp(p->name, "seed") == 0)
            continue;
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s %s", p->name, p->value_hint);
        if (strlen(flag) > 20)
            fprintf(out, "  %s\n  %-20s ", flag, "");
        else
            fprintf(out, "  %-20s ", flag);
        fprintf(out, "%s [%s; default %s]\n", p->help, p->used_by, p->default_text);
    }
    fprintf(out, "  (--min, --max and --retry are short for --min-limit, --max-limit and\n"
                 "  --retry-attempts)\n");
    fprintf(out, "\n"
                 "mock options (built-in mock only; see 'patternbench mock --help' for their "
                 "forms):\n");
    int col = 0;
    for (size_t i = 0; pb_mock_config_option(i) != NULL; i++) {
        const char *name = pb_mock_config_option(i);
        if (strcmp(name, "seed") == 0) /* the run's own --seed covers it */
            continue;
        int width = (int)strlen(name) + 3;
        if (col > 0 && col + width > 80) {
            fputc('\n', out);
            col = 0;
        }
        col += fprintf(out, "%s--%s", col == 0 ? "  " : " ", name);
    }
    fprintf(out,
            "\n"
            "\n"
            "While running, a progress line goes to stderr once a second on a terminal and\n"
            "every 10 s otherwise. SIGINT or SIGTERM stops starting requests, lets those in\n"
            "flight finish (up to --timeout) and marks the run interrupted (exit 130 / 143);\n"
            "a second one stops at once.\n"
            "\n"
            "threshold metrics: %s\n",
            pb_threshold_metric_names());
}

/* What `run` itself takes besides the run's configuration. */
struct run_options {
    bool metrics; /* --metrics given: serve at metrics_addr */
    pb_metrics_addr metrics_addr;
    pb_usec metrics_linger;
    const char *resume;  /* --resume DB[:RUN]; NULL for a new run */
    char experiment[64]; /* the first option given that changes the run (not an output's) */
};

/* Options that change how a run is shown, not what it does: the only ones a
 * resumed run takes. */
static bool output_option(const char *name)
{
    static const char *const names[] = {"quiet", "json", "metrics", "metrics-linger", "resume"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* --metrics and --metrics-linger; PB_ENOENT for any other name. */
static int set_run_option(struct run_options *o, const char *name, const char *value, pb_err *err)
{
    if (strcmp(name, "metrics") == 0) {
        o->metrics = true;
        return pb_metrics_parse_addr(value, &o->metrics_addr, err);
    }
    if (strcmp(name, "metrics-linger") == 0)
        return pb_parse_duration(value, "--metrics-linger", &o->metrics_linger, err);
    if (strcmp(name, "resume") == 0) {
        o->resume = value;
        return 0;
    }
    return PB_ENOENT;
}

/* Apply argv to cfg and o; 0, or an error whose message names the argument. */
static int parse_args(int argc, char **argv, pb_run_config *cfg, struct run_options *o, bool *help,
                      pb_err *err)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0) {
            *help = true;
            return 0;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
            return pb_err_set(err, PB_EINVAL, "%s: unexpected argument; options start with --",
                              arg);
        char name[64];
        const char *value = NULL;
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (len >= sizeof(name))
            return pb_err_set(err, PB_ENOENT, "%.*s: unknown option", (int)(len + 2), arg);
        memcpy(name, arg + 2, len);
        name[len] = '\0';
        if (strcmp(name, "help") == 0) {
            *help = true;
            return 0;
        }
        if (eq != NULL) {
            value = eq + 1;
        } else if (!pb_run_config_is_flag(name)) {
            if (i + 1 >= argc)
                return pb_err_set(err, PB_EINVAL, "--%s: expected a value", name);
            value = argv[++i];
        }
        if (!output_option(name) && o->experiment[0] == '\0')
            snprintf(o->experiment, sizeof(o->experiment), "%s", name);
        int rc = set_run_option(o, name, value, err);
        if (rc == PB_ENOENT)
            rc = pb_run_config_set(cfg, name, value, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The option of run's help closest to the one an "--name: unknown option"
 * message names. */
static bool suggest_option(const char *msg, char *buf, size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return false;
    usage(f);
    bool found = fclose(f) == 0 && pb_usage_suggest_option(text, msg, buf, cap);
    free(text);
    return found;
}

static int exit_status(const pb_run_summary *s)
{
    /* a live threshold stopped the run: what a failed threshold exits with */
    if (strcmp(s->status, "aborted") == 0)
        return 99;
    if (s->signal == SIGINT)
        return 130;
    if (s->signal == SIGTERM)
        return 143;
    return 0;
}

int pb_cmd_run(int argc, char **argv)
{
    pb_run_config cfg;
    pb_err err = {0};
    pb_recorder *rec = NULL;
    pb_metrics *metrics = NULL;
    pb_run_summary *sum = NULL;
    int status = 1;
    if (pb_run_config_init(&cfg) != 0) {
        fprintf(stderr, "patternbench run: out of memory\n");
        return 1;
    }
    bool help = false;
    struct run_options opts = {0};
    int rc = parse_args(argc, argv, &cfg, &opts, &help, &err);
    if (rc == 0 && help) {
        usage(stdout);
        status = 0;
        goto done;
    }
    if (rc == 0 && opts.resume != NULL) {
        if (opts.experiment[0] != '\0') {
            status = pb_usage_error("run",
                                    "--%s: a resumed run keeps the configuration it was started "
                                    "with; beside --resume only --quiet, --json, --metrics and "
                                    "--metrics-linger may be given",
                                    opts.experiment);
            goto done;
        }
        /* the run's own configuration, with this invocation's output flags */
        bool quiet = cfg.quiet, json = cfg.json;
        pb_run_config_cleanup(&cfg);
        if (pb_run_config_init(&cfg) != 0) {
            fprintf(stderr, "patternbench run: out of memory\n");
            goto done;
        }
        if (pb_resume_prepare(opts.resume, &cfg, &err) != 0) {
            fprintf(stderr, "patternbench run: --resume: %s\n", err.msg);
            status = 2;
            goto done;
        }
        cfg.quiet = quiet;
        cfg.json = json;
    }
    if (rc == 0)
        rc = pb_run_config_check(&cfg, &err);
    char guess[64];
    if (rc == PB_ENOENT && suggest_option(err.msg, guess, sizeof(guess))) {
        status = pb_usage_error("run", "%s; did you mean %s?", err.msg, guess);
        goto done;
    }
    if (rc != 0) {
        status = pb_usage_error("run", "%s", err.msg);
        goto done;
    }
    /* bound before anything starts: a port in use is a usage error, and
     * nothing has been recorded */
    if (opts.metrics && pb_metrics_start(&opts.metrics_addr, &metrics, &err) != 0) {
        fprintf(stderr, "patternbench run: %s\n", err.msg);
        fprintf(stderr, "patternbench run: nothing was started; choose another port for "
                        "--metrics (0 picks a free one)\n");
        status = 2;
        goto done;
    }
    pb_run_observer monitor = {0};
    if (metrics != NULL) {
        fprintf(stderr, "patternbench run: live metrics at %s\n", pb_metrics_url(metrics));
        monitor = pb_metrics_monitor(metrics);
        cfg.monitor = &monitor;
        /* the page shows a resumed run from its first second, not from this process's */
        if (cfg.resume.run_id != 0 && pb_metrics_resume(metrics, &cfg, &err) != 0) {
            fprintf(stderr, "patternbench run: --metrics: %s\n", err.msg);
            goto done;
        }
    }
    sum = calloc(1, sizeof(*sum));
    if (sum == NULL) {
        fprintf(stderr, "patternbench run: out of memory\n");
        goto done;
    }
    /* refused for lack of disk before the database is even created */
    if (cfg.record && (rc = pb_disk_check_planned(&cfg, &err)) == PB_EFULL) {
        fprintf(stderr, "patternbench run: %s\n", err.msg);
        status = 2;
        goto done;
    }
    /* a folder that cannot be asked is named when the database is opened, next */
    if (cfg.record && pb_recorder_open(cfg.db_path, 0, &rec, &err) != 0) {
        fprintf(stderr, "patternbench run: %s\n", err.msg);
        goto done;
    }
    pb_progress progress;
    pb_progress_init(&progress, stderr, isatty(STDERR_FILENO) == 1);
    pb_run_observer observer = pb_progress_observer(&progress);
    cfg.observer = &observer;
    rc = pb_run_execute(&cfg, rec, sum, &err);
    if (rc != 0)
        fprintf(stderr, "patternbench run: %s\n", err.msg);
    else
        err.msg[0] = '\0';
    int failed = 0;
    if (sum->run_id > 0 || rc == 0) {
        if (cfg.json) {
            char *json = pb_threshold_summary_json(sum, cfg.thresholds, cfg.n_thresholds);
            if (json != NULL)
                printf("%s\n", json);
            free(json);
            failed =
                pb_threshold_check_list(cfg.thresholds, cfg.n_thresholds, sum, NULL, NULL, NULL);
        } else {
            pb_run_summary_print(sum, rec != NULL ? cfg.db_path : NULL, stdout);
            if (cfg.n_thresholds > 0)
                printf("\nthresholds\n");
            failed =
                pb_threshold_check_list(cfg.thresholds, cfg.n_thresholds, sum, stdout, "  ", NULL);
        }
        if (failed > 0)
            fprintf(stderr, "patternbench run: %d threshold%s failed\n", failed,
                    failed == 1 ? "" : "s");
    }
    /* a compare's last run to end closes the compare */
    if (rc == 0 && pb_resume_close_compare(rec, &cfg, &err) != 0)
        fprintf(stderr, "patternbench run: %s\n", err.msg);
    if (metrics != NULL && opts.metrics_linger > 0)
        pb_metrics_linger(metrics, opts.metrics_linger);
    /* a run refused for lack of disk is a usage error: nothing was measured */
    status = rc != 0 ? (sum->disk_refused ? 2 : 1) : exit_status(sum);
    /* a run whose every request went unanswered measured nothing of the
     * target: a failure, whatever the thresholds say */
    char why[512];
    if (status == 0 && pb_run_summary_unanswered(sum, why, sizeof(why))) {
        fprintf(stderr, "patternbench run: %s\n", why);
        status = 1;
    }
    /* a failed threshold gates a pipeline; an interruption or error says more */
    if (status == 0 && failed != 0)
        status = 99;
done:
    if (rec != NULL) {
        pb_err cerr = {0};
        if (pb_recorder_close(rec, &cerr) != 0) {
            /* the writer's error that ended the run (a full disk) is said once */
            if (err.msg[0] == '\0' || strstr(err.msg, cerr.msg) == NULL)
                fprintf(stderr, "patternbench run: %s\n", cerr.msg);
            if (status == 0)
                status = 1;
        }
    }
    pb_metrics_stop(metrics);
    free(sum);
    pb_run_config_cleanup(&cfg);
    fflush(stdout);
    return status;
}
