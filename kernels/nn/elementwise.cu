/* Elementwise arithmetic. Outputs may alias inputs: every kernel reads an element's inputs
 * before writing its outputs. */
#include "nn_cuda.h"

__global__ void binary_kernel(df_binary_op op, const float *a, const float *b, float *y,
                              int64_t n) {
  DF_GRID_STRIDE(i, n) {
    const float u = a[i], v = b[i];
    y[i] = op == DF_BINARY_ADD ? u + v : (op == DF_BINARY_SUB ? u - v : u * v);
  }
}

__global__ void axpby_kernel(float alpha, const float *x, float beta, float *y, int64_t n) {
  DF_GRID_STRIDE(i, n) y[i] = alpha * x[i] + beta * y[i];
}

__global__ void scale_kernel(const float *x, float alpha, float *y, int64_t n) {
  DF_GRID_STRIDE(i, n) y[i] = alpha * x[i];
}

__global__ void fill_kernel(float *t, float value, int64_t n) {
  DF_GRID_STRIDE(i, n) t[i] = value;
}

__global__ void mul_backward_kernel(const float *a, const float *b, const float *dy, float *da,
                                    float *db, int64_t n) {
  DF_GRID_STRIDE(i, n) {
    const float u = a[i], v = b[i], g = dy[i];
    if (da) da[i] = g * v;
    if (db) db[i] = g * u;
  }
}

/* y[e, ...] = s[e] x[e, ...] over D elements per example. */
template <typename I>
__global__ void scale_per_example_kernel(const float *x, const float *s, float *y, I n, I D) {
  DF_GRID_STRIDE_T(I, i, n) y[i] = s[i / D] * x[i];
}

#define LAUNCH_ELEMENTWISE(kernel, n, ...)                                                \
  do {                                                                                  \
    if ((n) > 0) {                                                                      \
      kernel<<<df_grid((n), 256), 256, 0, df_cuda_stream()>>>(__VA_ARGS__);             \
      CUDA_LAUNCH_TRY();                                                                \
    }                                                                                   \
  } while (0)

df_status df_cuda_binary(df_binary_op op, const df_tensor *a, const df_tensor *b,
                         df_tensor *y) {
  const int64_t n = df_tensor_numel(a);
  LAUNCH_ELEMENTWISE(binary_kernel, n, op, df_cf32(a), df_cf32(b), df_f32(y), n);
  return DF_OK;
}

df_status df_cuda_scale(const df_tensor *x, float alpha, df_tensor *y) {
  const int64_t n = df_tensor_numel(x);
  LAUNCH_ELEMENTWISE(scale_kernel, n, df_cf32(x), alpha, df_f32(y), n);
  return DF_OK;
}

df_status df_cuda_axpby(float alpha, const df_tensor *x, float beta, df_tensor *y) {
  const int64_t n = df_tensor_numel(x);
  LAUNCH_ELEMENTWISE(axpby_kernel, n, alpha, df_cf32(x), beta, df_f32(y), n);
  return DF_OK;
}

df_status df_cuda_fill(df_tensor *t, float value) {
  const int64_t n = df_tensor_numel(t);
  LAUNCH_ELEMENTWISE(fill_kernel, n, df_f32(t), value, n);
  return DF_OK;
}

df_status df_cuda_mul_backward(const df_tensor *a, const df_tensor *b, const df_tensor *dy,
                               df_tensor *da, df_tensor *db) {
  const int64_t n = df_tensor_numel(dy);
  if (!da && !db) return DF_OK;
  LAUNCH_ELEMENTWISE(mul_backward_kernel, n, df_cf32(a), df_cf32(b), df_cf32(dy), df_f32(da),
                     df_f32(db), n);
  return DF_OK;
}

df_status df_cuda_scale_per_example(const df_tensor *x, const df_tensor *s, df_tensor *y) {
  const int64_t n = df_tensor_numel(x);
  if (n == 0) return DF_OK;
  DF_LAUNCH_INDEXED(scale_per_example_kernel, n, n, 256, df_cf32(x), df_cf32(s), df_f32(y), n,
                    df_tensor_inner(x));
  return DF_OK;
}
