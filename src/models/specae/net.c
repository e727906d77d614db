/* The autoencoder network: encoder blocks -> [features | class embedding] -> dense to the
 * latent (mean and log-variance for a VAE); decoder [z | class embedding] -> dense -> the
 * bottleneck shape -> transposed-convolution blocks mirroring the encoder -> a last transposed
 * convolution to one channel and a sigmoid. Layer i of the encoder has filters[i] channels and
 * strides[i]; the decoder runs the layers backwards (Keras template of the loop VAE). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/backend.h"
#include "models/batch_buffers.h"
#include "models/specae/specae.h"

static int embed_width(const sa_config *c) { return c->n_classes ? c->class_embed : 0; }

static df_status add_dense(df_param_set *set, const char *prefix, int64_t in, int64_t out, df_rng *rng,
                           df_param **w, df_param **b) {
  char name[96];
  snprintf(name, sizeof name, "%s.weight", prefix);
  DF_TRY(df_param_add(set, name, 1, 2, (int64_t[]){out, in}, w));
  DF_TRY(df_param_init_uniform(*w, rng, df_glorot_bound(in, out)));
  snprintf(name, sizeof name, "%s.bias", prefix);
  return df_param_add(set, name, 1, 1, (int64_t[]){out}, b);
}

static df_status add_embedding(df_param_set *set, const char *name, const sa_config *c, df_rng *rng, df_param **e) {
  DF_TRY(df_param_add(set, name, 1, 2, (int64_t[]){c->n_classes, c->class_embed}, e));
  return df_param_init_uniform(*e, rng, df_glorot_bound(c->n_classes, c->class_embed));
}

df_status sa_net_build(sa_net *net, const sa_config *c, df_device dev, df_rng *rng) {
  memset(net, 0, sizeof *net);
  df_param_set_init(&net->params, "AE", dev, &c->adam);
  df_param_set *ps = &net->params;
  int n = c->n_layers, pad = c->kernel / 2;
  char prefix[64];
  int64_t h = c->bins, w = c->frames;
  for (int i = 0; i < n; i++) {
    sa_block *b = &net->enc[i];
    *b = (sa_block){.cin = i ? c->filters[i - 1] : 1, .cout = c->filters[i], .stride = {c->strides[i][0], c->strides[i][1]},
                    .pad = {pad, pad}, .hin = h, .win = w, .act = DF_ACT_RELU};
    h /= c->strides[i][0];
    w /= c->strides[i][1];
    b->hout = h;
    b->wout = w;
    snprintf(prefix, sizeof prefix, "encoder.blocks.%d", i);
    DF_TRY(sa_block_build(b, ps, prefix, rng, 1));
  }
  net->features = (int64_t)c->filters[n - 1] * h * w;
  net->heads = sa_stochastic(c) ? 2 : 1;
  int e = embed_width(c);
  net->n_layers = n;
  net->latent = c->latent_dim;
  net->embed = e;
  if (e) DF_TRY(add_embedding(ps, "encoder.embed.weight", c, rng, &net->enc_embed));
  DF_TRY(add_dense(ps, "encoder.fc", net->features + e, (int64_t)net->heads * c->latent_dim, rng, &net->enc_fc_w,
                   &net->enc_fc_b));
  if (e) DF_TRY(add_embedding(ps, "decoder.embed.weight", c, rng, &net->dec_embed));
  DF_TRY(add_dense(ps, "decoder.fc", c->latent_dim + e, net->features, rng, &net->dec_fc_w, &net->dec_fc_b));
  /* Decoder block j undoes encoder layer i = n - 1 - j; the last one outputs the spectrogram. */
  for (int j = 0; j < n; j++) {
    int i = n - 1 - j, out = i == 0;
    sa_block *b = &net->dec[j];
    *b = (sa_block){.transposed = 1, .cin = j ? c->filters[i + 1] : c->filters[n - 1], .cout = out ? 1 : c->filters[i],
                    .stride = {c->strides[i][0], c->strides[i][1]}, .pad = {pad, pad}, .hin = h, .win = w,
                    .act = out ? DF_ACT_SIGMOID : DF_ACT_RELU};
    h *= c->strides[i][0];
    w *= c->strides[i][1];
    b->hout = h;
    b->wout = w;
    if (out) snprintf(prefix, sizeof prefix, "decoder.out");
    else snprintf(prefix, sizeof prefix, "decoder.blocks.%d", j);
    DF_TRY(sa_block_build(b, ps, prefix, rng, !out));
  }
  int64_t k = c->n_classes ? c->n_classes : 1;
  return df_param_add(ps, "spec_stats", 0, 2, (int64_t[]){k, 3}, &net->stats);
}

/* Most batch-sized tensors a net can have: two per block, its matrices, three scratch. */
#define SA_NET_BATCH_TENSORS (4 * SA_MAX_LAYERS + SA_NET_MATRICES + 3)

/* Every batch-sized tensor of the net, for models/batch_buffers.h; returns how many. */
static int batch_tensors(sa_net *net, df_batch_tensor *t) {
  int k = 0;
  int64_t largest = net->features;
  for (int i = 0; i < net->n_layers; i++) {
    sa_block *blocks[2] = {&net->enc[i], &net->dec[i]};
    for (int j = 0; j < 2; j++) {
      sa_block *b = blocks[j];
      t[k++] = (df_batch_tensor){&b->y_buf, &b->y, DF_F32, 0, 3, {b->cout, b->hout, b->wout}, "block activation"};
      if (b->gamma) t[k++] = (df_batch_tensor){&b->z_buf, &b->z, DF_F32, 0, 3, {b->cout, b->hout, b->wout}, "block output"};
      int64_t size = b->cout * b->hout * b->wout;
      largest = size > largest ? size : largest;
    }
  }
  int64_t f = net->features, e = net->embed, d = net->latent, hd = net->heads * d;
  const struct {
    df_tensor *view;
    int64_t cols;
    const char *name;
  } mats[SA_NET_MATRICES] = {
      {&net->enc_in, f + e, "encoder dense input"},   {&net->dec_in, d + e, "decoder dense input"},
      {&net->head, hd, "encoder output"},              {&net->mean, d, "latent mean"},
      {&net->logvar, d, "latent log-variance"},        {&net->dec_fc, f, "decoder dense output"},
      {&net->d_head, hd, "d encoder output"},          {&net->d_mean, d, "d latent mean"},
      {&net->d_logvar, d, "d latent log-variance"},    {&net->d_z, d, "d latent"},
      {&net->d_enc_in, f + e, "d encoder dense input"}, {&net->d_dec_in, d + e, "d decoder dense input"},
      {&net->emb_scratch, e ? e : 1, "class embedding"}, {&net->d_features, f, "d bottleneck features"},
      {&net->labels_dev, 0, "class labels"}};
  for (int i = 0; i < SA_NET_MATRICES; i++) {
    int labels = mats[i].view == &net->labels_dev;
    t[k++] = (df_batch_tensor){&net->buffers[i], mats[i].view, labels ? DF_I32 : DF_F32, 0, labels ? 0 : 1,
                               {mats[i].cols}, mats[i].name};
  }
  t[k++] = (df_batch_tensor){&net->grad_a, NULL, DF_F32, 0, 1, {largest}, "gradient scratch a"};
  t[k++] = (df_batch_tensor){&net->grad_b, NULL, DF_F32, 0, 1, {largest}, "gradient scratch b"};
  t[k++] = (df_batch_tensor){&net->grad_c, NULL, DF_F32, 0, 1, {largest}, "gradient scratch c"};
  return k;
}

void sa_net_free(sa_net *net) {
  df_batch_tensor t[SA_NET_BATCH_TENSORS];
  df_batch_free(t, batch_tensors(net, t), &net->capacity);
  for (int i = 0; i < SA_MAX_LAYERS; i++) {
    sa_block_free(&net->enc[i]);
    sa_block_free(&net->dec[i]);
  }
  df_param_set_free(&net->params);
}

df_status sa_net_reserve(sa_net *net, int64_t n) {
  df_batch_tensor t[SA_NET_BATCH_TENSORS];
  DF_TRY(df_batch_reserve(t, batch_tensors(net, t), net->params.device, &net->capacity, n));
  net->batch = n;
  return DF_OK;
}

/* Copies the class embedding of labels into columns [col, col + E) of dst. */
static df_status embed_into(sa_net *net, const sa_config *c, const df_param *table, const int32_t *labels,
                            df_tensor *dst, int64_t col) {
  int64_t n = dst->shape[0];
  for (int64_t i = 0; i < n; i++)
    if (labels[i] < 0 || labels[i] >= c->n_classes)
      return DF_FAIL(DF_ERR_INVALID_ARG, "conditional model: example %lld has class %d (the model has %d classes; "
                     "unlabelled examples cannot train or be encoded without a class)", (long long)i, labels[i],
                     c->n_classes);
  DF_TRY(df_tensor_from_host(&net->labels_dev, (const float *)(const void *)labels, n));
  DF_TRY(df_embedding_forward(&table->value, &net->labels_dev, &net->emb_scratch));
  return df_copy_band(&net->emb_scratch, 0, dst, col, c->class_embed);
}

df_status sa_encode(sa_net *net, const sa_config *c, const df_tensor *spec, const int32_t *labels, int train) {
  int64_t n = spec->shape[0], d = c->latent_dim;
  if (c->n_classes && !labels) return DF_FAIL(DF_ERR_INVALID_ARG, "a conditional model encodes with class labels");
  DF_TRY(sa_net_reserve(net, n));
  const df_tensor *x = spec;
  for (int i = 0; i < c->n_layers; i++) {
    DF_TRY(sa_block_forward(&net->enc[i], x, train));
    x = sa_block_output(&net->enc[i]);
  }
  df_tensor flat;
  DF_TRY(df_tensor_reshape(x, 2, (int64_t[]){n, net->features}, &flat));
  DF_TRY(df_copy_band(&flat, 0, &net->enc_in, 0, net->features));
  if (c->n_classes) DF_TRY(embed_into(net, c, net->enc_embed, labels, &net->enc_in, net->features));
  DF_TRY(df_dense_forward(&net->enc_in, &net->enc_fc_w->value, &net->enc_fc_b->value, &net->head));
  DF_TRY(df_copy_band(&net->head, 0, &net->mean, 0, d));
  return net->heads == 2 ? df_copy_band(&net->head, d, &net->logvar, 0, d) : DF_OK;
}

df_status sa_decode(sa_net *net, const sa_config *c, const df_tensor *z, const int32_t *labels, int train) {
  int64_t n = z->shape[0], d = c->latent_dim;
  DF_TRY(df_check_shape("spectrogram decoder", z, 2, (int64_t[]){n, d}));
  if (c->n_classes && !labels) return DF_FAIL(DF_ERR_INVALID_ARG, "a conditional model decodes with class labels");
  DF_TRY(sa_net_reserve(net, n));
  DF_TRY(df_copy_band(z, 0, &net->dec_in, 0, d));
  if (c->n_classes) DF_TRY(embed_into(net, c, net->dec_embed, labels, &net->dec_in, d));
  DF_TRY(df_dense_forward(&net->dec_in, &net->dec_fc_w->value, &net->dec_fc_b->value, &net->dec_fc));
  df_tensor x;
  const sa_block *first = &net->dec[0];
  DF_TRY(df_tensor_reshape(&net->dec_fc, 4, (int64_t[]){n, first->cin, first->hin, first->win}, &x));
  const df_tensor *in = &x;
  for (int j = 0; j < c->n_layers; j++) {
    DF_TRY(sa_block_forward(&net->dec[j], in, train));
    in = sa_block_output(&net->dec[j]);
  }
  return DF_OK;
}

const df_tensor *sa_decoded(const sa_net *net, const sa_config *c) { return &net->dec[c->n_layers - 1].y; }

/* Back through blocks[last .. 0] from dout; block 0's input gradient goes to dx0 (may be NULL).
 * inputs[j] is block j's input. */
static df_status blocks_backward(sa_net *net, sa_block *blocks, int count, const df_tensor *const *inputs,
                                 const df_tensor *dout, df_tensor *dx0) {
  df_tensor *bufs[2] = {&net->grad_a, &net->grad_b};
  int cur = 0;
  df_tensor g = *dout;
  for (int j = count - 1; j >= 0; j--) {
    df_tensor dx, *target = dx0;
    if (j > 0) {
      const df_tensor *out = sa_block_output(&blocks[j - 1]);
      dx = df_tensor_view(bufs[cur], out->ndim, out->shape);
      target = &dx;
    }
    DF_TRY(sa_block_backward(&blocks[j], inputs[j], &g, &net->grad_c, target));
    if (j > 0) {
      g = dx;
      cur = 1 - cur;
    }
  }
  return DF_OK;
}

df_status sa_decode_backward(sa_net *net, const sa_config *c, const df_tensor *dy) {
  int64_t n = net->batch, d = c->latent_dim;
  const sa_block *first = &net->dec[0];
  int64_t shape[4] = {n, first->cin, first->hin, first->win};
  df_tensor x, dx;
  DF_TRY(df_tensor_reshape(&net->dec_fc, 4, shape, &x));
  DF_TRY(df_tensor_reshape(&net->d_features, 4, shape, &dx));
  const df_tensor *inputs[SA_MAX_LAYERS];
  inputs[0] = &x;
  for (int j = 1; j < c->n_layers; j++) inputs[j] = sa_block_output(&net->dec[j - 1]);
  DF_TRY(blocks_backward(net, net->dec, c->n_layers, inputs, dy, &dx));
  DF_TRY(df_dense_backward(&net->dec_in, &net->dec_fc_w->value, &net->d_features, &net->d_dec_in,
                           &net->dec_fc_w->grad, &net->dec_fc_b->grad));
  DF_TRY(df_copy_band(&net->d_dec_in, 0, &net->d_z, 0, d));
  if (!c->n_classes) return DF_OK;
  DF_TRY(df_copy_band(&net->d_dec_in, d, &net->emb_scratch, 0, c->class_embed));
  return df_embedding_backward(&net->labels_dev, &net->emb_scratch, &net->dec_embed->grad);
}

df_status sa_encode_backward(sa_net *net, const sa_config *c, const df_tensor *spec) {
  int64_t d = c->latent_dim;
  DF_TRY(df_copy_band(&net->d_mean, 0, &net->d_head, 0, d));
  if (net->heads == 2) DF_TRY(df_copy_band(&net->d_logvar, 0, &net->d_head, d, d));
  DF_TRY(df_dense_backward(&net->enc_in, &net->enc_fc_w->value, &net->d_head, &net->d_enc_in, &net->enc_fc_w->grad,
                           &net->enc_fc_b->grad));
  if (c->n_classes) {
    DF_TRY(df_copy_band(&net->d_enc_in, net->features, &net->emb_scratch, 0, c->class_embed));
    DF_TRY(df_embedding_backward(&net->labels_dev, &net->emb_scratch, &net->enc_embed->grad));
  }
  df_tensor dfeat;
  DF_TRY(df_tensor_reshape(&net->d_features, 4, sa_block_output(&net->enc[c->n_layers - 1])->shape, &dfeat));
  DF_TRY(df_copy_band(&net->d_enc_in, 0, &net->d_features, 0, net->features));
  const df_tensor *inputs[SA_MAX_LAYERS];
  inputs[0] = spec;
  for (int i = 1; i < c->n_layers; i++) inputs[i] = sa_block_output(&net->enc[i - 1]);
  return blocks_backward(net, net->enc, c->n_layers, inputs, &dfeat, NULL);
}
