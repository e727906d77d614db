/* SpecGAN's per-frequency-bin normalisation: dataset statistics accumulated in double, the
 * moments, and the clipped normalisation and its inverse (argument checks and dispatch). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "dsp/dsp_backend.h"

df_status df_bin_stats_init(df_bin_stats *s, int bins) {
  /* Zeroed first: df_bin_stats_free after a failed init is safe. */
  if (s) memset(s, 0, sizeof *s);
  if (!s || bins < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "df_bin_stats_init: %d bins", bins);
  s->bins = bins;
  s->count = 0;
  s->sum = calloc((size_t)bins * 2, sizeof(double));
  DF_CHECK_ALLOC(s->sum);
  s->sum_sq = s->sum + bins;
  return DF_OK;
}

void df_bin_stats_free(df_bin_stats *s) {
  if (!s) return;
  free(s->sum);
  s->sum = s->sum_sq = NULL;
  s->bins = 0;
  s->count = 0;
}

df_status df_bin_stats_add(df_bin_stats *s, const df_tensor *x) {
  const char *fn = "df_bin_stats_add";
  if (!s || !s->sum) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: statistics not initialised", fn);
  DF_TRY(df_check_ndim(fn, x, 3));
  int64_t shape[3] = {x->shape[0], s->bins, x->shape[2]};
  DF_TRY(df_check_shape(fn, x, 3, shape));
  const df_backend *be = df_backend_for(x->device);
  if (!be) return DF_ERR_NO_DEVICE;
  DF_TRY(be->dsp->bin_sums(x, s->sum, s->sum_sq));
  s->count += x->shape[0] * x->shape[2];
  return DF_OK;
}

df_status df_bin_stats_moments(const df_bin_stats *s, float *mean, float *std) {
  if (!s || !s->sum || s->count < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_bin_stats_moments: no data accumulated");
  for (int f = 0; f < s->bins; f++) {
    double m = s->sum[f] / (double)s->count;
    double var = s->sum_sq[f] / (double)s->count - m * m;
    double sd = sqrt(var > 0 ? var : 0.0);
    mean[f] = (float)m;
    std[f] = sd > DF_BIN_STD_FLOOR ? (float)sd : DF_BIN_STD_FLOOR;
  }
  return DF_OK;
}

static df_status bin_norm(const char *fn, const df_tensor *mean, const df_tensor *std,
                          float n_std, int inverse, const df_tensor *x, df_tensor *y) {
  df_device dev;
  DF_TRY(df_check_ndim(fn, x, 3));
  DF_TRY(df_check_same_shape(fn, x, y));
  int64_t bins[1] = {x->shape[1]};
  DF_TRY(df_check_shape(fn, mean, 1, bins));
  DF_TRY(df_check_shape(fn, std, 1, bins));
  DF_TRY(DF_SAME_DEVICE(fn, &dev, mean, std, x, y));
  if (!(n_std > 0) || !isfinite(n_std))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: n_std %g must be positive", fn, (double)n_std);
  return df_backend_for(dev)->dsp->bin_normalize(mean, std, n_std, inverse, x, y);
}

df_status df_bin_normalize(const df_tensor *mean, const df_tensor *std, float n_std,
                           const df_tensor *x, df_tensor *y) {
  return bin_norm("df_bin_normalize", mean, std, n_std, 0, x, y);
}

df_status df_bin_denormalize(const df_tensor *mean, const df_tensor *std, float n_std,
                             const df_tensor *y, df_tensor *x) {
  return bin_norm("df_bin_denormalize", mean, std, n_std, 1, y, x);
}
