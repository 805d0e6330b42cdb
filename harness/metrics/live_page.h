/* The live page behind `--metrics`: an HTML dashboard at `/` (embedded in the
 * binary, no external resource) whose script polls `/live.json` once a second
 * and keeps the run's history itself. Pure: no threads, no I/O. */
#ifndef PB_LIVE_PAGE_H
#define PB_LIVE_PAGE_H

#include <stddef.h>

#include "metrics_page.h"

/* The dashboard, NUL-terminated; generated from live_page.html at build time. */
extern const char pb_live_html[];
/* Its length in bytes, without the NUL. */
extern const size_t pb_live_html_len;

/* Write /live.json: the last of runs[0..n) (the one going, or the one just
 * finished; "run": null when n is 0) and proc. Returns a malloc'd,
 * NUL-terminated text with its length in *len, or NULL when out of memory. */
char *pb_live_json(const pb_metrics_run *runs, size_t n, const pb_metrics_process *proc,
                   size_t *len);

#endif
