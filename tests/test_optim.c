/* Optimisers: Adam over several steps (with and without weight decay) against PyTorch's
 * formula evaluated here in double; gradient-norm clipping (norm, scaling only above the
 * limit, non-finite gradients refused); CUDA against the CPU; bad arguments. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"

#define N_PARAM 1037
#define STEPS 5

/* PyTorch's Adam in double: the reference for the fp32 implementation. */
static void adam_reference(const df_adam_config *cfg, int steps, const float *g0, double *p,
                           double *m, double *v, int64_t n) {
  for (int t = 1; t <= steps; t++) {
    double bc1 = 1 - pow(cfg->beta1, t), bc2 = 1 - pow(cfg->beta2, t);
    for (int64_t i = 0; i < n; i++) {
      double g = g0[(i + t) % n] + (double)cfg->weight_decay * p[i];
      m[i] = cfg->beta1 * m[i] + (1 - cfg->beta1) * g;
      v[i] = cfg->beta2 * v[i] + (1 - cfg->beta2) * g * g;
      p[i] -= cfg->lr / bc1 * m[i] / (sqrt(v[i]) / sqrt(bc2) + cfg->eps);
    }
  }
}

/* Runs `steps` Adam steps on dev with the gradient rotated each step; p, m, v to the host. */
static int adam_run(df_device dev, const df_adam_config *cfg, const float *p0, const float *g0,
                    float *p, float *m, float *v) {
  df_tensor tp, tg, tm, tv;
  int ok = df_expect_ok(df_tensor_new(&tp, dev, "param", N_PARAM), "alloc") &&
           df_expect_ok(df_tensor_new(&tg, dev, "grad", N_PARAM), "alloc") &&
           df_expect_ok(df_tensor_new(&tm, dev, "m", N_PARAM), "alloc") &&
           df_expect_ok(df_tensor_new(&tv, dev, "v", N_PARAM), "alloc") &&
           df_expect_ok(df_tensor_from_host(&tp, p0, N_PARAM), "upload");
  float *g = malloc(sizeof(float) * N_PARAM);
  for (int t = 1; ok && t <= STEPS; t++) {
    for (int64_t i = 0; i < N_PARAM; i++) g[i] = g0[(i + t) % N_PARAM];
    ok = df_expect_ok(df_tensor_from_host(&tg, g, N_PARAM), "upload") &&
         df_expect_ok(df_adam_step(cfg, t, &tp, &tg, &tm, &tv), "adam step");
  }
  ok = ok && df_expect_ok(df_tensor_to_host(&tp, p, N_PARAM), "download") &&
       df_expect_ok(df_tensor_to_host(&tm, m, N_PARAM), "download") &&
       df_expect_ok(df_tensor_to_host(&tv, v, N_PARAM), "download");
  free(g);
  df_tensor_free(&tp);
  df_tensor_free(&tg);
  df_tensor_free(&tm);
  df_tensor_free(&tv);
  return ok;
}

static void adam(float weight_decay) {
  df_adam_config cfg = {.lr = 1e-3f, .beta1 = 0.5f, .beta2 = 0.9f, .eps = 1e-8f,
                        .weight_decay = weight_decay};
  static float p0[N_PARAM], g0[N_PARAM], p[N_PARAM], m[N_PARAM], v[N_PARAM];
  static float gp[N_PARAM], gm[N_PARAM], gv[N_PARAM], fp[N_PARAM], fm[N_PARAM], fv[N_PARAM];
  static double rp[N_PARAM], rm[N_PARAM], rv[N_PARAM];
  df_test_fill_uniform(p0, N_PARAM, 1, -1.f, 1.f);
  df_test_fill_uniform(g0, N_PARAM, 2, -0.1f, 0.1f);
  for (int i = 0; i < N_PARAM; i++) rp[i] = p0[i], rm[i] = rv[i] = 0;
  adam_reference(&cfg, STEPS, g0, rp, rm, rv, N_PARAM);
  for (int i = 0; i < N_PARAM; i++) fp[i] = (float)rp[i], fm[i] = (float)rm[i], fv[i] = (float)rv[i];
  char what[128];
  if (!adam_run(DF_DEVICE_CPU, &cfg, p0, g0, p, m, v)) return;
  snprintf(what, sizeof what, "adam (weight decay %g): parameters after %d steps", weight_decay, STEPS);
  df_expect_close(what, p, fp, N_PARAM, 1e-6, 1e-7);
  snprintf(what, sizeof what, "adam (weight decay %g): first moments", weight_decay);
  df_expect_close(what, m, fm, N_PARAM, 1e-5, 1e-8); /* g + wd p may cancel */
  snprintf(what, sizeof what, "adam (weight decay %g): second moments", weight_decay);
  df_expect_close(what, v, fv, N_PARAM, 1e-5, 1e-10);
  if (df_test_gpu()) {
    if (adam_run(DF_DEVICE_CUDA, &cfg, p0, g0, gp, gm, gv)) {
      snprintf(what, sizeof what, "adam (weight decay %g): cuda parameters", weight_decay);
      df_expect_close(what, gp, p, N_PARAM, 1e-6, 1e-7);
      snprintf(what, sizeof what, "adam (weight decay %g): cuda moments", weight_decay);
      df_expect_close(what, gv, v, N_PARAM, 1e-5, 1e-12);
    }
  } else {
    df_test_skip_gpu(1, "adam cuda vs cpu");
  }
}

/* Three gradient tensors of different sizes on dev, scaled so the norm is `norm`. */
static int clip_run(df_device dev, float scale, float max_norm, float *norm, float *out,
                    df_status *status) {
  const int64_t sizes[3] = {5, 1000, 333};
  df_tensor t[3];
  df_tensor *ptr[3] = {&t[0], &t[1], &t[2]};
  float *host = malloc(sizeof(float) * 1338);
  df_test_fill_uniform(host, 1338, 3, -scale, scale);
  int64_t off = 0;
  for (int i = 0; i < 3; i++) {
    df_tensor_new(&t[i], dev, "grad", sizes[i]);
    df_tensor_from_host(&t[i], host + off, sizes[i]);
    off += sizes[i];
  }
  *status = df_clip_grad_norm(ptr, 3, max_norm, norm);
  off = 0;
  for (int i = 0; i < 3; i++) {
    df_tensor_to_host(&t[i], out + off, sizes[i]);
    off += sizes[i];
    df_tensor_free(&t[i]);
  }
  free(host);
  return 1;
}

static void clipping(void) {
  static float before[1338], after[1338], want[1338], gpu[1338];
  df_test_fill_uniform(before, 1338, 3, -1.f, 1.f);
  double ss = 0;
  for (int i = 0; i < 1338; i++) ss += (double)before[i] * before[i];
  const double norm = sqrt(ss);
  float got_norm = 0;
  df_status s;
  clip_run(DF_DEVICE_CPU, 1.f, 5.f, &got_norm, after, &s);
  df_expect_ok(s, "clip_grad_norm above the limit");
  df_expect_near("clip_grad_norm reports the norm before clipping", got_norm, norm, 1e-6 * norm);
  for (int i = 0; i < 1338; i++) want[i] = before[i] * (float)(5.0 / (norm + 1e-6));
  df_expect_close("clip_grad_norm scales by max_norm / (norm + 1e-6)", after, want, 1338, 1e-6, 0);
  if (df_test_gpu()) {
    float gnorm = 0;
    clip_run(DF_DEVICE_CUDA, 1.f, 5.f, &gnorm, gpu, &s);
    df_expect_ok(s, "cuda clip_grad_norm");
    df_expect_near("cuda clip_grad_norm: same norm", gnorm, got_norm, 1e-6 * norm);
    df_expect_close("cuda clip_grad_norm: same gradients", gpu, after, 1338, 1e-6, 0);
  } else {
    df_test_skip_gpu(1, "clip_grad_norm cuda vs cpu");
  }
  clip_run(DF_DEVICE_CPU, 1.f, 100.f, &got_norm, after, &s);
  df_expect_ok(s, "clip_grad_norm below the limit");
  df_expect_equal_bytes("clip_grad_norm below the limit changes nothing", after, before, sizeof after);

  df_tensor t;
  df_tensor_new(&t, DF_DEVICE_CPU, "grad_with_nan", 4);
  ((float *)t.data)[2] = NAN;
  df_tensor *one[1] = {&t};
  s = df_clip_grad_norm(one, 1, 1.f, &got_norm);
  df_expect_status(s, DF_ERR_NUMERIC, "clip_grad_norm refuses a NaN gradient");
  df_expect_true(((float *)t.data)[0] == 0.f && isnan(got_norm), "and reports the NaN norm, scaling nothing");
  df_tensor_free(&t);
}

static void bad_arguments(void) {
  df_tensor p, g, m, v;
  df_tensor_new(&p, DF_DEVICE_CPU, "param", 4);
  df_tensor_new(&g, DF_DEVICE_CPU, "grad_wrong", 5);
  df_tensor_new(&m, DF_DEVICE_CPU, "m", 4);
  df_tensor_new(&v, DF_DEVICE_CPU, "v", 4);
  df_adam_config cfg = {1e-4f, 0.5f, 0.9f, 1e-8f, 0.f};
  df_status s = df_adam_step(&cfg, 1, &p, &g, &m, &v);
  df_expect_status(s, DF_ERR_INVALID_ARG, "adam: gradient of the wrong shape");
  df_expect_true(strstr(df_last_error(), "grad_wrong") != NULL, "adam: the error names the tensor");
  df_expect_status(df_adam_step(&cfg, 0, &p, &m, &m, &v), DF_ERR_INVALID_ARG, "adam: step 0");
  cfg.beta2 = 1.f;
  df_expect_status(df_adam_step(&cfg, 1, &p, &m, &m, &v), DF_ERR_INVALID_ARG, "adam: beta2 = 1");
  df_tensor *list[1] = {&p};
  df_expect_status(df_clip_grad_norm(list, 1, 0.f, NULL), DF_ERR_INVALID_ARG, "clip: max_norm 0");
  df_tensor_free(&p);
  df_tensor_free(&g);
  df_tensor_free(&m);
  df_tensor_free(&v);
}

int main(void) {
  df_test_begin("test_optim");
  adam(0.f);
  adam(0.01f);
  clipping();
  bad_arguments();
  return df_test_finish();
}
