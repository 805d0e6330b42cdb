/* The in-process mock server the harness tests drive requests against. */
#ifndef PB_TEST_MOCK_H
#define PB_TEST_MOCK_H

#include "mock.h"

/* Start the mock with name/value options (NULL-terminated pairs; NULL for
 * none) on an ephemeral loopback port; a bad option or a failed start fails
 * the test with its message. */
pb_mock *test_mock_start(const char *const *opts);

#endif
