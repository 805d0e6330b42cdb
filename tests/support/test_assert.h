/* Assertions the command-line tests share, beyond cmocka's own: each
 * failure shows what was asserted on. Include after <cmocka.h>. */
#ifndef PB_TEST_ASSERT_H
#define PB_TEST_ASSERT_H

#include <string.h>
#include <sys/wait.h>

/* The exit status of r, or 128 + the signal that ended it as a shell says it,
 * is `expected`; the failure shows its stdout and stderr. */
#define assert_exit(r, expected)                                                                   \
    do {                                                                                           \
        int code_ = WIFEXITED((r).status) ? WEXITSTATUS((r).status) : 128 + WTERMSIG((r).status);  \
        if (code_ != (expected))                                                                   \
            fail_msg("exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s", code_, (expected),   \
                     (r).out, (r).err);                                                            \
    } while (0)

/* haystack contains needle; the failure shows both. */
#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        if (strstr((haystack), (needle)) == NULL)                                                  \
            fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));                      \
    } while (0)

#endif
