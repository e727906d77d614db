/* The VAE's KL term and reparameterised sample and WAE-MMD's penalty against PyTorch
 * (tests/fixtures/latent/latent_losses.safetensors, written by tests/make_latent_fixtures.py in
 * float64 from the original WAE estimator), gradients also against finite differences, the
 * reparameterisation's backward accumulating, bad arguments named, bitwise repeatability, and
 * the CUDA kernels against the same PyTorch values when a GPU is present. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "drumforge/safetensors.h"

static df_st_file *fx;

static df_tensor load(const char *name) {
  df_tensor t = {0};
  if (!df_expect_ok(df_st_load_f32(fx, name, DF_DEVICE_CPU, &t), name)) exit(df_test_finish());
  return t;
}

static float meta(const char *key) {
  const char *v = df_st_metadata(fx, key);
  return v ? (float)atof(v) : NAN;
}

static df_tensor like(const df_tensor *t, const char *name) {
  df_tensor out;
  df_tensor_alloc(&out, DF_DEVICE_CPU, DF_F32, t->ndim, t->shape, name);
  return out;
}

/* ---- finite differences of the value, in double, from the definitions */
typedef struct {
  df_tensor *mean, *logvar;
  df_tensor *z, *prior;
  float sigma2, weight;
} fd_ctx;

static double kl_value(void *p) {
  fd_ctx *c = p;
  int64_t n = c->mean->shape[0], total = df_tensor_numel(c->mean);
  const float *m = c->mean->data, *lv = c->logvar->data;
  double s = 0;
  for (int64_t i = 0; i < total; i++) s += -0.5 * (1 + lv[i] - (double)m[i] * m[i] - exp(lv[i]));
  return c->weight * s / (double)n;
}

static double mmd_value(void *p) {
  fd_ctx *c = p;
  int64_t n = c->z->shape[0], d = c->z->shape[1];
  const float *q = c->z->data, *pr = c->prior->data;
  static const double scales[] = {.1, .2, .5, 1, 2, 5, 10};
  double stat = 0;
  for (int s = 0; s < 7; s++) {
    double C = 2.0 * (double)d * c->sigma2 * scales[s], within = 0, cross = 0;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++) {
        double dqq = 0, dpp = 0, dqp = 0;
        for (int64_t k = 0; k < d; k++) {
          double a = (double)q[i * d + k] - q[j * d + k], b = (double)pr[i * d + k] - pr[j * d + k],
                 e = (double)q[i * d + k] - pr[j * d + k];
          dqq += a * a;
          dpp += b * b;
          dqp += e * e;
        }
        if (i != j) within += C / (C + dqq) + C / (C + dpp);
        cross += C / (C + dqp);
      }
    stat += within / ((double)n * n - n) - 2.0 * cross / ((double)n * n);
  }
  return c->weight * stat;
}

/* ---- CUDA against the PyTorch values */
static void gpu_kl(const df_tensor *mean, const df_tensor *logvar, float weight, float want,
                   const df_tensor *dm_want, const df_tensor *dlv_want) {
  df_tensor m, lv, dm, dlv;
  df_test_to_device(mean, DF_DEVICE_CUDA, &m);
  df_test_to_device(logvar, DF_DEVICE_CUDA, &lv);
  df_test_to_device(dm_want, DF_DEVICE_CUDA, &dm);
  df_test_to_device(dlv_want, DF_DEVICE_CUDA, &dlv);
  float kl;
  if (df_expect_ok(df_kl_normal(&m, &lv, weight, &dm, &dlv, &kl), "cuda kl")) {
    df_expect_close("cuda kl value", &kl, &want, 1, 1e-6, 0);
    df_expect_tensor_close("cuda kl d mean", &dm, dm_want, 1e-6, 1e-9);
    df_expect_tensor_close("cuda kl d logvar", &dlv, dlv_want, 1e-6, 1e-9);
  }
  df_tensor_free(&m);
  df_tensor_free(&lv);
  df_tensor_free(&dm);
  df_tensor_free(&dlv);
}

static void gpu_mmd(const df_tensor *z, const df_tensor *prior, float sigma2, float weight, float want,
                    const df_tensor *dz_want) {
  df_tensor q, p, dz;
  df_test_to_device(z, DF_DEVICE_CUDA, &q);
  df_test_to_device(prior, DF_DEVICE_CUDA, &p);
  df_test_to_device(dz_want, DF_DEVICE_CUDA, &dz);
  float v;
  if (df_expect_ok(df_mmd_imq(&q, &p, sigma2, weight, &dz, &v), "cuda mmd")) {
    df_expect_close("cuda mmd value", &v, &want, 1, 1e-5, 1e-7);
    df_expect_tensor_close("cuda mmd d z", &dz, dz_want, 1e-5, 1e-8);
  }
  df_tensor_free(&q);
  df_tensor_free(&p);
  df_tensor_free(&dz);
}

static void gpu_reparam(const df_tensor *mean, const df_tensor *logvar, const df_tensor *eps, const df_tensor *dz,
                        const df_tensor *z_want, const df_tensor *dm_want, const df_tensor *dlv_want) {
  df_tensor m, lv, e, g, z, dm, dlv;
  df_test_to_device(mean, DF_DEVICE_CUDA, &m);
  df_test_to_device(logvar, DF_DEVICE_CUDA, &lv);
  df_test_to_device(eps, DF_DEVICE_CUDA, &e);
  df_test_to_device(dz, DF_DEVICE_CUDA, &g);
  df_test_to_device(z_want, DF_DEVICE_CUDA, &z);
  df_test_to_device(dm_want, DF_DEVICE_CUDA, &dm);
  df_test_to_device(dlv_want, DF_DEVICE_CUDA, &dlv);
  df_tensor_zero(&dm);
  df_tensor_zero(&dlv);
  if (df_expect_ok(df_reparameterize(&m, &lv, &e, &z), "cuda reparameterize") &&
      df_expect_ok(df_reparameterize_backward(&lv, &e, &g, &dm, &dlv), "cuda reparameterize backward")) {
    df_expect_tensor_close("cuda z", &z, z_want, 1e-6, 1e-7);
    df_expect_tensor_close("cuda reparameterize d mean", &dm, dm_want, 1e-6, 1e-7);
    df_expect_tensor_close("cuda reparameterize d logvar", &dlv, dlv_want, 1e-6, 1e-7);
  }
  df_tensor *all[] = {&m, &lv, &e, &g, &z, &dm, &dlv};
  for (int i = 0; i < 7; i++) df_tensor_free(all[i]);
}

int main(void) {
  df_test_begin("test_latent_loss");
  char path[4200];
  df_test_source_path("fixtures/latent/latent_losses.safetensors", path, sizeof path);
  if (!df_expect_ok(df_st_open(path, &fx), "open the PyTorch fixture")) return df_test_finish();
  int gpu = df_test_gpu(), gpu_skipped = 0;

  /* ---- KL */
  df_tensor mean = load("kl_mean"), logvar = load("kl_logvar"), kl_want = load("kl_value");
  df_tensor dm_want = load("kl_dmean"), dlv_want = load("kl_dlogvar");
  df_tensor dm = like(&mean, "d mean"), dlv = like(&mean, "d logvar");
  float weight = meta("kl_weight"), kl = 0;
  if (df_expect_ok(df_kl_normal(&mean, &logvar, weight, &dm, &dlv, &kl), "kl")) {
    df_expect_close("kl value against PyTorch", &kl, kl_want.data, 1, 1e-6, 0);
    df_expect_tensor_close("kl d mean against PyTorch", &dm, &dm_want, 1e-6, 1e-9);
    df_expect_tensor_close("kl d logvar against PyTorch", &dlv, &dlv_want, 1e-6, 1e-9);
    fd_ctx c = {&mean, &logvar, NULL, NULL, 0, weight};
    df_expect_fd_gradient("kl d mean, finite differences", mean.data, df_tensor_numel(&mean), dm.data, kl_value, &c,
                          0, 1e-3f, 1e-3, 1e-6);
    df_expect_fd_gradient("kl d logvar, finite differences", logvar.data, df_tensor_numel(&logvar), dlv.data,
                          kl_value, &c, 0, 1e-3f, 1e-3, 1e-6);
    /* Bitwise repeatable. */
    df_tensor dm2 = like(&mean, "d mean again"), dlv2 = like(&mean, "d logvar again");
    float kl2;
    df_kl_normal(&mean, &logvar, weight, &dm2, &dlv2, &kl2);
    df_expect_equal_bytes("kl repeats bit for bit", dm2.data, dm.data, df_tensor_bytes(&dm));
    df_expect_equal_bytes("kl value repeats bit for bit", &kl2, &kl, sizeof kl);
    df_tensor_free(&dm2);
    df_tensor_free(&dlv2);
  }
  if (gpu) gpu_kl(&mean, &logvar, weight, ((float *)kl_want.data)[0], &dm_want, &dlv_want);
  else gpu_skipped++;

  /* ---- reparameterisation: z, and a backward that adds to what the gradients hold */
  df_tensor eps = load("rep_eps"), dz = load("rep_dz"), z_want = load("rep_z");
  df_tensor rdm_want = load("rep_dmean"), rdlv_want = load("rep_dlogvar");
  df_tensor z = like(&mean, "z");
  if (df_expect_ok(df_reparameterize(&mean, &logvar, &eps, &z), "reparameterize"))
    df_expect_tensor_close("z against PyTorch", &z, &z_want, 1e-6, 1e-7);
  float *before_m = malloc(df_tensor_bytes(&dm)), *before_lv = malloc(df_tensor_bytes(&dlv));
  memcpy(before_m, dm.data, df_tensor_bytes(&dm));
  memcpy(before_lv, dlv.data, df_tensor_bytes(&dlv));
  if (df_expect_ok(df_reparameterize_backward(&logvar, &eps, &dz, &dm, &dlv), "reparameterize backward")) {
    int64_t n = df_tensor_numel(&dm);
    float *am = malloc(sizeof(float) * (size_t)n), *alv = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
      am[i] = ((float *)dm.data)[i] - before_m[i];
      alv[i] = ((float *)dlv.data)[i] - before_lv[i];
    }
    df_expect_close("reparameterize d mean (added to the KL gradient) against PyTorch", am, rdm_want.data, n, 1e-5,
                    1e-6);
    df_expect_close("reparameterize d logvar (added to the KL gradient) against PyTorch", alv, rdlv_want.data, n,
                    1e-5, 1e-6);
    free(am);
    free(alv);
  }
  free(before_m);
  free(before_lv);
  if (gpu) gpu_reparam(&mean, &logvar, &eps, &dz, &z_want, &rdm_want, &rdlv_want);
  else gpu_skipped++;

  /* ---- MMD */
  static const char *const cases[] = {"mmdA", "mmdB", "mmdC"};
  for (int k = 0; k < 3; k++) {
    char name[64], what[128];
    snprintf(name, sizeof name, "%s_z", cases[k]);
    df_tensor q = load(name);
    snprintf(name, sizeof name, "%s_prior", cases[k]);
    df_tensor p = load(name);
    snprintf(name, sizeof name, "%s_value", cases[k]);
    df_tensor v_want = load(name);
    snprintf(name, sizeof name, "%s_dz", cases[k]);
    df_tensor g_want = load(name);
    snprintf(name, sizeof name, "%s_sigma2", cases[k]);
    float sigma2 = meta(name);
    snprintf(name, sizeof name, "%s_weight", cases[k]);
    float w = meta(name);
    df_tensor g = like(&q, "d z");
    float v = 0;
    snprintf(what, sizeof what, "mmd %s (N %lld, D %lld, sigma2 %g)", cases[k], (long long)q.shape[0],
             (long long)q.shape[1], sigma2);
    if (df_expect_ok(df_mmd_imq(&q, &p, sigma2, w, &g, &v), what)) {
      snprintf(what, sizeof what, "mmd %s value against PyTorch", cases[k]);
      df_expect_close(what, &v, v_want.data, 1, 1e-5, 1e-7);
      snprintf(what, sizeof what, "mmd %s d z against PyTorch", cases[k]);
      df_expect_tensor_close(what, &g, &g_want, 1e-5, 1e-8);
      fd_ctx c = {NULL, NULL, &q, &p, sigma2, w};
      snprintf(what, sizeof what, "mmd %s d z, finite differences", cases[k]);
      df_expect_fd_gradient(what, q.data, df_tensor_numel(&q), g.data, mmd_value, &c, 48, 1e-3f, 2e-3, 1e-5 * w);
      df_tensor g2 = like(&q, "d z again");
      float v2;
      df_mmd_imq(&q, &p, sigma2, w, &g2, &v2);
      snprintf(what, sizeof what, "mmd %s repeats bit for bit", cases[k]);
      df_expect_equal_bytes(what, g2.data, g.data, df_tensor_bytes(&g));
      df_tensor_free(&g2);
    }
    if (gpu) gpu_mmd(&q, &p, sigma2, w, ((float *)v_want.data)[0], &g_want);
    else gpu_skipped++;
    df_tensor_free(&q);
    df_tensor_free(&p);
    df_tensor_free(&v_want);
    df_tensor_free(&g_want);
    df_tensor_free(&g);
  }
  /* The estimate is centred: latents drawn from the prior itself score about zero, latents far
   * from it clearly positive. */
  {
    df_tensor a, b, g;
    df_tensor_new(&a, DF_DEVICE_CPU, "z from the prior", 64, 8);
    df_tensor_new(&b, DF_DEVICE_CPU, "prior", 64, 8);
    df_tensor_new(&g, DF_DEVICE_CPU, "d z", 64, 8);
    df_rng rng;
    df_rng_init(&rng, 3);
    df_rng_normal(&rng, &a, 0, 1);
    df_rng_normal(&rng, &b, 0, 1);
    float near = 1, far = 0;
    df_mmd_imq(&a, &b, 1.0f, 1.0f, &g, &near);
    df_scale(&a, 4.0f, &a);
    df_mmd_imq(&a, &b, 1.0f, 1.0f, &g, &far);
    printf("     mmd of prior samples %.4g, of 4x wider latents %.4g\n", near, far);
    df_expect_true(fabsf(near) < 0.05f && far > 10 * fabsf(near) && far > 0.1f,
                   "mmd is near 0 for prior samples and clearly positive away from the prior");
    df_tensor_free(&a);
    df_tensor_free(&b);
    df_tensor_free(&g);
  }

  /* ---- bad arguments */
  {
    df_tensor one, one_p, one_g, wrong;
    df_tensor_new(&one, DF_DEVICE_CPU, "single latent", 1, 4);
    df_tensor_new(&one_p, DF_DEVICE_CPU, "single prior", 1, 4);
    df_tensor_new(&one_g, DF_DEVICE_CPU, "single grad", 1, 4);
    df_tensor_new(&wrong, DF_DEVICE_CPU, "wrong logvar", 5, 7);
    float v;
    df_expect_status(df_mmd_imq(&one, &one_p, 1.0f, 1.0f, &one_g, &v), DF_ERR_INVALID_ARG,
                     "mmd needs at least two latents");
    df_expect_true(strstr(df_last_error(), "df_mmd_imq") && strstr(df_last_error(), "single latent"),
                   "the error names the function and the tensor");
    df_expect_status(df_mmd_imq(&mean, &mean, 0.0f, 1.0f, &dm, &v), DF_ERR_INVALID_ARG, "sigma2 = 0 is refused");
    df_expect_status(df_kl_normal(&mean, &wrong, 1.0f, &dm, &dlv, &v), DF_ERR_INVALID_ARG,
                     "kl with a mismatched logvar");
    df_expect_true(strstr(df_last_error(), "wrong logvar") != NULL, "naming the mismatched tensor");
    df_expect_status(df_reparameterize(&mean, &logvar, &wrong, &z), DF_ERR_INVALID_ARG,
                     "reparameterize with a mismatched eps");
    df_tensor_free(&one);
    df_tensor_free(&one_p);
    df_tensor_free(&one_g);
    df_tensor_free(&wrong);
  }
  if (gpu_skipped) df_test_skip_gpu(gpu_skipped, "KL, reparameterisation and MMD on CUDA against PyTorch");
  df_tensor *all[] = {&mean, &logvar, &kl_want, &dm_want, &dlv_want, &dm, &dlv, &eps, &dz, &z_want, &rdm_want, &rdlv_want, &z};
  for (int i = 0; i < 13; i++) df_tensor_free(all[i]);
  df_st_close(fx);
  return df_test_finish();
}
