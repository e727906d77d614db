/* CPU spectrogram arithmetic: Mel projections (OpenBLAS), the dB / log maps, per-item min-max
 * and per-bin normalisation. Reductions run in a fixed order (bitwise reproducible). */
#include <float.h>

#include "dsp/cpu/spec_cpu.h"
#include "dsp/dsp_math.h"
#include "ops/cpu/nn_cpu.h"

#define PAR_MIN 65536 /* elements below which threads cost more than they save */

df_status df_cpu_bin_matmul(const df_tensor *w, const df_tensor *x, int nonneg, df_tensor *y) {
  const int P = (int)w->shape[0], Q = (int)w->shape[1], T = (int)x->shape[2];
  const int64_t B = x->shape[0];
  const float *wd = w->data, *xd = x->data;
  float *yd = y->data;
  for (int64_t b = 0; b < B; b++) {
    float *yb = yd + b * P * T;
    /* Through the ops' GEMM, which keeps OpenBLAS on one thread: called straight, the first
     * projection of a process ran on OpenBLAS's own threads and rounded differently from
     * every later one, so a second training in the same process did not repeat the first. */
    df_cpu_sgemm(0, 0, P, T, Q, 1.0f, wd, Q, xd + b * Q * T, T, 0.0f, yb, T);
    if (nonneg)
      for (int64_t i = 0; i < (int64_t)P * T; i++) yb[i] = yb[i] > 0.0f ? yb[i] : 0.0f;
  }
  return DF_OK;
}

df_status df_cpu_map(df_spec_map op, float a, float b, float c, const df_tensor *x,
                     df_tensor *y) {
  const int64_t n = df_tensor_numel(x);
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for simd schedule(static) if (n > PAR_MIN)
  for (int64_t i = 0; i < n; i++) yd[i] = df_dsp_map((int)op, xd[i], a, b, c);
  return DF_OK;
}

df_status df_cpu_floor_below_max(df_tensor *y, float range) {
  const int64_t B = y->shape[0], n = df_tensor_inner(y);
  float *yd = y->data;
#pragma omp parallel for schedule(static) if (B * n > PAR_MIN)
  for (int64_t b = 0; b < B; b++) {
    float *v = yd + b * n, mx = -FLT_MAX;
    for (int64_t i = 0; i < n; i++) mx = v[i] > mx ? v[i] : mx;
    float floor = mx - range;
    for (int64_t i = 0; i < n; i++) v[i] = v[i] > floor ? v[i] : floor;
  }
  return DF_OK;
}

df_status df_cpu_minmax_normalize(const df_tensor *x, df_tensor *y, df_tensor *lo,
                                  df_tensor *hi) {
  const int64_t B = x->shape[0], n = df_tensor_inner(x);
  const float *xd = x->data;
  float *yd = y->data, *lod = lo->data, *hid = hi->data;
#pragma omp parallel for schedule(static) if (B * n > PAR_MIN)
  for (int64_t b = 0; b < B; b++) {
    const float *v = xd + b * n;
    float mn = v[0], mx = v[0];
    for (int64_t i = 1; i < n; i++) {
      mn = v[i] < mn ? v[i] : mn;
      mx = v[i] > mx ? v[i] : mx;
    }
    for (int64_t i = 0; i < n; i++) yd[b * n + i] = df_dsp_minmax(v[i], mn, mx);
    lod[b] = mn;
    hid[b] = mx;
  }
  return DF_OK;
}

df_status df_cpu_minmax_denormalize(const df_tensor *y, const df_tensor *lo, const df_tensor *hi,
                                    df_tensor *x) {
  const int64_t B = y->shape[0], n = df_tensor_inner(y);
  const float *yd = y->data, *lod = lo->data, *hid = hi->data;
  float *xd = x->data;
#pragma omp parallel for schedule(static) if (B * n > PAR_MIN)
  for (int64_t b = 0; b < B; b++)
    for (int64_t i = 0; i < n; i++) xd[b * n + i] = yd[b * n + i] * (hid[b] - lod[b]) + lod[b];
  return DF_OK;
}

df_status df_cpu_minmax_range_update(df_tensor *stats, const df_tensor *lo, const df_tensor *hi,
                                     const df_tensor *classes) {
  const int64_t B = lo->shape[0], K = stats->shape[0];
  const int32_t *id = classes ? classes->data : NULL;
  for (int64_t b = 0; id && b < B; b++)
    if (id[b] < 0 || id[b] >= K)
      return DF_FAIL(DF_ERR_INVALID_ARG, "df_minmax_range_update: class %d of item %lld is outside [0, %lld)", id[b],
                     (long long)b, (long long)K);
  const float *lod = lo->data, *hid = hi->data;
  float *st = stats->data;
  for (int64_t b = 0; b < B; b++) df_dsp_range_fold(st + 3 * (id ? id[b] : 0), lod[b], hid[b]);
  return DF_OK;
}

df_status df_cpu_bin_sums(const df_tensor *x, double *sum, double *sum_sq) {
  const int64_t B = x->shape[0], F = x->shape[1], T = x->shape[2];
  const float *xd = x->data;
#pragma omp parallel for schedule(static) if (B * F * T > PAR_MIN)
  for (int64_t f = 0; f < F; f++) {
    double s = 0, s2 = 0;
    for (int64_t b = 0; b < B; b++) {
      const float *v = xd + (b * F + f) * T;
      for (int64_t t = 0; t < T; t++) {
        s += v[t];
        s2 += (double)v[t] * v[t];
      }
    }
    sum[f] += s;
    sum_sq[f] += s2;
  }
  return DF_OK;
}

df_status df_cpu_bin_normalize(const df_tensor *mean, const df_tensor *std, float n_std,
                               int inverse, const df_tensor *x, df_tensor *y) {
  const int64_t B = x->shape[0], F = x->shape[1], T = x->shape[2];
  const float *md = mean->data, *sd = std->data, *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for collapse(2) schedule(static) if (B * F * T > PAR_MIN)
  for (int64_t b = 0; b < B; b++)
    for (int64_t f = 0; f < F; f++) {
      int64_t row = (b * F + f) * T;
      for (int64_t t = 0; t < T; t++)
        yd[row + t] = df_dsp_bin_norm(inverse, xd[row + t], md[f], sd[f], n_std);
    }
  return DF_OK;
}
