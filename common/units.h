/* Parsing and formatting of the numbers users type: durations, counts, rates, sizes. */
#ifndef PB_UNITS_H
#define PB_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "monotime.h"

/* Parse a duration with a unit: "150us", "10ms", "1.5s", "5m", "72h", "7d",
 * or parts from the largest unit down, "1d12h", "1m30s". A bare number
 * without a unit is rejected. `what` names the input in the error message
 * (e.g. "--duration"). */
int pb_parse_duration(const char *s, const char *what, pb_usec *out, pb_err *err) PB_MUST_CHECK;

/* Parse a whole number in [min, max]; a malformed or out-of-range value is
 * refused in the same words, "WHAT: expected a whole number from MIN to MAX,
 * got \"TEXT\"" (PB_EPARSE or PB_ERANGE). */
int pb_parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out,
                 pb_err *err) PB_MUST_CHECK;

/* Parse a finite real number in [min, max]. */
int pb_parse_double(const char *s, const char *what, double min, double max, double *out,
                    pb_err *err) PB_MUST_CHECK;

/* Parse a rate per second in [min, max]: "250", "0.5", "1.5k" (x1000). */
int pb_parse_rate(const char *s, const char *what, double min, double max, double *out,
                  pb_err *err) PB_MUST_CHECK;

/* Parse a fraction "0.05" or a percentage "5%" into [0, 1]. */
int pb_parse_fraction(const char *s, const char *what, double *out, pb_err *err) PB_MUST_CHECK;

/* Parse a byte size: "512", "4k", "1M", "1.5G", "100GiB", "2T" (k, M, G, T, P, E
 * in either case, with or without "iB": powers of 1024; "512B"; a fraction
 * needs a unit and is rounded to the byte; "5GB" is refused, as 10^9 or 2^30
 * would be a guess). PB_EPARSE or PB_ERANGE naming `what`. */
int pb_parse_size(const char *s, const char *what, uint64_t *out, pb_err *err) PB_MUST_CHECK;

/* Parse a size as pb_parse_size does (*share = 0), or a percentage of a
 * whole the caller knows later, "5%" or "0.5%" (*share = 0.05, *bytes = 0;
 * above 0 and below 100 %). */
int pb_parse_size_or_percent(const char *s, const char *what, uint64_t *bytes, double *share,
                             pb_err *err) PB_MUST_CHECK;

/* A byte count for people, in powers of 1024 as the sizes above are read:
 * "512 B", "100 GiB" (exact when it is), "1.50 GiB", "812 MiB". */
const char *pb_format_size(uint64_t bytes, char *buf, size_t len);

/* Format a duration for people: "850us", "12.3ms", "4.20s", "1h02m". */
const char *pb_format_duration(pb_usec d, char *buf, size_t len);

/* A duration as exact text that pb_parse_duration reads back to the same
 * value, in the largest unit that divides it: "150us", "10ms", "60s". */
const char *pb_format_duration_exact(pb_usec d, char *buf, size_t len);

/* A real number as the shortest %g text that strtod reads back to the same
 * double: "1.5", "0.1". */
const char *pb_format_real(double v, char *buf, size_t len);

/* A rate as pb_parse_rate reads it back to the same double: fixed notation
 * with the fewest decimals that do ("503211440", "0.5"), never an exponent.
 * Exact for 0 and every rate from 1e-9 (options take 0.001 and more), up
 * to 1e12; a len of 48 holds any of them. */
const char *pb_format_rate(double v, char *buf, size_t len);

/* As pb_format_real, trying min_digits (1 to 17) significant digits first: %g
 * writes fixed notation below 10^min_digits. */
const char *pb_format_real_from(double v, int min_digits, char *buf, size_t len);

#endif
