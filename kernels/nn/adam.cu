/* One Adam step, fp32 state, evaluated as PyTorch's torch.optim.Adam (single-tensor path):
 * the bias corrections are computed once in double on the host, then per element
 *   g = grad + wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *   p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps). */
#include <math.h>

#include "nn_cuda.h"

__global__ void adam_kernel(float *p, const float *grad, float *m, float *v, int64_t n,
                            float beta1, float beta2, float eps, float weight_decay,
                            float step_size, float bc2_sqrt) {
  DF_GRID_STRIDE(i, n) {
    float g = grad[i];
    if (weight_decay != 0.0f) g += weight_decay * p[i];
    const float mi = beta1 * m[i] + (1.0f - beta1) * g;
    const float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * (mi / (sqrtf(vi) / bc2_sqrt + eps));
  }
}

df_status df_cuda_adam_step(const df_adam_config *cfg, int64_t step, df_tensor *param,
                            const df_tensor *grad, df_tensor *m, df_tensor *v) {
  const int64_t n = df_tensor_numel(param);
  if (n == 0) return DF_OK;
  const double bc1 = 1.0 - pow((double)cfg->beta1, (double)step);
  const double bc2 = 1.0 - pow((double)cfg->beta2, (double)step);
  adam_kernel<<<df_grid(n, 256), 256, 0, df_cuda_stream()>>>(
      df_f32(param), df_cf32(grad), df_f32(m), df_f32(v), n, cfg->beta1, cfg->beta2, cfg->eps,
      cfg->weight_decay, (float)(cfg->lr / bc1), (float)sqrt(bc2));
  CUDA_LAUNCH_TRY();
  return DF_OK;
}
