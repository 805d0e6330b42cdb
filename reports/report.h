/* `patternbench report`: from a database, write a folder with index.html,
 * gnuplot charts (scripts, data, PNG and SVG), summary.md and summary.json. */
#ifndef PB_REPORT_H
#define PB_REPORT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "report_data.h"

/* What to report and where. */
typedef struct pb_report_options {
    const char *db_path;
    pb_report_pick pick; /* PB_REPORT_LAST, _RUN or _COMPARE */
    int64_t id;          /* run or compare id; ignored for PB_REPORT_LAST */
    /* when n_sources > 0, the runs these pick, on one page (several
     * databases, or a list of runs); db_path, pick and id are then unused */
    const pb_report_source *sources;
    size_t n_sources;
    const char *out_dir; /* created if missing (with parents); NULL = "report" */
    int gnuplot_timeout_s; /* 0 = 120 */
} pb_report_options;

/* What was written. */
typedef struct pb_report_result {
    char index_path[PATH_MAX];
    size_t runs;
    size_t charts;       /* charts drawn (PNG and SVG present) */
    bool is_compare;
    bool is_cross;       /* runs that were not one compare (report_data.h) */
    size_t databases;
    int64_t id;          /* the run or compare reported; 0 for is_cross */
} pb_report_result;

/* Write the report. summary.md and summary.json are written whenever the
 * database could be read, even if the charts fail; a missing gnuplot is
 * PB_ENOENT with a message naming the package gnuplot-nox, and index.html
 * is then written without charts. res is filled as far as the work got. */
int pb_report_write(const pb_report_options *opt, pb_report_result *res,
                    pb_err *err) PB_MUST_CHECK;

#endif
