/* JSON as the tool writes it: jansson's text with each real in the shortest
 * form that reads back as the same double (0.1, not 0.10000000000000001). */
#ifndef PB_JSON_OUT_H
#define PB_JSON_OUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "errors.h"

/* Longest text pb_json_real_text writes, with its terminating NUL. */
#define PB_JSON_REAL_MAX 32

/* A real's JSON text in buf (at least PB_JSON_REAL_MAX bytes): the first of
 * %.15g, %.16g and %.17g that strtod reads back as v, with a point or an
 * exponent so that it reads back as a real ("2.0", "1e300"), and the exponent
 * without '+' or leading zeros, as jansson writes it. PB_EINVAL for NaN and
 * the infinities, which JSON cannot carry (jansson refuses them too);
 * PB_ERANGE if buf is too small. */
int pb_json_real_text(double v, char *buf, size_t len) PB_MUST_CHECK;

/* json_dumps with the same flags and the same text, but reals as
 * pb_json_real_text writes them. The caller frees the result; NULL when
 * jansson fails or memory runs out. */
char *pb_json_dumps(const json_t *json, size_t flags);

/* As pb_json_dumps, written to f: 0, or -1 if dumping or writing failed. */
int pb_json_dumpf(const json_t *json, FILE *f, size_t flags) PB_MUST_CHECK;

/* As pb_json_dumps, written to the file at path (created or truncated):
 * 0, or -1 with errno set if dumping or writing failed. */
int pb_json_dump_file(const json_t *json, const char *path, size_t flags) PB_MUST_CHECK;

#endif
