/* Frechet distance between two Gaussians fitted to embeddings (include/drumforge/metrics.h),
 * with the symmetric matrix square roots from LAPACK's dsyevd (Debian's OpenBLAS). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "drumforge/metrics.h"

/* LAPACK's Fortran interface (no LAPACKE header needed); the trailing lengths are gfortran's
 * hidden arguments for the character parameters. */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info, size_t jobz_len, size_t uplo_len);

/* Mean [dim] and unbiased covariance [dim, dim] of x [n, dim]. */
static void moments(const float *x, int64_t n, int dim, double *mean, double *cov) {
  for (int k = 0; k < dim; k++) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += x[i * dim + k];
    mean[k] = s / (double)n;
  }
#pragma omp parallel for schedule(dynamic, 4)
  for (int k = 0; k < dim; k++)
    for (int l = k; l < dim; l++) {
      double s = 0;
      for (int64_t i = 0; i < n; i++) s += (x[i * dim + k] - mean[k]) * (x[i * dim + l] - mean[l]);
      cov[(size_t)k * dim + l] = cov[(size_t)l * dim + k] = s / (double)(n - 1);
    }
}

/* Eigendecomposition of the symmetric a [n, n] (overwritten by the eigenvectors, as columns
 * in LAPACK's column-major order; a symmetric matrix reads the same either way) and its
 * eigenvalues w [n], negative ones clipped to 0. */
static df_status eigen_psd(int n, double *a, double *w) {
  int lwork = -1, liwork = -1, info = 0, iquery;
  double query;
  dsyevd_("V", "U", &n, a, &n, w, &query, &lwork, &iquery, &liwork, &info, 1, 1);
  if (info != 0) return DF_FAIL(DF_ERR_NUMERIC, "dsyevd workspace query failed (info %d)", info);
  lwork = (int)query;
  liwork = iquery;
  double *work = malloc(sizeof(double) * (size_t)lwork);
  int *iwork = malloc(sizeof(int) * (size_t)liwork);
  if (!work || !iwork) {
    free(work);
    free(iwork);
    return DF_FAIL(DF_ERR_OOM, "dsyevd workspace for %d x %d", n, n);
  }
  dsyevd_("V", "U", &n, a, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
  free(work);
  free(iwork);
  if (info != 0) return DF_FAIL(DF_ERR_NUMERIC, "dsyevd did not converge (info %d) on a %d x %d covariance", info, n, n);
  for (int i = 0; i < n; i++)
    if (w[i] < 0) w[i] = 0;
  return DF_OK;
}

/* tr((S_a S_b)^(1/2)) = tr((R S_b R)^(1/2)), R = S_a^(1/2) = V diag(sqrt w) V^T. */
static df_status trace_sqrt_product(int d, double *sa, const double *sb, double *out) {
  size_t dd = (size_t)d * d;
  double *w = malloc(sizeof(double) * (size_t)d), *r = malloc(sizeof(double) * dd);
  double *t = malloc(sizeof(double) * dd);
  df_status s = DF_OK;
  if (!w || !r || !t) s = DF_FAIL(DF_ERR_OOM, "Frechet distance: %d x %d matrices", d, d);
  if (!s) s = eigen_psd(d, sa, w);
  if (!s) {
    /* sa holds V (column j: sa[j * d + i] = V_ij). */
    for (int i = 0; i < d; i++)
      for (int k = i; k < d; k++) {
        double acc = 0;
        for (int j = 0; j < d; j++) acc += sa[(size_t)j * d + i] * sqrt(w[j]) * sa[(size_t)j * d + k];
        r[(size_t)i * d + k] = r[(size_t)k * d + i] = acc;
      }
    /* t = R S_b, then sa = t R (symmetric up to rounding: symmetrised). */
    for (int i = 0; i < d; i++)
      for (int k = 0; k < d; k++) {
        double acc = 0;
        for (int j = 0; j < d; j++) acc += r[(size_t)i * d + j] * sb[(size_t)j * d + k];
        t[(size_t)i * d + k] = acc;
      }
    for (int i = 0; i < d; i++)
      for (int k = 0; k < d; k++) {
        double acc = 0;
        for (int j = 0; j < d; j++) acc += t[(size_t)i * d + j] * r[(size_t)j * d + k];
        sa[(size_t)i * d + k] = acc;
      }
    for (int i = 0; i < d; i++)
      for (int k = i + 1; k < d; k++)
        sa[(size_t)i * d + k] = sa[(size_t)k * d + i] = 0.5 * (sa[(size_t)i * d + k] + sa[(size_t)k * d + i]);
    s = eigen_psd(d, sa, w);
  }
  if (!s) {
    double tr = 0;
    for (int i = 0; i < d; i++) tr += sqrt(w[i]);
    *out = tr;
  }
  free(w);
  free(r);
  free(t);
  return s;
}

df_status df_frechet_distance(const float *a, int64_t na, const float *b, int64_t nb, int dim,
                              double *fd) {
  if (!a || !b || na < 2 || nb < 2 || dim < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_frechet_distance: needs at least 2 rows in each set (got %lld and %lld)",
                   (long long)na, (long long)nb);
  size_t dd = (size_t)dim * dim;
  double *mem = malloc(sizeof(double) * (2 * (size_t)dim + 2 * dd));
  DF_CHECK_ALLOC(mem);
  double *ma = mem, *mb = ma + dim, *sa = mb + dim, *sb = sa + dd;
  moments(a, na, dim, ma, sa);
  moments(b, nb, dim, mb, sb);
  double mean_term = 0, trace = 0;
  for (int k = 0; k < dim; k++) {
    mean_term += (ma[k] - mb[k]) * (ma[k] - mb[k]);
    trace += sa[(size_t)k * dim + k] + sb[(size_t)k * dim + k];
  }
  double cross;
  df_status s = trace_sqrt_product(dim, sa, sb, &cross);
  free(mem);
  DF_TRY(s);
  double v = mean_term + trace - 2.0 * cross;
  /* Rounding can leave a tiny negative value for identical sets. */
  *fd = v > 0 ? v : 0;
  return DF_OK;
}
