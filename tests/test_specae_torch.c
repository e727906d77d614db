/* The spectrogram autoencoders against PyTorch (tests/python/specae_reference.py, float64
 * autograd): for the same weights, spectrograms, labels, noise and prior samples, the training
 * loss, its reconstruction and regulariser terms, the decoded spectrograms and the gradient of
 * the loss with respect to every weight agree. Variants: a conditional VAE, the plain
 * autoencoder (beta = 0) and a conditional WAE with MMD, with anisotropic strides; on the CPU
 * and, when a GPU is present, on CUDA (strict fp32). Skipped (exit 77) when Python or torch is
 * missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/specae_ref.h"
#include "common/testlib.h"
#include "common/torch_ref.h"
#include "drumforge/safetensors.h"
#include "models/specae/specae.h"

extern const df_model_type df_specvae_model_type, df_specwae_model_type;

/* got against reference `name`; the check is named "<device>: <name>". */
static void compare(const df_st_file *ref, const char *device, const char *name, const df_tensor *got, double rtol) {
  char what[256];
  snprintf(what, sizeof what, "%s: %s", device, name);
  df_expect_reference(ref, name, got, rtol, 1e-6, what);
}

static void compare_scalar(const df_st_file *ref, const char *device, const char *name, double value) {
  float v = (float)value;
  df_tensor t = df_tensor_wrap(&v, DF_DEVICE_CPU, DF_F32, 1, (int64_t[]){1}, name);
  compare(ref, device, name, &t, 1e-5);
}

/* The loss terms, the decoded spectrograms and every gradient of a model against the reference. */
static void check_model(const df_st_file *ref, const char *device, sa_model *m, const sa_losses *l) {
  compare_scalar(ref, device, "loss", l->loss);
  compare_scalar(ref, device, "recon", l->recon);
  compare_scalar(ref, device, "reg", l->reg);
  compare(ref, device, "decoded", sa_decoded(&m->net, &m->cfg), 1e-5);
  df_param_set *set = &m->net.params;
  for (int i = 0; i < set->n; i++) {
    df_param *p = set->items[i];
    if (!p->trainable) continue;
    char name[160];
    snprintf(name, sizeof name, "grad.AE.%s", p->name);
    compare(ref, device, name, &p->grad, 1e-4);
  }
}

/* The same evaluation on the GPU (strict fp32): the CPU model's weights and inputs, the same
 * noise stream. */
static void check_cuda(const df_st_file *ref, const df_model_type *type, const char *text, const char *name,
                       sa_model *cpu, const int32_t *labels) {
  static const char *const classes[] = {"kick", "snare", "hat"};
  df_train_data info = {NULL, NULL, 5, 16000, 3, classes, NULL};
  sa_model *g;
  if (!df_expect_ok(df_test_specae_create(type, text, name, DF_DEVICE_CUDA, &info, &g), "create on the GPU")) return;
  df_set_strict_fp32(1);
  df_status s = sa_train_reserve(g, cpu->spec.shape[0]);
  for (int i = 0; !s && i < g->net.params.n; i++)
    s = df_tensor_copy(&g->net.params.items[i]->value, &cpu->net.params.items[i]->value);
  if (!s) s = df_tensor_copy(&g->spec, &cpu->spec);
  sa_losses l;
  df_rng noise;
  df_rng_init(&noise, 99);
  if (!s) s = sa_loss_gradients(g, labels, &noise, &l);
  if (df_expect_ok(s, "cuda: loss and gradients")) check_model(ref, "cuda", g, &l);
  df_set_strict_fp32(0);
  type->destroy(g);
}

typedef struct variant {
  const char *name, *kind;
  int conditional;
  const char *loss; /* the [loss] section, header included */
} variant;

static void run_variant(const variant *v) {
  printf("== %s\n", v->name);
  char text[1024];
  df_test_specae_config_text(v->conditional, v->loss, text, sizeof text);
  static const char *const classes[] = {"kick", "snare", "hat"};
  df_train_data info = {NULL, NULL, 5, 16000, 3, classes, NULL};
  const df_model_type *type = strcmp(v->kind, "wae") ? &df_specvae_model_type : &df_specwae_model_type;
  sa_model *m;
  if (!df_expect_ok(df_test_specae_create(type, text, v->name, DF_DEVICE_CPU, &info, &m), "create")) return;
  const int64_t n = 5;
  int32_t labels[5] = {0, 1, 2, 1, 0};
  df_expect_ok(sa_train_reserve(m, n), "reserve");
  df_test_fill_uniform(m->spec.data, df_tensor_numel(&m->spec), 11, 0.0f, 1.0f);
  sa_losses l;
  df_rng noise;
  df_rng_init(&noise, 99);
  if (!df_expect_ok(sa_loss_gradients(m, v->conditional ? labels : NULL, &noise, &l), "loss and gradients")) goto done;
  printf("     loss %.6f (reconstruction %.6f, regulariser %.6f)\n", l.loss, l.recon, l.reg);

  char in_path[4200], out_path[4200], config[1024];
  df_test_reference_files("specae_torch", v->name, in_path, out_path, sizeof in_path);
  df_test_specae_config_json(&m->cfg, config, sizeof config);
  df_st_writer *w;
  df_st_writer_new(&w);
  df_st_writer_add_params(w, &m->net.params, "", 1);
  df_st_writer_add_tensor(w, "spec", &m->spec);
  df_st_writer_add_tensor(w, "eps", &m->eps);
  df_st_writer_add_tensor(w, "prior", &m->prior);
  df_st_writer_add(w, "labels", DF_ST_I32, 1, (int64_t[]){n}, labels);
  df_st_writer_set_metadata(w, "config", config);
  df_expect_ok(df_st_writer_save(w, in_path), "write reference inputs");
  df_st_writer_free(w);
  df_st_file *ref = df_test_run_reference("specae_reference.py", in_path, out_path);
  if (!ref) goto done;
  check_model(ref, "cpu", m, &l);
  if (df_test_gpu()) check_cuda(ref, type, text, v->name, m, v->conditional ? labels : NULL);
  else df_test_skip_gpu(1, "the same loss and gradients on CUDA");
  df_st_close(ref);
done:
  type->destroy(m);
}

int main(void) {
  if (!df_test_begin_torch("test_specae_torch")) return 77;
  static const variant variants[] = {
      {"conditional_vae", "vae", 1, "[loss]\nreconstruction_weight = 3\nbeta = 0.5\n"},
      {"autoencoder", "vae", 0, "[loss]\nbeta = 0\n"},
      {"conditional_wae", "wae", 1, "[loss]\nmmd_lambda = 2\nprior_sigma = 1.5\n"},
  };
  for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) run_variant(&variants[i]);
  return df_test_finish();
}
