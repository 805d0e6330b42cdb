/* Means, standard deviations and Student-t intervals for repeated trials. */
#include "stats.h"

#include <math.h>

/* t(0.975, df) for df = 1..30 (index df - 1), to three decimals. */
static const double t975_small[30] = {
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
};

/* Beyond 30, the rows printed tables carry; the last is df = infinity. */
static const struct {
    double df, t;
} t975_large[] = {{30, 2.042}, {40, 2.021}, {60, 2.000}, {120, 1.980}, {INFINITY, 1.960}};

double pb_stats_mean(const double *x, size_t n)
{
    if (n == 0)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    return sum / (double)n;
}

double pb_stats_sd(const double *x, size_t n)
{
    if (n < 2)
        return 0.0;
    double m = pb_stats_mean(x, n), ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    return sqrt(ss / (double)(n - 1));
}

/* Linear in 1/df between two table rows: t is close to linear in 1/df, which
 * is why tables stop at 120 and then give infinity. */
static double between(double df, double df0, double t0, double df1, double t1)
{
    double x = 1.0 / df, x0 = 1.0 / df0, x1 = isinf(df1) ? 0.0 : 1.0 / df1;
    return t0 + (t1 - t0) * (x - x0) / (x1 - x0);
}

double pb_stats_t975(double df)
{
    if (!(df >= 1.0))
        df = 1.0;
    if (df <= 30.0) {
        int lo = (int)floor(df);
        if ((double)lo == df || lo == 30)
            return t975_small[lo - 1];
        return between(df, lo, t975_small[lo - 1], lo + 1, t975_small[lo]);
    }
    size_t rows = sizeof(t975_large) / sizeof(t975_large[0]);
    for (size_t i = 0; i + 1 < rows; i++)
        if (df <= t975_large[i + 1].df)
            return between(df, t975_large[i].df, t975_large[i].t, t975_large[i + 1].df,
                           t975_large[i + 1].t);
    return 1.960;
}

int pb_stats_ci95(const double *x, size_t n, pb_ci *out, pb_err *err)
{
    if (n < 2)
        return pb_err_set(err, PB_EINVAL, "a confidence interval needs at least 2 samples, got %zu",
                          n);
    double m = pb_stats_mean(x, n), sd = pb_stats_sd(x, n);
    double df = (double)(n - 1), half = pb_stats_t975(df) * sd / sqrt((double)n);
    *out = (pb_ci){
        .n = n, .mean = m, .sd = sd, .df = df, .half = half, .lo = m - half, .hi = m + half};
    return 0;
}

int pb_stats_diff_ci95(const double *a, size_t na, const double *b, size_t nb, pb_ci *out,
                       pb_err *err)
{
    if (na < 2 || nb < 2)
        return pb_err_set(err, PB_EINVAL,
                          "a difference's confidence interval needs at least 2 samples on "
                          "each side, got %zu and %zu",
                          na, nb);
    double va = pb_stats_sd(a, na), vb = pb_stats_sd(b, nb);
    va = va * va / (double)na;
    vb = vb * vb / (double)nb;
    double se = sqrt(va + vb);
    double df = (double)(na + nb - 2);
    /* Welch-Satterthwaite; with no spread on either side it is 0/0 */
    if (va + vb > 0.0)
        df = (va + vb) * (va + vb) / (va * va / (double)(na - 1) + vb * vb / (double)(nb - 1));
    double d = pb_stats_mean(a, na) - pb_stats_mean(b, nb);
    double half = pb_stats_t975(df) * se;
    *out = (pb_ci){.n = na < nb ? na : nb,
                   .mean = d,
                   .sd = se,
                   .df = df,
                   .half = half,
                   .lo = d - half,
                   .hi = d + half};
    return 0;
}

int pb_stats_wilson(double k, double n, double z, pb_ci *out, pb_err *err)
{
    if (!(n > 0.0) || !(k >= 0.0) || k > n)
        return pb_err_set(err, PB_EINVAL, "a share's interval needs 0 <= k <= n and n > 0, got "
                          "%g of %g", k, n);
    double p = k / n, z2 = z * z;
    double centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    double half = z * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / (1.0 + z2 / n);
    double lo = centre - half, hi = centre + half;
    /* the exact bounds at k = 0 and k = n; rounding must not step outside */
    lo = k == 0.0 || lo < 0.0 ? 0.0 : lo;
    hi = k == n || hi > 1.0 ? 1.0 : hi;
    *out = (pb_ci){.n = 1, .mean = p, .sd = sqrt(p * (1.0 - p) / n), .df = INFINITY,
                   .half = (hi - lo) / 2.0, .lo = lo, .hi = hi};
    return 0;
}

int pb_stats_share95(const double *k, const double *n, size_t trials, pb_ci *out, pb_err *err)
{
    double sk = 0.0, sn = 0.0;
    size_t used = 0;
    double share[64];
    for (size_t i = 0; i < trials; i++) {
        if (!(n[i] > 0.0))
            continue;
        sk += k[i];
        sn += n[i];
        if (used < sizeof(share) / sizeof(share[0]))
            share[used++] = k[i] / n[i];
    }
    if (!(sn > 0.0))
        return pb_err_set(err, PB_EINVAL, "a share's interval needs a trial that counted something");
    double p = sk / sn, n_eff = sn, z = 1.960;
    if (used >= 2) {
        /* the variance of the mean share the trials show, beside the one
         * binomial draws of sn tasks would give */
        double between = pb_stats_sd(share, used);
        between = between * between / (double)used;
        double binomial = p * (1.0 - p) / sn;
        if (between > binomial && between > 0.0) {
            n_eff = p * (1.0 - p) / between;
            z = pb_stats_t975((double)(used - 1));
        }
    }
    int rc = pb_stats_wilson(p * n_eff, n_eff, z, out, err);
    if (rc != 0)
        return rc;
    out->n = used;
    out->mean = p;
    return 0;
}

int pb_stats_slope(const double *x, const double *y, size_t n, pb_slope *out, pb_err *err)
{
    size_t m = 0;
    double sx = 0.0, sy = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]))
            continue;
        m++;
        sx += x[i];
        sy += y[i];
    }
    if (m < 3)
        return pb_err_set(err, PB_EINVAL,
                          "a slope's confidence interval needs at least 3 points, "
                          "got %zu",
                          m);
    double mx = sx / (double)m, my = sy / (double)m;
    /* centred sums: the raw ones lose every digit on x values of 10^5 s and more */
    double sxx = 0.0, sxy = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]))
            continue;
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    if (!(sxx > 0.0))
        return pb_err_set(err, PB_EINVAL, "a slope needs points at two x values at least");
    double b = sxy / sxx, a = my - b * mx, sse = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]))
            continue;
        double r = y[i] - (a + b * x[i]);
        sse += r * r;
    }
    double df = (double)(m - 2);
    double se = sqrt(sse / df / sxx);
    double half = pb_stats_t975(df) * se;
    *out = (pb_slope){.n = m,
                      .slope = b,
                      .intercept = a,
                      .mean_y = my,
                      .se = se,
                      .half = half,
                      .lo = b - half,
                      .hi = b + half};
    return 0;
}
