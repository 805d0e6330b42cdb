/* A targets file (--targets FILE): many described requests, read once before
 * a run. Two formats:
 *   vegeta  Vegeta's plain format: "METHOD URL", then "Name: value" header
 *           lines, then an optional "@PATH" body line; a blank line between
 *           targets, "#" starts a comment line.
 *   jsonl   one JSON object per line: {"method": "POST", "url": "...",
 *           "header": {"Name": "value" or ["v1", "v2"]}, "body": "text" or
 *           "body_file": "PATH"}; "method" defaults to GET.
 * A URL may be a path ("/items/1"), resolved against the run's base URL (the
 * built-in mock's or --target's). Errors name the file and line. */
#ifndef PB_TARGETS_FILE_H
#define PB_TARGETS_FILE_H

#include <stdint.h>

#include "errors.h"
#include "target.h"

/* Most targets one file may hold. */
#define PB_TARGETS_MAX 65536u

/* Largest targets file read, in bytes. */
#define PB_TARGETS_FILE_MAX (64u << 20)

typedef enum pb_targets_format {
    PB_TARGETS_BY_EXTENSION, /* .jsonl and .json: jsonl; anything else: vegeta */
    PB_TARGETS_VEGETA,
    PB_TARGETS_JSONL,
} pb_targets_format;

/* The targets of one file, in its order. */
typedef struct pb_targets {
    pb_target *items; /* n of them, malloc'd */
    uint32_t n;
} pb_targets;

/* "vegeta" or "jsonl" (as --targets-format takes it) into *out. */
int pb_targets_parse_format(const char *text, pb_targets_format *out, pb_err *err) PB_MUST_CHECK;

/* The format's name ("vegeta", "jsonl"); that of the file's extension for
 * PB_TARGETS_BY_EXTENSION. */
const char *pb_targets_format_name(pb_targets_format f, const char *path);

/* Read the file at path in format f into *out (initialised by this call);
 * at least one target. Bodies (@PATH, body_file) are read now. */
int pb_targets_load(const char *path, pb_targets_format f, pb_targets *out,
                    pb_err *err) PB_MUST_CHECK;

/* The same from a text in memory; `source` names it in messages. */
int pb_targets_parse(const char *text, size_t len, const char *source, pb_targets_format f,
                     pb_targets *out, pb_err *err) PB_MUST_CHECK;

/* Free the targets (safe on a zeroed struct). */
void pb_targets_cleanup(pb_targets *t);

#endif
