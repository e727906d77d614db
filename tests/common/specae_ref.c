#include "common/specae_ref.h"

#include <stdio.h>
#include <string.h>

#include "common/testlib.h"

void df_test_specae_config_json(const sa_config *c, char *buf, size_t len) {
  char filters[128] = "", strides[256] = "";
  for (int i = 0; i < c->n_layers; i++) {
    snprintf(filters + strlen(filters), sizeof filters - strlen(filters), "%s%d", i ? ", " : "", c->filters[i]);
    snprintf(strides + strlen(strides), sizeof strides - strlen(strides), "%s[%d, %d]", i ? ", " : "",
             c->strides[i][0], c->strides[i][1]);
  }
  snprintf(buf, len,
           "{\"kind\": \"%s\", \"filters\": [%s], \"strides\": [%s], \"kernel\": %d, \"latent\": %d, \"classes\": %d, "
           "\"beta\": %.9g, \"mmd_lambda\": %.9g, \"sigma\": %.9g, \"recon_weight\": %.9g, \"n_fft\": %d, \"hop\": %d, \"mel_bands\": %d, "
           "\"frames\": %d, \"top_db\": %.9g, \"lr\": %.9g, \"beta1\": %.9g, \"beta2\": %.9g, \"eps\": %.9g, "
           "\"clip_norm\": %.9g}",
           c->kind == SA_VAE ? "vae" : "wae", filters, strides, c->kernel, c->latent_dim, c->n_classes, c->beta,
           c->mmd_lambda, c->prior_sigma, c->recon_weight, c->n_fft, c->hop, c->mel_bands, c->frames, c->top_db, c->adam.lr,
           c->adam.beta1, c->adam.beta2, c->adam.eps, c->clip_norm);
}

void df_test_specae_config_text(int conditional, const char *extra, char *text, size_t len) {
  snprintf(text, len,
           "[model]\nfilters = 3, 4, 5\nstrides = 2, (2, 1), 2\nkernel = 3\nlatent_dim = 4\nconditional = %s\n"
           "class_embed = 3\n[spectrogram]\nlength = 128\nn_fft = 32\nhop = 8\nframes = 8\n%s",
           conditional ? "true" : "false", extra);
}

df_status df_test_specae_create(const df_model_type *type, const char *text, const char *name, df_device dev,
                                const df_train_data *data, sa_model **out) {
  df_config *cfg;
  DF_TRY(df_config_parse(text, name, &cfg));
  df_rng rng;
  df_rng_init(&rng, 7);
  void *model = NULL;
  df_status s = type->create(cfg, dev, data, &rng, &model);
  df_config_free(cfg);
  DF_TRY(s);
  df_param_set *set = &((sa_model *)model)->net.params;
  for (int i = 0; !s && i < set->n; i++) {
    df_param *p = set->items[i];
    int gamma = strstr(p->name, "bn.weight") != NULL;
    if (!p->trainable || !(strstr(p->name, "bias") || gamma)) continue;
    int64_t count = df_tensor_numel(&p->value);
    float values[64]; /* the small model's widest bias has 20 values */
    if (count > 64) s = DF_FAIL(DF_ERR_INVALID_ARG, "test model: %s has more than 64 values", p->name);
    df_test_fill_uniform(values, count > 64 ? 0 : count, 100 + (uint64_t)i, gamma ? 0.5f : -0.2f, gamma ? 1.5f : 0.2f);
    if (!s) s = df_tensor_from_host(&p->value, values, count);
  }
  if (s) {
    type->destroy(model);
    return s;
  }
  *out = model;
  return DF_OK;
}
