/* CPU reference of the VAE's Gaussian latent (KL, reparameterisation) and WAE-MMD's penalty.
 * Sums in double, in a fixed order. */
#include <math.h>
#include <stdlib.h>

#include "core/check.h"
#include "loss/latent_terms.h"
#include "loss/loss_backend.h"

df_status df_cpu_kl_normal(const df_tensor *mean, const df_tensor *logvar, float weight,
                           df_tensor *dmean, df_tensor *dlogvar, float *kl) {
  int64_t n = mean->shape[0], total = df_tensor_numel(mean);
  const float *m = mean->data, *lv = logvar->data;
  float *dm = dmean->data, *dlv = dlogvar->data;
  double sum = 0, scale = (double)weight / (double)n;
  for (int64_t i = 0; i < total; i++) {
    double v, gm, glv;
    df_kl_term(m[i], lv[i], &v, &gm, &glv);
    sum += v;
    dm[i] = (float)(scale * gm);
    dlv[i] = (float)(scale * glv);
  }
  *kl = (float)(sum / (double)n);
  return DF_OK;
}

df_status df_cpu_reparameterize(const df_tensor *mean, const df_tensor *logvar,
                                const df_tensor *eps, df_tensor *z) {
  int64_t total = df_tensor_numel(mean);
  const float *m = mean->data, *lv = logvar->data, *e = eps->data;
  float *out = z->data;
  for (int64_t i = 0; i < total; i++) out[i] = (float)((double)m[i] + exp(0.5 * (double)lv[i]) * (double)e[i]);
  return DF_OK;
}

df_status df_cpu_reparameterize_backward(const df_tensor *logvar, const df_tensor *eps,
                                         const df_tensor *dz, df_tensor *dmean,
                                         df_tensor *dlogvar) {
  int64_t total = df_tensor_numel(logvar);
  const float *lv = logvar->data, *e = eps->data, *g = dz->data;
  float *dm = dmean->data, *dlv = dlogvar->data;
  for (int64_t i = 0; i < total; i++) {
    dm[i] += g[i];
    dlv[i] += (float)((double)g[i] * (double)e[i] * 0.5 * exp(0.5 * (double)lv[i]));
  }
  return DF_OK;
}

/* Row i's share of the three kernel sums and its gradient coefficients:
 *   grad_i = 2 / (N^2 - N) sum_{j != i} 2 k'(z_i, z_j) (z_i - z_j) - 2 / N^2 sum_j 2 k'(z_i, p_j) (z_i - p_j). */
df_status df_cpu_mmd_imq(const df_tensor *z, const df_tensor *prior, float sigma2, float weight,
                         df_tensor *dz, float *mmd) {
  int64_t n = z->shape[0], d = df_tensor_inner(z);
  const float *q = z->data, *p = prior->data;
  float *g = dz->data;
  double c_base = 2.0 * (double)d * (double)sigma2;
  double within = 1.0 / ((double)n * (double)n - (double)n), cross = 1.0 / ((double)n * (double)n);
  double *acc = malloc(sizeof(double) * (size_t)d);
  DF_CHECK_ALLOC(acc);
  double total = 0;
  for (int64_t i = 0; i < n; i++) {
    const float *qi = q + i * d, *pi = p + i * d;
    double sqq = 0, spp = 0, sqp = 0;
    for (int64_t k = 0; k < d; k++) acc[k] = 0;
    for (int64_t j = 0; j < n; j++) {
      const float *qj = q + j * d, *pj = p + j * d;
      double k_val, dk;
      if (j != i) {
        df_imq_kernel(df_sq_dist(qi, qj, d), c_base, &k_val, &dk);
        sqq += k_val;
        double c = 4.0 * within * dk; /* 2 (both orders) x 2 (d ||x||^2 / dx = 2x) */
        for (int64_t k = 0; k < d; k++) acc[k] += c * ((double)qi[k] - (double)qj[k]);
        df_imq_kernel(df_sq_dist(pi, pj, d), c_base, &k_val, &dk);
        spp += k_val;
      }
      df_imq_kernel(df_sq_dist(qi, pj, d), c_base, &k_val, &dk);
      sqp += k_val;
      double c = -4.0 * cross * dk;
      for (int64_t k = 0; k < d; k++) acc[k] += c * ((double)qi[k] - (double)pj[k]);
    }
    total += (sqq + spp) * within - 2.0 * sqp * cross;
    for (int64_t k = 0; k < d; k++) g[i * d + k] = (float)((double)weight * acc[k]);
  }
  free(acc);
  *mmd = (float)total;
  return DF_OK;
}
