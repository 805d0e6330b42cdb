/* patternbench report DB[:IDS] [DB[:IDS] ...] [--run ID | --runs IDS | --compare ID | --last]
 * [-o DIR] */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "monotime.h"
#include "report.h"
#include "units.h"
#include "usage.h"

/* The most runs and databases one page compares. */
#define MAX_RUNS 32

static void usage(FILE *out)
{
    fprintf(out,
            "usage: patternbench report DB [--run ID | --runs ID,ID,... | --compare ID | --last]\n"
            "                           [-o DIR]\n"
            "       patternbench report DB[:ID,...] DB[:ID,...] ... [-o DIR]\n\n"
            "Write a report of one run, one compare, or runs compared side by side from the\n"
            "database DB into DIR: index.html (self-contained page), charts drawn by gnuplot\n"
            "(NAME.png, NAME.svg, the NAME.gp script and the .dat files it plots, to edit\n"
            "and re-run), summary.md and summary.json.\n\n"
            "options:\n"
            "  --run ID       report the run with this id\n"
            "  --runs IDS     report these runs of DB side by side (ids separated by commas,\n"
            "                 of any compares), e.g. --runs 3,7,12\n"
            "  --compare ID   report every run of this compare, side by side\n"
            "  --last         the most recent compare or lone run (the default)\n"
            "  -o, --output DIR  folder to write (default: report), created if missing\n"
            "  -h, --help     this text\n\n"
            "Several databases give one page of their runs side by side, each run timed\n"
            "from its own start: DB alone stands for its most recent compare or lone run,\n"
            "DB:ID,ID for those runs (last week's soak against this week's:\n"
            "patternbench report old.db new.db). Runs that share a label are named with\n"
            "their database's file name or their id: \"queue (old.db)\".\n\n"
            "Charts need gnuplot (Debian package gnuplot-nox); set %s to use another\n"
            "gnuplot program. Without it the numbers are still written.\n"
            "A database that a run is still writing can be reported: it is read as of one\n"
            "instant, and a run without a final summary is marked partial.\n"
            "\n"
            "Exit status: 0 when the report is written, 1 when a database cannot be read\n"
            "or the report cannot be written (no folder is left), 2 for a bad option.\n",
            "PB_GNUPLOT");
}

/* Run ids separated by commas ("3,7,12") into pool[*used...]; `what` names
 * the input in messages. */
static int parse_id_list(const char *what, const char *list, int64_t *pool, size_t *used,
                         size_t *n)
{
    *n = 0;
    if (list == NULL || list[0] == '\0')
        return pb_usage_error("report", "%s: expected run ids separated by commas (3,7,12)",
                              what);
    const char *p = list;
    for (;;) {
        size_t len = strcspn(p, ",");
        char item[32];
        if (len == 0 || len >= sizeof(item))
            return pb_usage_error("report",
                                  "%s: expected run ids separated by commas (3,7,12), got \"%s\"",
                                  what, list);
        memcpy(item, p, len);
        item[len] = '\0';
        int64_t id;
        int rc = pb_usage_parse_id("report", what, item, &id);
        if (rc != 0)
            return rc;
        for (size_t k = 0; k < *n; k++)
            if (pool[*used + k] == id)
                return pb_usage_error("report", "%s: run %" PRId64 " is listed twice", what, id);
        if (*used + *n == MAX_RUNS)
            return pb_usage_error("report", "%s: expected at most %d runs on one page", what,
                                  MAX_RUNS);
        pool[*used + (*n)++] = id;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    *used += *n;
    return 0;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* "DB" or "DB:3,7": the runs a positional argument names. A name that exists
 * as given is a file, even with a colon in it. `db` gets the path (a copy
 * when it was cut off its ids). */
static int parse_database(const char *arg, char *db, size_t cap, pb_report_source *src,
                          int64_t *pool, size_t *used)
{
    *src = (pb_report_source){.db_path = arg, .pick = PB_REPORT_LAST};
    const char *colon = strrchr(arg, ':');
    if (colon == NULL || is_file(arg) || colon[1] == '\0' ||
        strspn(colon + 1, "0123456789,") != strlen(colon + 1))
        return 0;
    size_t len = (size_t)(colon - arg);
    if (len == 0 || len >= cap)
        return pb_usage_error("report", "%s: expected a database file name before the colon",
                              arg);
    memcpy(db, arg, len);
    db[len] = '\0';
    size_t n;
    int rc = parse_id_list(arg, colon + 1, pool, used, &n);
    if (rc != 0)
        return rc;
    *src = (pb_report_source){
        .db_path = db, .pick = PB_REPORT_RUNS, .ids = pool + *used - n, .n_ids = n};
    return 0;
}

int pb_cmd_report(int argc, char **argv)
{
    pb_report_options opt = {.pick = PB_REPORT_LAST};
    pb_report_source src[MAX_RUNS];
    char cut[MAX_RUNS][PATH_MAX];
    int64_t pool[MAX_RUNS];
    size_t n_src = 0, used = 0;
    const char *runs = NULL;
    const char *pick_opt = NULL;
    int picks = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--run") == 0 || strcmp(a, "--compare") == 0) {
            if (pb_usage_parse_id("report", a, next, &opt.id) != 0)
                return PB_EXIT_USAGE;
            opt.pick = a[2] == 'r' ? PB_REPORT_RUN : PB_REPORT_COMPARE;
            pick_opt = a;
            picks++;
            i++;
        } else if (strcmp(a, "--runs") == 0) {
            if (next == NULL)
                return pb_usage_error("report",
                                      "--runs: expected run ids separated by commas (3,7,12)");
            runs = next;
            pick_opt = a;
            picks++;
            i++;
        } else if (strcmp(a, "--last") == 0) {
            opt.pick = PB_REPORT_LAST;
            pick_opt = a;
            picks++;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (next == NULL || next[0] == '\0')
                return pb_usage_error("report", "%s: expected a folder name", a);
            opt.out_dir = next;
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            return pb_usage_unknown_option("report", usage, a);
        } else if (n_src == MAX_RUNS) {
            return pb_usage_error("report", "%s: expected at most %d databases on one page", a,
                                  MAX_RUNS);
        } else {
            if (parse_database(a, cut[n_src], sizeof(cut[n_src]), &src[n_src], pool, &used) !=
                0)
                return PB_EXIT_USAGE;
            n_src++;
        }
    }
    if (n_src == 0)
        return pb_usage_error("report", "expected a database file");
    if (picks > 1)
        return pb_usage_error("report",
                              "give at most one of --run ID, --runs IDS, --compare ID and --last");
    bool listed = false;
    for (size_t k = 0; k < n_src; k++)
        listed = listed || src[k].pick == PB_REPORT_RUNS;
    if ((n_src > 1 || listed) && picks > 0)
        return pb_usage_error("report",
                              "%s: with %s, name the runs of each database as DB:ID,ID "
                              "(e.g. old.db:3 new.db:7)",
                              pick_opt, listed ? "DB:IDS" : "several databases");
    if (runs != NULL) {
        size_t n;
        if (parse_id_list("--runs", runs, pool, &used, &n) != 0)
            return PB_EXIT_USAGE;
        src[0].pick = PB_REPORT_RUNS;
        src[0].ids = pool + used - n;
        src[0].n_ids = n;
    } else if (n_src == 1 && !listed) {
        src[0].pick = opt.pick;
        src[0].id = opt.id;
    }
    if (n_src == 1 && src[0].pick == PB_REPORT_RUNS && src[0].n_ids == 1) {
        /* one run listed is that run's own page */
        src[0].pick = PB_REPORT_RUN;
        src[0].id = src[0].ids[0];
    }
    opt.db_path = src[0].db_path;
    opt.sources = src;
    opt.n_sources = n_src;

    pb_usec t0 = pb_monotime_now();
    pb_report_result res;
    pb_err err = {0};
    int rc = pb_report_write(&opt, &res, &err);
    double secs = (double)(pb_monotime_now() - t0) / 1e6;
    if (rc != 0) {
        fprintf(stderr, "patternbench report: %s\n", err.msg);
        if (res.index_path[0] != '\0')
            printf("%s\n", res.index_path);
        return 1;
    }
    if (res.is_cross)
        fprintf(stderr, "patternbench report: %zu runs of %zu database%s side by side (%zu "
                        "charts) in %.2f s\n",
                res.runs, res.databases, res.databases == 1 ? "" : "s", res.charts, secs);
    else
        fprintf(stderr, "patternbench report: %s %" PRId64 " (%zu run%s, %zu charts) in %.2f s\n",
                res.is_compare ? "compare" : "run", res.id, res.runs, res.runs == 1 ? "" : "s",
                res.charts, secs);
    printf("%s\n", res.index_path);
    return 0;
}
