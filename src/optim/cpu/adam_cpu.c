/* Adam on the CPU, PyTorch's single-tensor formula in fp32 (see include/drumforge/optim.h). */
#include <math.h>

#include "ops/cpu/nn_cpu.h"

df_status df_cpu_adam_step(const df_adam_config *cfg, int64_t step, df_tensor *param,
                           const df_tensor *grad, df_tensor *m, df_tensor *v) {
  const int64_t n = df_tensor_numel(param);
  const float b1 = cfg->beta1, b2 = cfg->beta2, wd = cfg->weight_decay, eps = cfg->eps;
  /* The bias corrections in double, as PyTorch computes them in Python. */
  const double bc1 = 1.0 - pow(cfg->beta1, (double)step), bc2 = 1.0 - pow(cfg->beta2, (double)step);
  const float step_size = (float)(cfg->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
  float *p = param->data, *md = m->data, *vd = v->data;
  const float *g = grad->data;
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; i++) {
    const float gi = wd != 0.f ? g[i] + wd * p[i] : g[i];
    md[i] = md[i] * b1 + (1.f - b1) * gi;
    vd[i] = vd[i] * b2 + (1.f - b2) * gi * gi;
    p[i] -= step_size * (md[i] / (sqrtf(vd[i]) / bc2_sqrt + eps));
  }
  return DF_OK;
}
