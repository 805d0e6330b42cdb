/* The report's charts: for each, a data file per run (numbers only) and a
 * gnuplot script that draws NAME.png (pngcairo) and NAME.svg, written into
 * the report folder so that a user can edit and re-run them there. */
#ifndef PB_CHARTS_H
#define PB_CHARTS_H

#include <stddef.h>

#include "errors.h"
#include "report_data.h"

#define PB_CHARTS_MAX 8

/* One chart: NAME.gp draws NAME.png and NAME.svg. Texts are static. */
typedef struct pb_chart {
    char name[32];
    char title[64];
    char caption[400];
} pb_chart;

/* The charts written, in the order a report shows them. */
typedef struct pb_charts {
    pb_chart items[PB_CHARTS_MAX];
    size_t n;
} pb_charts;

/* Write the data files and scripts for every chart the data supports
 * (comparison bars need two runs or more; internals need pattern state)
 * into dir, which must exist. Does not run gnuplot. */
int pb_charts_write(const pb_report_data *d, const char *dir, pb_charts *out,
                    pb_err *err) PB_MUST_CHECK;

#endif
