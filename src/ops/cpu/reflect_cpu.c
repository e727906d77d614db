/* Reflect padding and phase shuffle. Both read row positions through the same reflection
 * (no edge repeat): y[t] = x[reflect(t - k)], with k = the left padding or the example's
 * shift; their backward passes are the adjoint, summed per row in order. */
#include <string.h>

#include "ops/cpu/nn_cpu.h"

static inline int64_t reflect(int64_t i, int64_t len) {
  if (i < 0) return -i;
  if (i >= len) return 2 * (len - 1) - i;
  return i;
}

/* Outputs [lo, hi) read x[t - k] directly (no reflection): the rows are walked in three
 * parts so that the middle one is a plain copy or sum, in the same order as one loop. */
static void direct_span(int64_t len, int64_t out_len, int64_t k, int64_t *lo, int64_t *hi) {
  *lo = k > 0 ? (k < out_len ? k : out_len) : 0;
  *hi = k + len < out_len ? k + len : out_len;
  if (*hi < *lo) *hi = *lo;
}

static void gather_row(const float *x, int64_t len, float *y, int64_t out_len, int64_t k) {
  int64_t lo, hi;
  direct_span(len, out_len, k, &lo, &hi);
  for (int64_t t = 0; t < lo; t++) y[t] = x[reflect(t - k, len)];
  memcpy(y + lo, x + lo - k, sizeof(float) * (size_t)(hi - lo));
  for (int64_t t = hi; t < out_len; t++) y[t] = x[reflect(t - k, len)];
}

static void scatter_row(const float *dy, int64_t out_len, float *dx, int64_t len, int64_t k) {
  int64_t lo, hi;
  direct_span(len, out_len, k, &lo, &hi);
  memset(dx, 0, sizeof(float) * (size_t)len);
  for (int64_t t = 0; t < lo; t++) dx[reflect(t - k, len)] += dy[t];
  for (int64_t t = lo; t < hi; t++) dx[t - k] += dy[t];
  for (int64_t t = hi; t < out_len; t++) dx[reflect(t - k, len)] += dy[t];
}

df_status df_cpu_reflect_pad1d_forward(const df_tensor *x, int left, int right, df_tensor *y) {
  const int64_t len = x->shape[x->ndim - 1], out_len = len + left + right;
  const int64_t rows = df_tensor_numel(x) / len;
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for schedule(static) if (rows * out_len > 32768)
  for (int64_t r = 0; r < rows; r++) gather_row(xd + r * len, len, yd + r * out_len, out_len, left);
  return DF_OK;
}

df_status df_cpu_reflect_pad1d_backward(const df_tensor *dy, int left, int right,
                                        df_tensor *dx) {
  const int64_t len = dx->shape[dx->ndim - 1], out_len = len + left + right;
  const int64_t rows = df_tensor_numel(dx) / len;
  const float *g = dy->data;
  float *d = dx->data;
#pragma omp parallel for schedule(static) if (rows * out_len > 32768)
  for (int64_t r = 0; r < rows; r++) scatter_row(g + r * out_len, out_len, d + r * len, len, left);
  return DF_OK;
}

df_status df_cpu_phase_shuffle_forward(const df_tensor *x, const int *shifts, df_tensor *y) {
  const int64_t n = x->shape[0], c = x->shape[1], len = x->shape[2];
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for collapse(2) schedule(static) if (n * c * len > 32768)
  for (int64_t e = 0; e < n; e++)
    for (int64_t ch = 0; ch < c; ch++) {
      const int64_t off = (e * c + ch) * len;
      gather_row(xd + off, len, yd + off, len, shifts[e]);
    }
  return DF_OK;
}

df_status df_cpu_phase_shuffle_backward(const df_tensor *dy, const int *shifts, df_tensor *dx) {
  const int64_t n = dy->shape[0], c = dy->shape[1], len = dy->shape[2];
  const float *g = dy->data;
  float *d = dx->data;
#pragma omp parallel for collapse(2) schedule(static) if (n * c * len > 32768)
  for (int64_t e = 0; e < n; e++)
    for (int64_t ch = 0; ch < c; ch++) {
      const int64_t off = (e * c + ch) * len;
      scatter_row(g + off, len, d + off, len, shifts[e]);
    }
  return DF_OK;
}
