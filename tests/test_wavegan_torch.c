/* WaveGAN against PyTorch (tests/python/wavegan_reference.py, float64 autograd): for the same
 * weights and inputs, the generator's output and all its parameter gradients; the critic's
 * scores, loss and all its parameter gradients for the critic loss (for WGAN-GP with the
 * gradient penalty, which PyTorch differentiates by double backward and drumforge by the
 * tangent method); and the generator loss's gradient with respect to the fake batch, through
 * the critic. Variants cover phase shuffle, the conditional model, nearest-neighbour
 * upsampling, the post-filter, batch norm (the critic's only without the penalty), the
 * 32768-sample layout and every loss. Skipped (exit 77) when Python or torch is missing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "common/torch_ref.h"
#include "drumforge/safetensors.h"
#include "models/wavegan/wavegan_internal.h"

typedef struct variant {
  const char *name;
  int d, slice_len, classes, nn, post_filter, batchnorm, batch;
  df_gan_loss loss;
} variant;

/* Re-draws biases and batch-norm parameters (zero / one at initialisation) so their
 * gradients are exercised in a general position. */
static void randomise(df_param_set *set, uint64_t seed) {
  for (int i = 0; i < set->n; i++) {
    df_param *p = set->items[i];
    if (!p->trainable || (!strstr(p->name, "bias") && !strstr(p->name, "bn"))) continue;
    int64_t n = df_tensor_numel(&p->value);
    float *v = p->value.data;
    int gamma = strstr(p->name, "bn") && strstr(p->name, "weight");
    df_test_fill_uniform(v, n, seed + (uint64_t)i, gamma ? 0.5f : -0.1f, gamma ? 1.5f : 0.1f);
  }
}

static void add_set(df_st_writer *w, df_param_set *set) {
  for (int i = 0; i < set->n; i++) {
    char name[160];
    snprintf(name, sizeof name, "%s.%s", set->prefix, set->items[i]->name);
    if (set->items[i]->trainable) df_st_writer_add_tensor(w, name, &set->items[i]->value);
  }
}

/* Per-tensor relative error, with an absolute floor of 1e-5 for gradients that are zero in
 * exact arithmetic (biases followed by batch norm) and only fp32 noise here. */
static void compare(const df_st_file *ref, const char *name, const df_tensor *got, double rtol) {
  df_expect_reference(ref, name, got, rtol, 1e-5, NULL);
}

static void run_variant(const variant *v) {
  printf("== variant %s\n", v->name);
  df_wavegan_config c = {0};
  c.d = v->d;
  c.slice_len = v->slice_len;
  c.channels = 1;
  c.kernel = 25;
  c.latent_dim = 100;
  c.phase_shuffle = 2;
  c.upsample = v->nn ? DF_UPSAMPLE_NN : DF_UPSAMPLE_ZEROS;
  c.post_filter = v->post_filter;
  c.batchnorm = v->batchnorm;
  c.n_classes = v->classes;
  c.class_embed = 8;
  c.leaky_slope = 0.2f;
  c.loss = v->loss;
  c.gp_lambda = 10.0f;
  df_rng rng;
  df_rng_init(&rng, 1234);
  df_adam_config adam = {1e-4f, 0.5f, 0.9f, 1e-8f, 0};
  df_wavegan *m;
  if (!df_expect_ok(df_wavegan_create(&c, DF_DEVICE_CPU, &rng, &adam, &adam, &m), "create")) return;
  randomise(&m->g.params, 100);
  randomise(&m->d.params, 200);
  const int64_t n = v->batch, L = v->slice_len;
  int layers = df_wavegan_n_layers(&c);
  df_tensor z, r, real, fake, alpha, labels_t, shifts_t;
  df_tensor_new(&z, DF_DEVICE_CPU, "z", n, c.latent_dim);
  df_tensor_new(&r, DF_DEVICE_CPU, "r", n, 1, L);
  df_tensor_new(&real, DF_DEVICE_CPU, "real", n, 1, L);
  df_tensor_new(&fake, DF_DEVICE_CPU, "fake", n, 1, L);
  df_tensor_new(&alpha, DF_DEVICE_CPU, "alpha", n);
  df_tensor_alloc(&labels_t, DF_DEVICE_CPU, DF_I32, 1, (int64_t[]){n}, "labels");
  df_tensor_alloc(&shifts_t, DF_DEVICE_CPU, DF_I32, 3, (int64_t[]){layers - 1, 3, n}, "shifts");
  df_rng_uniform(&rng, &z, -1, 1);
  df_rng_uniform(&rng, &r, -1, 1);
  df_rng_uniform(&rng, &real, -0.5f, 0.5f);
  df_rng_uniform(&rng, &fake, -0.5f, 0.5f);
  df_rng_uniform(&rng, &alpha, 0, 1);
  int32_t *labels = labels_t.data, *shifts = shifts_t.data;
  for (int64_t i = 0; i < n; i++) labels[i] = v->classes ? (int32_t)(i % v->classes) : 0;
  for (int64_t i = 0; i < (layers - 1) * 3 * n; i++) shifts[i] = df_rng_int(&rng, -2, 2);

  /* Inputs for the reference. */
  char in_path[4200], out_path[4200], config[512];
  int penalty = v->loss == DF_GAN_WGAN_GP, groups = penalty ? 3 : 2;
  int critic_bn = v->batchnorm && !penalty;
  df_test_reference_files("wavegan_torch", v->name, in_path, out_path, sizeof in_path);
  snprintf(config, sizeof config,
           "{\"slice_len\": %d, \"kernel\": 25, \"classes\": %d, \"upsample\": \"%s\", \"post_filter\": %d, "
           "\"batchnorm\": %s, \"critic_bn\": %s, \"loss\": \"%s\", \"leaky_slope\": 0.2, "
           "\"gp_lambda\": 10.0}",
           v->slice_len, v->classes, v->nn ? "nn" : "zeros", v->post_filter, v->batchnorm ? "true" : "false",
           critic_bn ? "true" : "false", df_gan_loss_name(v->loss));
  df_st_writer *w;
  df_st_writer_new(&w);
  add_set(w, &m->g.params);
  add_set(w, &m->d.params);
  df_st_writer_add_tensor(w, "z", &z);
  df_st_writer_add_tensor(w, "r", &r);
  df_st_writer_add_tensor(w, "real", &real);
  df_st_writer_add_tensor(w, "fake", &fake);
  df_st_writer_add_tensor(w, "alpha", &alpha);
  df_st_writer_add(w, "labels", DF_ST_I32, 1, labels_t.shape, labels);
  df_st_writer_add(w, "shifts", DF_ST_I32, 3, shifts_t.shape, shifts);
  df_st_writer_set_metadata(w, "config", config);
  df_expect_ok(df_st_writer_save(w, in_path), "write reference inputs");
  df_st_writer_free(w);
  df_st_file *ref = df_test_run_reference("wavegan_reference.py", in_path, out_path);
  if (!ref) goto done;

  /* Generator: output and gradients of sum(G(z) r). */
  df_expect_ok(wg_generator_forward(&m->g, &c, &z, labels, WG_TRAIN), "generator forward");
  compare(ref, "g_out", wg_generator_output(&m->g, &c), 1e-5);
  df_param_set_zero_grad(&m->g.params);
  df_expect_ok(wg_generator_backward(&m->g, &c, &r), "generator backward");
  for (int i = 0; i < m->g.params.n; i++) {
    df_param *p = m->g.params.items[i];
    if (!p->trainable) continue;
    char name[160];
    snprintf(name, sizeof name, "grad.G.%s", p->name);
    compare(ref, name, &p->grad, 1e-4);
  }

  /* Critic: the loss's gradients. Rows: real | fake (| xhat), each group with its shifts. */
  df_expect_ok(wg_critic_reserve(&m->d, groups * n), "critic buffers");
  for (int j = 0; j < layers - 1; j++)
    for (int g = 0; g < groups; g++)
      for (int64_t i = 0; i < n; i++) m->d.shifts[j][g * n + i] = shifts[(j * 3 + g) * n + i];
  df_wavegan_stats st;
  if (df_expect_ok(wg_critic_gradients(m, &real, &fake, &alpha, labels, &st), "critic gradients")) {
    df_tensor scores;
    df_tensor_slice0(&m->d.out, 0, groups * n, &scores);
    compare(ref, "d_scores", &scores, 1e-5);
    df_tensor loss = df_tensor_wrap(&st.d_loss, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){1}, "d_loss");
    df_tensor gp = df_tensor_wrap(&st.gp, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){1}, "gp");
    compare(ref, "d_loss", &loss, 1e-5);
    if (penalty) compare(ref, "gp", &gp, 1e-5);
    for (int i = 0; i < m->d.params.n; i++) {
      df_param *p = m->d.params.items[i];
      if (!p->trainable) continue;
      char name[160];
      snprintf(name, sizeof name, "grad.D.%s", p->name);
      compare(ref, name, &p->grad, 1e-4);
    }
  }

  /* Generator loss on the fake rows (with their shifts) and its gradient through the critic. */
  for (int j = 0; j < layers - 1; j++)
    for (int64_t i = 0; i < n; i++) m->d.shifts[j][i] = shifts[(j * 3 + 1) * n + i];
  df_tensor x0, g_scores, g_dscores, dfake;
  float g_loss = 0;
  df_tensor_slice0(&m->d.x[0], 0, n, &x0);
  df_tensor_slice0(&m->d.out, 0, n, &g_scores);
  df_tensor_slice0(&m->d.dout, 0, n, &g_dscores);
  df_tensor_slice0(&m->d.dx0, 0, n, &dfake);
  if (df_expect_ok(df_tensor_copy(&x0, &fake), "fake rows") &&
      df_expect_ok(wg_critic_forward(&m->d, &c, n, 1, labels), "critic forward (generator loss)") &&
      df_expect_ok(df_gan_generator_loss(c.loss, &g_scores, &g_dscores, &g_loss), "generator loss") &&
      df_expect_ok(wg_critic_backward_input(&m->d, &c, n, 1, 0), "critic input gradient")) {
    df_tensor gl = df_tensor_wrap(&g_loss, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){1}, "g_loss");
    compare(ref, "g_loss", &gl, 1e-5);
    compare(ref, "g_loss_dfake", &dfake, 1e-4);
  }
  df_st_close(ref);
done:
  df_tensor_free(&z);
  df_tensor_free(&r);
  df_tensor_free(&real);
  df_tensor_free(&fake);
  df_tensor_free(&alpha);
  df_tensor_free(&labels_t);
  df_tensor_free(&shifts_t);
  df_wavegan_free(m);
}

int main(void) {
  if (!df_test_begin_torch("test_wavegan_torch")) return 77;
  /* The batch-norm variants without the penalty put batch norm in the critic too. */
  static const variant variants[] = {
      {"unconditional", 2, 16384, 0, 0, 0, 0, 3, DF_GAN_WGAN_GP},
      {"conditional_nn_postfilter_bn", 2, 16384, 3, 1, 16, 1, 4, DF_GAN_WGAN_GP},
      {"long_32768", 1, 32768, 0, 0, 0, 0, 2, DF_GAN_WGAN_GP},
      {"hinge_conditional_bn", 2, 16384, 3, 0, 0, 1, 4, DF_GAN_HINGE},
      {"dcgan_bn", 1, 16384, 0, 0, 0, 1, 3, DF_GAN_DCGAN},
      {"lsgan", 1, 16384, 0, 1, 0, 0, 2, DF_GAN_LSGAN},
  };
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) run_variant(&variants[i]);
  return df_test_finish();
}
