/* Summary statistics of a few repeated measurements: the mean, the sample
 * standard deviation, a 95 % confidence interval from Student's t, the
 * difference of two means with Welch's interval, and the least-squares slope
 * of a series with its interval. */
#ifndef PB_STATS_H
#define PB_STATS_H

#include <stddef.h>

#include "errors.h"

/* A mean and its two-sided 95 % confidence interval [lo, hi] = mean ± half. */
typedef struct pb_ci {
    size_t n;    /* samples (for a difference: the smaller of the two) */
    double mean; /* for a difference: mean(a) - mean(b) */
    double sd;   /* sample standard deviation (n - 1); for a difference: its standard error */
    double df;   /* degrees of freedom of the t quantile (Welch's may be fractional) */
    double half; /* t(0.975, df) * standard error */
    double lo, hi;
} pb_ci;

/* Arithmetic mean of x[0..n); 0 for n = 0. */
double pb_stats_mean(const double *x, size_t n);

/* Sample standard deviation (divisor n - 1); 0 for n < 2. */
double pb_stats_sd(const double *x, size_t n);

/* The 0.975 quantile of Student's t with df degrees of freedom (df >= 1):
 * exact to three decimals at whole df up to 30, interpolated in 1/df between
 * 30, 40, 60, 120 and infinity (1.960), as printed t tables are read. */
double pb_stats_t975(double df);

/* 95 % confidence interval of the mean of x[0..n). PB_EINVAL (with a message)
 * for n < 2, where no interval exists. */
int pb_stats_ci95(const double *x, size_t n, pb_ci *out, pb_err *err) PB_MUST_CHECK;

/* 95 % confidence interval of mean(a) - mean(b) by Welch's t (unequal
 * variances; Welch-Satterthwaite degrees of freedom, n_a + n_b - 2 when both
 * variances are 0). PB_EINVAL for fewer than 2 samples on either side. */
int pb_stats_diff_ci95(const double *a, size_t na, const double *b, size_t nb, pb_ci *out,
                       pb_err *err) PB_MUST_CHECK;

/* A 95 % interval of a share k / n by Wilson's score method: it stays within
 * [0, 1] and is not empty at k = 0 or k = n, unlike mean +- t * sd. z is the
 * normal (or t) quantile. PB_EINVAL for n = 0 or k > n. */
int pb_stats_wilson(double k, double n, double z, pb_ci *out, pb_err *err) PB_MUST_CHECK;

/* A 95 % interval of a share measured in several trials, trial i counting
 * k[i] of n[i]: Wilson's interval of the pooled share, with the pooled count
 * shrunk to the effective sample size the trials' spread implies when trials
 * differ more than coin flips would (tasks of one trial share its faults, so
 * they are not independent draws), and then t(0.975, trials - 1) in place of
 * 1.96. One trial gives Wilson's interval of its count. mean is the pooled
 * share, always inside [lo, hi] and [0, 1]. PB_EINVAL when no trial counted
 * anything. */
int pb_stats_share95(const double *k, const double *n, size_t trials, pb_ci *out,
                     pb_err *err) PB_MUST_CHECK;

/* An ordinary least-squares line y = intercept + slope * x, with the slope's
 * two-sided 95 % confidence interval [lo, hi] = slope ± half. */
typedef struct pb_slope {
    size_t n;         /* points fitted */
    double slope;     /* change of y per unit of x */
    double intercept; /* y at x = 0 */
    double mean_y;    /* mean of the fitted y */
    double se;        /* standard error of the slope */
    double half;      /* t(0.975, n - 2) * se */
    double lo, hi;
} pb_slope;

/* Fit y[i] over x[i], i in [0, n); points where either is NaN are skipped.
 * PB_EINVAL (with a message) for fewer than 3 points or when every x is the
 * same, where no slope or no interval exists. */
int pb_stats_slope(const double *x, const double *y, size_t n, pb_slope *out,
                   pb_err *err) PB_MUST_CHECK;

#endif
