/* The spectrogram autoencoders keep their buffers for the largest batch they have seen and run
 * smaller batches on the first rows. A model that has run batches of 8, 3, 12 and 3 gives, at
 * each, the bits of a fresh model's first run at that size: the front end (spectrograms and dB
 * ranges), the training loss, decoded spectrograms and every gradient (batch norm over the
 * batch's rows only), the dataset statistics folded from the batch, and encode and decode
 * through the model interface. A VAE on linear bins and a conditional WAE on Mel bands, CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "models/specae/specae.h"

extern const df_model_type df_specvae_model_type, df_specwae_model_type;

#define MAX_BATCH 12
#define LENGTH 2048

static const char *const vae_text =
    "[model]\nfilters = 4, 8\nstrides = 2, 2\nlatent_dim = 4\n"
    "[spectrogram]\nlength = 2048\nn_fft = 64\nhop = 32\nframes = 64\n"
    "[loss]\nbeta = 1e-2\n[griffinlim]\niterations = 4\n";

static const char *const cwae_text =
    "[model]\nfilters = 4, 8\nstrides = (2, 4), 2\nlatent_dim = 4\nconditional = true\nclass_embed = 3\n"
    "[spectrogram]\nlength = 2048\nn_fft = 64\nhop = 32\nmel_bands = 16\nframes = 64\n"
    "[griffinlim]\niterations = 4\n";

/* Everything one run at batch n produces, on the host. */
typedef struct outputs {
  int64_t n;
  float *spec, *lo, *hi;      /* the front end */
  double loss, recon;
  float reg;
  float *decoded, *grads;     /* the training evaluation */
  float *stats;               /* the dataset statistics after folding this batch in */
  float *z, *audio;           /* encode, then decode of the latents */
  int64_t n_spec, n_grads, n_stats, n_z, n_audio;
} outputs;

static void outputs_free(outputs *o) {
  float *all[] = {o->spec, o->lo, o->hi, o->decoded, o->grads, o->stats, o->z, o->audio};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
  memset(o, 0, sizeof *o);
}

static float *to_host(const df_tensor *t, int64_t *count) {
  int64_t n = df_tensor_numel(t);
  float *h = malloc(sizeof(float) * (size_t)n);
  if (h) df_tensor_to_host(t, h, n);
  if (count) *count = n;
  return h;
}

static df_status create(const df_model_type *type, const char *text, void **model) {
  df_config *cfg;
  DF_TRY(df_config_parse(text, type->name, &cfg));
  static const char *const classes[] = {"kick", "snare", "hat"};
  df_train_data info = {NULL, NULL, MAX_BATCH, 16000, 3, classes, NULL};
  df_rng rng;
  df_rng_init(&rng, 7);
  df_status s = type->create(cfg, DF_DEVICE_CPU, &info, &rng, model);
  df_config_free(cfg);
  return s;
}

/* Sets every parameter value (weights, batch-norm running statistics, dataset statistics) to
 * the pristine model's, so each run starts from the same state whatever ran before. */
static df_status restore(sa_model *m, sa_model *pristine) {
  df_param_set *set = &m->net.params;
  for (int i = 0; i < set->n; i++) DF_TRY(df_tensor_copy(&set->items[i]->value, &pristine->net.params.items[i]->value));
  return DF_OK;
}

/* One run at batch n on the first n items of audio [MAX_BATCH, 1, LENGTH]: a training
 * evaluation (batch statistics), the statistics update, then encode and decode. */
static df_status run(const df_model_type *type, sa_model *m, sa_model *pristine, const df_tensor *audio,
                     const int32_t *labels, int64_t n, outputs *o) {
  memset(o, 0, sizeof *o);
  o->n = n;
  const sa_config *c = &m->cfg;
  const int32_t *lab = c->n_classes ? labels : NULL;
  DF_TRY(restore(m, pristine));
  DF_TRY(sa_train_reserve(m, n));
  df_tensor x;
  DF_TRY(df_tensor_slice0(audio, 0, n, &x));
  DF_TRY(df_tensor_copy(&m->audio, &x));
  DF_TRY(sa_analyse(&m->fe, c, &m->audio, &m->spec, &m->lo, &m->hi));
  o->spec = to_host(&m->spec, &o->n_spec);
  o->lo = to_host(&m->lo, NULL);
  o->hi = to_host(&m->hi, NULL);
  df_rng noise;
  df_rng_init(&noise, 99);
  sa_losses l;
  DF_TRY(sa_loss_gradients(m, lab, &noise, &l));
  o->loss = l.loss;
  o->recon = l.recon;
  o->reg = l.reg;
  o->decoded = to_host(sa_decoded(&m->net, c), NULL);
  df_param_set *set = &m->net.params;
  for (int i = 0; i < set->n; i++)
    if (set->items[i]->trainable) o->n_grads += df_tensor_numel(&set->items[i]->grad);
  o->grads = malloc(sizeof(float) * (size_t)o->n_grads);
  int64_t at = 0;
  for (int i = 0; o->grads && i < set->n; i++) {
    const df_tensor *g = &set->items[i]->grad;
    if (!set->items[i]->trainable) continue;
    DF_TRY(df_tensor_to_host(g, o->grads + at, df_tensor_numel(g)));
    at += df_tensor_numel(g);
  }
  DF_TRY(sa_stats_update(m, &m->lo, &m->hi, lab ? &m->net.labels_dev : NULL));
  o->stats = to_host(&m->net.stats->value, &o->n_stats);
  DF_TRY(restore(m, pristine)); /* inference with the pristine running statistics */
  df_tensor z, y;
  DF_TRY(df_tensor_new(&z, DF_DEVICE_CPU, "latents", n, c->latent_dim));
  df_status s = df_tensor_new(&y, DF_DEVICE_CPU, "decoded audio", n, 1, LENGTH);
  if (!s) s = type->encode(m, &x, lab, &z);
  if (!s) s = type->decode(m, &z, lab, &y);
  if (!s) {
    o->z = to_host(&z, &o->n_z);
    o->audio = to_host(&y, &o->n_audio);
  }
  df_tensor_free(&z);
  df_tensor_free(&y);
  return s;
}

static void same(const char *model, int64_t n, const char *what, const float *got, const float *want, int64_t count) {
  char name[256];
  snprintf(name, sizeof name, "%s, batch %lld after others = fresh: %s", model, (long long)n, what);
  if (!got || !want) {
    df_test_fail(name, "no output");
    return;
  }
  df_expect_equal_bytes(name, got, want, sizeof(float) * (size_t)count);
}

static void compare(const char *model, const outputs *got, const outputs *want) {
  int64_t n = got->n;
  same(model, n, "spectrograms", got->spec, want->spec, got->n_spec);
  same(model, n, "dB minima", got->lo, want->lo, n);
  same(model, n, "dB maxima", got->hi, want->hi, n);
  float lg[3] = {(float)got->loss, (float)got->recon, got->reg}, lw[3] = {(float)want->loss, (float)want->recon, want->reg};
  double dg[2] = {got->loss, got->recon}, dw[2] = {want->loss, want->recon};
  char name[256];
  snprintf(name, sizeof name, "%s, batch %lld after others = fresh: loss, reconstruction and regulariser", model,
           (long long)n);
  df_expect_true(!memcmp(dg, dw, sizeof dg) && !memcmp(lg, lw, sizeof lg), name);
  same(model, n, "decoded spectrograms (training)", got->decoded, want->decoded, got->n_spec);
  same(model, n, "every gradient", got->grads, want->grads, got->n_grads);
  same(model, n, "dataset statistics", got->stats, want->stats, got->n_stats);
  same(model, n, "encoded latents", got->z, want->z, got->n_z);
  same(model, n, "decoded audio", got->audio, want->audio, got->n_audio);
}

static void check(const char *name, const df_model_type *type, const char *text) {
  printf("== %s\n", name);
  void *used = NULL, *pristine = NULL;
  if (!df_expect_ok(create(type, text, &used), "create") || !df_expect_ok(create(type, text, &pristine), "create")) {
    type->destroy(used);
    return;
  }
  df_tensor audio;
  df_tensor_new(&audio, DF_DEVICE_CPU, "sounds", MAX_BATCH, 1, LENGTH);
  df_test_fill_uniform(audio.data, df_tensor_numel(&audio), 5, -0.5f, 0.5f);
  int32_t labels[MAX_BATCH];
  for (int i = 0; i < MAX_BATCH; i++) labels[i] = (i * 7) % 3;
  const int64_t sizes[] = {8, 3, 12, 3}; /* smaller, larger (the buffers grow), smaller again */
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    outputs got, want;
    memset(&want, 0, sizeof want);
    void *fresh = NULL;
    char what[128];
    snprintf(what, sizeof what, "%s: batch %lld after %zu other batches", name, (long long)sizes[i], i);
    int ok = df_expect_ok(run(type, used, pristine, &audio, labels, sizes[i], &got), what);
    snprintf(what, sizeof what, "%s: a fresh model's first batch of %lld", name, (long long)sizes[i]);
    if (ok && i > 0 && df_expect_ok(create(type, text, &fresh), what) &&
        df_expect_ok(run(type, fresh, pristine, &audio, labels, sizes[i], &want), what))
      compare(name, &got, &want);
    if (fresh) type->destroy(fresh);
    outputs_free(&got);
    outputs_free(&want);
  }
  df_tensor_free(&audio);
  type->destroy(used);
  type->destroy(pristine);
}

int main(void) {
  df_test_begin("test_specae_batch_views");
  check("VAE", &df_specvae_model_type, vae_text);
  check("CWAE", &df_specwae_model_type, cwae_text);
  return df_test_finish();
}
