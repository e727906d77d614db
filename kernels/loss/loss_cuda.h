/* Shared by the CUDA loss files: the result fetch (gan_loss.cu) and the latent-loss entries
 * (latent_loss.cu) that the CUDA loss table in gan_loss.cu lists.
 * Semantics are those of include/drumforge/loss.h; arguments arrive validated. */
#ifndef DF_KERNELS_LOSS_LOSS_CUDA_H
#define DF_KERNELS_LOSS_LOSS_CUDA_H

#include "../cuda_common.h"
#include "loss/loss_backend.h"

/* Copies k doubles of device results (scratch from df_cuda_alloc) to the host, waits for
 * them, and releases the scratch (gan_loss.cu). */
df_status df_cuda_loss_fetch(double *dev_out, double *host, int k);

df_status df_cuda_kl_normal(const df_tensor *mean, const df_tensor *logvar, float weight,
                            df_tensor *dmean, df_tensor *dlogvar, float *kl);
df_status df_cuda_reparameterize(const df_tensor *mean, const df_tensor *logvar,
                                 const df_tensor *eps, df_tensor *z);
df_status df_cuda_reparameterize_backward(const df_tensor *logvar, const df_tensor *eps,
                                          const df_tensor *dz, df_tensor *dmean,
                                          df_tensor *dlogvar);
df_status df_cuda_mmd_imq(const df_tensor *z, const df_tensor *prior, float sigma2, float weight,
                          df_tensor *dz, float *mmd);

#endif
