/* Files a test reads back whole, and the folders it cleans up. */
#ifndef PB_TEST_FILE_H
#define PB_TEST_FILE_H

#include <stddef.h>

/* The whole content of the file at path, NUL-terminated and malloc'd (the
 * caller frees it), its length in *len unless len is NULL. Fails the test,
 * naming path, when it cannot be read. */
char *test_slurp(const char *path, size_t *len);

/* rm -r path: files and folders, links removed and not followed (asserts). */
void test_rmtree(const char *path);

#endif
