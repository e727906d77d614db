/* Dense layers with cuBLAS. Tensors are row-major (PyTorch: x [N, in], w [out, in],
 * y [N, out]); cuBLAS is column-major, where a row-major [r, c] matrix reads as its transpose
 * [c, r] with leading dimension c. So y = x w^T is computed as y^T = w x^T, and so on.
 * TF32 tensor cores are used unless df_strict_fp32(); cuBLAS GEMMs are deterministic on one
 * stream. The bias is a broadcast add and its gradient a column sum (bias.cu). */
#include <limits.h>

#include "drumforge/runtime.h"
#include "nn_cuda.h"

/* C = op(A) op(B) + beta C, column-major, m x n x k. */
static df_status gemm(cublasOperation_t op_a, cublasOperation_t op_b, int64_t m, int64_t n,
                      int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb,
                      float beta, float *c, int64_t ldc) {
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
    return DF_FAIL(DF_ERR_UNSUPPORTED, "dense: GEMM of %lld x %lld x %lld exceeds cuBLAS's int",
                   (long long)m, (long long)n, (long long)k);
  if (m == 0 || n == 0) return DF_OK;
  /* cuBLAS wants leading dimensions >= 1 even when the other extent is 0. */
  lda = lda > 0 ? lda : 1;
  ldb = ldb > 0 ? ldb : 1;
  const float alpha = 1.0f;
  const cublasComputeType_t compute =
      df_strict_fp32() ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_FAST_TF32;
  CUBLAS_TRY(cublasGemmEx(df_cublas(), op_a, op_b, (int)m, (int)n, (int)k, &alpha, a,
                          CUDA_R_32F, (int)lda, b, CUDA_R_32F, (int)ldb, &beta, c, CUDA_R_32F,
                          (int)ldc, compute, CUBLAS_GEMM_DEFAULT));
  return DF_OK;
}

df_status df_cuda_dense_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                                df_tensor *y) {
  const int64_t batch = x->shape[0], in = x->shape[1], out = w->shape[0];
  /* y^T [out, N] = (w^T)^T [out, in] x^T [in, N] */
  DF_TRY(gemm(CUBLAS_OP_T, CUBLAS_OP_N, out, batch, in, df_cf32(w), in, df_cf32(x), in, 0.0f,
              df_f32(y), out));
  if (b) DF_TRY(df_cuda_bias_add(df_f32(y), df_cf32(b), batch, out, 1));
  return DF_OK;
}

df_status df_cuda_dense_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                                 df_tensor *dx, df_tensor *dw, df_tensor *db) {
  const int64_t batch = x->shape[0], in = x->shape[1], out = w->shape[0];
  /* dx = dy w:  dx^T [in, N] = w^T [in, out] dy^T [out, N]  (overwrite) */
  if (dx)
    DF_TRY(gemm(CUBLAS_OP_N, CUBLAS_OP_N, in, batch, out, df_cf32(w), in, df_cf32(dy), out,
                0.0f, df_f32(dx), in));
  /* dw += dy^T x:  dw^T [in, out] += x^T [in, N] (dy^T)^T [N, out]  (accumulate) */
  if (dw)
    DF_TRY(gemm(CUBLAS_OP_N, CUBLAS_OP_T, in, out, batch, df_cf32(x), in, df_cf32(dy), out,
                1.0f, df_f32(dw), in));
  if (db) DF_TRY(df_cuda_bias_grad(df_cf32(dy), df_f32(db), batch, out, 1));
  return DF_OK;
}
