/* Several training steps of the spectrogram autoencoders against PyTorch
 * (tests/python/specae_train_reference.py, float64): K calls of sa_train_step on fixed audio
 * batches, from the same initial weights and with the same random draws, must give the same
 * parameters, batch-norm running statistics and dB statistics (AE.spec_stats) as a plain loop
 * with torch.optim.Adam and torch.nn.utils.clip_grad_norm_, and the same per-step losses,
 * gradient norms and input spectrograms. test_specae_torch checks one loss evaluation's
 * gradients; this checks what the training step does around them: the front end (STFT, dB
 * with the top_db floor, per-item min-max), Adam's lr, betas and bias correction, global-norm
 * clipping, batch norm's running statistics (train mode; an eval-mode pass afterwards uses
 * them) and fresh noise / prior samples at every step.
 *
 * The draws: a step draws the VAE's eps [N, latent] (beta > 0), or the WAE's prior samples,
 * from the stream it is given, nothing else. The test re-draws them from a copy of the stream
 * taken before the step, in that order, and hands them to PyTorch; that the replay is what
 * drumforge drew is checked (the stream ends at the same offset, and the step's eps or prior
 * samples, still in the model's buffers, are the replay's). Skipped (exit 77) when Python or
 * torch is missing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/specae_ref.h"
#include "common/testlib.h"
#include "common/torch_ref.h"
#include "drumforge/safetensors.h"

extern const df_model_type df_specvae_model_type, df_specwae_model_type;

#define MAX_STEPS 5
#define BATCH 6
#define CLASSES 3

typedef struct variant {
  const char *name;
  const df_model_type *type;
  const char *sections; /* [loss] and [optim] */
  int conditional, steps;
  int clips; /* optim.clip_norm is below every step's gradient norm (checked) */
} variant;

/* The run's fixed batches: next_batch hands out batch `next` of audio [K, N, 1, L]. */
typedef struct feeder {
  const df_tensor *audio;
  const int32_t *labels; /* [K, N] */
  int next;
} feeder;

static df_status next_batch(void *ctx, df_tensor *x, int32_t *labels) {
  feeder *f = ctx;
  int64_t n = x->shape[0], per = df_tensor_numel(x);
  memcpy(x->data, (const float *)f->audio->data + f->next * per, sizeof(float) * (size_t)per);
  memcpy(labels, f->labels + f->next * n, sizeof(int32_t) * (size_t)n);
  f->next++;
  return DF_OK;
}

static double metric(const df_metrics *m, const char *name) {
  for (int i = 0; i < m->n; i++)
    if (!strcmp(m->names[i], name)) return m->values[i];
  return 0;
}

/* Decaying noise at levels from 0 to -80 dB: the top_db floor cuts every item's tail, and the
 * quiet items train as the loud ones (per-item min-max). */
static void fill_audio(df_tensor *audio) {
  int64_t items = audio->shape[0] * audio->shape[1], len = audio->shape[3];
  float *x = audio->data;
  df_test_fill_uniform(x, items * len, 77, -1.0f, 1.0f);
  for (int64_t i = 0; i < items; i++) {
    double gain = pow(10.0, -(double)(i % 5)), decay = 6.0 + 7.0 * (double)(i % 7);
    for (int64_t t = 0; t < len; t++) x[i * len + t] *= (float)(gain * exp(-(double)t / decay));
  }
}

/* Copies host tensor src into row k of dst [K, ...]. */
static void store_row(df_tensor *dst, int64_t k, const df_tensor *src) {
  int64_t per = df_tensor_numel(src);
  memcpy((float *)dst->data + k * per, src->data, sizeof(float) * (size_t)per);
}

/* Re-draws a step's randomness from rng (drumforge's stream before the step) in
 * sa_loss_gradients' order into eps and prior (host, [N, latent]). */
static void replay_step(df_rng *rng, const sa_config *c, df_tensor *eps, df_tensor *prior) {
  if (sa_stochastic(c)) df_rng_normal(rng, eps, 0.0f, 1.0f);
  else if (c->kind == SA_WAE) df_rng_normal(rng, prior, 0.0f, c->prior_sigma);
}

static void run_variant(const variant *v, double param_tol) {
  printf("== variant %s\n", v->name);
  char text[1024], extra[512];
  snprintf(extra, sizeof extra, "top_db = 60\n%s", v->sections);
  df_test_specae_config_text(v->conditional, extra, text, sizeof text);
  static const char *const classes[CLASSES] = {"kick", "snare", "hat"};
  const int64_t n = BATCH, K = v->steps;
  feeder f = {0};
  df_train_data data = {next_batch, &f, BATCH, 16000, CLASSES, classes, NULL};
  sa_model *m;
  if (!df_expect_ok(df_test_specae_create(v->type, text, v->name, DF_DEVICE_CPU, &data, &m), "create")) return;
  const sa_config *c = &m->cfg;
  df_param_set *set = &m->net.params;

  df_tensor audio, eps, prior, spec, lo, hi;
  int32_t labels[MAX_STEPS * BATCH];
  df_tensor_new(&audio, DF_DEVICE_CPU, "audio", K, n, 1, c->length);
  df_tensor_new(&eps, DF_DEVICE_CPU, "eps", K, n, c->latent_dim);
  df_tensor_new(&prior, DF_DEVICE_CPU, "prior", K, n, c->latent_dim);
  df_tensor_new(&spec, DF_DEVICE_CPU, "spec", K, n, 1, c->bins, c->frames);
  df_tensor_new(&lo, DF_DEVICE_CPU, "lo", K, n);
  df_tensor_new(&hi, DF_DEVICE_CPU, "hi", K, n);
  fill_audio(&audio);
  /* Every class in every batch, in turns (an embedding row without gradient would still move
   * by Adam's momentum: fine, but not what this checks). */
  for (int64_t i = 0; i < K * n; i++) labels[i] = (int32_t)((i + i / n) % CLASSES);
  f.audio = &audio;
  f.labels = labels;

  df_st_writer *w;
  df_st_writer_new(&w);
  df_st_writer_add_params(w, set, "init.", 0);

  df_rng rng; /* the training stream */
  df_rng_init(&rng, 8);
  double loss[MAX_STEPS], recon[MAX_STEPS], reg[MAX_STEPS], norm[MAX_STEPS];
  int draws_match = 1, clipped = 1;
  for (int64_t k = 0; k < K; k++) {
    df_rng before = rng;
    df_metrics mt = {0};
    if (!df_expect_ok(sa_train_step(m, &data, &rng, &mt), "training step")) goto done;
    loss[k] = metric(&mt, "loss");
    recon[k] = metric(&mt, "recon");
    reg[k] = metric(&mt, sa_stochastic(c) ? "kl" : "mmd");
    norm[k] = metric(&mt, "grad_norm");
    clipped &= norm[k] > c->clip_norm;
    store_row(&spec, k, &m->spec);
    store_row(&lo, k, &m->lo);
    store_row(&hi, k, &m->hi);
    df_tensor eps_k, prior_k;
    df_tensor_slice0(&eps, k, 1, &eps_k);
    df_tensor_slice0(&prior, k, 1, &prior_k);
    eps_k = DF_VIEW(&eps_k, n, c->latent_dim);
    prior_k = DF_VIEW(&prior_k, n, c->latent_dim);
    replay_step(&before, c, &eps_k, &prior_k);
    size_t bytes = sizeof(float) * (size_t)(n * c->latent_dim);
    draws_match &= before.offset == rng.offset && (!sa_stochastic(c) || !memcmp(m->eps.data, eps_k.data, bytes)) &&
                   (c->kind != SA_WAE || !memcmp(m->prior.data, prior_k.data, bytes));
  }
  if (!df_expect_true(draws_match, "the replayed draws are drumforge's (else train.c's draw order changed: "
                                   "update replay_step)"))
    goto done;
  if (v->clips) df_expect_true(clipped, "optim.clip_norm is below every step's gradient norm (the clipping is tested)");
  /* Eval mode on the last batch: the running statistics, z = the mean. */
  const int32_t *last = c->n_classes ? labels + (K - 1) * n : NULL;
  if (!df_expect_ok(sa_encode(&m->net, c, &m->spec, last, 0), "eval-mode encoding") ||
      !df_expect_ok(sa_decode(&m->net, c, &m->net.mean, last, 0), "eval-mode decoding"))
    goto done;

  char in_path[4200], out_path[4200], config[1024];
  df_test_reference_files("specae_train_torch", v->name, in_path, out_path, sizeof in_path);
  df_test_specae_config_json(c, config, sizeof config);
  df_st_writer_add_tensor(w, "audio", &audio);
  df_st_writer_add(w, "labels", DF_ST_I32, 2, (int64_t[]){K, n}, labels);
  df_st_writer_add_tensor(w, "eps", &eps);
  df_st_writer_add_tensor(w, "prior", &prior);
  df_st_writer_set_metadata(w, "config", config);
  df_expect_ok(df_st_writer_save(w, in_path), "write reference inputs");
  df_st_file *ref = df_test_run_reference("specae_train_reference.py", in_path, out_path);
  if (!ref) goto done;
  df_expect_trained(ref, in_path, &(df_trained_set){set, NULL, NULL}, 1, param_tol);
  /* fp32 against float64: the spectrograms differ by 6e-7 at most, the dB extremes by 4 ulp
   * (3e-5 dB of 120), the losses, gradient norms and eval-mode outputs by 3e-6 of the largest
   * value at most. The tolerances leave 10-100 times that; what they are there to catch (a
   * different dB floor, normalisation, running statistics, a lost step) is of order 1e-2. */
  df_expect_reference(ref, "spec", &spec, 1e-5, 1e-6, "every step's normalised spectrograms");
  df_expect_reference(ref, "lo", &lo, 1e-5, 1e-6, "every item's dB minimum");
  df_expect_reference(ref, "hi", &hi, 1e-5, 1e-6, "every item's dB maximum");
  const struct {
    const char *name, *what;
    double *values;
    int check;
  } series[] = {{"loss", "every step's loss", loss, 1},
                {"recon", "every step's reconstruction error", recon, 1},
                {"reg", "every step's KL or MMD", reg, sa_stochastic(c) || c->kind == SA_WAE},
                {"grad_norm", "every step's gradient norm before clipping", norm, c->clip_norm > 0}};
  for (size_t i = 0; i < sizeof series / sizeof series[0]; i++) {
    if (!series[i].check) continue;
    float values[MAX_STEPS];
    for (int64_t k = 0; k < K; k++) values[k] = (float)series[i].values[k];
    df_tensor t = df_tensor_wrap(values, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){K}, series[i].name);
    df_expect_reference(ref, series[i].name, &t, 1e-4, 1e-6, series[i].what);
  }
  df_expect_reference(ref, "eval.mean", &m->net.mean, 1e-4, 1e-6, "eval mode: the latent means");
  df_expect_reference(ref, "eval.decoded", sa_decoded(&m->net, c), 1e-4, 1e-6, "eval mode: the decoded spectrograms");
  df_st_close(ref);
done:
  df_st_writer_free(w);
  df_tensor *all[] = {&audio, &eps, &prior, &spec, &lo, &hi};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) df_tensor_free(all[i]);
  v->type->destroy(m);
}

int main(void) {
  if (!df_test_begin_torch("test_specae_train_torch")) return 77;
  static const variant variants[] = {
      {"conditional_vae", &df_specvae_model_type,
       "[loss]\nreconstruction_weight = 3\nbeta = 0.5\n[optim]\nlr = 1e-3\nbeta1 = 0.8\nbeta2 = 0.95\n", 1, 4, 0},
      {"autoencoder", &df_specvae_model_type, "[loss]\nbeta = 0\n[optim]\nlr = 2e-3\n", 0, 4, 0},
      {"conditional_wae", &df_specwae_model_type, "[loss]\nmmd_lambda = 2\nprior_sigma = 1.5\n[optim]\nlr = 1e-3\n", 1,
       4, 0},
      {"vae_clipped", &df_specvae_model_type,
       "[loss]\nbeta = 1\n[optim]\nlr = 1e-3\nbeta1 = 0.5\nbeta2 = 0.9\nclip_norm = 0.05\n", 0, 5, 1},
  };
  /* Parameter tolerance. Adam's step is about lr whatever the gradient's size, so fp32
   * gradient noise shows in a parameter as a fraction of the distance it moved (4-5 steps of
   * lr), not of its value: the worst seen is 1.3e-4 of the movement. Every loop error tried gives
   * from 1.1e-2 (running_var with the biased batch variance) to 0.2-60 (Adam's bias correction
   * dropped or a step off, betas swapped, no clipping or a wrong clip factor, the noise reused
   * across steps, batch-norm momentum 0.2, librosa's amin 1e-5 in the dB step): 2e-3 sits
   * between, 15 times the noise. */
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) run_variant(&variants[i], 2e-3);
  return df_test_finish();
}
