/* GAN losses and the gradient penalty: argument checks and dispatch. */
#include "core/backend.h"
#include "loss/loss_backend.h"

const char *const df_gan_loss_names[] = {"wgan-gp", "dcgan", "lsgan", "hinge", NULL};

const char *df_gan_loss_name(df_gan_loss kind) {
  return kind >= DF_GAN_WGAN_GP && kind <= DF_GAN_HINGE ? df_gan_loss_names[kind] : "?";
}

static df_status check_scores(const char *fn, const df_tensor *t, int64_t n) {
  DF_TRY(df_check_ndim(fn, t, 1));
  if (n >= 0 && t->shape[0] != n)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: '%s' has %lld scores, %lld expected", fn, t->name,
                   (long long)t->shape[0], (long long)n);
  if (t->shape[0] == 0) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: '%s' is empty", fn, t->name);
  return DF_OK;
}

/* A scalar result the loss writes to the host. */
static df_status check_result(const char *fn, const float *out, const char *param) {
  if (!out) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: result pointer '%s' is NULL", fn, param);
  return DF_OK;
}

static df_status check_kind(const char *fn, df_gan_loss kind) {
  if (kind < DF_GAN_WGAN_GP || kind > DF_GAN_HINGE)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: unknown loss %d", fn, (int)kind);
  return DF_OK;
}

df_status df_gan_critic_loss(df_gan_loss kind, const df_tensor *real, const df_tensor *fake,
                             df_tensor *dreal, df_tensor *dfake, float *loss, float *wdist) {
  const char *fn = "df_gan_critic_loss";
  DF_TRY(check_kind(fn, kind));
  DF_TRY(check_result(fn, loss, "loss"));
  DF_TRY(check_scores(fn, real, -1));
  DF_TRY(check_scores(fn, fake, real->shape[0]));
  DF_TRY(check_scores(fn, dreal, real->shape[0]));
  DF_TRY(check_scores(fn, dfake, real->shape[0]));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, real, fake, dreal, dfake));
  float w;
  DF_TRY(df_backend_for(dev)->loss->gan_critic(kind, real, fake, dreal, dfake, loss, &w));
  if (wdist) *wdist = w;
  return DF_OK;
}

df_status df_gan_generator_loss(df_gan_loss kind, const df_tensor *fake, df_tensor *dfake,
                                float *loss) {
  const char *fn = "df_gan_generator_loss";
  DF_TRY(check_kind(fn, kind));
  DF_TRY(check_result(fn, loss, "loss"));
  DF_TRY(check_scores(fn, fake, -1));
  DF_TRY(check_scores(fn, dfake, fake->shape[0]));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, fake, dfake));
  return df_backend_for(dev)->loss->gan_generator(kind, fake, dfake, loss);
}

df_status df_gradient_penalty(const df_tensor *g, float lambda, df_tensor *u, float *gp,
                              float *mean_slope) {
  const char *fn = "df_gradient_penalty";
  DF_TRY(check_result(fn, gp, "gp"));
  DF_TRY(check_result(fn, mean_slope, "mean_slope"));
  DF_TRY(df_check_f32(fn, g));
  DF_TRY(df_check_same_shape(fn, g, u));
  if (g->shape[0] == 0) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: empty batch", fn);
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, g, u));
  return df_backend_for(dev)->loss->gradient_penalty(g, lambda, u, gp, mean_slope);
}
