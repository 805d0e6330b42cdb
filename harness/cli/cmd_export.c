/* patternbench export DB [--run ID | --compare ID | --last] --format csv|jsonl|hgrm
 *                     [--latency service|corrected] [-o FILE] */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "export.h"
#include "monotime.h"
#include "units.h"
#include "usage.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: patternbench export DB [--run ID | --compare ID | --last]\n"
            "                          [--format csv|jsonl|hgrm] [--latency service|corrected]\n"
            "                          [-o FILE]\n\n"
            "Write a run's request rows from the database DB, one line per request attempt\n"
            "(intended and actual start, wait, connect, time to first byte, total time, status,\n"
            "outcome, attempt, ...), or its latency distribution.\n\n"
            "options:\n"
            "  --run ID          the run with this id\n"
            "  --compare ID      every run of this compare, one after another (csv, jsonl)\n"
            "  --last            the most recent compare or lone run (the default)\n"
            "  --format F        csv (default): a header line, then one line per row;\n"
            "                    jsonl: one JSON object per row;\n"
            "                    hgrm: HdrHistogram's percentile distribution (values in ms,\n"
            "                    as wrk2 --latency prints and HdrHistogram's plotter reads)\n"
            "  --latency L       for hgrm: service (default; actual start to end) or\n"
            "                    corrected (from the intended start: coordinated omission)\n"
            "  -o, --output FILE write FILE (replaced only when the export succeeds) instead\n"
            "                    of standard output\n"
            "  -h, --help        this text\n"
            "\n"
            "Exit status: 0 when written, 1 when the database cannot be read or the output\n"
            "written (no file is left), 2 for a bad option.\n");
}

int pb_cmd_export(int argc, char **argv)
{
    pb_export_options opt = {.pick = PB_REPORT_LAST, .format = PB_EXPORT_CSV};
    const char *out_path = NULL;
    const char *latency = NULL;
    int picks = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--run") == 0 || strcmp(a, "--compare") == 0) {
            if (pb_usage_parse_id("export", a, next, &opt.id) != 0)
                return PB_EXIT_USAGE;
            opt.pick = a[2] == 'r' ? PB_REPORT_RUN : PB_REPORT_COMPARE;
            picks++;
            i++;
        } else if (strcmp(a, "--last") == 0) {
            opt.pick = PB_REPORT_LAST;
            picks++;
        } else if (strcmp(a, "--format") == 0) {
            if (next == NULL || pb_export_format_from_name(next, &opt.format) != 0)
                return pb_usage_error("export", "--format: expected csv, jsonl or hgrm, got \"%s\"",
                                      next != NULL ? next : "");
            i++;
        } else if (strcmp(a, "--latency") == 0) {
            if (next == NULL || (strcmp(next, "service") != 0 && strcmp(next, "corrected") != 0))
                return pb_usage_error("export",
                                      "--latency: expected service or corrected, got \"%s\"",
                                      next != NULL ? next : "");
            latency = next;
            opt.latency = next[0] == 'c' ? PB_EXPORT_CORRECTED : PB_EXPORT_SERVICE;
            i++;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (next == NULL || next[0] == '\0')
                return pb_usage_error("export", "%s: expected a file name", a);
            out_path = next;
            i++;
        } else if (a[0] == '-' && a[1] != '\0') {
            return pb_usage_unknown_option("export", usage, a);
        } else if (opt.db_path == NULL) {
            opt.db_path = a;
        } else {
            return pb_usage_error("export", "%s: expected one database (got \"%s\" already)", a,
                                  opt.db_path);
        }
    }
    if (opt.db_path == NULL)
        return pb_usage_error("export", "expected a database file");
    if (picks > 1)
        return pb_usage_error("export",
                              "expected at most one of --run ID, --compare ID and --last");
    if (latency != NULL && opt.format != PB_EXPORT_HGRM)
        return pb_usage_error("export", "--latency: applies to --format hgrm only");
    /* write beside the target and rename on success: a failed export leaves
     * neither an empty nor a half-written file where the user looks */
    char part[PATH_MAX];
    FILE *out = stdout;
    if (out_path != NULL) {
        int w = snprintf(part, sizeof(part), "%s.part", out_path);
        if (w < 0 || (size_t)w >= sizeof(part)) {
            fprintf(stderr, "patternbench export: -o \"%s\": path too long\n", out_path);
            return 2;
        }
        out = fopen(part, "w");
        if (out == NULL) {
            fprintf(stderr, "patternbench export: %s: cannot write: %s\n", part, strerror(errno));
            return 1;
        }
    }
    pb_usec t0 = pb_monotime_now();
    pb_export_result res;
    pb_err err = {0};
    int rc = pb_export_write(&opt, out, &res, &err);
    double secs = (double)(pb_monotime_now() - t0) / 1e6;
    if (out_path != NULL) {
        if (fclose(out) != 0 && rc == 0)
            rc = pb_err_set(&err, PB_EIO, "%s: write failed: %s", part, strerror(errno));
        if (rc == 0 && rename(part, out_path) != 0)
            rc = pb_err_set(&err, PB_EIO, "%s: cannot write: %s", out_path, strerror(errno));
        if (rc != 0)
            (void)unlink(part);
    }
    if (rc != 0) {
        fprintf(stderr, "patternbench export: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "patternbench export: %" PRIu64 " rows of %zu run%s in %.2f s", res.rows,
            res.runs, res.runs == 1 ? "" : "s", secs);
    if (opt.format == PB_EXPORT_HGRM)
        fprintf(stderr, " (%" PRIu64 " reached the network)", res.count);
    fprintf(stderr, "%s%s\n", out_path != NULL ? " to " : "", out_path != NULL ? out_path : "");
    return 0;
}
