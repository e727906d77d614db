/* Activations; the backward works from the output y (see include/drumforge/ops.h). */
#include <math.h>
#include <string.h>

#include "ops/cpu/nn_cpu.h"

#define PARALLEL_MIN 32768

df_status df_cpu_activation_forward(df_activation act, float param, const df_tensor *x,
                                    df_tensor *y) {
  const int64_t n = df_tensor_numel(x);
  const float *in = x->data;
  float *out = y->data;
  switch (act) {
    case DF_ACT_IDENTITY:
      if (out != in) memcpy(out, in, sizeof(float) * (size_t)n);
      break;
    case DF_ACT_RELU:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) out[i] = in[i] > 0.f ? in[i] : 0.f;
      break;
    case DF_ACT_LEAKY_RELU:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) out[i] = in[i] > 0.f ? in[i] : in[i] * param;
      break;
    case DF_ACT_TANH:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) out[i] = tanhf(in[i]);
      break;
    case DF_ACT_SIGMOID:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) out[i] = 1.f / (1.f + expf(-in[i]));
      break;
    case DF_ACT_ELU:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) out[i] = in[i] > 0.f ? in[i] : param * expm1f(in[i]);
      break;
  }
  return DF_OK;
}

df_status df_cpu_activation_backward(df_activation act, float param, const df_tensor *y,
                                     const df_tensor *dy, df_tensor *dx) {
  const int64_t n = df_tensor_numel(y);
  const float *out = y->data, *g = dy->data;
  float *d = dx->data;
  switch (act) {
    case DF_ACT_IDENTITY:
      if (d != g) memcpy(d, g, sizeof(float) * (size_t)n);
      break;
    case DF_ACT_RELU:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) d[i] = out[i] > 0.f ? g[i] : 0.f;
      break;
    case DF_ACT_LEAKY_RELU:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) d[i] = out[i] > 0.f ? g[i] : g[i] * param;
      break;
    case DF_ACT_TANH:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) d[i] = g[i] * (1.f - out[i] * out[i]);
      break;
    case DF_ACT_SIGMOID:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) d[i] = g[i] * out[i] * (1.f - out[i]);
      break;
    case DF_ACT_ELU: /* y = alpha (e^x - 1) for x <= 0, so dy/dx = y + alpha there */
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) d[i] = out[i] > 0.f ? g[i] : g[i] * (out[i] + param);
      break;
  }
  return DF_OK;
}
