/* The drum-class classifier as a model type of the trainer (model.type = classifier), so it
 * trains with the trainer's checkpoints, exact resume and metrics. Each step augments its
 * batch (augment.h) and takes the class-weighted cross-entropy (loss.h). It generates
 * nothing: the generation entries refuse. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/train.h"
#include "models/classifier/augment.h"
#include "models/classifier/classifier_model.h"
#include "models/classifier/loss.h"

typedef struct classifier_model {
  dc_net net;
  int channels;
  df_tensor x;       /* one training batch [batch, channels, length] */
  int32_t *labels;   /* [batch] */
  float *host;       /* logits and their gradients [batch, classes] */
  dc_augment aug;
  double class_weights[DF_MAX_CLASSES]; /* of the cross-entropy (loss.class_weight_power) */
  double lr;         /* optim.lr, the rate before the cosine decay */
  long cosine_steps; /* optim.cosine_steps: the rate falls to 0 over these (0: constant) */
  float *audio;      /* the batch on the host while it is augmented, and scratch */
  float *scratch;
  float *unmixed;    /* the augmented batch before mixup */
  int32_t *other;    /* mixup: the other example's label [batch] (-1: none) ... */
  float *keep;       /* ... and the share of each example's own sound */
  int64_t *partner;  /* mixup's pairing [batch] */
} classifier_model;

static df_status create(df_config *cfg, df_device dev, const df_train_data *data, df_rng *init_rng,
                        void **out) {
  dc_config c = {0};
  long v;
  double lr, wd, power;
  c.n_classes = data ? data->n_classes : 0;
  c.sample_rate = data ? data->sample_rate : 16000;
  DF_TRY(df_config_int(cfg, "model.length", 16384, 256, 1 << 22, &v));
  c.length = v;
  DF_TRY(df_config_int(cfg, "model.channels", 1, 1, 2, &v));
  int channels = (int)v;
  DF_TRY(df_config_int(cfg, "model.n_fft", 1024, 64, 8192, &v));
  c.n_fft = (int)v;
  DF_TRY(df_config_int(cfg, "model.hop", 256, 16, 4096, &v));
  c.hop = (int)v;
  if (c.hop > c.n_fft / 2)
    return DF_CONFIG_FAIL(cfg, "model.hop", "%d is more than half of model.n_fft (%d)", c.hop, c.n_fft);
  DF_TRY(df_config_int(cfg, "model.n_mels", 64, 8, 256, &v));
  c.n_mels = (int)v;
  double top_db;
  DF_TRY(df_config_float(cfg, "model.top_db", 80, 10, 200, &top_db));
  c.top_db = (float)top_db;
  DF_TRY(df_config_int(cfg, "model.width", 16, 1, 256, &v));
  c.width = (int)v;
  DF_TRY(df_config_float(cfg, "optim.lr", 1e-3, 0, 1, &lr));
  DF_TRY(df_config_float(cfg, "optim.weight_decay", 1e-4, 0, 1, &wd));
  DF_TRY(df_config_float(cfg, "loss.class_weight_power", 0, 0, 1, &power));
  long cosine_steps;
  DF_TRY(df_config_int(cfg, "optim.cosine_steps", 0, 0, 1000000000L, &cosine_steps));
  if (c.n_classes < 2)
    return DF_FAIL(DF_ERR_CONFIG, "model.type = classifier: the data has %d classes; a classifier needs a labelled "
                   "dataset with at least 2", c.n_classes);
  classifier_model *m = calloc(1, sizeof *m);
  if (!m) return DF_FAIL(DF_ERR_OOM, "classifier");
  m->channels = channels;
  m->lr = lr;
  m->cosine_steps = cosine_steps;
  /* Outside training (loading, checking a config) the counts are unknown and not needed. */
  for (int k = 0; k < c.n_classes; k++) m->class_weights[k] = 1.0;
  if (data && data->class_counts) dc_class_weights(data->class_counts, c.n_classes, power, m->class_weights);
  df_status s = dc_augment_read(cfg, c.sample_rate, &m->aug);
  if (s) {
    free(m);
    return s;
  }
  df_adam_config adam = {(float)lr, 0.9f, 0.999f, 1e-8f, (float)wd};
  s = dc_net_build(&m->net, &c, dev, &adam, init_rng);
  if (s) {
    dc_net_free(&m->net);
    free(m);
    return s;
  }
  *out = m;
  return DF_OK;
}

/* The per-batch buffers, NULL again (so a failed allocation is retried whole). */
static void free_batch(classifier_model *m) {
  df_tensor_free(&m->x);
  void **bufs[] = {(void **)&m->labels, (void **)&m->host,  (void **)&m->audio,  (void **)&m->scratch,
                   (void **)&m->unmixed, (void **)&m->other, (void **)&m->keep, (void **)&m->partner};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
    free(*bufs[i]);
    *bufs[i] = NULL;
  }
}

static void destroy(void *model) {
  classifier_model *m = model;
  if (!m) return;
  dc_net_free(&m->net);
  free_batch(m);
  free(m);
}

static int n_param_sets(void *model) { return 1; }
static df_param_set *param_set(void *model, int i) { return &((classifier_model *)model)->net.params; }

static df_status train_step(void *model, const df_train_data *data, df_rng *rng, df_metrics *out) {
  classifier_model *m = model;
  dc_net *n = &m->net;
  const int64_t batch = data->batch_size;
  const int classes = n->cfg.n_classes;
  if (m->x.data && m->x.shape[0] != batch) free_batch(m); /* sized for another batch size */
  if (!m->x.data) {
    DF_TRY(df_tensor_new(&m->x, n->params.device, "classifier batch", batch, m->channels, n->cfg.length));
    m->labels = malloc(sizeof(int32_t) * (size_t)batch);
    m->host = malloc(sizeof(float) * (size_t)(batch * classes));
    const size_t numel = (size_t)df_tensor_numel(&m->x);
    m->audio = malloc(sizeof(float) * numel);
    m->scratch = malloc(sizeof(float) * (size_t)n->cfg.length);
    m->unmixed = malloc(sizeof(float) * numel);
    m->other = malloc(sizeof(int32_t) * (size_t)batch);
    m->keep = malloc(sizeof(float) * (size_t)batch);
    m->partner = malloc(sizeof(int64_t) * (size_t)batch);
    if (!m->labels || !m->host || !m->audio || !m->scratch || !m->unmixed || !m->other || !m->keep || !m->partner) {
      free_batch(m);
      return DF_FAIL(DF_ERR_OOM, "classifier batch");
    }
  }
  DF_TRY(data->next_batch(data->ctx, &m->x, m->labels));
  const int mixup = m->aug.mixup > 0;
  if (dc_augment_active(&m->aug) || mixup) {
    const int64_t numel = df_tensor_numel(&m->x);
    DF_TRY(df_tensor_to_host(&m->x, m->audio, numel));
    DF_TRY(dc_augment_batch(&m->aug, rng, m->audio, batch, m->channels, n->cfg.length, m->scratch));
    if (mixup) {
      memcpy(m->unmixed, m->audio, sizeof(float) * (size_t)numel);
      DF_TRY(dc_mixup_batch(&m->aug, rng, m->unmixed, m->audio, m->labels, classes, batch, m->channels,
                            n->cfg.length, m->other, m->keep, m->partner));
    }
    DF_TRY(df_tensor_from_host(&m->x, m->audio, numel));
  }
  DF_TRY(dc_net_forward(n, &m->x, 1));
  df_tensor logits = {0}, dlogits = {0};
  DF_TRY(df_tensor_slice0(&n->logits, 0, batch, &logits));
  DF_TRY(df_tensor_slice0(&n->dlogits, 0, batch, &dlogits));
  DF_TRY(df_tensor_to_host(&logits, m->host, batch * classes));
  dc_ce_result ce = dc_cross_entropy(m->host, m->labels, mixup ? m->other : NULL, mixup ? m->keep : NULL, batch,
                                     classes, m->class_weights, m->host);
  DF_TRY(df_tensor_from_host(&dlogits, m->host, batch * classes));
  DF_TRY(df_param_set_zero_grad(&n->params));
  DF_TRY(dc_net_backward(n));
  if (m->cosine_steps > 0) {
    /* From the updates done so far, which the checkpoint keeps: a resumed run decays alike. */
    double t = (double)n->params.adam_step / (double)m->cosine_steps;
    n->params.adam.lr = (float)(m->lr * 0.5 * (1.0 + cos(M_PI * (t < 1 ? t : 1))));
  }
  DF_TRY(df_param_set_adam(&n->params));
  df_metrics_set(out, "loss", ce.loss);
  df_metrics_set(out, "accuracy", ce.labelled ? (double)ce.right / (double)ce.labelled : 0.0);
  return DF_OK;
}

static int latent_dim(void *model) { return 0; }
static int n_classes(void *model) { return 0; }

static void audio_shape(void *model, int *channels, int64_t *length) {
  classifier_model *m = model;
  *channels = m->channels;
  *length = m->net.cfg.length;
}

static df_status sample_latents(void *model, df_rng *rng, float truncation, df_tensor *z) {
  return DF_FAIL(DF_ERR_UNSUPPORTED, "the drum-class classifier does not generate sounds");
}

static df_status decode(void *model, const df_tensor *z, const int32_t *labels, df_tensor *audio) {
  return DF_FAIL(DF_ERR_UNSUPPORTED, "the drum-class classifier does not generate sounds");
}

const df_model_type df_classifier_model_type = {
    .name = "classifier",
    .create = create,
    .destroy = destroy,
    .n_param_sets = n_param_sets,
    .param_set = param_set,
    .train_step = train_step,
    .preview = NULL,
    .latent_dim = latent_dim,
    .n_classes = n_classes,
    .audio_shape = audio_shape,
    .sample_latents = sample_latents,
    .decode = decode,
    .encode = NULL,
};

df_status dc_classify(void *model, const df_tensor *audio, float *probs, float *embed) {
  classifier_model *m = model;
  dc_net *n = &m->net;
  const int64_t batch = audio->shape[0];
  const int classes = n->cfg.n_classes, dim = dc_net_embed_dim(n);
  DF_TRY(dc_net_forward(n, audio, 0));
  df_tensor t;
  if (probs) {
    DF_TRY(df_tensor_slice0(&n->logits, 0, batch, &t));
    DF_TRY(df_tensor_to_host(&t, probs, batch * classes));
    double p[DF_MAX_CLASSES];
    for (int64_t i = 0; i < batch; i++) {
      dc_softmax(probs + i * classes, classes, p);
      for (int c = 0; c < classes; c++) probs[i * classes + c] = (float)p[c];
    }
  }
  if (embed) {
    DF_TRY(df_tensor_slice0(&n->pooled, 0, batch, &t));
    DF_TRY(df_tensor_to_host(&t, embed, batch * dim));
  }
  return DF_OK;
}

void dc_shape(void *model, dc_shape_info *out) {
  classifier_model *m = model;
  out->classes = m->net.cfg.n_classes;
  out->embed_dim = dc_net_embed_dim(&m->net);
  out->channels = m->channels;
  out->length = m->net.cfg.length;
  out->sample_rate = m->net.cfg.sample_rate;
}
