#include "rng.h"

#include <assert.h>
#include <math.h>

uint64_t pb_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void pb_rng_seed(pb_rng *rng, uint64_t seed)
{
    /* splitmix64 expands the seed, as the xoshiro authors recommend */
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        rng->s[i] = pb_mix64(x);
    }
}

void pb_rng_seed_stream(pb_rng *rng, uint64_t seed, uint64_t stream)
{
    pb_rng_seed(rng, pb_mix64(seed) ^ pb_mix64(stream * 0xd1342543de82ef95ULL + 1));
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t pb_rng_next(pb_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double pb_rng_double(pb_rng *rng)
{
    return (double)(pb_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t pb_rng_below(pb_rng *rng, uint64_t n)
{
    assert(n > 0);
    /* Lemire's nearly divisionless method, with rejection for exact uniformity */
    unsigned __int128 m = (unsigned __int128)pb_rng_next(rng) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)pb_rng_next(rng) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double pb_rng_normal(pb_rng *rng)
{
    /* Box-Muller; one draw discarded keeps the generator stateless beyond s[] */
    double u1 = 1.0 - pb_rng_double(rng); /* (0, 1] avoids log(0) */
    double u2 = pb_rng_double(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
