/* Seeded pseudo-random numbers (xoshiro256**), reproducible from one seed. */
#ifndef PB_RNG_H
#define PB_RNG_H

#include <stdint.h>

/* Generator state; the caller owns the storage. Not thread-safe: one per thread
 * or per stream. */
typedef struct pb_rng {
    uint64_t s[4];
} pb_rng;

/* Seed a generator; the same seed gives the same sequence on every machine. */
void pb_rng_seed(pb_rng *rng, uint64_t seed);

/* Seed a generator for stream `stream` of `seed`, e.g. the N-th request, so
 * that draws do not depend on which thread handles which request. */
void pb_rng_seed_stream(pb_rng *rng, uint64_t seed, uint64_t stream);

/* Next 64 random bits. */
uint64_t pb_rng_next(pb_rng *rng);

/* Uniform double in [0, 1). */
double pb_rng_double(pb_rng *rng);

/* Uniform integer in [0, n); n > 0. */
uint64_t pb_rng_below(pb_rng *rng, uint64_t n);

/* Standard normal draw (mean 0, sd 1). */
double pb_rng_normal(pb_rng *rng);

/* splitmix64 finaliser: a good 64-bit mix of x. */
uint64_t pb_mix64(uint64_t x);

#endif
