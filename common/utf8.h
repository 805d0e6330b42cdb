/* UTF-8 validation: for text from the database on its way into gnuplot
 * scripts, HTML and JSON, and for options whose text is stored as JSON. */
#ifndef PB_UTF8_H
#define PB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence starting at s, or 0 if the bytes
 * there are not one (overlong forms, surrogates and values past U+10FFFF
 * included). s must be NUL-terminated. */
size_t pb_utf8_len(const unsigned char *s);

/* Whether the NUL-terminated text s is valid UTF-8 throughout. */
bool pb_utf8_valid(const char *s);

#endif
