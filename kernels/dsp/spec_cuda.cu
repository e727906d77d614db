/* CUDA spectrogram arithmetic: Mel projections (cuBLAS strided batched GEMM), the dB / log
 * maps, per-item min-max and per-bin normalisation. Reductions use one block per item or bin
 * with a fixed-order tree (deterministic). */
#include "block_reduce.cuh"
#include "drumforge/runtime.h"
#include "dsp/dsp_math.h"
#include "spec_cuda.cuh"

#define THREADS 256

__global__ void clamp_nonneg_kernel(float *y, int64_t n) {
  DF_GRID_STRIDE(i, n) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

extern "C" df_status df_cuda_bin_matmul(const df_tensor *w, const df_tensor *x, int nonneg,
                                        df_tensor *y) {
  const int P = (int)w->shape[0], Q = (int)w->shape[1], T = (int)x->shape[2];
  const int B = (int)x->shape[0];
  const float one = 1.0f, zero = 0.0f;
  /* An empty product is no work (and cuBLAS rejects the leading dimension T = 0). */
  if (df_tensor_numel(y) == 0) return DF_OK;
  /* Row-major y[b] = w x[b] is column-major y[b]^T = x[b]^T w^T: m = T, n = P, k = Q. */
  cublasComputeType_t compute =
      df_strict_fp32() ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_FAST_TF32;
  CUBLAS_TRY(cublasGemmStridedBatchedEx(df_cublas(), CUBLAS_OP_N, CUBLAS_OP_N, T, P, Q, &one,
                                        x->data, CUDA_R_32F, T, (long long)Q * T, w->data,
                                        CUDA_R_32F, Q, 0, &zero, y->data, CUDA_R_32F, T,
                                        (long long)P * T, B, compute, CUBLAS_GEMM_DEFAULT));
  if (nonneg) {
    int64_t n = df_tensor_numel(y);
    clamp_nonneg_kernel<<<df_grid(n, THREADS), THREADS, 0, df_cuda_stream()>>>((float *)y->data, n);
    CUDA_LAUNCH_TRY();
  }
  return DF_OK;
}

__global__ void map_kernel(int op, float a, float b, float c, const float *x, float *y,
                           int64_t n) {
  DF_GRID_STRIDE(i, n) y[i] = df_dsp_map(op, x[i], a, b, c);
}

extern "C" df_status df_cuda_map(df_spec_map op, float a, float b, float c, const df_tensor *x,
                                 df_tensor *y) {
  int64_t n = df_tensor_numel(x);
  if (n == 0) return DF_OK;
  map_kernel<<<df_grid(n, THREADS), THREADS, 0, df_cuda_stream()>>>(
      (int)op, a, b, c, (const float *)x->data, (float *)y->data, n);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

/* One block per item: lo[b], hi[b] = min and max of x[b] (either may be NULL). */
__global__ void item_range_kernel(const float *x, int64_t inner, float *lo, float *hi) {
  const float *v = x + (int64_t)blockIdx.x * inner;
  float mn = v[0], mx = v[0];
  for (int64_t i = threadIdx.x; i < inner; i += blockDim.x) {
    mn = fminf(mn, v[i]);
    mx = fmaxf(mx, v[i]);
  }
  mn = block_reduce(mn, reduce_min());
  mx = block_reduce(mx, reduce_max());
  if (threadIdx.x == 0) {
    if (lo) lo[blockIdx.x] = mn;
    if (hi) hi[blockIdx.x] = mx;
  }
}

__global__ void floor_kernel(float *y, const float *hi, float range, int64_t inner, int64_t n) {
  DF_GRID_STRIDE(i, n) {
    float f = hi[i / inner] - range;
    y[i] = y[i] > f ? y[i] : f;
  }
}

extern "C" df_status df_cuda_floor_below_max(df_tensor *y, float range) {
  const int64_t B = y->shape[0], inner = df_tensor_inner(y), n = B * inner;
  if (n == 0) return DF_OK; /* a grid of 0 blocks is a launch error; empty items have no max */
  float *hi;
  DF_TRY(df_cuda_alloc(sizeof(float) * B, (void **)&hi));
  item_range_kernel<<<(unsigned)B, DF_REDUCE_THREADS, 0, df_cuda_stream()>>>(
      (const float *)y->data, inner, NULL, hi);
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) {
    floor_kernel<<<df_grid(n, THREADS), THREADS, 0, df_cuda_stream()>>>((float *)y->data, hi,
                                                                         range, inner, n);
    e = cudaGetLastError();
  }
  df_cuda_release(hi); /* the caching allocator hands it out again only on this stream */
  CUDA_TRY(e);
  return DF_OK;
}

__global__ void minmax_kernel(int inverse, const float *x, const float *lo, const float *hi,
                              int64_t inner, int64_t n, float *y) {
  DF_GRID_STRIDE(i, n) {
    int64_t b = i / inner;
    y[i] = inverse ? x[i] * (hi[b] - lo[b]) + lo[b] : df_dsp_minmax(x[i], lo[b], hi[b]);
  }
}

extern "C" df_status df_cuda_minmax_normalize(const df_tensor *x, df_tensor *y, df_tensor *lo,
                                              df_tensor *hi) {
  const int64_t B = x->shape[0], inner = df_tensor_inner(x), n = B * inner;
  item_range_kernel<<<(unsigned)B, DF_REDUCE_THREADS, 0, df_cuda_stream()>>>(
      (const float *)x->data, inner, (float *)lo->data, (float *)hi->data);
  CUDA_LAUNCH_TRY();
  minmax_kernel<<<df_grid(n, THREADS), THREADS, 0, df_cuda_stream()>>>(
      0, (const float *)x->data, (const float *)lo->data, (const float *)hi->data, inner, n,
      (float *)y->data);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

extern "C" df_status df_cuda_minmax_denormalize(const df_tensor *y, const df_tensor *lo,
                                                const df_tensor *hi, df_tensor *x) {
  const int64_t B = y->shape[0], inner = df_tensor_inner(y), n = B * inner;
  minmax_kernel<<<df_grid(n, THREADS), THREADS, 0, df_cuda_stream()>>>(
      1, (const float *)y->data, (const float *)lo->data, (const float *)hi->data, inner, n,
      (float *)x->data);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

/* One thread per class row, its items in order (the CPU's order for that row): no atomics. An
 * id outside [0, K) matches no row (the dispatcher cannot read device ids; the CPU fails). */
__global__ void range_update_kernel(float *stats, int64_t rows, const float *lo, const float *hi,
                                    const int32_t *ids, int64_t items) {
  DF_GRID_STRIDE(r, rows) {
    for (int64_t b = 0; b < items; b++)
      if ((ids ? ids[b] : 0) == r) df_dsp_range_fold(stats + 3 * r, lo[b], hi[b]);
  }
}

extern "C" df_status df_cuda_minmax_range_update(df_tensor *stats, const df_tensor *lo,
                                                 const df_tensor *hi, const df_tensor *classes) {
  const int64_t K = stats->shape[0];
  range_update_kernel<<<df_grid(K, THREADS), THREADS, 0, df_cuda_stream()>>>(
      (float *)stats->data, K, (const float *)lo->data, (const float *)hi->data,
      classes ? (const int32_t *)classes->data : NULL, lo->shape[0]);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

/* One block per bin f: sum and sum of squares over every item and frame, in double. */
__global__ void bin_sums_kernel(const float *x, int64_t batch, int bins, int64_t frames,
                                double *out) {
  const int f = blockIdx.x;
  double s = 0, s2 = 0;
  for (int64_t i = threadIdx.x; i < batch * frames; i += blockDim.x) {
    double v = x[((i / frames) * bins + f) * frames + i % frames];
    s += v;
    s2 += v * v;
  }
  s = block_reduce(s, reduce_sum());
  s2 = block_reduce(s2, reduce_sum());
  if (threadIdx.x == 0) {
    out[2 * f] = s;
    out[2 * f + 1] = s2;
  }
}

extern "C" df_status df_cuda_bin_sums(const df_tensor *x, double *sum, double *sum_sq) {
  const int bins = (int)x->shape[1];
  double *dev, *host = (double *)malloc(sizeof(double) * 2 * bins);
  if (!host) return DF_FAIL(DF_ERR_OOM, "bin sums: no memory for %d bins", bins);
  df_status s = df_cuda_alloc(sizeof(double) * 2 * bins, (void **)&dev);
  if (s != DF_OK) {
    free(host);
    return s;
  }
  bin_sums_kernel<<<(unsigned)bins, DF_REDUCE_THREADS, 0, df_cuda_stream()>>>(
      (const float *)x->data, x->shape[0], bins, x->shape[2], dev);
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess)
    e = cudaMemcpyAsync(host, dev, sizeof(double) * 2 * bins, cudaMemcpyDeviceToHost,
                        df_cuda_stream());
  if (e == cudaSuccess) e = cudaStreamSynchronize(df_cuda_stream());
  if (e == cudaSuccess)
    for (int f = 0; f < bins; f++) {
      sum[f] += host[2 * f];
      sum_sq[f] += host[2 * f + 1];
    }
  df_cuda_release(dev);
  free(host);
  CUDA_TRY(e);
  return DF_OK;
}

__global__ void bin_norm_kernel(int inverse, const float *mean, const float *std, float n_std,
                                int bins, int64_t frames, const float *x, int64_t n, float *y) {
  DF_GRID_STRIDE(i, n) {
    int64_t f = (i / frames) % bins;
    y[i] = df_dsp_bin_norm(inverse, x[i], mean[f], std[f], n_std);
  }
}

extern "C" df_status df_cuda_bin_normalize(const df_tensor *mean, const df_tensor *std,
                                           float n_std, int inverse, const df_tensor *x,
                                           df_tensor *y) {
  int64_t n = df_tensor_numel(x);
  bin_norm_kernel<<<df_grid(n, THREADS), THREADS, 0, df_cuda_stream()>>>(
      inverse, (const float *)mean->data, (const float *)std->data, n_std, (int)x->shape[1],
      x->shape[2], (const float *)x->data, n, (float *)y->data);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}
