/* CPU reference of the GAN losses and the gradient penalty, and the CPU loss table (the
 * latent losses are in latent_cpu.c). Sums in double, in order. */
#include <math.h>

#include "loss/gan_terms.h"
#include "loss/loss_backend.h"

static df_status cpu_gan_critic(df_gan_loss kind, const df_tensor *real, const df_tensor *fake,
                                df_tensor *dreal, df_tensor *dfake, float *loss, float *wdist) {
  int64_t n = real->shape[0];
  const float *r = real->data, *f = fake->data;
  float *dr = dreal->data, *dff = dfake->data;
  double total = 0, mr = 0, mf = 0;
  for (int64_t i = 0; i < n; i++) {
    double v, g;
    df_gan_critic_term(kind, 1, r[i], &v, &g);
    total += v;
    dr[i] = (float)(g / (double)n);
    df_gan_critic_term(kind, 0, f[i], &v, &g);
    total += v;
    dff[i] = (float)(g / (double)n);
    mr += r[i];
    mf += f[i];
  }
  *loss = (float)(total / (double)n);
  *wdist = (float)((mr - mf) / (double)n);
  return DF_OK;
}

static df_status cpu_gan_generator(df_gan_loss kind, const df_tensor *fake, df_tensor *dfake,
                                   float *loss) {
  int64_t n = fake->shape[0];
  const float *f = fake->data;
  float *dff = dfake->data;
  double total = 0;
  for (int64_t i = 0; i < n; i++) {
    double v, g;
    df_gan_generator_term(kind, f[i], &v, &g);
    total += v;
    dff[i] = (float)(g / (double)n);
  }
  *loss = (float)(total / (double)n);
  return DF_OK;
}

static df_status cpu_gradient_penalty(const df_tensor *g, float lambda, df_tensor *u, float *gp,
                                      float *mean_slope) {
  int64_t n = g->shape[0], inner = df_tensor_inner(g);
  const float *gd = g->data;
  float *ud = u->data;
  double total = 0, slopes = 0;
  for (int64_t i = 0; i < n; i++) {
    const float *gi = gd + i * inner;
    double ss = 0;
    for (int64_t k = 0; k < inner; k++) ss += (double)gi[k] * gi[k];
    double slope = sqrt(ss);
    total += (slope - 1) * (slope - 1);
    slopes += slope;
    double factor = df_gp_factor(slope, lambda, (double)n);
    float *ui = ud + i * inner;
    for (int64_t k = 0; k < inner; k++) ui[k] = (float)(factor * gi[k]);
  }
  *gp = (float)(total / (double)n);
  *mean_slope = (float)(slopes / (double)n);
  return DF_OK;
}

const df_loss_backend *df_cpu_loss_backend(void) {
  static const df_loss_backend table = {cpu_gan_critic,           cpu_gan_generator,
                                        cpu_gradient_penalty,     df_cpu_kl_normal,
                                        df_cpu_reparameterize,    df_cpu_reparameterize_backward,
                                        df_cpu_mmd_imq};
  return &table;
}
