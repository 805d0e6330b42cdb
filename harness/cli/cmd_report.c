/* patternbench report DB [--run ID | --compare ID | --last] [-o DIR] */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "monotime.h"
#include "report.h"
#include "units.h"
#include "usage.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: patternbench report DB [--run ID | --compare ID | --last] [-o DIR]\n\n"
            "Write a report of one run or one compare from the database DB into DIR:\n"
            "index.html (self-contained page), charts drawn by gnuplot (NAME.png, NAME.svg,\n"
            "the NAME.gp script and the .dat files it plots, to edit and re-run), summary.md\n"
            "and summary.json.\n\n"
            "options:\n"
            "  --run ID       report the run with this id\n"
            "  --compare ID   report every run of this compare, side by side\n"
            "  --last         the most recent compare or lone run (the default)\n"
            "  -o, --output DIR  folder to write (default: report), created if missing\n"
            "  -h, --help     this text\n\n"
            "Charts need gnuplot (Debian package gnuplot-nox); set %s to use another\n"
            "gnuplot program. Without it the numbers are still written.\n"
            "A database that a run is still writing can be reported: it is read as of one\n"
            "instant, and a run without a final summary is marked partial.\n",
            "PB_GNUPLOT");
}

static int parse_id(const char *opt, const char *value, int64_t *id)
{
    uint64_t v;
    pb_err err;
    if (value == NULL) {
        pb_usage_error("report", "%s: expected a value: a run or compare id (1, 2, ...)", opt);
        return -1;
    }
    if (pb_parse_u64(value, opt, 1, INT64_MAX, &v, &err) != 0) {
        pb_usage_error("report", "%s", err.msg);
        return -1;
    }
    *id = (int64_t)v;
    return 0;
}

int pb_cmd_report(int argc, char **argv)
{
    pb_report_options opt = {.pick = PB_REPORT_LAST};
    int picks = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--run") == 0 || strcmp(a, "--compare") == 0) {
            if (parse_id(a, next, &opt.id) != 0)
                return 2;
            opt.pick = a[2] == 'r' ? PB_REPORT_RUN : PB_REPORT_COMPARE;
            picks++;
            i++;
        } else if (strcmp(a, "--last") == 0) {
            opt.pick = PB_REPORT_LAST;
            picks++;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (next == NULL || next[0] == '\0') {
                return pb_usage_error("report", "%s: expected a folder name", a);
            }
            opt.out_dir = next;
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            return pb_usage_unknown_option("report", a);
        } else if (opt.db_path == NULL) {
            opt.db_path = a;
        } else {
            fprintf(stderr,
                    "patternbench report: unexpected argument \"%s\": only one database (got "
                    "\"%s\" already)\n",
                    a, opt.db_path);
            return 2;
        }
    }
    if (opt.db_path == NULL) {
        fprintf(stderr, "patternbench report: expected a database file\n");
        usage(stderr);
        return 2;
    }
    if (picks > 1) {
        fprintf(stderr,
                "patternbench report: give at most one of --run ID, --compare ID and --last\n");
        return 2;
    }
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
    fprintf(stderr, "patternbench report: %s %" PRId64 " (%zu run%s, %zu charts) in %.2f s\n",
            res.is_compare ? "compare" : "run", res.id, res.runs, res.runs == 1 ? "" : "s",
            res.charts, secs);
    printf("%s\n", res.index_path);
    return 0;
}
