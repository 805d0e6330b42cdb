/* Running gnuplot safely: quoting text from the database into gnuplot
 * strings, finding the program, and drawing scripts in child processes. */
#ifndef PB_GNUPLOT_H
#define PB_GNUPLOT_H

#include <stddef.h>

#include "errors.h"

/* Environment variable naming the gnuplot program to use instead of PATH's. */
#define PB_GNUPLOT_ENV "PB_GNUPLOT"

/* Write `text` into buf as a single-quoted gnuplot string literal, quotes
 * included. Gnuplot expands backquotes (shell commands) everywhere except
 * inside single quotes, and a newline would end the command, so: quotes are
 * doubled, backquotes and control characters are dropped, invalid UTF-8
 * becomes '?', and the text is cut at max_chars characters (with "..."). The
 * result always fits in buf (cap >= 8); returns buf. NULL text gives ''. */
const char *pb_gnuplot_quote(const char *text, size_t max_chars, char *buf, size_t cap);

/* As pb_gnuplot_quote, for tic labels, which gnuplot reads as formats: '%'
 * is doubled as well. */
const char *pb_gnuplot_quote_tic(const char *text, size_t max_chars, char *buf, size_t cap);

/* Find the gnuplot program: $PB_GNUPLOT if set (must be executable), else
 * "gnuplot" in $PATH. PB_ENOENT with a message naming the Debian package
 * gnuplot-nox when it is missing. */
int pb_gnuplot_find(char *path, size_t cap, pb_err *err) PB_MUST_CHECK;

/* Run `gnuplot SCRIPT` for each of the n scripts (file names relative to
 * dir), in parallel, with dir as working directory, stdin from /dev/null and
 * stderr into SCRIPT's name with ".log" in place of ".gp" (removed when
 * empty). Waits for all of them, at most timeout_s seconds in total, killing
 * stragglers. The first failure is reported with the log's first line. */
int pb_gnuplot_run(const char *gnuplot, const char *dir, const char *const *scripts, size_t n,
                   int timeout_s, pb_err *err) PB_MUST_CHECK;

#endif
