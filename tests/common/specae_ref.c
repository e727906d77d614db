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

void df_test_specae_perturb(df_param_set *set) {
  for (int i = 0; i < set->n; i++) {
    df_param *p = set->items[i];
    int gamma = strstr(p->name, "bn.weight") != NULL;
    if (p->trainable && (strstr(p->name, "bias") || gamma))
      df_test_fill_uniform(p->value.data, df_tensor_numel(&p->value), 100 + (uint64_t)i, gamma ? 0.5f : -0.2f,
                           gamma ? 1.5f : 0.2f);
  }
}
