/* WaveGAN keeps its buffers (generator activations, critic rows, training scratch) for the
 * largest batch it has seen and runs smaller batches on the first rows. A model that has run
 * batches of 8, 3, 12 and 3 gives, at each, the bits of a fresh model's first run at that size:
 * one training iteration (a critic step on [real | fake (| xhat)] row groups, a generator
 * step) with its losses, every gradient, every parameter after Adam (batch-norm running
 * statistics included), the generator step's fakes and scores, then generation. Conditional
 * models with generator batch norm and phase shuffle: WGAN-GP (three row groups), and hinge
 * with critic batch norm per row group, nearest-neighbour upsampling and a post-filter. CPU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/snapshot.h"
#include "common/testlib.h"
#include "models/wavegan/wavegan_internal.h"

#define MAX_BATCH 12
#define CLASSES 3

typedef struct variant {
  const char *name;
  df_gan_loss loss;
  df_upsample_mode upsample;
  int post_filter;
} variant;

/* The data: the first n of MAX_BATCH fixed sounds and labels, for every critic step alike. */
typedef struct data {
  const df_tensor *audio;
  const int32_t *labels;
} data;

static df_status next_batch(void *ctx, df_tensor *x, int32_t *labels) {
  const data *d = ctx;
  df_tensor rows;
  DF_TRY(df_tensor_slice0(d->audio, 0, x->shape[0], &rows));
  memcpy(labels, d->labels, sizeof(int32_t) * (size_t)x->shape[0]);
  return df_tensor_copy(x, &rows);
}

/* Every parameter's value after Adam (and, for trainable ones, its gradient). */
static df_status add_params(df_snapshot *o, const df_param_set *set) {
  for (int i = 0; i < set->n; i++) {
    char name[128];
    snprintf(name, sizeof name, "%s.%s after Adam", set->prefix, set->items[i]->name);
    DF_TRY(df_snapshot_add(o, name, &set->items[i]->value));
    snprintf(name, sizeof name, "gradient of %s.%s", set->prefix, set->items[i]->name);
    if (set->items[i]->trainable) DF_TRY(df_snapshot_add(o, name, &set->items[i]->grad));
  }
  return DF_OK;
}

static df_status create(const variant *v, df_wavegan **m) {
  df_wavegan_config c = {0};
  c.d = 2;
  c.slice_len = 16384;
  c.channels = 1;
  c.kernel = 25;
  c.latent_dim = 8;
  c.phase_shuffle = 2;
  c.upsample = v->upsample;
  c.post_filter = v->post_filter;
  c.batchnorm = 1;
  c.n_classes = CLASSES;
  c.class_embed = 4;
  c.leaky_slope = 0.2f;
  c.loss = v->loss;
  c.gp_lambda = 10.0f;
  df_rng rng;
  df_rng_init(&rng, 1234);
  df_adam_config adam = {1e-3f, 0.5f, 0.9f, 1e-8f, 0};
  return df_wavegan_create(&c, DF_DEVICE_CPU, &rng, &adam, &adam, m);
}

/* Every value, Adam moment and step count to the pristine model's, so each run starts from the
 * same state whatever ran before. */
static df_status restore_set(df_param_set *set, const df_param_set *pristine) {
  for (int i = 0; i < set->n; i++) {
    df_param *p = set->items[i];
    const df_param *q = pristine->items[i];
    DF_TRY(df_tensor_copy(&p->value, &q->value));
    if (!p->trainable) continue;
    DF_TRY(df_tensor_copy(&p->m, &q->m));
    DF_TRY(df_tensor_copy(&p->v, &q->v));
  }
  set->adam_step = pristine->adam_step;
  return DF_OK;
}

/* Everything one run at batch n produces, into o. */
static df_status run(df_wavegan *m, df_wavegan *pristine, const data *d, const df_tensor *z, int64_t n,
                     df_snapshot *o) {
  const df_wavegan_config *c = &m->cfg;
  DF_TRY(restore_set(&m->g.params, &pristine->g.params));
  DF_TRY(restore_set(&m->d.params, &pristine->d.params));
  df_rng rng;
  df_rng_init(&rng, 99);
  df_wavegan_stats st;
  DF_TRY(df_wavegan_train_iteration(m, n, 1, next_batch, (void *)d, &rng, &st));
  float losses[5] = {st.d_loss, st.g_loss, st.gp, st.wdist, st.mean_slope};
  df_tensor lt = df_tensor_wrap(losses, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){5}, "losses");
  DF_TRY(df_snapshot_add(o, "losses (d, g, gp, wdist, mean slope)", &lt));
  DF_TRY(add_params(o, &m->g.params));
  DF_TRY(add_params(o, &m->d.params));
  DF_TRY(df_snapshot_add(o, "generator step fakes", wg_generator_output(&m->g, c)));
  df_tensor scores;
  DF_TRY(df_tensor_slice0(&m->d.out, 0, n, &scores));
  DF_TRY(df_snapshot_add(o, "generator step critic scores", &scores));
  /* Generation (running statistics) at the same size. */
  df_tensor zn, audio;
  DF_TRY(df_tensor_slice0(z, 0, n, &zn));
  DF_TRY(df_tensor_new(&audio, DF_DEVICE_CPU, "generated", n, c->channels, c->slice_len));
  df_status s = df_wavegan_generate(m, &zn, d->labels, &audio);
  if (!s) s = df_snapshot_add(o, "generated audio", &audio);
  df_tensor_free(&audio);
  return s;
}

static void check(const variant *v) {
  printf("== %s\n", v->name);
  df_wavegan *used = NULL, *pristine = NULL;
  if (!df_expect_ok(create(v, &used), "create") || !df_expect_ok(create(v, &pristine), "create")) {
    df_wavegan_free(used);
    return;
  }
  df_tensor audio, z;
  df_tensor_new(&audio, DF_DEVICE_CPU, "sounds", MAX_BATCH, 1, 16384);
  df_tensor_new(&z, DF_DEVICE_CPU, "latents", MAX_BATCH, 8);
  df_test_fill_uniform(audio.data, df_tensor_numel(&audio), 5, -0.5f, 0.5f);
  df_test_fill_uniform(z.data, df_tensor_numel(&z), 6, -1.0f, 1.0f);
  int32_t labels[MAX_BATCH];
  for (int i = 0; i < MAX_BATCH; i++) labels[i] = (i * 7) % CLASSES;
  data d = {&audio, labels};
  const int64_t sizes[] = {8, 3, 12, 3}; /* smaller, larger (the buffers grow), smaller again */
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    static df_snapshot got, want;
    df_wavegan *fresh = NULL;
    char what[256];
    snprintf(what, sizeof what, "%s: batch %lld after %zu other batches", v->name, (long long)sizes[i], i);
    int ok = df_expect_ok(run(used, pristine, &d, &z, sizes[i], &got), what);
    snprintf(what, sizeof what, "%s: a fresh model's first batch of %lld", v->name, (long long)sizes[i]);
    if (ok && i > 0 && df_expect_ok(create(v, &fresh), what) &&
        df_expect_ok(run(fresh, pristine, &d, &z, sizes[i], &want), what)) {
      snprintf(what, sizeof what, "%s, batch %lld after others = fresh", v->name, (long long)sizes[i]);
      df_snapshot_expect_equal(what, &got, &want);
    }
    df_wavegan_free(fresh);
    df_snapshot_free(&got);
    df_snapshot_free(&want);
  }
  df_tensor_free(&audio);
  df_tensor_free(&z);
  df_wavegan_free(used);
  df_wavegan_free(pristine);
}

int main(void) {
  df_test_begin("test_wavegan_batch_views");
  static const variant variants[] = {
      {"conditional WGAN-GP, generator batch norm", DF_GAN_WGAN_GP, DF_UPSAMPLE_ZEROS, 0},
      {"conditional hinge, batch norm in both, nn upsampling, post-filter", DF_GAN_HINGE, DF_UPSAMPLE_NN, 16},
  };
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) check(&variants[i]);
  return df_test_finish();
}
