/* The report page: one self-contained index.html (inline CSS, no scripts, no
 * fetches) with the run or compare, how to reproduce it, the summary table,
 * thresholds and the charts, readable on a laptop and printable. */
#ifndef PB_HTML_H
#define PB_HTML_H

#include <stdio.h>

#include "charts.h"
#include "errors.h"
#include "report_data.h"

/* Write the page to path. charts lists the images that exist beside it;
 * `notice` (may be NULL) is shown at the top, e.g. why charts are missing. */
int pb_html_write(const pb_report_data *d, const char *db_path, const pb_charts *charts,
                  const char *notice, const char *path, pb_err *err) PB_MUST_CHECK;

#endif
