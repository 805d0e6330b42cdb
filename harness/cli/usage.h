/* The one voice of a command-line mistake, shared by every subcommand:
 *
 *   patternbench run: --requests: expected a whole number from 1 to 9007199254740992, got "-1"
 *   see 'patternbench run --help'
 *
 * The first line names the input and what was expected; the second points at
 * the command's help. Every such mistake exits with PB_EXIT_USAGE. */
#ifndef PB_USAGE_H
#define PB_USAGE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "errors.h"

/* Exit status of a command-line or scenario mistake (nothing has run). */
#define PB_EXIT_USAGE 2

/* Print "patternbench COMMAND: MESSAGE" and the help hint on stderr; returns
 * PB_EXIT_USAGE so that a parser can `return pb_usage_error(...)`. */
int pb_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same for an option no part of COMMAND knows: "OPTION: unknown option",
 * with "; did you mean --NAME?" when an option of the help text that `usage`
 * prints is close to it. `option` is the argument as given ("--duraton",
 * "--bogus=1"). */
int pb_usage_unknown_option(const char *command, void (*usage)(FILE *out), const char *option);

/* The option of a command's help text (its "--name" words) closest to the
 * mistyped `option` ("--name", "--name=value" or "--name: ..."), as "--name" in buf; false
 * when none is close enough to be a typo. */
bool pb_usage_suggest_option(const char *help_text, const char *option, char *buf, size_t cap);

/* The option at argv[*i] that takes a value, as "--name VALUE" or
 * "--name=VALUE": its name (one of with_value, a NULL-terminated list) into
 * name and its value into *value, moving *i past a separate value. An option
 * not in the list, or one missing its value, is a usage error of command said
 * in the one voice (PB_EXIT_USAGE returned); 0 otherwise. */
int pb_usage_option_value(const char *command, void (*usage)(FILE *out),
                          const char *const *with_value, int argc, char **argv,
                          int *i, char *name, size_t name_len, const char **value) PB_MUST_CHECK;

/* A run or compare id given to option opt (1 .. INT64_MAX) into *id; a missing
 * or bad value is a usage error of command, said in the one voice
 * (PB_EXIT_USAGE returned). */
int pb_usage_parse_id(const char *command, const char *opt, const char *value,
                      int64_t *id) PB_MUST_CHECK;

#endif
