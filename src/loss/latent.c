/* The VAE's Gaussian latent and WAE-MMD's penalty: argument checks and dispatch. */
#include "core/backend.h"
#include "loss/loss_backend.h"

/* [N, D] fp32 with N >= min_rows. */
static df_status check_latent(const char *fn, const df_tensor *t, int64_t min_rows) {
  DF_TRY(df_check_f32(fn, t));
  DF_TRY(df_check_ndim(fn, t, 2));
  if (t->shape[0] < min_rows || t->shape[1] < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: '%s' has shape [%lld, %lld]; at least [%lld, 1] is needed", fn, t->name,
                   (long long)t->shape[0], (long long)t->shape[1], (long long)min_rows);
  return DF_OK;
}

/* Every tensor has the shape of the first. */
static df_status check_like(const char *fn, const df_tensor *like, int n, const df_tensor *const *ts) {
  for (int i = 0; i < n; i++) DF_TRY(df_check_same_shape(fn, like, ts[i]));
  return DF_OK;
}
#define CHECK_LIKE(fn, like, ...)                                                                \
  check_like((fn), (like), (int)(sizeof((const df_tensor *[]){__VA_ARGS__}) / sizeof(const df_tensor *)), \
             (const df_tensor *[]){__VA_ARGS__})

df_status df_kl_normal(const df_tensor *mean, const df_tensor *logvar, float weight,
                       df_tensor *dmean, df_tensor *dlogvar, float *kl) {
  const char *fn = "df_kl_normal";
  if (!kl) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: result pointer 'kl' is NULL", fn);
  DF_TRY(check_latent(fn, mean, 1));
  DF_TRY(CHECK_LIKE(fn, mean, logvar, dmean, dlogvar));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, mean, logvar, dmean, dlogvar));
  return df_backend_for(dev)->loss->kl_normal(mean, logvar, weight, dmean, dlogvar, kl);
}

df_status df_reparameterize(const df_tensor *mean, const df_tensor *logvar, const df_tensor *eps,
                            df_tensor *z) {
  const char *fn = "df_reparameterize";
  DF_TRY(check_latent(fn, mean, 1));
  DF_TRY(CHECK_LIKE(fn, mean, logvar, eps, z));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, mean, logvar, eps, z));
  return df_backend_for(dev)->loss->reparameterize(mean, logvar, eps, z);
}

df_status df_reparameterize_backward(const df_tensor *logvar, const df_tensor *eps,
                                     const df_tensor *dz, df_tensor *dmean, df_tensor *dlogvar) {
  const char *fn = "df_reparameterize_backward";
  DF_TRY(check_latent(fn, logvar, 1));
  DF_TRY(CHECK_LIKE(fn, logvar, eps, dz, dmean, dlogvar));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, logvar, eps, dz, dmean, dlogvar));
  return df_backend_for(dev)->loss->reparameterize_backward(logvar, eps, dz, dmean, dlogvar);
}

df_status df_mmd_imq(const df_tensor *z, const df_tensor *prior, float sigma2, float weight,
                     df_tensor *dz, float *mmd) {
  const char *fn = "df_mmd_imq";
  if (!mmd) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: result pointer 'mmd' is NULL", fn);
  DF_TRY(check_latent(fn, z, 2));
  DF_TRY(CHECK_LIKE(fn, z, prior, dz));
  if (!(sigma2 > 0)) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: the prior variance %g must be positive", fn, sigma2);
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, z, prior, dz));
  return df_backend_for(dev)->loss->mmd_imq(z, prior, sigma2, weight, dz, mmd);
}
