/* The loss backend table (see include/drumforge/loss.h for the maths). Arguments arrive
 * validated; scalars are written to host memory. */
#ifndef DF_LOSS_LOSS_BACKEND_H
#define DF_LOSS_LOSS_BACKEND_H

#include "drumforge/loss.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_loss_backend {
  df_status (*gan_critic)(df_gan_loss kind, const df_tensor *real, const df_tensor *fake,
                          df_tensor *dreal, df_tensor *dfake, float *loss, float *wdist);
  df_status (*gan_generator)(df_gan_loss kind, const df_tensor *fake, df_tensor *dfake,
                             float *loss);
  df_status (*gradient_penalty)(const df_tensor *g, float lambda, df_tensor *u, float *gp,
                                float *mean_slope);
  df_status (*kl_normal)(const df_tensor *mean, const df_tensor *logvar, float weight,
                         df_tensor *dmean, df_tensor *dlogvar, float *kl);
  df_status (*reparameterize)(const df_tensor *mean, const df_tensor *logvar,
                              const df_tensor *eps, df_tensor *z);
  df_status (*reparameterize_backward)(const df_tensor *logvar, const df_tensor *eps,
                                       const df_tensor *dz, df_tensor *dmean,
                                       df_tensor *dlogvar);
  df_status (*mmd_imq)(const df_tensor *z, const df_tensor *prior, float sigma2, float weight,
                       df_tensor *dz, float *mmd);
} df_loss_backend;

const df_loss_backend *df_cpu_loss_backend(void);

/* The CPU latent-loss entries (src/loss/cpu/latent_cpu.c), for the CPU table. */
df_status df_cpu_kl_normal(const df_tensor *mean, const df_tensor *logvar, float weight,
                           df_tensor *dmean, df_tensor *dlogvar, float *kl);
df_status df_cpu_reparameterize(const df_tensor *mean, const df_tensor *logvar,
                                const df_tensor *eps, df_tensor *z);
df_status df_cpu_reparameterize_backward(const df_tensor *logvar, const df_tensor *eps,
                                         const df_tensor *dz, df_tensor *dmean,
                                         df_tensor *dlogvar);
df_status df_cpu_mmd_imq(const df_tensor *z, const df_tensor *prior, float sigma2, float weight,
                         df_tensor *dz, float *mmd);

#ifdef __cplusplus
}
#endif
#endif
