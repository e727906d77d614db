/* Per-example sum, mean and L2 norm, accumulated in double in a fixed order. */
#include <math.h>

#include "ops/cpu/nn_cpu.h"

df_status df_cpu_reduce_forward(df_reduce r, const df_tensor *x, df_tensor *y) {
  const int64_t n = x->shape[0], inner = df_tensor_inner(x);
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for schedule(static) if (n * inner > 32768)
  for (int64_t e = 0; e < n; e++) {
    const float *row = xd + e * inner;
    double acc = 0;
    if (r == DF_REDUCE_L2) {
      for (int64_t i = 0; i < inner; i++) acc += (double)row[i] * row[i];
      acc = sqrt(acc);
    } else {
      for (int64_t i = 0; i < inner; i++) acc += row[i];
      if (r == DF_REDUCE_MEAN) acc /= (double)inner;
    }
    yd[e] = (float)acc;
  }
  return DF_OK;
}

df_status df_cpu_reduce_backward(df_reduce r, const df_tensor *x, const df_tensor *y,
                                 const df_tensor *dy, df_tensor *dx) {
  const int64_t n = x->shape[0], inner = df_tensor_inner(x);
  const float *xd = x->data, *g = dy->data;
  const float *yd = y ? y->data : NULL;
  float *d = dx->data;
#pragma omp parallel for schedule(static) if (n * inner > 32768)
  for (int64_t e = 0; e < n; e++) {
    float *row = d + e * inner;
    if (r == DF_REDUCE_L2) {
      /* d|x|/dx = x / |x|, taken as zero at x = 0. */
      const float k = yd[e] > 0.f ? g[e] / yd[e] : 0.f;
      for (int64_t i = 0; i < inner; i++) row[i] = xd[e * inner + i] * k;
    } else {
      const float k = r == DF_REDUCE_MEAN ? (float)(g[e] / (double)inner) : g[e];
      for (int64_t i = 0; i < inner; i++) row[i] = k;
    }
  }
  return DF_OK;
}
