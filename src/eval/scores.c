/* Inception Score, diversity and the confusion matrix (include/drumforge/metrics.h). */
#include <math.h>
#include <stdlib.h>

#include "core/check.h"
#include "drumforge/metrics.h"

/* IS of rows [0, n) of p. */
static double inception_score_of(const float *p, int64_t n, int classes, double *marginal) {
  for (int c = 0; c < classes; c++) marginal[c] = 0;
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < classes; c++) marginal[c] += p[i * classes + c];
  for (int c = 0; c < classes; c++) marginal[c] /= (double)n;
  double kl = 0;
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < classes; c++) {
      double q = p[i * classes + c];
      if (q > 0) kl += q * (log(q) - log(marginal[c]));
    }
  return exp(kl / (double)n);
}

df_status df_inception_score(const float *p, int64_t n, int classes, int splits, double *score,
                             double *std) {
  if (!p || classes < 1 || splits < 1 || n < splits)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_inception_score: %lld rows of %d classes in %d splits", (long long)n,
                   classes, splits);
  double *marginal = malloc(sizeof(double) * (size_t)classes);
  DF_CHECK_ALLOC(marginal);
  double sum = 0, sum_sq = 0;
  for (int s = 0; s < splits; s++) {
    int64_t lo = n * s / splits, hi = n * (s + 1) / splits;
    double v = inception_score_of(p + lo * classes, hi - lo, classes, marginal);
    sum += v;
    sum_sq += v * v;
  }
  free(marginal);
  *score = sum / splits;
  double var = sum_sq / splits - *score * *score;
  *std = var > 0 ? sqrt(var) : 0;
  return DF_OK;
}

df_status df_mean_pairwise_distance(const float *x, int64_t n, int dim, double *out) {
  if (!x || n < 2 || dim < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_mean_pairwise_distance: needs at least 2 rows, got %lld", (long long)n);
  double *row = malloc(sizeof(double) * (size_t)n);
  DF_CHECK_ALLOC(row);
  /* Per-row sums in parallel, added in row order: the same result for any thread count. */
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < n; i++) {
    double r = 0;
    for (int64_t j = i + 1; j < n; j++) {
      double s = 0;
      for (int k = 0; k < dim; k++) {
        double d = (double)x[i * dim + k] - x[j * dim + k];
        s += d * d;
      }
      r += sqrt(s);
    }
    row[i] = r;
  }
  double total = 0;
  for (int64_t i = 0; i < n; i++) total += row[i];
  free(row);
  *out = total / ((double)n * (double)(n - 1) / 2.0);
  return DF_OK;
}

df_status df_confusion(const int32_t *want, const int32_t *got, int64_t n, int classes,
                       int64_t *counts, double *accuracy) {
  if (!want || !got || !counts || n < 1 || classes < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_confusion: %lld pairs of %d classes", (long long)n, classes);
  for (int64_t i = 0; i < (int64_t)classes * classes; i++) counts[i] = 0;
  int64_t right = 0;
  for (int64_t i = 0; i < n; i++) {
    if (want[i] < 0 || want[i] >= classes || got[i] < 0 || got[i] >= classes)
      return DF_FAIL(DF_ERR_INVALID_ARG, "df_confusion: pair %lld (%d, %d) is outside [0, %d)", (long long)i,
                     want[i], got[i], classes);
    counts[(int64_t)want[i] * classes + got[i]]++;
    right += want[i] == got[i];
  }
  *accuracy = (double)right / (double)n;
  return DF_OK;
}
