/* WaveGAN training: one critic update, one generator update, and the iteration that runs
 * critic_steps of the first and one of the second (the official schedule). */
#include <string.h>

#include "models/batch_buffers.h"
#include "models/wavegan/wavegan_internal.h"

static int uses_penalty(const df_wavegan_config *c) { return c->loss == DF_GAN_WGAN_GP; }

/* Every batch-sized training tensor, for models/batch_buffers.h. */
static void batch_tensors(df_wavegan *m, df_batch_tensor t[WG_TRAIN_BUFFERS]) {
  const df_wavegan_config *c = &m->cfg;
  df_tensor *b = m->buffers;
  const df_batch_tensor all[WG_TRAIN_BUFFERS] = {
      {&b[0], &m->real, DF_F32, 0, 2, {c->channels, c->slice_len}, "real batch"},
      {&b[1], &m->z, DF_F32, 0, 1, {c->latent_dim}, "latents"},
      {&b[2], &m->alpha, DF_F32, 0, 0, {0}, "interpolation weights"},
      {&b[3], &m->u, DF_F32, 0, 2, {c->channels, c->slice_len}, "penalty direction"},
      {&b[4], &m->real_labels, DF_I32, 1, 0, {0}, "labels"},
      {&b[5], &m->labels, DF_I32, 1, 0, {0}, "generator step labels"}};
  memcpy(t, all, sizeof all);
}

void wg_train_free(df_wavegan *m) {
  df_batch_tensor t[WG_TRAIN_BUFFERS];
  batch_tensors(m, t);
  df_batch_free(t, WG_TRAIN_BUFFERS, &m->capacity);
}

/* The training scratch for a batch of n: grown to the largest batch yet, never shrunk. */
static df_status reserve(df_wavegan *m, int64_t n) {
  df_batch_tensor t[WG_TRAIN_BUFFERS];
  batch_tensors(m, t);
  return df_batch_reserve(t, WG_TRAIN_BUFFERS, m->device, &m->capacity, n);
}

df_status wg_critic_gradients(df_wavegan *m, const df_tensor *real, const df_tensor *fake,
                              const df_tensor *alpha, const int32_t *labels,
                              df_wavegan_stats *stats) {
  const df_wavegan_config *c = &m->cfg;
  wg_critic *d = &m->d;
  int64_t n = real->shape[0];
  int gp = uses_penalty(c), groups = gp ? 3 : 2;
  int64_t rows = groups * n;
  DF_TRY(reserve(m, n));
  DF_TRY(wg_critic_reserve(d, rows));
  df_tensor xr, xf, xh;
  DF_TRY(df_tensor_slice0(&d->x[0], 0, n, &xr));
  DF_TRY(df_tensor_slice0(&d->x[0], n, n, &xf));
  DF_TRY(df_tensor_copy(&xr, real));
  DF_TRY(df_tensor_copy(&xf, fake));
  if (gp) { /* xhat = real + alpha (fake - real), alpha per example */
    DF_TRY(df_tensor_slice0(&d->x[0], 2 * n, n, &xh));
    DF_TRY(df_sub(fake, real, &xh));
    DF_TRY(df_scale_per_example(&xh, alpha, &xh));
    DF_TRY(df_add(&xh, real, &xh));
  }
  /* Labels per row: the fakes and the interpolates take the real rows' classes. */
  int32_t *row_labels = d->row_labels.data;
  if (c->n_classes)
    for (int g = 0; g < groups; g++) memcpy(row_labels + g * n, labels, sizeof(int32_t) * (size_t)n);
  df_status s = wg_critic_forward(d, c, rows, groups, row_labels);
  df_tensor sr, sf, dr, dfk;
  float loss = 0, wdist = 0, pen = 0, slope = 0;
  if (s == DF_OK) s = df_tensor_slice0(&d->out, 0, n, &sr);
  if (s == DF_OK) s = df_tensor_slice0(&d->out, n, n, &sf);
  if (s == DF_OK) s = df_tensor_slice0(&d->dout, 0, n, &dr);
  if (s == DF_OK) s = df_tensor_slice0(&d->dout, n, n, &dfk);
  if (s == DF_OK) s = df_gan_critic_loss(c->loss, &sr, &sf, &dr, &dfk, &loss, &wdist);
  if (s == DF_OK && gp) {
    /* The xhat rows back-propagate d D / d D = 1 each: their input gradient is g. */
    df_tensor dh;
    s = df_tensor_slice0(&d->dout, 2 * n, n, &dh);
    if (s == DF_OK) s = df_fill(&dh, 1.0f);
  }
  /* Zeroed before the input backward: it accumulates the batch-norm scale and shift
   * gradients, which the weight pass below does not compute. */
  if (s == DF_OK) s = df_param_set_zero_grad(&d->params);
  if (s == DF_OK) s = wg_critic_backward_input(d, c, rows, groups, gp ? 2 * n : rows);
  if (s == DF_OK && gp) {
    df_tensor g;
    s = df_tensor_slice0(&d->dx0, 2 * n, n, &g);
    if (s == DF_OK) s = df_gradient_penalty(&g, c->gp_lambda, &m->u, &pen, &slope);
    if (s == DF_OK) s = wg_critic_tangent(d, c, 2 * n, n, &m->u);
  }
  /* Penalty rows carry weight gradients but no bias gradients. */
  if (s == DF_OK) s = wg_critic_weight_grads(d, c, rows, 2 * n);
  DF_TRY(s);
  stats->d_loss = loss + c->gp_lambda * pen * (gp ? 1.0f : 0.0f);
  stats->wdist = wdist;
  stats->gp = pen;
  stats->mean_slope = slope;
  return DF_OK;
}

/* One phase-shuffle shift per layer per row group (the official code shares a shift across
 * the batch of one critic call; each group here stands for one call). */
static void draw_shifts(df_wavegan *m, int64_t n, int groups, df_rng *rng) {
  int r = m->cfg.phase_shuffle;
  for (int j = 0; j + 1 < m->d.n_conv; j++)
    for (int g = 0; g < groups; g++) {
      int k = r > 0 ? df_rng_int(rng, -r, r) : 0;
      for (int64_t i = 0; i < n; i++) m->d.shifts[j][g * n + i] = k;
    }
}

df_status df_wavegan_critic_step(df_wavegan *m, const df_tensor *real, const int32_t *labels,
                                 df_rng *rng, df_wavegan_stats *stats) {
  const df_wavegan_config *c = &m->cfg;
  int64_t n = real->shape[0];
  int groups = uses_penalty(c) ? 3 : 2;
  DF_TRY(reserve(m, n));
  DF_TRY(wg_critic_reserve(&m->d, groups * n));
  DF_TRY(df_rng_uniform(rng, &m->z, -1.0f, 1.0f));
  DF_TRY(df_rng_uniform(rng, &m->alpha, 0.0f, 1.0f));
  draw_shifts(m, n, groups, rng);
  DF_TRY(wg_generator_forward(&m->g, c, &m->z, labels, WG_TRAIN_NO_UPDATE));
  DF_TRY(wg_critic_gradients(m, real, wg_generator_output(&m->g, c), &m->alpha, labels, stats));
  return df_param_set_adam(&m->d.params);
}

df_status df_wavegan_generator_step(df_wavegan *m, int64_t n, df_rng *rng, df_wavegan_stats *stats) {
  const df_wavegan_config *c = &m->cfg;
  DF_TRY(reserve(m, n));
  DF_TRY(wg_critic_reserve(&m->d, n));
  DF_TRY(df_rng_uniform(rng, &m->z, -1.0f, 1.0f));
  int32_t *labels = m->labels.data;
  if (c->n_classes)
    for (int64_t i = 0; i < n; i++) labels[i] = df_rng_int(rng, 0, c->n_classes - 1);
  draw_shifts(m, n, 1, rng);
  DF_TRY(wg_generator_forward(&m->g, c, &m->z, labels, WG_TRAIN));
  df_tensor x0, scores, dscores, dfake;
  DF_TRY(df_tensor_slice0(&m->d.x[0], 0, n, &x0));
  DF_TRY(df_tensor_copy(&x0, wg_generator_output(&m->g, c)));
  DF_TRY(wg_critic_forward(&m->d, c, n, 1, labels));
  DF_TRY(df_tensor_slice0(&m->d.out, 0, n, &scores));
  DF_TRY(df_tensor_slice0(&m->d.dout, 0, n, &dscores));
  DF_TRY(df_gan_generator_loss(c->loss, &scores, &dscores, &stats->g_loss));
  DF_TRY(wg_critic_backward_input(&m->d, c, n, 1, 0));
  DF_TRY(df_tensor_slice0(&m->d.dx0, 0, n, &dfake));
  DF_TRY(df_param_set_zero_grad(&m->g.params));
  DF_TRY(wg_generator_backward(&m->g, c, &dfake));
  return df_param_set_adam(&m->g.params);
}

df_status df_wavegan_train_iteration(df_wavegan *m, int64_t batch, int critic_steps,
                                     df_batch_fn next_batch, void *batch_ctx, df_rng *rng,
                                     df_wavegan_stats *stats) {
  const df_wavegan_config *c = &m->cfg;
  DF_TRY(reserve(m, batch));
  int32_t *labels = m->real_labels.data;
  df_status s = DF_OK;
  for (int k = 0; s == DF_OK && k < critic_steps; k++) {
    s = next_batch(batch_ctx, &m->real, labels);
    if (s == DF_OK && c->n_classes)
      for (int64_t i = 0; i < batch && s == DF_OK; i++)
        if (labels[i] < 0 || labels[i] >= c->n_classes)
          s = DF_FAIL(DF_ERR_INVALID_ARG, "conditional WaveGAN: example %lld of the batch has class %d "
                      "(the model has %d classes; unlabelled examples cannot train it)",
                      (long long)i, labels[i], c->n_classes);
    if (s == DF_OK) s = df_wavegan_critic_step(m, &m->real, labels, rng, stats);
  }
  if (s == DF_OK) s = df_wavegan_generator_step(m, batch, rng, stats);
  return s;
}
