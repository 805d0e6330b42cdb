/* What every fuzz target of tests/fuzz shares: the libFuzzer entry points,
 * a check that survives NDEBUG, and the input as a C string. */
#ifndef PB_FUZZ_H
#define PB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* A property the code under test broke: abort, which libFuzzer reports as a
 * crash with the input that caused it. Unlike assert, kept in release builds. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The bytes as a malloc'd NUL-terminated string (an embedded NUL ends it, as
 * it would end a command-line argument); aborts when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A failing parser left a message and the code it returned. */
#define FUZZ_CHECK_ERR(rc, err)                                                                    \
    do {                                                                                           \
        FUZZ_CHECK((err).code == (rc));                                                            \
        FUZZ_CHECK((err).msg[0] != '\0');                                                          \
        FUZZ_CHECK(memchr((err).msg, '\0', sizeof((err).msg)) != NULL);                            \
    } while (0)

#endif
