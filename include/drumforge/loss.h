/* Loss functions with their gradients, as custom kernels on the GPU and plain C on the CPU:
 * the GAN critic and generator terms and WGAN-GP's gradient penalty. Scalar results come back
 * to the host. */
#ifndef DRUMFORGE_LOSS_H
#define DRUMFORGE_LOSS_H

#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum df_gan_loss {
  DF_GAN_WGAN_GP = 0, /* L_D = mean D(fake) - mean D(real) (+ the penalty); L_G = -mean D(fake) */
  DF_GAN_DCGAN,       /* non-saturating: L_D = (mean sp(-D(real)) + mean sp(D(fake))) / 2,
                         L_G = mean sp(-D(fake)), sp = softplus (the official code's halving) */
  DF_GAN_LSGAN,       /* L_D = (mean (D(real)-1)^2 + mean D(fake)^2) / 2; L_G = mean (D(fake)-1)^2 */
  DF_GAN_HINGE        /* L_D = mean relu(1 - D(real)) + mean relu(1 + D(fake)); L_G = -mean D(fake) */
} df_gan_loss;

/* "wgan-gp", "dcgan", "lsgan", "hinge". */
const char *df_gan_loss_name(df_gan_loss kind);
extern const char *const df_gan_loss_names[]; /* NULL-terminated, in enum order */

/* Critic loss from scores real [N] and fake [N]; dreal/dfake [N] receive d L_D / d score
 * (overwritten). *loss is L_D; *wdist (may be NULL) the Wasserstein estimate
 * mean D(real) - mean D(fake). */
df_status df_gan_critic_loss(df_gan_loss kind, const df_tensor *real, const df_tensor *fake,
                             df_tensor *dreal, df_tensor *dfake, float *loss, float *wdist);
/* Generator loss from fake scores [N]; dfake receives d L_G / d score. */
df_status df_gan_generator_loss(df_gan_loss kind, const df_tensor *fake, df_tensor *dfake,
                                float *loss);

/* WGAN-GP's penalty on g [N, ...] = d D / d xhat per example:
 *   slope_n = ||g_n||_2,  GP = mean_n (slope_n - 1)^2.
 * u (same shape as g) receives lambda * d GP / d g = lambda * 2 (slope_n - 1) / (N slope_n) g_n
 * (zero where slope_n = 0). *gp is GP (without lambda), *mean_slope the mean of slope_n. */
df_status df_gradient_penalty(const df_tensor *g, float lambda, df_tensor *u, float *gp,
                              float *mean_slope);

#ifdef __cplusplus
}
#endif
#endif
