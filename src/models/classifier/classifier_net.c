/* The drum-class classifier network (classifier_net.h). Everything runs through the op
 * library and the DSP functions, so it trains and classifies on either device. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/batch_buffers.h"
#include "models/classifier/classifier_net.h"

#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f

static int halve(int n) { return (n - 1) / 2 + 1; } /* kernel 3, stride 2, padding 1 */

df_status dc_net_build(dc_net *n, const dc_config *c, df_device dev, const df_adam_config *adam,
                       df_rng *rng) {
  memset(n, 0, sizeof *n);
  n->cfg = *c;
  df_param_set_init(&n->params, "C", dev, adam);
  df_stft_config sc = {c->n_fft, c->hop, 0, 1, DF_PAD_REFLECT};
  int bins;
  int64_t frames;
  DF_TRY(df_stft_dims(&sc, c->length, &bins, &frames));
  n->frames = (int)frames;
  df_mel_config mc = df_mel_config_default(c->sample_rate, c->n_fft, c->n_mels);
  DF_TRY(df_mel_matrices(&mc, dev, &n->fb, NULL));
  int h = c->n_mels, w = n->frames, cin = 1;
  for (int j = 0; j < DC_LAYERS; j++) {
    dc_block *b = &n->blocks[j];
    b->cin = cin;
    b->cout = c->width << j;
    b->hin = h;
    b->win = w;
    b->hout = h = halve(h);
    b->wout = w = halve(w);
    cin = b->cout;
    char name[64];
    int64_t ch[1] = {b->cout};
    snprintf(name, sizeof name, "blocks.%d.conv.weight", j);
    DF_TRY(df_param_add(&n->params, name, 1, 4, (int64_t[]){b->cout, b->cin, 3, 3}, &b->w));
    DF_TRY(df_param_init_uniform(b->w, rng, sqrtf(6.0f / (float)(b->cin * 9)))); /* He uniform */
    snprintf(name, sizeof name, "blocks.%d.bn.weight", j);
    DF_TRY(df_param_add(&n->params, name, 1, 1, ch, &b->gamma));
    DF_TRY(df_param_init_const(b->gamma, 1.0f));
    snprintf(name, sizeof name, "blocks.%d.bn.bias", j);
    DF_TRY(df_param_add(&n->params, name, 1, 1, ch, &b->beta));
    snprintf(name, sizeof name, "blocks.%d.bn.running_mean", j);
    DF_TRY(df_param_add(&n->params, name, 0, 1, ch, &b->rmean));
    snprintf(name, sizeof name, "blocks.%d.bn.running_var", j);
    DF_TRY(df_param_add(&n->params, name, 0, 1, ch, &b->rvar));
    DF_TRY(df_param_init_const(b->rvar, 1.0f));
    DF_TRY(df_tensor_new(&n->mean[j], dev, "classifier bn mean", b->cout));
    DF_TRY(df_tensor_new(&n->invstd[j], dev, "classifier bn invstd", b->cout));
  }
  int embed = dc_net_embed_dim(n);
  DF_TRY(df_param_add(&n->params, "fc.weight", 1, 2, (int64_t[]){c->n_classes, embed}, &n->fc_w));
  DF_TRY(df_param_init_uniform(n->fc_w, rng, 1.0f / sqrtf((float)embed)));
  DF_TRY(df_param_add(&n->params, "fc.bias", 1, 1, (int64_t[]){c->n_classes}, &n->fc_b));
  return DF_OK;
}

int dc_net_embed_dim(const dc_net *n) { return n->cfg.width << (DC_LAYERS - 1); }

/* Most batch-sized buffers: two per block and eleven more. */
#define DC_BATCH_TENSORS (2 * DC_LAYERS + 11)

/* Every batch-sized buffer, for models/batch_buffers.h (no views: the forward and backward
 * take views of the rows they use with DF_VIEW); returns how many. */
static int batch_tensors(dc_net *n, df_batch_tensor *t) {
  const dc_config *c = &n->cfg;
  int k = 0;
  int64_t largest = 0; /* per example */
  t[k++] = (df_batch_tensor){&n->mono, NULL, DF_F32, 0, 1, {c->length}, "classifier mono audio"};
  t[k++] = (df_batch_tensor){&n->mag, NULL, DF_F32, 0, 2, {c->n_fft / 2 + 1, n->frames}, "classifier power spectrogram"};
  t[k++] = (df_batch_tensor){&n->mel, NULL, DF_F32, 0, 2, {c->n_mels, n->frames}, "classifier log-Mel"};
  t[k++] = (df_batch_tensor){&n->lo, NULL, DF_F32, 0, 0, {0}, "log-Mel minimum"};
  t[k++] = (df_batch_tensor){&n->hi, NULL, DF_F32, 0, 0, {0}, "log-Mel maximum"};
  for (int j = 0; j < DC_LAYERS; j++) {
    const dc_block *b = &n->blocks[j];
    t[k++] = (df_batch_tensor){&n->pre[j], NULL, DF_F32, 0, 3, {b->cout, b->hout, b->wout}, "classifier conv output"};
    t[k++] = (df_batch_tensor){&n->act[j], NULL, DF_F32, 0, 3, {b->cout, b->hout, b->wout}, "classifier block output"};
    int64_t size = (int64_t)b->cout * b->hout * b->wout;
    if (size > largest) largest = size;
  }
  t[k++] = (df_batch_tensor){&n->grad_a, NULL, DF_F32, 0, 1, {largest}, "classifier gradient scratch"};
  t[k++] = (df_batch_tensor){&n->grad_b, NULL, DF_F32, 0, 1, {largest}, "classifier gradient scratch"};
  int64_t embed = dc_net_embed_dim(n);
  t[k++] = (df_batch_tensor){&n->pooled, NULL, DF_F32, 0, 1, {embed}, "classifier embeddings"};
  t[k++] = (df_batch_tensor){&n->dpooled, NULL, DF_F32, 0, 1, {embed}, "classifier embedding gradients"};
  t[k++] = (df_batch_tensor){&n->logits, NULL, DF_F32, 0, 1, {c->n_classes}, "classifier logits"};
  t[k++] = (df_batch_tensor){&n->dlogits, NULL, DF_F32, 0, 1, {c->n_classes}, "classifier logit gradients"};
  return k;
}

static void free_buffers(dc_net *n) {
  df_batch_tensor t[DC_BATCH_TENSORS];
  df_batch_free(t, batch_tensors(n, t), &n->capacity);
  df_stft_plan_free(n->plan);
  n->plan = NULL;
}

void dc_net_free(dc_net *n) {
  free_buffers(n);
  for (int j = 0; j < DC_LAYERS; j++) {
    df_tensor_free(&n->mean[j]);
    df_tensor_free(&n->invstd[j]);
  }
  df_tensor_free(&n->fb);
  df_param_set_free(&n->params);
}

/* The STFT plan and the buffers for at least `batch` examples: grown to the largest batch yet,
 * never shrunk. A failed growth leaves none, and the next call tries again. */
static df_status reserve(dc_net *n, int64_t batch) {
  if (batch <= n->capacity) return DF_OK;
  free_buffers(n);
  const dc_config *c = &n->cfg;
  df_batch_tensor t[DC_BATCH_TENSORS];
  DF_TRY(df_batch_reserve(t, batch_tensors(n, t), n->params.device, &n->capacity, batch));
  df_stft_config sc = {c->n_fft, c->hop, 0, 1, DF_PAD_REFLECT};
  df_status s = df_stft_plan_create(&sc, n->params.device, batch, c->length, &n->plan);
  if (s) free_buffers(n);
  return s;
}

/* The mono mix [B, L] of audio [B, channels, L], into n->mono (n->mag is the scratch: it is
 * larger than [B, L] since hop <= n_fft / 2). */
static df_status mix_down(dc_net *n, const df_tensor *audio, int64_t batch, df_tensor *mono) {
  const int64_t len = n->cfg.length, ch = audio->shape[1];
  df_tensor flat = DF_VIEW(audio, batch, ch * len), part = DF_VIEW(&n->mag, batch, len);
  DF_TRY(df_copy_band(&flat, 0, mono, 0, len));
  for (int64_t c = 1; c < ch; c++) {
    DF_TRY(df_copy_band(&flat, c * len, &part, 0, len));
    DF_TRY(df_add(mono, &part, mono));
  }
  return df_scale(mono, 1.0f / (float)ch, mono);
}

static const int conv_stride[2] = {2, 2}, conv_pad[2] = {1, 1};

df_status dc_net_forward(dc_net *n, const df_tensor *audio, int train) {
  const dc_config *c = &n->cfg;
  const int64_t batch = audio->shape[0];
  if (audio->ndim != 3 || audio->shape[2] != c->length || batch < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "classifier: audio '%s' must be [N, channels, %lld]", audio->name,
                   (long long)c->length);
  DF_TRY(reserve(n, batch));
  const int bins = c->n_fft / 2 + 1;
  df_tensor mono = DF_VIEW(&n->mono, batch, c->length);
  df_tensor mag = DF_VIEW(&n->mag, batch, bins, n->frames), mel = DF_VIEW(&n->mel, batch, c->n_mels, n->frames);
  if (audio->shape[1] == 1) mono = DF_VIEW(audio, batch, c->length);
  else DF_TRY(mix_down(n, audio, batch, &mono));
  DF_TRY(df_stft_magnitude(n->plan, &mono, 2.0f, &mag));
  DF_TRY(df_mel_project(&n->fb, &mag, &mel));
  df_db_config db = df_db_config_power();
  db.top_db = c->top_db;
  DF_TRY(df_to_db(&db, &mel, &mel));
  /* Each example to [0, 1] over its own top_db range: the level of a sound does not matter. */
  df_tensor lo = DF_VIEW(&n->lo, batch), hi = DF_VIEW(&n->hi, batch);
  DF_TRY(df_minmax_normalize(&mel, &mel, &lo, &hi));
  df_tensor x = DF_VIEW(&n->mel, batch, 1, c->n_mels, n->frames);
  for (int j = 0; j < DC_LAYERS; j++) {
    dc_block *b = &n->blocks[j];
    df_tensor pre = DF_VIEW(&n->pre[j], batch, b->cout, b->hout, b->wout);
    df_tensor act = DF_VIEW(&n->act[j], batch, b->cout, b->hout, b->wout);
    DF_TRY(df_conv2d_forward(&x, &b->w->value, NULL, conv_stride, conv_pad, &pre));
    if (train)
      DF_TRY(df_batchnorm_forward_train(&pre, &b->gamma->value, &b->beta->value, &b->rmean->value,
                                        &b->rvar->value, BN_MOMENTUM, BN_EPS, &act, &n->mean[j], &n->invstd[j]));
    else
      DF_TRY(df_batchnorm_forward_infer(&pre, &b->gamma->value, &b->beta->value, &b->rmean->value,
                                        &b->rvar->value, BN_EPS, &act));
    DF_TRY(df_activation_forward(DF_ACT_RELU, 0.0f, &act, &act));
    x = act;
  }
  /* Global average pooling: each (example, channel) plane of the last block's output. */
  const dc_block *last = &n->blocks[DC_LAYERS - 1];
  const int64_t planes = batch * last->cout;
  df_tensor a = DF_VIEW(&n->act[DC_LAYERS - 1], planes, (int64_t)last->hout * last->wout);
  df_tensor p1 = DF_VIEW(&n->pooled, planes), pooled = DF_VIEW(&n->pooled, batch, last->cout);
  DF_TRY(df_reduce_per_example_forward(DF_REDUCE_MEAN, &a, &p1));
  df_tensor logits = DF_VIEW(&n->logits, batch, c->n_classes);
  n->used = batch;
  return df_dense_forward(&pooled, &n->fc_w->value, &n->fc_b->value, &logits);
}

df_status dc_net_backward(dc_net *n) {
  const dc_config *c = &n->cfg;
  const int64_t batch = n->used;
  const dc_block *last = &n->blocks[DC_LAYERS - 1];
  df_tensor pooled = DF_VIEW(&n->pooled, batch, last->cout), dpooled = DF_VIEW(&n->dpooled, batch, last->cout);
  df_tensor dlogits = DF_VIEW(&n->dlogits, batch, c->n_classes);
  DF_TRY(df_dense_backward(&pooled, &n->fc_w->value, &dlogits, &dpooled, &n->fc_w->grad, &n->fc_b->grad));
  const int64_t planes = batch * last->cout, area = (int64_t)last->hout * last->wout;
  df_tensor a = DF_VIEW(&n->act[DC_LAYERS - 1], planes, area), g = DF_VIEW(&n->grad_a, planes, area);
  df_tensor dp = DF_VIEW(&n->dpooled, planes);
  DF_TRY(df_reduce_per_example_backward(DF_REDUCE_MEAN, &a, NULL, &dp, &g));
  for (int j = DC_LAYERS - 1; j >= 0; j--) {
    dc_block *b = &n->blocks[j];
    df_tensor act = DF_VIEW(&n->act[j], batch, b->cout, b->hout, b->wout);
    df_tensor pre = DF_VIEW(&n->pre[j], batch, b->cout, b->hout, b->wout);
    df_tensor dact = DF_VIEW(&n->grad_a, batch, b->cout, b->hout, b->wout);
    df_tensor dpre = DF_VIEW(&n->grad_b, batch, b->cout, b->hout, b->wout);
    DF_TRY(df_activation_backward(DF_ACT_RELU, 0.0f, &act, &dact, &dact));
    DF_TRY(df_batchnorm_backward(&pre, &b->gamma->value, &dact, &n->mean[j], &n->invstd[j], &dpre,
                                 &b->gamma->grad, &b->beta->grad));
    df_tensor x = j ? DF_VIEW(&n->act[j - 1], batch, b->cin, b->hin, b->win)
                    : DF_VIEW(&n->mel, batch, 1, c->n_mels, n->frames);
    df_tensor dx = DF_VIEW(&n->grad_a, batch, b->cin, b->hin, b->win);
    DF_TRY(df_conv2d_backward(&x, &b->w->value, &dpre, conv_stride, conv_pad, j ? &dx : NULL, &b->w->grad, NULL));
  }
  return DF_OK;
}
