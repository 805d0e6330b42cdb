/* Text into HTML: the one escaping the page and the sections other files
 * write into it (run_health.c) share. */
#ifndef PB_HTML_ESCAPE_H
#define PB_HTML_ESCAPE_H

#include <stdio.h>

/* Write text to f with HTML's special characters escaped (& < > " ') and
 * control characters dropped; invalid UTF-8 bytes become U+FFFD. NULL
 * writes nothing. */
void pb_html_escape(FILE *f, const char *text);

#endif
