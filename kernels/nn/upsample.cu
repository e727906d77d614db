/* Nearest-neighbour upsampling of [N, C, H, W] by (fh, fw) (1-D arrives with H = 1, fh = 1).
 * The backward gathers each input position's fh x fw block in row-major order: no atomics. */
#include "nn_cuda.h"

template <typename I>
__global__ void upsample_forward_kernel(const float *x, float *y, I n, I H, I W, I fh, I fw) {
  const I Ho = H * fh, Wo = W * fw;
  DF_GRID_STRIDE_T(I, i, n) {
    const I wo = i % Wo, rows = i / Wo;
    const I ho = rows % Ho, plane = rows / Ho;
    y[i] = x[(plane * H + ho / fh) * W + wo / fw];
  }
}

template <typename I>
__global__ void upsample_backward_kernel(const float *dy, float *dx, I n, I H, I W, I fh, I fw) {
  const I Ho = H * fh, Wo = W * fw;
  DF_GRID_STRIDE_T(I, i, n) {
    const I w = i % W, rows = i / W;
    const I h = rows % H, plane = rows / H;
    const float *d = dy + (plane * Ho + h * fh) * Wo + w * fw;
    float acc = 0.0f;
    for (I a = 0; a < fh; a++)
      for (I b = 0; b < fw; b++) acc += d[a * Wo + b];
    dx[i] = acc;
  }
}

df_status df_cuda_upsample_nearest2d_forward(const df_tensor *x, int fh, int fw, df_tensor *y) {
  const int64_t n = df_tensor_numel(y);
  if (n == 0) return DF_OK;
  DF_LAUNCH_INDEXED(upsample_forward_kernel, n, n, 256, df_cf32(x), df_f32(y), n, x->shape[2],
                    x->shape[3], (int64_t)fh, (int64_t)fw);
  return DF_OK;
}

df_status df_cuda_upsample_nearest2d_backward(const df_tensor *dy, int fh, int fw,
                                              df_tensor *dx) {
  const int64_t n = df_tensor_numel(dx);
  if (n == 0) return DF_OK;
  DF_LAUNCH_INDEXED(upsample_backward_kernel, n, df_tensor_numel(dy), 256, df_cf32(dy),
                    df_f32(dx), n, dx->shape[2], dx->shape[3], (int64_t)fh, (int64_t)fw);
  return DF_OK;
}
