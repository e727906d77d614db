/* Kernel Inception Distance (include/drumforge/metrics.h): unbiased MMD^2 with the cubic
 * polynomial kernel, averaged over random subsets as in Binkowski et al. 2018. */
#include <math.h>
#include <stdlib.h>

#include "core/check.h"
#include "drumforge/metrics.h"
#include "drumforge/rng.h"

static double kernel(const float *x, const float *y, int dim) {
  double dot = 0;
  for (int k = 0; k < dim; k++) dot += (double)x[k] * y[k];
  double v = dot / dim + 1.0;
  return v * v * v;
}

/* Unbiased MMD^2 of rows ia[0..m) of a and ib[0..m) of b. Per-row sums in parallel, then
 * added in row order, so the result does not depend on the threads. row: scratch [3 m]. */
static double mmd2(const float *a, const int64_t *ia, const float *b, const int64_t *ib, int64_t m, int dim,
                   double *row) {
#pragma omp parallel for schedule(dynamic, 8)
  for (int64_t i = 0; i < m; i++) {
    double kaa = 0, kbb = 0, kab = 0;
    for (int64_t j = 0; j < m; j++) {
      if (i != j) {
        kaa += kernel(a + ia[i] * dim, a + ia[j] * dim, dim);
        kbb += kernel(b + ib[i] * dim, b + ib[j] * dim, dim);
      }
      kab += kernel(a + ia[i] * dim, b + ib[j] * dim, dim);
    }
    row[3 * i] = kaa;
    row[3 * i + 1] = kbb;
    row[3 * i + 2] = kab;
  }
  double kaa = 0, kbb = 0, kab = 0;
  for (int64_t i = 0; i < m; i++) {
    kaa += row[3 * i];
    kbb += row[3 * i + 1];
    kab += row[3 * i + 2];
  }
  double mm = (double)m;
  return (kaa + kbb) / (mm * (mm - 1)) - 2.0 * kab / (mm * mm);
}

df_status df_kernel_distance(const float *a, int64_t na, const float *b, int64_t nb, int dim,
                             int subsets, int subset_size, uint64_t seed, double *mean,
                             double *std) {
  if (!a || !b || na < 2 || nb < 2 || dim < 1 || subsets < 1 || subset_size < 2)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_kernel_distance: needs at least 2 rows in each set (got %lld and %lld)",
                   (long long)na, (long long)nb);
  int64_t m = subset_size;
  if (m > na) m = na;
  if (m > nb) m = nb;
  int64_t *pa = malloc(sizeof(int64_t) * (size_t)na), *pb = malloc(sizeof(int64_t) * (size_t)nb);
  double *row = malloc(sizeof(double) * 3 * (size_t)m);
  if (!pa || !pb || !row) {
    free(pa);
    free(pb);
    free(row);
    return DF_FAIL(DF_ERR_OOM, "df_kernel_distance: index arrays");
  }
  df_rng rng;
  df_rng_init(&rng, seed);
  double sum = 0, sum_sq = 0;
  for (int s = 0; s < subsets; s++) {
    for (int64_t i = 0; i < na; i++) pa[i] = i;
    for (int64_t i = 0; i < nb; i++) pb[i] = i;
    /* The whole set when it fits in one subset: no draw, the same answer every time. */
    if (m < na) df_rng_shuffle(&rng, pa, na);
    if (m < nb) df_rng_shuffle(&rng, pb, nb);
    double v = mmd2(a, pa, b, pb, m, dim, row);
    sum += v;
    sum_sq += v * v;
  }
  free(pa);
  free(pb);
  free(row);
  *mean = sum / subsets;
  double var = sum_sq / subsets - *mean * *mean;
  *std = var > 0 ? sqrt(var) : 0;
  return DF_OK;
}
