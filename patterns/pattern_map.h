/* The list of patterns, and nothing else, so that the registry (which builds
 * the ops tables from it) and the options table (a bit per pattern) can both
 * read it without params.c depending on pattern.h. */
#ifndef PB_PATTERN_MAP_H
#define PB_PATTERN_MAP_H

/* Every pattern, in the order help texts and error messages list them. Each
 * XX(name) is a file name.c defining `const pb_pattern_ops pb_<name>_ops`
 * with .name = "name"; registry.c builds pb_pattern_list() from this list.
 * Adding a pattern: its .c, a line here, and CMakeLists.txt. */
#define PB_PATTERN_MAP(XX)                                                     \
    XX(queue)                                                                  \
    XX(semaphore)                                                              \
    XX(backpressure)                                                           \
    XX(breaker)                                                                \
    XX(adaptive)

#endif
