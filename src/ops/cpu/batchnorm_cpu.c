/* Batch normalisation with PyTorch's semantics: statistics per channel over (N, spatial),
 * accumulated in double in a fixed order; the biased variance normalises, the unbiased one
 * enters running_var. x is viewed as [N, C, S]; channels run in parallel. */
#include <math.h>

#include "ops/cpu/nn_cpu.h"

typedef struct bn_view {
  int64_t n, c, s;
} bn_view;

static bn_view view_of(const df_tensor *x) {
  bn_view v = {x->shape[0], x->shape[1], 1};
  for (int i = 2; i < x->ndim; i++) v.s *= x->shape[i];
  return v;
}

/* Channel ch of y = x a + b (PyTorch's CPU form of (x - mean) invstd gamma + beta). */
static void normalise_channel(const bn_view *v, int64_t ch, const float *x, double a, double b,
                              float *y) {
  const float af = (float)a, bf = (float)b;
  for (int64_t e = 0; e < v->n; e++) {
    const int64_t off = (e * v->c + ch) * v->s;
    for (int64_t k = 0; k < v->s; k++) y[off + k] = x[off + k] * af + bf;
  }
}

df_status df_cpu_batchnorm_forward_train(const df_tensor *x, const df_tensor *gamma,
                                         const df_tensor *beta, df_tensor *running_mean,
                                         df_tensor *running_var, float momentum, float eps,
                                         df_tensor *y, df_tensor *save_mean,
                                         df_tensor *save_invstd) {
  const bn_view v = view_of(x);
  const float *xd = x->data, *g = gamma->data, *bt = beta->data;
  float *mean_out = save_mean->data, *invstd_out = save_invstd->data;
  float *rm = running_mean ? running_mean->data : NULL;
  float *rv = running_var ? running_var->data : NULL;
  const double count = (double)(v.n * v.s), m = momentum;
#pragma omp parallel for schedule(static) if (v.n * v.c * v.s > 65536)
  for (int64_t ch = 0; ch < v.c; ch++) {
    double sum = 0, sq = 0;
    for (int64_t e = 0; e < v.n; e++) {
      const float *row = xd + (e * v.c + ch) * v.s;
      for (int64_t k = 0; k < v.s; k++) sum += row[k];
    }
    const double mean = sum / count;
    for (int64_t e = 0; e < v.n; e++) {
      const float *row = xd + (e * v.c + ch) * v.s;
      for (int64_t k = 0; k < v.s; k++) sq += (row[k] - mean) * (row[k] - mean);
    }
    const double invstd = 1.0 / sqrt(sq / count + (double)eps);
    mean_out[ch] = (float)mean;
    invstd_out[ch] = (float)invstd;
    if (rm) rm[ch] = (float)((1.0 - m) * rm[ch] + m * mean);
    if (rv) rv[ch] = (float)((1.0 - m) * rv[ch] + m * sq / (count - 1.0));
    const double a = invstd * g[ch];
    normalise_channel(&v, ch, xd, a, bt[ch] - mean * a, y->data);
  }
  return DF_OK;
}

df_status df_cpu_batchnorm_forward_infer(const df_tensor *x, const df_tensor *gamma,
                                         const df_tensor *beta, const df_tensor *running_mean,
                                         const df_tensor *running_var, float eps, df_tensor *y) {
  const bn_view v = view_of(x);
  const float *g = gamma->data, *bt = beta->data;
  const float *rm = running_mean->data, *rv = running_var->data;
#pragma omp parallel for schedule(static) if (v.n * v.c * v.s > 65536)
  for (int64_t ch = 0; ch < v.c; ch++) {
    const double a = g[ch] / sqrt((double)rv[ch] + (double)eps);
    normalise_channel(&v, ch, x->data, a, bt[ch] - rm[ch] * a, y->data);
  }
  return DF_OK;
}

/* With xhat = (x - mean) invstd:  dbeta += sum dy,  dgamma += sum dy xhat,
 * dx = gamma invstd (dy - mean(dy) - xhat mean(dy xhat)). */
df_status df_cpu_batchnorm_backward(const df_tensor *x, const df_tensor *gamma,
                                    const df_tensor *dy, const df_tensor *save_mean,
                                    const df_tensor *save_invstd, df_tensor *dx,
                                    df_tensor *dgamma, df_tensor *dbeta) {
  const bn_view v = view_of(x);
  const float *xd = x->data, *dyd = dy->data, *g = gamma->data;
  const float *mean = save_mean->data, *invstd = save_invstd->data;
  float *dxd = dx ? dx->data : NULL, *dg = dgamma ? dgamma->data : NULL;
  float *dbt = dbeta ? dbeta->data : NULL;
  const double count = (double)(v.n * v.s);
#pragma omp parallel for schedule(static) if (v.n * v.c * v.s > 65536)
  for (int64_t ch = 0; ch < v.c; ch++) {
    const double mu = mean[ch], is = invstd[ch];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t e = 0; e < v.n; e++) {
      const int64_t off = (e * v.c + ch) * v.s;
      for (int64_t k = 0; k < v.s; k++) {
        sum_dy += dyd[off + k];
        sum_dy_xhat += dyd[off + k] * ((xd[off + k] - mu) * is);
      }
    }
    if (dbt) dbt[ch] += (float)sum_dy;
    if (dg) dg[ch] += (float)sum_dy_xhat;
    if (!dxd) continue;
    const double mean_dy = sum_dy / count, mean_dy_xhat = sum_dy_xhat / count;
    const double k_in = g[ch] * is;
    for (int64_t e = 0; e < v.n; e++) {
      const int64_t off = (e * v.c + ch) * v.s;
      for (int64_t k = 0; k < v.s; k++) {
        const double xhat = (xd[off + k] - mu) * is;
        dxd[off + k] = (float)(k_in * (dyd[off + k] - mean_dy - xhat * mean_dy_xhat));
      }
    }
  }
  return DF_OK;
}
