/* One training step of the spectrogram autoencoders and the dataset statistics they keep.
 *
 *   loss = w MSE(decoder(z), x) + beta KL            (VAE: z = mean + exp(logvar / 2) eps)
 *   loss = w MSE(decoder(z), x) + lambda MMD(z, p)    (WAE: z = encoder(x), p ~ N(0, sigma^2 I))
 *   loss = w MSE(decoder(z), x)                       (plain autoencoder: a VAE with beta = 0)
 * with x the normalised spectrogram of the batch, MSE the mean over every value (Keras'
 * mean over pixels and batch) and KL the batch mean of each example's KL sum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/loss.h"
#include "models/batch_buffers.h"
#include "models/specae/specae.h"

#define SA_TRAIN_BATCH_TENSORS 9

/* Every batch-sized training tensor, for models/batch_buffers.h. The audio's name (written into
 * audio_name) tells a user whose dataset has another example length what the model expects. */
static void batch_tensors(sa_model *m, df_batch_tensor t[SA_TRAIN_BATCH_TENSORS], char *audio_name) {
  const sa_config *c = &m->cfg;
  int64_t l = c->length, h = c->bins, w = c->frames, d = c->latent_dim;
  snprintf(audio_name, DF_TENSOR_NAME_LEN, "audio batch (spectrogram.length = %lld)", (long long)l);
  df_tensor *b = m->train_buffers;
  const df_batch_tensor all[SA_TRAIN_BATCH_TENSORS] = {
      {&b[0], &m->audio, DF_F32, 0, 2, {1, l}, audio_name},
      {&b[1], &m->spec, DF_F32, 0, 3, {1, h, w}, "spectrograms"},
      {&b[2], &m->diff, DF_F32, 0, 3, {1, h, w}, "reconstruction error"},
      {&b[3], &m->lo, DF_F32, 0, 0, {0}, "dB minima"},
      {&b[4], &m->hi, DF_F32, 0, 0, {0}, "dB maxima"},
      {&b[5], &m->eps, DF_F32, 0, 1, {d}, "latent noise"},
      {&b[6], &m->prior, DF_F32, 0, 1, {d}, "prior samples"},
      {&b[7], &m->z, DF_F32, 0, 1, {d}, "latents"},
      {&m->labels_buf, NULL, DF_I32, 1, 0, {0}, "labels"}};
  memcpy(t, all, sizeof all);
}

void sa_train_free(sa_model *m) {
  df_batch_tensor t[SA_TRAIN_BATCH_TENSORS];
  char audio_name[DF_TENSOR_NAME_LEN];
  batch_tensors(m, t, audio_name);
  df_batch_free(t, SA_TRAIN_BATCH_TENSORS, &m->capacity);
  m->labels = NULL;
}

df_status sa_train_reserve(sa_model *m, int64_t n) {
  df_batch_tensor t[SA_TRAIN_BATCH_TENSORS];
  char audio_name[DF_TENSOR_NAME_LEN];
  batch_tensors(m, t, audio_name);
  df_status s = df_batch_reserve(t, SA_TRAIN_BATCH_TENSORS, m->device, &m->capacity, n);
  m->labels = m->labels_buf.data;
  return s;
}

/* Mean squared error of the decoded batch against the input; m->diff becomes d loss / d y. */
static df_status reconstruction(sa_model *m, double *mse) {
  const df_tensor *y = sa_decoded(&m->net, &m->cfg);
  double ss;
  DF_TRY(df_sub(y, &m->spec, &m->diff));
  DF_TRY(df_sum_squares(&m->diff, &ss));
  double count = (double)df_tensor_numel(&m->diff);
  *mse = ss / count;
  return df_scale(&m->diff, (float)(2.0 * m->cfg.recon_weight / count), &m->diff);
}

df_status sa_loss_gradients(sa_model *m, const int32_t *labels, df_rng *rng, sa_losses *out) {
  const sa_config *c = &m->cfg;
  sa_net *net = &m->net;
  DF_TRY(sa_encode(net, c, &m->spec, labels, 1));
  int stochastic = sa_stochastic(c);
  if (stochastic) {
    DF_TRY(df_rng_normal(rng, &m->eps, 0.0f, 1.0f));
    DF_TRY(df_reparameterize(&net->mean, &net->logvar, &m->eps, &m->z));
  } else {
    DF_TRY(df_tensor_copy(&m->z, &net->mean));
  }
  DF_TRY(sa_decode(net, c, &m->z, labels, 1));
  DF_TRY(reconstruction(m, &out->recon));
  DF_TRY(df_param_set_zero_grad(&net->params));
  DF_TRY(sa_decode_backward(net, c, &m->diff));
  out->loss = c->recon_weight * out->recon;
  out->reg = 0;
  float reg = 0;
  if (stochastic) {
    DF_TRY(df_kl_normal(&net->mean, &net->logvar, c->beta, &net->d_mean, &net->d_logvar, &reg));
    DF_TRY(df_reparameterize_backward(&net->logvar, &m->eps, &net->d_z, &net->d_mean, &net->d_logvar));
    out->loss += (double)c->beta * reg;
  } else if (c->kind == SA_WAE) {
    DF_TRY(df_rng_normal(rng, &m->prior, 0.0f, c->prior_sigma));
    DF_TRY(df_mmd_imq(&m->z, &m->prior, c->prior_sigma * c->prior_sigma, c->mmd_lambda, &net->d_mean, &reg));
    DF_TRY(df_add(&net->d_mean, &net->d_z, &net->d_mean));
    out->loss += (double)c->mmd_lambda * reg;
  } else {
    DF_TRY(df_tensor_copy(&net->d_mean, &net->d_z));
  }
  out->reg = reg;
  return sa_encode_backward(net, c, &m->spec);
}

df_status sa_train_step(sa_model *m, const df_train_data *data, df_rng *rng, df_metrics *out) {
  const sa_config *c = &m->cfg;
  DF_TRY(sa_train_reserve(m, data->batch_size));
  DF_TRY(data->next_batch(data->ctx, &m->audio, m->labels));
  const int32_t *labels = c->n_classes ? m->labels : NULL;
  DF_TRY(sa_analyse(&m->fe, c, &m->audio, &m->spec, &m->lo, &m->hi));
  sa_losses l;
  DF_TRY(sa_loss_gradients(m, labels, rng, &l)); /* validates the labels first */
  /* The encoder uploaded this batch's labels. */
  DF_TRY(sa_stats_update(m, &m->lo, &m->hi, labels ? &m->net.labels_dev : NULL));
  float norm = 0;
  int finite = 1;
  if (c->clip_norm > 0) {
    /* A non-finite gradient norm is the step diverging, not a failure of the step: its
     * metrics say so, and the trainer stops or rolls back (train.on_nan) as for a non-finite
     * loss. The weights are not updated. */
    df_status s = df_param_set_clip(&m->net.params, c->clip_norm, &norm);
    if (s != DF_ERR_NUMERIC) DF_TRY(s);
    finite = s == DF_OK;
  }
  if (finite) DF_TRY(df_param_set_adam(&m->net.params));
  df_metrics_set(out, "loss", l.loss);
  df_metrics_set(out, "recon", l.recon);
  if (sa_stochastic(c)) df_metrics_set(out, "kl", l.reg);
  if (c->kind == SA_WAE) df_metrics_set(out, "mmd", l.reg);
  if (c->clip_norm > 0) df_metrics_set(out, "grad_norm", norm);
  return DF_OK;
}

/* ---------------------------------------------------------------- dataset statistics */
df_status sa_stats_update(sa_model *m, const df_tensor *lo, const df_tensor *hi, const df_tensor *classes) {
  return df_minmax_range_update(&m->net.stats->value, lo, hi, classes);
}

void sa_stats_range(const sa_model *m, const float *stats, int label, float *lo, float *hi) {
  int64_t k = m->net.stats->value.shape[0];
  const float *row = stats + 3 * (label >= 0 && label < k ? label : 0);
  if (row[0] > 0) {
    *lo = row[1];
    *hi = row[2];
    return;
  }
  /* A class never seen: the mean over all classes; an untrained model: 0 dB down to -top_db. */
  double count = 0, sl = 0, sh = 0;
  for (int64_t i = 0; i < k; i++) {
    count += stats[3 * i];
    sl += (double)stats[3 * i] * stats[3 * i + 1];
    sh += (double)stats[3 * i] * stats[3 * i + 2];
  }
  *lo = count > 0 ? (float)(sl / count) : -m->cfg.top_db;
  *hi = count > 0 ? (float)(sh / count) : 0.0f;
}
