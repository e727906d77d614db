/* Batch normalisation: argument checks and dispatch. x is [N, C, ...]; statistics are per
 * channel over the batch and every spatial position. */
#include "ops/dispatch.h"

/* x [N, C, ...] (2 to 5 dims) and y of the same shape; *c receives C. */
static df_status check_io(const char *fn, const df_tensor *x, const df_tensor *y,
                          const char *y_param, int64_t *c) {
  DF_TRY(df_check_given(fn, x, "x"));
  DF_TRY(df_check_given(fn, y, y_param));
  if (x->ndim < 2)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' needs [N, C, ...] (2 to %d dims)", fn,
                   x->name, DF_MAX_DIMS);
  DF_TRY(df_check_same_shape(fn, x, y));
  *c = x->shape[1];
  if (*c < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' has no channels", fn, x->name);
  return DF_OK;
}

static df_status check_channel(const char *fn, const df_tensor *t, const char *param,
                               int64_t c) {
  DF_TRY(df_check_given(fn, t, param));
  return df_check_shape(fn, t, 1, &c);
}

df_status df_batchnorm_forward_train(const df_tensor *x, const df_tensor *gamma,
                                     const df_tensor *beta, df_tensor *running_mean,
                                     df_tensor *running_var, float momentum, float eps,
                                     df_tensor *y, df_tensor *save_mean, df_tensor *save_invstd) {
  const char *fn = "df_batchnorm_forward_train";
  int64_t c = 0;
  DF_TRY(check_io(fn, x, y, "y", &c));
  DF_TRY(check_channel(fn, gamma, "gamma", c));
  DF_TRY(check_channel(fn, beta, "beta", c));
  DF_TRY(check_channel(fn, save_mean, "save_mean", c));
  DF_TRY(check_channel(fn, save_invstd, "save_invstd", c));
  DF_TRY(df_check_optional_shape(fn, running_mean, 1, &c));
  DF_TRY(df_check_optional_shape(fn, running_var, 1, &c));
  if (!(momentum >= 0.f && momentum <= 1.f))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: momentum %g outside [0, 1]", fn, momentum);
  if (!(eps > 0.f)) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: eps %g must be > 0", fn, eps);
  if (df_tensor_numel(x) / c < 2)
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "%s: tensor '%s' has one value per channel; training needs more", fn,
                   x->name);
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, gamma, beta, running_mean, running_var, y, save_mean,
                        save_invstd));
  DF_NN_DISPATCH(fn, dev, batchnorm_forward_train, x, gamma, beta, running_mean, running_var,
                 momentum, eps, y, save_mean, save_invstd);
}

df_status df_batchnorm_forward_infer(const df_tensor *x, const df_tensor *gamma,
                                     const df_tensor *beta, const df_tensor *running_mean,
                                     const df_tensor *running_var, float eps, df_tensor *y) {
  const char *fn = "df_batchnorm_forward_infer";
  int64_t c = 0;
  DF_TRY(check_io(fn, x, y, "y", &c));
  DF_TRY(check_channel(fn, gamma, "gamma", c));
  DF_TRY(check_channel(fn, beta, "beta", c));
  DF_TRY(check_channel(fn, running_mean, "running_mean", c));
  DF_TRY(check_channel(fn, running_var, "running_var", c));
  if (!(eps > 0.f)) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: eps %g must be > 0", fn, eps);
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, gamma, beta, running_mean, running_var, y));
  if (df_tensor_numel(x) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, batchnorm_forward_infer, x, gamma, beta, running_mean, running_var,
                 eps, y);
}

df_status df_batchnorm_backward(const df_tensor *x, const df_tensor *gamma, const df_tensor *dy,
                                const df_tensor *save_mean, const df_tensor *save_invstd,
                                df_tensor *dx, df_tensor *dgamma, df_tensor *dbeta) {
  const char *fn = "df_batchnorm_backward";
  int64_t c = 0;
  DF_TRY(check_io(fn, x, dy, "dy", &c));
  DF_TRY(check_channel(fn, gamma, "gamma", c));
  DF_TRY(check_channel(fn, save_mean, "save_mean", c));
  DF_TRY(check_channel(fn, save_invstd, "save_invstd", c));
  DF_TRY(df_check_optional_shape(fn, dx, x->ndim, x->shape));
  DF_TRY(df_check_optional_shape(fn, dgamma, 1, &c));
  DF_TRY(df_check_optional_shape(fn, dbeta, 1, &c));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, gamma, dy, save_mean, save_invstd, dx, dgamma, dbeta));
  if (df_tensor_numel(x) == 0 || (!dx && !dgamma && !dbeta)) return DF_OK;
  DF_NN_DISPATCH(fn, dev, batchnorm_backward, x, gamma, dy, save_mean, save_invstd, dx, dgamma,
                 dbeta);
}
