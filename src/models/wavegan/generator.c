/* WaveGAN's generator: z (joined with a class embedding when conditional) -> dense ->
 * [N, c0, 16] -> (batch norm) -> ReLU -> up-convolutions -> tanh -> optional post-filter. */
#include <stdio.h>
#include <string.h>

#include "models/batch_buffers.h"
#include "models/wavegan/wavegan_internal.h"

df_status wg_generator_build(wg_generator *g, const df_wavegan_config *c, df_device dev,
                             df_rng *rng, const df_adam_config *adam) {
  memset(g, 0, sizeof *g);
  df_param_set_init(&g->params, "G", dev, adam);
  df_param_set *ps = &g->params;
  g->n_up = df_wavegan_n_layers(c);
  g->c0 = wg_stage_channels(c, 0);
  g->zin_dim = c->latent_dim + (c->n_classes ? c->class_embed : 0);
  if (c->n_classes) {
    DF_TRY(df_param_add(ps, "embed.weight", 1, 2, (int64_t[]){c->n_classes, c->class_embed}, &g->embed));
    DF_TRY(df_param_init_uniform(g->embed, rng, df_glorot_bound(c->n_classes, c->class_embed)));
  }
  int64_t fc_out = 16 * (int64_t)g->c0;
  DF_TRY(df_param_add(ps, "fc.weight", 1, 2, (int64_t[]){fc_out, g->zin_dim}, &g->fc_w));
  DF_TRY(df_param_add(ps, "fc.bias", 1, 1, (int64_t[]){fc_out}, &g->fc_b));
  DF_TRY(df_param_init_uniform(g->fc_w, rng, df_glorot_bound(g->zin_dim, fc_out)));
  if (c->batchnorm)
    DF_TRY(df_param_add_batchnorm(ps, "fc_bn", g->c0, &g->fc_gamma, &g->fc_beta, &g->fc_rmean, &g->fc_rvar));
  int len = 16;
  for (int i = 0; i < g->n_up; i++) {
    wg_up *u = &g->ups[i];
    u->cin = wg_stage_channels(c, i);
    u->cout = wg_stage_channels(c, i + 1);
    u->stride = df_wavegan_stride(c, i);
    u->lin = len;
    u->lout = len * u->stride;
    len = u->lout;
    char name[64];
    snprintf(name, sizeof name, "ups.%d.weight", i);
    if (c->upsample == DF_UPSAMPLE_ZEROS) {
      u->pad = df_wavegan_pad(c->kernel, u->stride);
      DF_TRY(df_param_add(ps, name, 1, 3, (int64_t[]){u->cin, u->cout, c->kernel}, &u->w));
    } else {
      u->pad = c->kernel / 2; /* stride-1 'same' conv after the nearest-neighbour repeat */
      DF_TRY(df_param_add(ps, name, 1, 3, (int64_t[]){u->cout, u->cin, c->kernel}, &u->w));
    }
    DF_TRY(df_param_init_uniform(u->w, rng, df_glorot_bound((int64_t)u->cin * c->kernel,
                                                            (int64_t)u->cout * c->kernel)));
    snprintf(name, sizeof name, "ups.%d.bias", i);
    DF_TRY(df_param_add(ps, name, 1, 1, (int64_t[]){u->cout}, &u->b));
    if (c->batchnorm && i < g->n_up - 1) {
      snprintf(name, sizeof name, "ups_bn.%d", i);
      DF_TRY(df_param_add_batchnorm(ps, name, u->cout, &u->gamma, &u->beta, &u->rmean, &u->rvar));
    }
  }
  for (int s = 0; s < g->n_up && c->batchnorm; s++) {
    int64_t ch = wg_stage_channels(c, s);
    DF_TRY(df_tensor_alloc(&g->bn_mean[s], dev, DF_F32, 1, &ch, "G bn mean"));
    DF_TRY(df_tensor_alloc(&g->bn_invstd[s], dev, DF_F32, 1, &ch, "G bn invstd"));
  }
  if (c->post_filter) {
    int64_t shape[3] = {c->channels, c->channels, c->post_filter};
    DF_TRY(df_param_add(ps, "post.weight", 1, 3, shape, &g->post_w));
    DF_TRY(df_param_init_uniform(g->post_w, rng, df_glorot_bound((int64_t)c->channels * c->post_filter,
                                                        (int64_t)c->channels * c->post_filter)));
  }
  return DF_OK;
}

/* Shape of stage s's activation: [N, channels, length]. */
static void stage_shape(const wg_generator *g, int s, int64_t n, int64_t shape[3]) {
  shape[0] = n;
  shape[1] = s == 0 ? g->c0 : g->ups[s - 1].cout;
  shape[2] = s == 0 ? 16 : g->ups[s - 1].lout;
}

static int stage_has_bn(const wg_generator *g, const df_wavegan_config *c, int s) {
  return c->batchnorm && s < g->n_up;
}

/* Most batch-sized tensors: the views and the three gradient scratch buffers. */
#define WG_G_BATCH_TENSORS (WG_G_VIEWS + 3)

/* Every batch-sized tensor of the generator, for models/batch_buffers.h; returns how many. */
static int batch_tensors(wg_generator *g, const df_wavegan_config *c, df_batch_tensor *t) {
  int k = 0, v = 0;
#define WG_VIEW(view, dtype, dims, name, ...) \
  t[k++] = (df_batch_tensor){&g->buffers[v++], (view), (dtype), 0, (dims), {__VA_ARGS__}, (name)}
  WG_VIEW(&g->zin, DF_F32, 1, "G input", g->zin_dim);
  WG_VIEW(&g->grad_zin, DF_F32, 1, "G d input", g->zin_dim);
  WG_VIEW(&g->labels_dev, DF_I32, 0, "G labels", 0);
  if (c->n_classes) WG_VIEW(&g->emb, DF_F32, 1, "G class embedding", c->class_embed);
  int64_t largest = 0; /* per item */
  for (int s = 0; s <= g->n_up; s++) {
    int64_t shape[3];
    stage_shape(g, s, 1, shape);
    WG_VIEW(&g->act[s], DF_F32, 2, "G stage", shape[1], shape[2]);
    if (stage_has_bn(g, c, s)) WG_VIEW(&g->pre[s], DF_F32, 2, "G stage before bn", shape[1], shape[2]);
    if (shape[1] * shape[2] > largest) largest = shape[1] * shape[2];
    if (s < g->n_up && c->upsample == DF_UPSAMPLE_NN) {
      int64_t up = shape[2] * g->ups[s].stride;
      WG_VIEW(&g->upsampled[s], DF_F32, 2, "G upsampled", shape[1], up);
      if (shape[1] * up > largest) largest = shape[1] * up;
    }
  }
  if (c->post_filter) {
    int64_t full = c->slice_len + (c->post_filter % 2 == 0);
    WG_VIEW(&g->post_full, DF_F32, 2, "G post-filter output", c->channels, full);
    WG_VIEW(&g->out, DF_F32, 2, "G output", c->channels, c->slice_len);
    if (c->channels * full > largest) largest = c->channels * full;
  }
#undef WG_VIEW
  t[k++] = (df_batch_tensor){&g->grad_a, NULL, DF_F32, 0, 1, {largest}, "G grad a"};
  t[k++] = (df_batch_tensor){&g->grad_b, NULL, DF_F32, 0, 1, {largest}, "G grad b"};
  if (c->upsample == DF_UPSAMPLE_NN)
    t[k++] = (df_batch_tensor){&g->grad_c, NULL, DF_F32, 0, 1, {largest}, "G grad upsampled"};
  return k;
}

void wg_generator_free(wg_generator *g, const df_wavegan_config *c) {
  df_batch_tensor t[WG_G_BATCH_TENSORS];
  df_batch_free(t, batch_tensors(g, c, t), &g->capacity);
  for (int i = 0; i <= WG_MAX_LAYERS; i++) {
    df_tensor_free(&g->bn_mean[i]);
    df_tensor_free(&g->bn_invstd[i]);
  }
  df_param_set_free(&g->params);
}

/* Activations for a batch of n: the buffers grow to n when they are smaller, never shrink. */
static df_status reserve(wg_generator *g, const df_wavegan_config *c, int64_t n) {
  df_batch_tensor t[WG_G_BATCH_TENSORS];
  DF_TRY(df_batch_reserve(t, batch_tensors(g, c, t), g->params.device, &g->capacity, n));
  g->batch = n;
  return DF_OK;
}

const df_tensor *wg_generator_output(const wg_generator *g, const df_wavegan_config *c) {
  return c->post_filter ? &g->out : &g->act[g->n_up];
}

static df_status upload_labels(df_tensor *dev, const int32_t *labels, int64_t n) {
  return df_tensor_from_host(dev, (const float *)(const void *)labels, n);
}

/* Batch norm (train: batch statistics; infer: running statistics) of stage s from pre into act. */
static df_status stage_bn(wg_generator *g, int s, df_param *gamma, df_param *beta, df_param *rmean,
                          df_param *rvar, wg_mode mode) {
  /* TensorFlow's defaults: moving averages with decay 0.99, epsilon 1e-3. */
  if (mode != WG_INFER)
    return df_batchnorm_forward_train(&g->pre[s], &gamma->value, &beta->value,
                                      mode == WG_TRAIN ? &rmean->value : NULL,
                                      mode == WG_TRAIN ? &rvar->value : NULL, 0.01f, 1e-3f,
                                      &g->act[s], &g->bn_mean[s], &g->bn_invstd[s]);
  return df_batchnorm_forward_infer(&g->pre[s], &gamma->value, &beta->value, &rmean->value,
                                    &rvar->value, 1e-3f, &g->act[s]);
}

df_status wg_generator_forward(wg_generator *g, const df_wavegan_config *c, const df_tensor *z,
                               const int32_t *labels, wg_mode mode) {
  int64_t n = z->shape[0];
  DF_TRY(reserve(g, c, n));
  /* zin = [z | embed(label)] */
  if (c->n_classes) {
    DF_TRY(upload_labels(&g->labels_dev, labels, n));
    DF_TRY(df_copy_band(z, 0, &g->zin, 0, c->latent_dim));
    DF_TRY(df_embedding_forward(&g->embed->value, &g->labels_dev, &g->emb));
    DF_TRY(df_copy_band(&g->emb, 0, &g->zin, c->latent_dim, c->class_embed));
  } else {
    DF_TRY(df_tensor_copy(&g->zin, z));
  }
  /* Stage 0: dense, reshape to [N, c0, 16], batch norm, ReLU. */
  df_tensor *fc_target = stage_has_bn(g, c, 0) ? &g->pre[0] : &g->act[0];
  df_tensor fc_view;
  DF_TRY(df_tensor_reshape(fc_target, 2, (int64_t[]){n, 16 * (int64_t)g->c0}, &fc_view));
  DF_TRY(df_dense_forward(&g->zin, &g->fc_w->value, &g->fc_b->value, &fc_view));
  if (stage_has_bn(g, c, 0))
    DF_TRY(stage_bn(g, 0, g->fc_gamma, g->fc_beta, g->fc_rmean, g->fc_rvar, mode));
  DF_TRY(df_activation_forward(DF_ACT_RELU, 0, &g->act[0], &g->act[0]));
  /* Up-convolutions. */
  for (int i = 0; i < g->n_up; i++) {
    wg_up *u = &g->ups[i];
    int s = i + 1, last = s == g->n_up;
    df_tensor *target = stage_has_bn(g, c, s) ? &g->pre[s] : &g->act[s];
    if (c->upsample == DF_UPSAMPLE_ZEROS) {
      DF_TRY(df_conv_transpose1d_forward(&g->act[i], &u->w->value, &u->b->value, u->stride, u->pad, target));
    } else {
      DF_TRY(df_upsample_nearest1d_forward(&g->act[i], u->stride, &g->upsampled[i]));
      DF_TRY(df_conv1d_forward(&g->upsampled[i], &u->w->value, &u->b->value, 1, u->pad, target));
    }
    if (stage_has_bn(g, c, s)) DF_TRY(stage_bn(g, s, u->gamma, u->beta, u->rmean, u->rvar, mode));
    DF_TRY(df_activation_forward(last ? DF_ACT_TANH : DF_ACT_RELU, 0, &g->act[s], &g->act[s]));
  }
  /* Post-filter: a 'same' convolution (TensorFlow's padding: for an even length P, P/2 - 1
   * zeros on the left and P/2 on the right), done as a symmetric pad of P/2 and a crop. */
  if (c->post_filter) {
    DF_TRY(df_conv1d_forward(&g->act[g->n_up], &g->post_w->value, NULL, 1, c->post_filter / 2, &g->post_full));
    int64_t crop = g->post_full.shape[2] - c->slice_len;
    DF_TRY(df_copy_band(&g->post_full, crop, &g->out, 0, c->slice_len));
  }
  return DF_OK;
}

df_status wg_generator_backward(wg_generator *g, const df_wavegan_config *c, const df_tensor *dout) {
  int64_t n = g->batch;
  df_tensor *bufs[2] = {&g->grad_a, &g->grad_b};
  int cur = 0; /* bufs[cur] holds d act[s] */
  int64_t shape[3];
  stage_shape(g, g->n_up, n, shape);
  df_tensor da = df_tensor_view(bufs[cur], 3, shape);
  if (c->post_filter) {
    int64_t full[3] = {n, c->channels, g->post_full.shape[2]};
    df_tensor dfull = df_tensor_view(bufs[1 - cur], 3, full);
    int64_t crop = full[2] - c->slice_len;
    DF_TRY(df_tensor_zero(&dfull));
    DF_TRY(df_copy_band(dout, 0, &dfull, crop, c->slice_len));
    DF_TRY(df_conv1d_backward(&g->act[g->n_up], &g->post_w->value, &dfull, 1, c->post_filter / 2,
                              &da, &g->post_w->grad, NULL));
  } else {
    DF_TRY(df_tensor_copy(&da, dout));
  }
  for (int s = g->n_up; s >= 1; s--) {
    wg_up *u = &g->ups[s - 1];
    int last = s == g->n_up;
    /* Through the nonlinearity (in place), then batch norm into the other buffer. */
    DF_TRY(df_activation_backward(last ? DF_ACT_TANH : DF_ACT_RELU, 0, &g->act[s], &da, &da));
    df_tensor dh = da;
    if (stage_has_bn(g, c, s)) {
      dh = df_tensor_view(bufs[1 - cur], 3, shape);
      DF_TRY(df_batchnorm_backward(&g->pre[s], &u->gamma->value, &da, &g->bn_mean[s], &g->bn_invstd[s],
                                   &dh, &u->gamma->grad, &u->beta->grad));
      cur = 1 - cur;
    }
    int64_t in_shape[3];
    stage_shape(g, s - 1, n, in_shape);
    df_tensor dprev = df_tensor_view(bufs[1 - cur], 3, in_shape);
    if (c->upsample == DF_UPSAMPLE_ZEROS) {
      DF_TRY(df_conv_transpose1d_backward(&g->act[s - 1], &u->w->value, &dh, u->stride, u->pad, &dprev,
                                          &u->w->grad, &u->b->grad));
    } else {
      int64_t up_shape[3] = {n, in_shape[1], in_shape[2] * u->stride};
      df_tensor dup = df_tensor_view(&g->grad_c, 3, up_shape);
      DF_TRY(df_conv1d_backward(&g->upsampled[s - 1], &u->w->value, &dh, 1, u->pad, &dup,
                                &u->w->grad, &u->b->grad));
      DF_TRY(df_upsample_nearest1d_backward(&dup, u->stride, &dprev));
    }
    cur = 1 - cur;
    da = dprev;
    memcpy(shape, in_shape, sizeof shape);
  }
  /* Stage 0. */
  DF_TRY(df_activation_backward(DF_ACT_RELU, 0, &g->act[0], &da, &da));
  df_tensor dh = da;
  if (stage_has_bn(g, c, 0)) {
    dh = df_tensor_view(bufs[1 - cur], 3, shape);
    DF_TRY(df_batchnorm_backward(&g->pre[0], &g->fc_gamma->value, &da, &g->bn_mean[0], &g->bn_invstd[0],
                                 &dh, &g->fc_gamma->grad, &g->fc_beta->grad));
  }
  df_tensor dfc;
  DF_TRY(df_tensor_reshape(&dh, 2, (int64_t[]){n, 16 * (int64_t)g->c0}, &dfc));
  DF_TRY(df_dense_backward(&g->zin, &g->fc_w->value, &dfc, c->n_classes ? &g->grad_zin : NULL,
                           &g->fc_w->grad, &g->fc_b->grad));
  if (c->n_classes) { /* the embeddings' buffer is free after the forward: their gradient */
    DF_TRY(df_copy_band(&g->grad_zin, c->latent_dim, &g->emb, 0, c->class_embed));
    DF_TRY(df_embedding_backward(&g->labels_dev, &g->emb, &g->embed->grad));
  }
  return DF_OK;
}
