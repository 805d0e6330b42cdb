/* Where a run ran, as the store records it with the run: the versions of the
 * libraries that did the work, and the machine. */
#ifndef PB_RUN_HOST_H
#define PB_RUN_HOST_H

/* {"patternbench": ..., "libcurl": ..., "libmicrohttpd": ..., "sqlite": ...,
 * "libuv": ..., "jansson": ...} (malloc'd; NULL when out of memory). */
char *pb_run_versions_json(void);

/* "hostname (Linux 6.1.0 x86_64, 2 CPUs)" (malloc'd; NULL when out of memory). */
char *pb_run_host_text(void);

#endif
