/* WaveGAN's critic: conv (stride 4) -> (batch norm) -> LeakyReLU -> phase shuffle, five or six
 * times, then a linear score (plus, for the conditional model, a projection term <E[y], phi>
 * on the flattened features phi, as in Miyato & Koyama's projection discriminator).
 *
 * For WGAN-GP the gradient penalty's gradient with respect to the weights is exact: the
 * critic is piecewise linear in its input (conv, dense, phase shuffle, LeakyReLU), so
 * g = dD/dxhat is a product of linear maps gated by the activation masks of the xhat
 * forward. With u = lambda dGP/dg fixed, d<u, g>/dW equals the derivative of the directional
 * derivative D'(xhat)[u]: push u forward through the linearised critic (no biases, the same
 * masks and shifts) and correlate each layer's tangent input with its backward signal from
 * the xhat rows. The tangent rows replace the xhat rows of each layer's input, so one
 * weight-gradient pass over [real | fake | xhat] rows yields the loss and penalty gradients
 * together. Biases get no penalty gradient (g does not depend on them). */
#include <stdio.h>
#include <string.h>

#include "models/batch_buffers.h"
#include "models/wavegan/wavegan_internal.h"

#define WG_MAX_GROUPS 3

_Static_assert(sizeof(int) == sizeof(int32_t), "the shift tables are int32 tensors read as int");

df_status wg_critic_build(wg_critic *d, const df_wavegan_config *c, df_device dev, df_rng *rng,
                          const df_adam_config *adam) {
  memset(d, 0, sizeof *d);
  df_param_set_init(&d->params, "D", dev, adam);
  df_param_set *ps = &d->params;
  d->n_conv = df_wavegan_n_layers(c);
  int len = c->slice_len;
  for (int j = 0; j < d->n_conv; j++) {
    wg_conv *l = &d->convs[j];
    l->cin = j == 0 ? c->channels : c->d << (j - 1);
    l->cout = c->d << j;
    l->stride = df_wavegan_stride(c, j);
    l->pad = df_wavegan_pad(c->kernel, l->stride);
    l->lin = len;
    l->lout = len / l->stride;
    len = l->lout;
    char name[64];
    snprintf(name, sizeof name, "convs.%d.weight", j);
    DF_TRY(df_param_add(ps, name, 1, 3, (int64_t[]){l->cout, l->cin, c->kernel}, &l->w));
    DF_TRY(df_param_init_uniform(l->w, rng, df_glorot_bound((int64_t)l->cin * c->kernel,
                                                            (int64_t)l->cout * c->kernel)));
    snprintf(name, sizeof name, "convs.%d.bias", j);
    DF_TRY(df_param_add(ps, name, 1, 1, (int64_t[]){l->cout}, &l->b));
    if (c->batchnorm && c->loss != DF_GAN_WGAN_GP && j > 0) {
      snprintf(name, sizeof name, "bns.%d", j);
      DF_TRY(df_param_add_batchnorm(ps, name, l->cout, &l->gamma, &l->beta, &l->rmean, &l->rvar));
      int64_t stats[2] = {WG_MAX_GROUPS, l->cout};
      DF_TRY(df_tensor_alloc(&d->bn_mean[j], dev, DF_F32, 2, stats, "D bn mean"));
      DF_TRY(df_tensor_alloc(&d->bn_invstd[j], dev, DF_F32, 2, stats, "D bn invstd"));
    }
  }
  wg_conv *last = &d->convs[d->n_conv - 1];
  d->features = last->cout * last->lout;
  DF_TRY(df_param_add(ps, "fc.weight", 1, 2, (int64_t[]){1, d->features}, &d->fc_w));
  DF_TRY(df_param_init_uniform(d->fc_w, rng, df_glorot_bound(d->features, 1)));
  DF_TRY(df_param_add(ps, "fc.bias", 1, 1, (int64_t[]){1}, &d->fc_b));
  if (c->n_classes) {
    DF_TRY(df_param_add(ps, "embed.weight", 1, 2, (int64_t[]){c->n_classes, d->features}, &d->embed));
    DF_TRY(df_param_init_uniform(d->embed, rng, df_glorot_bound(c->n_classes, d->features)));
  }
  return DF_OK;
}

static int has_bn(const wg_conv *l) { return l->gamma != NULL; }

/* Most batch-sized tensors: four per layer, a shift table per layer, eight more. */
#define WG_D_BATCH_TENSORS (5 * WG_MAX_LAYERS + 8)

/* Every batch-sized buffer of the critic, for models/batch_buffers.h (no views: the critic
 * addresses row groups itself); returns how many. */
static int batch_tensors(wg_critic *d, df_batch_tensor *t) {
  int k = 0;
  int64_t largest_in = 0, largest_out = 0; /* per row */
  for (int j = 0; j < d->n_conv; j++) {
    wg_conv *l = &d->convs[j];
    int64_t in = (int64_t)l->cin * l->lin, out = (int64_t)l->cout * l->lout;
    t[k++] = (df_batch_tensor){&d->x[j], NULL, DF_F32, 0, 2, {l->cin, l->lin}, "D layer input"};
    t[k++] = (df_batch_tensor){&d->act[j], NULL, DF_F32, 0, 2, {l->cout, l->lout}, "D layer output"};
    t[k++] = (df_batch_tensor){&d->dz[j], NULL, DF_F32, 0, 2, {l->cout, l->lout}, "D layer backward signal"};
    if (has_bn(l)) t[k++] = (df_batch_tensor){&d->pre[j], NULL, DF_F32, 0, 2, {l->cout, l->lout}, "D layer before bn"};
    t[k++] = (df_batch_tensor){&d->shift_table[j], NULL, DF_I32, 1, 0, {0}, "critic shift table"};
    if (in > largest_in) largest_in = in;
    if (out > largest_out) largest_out = out;
  }
  const wg_conv *first = &d->convs[0];
  t[k++] = (df_batch_tensor){&d->dx, NULL, DF_F32, 0, 1, {largest_in}, "D input gradient scratch"};
  t[k++] = (df_batch_tensor){&d->tangent, NULL, DF_F32, 0, 1, {largest_out}, "D tangent scratch"};
  t[k++] = (df_batch_tensor){&d->dx0, NULL, DF_F32, 0, 2, {first->cin, first->lin}, "dD/dx"};
  t[k++] = (df_batch_tensor){&d->out, NULL, DF_F32, 0, 0, {0}, "D scores"};
  t[k++] = (df_batch_tensor){&d->dout, NULL, DF_F32, 0, 0, {0}, "D score gradients"};
  if (d->embed) {
    t[k++] = (df_batch_tensor){&d->gathered, NULL, DF_F32, 0, 1, {d->features}, "D class embeddings"};
    t[k++] = (df_batch_tensor){&d->scratch_f, NULL, DF_F32, 0, 1, {d->features}, "D feature scratch"};
    t[k++] = (df_batch_tensor){&d->labels_dev, NULL, DF_I32, 0, 0, {0}, "D labels"};
    t[k++] = (df_batch_tensor){&d->row_labels, NULL, DF_I32, 1, 0, {0}, "critic row labels"};
  }
  return k;
}

void wg_critic_free(wg_critic *d) {
  df_batch_tensor t[WG_D_BATCH_TENSORS];
  df_batch_free(t, batch_tensors(d, t), &d->capacity);
  for (int j = 0; j < WG_MAX_LAYERS; j++) {
    d->shifts[j] = NULL;
    df_tensor_free(&d->bn_mean[j]);
    df_tensor_free(&d->bn_invstd[j]);
  }
  df_param_set_free(&d->params);
}

df_status wg_critic_reserve(wg_critic *d, int64_t rows) {
  df_batch_tensor t[WG_D_BATCH_TENSORS];
  df_status s = df_batch_reserve(t, batch_tensors(d, t), d->params.device, &d->capacity, rows);
  for (int j = 0; j < d->n_conv; j++) d->shifts[j] = d->shift_table[j].data;
  return s;
}

/* Rows [first, first + n) of a buffer, as a tensor of the given trailing shape. */
static df_tensor rows_of(const df_tensor *t, int64_t first, int64_t n) {
  df_tensor v;
  df_tensor_slice0(t, first, n, &v);
  return v;
}

/* The flattened features [rows, F] of the last layer. */
static df_tensor features(const wg_critic *d, int64_t first, int64_t n) {
  df_tensor a = rows_of(&d->act[d->n_conv - 1], first, n), f;
  df_tensor_reshape(&a, 2, (int64_t[]){n, d->features}, &f);
  return f;
}

df_status wg_critic_forward(wg_critic *d, const df_wavegan_config *c, int64_t rows, int groups,
                            const int32_t *labels) {
  int64_t per_group = rows / groups;
  for (int j = 0; j < d->n_conv; j++) {
    wg_conv *l = &d->convs[j];
    df_tensor x = rows_of(&d->x[j], 0, rows), a = rows_of(&d->act[j], 0, rows);
    if (has_bn(l)) {
      df_tensor pre = rows_of(&d->pre[j], 0, rows);
      DF_TRY(df_conv1d_forward(&x, &l->w->value, &l->b->value, l->stride, l->pad, &pre));
      /* Each row group normalises with its own statistics, as separate critic calls would. */
      for (int gi = 0; gi < groups; gi++) {
        df_tensor p = rows_of(&d->pre[j], gi * per_group, per_group);
        df_tensor y = rows_of(&d->act[j], gi * per_group, per_group);
        df_tensor mean = rows_of(&d->bn_mean[j], gi, 1), inv = rows_of(&d->bn_invstd[j], gi, 1);
        df_tensor m1, i1;
        DF_TRY(df_tensor_reshape(&mean, 1, (int64_t[]){l->cout}, &m1));
        DF_TRY(df_tensor_reshape(&inv, 1, (int64_t[]){l->cout}, &i1));
        DF_TRY(df_batchnorm_forward_train(&p, &l->gamma->value, &l->beta->value, &l->rmean->value,
                                          &l->rvar->value, 0.01f, 1e-3f, &y, &m1, &i1));
      }
    } else {
      DF_TRY(df_conv1d_forward(&x, &l->w->value, &l->b->value, l->stride, l->pad, &a));
    }
    DF_TRY(df_activation_forward(DF_ACT_LEAKY_RELU, c->leaky_slope, &a, &a));
    if (j + 1 < d->n_conv) {
      df_tensor next = rows_of(&d->x[j + 1], 0, rows);
      DF_TRY(df_phase_shuffle_forward(&a, d->shifts[j], &next));
    }
  }
  df_tensor phi = features(d, 0, rows), out = rows_of(&d->out, 0, rows), out2;
  DF_TRY(df_tensor_reshape(&out, 2, (int64_t[]){rows, 1}, &out2));
  DF_TRY(df_dense_forward(&phi, &d->fc_w->value, &d->fc_b->value, &out2));
  if (c->n_classes) {
    df_tensor ids = rows_of(&d->labels_dev, 0, rows), e = rows_of(&d->gathered, 0, rows);
    df_tensor prod = rows_of(&d->scratch_f, 0, rows), proj = rows_of(&d->dout, 0, rows);
    DF_TRY(df_tensor_from_host(&ids, (const float *)(const void *)labels, rows));
    DF_TRY(df_embedding_forward(&d->embed->value, &ids, &e));
    DF_TRY(df_mul(&e, &phi, &prod));
    /* dout is free until the loss fills it: use it for the projection term. */
    DF_TRY(df_reduce_per_example_forward(DF_REDUCE_SUM, &prod, &proj));
    DF_TRY(df_add(&out, &proj, &out));
  }
  return DF_OK;
}

df_status wg_critic_backward_input(wg_critic *d, const df_wavegan_config *c, int64_t rows,
                                   int groups, int64_t dx0_from) {
  int64_t per_group = rows / groups;
  df_tensor dout = rows_of(&d->dout, 0, rows), dout2;
  DF_TRY(df_tensor_reshape(&dout, 2, (int64_t[]){rows, 1}, &dout2));
  /* d phi = dout w (+ dout E[y] for the projection), into the last layer's signal buffer. */
  df_tensor dz_last = rows_of(&d->dz[d->n_conv - 1], 0, rows), dphi;
  DF_TRY(df_tensor_reshape(&dz_last, 2, (int64_t[]){rows, d->features}, &dphi));
  df_tensor phi = features(d, 0, rows);
  DF_TRY(df_dense_backward(&phi, &d->fc_w->value, &dout2, &dphi, NULL, NULL));
  if (c->n_classes) {
    df_tensor e = rows_of(&d->gathered, 0, rows), tmp = rows_of(&d->scratch_f, 0, rows);
    DF_TRY(df_scale_per_example(&e, &dout, &tmp));
    DF_TRY(df_add(&dphi, &tmp, &dphi));
  }
  for (int j = d->n_conv - 1; j >= 0; j--) {
    wg_conv *l = &d->convs[j];
    df_tensor dz = rows_of(&d->dz[j], 0, rows), a = rows_of(&d->act[j], 0, rows);
    DF_TRY(df_activation_backward(DF_ACT_LEAKY_RELU, c->leaky_slope, &a, &dz, &dz));
    if (has_bn(l)) {
      df_tensor tmp = DF_VIEW(&d->tangent, rows, l->cout, l->lout);
      for (int gi = 0; gi < groups; gi++) {
        df_tensor p = rows_of(&d->pre[j], gi * per_group, per_group);
        df_tensor dy = rows_of(&dz, gi * per_group, per_group), dxg = rows_of(&tmp, gi * per_group, per_group);
        df_tensor mean = rows_of(&d->bn_mean[j], gi, 1), inv = rows_of(&d->bn_invstd[j], gi, 1), m1, i1;
        DF_TRY(df_tensor_reshape(&mean, 1, (int64_t[]){l->cout}, &m1));
        DF_TRY(df_tensor_reshape(&inv, 1, (int64_t[]){l->cout}, &i1));
        DF_TRY(df_batchnorm_backward(&p, &l->gamma->value, &dy, &m1, &i1, &dxg, &l->gamma->grad,
                                     &l->beta->grad));
      }
      DF_TRY(df_tensor_copy(&dz, &tmp));
    }
    df_tensor x = rows_of(&d->x[j], 0, rows);
    if (j == 0) { /* only the rows whose audio gradient is used */
      if (dx0_from < rows) {
        df_tensor x0 = rows_of(&x, dx0_from, rows - dx0_from), dz0 = rows_of(&dz, dx0_from, rows - dx0_from);
        df_tensor dx0 = rows_of(&d->dx0, dx0_from, rows - dx0_from);
        DF_TRY(df_conv1d_backward(&x0, &l->w->value, &dz0, l->stride, l->pad, &dx0, NULL, NULL));
      }
    } else {
      df_tensor dx = DF_VIEW(&d->dx, rows, l->cin, l->lin);
      df_tensor dprev = rows_of(&d->dz[j - 1], 0, rows);
      DF_TRY(df_conv1d_backward(&x, &l->w->value, &dz, l->stride, l->pad, &dx, NULL, NULL));
      DF_TRY(df_phase_shuffle_backward(&dx, d->shifts[j - 1], &dprev));
    }
  }
  return DF_OK;
}

df_status wg_critic_tangent(wg_critic *d, const df_wavegan_config *c, int64_t first, int64_t n,
                            const df_tensor *u) {
  df_tensor x0 = rows_of(&d->x[0], first, n);
  DF_TRY(df_tensor_copy(&x0, u));
  for (int j = 0; j < d->n_conv; j++) {
    wg_conv *l = &d->convs[j];
    df_tensor x = rows_of(&d->x[j], first, n), a = rows_of(&d->act[j], first, n);
    df_tensor t = DF_VIEW(&d->tangent, n, l->cout, l->lout);
    /* Linear part without bias, then the LeakyReLU mask of the xhat forward. */
    DF_TRY(df_conv1d_forward(&x, &l->w->value, NULL, l->stride, l->pad, &t));
    DF_TRY(df_activation_backward(DF_ACT_LEAKY_RELU, c->leaky_slope, &a, &t, &t));
    DF_TRY(df_tensor_copy(&a, &t));
    if (j + 1 < d->n_conv) {
      df_tensor next = rows_of(&d->x[j + 1], first, n);
      DF_TRY(df_phase_shuffle_forward(&a, d->shifts[j] + first, &next));
    }
  }
  return DF_OK;
}

df_status wg_critic_weight_grads(wg_critic *d, const df_wavegan_config *c, int64_t rows,
                                 int64_t bias_rows) {
  for (int j = 0; j < d->n_conv; j++) {
    wg_conv *l = &d->convs[j];
    df_tensor x = rows_of(&d->x[j], 0, rows), dz = rows_of(&d->dz[j], 0, rows);
    DF_TRY(df_conv1d_backward(&x, &l->w->value, &dz, l->stride, l->pad, NULL, &l->w->grad, NULL));
    df_tensor xb = rows_of(&d->x[j], 0, bias_rows), dzb = rows_of(&d->dz[j], 0, bias_rows);
    DF_TRY(df_conv1d_backward(&xb, &l->w->value, &dzb, l->stride, l->pad, NULL, NULL, &l->b->grad));
  }
  df_tensor phi = features(d, 0, rows), dout = rows_of(&d->dout, 0, rows), dout2;
  DF_TRY(df_tensor_reshape(&dout, 2, (int64_t[]){rows, 1}, &dout2));
  DF_TRY(df_dense_backward(&phi, &d->fc_w->value, &dout2, NULL, &d->fc_w->grad, NULL));
  df_tensor phib = features(d, 0, bias_rows), doutb = rows_of(&d->dout, 0, bias_rows), doutb2;
  DF_TRY(df_tensor_reshape(&doutb, 2, (int64_t[]){bias_rows, 1}, &doutb2));
  DF_TRY(df_dense_backward(&phib, &d->fc_w->value, &doutb2, NULL, NULL, &d->fc_b->grad));
  if (c->n_classes) {
    df_tensor tmp = rows_of(&d->scratch_f, 0, rows), ids = rows_of(&d->labels_dev, 0, rows);
    DF_TRY(df_scale_per_example(&phi, &dout, &tmp));
    DF_TRY(df_embedding_backward(&ids, &tmp, &d->embed->grad));
  }
  return DF_OK;
}
