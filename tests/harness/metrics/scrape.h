/* What the metrics tests share: an HTTP GET, a free loopback port, running a
 * program to its end, and promtool's verdict on a page. */
#ifndef PB_TEST_SCRAPE_H
#define PB_TEST_SCRAPE_H

#include <stddef.h>
#include <sys/types.h>

/* GET url (2 s timeout); returns the HTTP status (0 when nothing answered)
 * and the body, malloc'd, in *body (NULL when nothing answered). */
long scrape_get(const char *url, char **body);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
unsigned scrape_free_port(void);

/* Start argv[0] with argv; stdout and stderr go to the file `log` (appended,
 * NULL = inherited). Returns the child's pid (asserts). */
pid_t scrape_spawn(char *const argv[], const char *log);

/* Wait for pid to end; its exit status, or 128 + the signal that ended it. */
int scrape_wait(pid_t pid);

/* The promtool to check pages with: $PB_PROMTOOL, else /usr/bin/promtool. */
const char *scrape_promtool(void);

/* `promtool check metrics` with page on its stdin: its exit status (0 when
 * the format and Prometheus's naming conventions hold; it prints what does
 * not), or 128 + the signal that ended it. */
int scrape_promtool_check(const char *page);

#endif
