/* Latency distributions of the mock server: the spec strings users type
 * (`fixed:10ms`, `lognormal:20ms,200ms`, ...), and seeded draws from them. */
#ifndef PB_LATENCY_DIST_H
#define PB_LATENCY_DIST_H

#include <stdbool.h>
#include <stddef.h>

#include "errors.h"
#include "monotime.h"
#include "rng.h"

/* Most entries a `mix:` spec may list. */
#define PB_LATENCY_MIX_MAX 16

/* Draws are clamped to this even without a cap, so heavy tails stay finite. */
#define PB_LATENCY_HARD_CAP (3600 * PB_USEC_PER_SEC)

/* The distribution families; what a and b mean for each. */
typedef enum pb_latency_kind {
    PB_LATENCY_FIXED,     /* a */
    PB_LATENCY_UNIFORM,   /* between a and b */
    PB_LATENCY_NORMAL,    /* mean a, standard deviation b, clamped at 0 */
    PB_LATENCY_LOGNORMAL, /* median a, 99th percentile b */
    PB_LATENCY_PARETO,    /* scale a, shape */
    PB_LATENCY_MIX,       /* weighted discrete values */
} pb_latency_kind;

/* A parsed latency spec; plain data, copyable by assignment. */
typedef struct pb_latency_dist {
    pb_latency_kind kind;
    pb_usec a, b;
    double shape;     /* pareto */
    double mu, sigma; /* lognormal, derived from a and b */
    int n_mix;
    pb_usec mix_value[PB_LATENCY_MIX_MAX];
    double mix_weight[PB_LATENCY_MIX_MAX];
    double mix_cum[PB_LATENCY_MIX_MAX]; /* cumulative weights, normalised to 1 */
} pb_latency_dist;

/* Parse a spec: "none" (= fixed:0us), "fixed:10ms", "uniform:5ms,20ms",
 * "normal:20ms,5ms", "lognormal:20ms,200ms", "pareto:5ms,1.5",
 * "mix:150us:10,2ms:5,500ms:1". `what` names the input in errors. */
int pb_latency_parse(const char *spec, const char *what, pb_latency_dist *out,
                     pb_err *err) PB_MUST_CHECK;

/* The canonical spec text of d, which pb_latency_parse reads back exactly. */
const char *pb_latency_format(const pb_latency_dist *d, char *buf, size_t len);

/* One draw, clamped to [0, cap] (cap 0 = no cap) and to PB_LATENCY_HARD_CAP. */
pb_usec pb_latency_draw(const pb_latency_dist *d, pb_usec cap, pb_rng *rng);

/* True when every draw is 0 (no delay at all). */
bool pb_latency_is_zero(const pb_latency_dist *d);

#endif
