/* dB and natural-log scales (librosa's amplitude_to_db / power_to_db and their inverses;
 * SpecGAN's log magnitude): argument checks and dispatch to the elementwise maps. */
#include <math.h>

#include "dsp/dsp_backend.h"

df_db_config df_db_config_amplitude(void) {
  df_db_config c = {20.0f, 1.0f, 1e-5f, 80.0f};
  return c;
}

df_db_config df_db_config_power(void) {
  df_db_config c = {10.0f, 1.0f, 1e-10f, 80.0f};
  return c;
}

static df_status check_db(const char *fn, const df_db_config *c) {
  if (!c) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: config is NULL", fn);
  if (!(c->multiplier > 0) || !isfinite(c->multiplier) || !(c->ref > 0) || !isfinite(c->ref) ||
      !(c->amin > 0) || !(c->top_db >= 0) || !isfinite(c->top_db))
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "%s: need multiplier, ref, amin > 0 and top_db >= 0 (got %g, %g, %g, %g)", fn,
                   (double)c->multiplier, (double)c->ref, (double)c->amin, (double)c->top_db);
  return DF_OK;
}

/* y = map(x) for x, y of one shape on one device. */
static df_status map(const char *fn, df_spec_map op, float a, float b, float c,
                     const df_tensor *x, df_tensor *y, const df_dsp_backend **dsp) {
  df_device dev;
  DF_TRY(df_check_same_shape(fn, x, y));
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, y));
  *dsp = df_backend_for(dev)->dsp;
  return (*dsp)->map(op, a, b, c, x, y);
}

df_status df_to_db(const df_db_config *cfg, const df_tensor *x, df_tensor *y) {
  const char *fn = "df_to_db";
  DF_TRY(check_db(fn, cfg));
  DF_TRY(df_check_f32(fn, x));
  if (x->ndim < 2)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' must be [B, ...] (top_db is per item)",
                   fn, x->name);
  double amin = cfg->amin, ref = cfg->ref;
  float ref_db = (float)(cfg->multiplier * log10(ref > amin ? ref : amin));
  const df_dsp_backend *dsp = NULL;
  DF_TRY(map(fn, DF_MAP_TO_DB, cfg->multiplier, cfg->amin, ref_db, x, y, &dsp));
  return cfg->top_db > 0 ? dsp->floor_below_max(y, cfg->top_db) : DF_OK;
}

df_status df_from_db(const df_db_config *cfg, const df_tensor *x, df_tensor *y) {
  const df_dsp_backend *dsp = NULL;
  DF_TRY(check_db("df_from_db", cfg));
  return map("df_from_db", DF_MAP_FROM_DB, cfg->multiplier, 0.0f, cfg->ref, x, y, &dsp);
}

static df_status check_eps(const char *fn, float eps) {
  if (!(eps >= 0) || !isfinite(eps))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: eps %g must be finite and >= 0", fn, (double)eps);
  return DF_OK;
}

df_status df_to_log(const df_tensor *x, float eps, df_tensor *y) {
  const df_dsp_backend *dsp = NULL;
  DF_TRY(check_eps("df_to_log", eps));
  return map("df_to_log", DF_MAP_TO_LOG, 0.0f, eps, 0.0f, x, y, &dsp);
}

df_status df_from_log(const df_tensor *x, float eps, df_tensor *y) {
  const df_dsp_backend *dsp = NULL;
  DF_TRY(check_eps("df_from_log", eps));
  return map("df_from_log", DF_MAP_FROM_LOG, 0.0f, eps, 0.0f, x, y, &dsp);
}
