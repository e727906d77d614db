/* Optimisers: Adam with bias correction and fp32 state; gradient-norm clipping. */
#ifndef DRUMFORGE_OPTIM_H
#define DRUMFORGE_OPTIM_H

#include <stdint.h>

#include "drumforge/config.h"
#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct df_adam_config {
  float lr;           /* 1e-4 in WaveGAN */
  float beta1;        /* 0.5 in WaveGAN */
  float beta2;        /* 0.9 in WaveGAN */
  float eps;          /* 1e-8 */
  float weight_decay; /* L2 added to the gradient (PyTorch Adam semantics); 0 = off */
} df_adam_config;

/* Reads the learning rate (lr_key, in (0, 1]: 0 would train nothing, silently) and
 * optim.beta1 / optim.beta2 (in [0, 1)) of an experiment; eps 1e-8, no weight decay. */
df_status df_adam_config_read(df_config *cfg, const char *lr_key, double def_lr, double def_beta1,
                              double def_beta2, df_adam_config *out);

/* One Adam update of param using grad, with moments m and v (same shapes, same device).
 * step is the 1-based count of updates so far including this one (bias correction):
 *   g = grad + wd p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr * (m / (1 - b1^step)) / (sqrt(v / (1 - b2^step)) + eps)   (PyTorch's formula) */
df_status df_adam_step(const df_adam_config *cfg, int64_t step, df_tensor *param,
                       const df_tensor *grad, df_tensor *m, df_tensor *v);

/* Global L2 norm of n gradient tensors; when it exceeds max_norm (> 0) every tensor is
 * scaled by max_norm / (norm + 1e-6), as torch.nn.utils.clip_grad_norm_. norm_out receives
 * the norm before clipping (may be NULL). Deterministic on every device. A non-finite norm
 * (NaN or Inf in a gradient) is DF_ERR_NUMERIC and scales nothing. */
df_status df_clip_grad_norm(df_tensor *const *grads, int n, float max_norm, float *norm_out);

#ifdef __cplusplus
}
#endif
#endif
