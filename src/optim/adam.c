/* Adam: argument checks and dispatch. */
#include "ops/dispatch.h"

df_status df_adam_config_read(df_config *cfg, const char *lr_key, double def_lr, double def_beta1,
                              double def_beta2, df_adam_config *out) {
  double lr, b1, b2;
  DF_TRY(df_config_float(cfg, lr_key, def_lr, 0, 1, &lr));
  if (lr == 0) return DF_CONFIG_FAIL(cfg, lr_key, "0 would never change the weights: give a rate in (0, 1]");
  DF_TRY(df_config_float(cfg, "optim.beta1", def_beta1, 0, 0.999999, &b1));
  DF_TRY(df_config_float(cfg, "optim.beta2", def_beta2, 0, 0.999999, &b2));
  *out = (df_adam_config){(float)lr, (float)b1, (float)b2, 1e-8f, 0.0f};
  return DF_OK;
}

df_status df_adam_step(const df_adam_config *cfg, int64_t step, df_tensor *param,
                       const df_tensor *grad, df_tensor *m, df_tensor *v) {
  const char *fn = "df_adam_step";
  if (!cfg) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: config is NULL", fn);
  if (step < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: step %lld must be >= 1", fn, (long long)step);
  if (!(cfg->lr >= 0.f) || !(cfg->beta1 >= 0.f && cfg->beta1 < 1.f) ||
      !(cfg->beta2 >= 0.f && cfg->beta2 < 1.f) || !(cfg->eps > 0.f) ||
      !(cfg->weight_decay >= 0.f))
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "%s: bad config (lr %g, betas %g %g, eps %g, weight decay %g): need lr >= 0, "
                   "betas in [0, 1), eps > 0, weight decay >= 0",
                   fn, cfg->lr, cfg->beta1, cfg->beta2, cfg->eps, cfg->weight_decay);
  DF_TRY(df_check_given(fn, param, "param"));
  DF_TRY(df_check_given(fn, grad, "grad"));
  DF_TRY(df_check_given(fn, m, "m"));
  DF_TRY(df_check_given(fn, v, "v"));
  DF_TRY(df_check_same_shape(fn, param, grad));
  DF_TRY(df_check_same_shape(fn, param, m));
  DF_TRY(df_check_same_shape(fn, param, v));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, param, grad, m, v));
  if (df_tensor_numel(param) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, adam_step, cfg, step, param, grad, m, v);
}
