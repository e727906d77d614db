/* WaveGAN: configuration, construction and generation. */
#include <stdlib.h>
#include <string.h>

#include "core/backend.h"
#include "models/conditioning.h"
#include "models/wavegan/wavegan_internal.h"

df_status df_wavegan_config_read(df_config *cfg, int data_classes, df_wavegan_config *out) {
  memset(out, 0, sizeof *out);
  long v;
  double f;
  int b;
  DF_TRY(df_config_int(cfg, "model.d", 64, 1, 1024, &v));
  out->d = (int)v;
  DF_TRY(df_config_int(cfg, "model.slice_len", 16384, 16384, 65536, &v));
  if (v != 16384 && v != 32768 && v != 65536)
    return DF_CONFIG_FAIL(cfg, "model.slice_len", "%ld is not 16384, 32768 or 65536", v);
  out->slice_len = (int)v;
  DF_TRY(df_config_int(cfg, "model.channels", 1, 1, 2, &v));
  out->channels = (int)v;
  DF_TRY(df_config_int(cfg, "model.kernel", 25, 5, 63, &v));
  out->kernel = (int)v;
  DF_TRY(df_config_int(cfg, "model.latent_dim", 100, 1, 4096, &v));
  out->latent_dim = (int)v;
  DF_TRY(df_config_int(cfg, "model.phase_shuffle", 2, 0, 16, &v));
  out->phase_shuffle = (int)v;
  static const char *const ups[] = {"zeros", "nn", NULL};
  int up;
  DF_TRY(df_config_choice(cfg, "model.upsample", "zeros", ups, &up));
  out->upsample = (df_upsample_mode)up;
  if (out->upsample == DF_UPSAMPLE_NN && out->kernel % 2 == 0)
    return DF_CONFIG_FAIL(cfg, df_config_has(cfg, "model.kernel") ? "model.kernel" : "model.upsample",
                          "upsample = nn needs an odd kernel (%d) for a 'same' convolution", out->kernel);
  DF_TRY(df_config_int(cfg, "model.post_filter", 0, 0, 4096, &v));
  out->post_filter = (int)v;
  DF_TRY(df_config_bool(cfg, "model.batchnorm", 0, &b));
  out->batchnorm = b;
  DF_TRY(df_model_read_conditioning(cfg, data_classes, 32, &out->n_classes, &out->class_embed));
  DF_TRY(df_config_float(cfg, "model.leaky_slope", 0.2, 0.001, 1.0, &f));
  out->leaky_slope = (float)f;
  int loss;
  DF_TRY(df_config_choice(cfg, "loss.type", "wgan-gp", df_gan_loss_names, &loss));
  out->loss = (df_gan_loss)loss;
  DF_TRY(df_config_float(cfg, "loss.gp_lambda", 10.0, 0.0, 1e6, &f));
  out->gp_lambda = (float)f;
  /* With WGAN-GP, batch norm applies to the generator only: the penalty is defined per
   * example and critic batch norm mixes the examples of a batch (the WGAN-GP paper's advice). */
  return DF_OK;
}

df_status df_wavegan_create(const df_wavegan_config *cfg, df_device dev, df_rng *rng,
                            const df_adam_config *adam_g, const df_adam_config *adam_d,
                            df_wavegan **out) {
  df_wavegan *m = calloc(1, sizeof *m);
  if (!m) return DF_FAIL(DF_ERR_OOM, "wavegan");
  m->cfg = *cfg;
  m->device = dev;
  df_status s = wg_generator_build(&m->g, cfg, dev, rng, adam_g);
  if (s == DF_OK) s = wg_critic_build(&m->d, cfg, dev, rng, adam_d);
  if (s != DF_OK) {
    df_wavegan_free(m);
    return s;
  }
  *out = m;
  return DF_OK;
}

void df_wavegan_free(df_wavegan *m) {
  if (!m) return;
  wg_generator_free(&m->g, &m->cfg);
  wg_critic_free(&m->d);
  wg_train_free(m);
  free(m);
}

df_param_set *df_wavegan_generator_params(df_wavegan *m) { return &m->g.params; }
df_param_set *df_wavegan_critic_params(df_wavegan *m) { return &m->d.params; }
const df_wavegan_config *df_wavegan_get_config(const df_wavegan *m) { return &m->cfg; }

df_status df_wavegan_generate(df_wavegan *m, const df_tensor *z, const int32_t *labels,
                              df_tensor *out) {
  const df_wavegan_config *c = &m->cfg;
  const char *fn = "df_wavegan_generate";
  DF_TRY(df_check_shape(fn, z, 2, (int64_t[]){z->shape[0], c->latent_dim}));
  DF_TRY(df_check_shape(fn, out, 3, (int64_t[]){z->shape[0], c->channels, c->slice_len}));
  if (c->n_classes) {
    if (!labels) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: a conditional model needs class labels", fn);
    for (int64_t i = 0; i < z->shape[0]; i++)
      if (labels[i] < 0 || labels[i] >= c->n_classes)
        return DF_FAIL(DF_ERR_INVALID_ARG, "%s: class %d of example %lld is outside [0, %d)", fn,
                       labels[i], (long long)i, c->n_classes);
  }
  DF_TRY(wg_generator_forward(&m->g, c, z, labels, WG_INFER));
  return df_tensor_copy(out, wg_generator_output(&m->g, c));
}
