/* Loss functions with their gradients, as custom kernels on the GPU and plain C on the CPU:
 * the GAN critic and generator terms, WGAN-GP's gradient penalty, the VAE's Gaussian latent
 * (reparameterised sample and KL term) and WAE-MMD's penalty. Scalar results come back to the
 * host; every sum is taken in double precision in a fixed order (no atomics), so results are
 * the same from run to run on either device. */
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

/* ---- the VAE's Gaussian latent: q(z | x) = N(mean, exp(logvar)), prior N(0, I) ----
 * mean, logvar [N, D]. KL per example KL_n = -1/2 sum_j (1 + logvar - mean^2 - exp(logvar));
 * *kl = (1/N) sum_n KL_n (the batch mean, as the Keras VAE template). dmean and dlogvar [N, D]
 * receive weight * d kl / d mean = weight mean / N and weight * d kl / d logvar =
 * weight (exp(logvar) - 1) / (2 N) (overwritten). */
df_status df_kl_normal(const df_tensor *mean, const df_tensor *logvar, float weight,
                       df_tensor *dmean, df_tensor *dlogvar, float *kl);
/* The reparameterised sample z = mean + exp(logvar / 2) eps, all [N, D] (eps drawn from
 * N(0, 1) by the caller with the project RNG). z may alias mean. */
df_status df_reparameterize(const df_tensor *mean, const df_tensor *logvar, const df_tensor *eps,
                            df_tensor *z);
/* Its backward from dz: dmean += dz and dlogvar += dz eps exp(logvar / 2) / 2. These ADD to
 * what dmean and dlogvar hold (typically the KL gradients from df_kl_normal). */
df_status df_reparameterize_backward(const df_tensor *logvar, const df_tensor *eps,
                                     const df_tensor *dz, df_tensor *dmean, df_tensor *dlogvar);

/* ---- WAE-MMD (Tolstikhin et al. 2018, the original code's estimator) ----
 * z and prior [N, D] (N >= 2): encoded latents and samples of the prior N(0, sigma2 I). With
 * the inverse multiquadratics kernel k_C(x, y) = C / (C + ||x - y||^2) summed over the scales
 * s in {.1, .2, .5, 1, 2, 5, 10}, C = 2 D sigma2 s:
 *   MMD = sum_s [ (sum_{i != j} k_C(z_i, z_j) + sum_{i != j} k_C(p_i, p_j)) / (N^2 - N)
 *                 - 2 sum_{i, j} k_C(z_i, p_j) / N^2 ].
 * dz [N, D] receives weight * d MMD / d z (overwritten; the prior samples are constants). */
#define DF_MMD_N_SCALES 7
df_status df_mmd_imq(const df_tensor *z, const df_tensor *prior, float sigma2, float weight,
                     df_tensor *dz, float *mmd);

#ifdef __cplusplus
}
#endif
#endif
