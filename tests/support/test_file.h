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

/* Write text to the file at path, created or truncated (asserts). */
void test_write_text(const char *path, const char *text);

/* A test's scratch folder, as cmocka's state. */
typedef struct test_scratch {
    char dir[256];
} test_scratch;

/* cmocka setup: *state becomes a malloc'd test_scratch, a fresh folder in
 * $TMPDIR (or /tmp) named for the test program (asserts). */
int test_scratch_setup(void **state);

/* cmocka teardown: remove the folder of the test_scratch in *state and free it. */
int test_scratch_teardown(void **state);

#endif
