/* Nearest rows on the CPU: candidate distances |b|^2 - 2 a.b (|a|^2 is the same along a row)
 * from blocks of one OpenBLAS GEMM, the smallest per row (lowest index on ties), then the
 * winner's exact distance in double. */
#include <math.h>
#include <stdlib.h>

#include "core/check.h"
#include "eval/metric_backend.h"
#include "ops/cpu/nn_cpu.h"

/* Rows of a and b per GEMM block: a block of cross terms is 256 x 2048 floats (2 MiB). */
#define BLOCK_A 256
#define BLOCK_B 2048

static double row_sq(const float *x, int64_t dim) {
  double s = 0;
  for (int64_t k = 0; k < dim; k++) s += (double)x[k] * x[k];
  return s;
}

static df_status cpu_nearest_rows(const float *a, int64_t na, const float *b, int64_t nb,
                                  int64_t dim, double *sq_dist, int64_t *index) {
  double *b_sq = malloc(sizeof(double) * (size_t)nb);
  double *best = malloc(sizeof(double) * (size_t)na);
  float *cross = malloc(sizeof(float) * BLOCK_A * BLOCK_B);
  if (!b_sq || !best || !cross) {
    free(b_sq);
    free(best);
    free(cross);
    return DF_FAIL(DF_ERR_OOM, "df_nearest_rows: no memory for %lld x %lld rows", (long long)na,
                   (long long)nb);
  }
#pragma omp parallel for schedule(static)
  for (int64_t j = 0; j < nb; j++) b_sq[j] = row_sq(b + j * dim, dim);
  for (int64_t i = 0; i < na; i++) {
    best[i] = INFINITY;
    index[i] = 0;
  }
  for (int64_t i0 = 0; i0 < na; i0 += BLOCK_A) {
    const int64_t ni = na - i0 < BLOCK_A ? na - i0 : BLOCK_A;
    for (int64_t j0 = 0; j0 < nb; j0 += BLOCK_B) {
      const int64_t nj = nb - j0 < BLOCK_B ? nb - j0 : BLOCK_B;
      /* cross [ni, nj] = a_blk b_blk^T */
      df_cpu_sgemm(0, 1, ni, nj, dim, 1.0f, a + i0 * dim, dim, b + j0 * dim, dim, 0.0f, cross, nj);
      for (int64_t i = 0; i < ni; i++)
        for (int64_t j = 0; j < nj; j++) {
          double d = b_sq[j0 + j] - 2.0 * cross[i * nj + j];
          if (d < best[i0 + i]) {
            best[i0 + i] = d;
            index[i0 + i] = j0 + j;
          }
        }
    }
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < na; i++) {
    const float *x = a + i * dim, *y = b + index[i] * dim;
    double s = 0;
    for (int64_t k = 0; k < dim; k++) {
      double d = (double)x[k] - y[k];
      s += d * d;
    }
    sq_dist[i] = s;
  }
  free(b_sq);
  free(best);
  free(cross);
  return DF_OK;
}

const df_metric_backend *df_cpu_metric_backend(void) {
  static const df_metric_backend table = {cpu_nearest_rows};
  return &table;
}
