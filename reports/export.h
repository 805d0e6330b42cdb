/* `patternbench export`: a run's request rows as CSV or JSON lines, streamed
 * in constant memory (a server-side row's seq included: empty in CSV, absent
 * from JSON for the client's rows), or its latency distribution as HdrHistogram's
 * percentile text (.hgrm, as wrk2 --latency prints and HdrHistogram's plotter
 * reads). Reads the `requests` table, which reports never do. */
#ifndef PB_EXPORT_H
#define PB_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "errors.h"
#include "report_data.h"

/* What to write. */
typedef enum pb_export_format {
    PB_EXPORT_CSV,   /* a header line, then one line per request row */
    PB_EXPORT_JSONL, /* one JSON object per request row */
    PB_EXPORT_HGRM,  /* the percentile distribution of one run's latency */
} pb_export_format;

/* Which latency an hgrm describes. */
typedef enum pb_export_latency {
    PB_EXPORT_SERVICE,   /* actual start to end, as the summary's latency_us */
    PB_EXPORT_CORRECTED, /* intended start to end, as corrected_latency_us */
} pb_export_latency;

typedef struct pb_export_options {
    const char *db_path;
    pb_report_pick pick; /* PB_REPORT_LAST, _RUN or _COMPARE (not hgrm) */
    int64_t id;
    pb_export_format format;
    pb_export_latency latency; /* hgrm only */
} pb_export_options;

/* What was written. */
typedef struct pb_export_result {
    uint64_t rows;  /* request rows read */
    size_t runs;
    uint64_t count; /* hgrm: values in the histogram (rows that reached the network) */
} pb_export_result;

/* "csv", "jsonl" or "hgrm" into *out; PB_EINVAL for any other name. */
int pb_export_format_from_name(const char *name, pb_export_format *out) PB_MUST_CHECK;

/* Write the picked run's (or compare's) rows to out, in the order they were
 * stored. Errors name the database and what was expected; a write error on
 * out is PB_EIO. */
int pb_export_write(const pb_export_options *opt, FILE *out, pb_export_result *res,
                    pb_err *err) PB_MUST_CHECK;

#endif
