/* Per-element terms of the VAE's Gaussian latent and WAE-MMD's kernel, shared by the CPU and
 * CUDA backends (include/drumforge/loss.h has the formulas). */
#ifndef DF_LOSS_LATENT_TERMS_H
#define DF_LOSS_LATENT_TERMS_H

#include <math.h>

#include "core/hostdevice.h"
#include "drumforge/loss.h"

/* KL(N(m, exp(lv)) || N(0, 1)) of one latent coordinate and its derivatives. */
DF_HD void df_kl_term(double m, double lv, double *value, double *dm, double *dlv) {
  double e = exp(lv);
  *value = -0.5 * (1.0 + lv - m * m - e);
  *dm = m;
  *dlv = 0.5 * (e - 1.0);
}

/* The multi-scale inverse multiquadratics kernel at squared distance d2 with base constant
 * c_base = 2 D sigma2: *k = sum_s C_s / (C_s + d2), *dk = d k / d d2 = -sum_s C_s / (C_s + d2)^2. */
DF_HD void df_imq_kernel(double d2, double c_base, double *k, double *dk) {
  const double scales[DF_MMD_N_SCALES] = {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0};
  double sum = 0, dsum = 0;
  for (int s = 0; s < DF_MMD_N_SCALES; s++) {
    double c = c_base * scales[s], r = 1.0 / (c + d2);
    sum += c * r;
    dsum -= c * r * r;
  }
  *k = sum;
  *dk = dsum;
}

/* Squared distance between two rows of d floats, in double. */
DF_HD double df_sq_dist(const float *a, const float *b, int64_t d) {
  double s = 0;
  for (int64_t k = 0; k < d; k++) {
    double t = (double)a[k] - (double)b[k];
    s += t * t;
  }
  return s;
}

#endif
