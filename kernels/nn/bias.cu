/* Bias of dense and convolution layers: a broadcast add over [N, C, S] and its gradient, a
 * deterministic per-channel sum (no atomics). */
#include "channel_reduce.cuh"
#include "nn_cuda.h"

template <typename I>
__global__ void bias_add_kernel(float *y, const float *b, I n, I C, I S) {
  DF_GRID_STRIDE_T(I, i, n) y[i] += b[(i / S) % C];
}

df_status df_cuda_bias_add(float *y, const float *b, int64_t N, int64_t C, int64_t S) {
  const int64_t n = N * C * S;
  if (n == 0) return DF_OK;
  DF_LAUNCH_INDEXED(bias_add_kernel, n, n, 256, y, b, n, C, S);
  return DF_OK;
}

/* Dense layers (S = 1): one thread per column, rows added in order; reads are coalesced
 * across the threads of a warp. */
__global__ void column_sum_kernel(const float *dy, float *db, int64_t rows, int64_t cols) {
  DF_GRID_STRIDE(c, cols) {
    double acc = 0.0;
    for (int64_t r = 0; r < rows; r++) acc += dy[r * cols + c];
    db[c] += (float)acc;
  }
}

struct bias_grad_element {
  const float *dy;
  __device__ double2 operator()(int64_t, int64_t i) const { return make_double2(dy[i], 0.0); }
};

struct bias_grad_finish {
  float *db;
  __device__ void operator()(int64_t c, double2 sums) const { db[c] += (float)sums.x; }
};

df_status df_cuda_bias_grad(const float *dy, float *db, int64_t N, int64_t C, int64_t S) {
  if (C == 0) return DF_OK;
  if (S == 1) {
    column_sum_kernel<<<df_grid(C, 256), 256, 0, df_cuda_stream()>>>(dy, db, N, C);
    CUDA_LAUNCH_TRY();
    return DF_OK;
  }
  void *scratch;
  DF_TRY(df_cuda_workspace(df_reduce_scratch_bytes(C, N * S), &scratch));
  return df_channel_reduce(bias_grad_element{dy}, bias_grad_finish{db}, N, C, S,
                           (double2 *)scratch);
}
