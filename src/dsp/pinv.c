/* Moore-Penrose pseudo-inverse by LAPACK's SVD (dgesdd, from OpenBLAS), in double, with
 * torch.linalg.pinv's cut-off: singular values below max(rows, cols) eps sigma_max are dropped. */
#include <float.h>
#include <stdlib.h>

#include "core/check.h"
#include "drumforge/dsp.h"

/* LAPACK's Fortran interface (Debian's OpenBLAS exports it; no LAPACKE header is needed). The
 * trailing length is gfortran's hidden argument for the character parameter. */
extern void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
                    double *s, double *u, const int *ldu, double *vt, const int *ldvt,
                    double *work, const int *lwork, int *iwork, int *info, size_t jobz_len);

df_status df_pseudo_inverse(int rows, int cols, const float *a, float *pinv) {
  /* LAPACK counts in int, and the work memory below in size_t: 2^26 values at most. */
  if (rows < 1 || cols < 1 || !a || !pinv || (int64_t)rows * cols > ((int64_t)1 << 26))
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_pseudo_inverse: bad matrix %d x %d", rows, cols);
  /* Row-major a [rows, cols] is the column-major matrix A^T (m = cols, n = rows). With
   * A^T = U S V^T, pinv(a) = U S^+ V^T, an m x n matrix: row-major [cols, rows]. */
  const int m = cols, n = rows, k = m < n ? m : n;
  size_t sz = (size_t)m * n + (size_t)k + (size_t)m * k + (size_t)k * n;
  double *mem = malloc(sizeof(double) * sz);
  int *iwork = malloc(sizeof(int) * 8 * (size_t)k);
  double *work = NULL;
  if (!mem || !iwork) {
    free(mem);
    free(iwork);
    return DF_FAIL(DF_ERR_OOM, "df_pseudo_inverse: no memory for %d x %d", rows, cols);
  }
  double *A = mem, *S = A + (size_t)m * n, *U = S + k, *VT = U + (size_t)m * k;
  for (size_t i = 0; i < (size_t)m * n; i++) A[i] = a[i];
  int lwork = -1, info = 0;
  double query;
  dgesdd_("S", &m, &n, A, &m, S, U, &m, VT, &k, &query, &lwork, iwork, &info, 1);
  if (info == 0) {
    lwork = (int)query;
    work = malloc(sizeof(double) * (size_t)lwork);
    if (!work) info = -1000;
  }
  if (info == 0) dgesdd_("S", &m, &n, A, &m, S, U, &m, VT, &k, work, &lwork, iwork, &info, 1);
  df_status st = DF_OK;
  if (info != 0) {
    st = info == -1000 ? DF_FAIL(DF_ERR_OOM, "df_pseudo_inverse: no memory for the SVD")
                       : DF_FAIL(DF_ERR_NUMERIC, "df_pseudo_inverse: dgesdd failed (info %d)",
                                 info);
  } else {
    double cut = (m > n ? m : n) * DBL_EPSILON * S[0];
    for (int l = 0; l < k; l++) S[l] = S[l] > cut ? 1.0 / S[l] : 0.0;
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        double acc = 0;
        for (int l = 0; l < k; l++) acc += U[i + (size_t)l * m] * S[l] * VT[l + (size_t)j * k];
        pinv[(size_t)i * n + j] = (float)acc;
      }
  }
  free(work);
  free(iwork);
  free(mem);
  return st;
}
