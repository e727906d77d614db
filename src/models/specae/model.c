/* The spectrogram autoencoders as model types for the trainer and the commands
 * (include/drumforge/train.h): "specvae" and "specwae". */
#include <stdlib.h>
#include <string.h>

#include "models/preview.h"
#include "core/backend.h"
#include "models/specae/specae.h"

/* Inference runs on at most this many items at once (bounded memory for any N). */
#define SA_CHUNK 64

extern const df_model_type df_specvae_model_type, df_specwae_model_type;

static void destroy(void *model) {
  sa_model *m = model;
  if (!m) return;
  sa_net_free(&m->net);
  sa_frontend_free(&m->fe);
  sa_train_free(m);
  free(m);
}

/* Training normalises each channel over the batch and the positions of the smallest layer,
 * the bottleneck: one value per channel there has no variance to normalise by. */
static df_status check_batchnorm_batch(const df_config *cfg, const sa_config *c, int batch) {
  if ((int64_t)batch * c->bottleneck[0] * c->bottleneck[1] > 1) return DF_OK;
  return DF_CONFIG_FAIL(cfg, "train.batch", "%d with a 1 x 1 bottleneck (model.strides) leaves batch norm one value "
                        "per channel to normalise: use a batch of at least 2 or smaller strides", batch);
}

static df_status create(sa_kind kind, df_config *cfg, df_device dev, const df_train_data *data, df_rng *init_rng,
                        void **out) {
  sa_model *m = calloc(1, sizeof *m);
  if (!m) return DF_FAIL(DF_ERR_OOM, "spectrogram model");
  m->device = dev;
  df_status s = sa_config_read(cfg, kind, data ? data->n_classes : 0, data ? data->sample_rate : 16000, &m->cfg);
  if (!s && kind == SA_WAE && data && data->next_batch && data->batch_size < 2)
    s = DF_CONFIG_FAIL(cfg, "train.batch", "the MMD penalty compares latents within a batch: at least 2 needed");
  if (!s && data && data->next_batch) s = check_batchnorm_batch(cfg, &m->cfg, data->batch_size);
  if (!s) s = sa_net_build(&m->net, &m->cfg, dev, init_rng);
  if (!s) s = sa_frontend_init(&m->fe, &m->cfg, dev);
  if (s) {
    destroy(m);
    return s;
  }
  *out = m;
  return DF_OK;
}

static df_status create_vae(df_config *cfg, df_device dev, const df_train_data *data, df_rng *rng, void **out) {
  return create(SA_VAE, cfg, dev, data, rng, out);
}

static df_status create_wae(df_config *cfg, df_device dev, const df_train_data *data, df_rng *rng, void **out) {
  return create(SA_WAE, cfg, dev, data, rng, out);
}

static int n_param_sets(void *model) { return 1; }
static df_param_set *param_set(void *model, int i) { return &((sa_model *)model)->net.params; }

static df_status train_step(void *model, const df_train_data *data, df_rng *rng, df_metrics *out) {
  return sa_train_step(model, data, rng, out);
}

static int latent_dim(void *model) { return ((sa_model *)model)->cfg.latent_dim; }
static int n_classes(void *model) { return ((sa_model *)model)->cfg.n_classes; }

static void audio_shape(void *model, int *channels, int64_t *length) {
  *channels = 1;
  *length = ((sa_model *)model)->cfg.length;
}

static df_status preview(void *model, const char *dir, uint64_t seed, int count, int sample_rate,
                         const char *const *class_names, const int64_t *class_examples) {
  const df_model_type *type = ((sa_model *)model)->cfg.kind == SA_VAE ? &df_specvae_model_type : &df_specwae_model_type;
  return df_model_write_previews(type, model, dir, seed, count, sample_rate, class_names,
                                 class_examples);
}

/* The Gaussian prior N(0, sigma^2 I) the KL or MMD term holds the latents to. The plain
 * autoencoder (beta = 0) has none: its encodings lie wherever training put them (|z| of 30
 * and more), so it has no scale to call a latent far out by (0); it still samples N(0, I). */
static float prior_scale(void *model) {
  const sa_config *c = &((sa_model *)model)->cfg;
  return c->kind == SA_WAE || sa_stochastic(c) ? c->prior_sigma : 0.0f;
}

/* Truncation narrows the standard deviation. */
static df_status sample_latents(void *model, df_rng *rng, float truncation, df_tensor *z) {
  return df_rng_normal(rng, z, 0.0f, ((sa_model *)model)->cfg.prior_sigma * truncation);
}

/* ---------------------------------------------------------------- inference in chunks */
typedef struct chunk_buffers {
  df_tensor spec, lo, hi;
  float *lo_host, *hi_host, *stats;
} chunk_buffers;

static void chunks_free(chunk_buffers *b) {
  df_tensor_free(&b->spec);
  df_tensor_free(&b->lo);
  df_tensor_free(&b->hi);
  free(b->lo_host);
  free(b->hi_host);
  free(b->stats);
}

static df_status chunks_alloc(sa_model *m, int64_t n, chunk_buffers *b) {
  memset(b, 0, sizeof *b);
  const sa_config *c = &m->cfg;
  int64_t k = n < SA_CHUNK ? n : SA_CHUNK, rows = m->net.stats->value.shape[0];
  DF_TRY(df_tensor_alloc(&b->spec, m->device, DF_F32, 4, (int64_t[]){k, 1, c->bins, c->frames}, "spectrograms"));
  DF_TRY(df_tensor_alloc(&b->lo, m->device, DF_F32, 1, &k, "dB minima"));
  DF_TRY(df_tensor_alloc(&b->hi, m->device, DF_F32, 1, &k, "dB maxima"));
  b->lo_host = malloc(sizeof(float) * (size_t)k);
  b->hi_host = malloc(sizeof(float) * (size_t)k);
  b->stats = malloc(sizeof(float) * (size_t)(3 * rows));
  if (!b->lo_host || !b->hi_host || !b->stats) return DF_FAIL(DF_ERR_OOM, "inference buffers");
  return df_tensor_to_host(&m->net.stats->value, b->stats, 3 * rows);
}

/* Views of the first count rows of the buffers. */
static df_status chunk_views(chunk_buffers *b, int64_t count, df_tensor *spec, df_tensor *lo, df_tensor *hi) {
  DF_TRY(df_tensor_slice0(&b->spec, 0, count, spec));
  DF_TRY(df_tensor_slice0(&b->lo, 0, count, lo));
  return df_tensor_slice0(&b->hi, 0, count, hi);
}

static df_status check_io(const char *fn, sa_model *m, const df_tensor *a, int ndim, const int64_t *shape,
                          const int32_t *labels) {
  DF_TRY(df_check_shape(fn, a, ndim, shape));
  if (a->device != m->device) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: '%s' is not on the model's device", fn, a->name);
  if (m->cfg.n_classes && !labels)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: this model is conditional: class labels are needed", fn);
  return DF_OK;
}

typedef enum { RUN_DECODE, RUN_ENCODE, RUN_RECONSTRUCT } run_kind;

/* decode: z -> audio; encode: audio -> z; reconstruct: audio -> audio, chunk by chunk. */
static df_status run(sa_model *m, run_kind kind, const df_tensor *in, const int32_t *labels, df_tensor *out) {
  const sa_config *c = &m->cfg;
  int64_t n = in->shape[0];
  chunk_buffers b;
  df_status s = chunks_alloc(m, n, &b);
  for (int64_t first = 0; !s && first < n; first += SA_CHUNK) {
    int64_t count = n - first < SA_CHUNK ? n - first : SA_CHUNK;
    const int32_t *lab = c->n_classes ? labels + first : NULL;
    df_tensor x, y, spec, lo, hi;
    s = df_tensor_slice0(in, first, count, &x);
    if (!s) s = df_tensor_slice0(out, first, count, &y);
    if (!s) s = chunk_views(&b, count, &spec, &lo, &hi);
    if (!s && kind != RUN_DECODE) s = sa_analyse(&m->fe, c, &x, &spec, &lo, &hi);
    if (!s && kind != RUN_DECODE) s = sa_encode(&m->net, c, &spec, lab, 0);
    if (kind == RUN_ENCODE) {
      if (!s) s = df_tensor_copy(&y, &m->net.mean);
      continue;
    }
    if (!s) s = sa_decode(&m->net, c, kind == RUN_DECODE ? &x : &m->net.mean, lab, 0);
    if (!s) s = df_tensor_copy(&spec, sa_decoded(&m->net, c));
    if (!s && kind == RUN_DECODE) { /* a sampled latent has no level of its own: the data's */
      for (int64_t i = 0; i < count; i++) sa_stats_range(m, b.stats, lab ? lab[i] : 0, &b.lo_host[i], &b.hi_host[i]);
      s = df_tensor_from_host(&lo, b.lo_host, count);
      if (!s) s = df_tensor_from_host(&hi, b.hi_host, count);
    }
    if (!s) s = sa_synthesise(&m->fe, c, &spec, &lo, &hi, &y);
  }
  chunks_free(&b);
  return s;
}

static df_status decode(void *model, const df_tensor *z, const int32_t *labels, df_tensor *audio) {
  sa_model *m = model;
  int64_t n = z->shape[0];
  DF_TRY(check_io("decode", m, z, 2, (int64_t[]){n, m->cfg.latent_dim}, labels));
  DF_TRY(check_io("decode", m, audio, 3, (int64_t[]){n, 1, m->cfg.length}, labels));
  return run(m, RUN_DECODE, z, labels, audio);
}

static df_status encode(void *model, const df_tensor *audio, const int32_t *labels, df_tensor *z) {
  sa_model *m = model;
  int64_t n = audio->shape[0];
  DF_TRY(check_io("encode", m, audio, 3, (int64_t[]){n, 1, m->cfg.length}, labels));
  DF_TRY(check_io("encode", m, z, 2, (int64_t[]){n, m->cfg.latent_dim}, labels));
  return run(m, RUN_ENCODE, audio, labels, z);
}

static df_status reconstruct(void *model, const df_tensor *audio, const int32_t *labels, df_tensor *out) {
  sa_model *m = model;
  int64_t shape[3] = {audio->shape[0], 1, m->cfg.length};
  DF_TRY(check_io("reconstruct", m, audio, 3, shape, labels));
  DF_TRY(check_io("reconstruct", m, out, 3, shape, labels));
  return run(m, RUN_RECONSTRUCT, audio, labels, out);
}

#define SA_MODEL_TYPE(type_name, create_fn)                                                             \
  {                                                                                                     \
    .name = type_name, .create = create_fn, .destroy = destroy, .n_param_sets = n_param_sets,          \
    .param_set = param_set, .train_step = train_step, .preview = preview, .latent_dim = latent_dim,    \
    .n_classes = n_classes, .audio_shape = audio_shape, .sample_latents = sample_latents,              \
    .prior_scale = prior_scale,                                                                         \
    .decode = decode, .encode = encode, .reconstruct = reconstruct                                      \
  }

const df_model_type df_specvae_model_type = SA_MODEL_TYPE("specvae", create_vae);
const df_model_type df_specwae_model_type = SA_MODEL_TYPE("specwae", create_wae);
