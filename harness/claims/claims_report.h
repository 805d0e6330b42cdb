/* reproduce --report DIR: the claims' results as a page: DIR/index.html (self-
 * contained: inline CSS and SVG, no scripts), DIR/summary.md and
 * DIR/summary.json, all rendered from the JSON object `reproduce --json`
 * prints. Per claim: the sheet's figure, ours with 95 % error bars, the
 * verdicts; for C2 the condition map as a heat map. */
#ifndef PB_CLAIMS_REPORT_H
#define PB_CLAIMS_REPORT_H

#include <jansson.h>

#include "errors.h"

/* Write the three files into dir (created if missing, its parent must exist).
 * PB_EIO with a message naming the file that could not be written. */
int pb_claims_report_write(const char *dir, const json_t *root, pb_err *err) PB_MUST_CHECK;

#endif
