/* The CPU ops' one GEMM entry point. OpenBLAS is switched to a single thread and the product
 * is split across the OpenMP threads instead, each thread running sgemm on its own block of
 * rows or columns of C with the whole depth K. So only one thread pool ever runs (OpenBLAS's
 * own pool spinning next to OpenMP's wasted a third of the CPU time in convolutions, whose
 * im2col steps run in OpenMP between GEMMs), and every element of C is summed in the same
 * order for a given number of threads. */
#include <cblas.h>
#include <omp.h>

#include "ops/cpu/nn_cpu.h"

/* Below this many multiply-adds one thread does the whole product. */
#define SPLIT_MIN_MACS (1 << 20)
/* Blocks are multiples of this many rows or columns (the kernels' register tiles). */
#define SPLIT_ALIGN 16

void df_cpu_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                  float *c, int64_t ldc) {
  /* Checked on every call: another user of OpenBLAS in the process may have changed it. */
  if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
  if (m == 0 || n == 0) return;
  const enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const enum CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  if (threads == 1 || m * n * k < SPLIT_MIN_MACS) {
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb,
                beta, c, (int)ldc);
    return;
  }
  /* Split the longer side of C. */
  const int by_rows = m >= n;
  const int64_t len = by_rows ? m : n;
  int64_t block = (len + threads - 1) / threads;
  block = (block + SPLIT_ALIGN - 1) / SPLIT_ALIGN * SPLIT_ALIGN;
  const int64_t parts = (len + block - 1) / block;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t p = 0; p < parts; p++) {
    const int64_t lo = p * block, cnt = lo + block <= len ? block : len - lo;
    if (by_rows) {
      const float *ap = trans_a ? a + lo : a + lo * lda; /* rows lo.. of op(A) */
      cblas_sgemm(CblasRowMajor, ta, tb, (int)cnt, (int)n, (int)k, alpha, ap, (int)lda, b,
                  (int)ldb, beta, c + lo * ldc, (int)ldc);
    } else {
      const float *bp = trans_b ? b + lo * ldb : b + lo; /* columns lo.. of op(B) */
      cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)cnt, (int)k, alpha, a, (int)lda, bp,
                  (int)ldb, beta, c + lo, (int)ldc);
    }
  }
}
