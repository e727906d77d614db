/* WaveGAN as a trainable model type for the trainer (include/drumforge/train.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/train.h"
#include "models/preview.h"
#include "models/wavegan/wavegan_internal.h"

typedef struct wavegan_model {
  df_wavegan *m;
  int critic_steps;
} wavegan_model;

static df_status create(df_config *cfg, df_device dev, const df_train_data *data, df_rng *init_rng,
                        void **out) {
  df_wavegan_config c;
  DF_TRY(df_wavegan_config_read(cfg, data ? data->n_classes : 0, &c));
  df_adam_config ag, ad;
  DF_TRY(df_adam_config_read(cfg, "optim.lr_g", 1e-4, 0.5, 0.9, &ag));
  DF_TRY(df_adam_config_read(cfg, "optim.lr_d", 1e-4, 0.5, 0.9, &ad));
  long critic_steps;
  DF_TRY(df_config_int(cfg, "optim.critic_steps", 5, 1, 100, &critic_steps));
  wavegan_model *w = calloc(1, sizeof *w);
  if (!w) return DF_FAIL(DF_ERR_OOM, "wavegan model");
  w->critic_steps = (int)critic_steps;
  df_status s = df_wavegan_create(&c, dev, init_rng, &ag, &ad, &w->m);
  if (s) {
    free(w);
    return s;
  }
  *out = w;
  return DF_OK;
}

static void destroy(void *model) {
  wavegan_model *w = model;
  if (!w) return;
  df_wavegan_free(w->m);
  free(w);
}

static int n_param_sets(void *model) { return 2; }

static df_param_set *param_set(void *model, int i) {
  wavegan_model *w = model;
  return i == 0 ? df_wavegan_generator_params(w->m) : df_wavegan_critic_params(w->m);
}

static df_status train_step(void *model, const df_train_data *data, df_rng *rng, df_metrics *out) {
  wavegan_model *w = model;
  df_wavegan_stats st = {0};
  DF_TRY(df_wavegan_train_iteration(w->m, data->batch_size, w->critic_steps, data->next_batch, data->ctx,
                                    rng, &st));
  df_metrics_set(out, "d_loss", st.d_loss);
  df_metrics_set(out, "g_loss", st.g_loss);
  if (df_wavegan_get_config(w->m)->loss == DF_GAN_WGAN_GP) {
    df_metrics_set(out, "gp", st.gp);
    df_metrics_set(out, "slope", st.mean_slope);
  }
  df_metrics_set(out, "wdist", st.wdist);
  return DF_OK;
}

extern const df_model_type df_wavegan_model_type;

static df_status preview(void *model, const char *dir, uint64_t seed, int count, int sample_rate,
                         const char *const *class_names, const int64_t *class_examples) {
  return df_model_write_previews(&df_wavegan_model_type, model, dir, seed, count, sample_rate, class_names,
                                 class_examples);
}

static int latent_dim(void *model) { return df_wavegan_get_config(((wavegan_model *)model)->m)->latent_dim; }
static int n_classes(void *model) { return df_wavegan_get_config(((wavegan_model *)model)->m)->n_classes; }

static void audio_shape(void *model, int *channels, int64_t *length) {
  const df_wavegan_config *c = df_wavegan_get_config(((wavegan_model *)model)->m);
  *channels = c->channels;
  *length = c->slice_len;
}

/* WaveGAN's prior: uniform in [-1, 1]; truncation t draws from [-t, t]. */
static df_status sample_latents(void *model, df_rng *rng, float truncation, df_tensor *z) {
  return df_rng_uniform(rng, z, -truncation, truncation);
}

static float prior_scale(void *model) { return 1.0f; }

static df_status decode(void *model, const df_tensor *z, const int32_t *labels, df_tensor *audio) {
  return df_wavegan_generate(((wavegan_model *)model)->m, z, labels, audio);
}

const df_model_type df_wavegan_model_type = {
    .name = "wavegan",
    .create = create,
    .destroy = destroy,
    .n_param_sets = n_param_sets,
    .param_set = param_set,
    .train_step = train_step,
    .preview = preview,
    .latent_dim = latent_dim,
    .n_classes = n_classes,
    .audio_shape = audio_shape,
    .sample_latents = sample_latents,
    .prior_scale = prior_scale,
    .decode = decode,
    .encode = NULL,
    .reconstruct = NULL,
};
