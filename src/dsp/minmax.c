/* Per-item min-max normalisation to [0, 1], keeping each item's range for de-normalisation
 * (the loop VAE and DK-VAE), and the running means of those ranges: argument checks and
 * dispatch. */
#include "dsp/dsp_backend.h"

/* x and y of one shape [B, ...]; lo and hi [B]; all on one device. */
static df_status check(const char *fn, const df_tensor *x, const df_tensor *y,
                       const df_tensor *lo, const df_tensor *hi, const df_dsp_backend **dsp) {
  df_device dev;
  DF_TRY(df_check_same_shape(fn, x, y));
  int64_t b[1] = {x->shape[0]};
  DF_TRY(df_check_shape(fn, lo, 1, b));
  DF_TRY(df_check_shape(fn, hi, 1, b));
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, y, lo, hi));
  if (df_tensor_inner(x) < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' has empty items", fn, x->name);
  *dsp = df_backend_for(dev)->dsp;
  return DF_OK;
}

df_status df_minmax_normalize(const df_tensor *x, df_tensor *y, df_tensor *lo, df_tensor *hi) {
  const df_dsp_backend *dsp = NULL;
  DF_TRY(check("df_minmax_normalize", x, y, lo, hi, &dsp));
  return dsp->minmax_normalize(x, y, lo, hi);
}

df_status df_minmax_denormalize(const df_tensor *y, const df_tensor *lo, const df_tensor *hi,
                                df_tensor *x) {
  const df_dsp_backend *dsp = NULL;
  DF_TRY(check("df_minmax_denormalize", y, x, lo, hi, &dsp));
  return dsp->minmax_denormalize(y, lo, hi, x);
}

df_status df_minmax_range_update(df_tensor *stats, const df_tensor *lo, const df_tensor *hi,
                                 const df_tensor *classes) {
  const char *fn = "df_minmax_range_update";
  DF_TRY(df_check_ndim(fn, stats, 2));
  DF_TRY(df_check_ndim(fn, lo, 1));
  int64_t k = stats->shape[0], b[1] = {lo->shape[0]};
  DF_TRY(df_check_shape(fn, stats, 2, (int64_t[]){k, 3}));
  DF_TRY(df_check_shape(fn, hi, 1, b));
  if (k < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' has no rows", fn, stats->name);
  if (classes) DF_TRY(df_check_tensor(fn, classes));
  if (classes && (classes->dtype != DF_I32 || classes->ndim != 1 || classes->shape[0] != b[0]))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: '%s' must be int32 [%lld]", fn, classes->name, (long long)b[0]);
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, stats, lo, hi, classes));
  return df_backend_for(dev)->dsp->minmax_range_update(stats, lo, hi, classes);
}
