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

/* The longest spec text read, and the room its canonical form needs: a full
 * mix of 16 entries of "," + 31-character duration + ":" + 39-character weight,
 * so whatever parses formats to a text that parses again. */
#define PB_LATENCY_SPEC_MAX (8 + PB_LATENCY_MIX_MAX * 72)

/* Draws are clamped to this even without a cap, so heavy tails stay finite. */
#define PB_LATENCY_HARD_CAP (3600 * PB_USEC_PER_SEC)

/* The distribution families, one row each:
 *   X(ENUM, name, its arguments, an example, what the arguments mean)
 * latency_dist.c gives each family its parse_NAME, format_NAME and draw_NAME;
 * the forms in error messages and in `mock --help` are read from here. For
 * every family, a is the first duration and b the second. */
#define PB_LATENCY_MAP(X)                                                                          \
    X(FIXED, fixed, "D", "10ms", "")                                                               \
    X(UNIFORM, uniform, "MIN,MAX", "5ms,20ms", " (min, max)")                                      \
    X(NORMAL, normal, "MEAN,SD", "20ms,5ms", " (mean, sd; clamped at 0)")                          \
    X(LOGNORMAL, lognormal, "MEDIAN,P99", "20ms,200ms", " (median, p99)")                          \
    X(PARETO, pareto, "SCALE,SHAPE", "5ms,1.5", " (scale, shape)")                                 \
    X(MIX, mix, "D:WEIGHT,D:WEIGHT,...", "150us:10,2ms:5", " (durations and their weights)")

/* clang-format off */
typedef enum pb_latency_kind {
#define PB_LATENCY_ENUM(e, name, args, example, meaning) PB_LATENCY_##e,
    PB_LATENCY_MAP(PB_LATENCY_ENUM)
#undef PB_LATENCY_ENUM
    PB_LATENCY_KIND_COUNT
} pb_latency_kind;
/* clang-format on */

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
