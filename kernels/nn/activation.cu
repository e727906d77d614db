/* Activations, elementwise. The backward reads only the output y (as ops.h specifies):
 * LeakyReLU's slope > 0 and ELU's y > 0 <=> x > 0 keep the sign of x readable from y. */
#include <math.h>

#include "nn_cuda.h"

__device__ __forceinline__ float act_forward(df_activation act, float p, float x) {
  switch (act) {
    case DF_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case DF_ACT_LEAKY_RELU: return x > 0.0f ? x : p * x;
    case DF_ACT_TANH: return tanhf(x);
    case DF_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case DF_ACT_ELU: return x > 0.0f ? x : p * expm1f(x);
    default: return x;
  }
}

/* d act / dx expressed through y. */
__device__ __forceinline__ float act_backward(df_activation act, float p, float y, float dy) {
  switch (act) {
    case DF_ACT_RELU: return y > 0.0f ? dy : 0.0f;
    case DF_ACT_LEAKY_RELU: return y > 0.0f ? dy : p * dy;
    case DF_ACT_TANH: return dy * (1.0f - y * y);
    case DF_ACT_SIGMOID: return dy * y * (1.0f - y);
    case DF_ACT_ELU: return y > 0.0f ? dy : dy * (y + p);
    default: return dy;
  }
}

__global__ void act_forward_kernel(df_activation act, float p, const float *x, float *y,
                                   int64_t n) {
  DF_GRID_STRIDE(i, n) y[i] = act_forward(act, p, x[i]);
}

__global__ void act_backward_kernel(df_activation act, float p, const float *y, const float *dy,
                                    float *dx, int64_t n) {
  DF_GRID_STRIDE(i, n) dx[i] = act_backward(act, p, y[i], dy[i]);
}

df_status df_cuda_activation_forward(df_activation act, float param, const df_tensor *x,
                                     df_tensor *y) {
  const int64_t n = df_tensor_numel(x);
  if (n == 0 || (act == DF_ACT_IDENTITY && x->data == y->data)) return DF_OK;
  act_forward_kernel<<<df_grid(n, 256), 256, 0, df_cuda_stream()>>>(act, param, df_cf32(x),
                                                                    df_f32(y), n);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

df_status df_cuda_activation_backward(df_activation act, float param, const df_tensor *y,
                                      const df_tensor *dy, df_tensor *dx) {
  const int64_t n = df_tensor_numel(y);
  if (n == 0 || (act == DF_ACT_IDENTITY && dy->data == dx->data)) return DF_OK;
  act_backward_kernel<<<df_grid(n, 256), 256, 0, df_cuda_stream()>>>(
      act, param, df_cf32(y), df_cf32(dy), df_f32(dx), n);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}
