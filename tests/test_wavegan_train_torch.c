/* A whole WaveGAN training run against PyTorch (tests/python/wavegan_train_reference.py,
 * float64): K iterations of df_wavegan_train_iteration (critic_steps critic updates, each on a
 * fresh real batch, then one generator update, Adam on each side with its own learning rate)
 * from the same initial weights and with the same random draws must give the same parameters
 * of G and D and the same per-step losses as the WGAN-GP paper's Algorithm 1 written plainly
 * with torch.optim.Adam; for dcgan, lsgan and hinge the same loop with the reference's own
 * (standard) losses and no penalty, one variant with per-call critic batch norm. test_wavegan_torch checks one step's gradients; this
 * checks what the loop does with them: the update order (G fixed during the critic steps, each
 * critic step's fakes from the current G), Adam's betas and bias correction, lr_g vs lr_d, the
 * interpolation weights, the phase-shuffle shifts and the classes of each step.
 *
 * The draws: drumforge takes all of an iteration's randomness from one Philox stream; the test
 * re-draws them from a copy of the stream in drumforge's order (per critic step: z, alpha, then
 * the shifts per layer and row group: real, fake and, with the penalty, xhat; per generator step: z, the classes, the shifts) and
 * hands them to PyTorch. That the replay is what drumforge drew is checked directly (the stream
 * ends at the same offset; the latents, classes and interpolation weights drumforge last
 * used are the replay's). Skipped (exit 77) when Python or torch is missing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "common/torch_ref.h"
#include "drumforge/safetensors.h"
#include "models/wavegan/wavegan_internal.h"

#define MAX_ITERATIONS 3
#define MAX_STEPS 8 /* critic steps per iteration */

typedef struct variant {
  const char *name;
  const char *ini; /* the experiment's [model], [optim] and [loss] sections */
  int classes, batch, iterations;
  /* Batch norm: G's weights are compared through the losses and its running statistics only.
   * The biases before batch norm have a zero gradient in exact arithmetic, and Adam, being
   * scale-free, turns fp32 rounding noise into steps of up to lr; the generator's other weights
   * drift too (PyTorch itself in float32 departs from float64 further than drumforge does), so
   * their values are no test of the loop. */
  int g_buffers_only;
} variant;

/* Everything random in a run, as drumforge drew it (host arrays). */
typedef struct draws {
  df_tensor real, real_labels;          /* [S, n, c, L], [S, n]; S = K * critic_steps */
  df_tensor z_d, alpha, shifts_d;       /* [S, n, latent], [S, n], [S, layers - 1, 3] */
  df_tensor z_g, labels_g, shifts_g;    /* [K, n, latent], [K, n], [K, layers - 1] */
} draws;

/* The next_batch of the run: batch `next` of the prepared real batches. Before critic step
 * k > 0 the stats still hold step k - 1's losses: recorded here. */
typedef struct feeder {
  draws *dr;
  int next, first_of_iteration;
  df_wavegan_stats *stats;
  float *d_loss; /* [S] */
} feeder;

static df_status next_batch(void *ctx, df_tensor *x, int32_t *labels) {
  feeder *f = ctx;
  if (!f->first_of_iteration) f->d_loss[f->next - 1] = f->stats->d_loss;
  f->first_of_iteration = 0;
  int64_t n = x->shape[0], per = df_tensor_numel(x);
  memcpy(x->data, (float *)f->dr->real.data + f->next * per, sizeof(float) * (size_t)per);
  memcpy(labels, (int32_t *)f->dr->real_labels.data + f->next * n, sizeof(int32_t) * (size_t)n);
  f->next++;
  return DF_OK;
}

/* Rows [i, i + 1) of a host tensor as a view. */
static df_tensor row(const df_tensor *t, int64_t i) {
  df_tensor v, r;
  df_tensor_slice0(t, i, 1, &v);
  df_tensor_reshape(&v, t->ndim - 1, t->shape + 1, &r);
  return r;
}

/* The shifts of `groups` critic calls per layer into out[j * stride + g]. */
static void replay_shifts(df_rng *rng, int radius, int layers, int groups, int stride, int32_t *out) {
  for (int j = 0; j + 1 < layers; j++)
    for (int g = 0; g < groups; g++) out[j * stride + g] = radius > 0 ? df_rng_int(rng, -radius, radius) : 0;
}

/* Re-draws iteration `it` from rng (drumforge's stream as it was before the iteration), in
 * the order of src/models/wavegan/train.c. */
static void replay_iteration(df_rng *rng, const df_wavegan_config *c, int critic_steps, int it, draws *dr) {
  int64_t n = dr->z_g.shape[1];
  int layers = df_wavegan_n_layers(c), groups = c->loss == DF_GAN_WGAN_GP ? 3 : 2; /* xhat: the penalty's */
  for (int k = 0; k < critic_steps; k++) {
    int64_t s = (int64_t)it * critic_steps + k;
    df_tensor z = row(&dr->z_d, s), alpha = row(&dr->alpha, s);
    df_rng_uniform(rng, &z, -1.0f, 1.0f);
    df_rng_uniform(rng, &alpha, 0.0f, 1.0f);
    replay_shifts(rng, c->phase_shuffle, layers, groups, 3, (int32_t *)dr->shifts_d.data + s * (layers - 1) * 3);
  }
  df_tensor z = row(&dr->z_g, it);
  df_rng_uniform(rng, &z, -1.0f, 1.0f);
  int32_t *labels = (int32_t *)dr->labels_g.data + it * n;
  for (int64_t i = 0; i < n; i++) labels[i] = c->n_classes ? df_rng_int(rng, 0, c->n_classes - 1) : 0;
  replay_shifts(rng, c->phase_shuffle, layers, 1, 1, (int32_t *)dr->shifts_g.data + it * (layers - 1));
}

static void add_i32(df_st_writer *w, const char *name, const df_tensor *t) {
  df_st_writer_add(w, name, DF_ST_I32, t->ndim, t->shape, t->data);
}

/* With critic batch norm, the critic's biases before it drift as G's do (see g_buffers_only),
 * and so do the running means, which carry them; the scores depend on neither. A skip for
 * df_expect_trained (tests/common/torch_ref.h), ctx the critic. */
static int critic_drifts(const df_param *p, const void *ctx) {
  const wg_critic *d = ctx;
  for (int j = 0; j < d->n_conv; j++)
    if (d->convs[j].gamma && (p == d->convs[j].b || p == d->convs[j].rmean)) return 1;
  return 0;
}

static void run_variant(const variant *v, double param_tol, double loss_tol) {
  printf("== variant %s\n", v->name);
  df_config *cfg;
  df_wavegan_config c;
  df_adam_config ag, ad;
  long critic_steps;
  if (!df_expect_ok(df_config_parse(v->ini, v->name, &cfg), "config") ||
      !df_expect_ok(df_wavegan_config_read(cfg, v->classes, &c), "model config") ||
      !df_expect_ok(df_adam_config_read(cfg, "optim.lr_g", 1e-4, 0.5, 0.9, &ag), "lr_g") ||
      !df_expect_ok(df_adam_config_read(cfg, "optim.lr_d", 1e-4, 0.5, 0.9, &ad), "lr_d") ||
      !df_expect_ok(df_config_int(cfg, "optim.critic_steps", 5, 1, MAX_STEPS, &critic_steps), "critic steps"))
    return;
  df_config_free(cfg);
  df_rng rng;
  df_rng_init(&rng, 4321);
  df_wavegan *m;
  if (!df_expect_ok(df_wavegan_create(&c, DF_DEVICE_CPU, &rng, &ag, &ad, &m), "create")) return;

  const int64_t n = v->batch, L = c.slice_len, S = v->iterations * critic_steps;
  const int layers = df_wavegan_n_layers(&c);
  draws dr;
  df_tensor_new(&dr.real, DF_DEVICE_CPU, "real", S, n, c.channels, L);
  df_tensor_alloc(&dr.real_labels, DF_DEVICE_CPU, DF_I32, 2, (int64_t[]){S, n}, "real labels");
  df_tensor_new(&dr.z_d, DF_DEVICE_CPU, "z_d", S, n, c.latent_dim);
  df_tensor_new(&dr.alpha, DF_DEVICE_CPU, "alpha", S, n);
  df_tensor_alloc(&dr.shifts_d, DF_DEVICE_CPU, DF_I32, 3, (int64_t[]){S, layers - 1, 3}, "shifts_d");
  df_tensor_new(&dr.z_g, DF_DEVICE_CPU, "z_g", v->iterations, n, c.latent_dim);
  df_tensor_alloc(&dr.labels_g, DF_DEVICE_CPU, DF_I32, 2, (int64_t[]){v->iterations, n}, "labels_g");
  df_tensor_alloc(&dr.shifts_g, DF_DEVICE_CPU, DF_I32, 2, (int64_t[]){v->iterations, layers - 1}, "shifts_g");
  /* Real batches: noise, and with classes every class in every batch, in turns. */
  df_test_fill_uniform(dr.real.data, df_tensor_numel(&dr.real), 77, -0.5f, 0.5f);
  int32_t *rl = dr.real_labels.data;
  for (int64_t i = 0; i < S * n; i++) rl[i] = v->classes ? (int32_t)((i + i / n) % v->classes) : -1;

  df_st_writer *w;
  df_st_writer_new(&w);
  df_st_writer_add_params(w, &m->g.params, "init.", 0);
  df_st_writer_add_params(w, &m->d.params, "init.", 0);

  /* Training, with the per-step losses. */
  df_wavegan_stats stats = {0};
  float d_loss[MAX_ITERATIONS * MAX_STEPS], g_loss[MAX_ITERATIONS];
  feeder f = {&dr, 0, 1, &stats, d_loss};
  int draws_match = 1;
  for (int it = 0; it < v->iterations; it++) {
    df_rng before = rng;
    f.first_of_iteration = 1;
    if (!df_expect_ok(df_wavegan_train_iteration(m, n, (int)critic_steps, next_batch, &f, &rng, &stats),
                      "training iteration"))
      goto done;
    d_loss[f.next - 1] = stats.d_loss;
    g_loss[it] = stats.g_loss;
    replay_iteration(&before, &c, (int)critic_steps, it, &dr);
    /* What drumforge last drew is still in its buffers: the generator step's latents and
     * classes, the last critic step's interpolation weights. */
    df_tensor zg = row(&dr.z_g, it), alpha = row(&dr.alpha, f.next - 1);
    draws_match &= before.offset == rng.offset &&
                   memcmp(m->z.data, zg.data, sizeof(float) * (size_t)df_tensor_numel(&zg)) == 0 &&
                   memcmp(m->alpha.data, alpha.data, sizeof(float) * (size_t)n) == 0 &&
                   (!c.n_classes || memcmp(m->labels.data, (int32_t *)dr.labels_g.data + it * n,
                                           sizeof(int32_t) * (size_t)n) == 0);
  }
  if (!df_expect_true(draws_match, "the replayed draws are drumforge's (else train.c's draw order changed: "
                                   "update replay_iteration)"))
    goto done;

  char in_path[4200], out_path[4200];
  df_test_reference_files("wavegan_train_torch", v->name, in_path, out_path, sizeof in_path);
  df_st_writer_add_tensor(w, "real", &dr.real);
  add_i32(w, "real_labels", &dr.real_labels);
  df_st_writer_add_tensor(w, "z_d", &dr.z_d);
  df_st_writer_add_tensor(w, "alpha", &dr.alpha);
  add_i32(w, "shifts_d", &dr.shifts_d);
  df_st_writer_add_tensor(w, "z_g", &dr.z_g);
  add_i32(w, "labels_g", &dr.labels_g);
  add_i32(w, "shifts_g", &dr.shifts_g);
  char classes[256] = "[";
  for (int i = 0; i < v->classes; i++)
    snprintf(classes + strlen(classes), sizeof classes - strlen(classes), "%s\"c%d\"", i ? ", " : "", i);
  strcat(classes, "]");
  df_st_writer_set_metadata(w, "config", v->ini);
  df_st_writer_set_metadata(w, "class_names", classes);
  df_expect_ok(df_st_writer_save(w, in_path), "write reference inputs");
  df_st_file *ref = df_test_run_reference("wavegan_train_reference.py", in_path, out_path);
  if (!ref) goto done;
  const df_trained_set sets[] = {{&m->g.params, v->g_buffers_only ? df_trainable_param : NULL, NULL},
                                 {&m->d.params, critic_drifts, &m->d}};
  df_expect_trained(ref, in_path, sets, 2, param_tol);
  df_tensor dl = df_tensor_wrap(d_loss, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){S}, "d_loss");
  df_tensor gl = df_tensor_wrap(g_loss, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){v->iterations}, "g_loss");
  df_expect_reference(ref, "d_loss", &dl, loss_tol, 1e-6, "critic loss of every step");
  df_expect_reference(ref, "g_loss", &gl, loss_tol, 1e-6, "generator loss of every iteration");
  df_st_close(ref);
done:
  df_st_writer_free(w);
  df_tensor *all[] = {&dr.real, &dr.real_labels, &dr.z_d, &dr.alpha, &dr.shifts_d, &dr.z_g, &dr.labels_g, &dr.shifts_g};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) df_tensor_free(all[i]);
  df_wavegan_free(m);
}

int main(void) {
  if (!df_test_begin_torch("test_wavegan_train_torch")) return 77;
  /* Different learning rates for G and D, so that swapping them shows. */
#define OPTIM "[optim]\nlr_g = 3e-4\nlr_d = 1e-3\nbeta1 = 0.5\nbeta2 = 0.9\ncritic_steps = 5\n"
#define LOSS(type) "[loss]\ntype = " type "\ngp_lambda = 10\n"
  static const variant variants[] = {
      {"no_phase_shuffle", "[model]\nd = 2\nphase_shuffle = 0\n" OPTIM LOSS("wgan-gp"), 0, 3, 3, 0},
      {"phase_shuffle", "[model]\nd = 2\nphase_shuffle = 2\n" OPTIM LOSS("wgan-gp"), 0, 3, 3, 0},
      {"conditional", "[model]\nd = 2\nphase_shuffle = 2\nconditional = true\nclass_embed = 4\n" OPTIM LOSS("wgan-gp"), 3, 4, 3, 0},
      /* Two iterations: in the third, the generator's drift (see g_buffers_only) reaches the
       * critic's losses. */
      {"conditional_bn_nn_postfilter", "[model]\nd = 2\nphase_shuffle = 2\nconditional = true\nclass_embed = 4\n"
       "batchnorm = true\nupsample = nn\npost_filter = 16\n" OPTIM LOSS("wgan-gp"), 3, 4, 2, 1},
      /* The other losses: no penalty, two critic calls per critic step. */
      {"dcgan", "[model]\nd = 2\nphase_shuffle = 2\n" OPTIM LOSS("dcgan"), 0, 3, 3, 0},
      {"lsgan_conditional", "[model]\nd = 2\nphase_shuffle = 2\nconditional = true\nclass_embed = 4\n" OPTIM
       LOSS("lsgan"), 3, 4, 3, 0},
      /* Batch norm in the critic too, per critic call. */
      {"hinge_critic_bn", "[model]\nd = 2\nphase_shuffle = 2\nbatchnorm = true\n" OPTIM LOSS("hinge"), 0, 4, 2, 1},
  };
  /* Tolerances. Adam's step is about lr whatever the gradient's size, so fp32 gradient noise
   * shows in a parameter as a fraction of the distance it moved (1-15 steps of lr), not of its
   * value: the worst seen is 9e-4 of the movement (3e-3 with critic batch norm), and every loop
   * error tried (betas swapped, no bias correction, bias correction a step off, lr_g and lr_d
   * swapped, the interpolation weight on the other side, the generator step taking the real
   * batch's classes or skipping phase shuffle, G's running statistics updated in critic steps)
   * gives 2 to 13 times the movement; a sign flipped in a dcgan, lsgan or hinge gradient,
   * lsgan's generator gradient halved or critic batch norm over the real and fake rows together
   * give 0.46 to 9 times: 1e-2 sits between. The losses are fp32 sums: within 1e-4 of the
   * largest (1e-6 at least). */
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) run_variant(&variants[i], 1e-2, 1e-4);
  return df_test_finish();
}
