/* Per-score GAN loss terms and derivatives, shared by the CPU and CUDA backends. The batch
 * means (division by N) are applied by the callers. */
#ifndef DF_LOSS_GAN_TERMS_H
#define DF_LOSS_GAN_TERMS_H

#include <math.h>

#include "core/hostdevice.h"
#include "drumforge/loss.h"

DF_HD double df_softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
DF_HD double df_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* The critic's term for one score: `real` selects the real-data term. */
DF_HD void df_gan_critic_term(df_gan_loss kind, int real, double s, double *value, double *grad) {
  switch (kind) {
    case DF_GAN_WGAN_GP:
      *value = real ? -s : s;
      *grad = real ? -1.0 : 1.0;
      break;
    case DF_GAN_DCGAN: /* halved, as the official code */
      *value = 0.5 * (real ? df_softplus(-s) : df_softplus(s));
      *grad = 0.5 * (real ? -df_sigmoid(-s) : df_sigmoid(s));
      break;
    case DF_GAN_LSGAN:
      *value = 0.5 * (real ? (s - 1) * (s - 1) : s * s);
      *grad = real ? (s - 1) : s;
      break;
    default: /* DF_GAN_HINGE */
      *value = real ? fmax(0.0, 1 - s) : fmax(0.0, 1 + s);
      *grad = real ? (s < 1 ? -1.0 : 0.0) : (s > -1 ? 1.0 : 0.0);
      break;
  }
}

DF_HD void df_gan_generator_term(df_gan_loss kind, double s, double *value, double *grad) {
  switch (kind) {
    case DF_GAN_DCGAN:
      *value = df_softplus(-s);
      *grad = -df_sigmoid(-s);
      break;
    case DF_GAN_LSGAN:
      *value = (s - 1) * (s - 1);
      *grad = 2 * (s - 1);
      break;
    default: /* WGAN-GP and hinge */
      *value = -s;
      *grad = -1.0;
      break;
  }
}

/* The penalty's per-example factor: u_n = factor * g_n. */
DF_HD double df_gp_factor(double slope, double lambda, double n) {
  return slope > 0 ? lambda * 2.0 * (slope - 1) / (n * slope) : 0.0;
}

#endif
