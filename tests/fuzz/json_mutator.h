/* A structure-aware mutator for the JSON formats (mock profiles, scenarios):
 * parses the input with jansson, changes one value or key, and serialises it
 * again, so that most mutants stay valid JSON and reach the validators behind
 * the syntax check. Inputs that do not parse, and one mutation in eight, get
 * libFuzzer's own byte-level mutations instead. */
#ifndef PB_FUZZ_JSON_MUTATOR_H
#define PB_FUZZ_JSON_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

/* What a format is made of: the keys it knows and JSON texts of values that
 * are meaningful somewhere in it (both NULL-terminated lists). */
typedef struct fuzz_json_vocab {
    const char *const *keys;
    const char *const *values;
} fuzz_json_vocab;

/* One mutation of data (size bytes, room for max_size) in place; returns the
 * new size. Deterministic for a given seed, as libFuzzer requires. */
size_t fuzz_json_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed,
                        const fuzz_json_vocab *vocab);

/* A target's libFuzzer mutator hook: fuzz_json_mutate with the target's keys
 * and values (NULL-terminated arrays of const char *). */
#define FUZZ_JSON_MUTATOR(keys, values)                                                            \
    size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,                    \
                                   unsigned int mutation_seed)                                     \
    {                                                                                              \
        static const fuzz_json_vocab vocab = {(keys), (values)};                                   \
        return fuzz_json_mutate(data, size, max_size, mutation_seed, &vocab);                      \
    }

#endif
