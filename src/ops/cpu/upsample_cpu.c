/* Nearest-neighbour upsampling of [N, C, H, W] by (fh, fw); 1-D arrives with H = fh = 1. */
#include "ops/cpu/nn_cpu.h"

df_status df_cpu_upsample_nearest2d_forward(const df_tensor *x, int fh, int fw, df_tensor *y) {
  const int64_t planes = x->shape[0] * x->shape[1], h = x->shape[2], w = x->shape[3];
  const int64_t oh = h * fh, ow = w * fw;
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for collapse(2) schedule(static) if (planes * oh * ow > 32768)
  for (int64_t p = 0; p < planes; p++)
    for (int64_t oy = 0; oy < oh; oy++) {
      const float *src = xd + (p * h + oy / fh) * w;
      float *dst = yd + (p * oh + oy) * ow;
      for (int64_t ox = 0; ox < ow; ox++) dst[ox] = src[ox / fw];
    }
  return DF_OK;
}

df_status df_cpu_upsample_nearest2d_backward(const df_tensor *dy, int fh, int fw,
                                             df_tensor *dx) {
  const int64_t planes = dx->shape[0] * dx->shape[1], h = dx->shape[2], w = dx->shape[3];
  const int64_t ow = w * fw;
  const float *g = dy->data;
  float *d = dx->data;
#pragma omp parallel for collapse(2) schedule(static) if (planes * h * w * fh * fw > 32768)
  for (int64_t p = 0; p < planes; p++)
    for (int64_t iy = 0; iy < h; iy++) {
      float *dst = d + (p * h + iy) * w;
      for (int64_t ix = 0; ix < w; ix++) {
        float acc = 0.f;
        for (int64_t a = 0; a < fh; a++) {
          const float *src = g + (p * h * fh + iy * fh + a) * ow + ix * fw;
          for (int64_t b = 0; b < fw; b++) acc += src[b];
        }
        dst[ix] = acc;
      }
    }
  return DF_OK;
}
