/* What ctest hands a test in its environment (tests/CMakeLists.txt):
 * PB_BINARY, PB_SOURCE_DIR and PB_PYTHON. */
#ifndef PB_TEST_ENV_H
#define PB_TEST_ENV_H

/* The value of the variable name; fails the test, saying to run it through
 * ctest, when it is not set. */
const char *test_env(const char *name);

#endif
