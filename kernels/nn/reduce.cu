/* Reductions: per example (x [N, D] -> [N], the channel reduction with one "channel" per
 * example), the per-example scale's ds, and the whole-tensor sums returned to the host.
 * All go through channel_reduce.cuh: double accumulation, fixed order, no atomics. */
#include <math.h>

#include "channel_reduce.cuh"
#include "nn_cuda.h"

struct value_element {
  const float *x;
  bool square;
  __device__ double2 operator()(int64_t, int64_t i) const {
    const double v = x[i];
    return make_double2(square ? v * v : v, 0.0);
  }
};

struct product_element {
  const float *a, *b;
  __device__ double2 operator()(int64_t, int64_t i) const {
    return make_double2((double)a[i] * (double)b[i], 0.0);
  }
};

struct nonfinite_element {
  const float *x;
  __device__ double2 operator()(int64_t, int64_t i) const {
    return make_double2(isfinite(x[i]) ? 0.0 : 1.0, 0.0);
  }
};

struct reduce_finish {
  df_reduce r;
  float *y;
  double D;
  __device__ void operator()(int64_t e, double2 sums) const {
    y[e] = (float)(r == DF_REDUCE_SUM ? sums.x : (r == DF_REDUCE_MEAN ? sums.x / D : sqrt(sums.x)));
  }
};

struct accumulate_finish {
  float *out;
  __device__ void operator()(int64_t e, double2 sums) const { out[e] += (float)sums.x; }
};

struct store_finish {
  double *out;
  __device__ void operator()(int64_t e, double2 sums) const { out[e] = sums.x; }
};

/* Scratch for a reduction of C rows of m elements. */
static df_status partials_for(int64_t C, int64_t m, double2 **partials) {
  void *ws;
  DF_TRY(df_cuda_workspace(df_reduce_scratch_bytes(C, m), &ws));
  *partials = (double2 *)ws;
  return DF_OK;
}

df_status df_cuda_reduce_forward(df_reduce r, const df_tensor *x, df_tensor *y) {
  const int64_t N = x->shape[0], D = df_tensor_inner(x);
  double2 *partials;
  DF_TRY(partials_for(N, D, &partials));
  return df_channel_reduce(value_element{df_cf32(x), r == DF_REDUCE_L2},
                           reduce_finish{r, df_f32(y), (double)D}, 1, N, D, partials);
}

template <typename I>
__global__ void reduce_backward_kernel(df_reduce r, const float *x, const float *y,
                                       const float *dy, float *dx, I n, I D) {
  DF_GRID_STRIDE_T(I, i, n) {
    const I e = i / D;
    if (r == DF_REDUCE_L2) /* x / |x|, zero at a zero vector; y is read only here */
      dx[i] = x[i] * (y[e] > 0.0f ? dy[e] / y[e] : 0.0f);
    else
      dx[i] = r == DF_REDUCE_MEAN ? (float)(dy[e] / (double)D) : dy[e];
  }
}

df_status df_cuda_reduce_backward(df_reduce r, const df_tensor *x, const df_tensor *y,
                                  const df_tensor *dy, df_tensor *dx) {
  const int64_t n = df_tensor_numel(x);
  if (n == 0) return DF_OK;
  DF_LAUNCH_INDEXED(reduce_backward_kernel, n, n, 256, r, df_cf32(x), df_cf32(y), df_cf32(dy),
                    df_f32(dx), n, df_tensor_inner(x));
  return DF_OK;
}

df_status df_cuda_scale_per_example_backward(const df_tensor *x, const df_tensor *s,
                                             const df_tensor *dy, df_tensor *dx,
                                             df_tensor *ds) {
  /* ds first: dx may alias dy or x. */
  if (ds) {
    const int64_t N = x->shape[0], D = df_tensor_inner(x);
    double2 *partials;
    DF_TRY(partials_for(N, D, &partials));
    DF_TRY(df_channel_reduce(product_element{df_cf32(dy), df_cf32(x)},
                             accumulate_finish{df_f32(ds)}, 1, N, D, partials));
  }
  return dx ? df_cuda_scale_per_example(dy, s, dx) : DF_OK;
}

/* The sum of f over all of x, in double, copied to the host (this synchronises). */
template <class F>
static df_status total_to_host(F f, const df_tensor *x, double *out) {
  const int64_t n = df_tensor_numel(x);
  const size_t head = df_reduce_scratch_bytes(1, n);
  void *ws;
  DF_TRY(df_cuda_workspace(head + sizeof(double), &ws));
  double *total = (double *)((char *)ws + head);
  DF_TRY(df_channel_reduce(f, store_finish{total}, 1, 1, n, (double2 *)ws));
  CUDA_TRY(cudaMemcpyAsync(out, total, sizeof(double), cudaMemcpyDeviceToHost, df_cuda_stream()));
  CUDA_TRY(cudaStreamSynchronize(df_cuda_stream()));
  return DF_OK;
}

df_status df_cuda_count_nonfinite(const df_tensor *x, int64_t *count) {
  double total = 0.0;
  DF_TRY(total_to_host(nonfinite_element{df_cf32(x)}, x, &total));
  *count = (int64_t)total;
  return DF_OK;
}

df_status df_cuda_sum_squares(const df_tensor *x, double *out) {
  return total_to_host(value_element{df_cf32(x), true}, x, out);
}
