/* The live progress line: once a second, rewritten in place, when stderr is a
 * terminal; a plain line every 10 s otherwise (logs, CI). */
#ifndef PB_PROGRESS_H
#define PB_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "monotime.h"

/* Where and how often lines go; the caller owns the storage. */
typedef struct pb_progress {
    FILE *out;
    bool tty;
    bool line_open; /* a tty line is on screen without its newline */
    uint64_t printed_slot;
} pb_progress;

/* Prepare to print to out; tty selects in-place lines every second. */
void pb_progress_init(pb_progress *p, FILE *out, bool tty);

/* Format one line (no newline) into buf; returns buf. */
const char *pb_progress_format(const pb_run_view *v, char *buf, size_t len);

/* Print v if a line is due at v->elapsed (every second on a tty, every 10 s otherwise). */
void pb_progress_update(pb_progress *p, const pb_run_view *v);

/* Print a message on its own line, keeping the in-place line intact. */
void pb_progress_note(pb_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* End the in-place line, if any, so what follows starts on a fresh line. */
void pb_progress_finish(pb_progress *p);

/* An observer that shows a run through p (p must outlive the run). */
pb_run_observer pb_progress_observer(pb_progress *p);

#endif
