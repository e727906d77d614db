/* GAN losses and WGAN-GP's penalty: values against direct formulas, gradients against finite
 * differences, CUDA against CPU when a GPU is present. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"

typedef struct {
  df_gan_loss kind;
  df_tensor *real, *fake, *dreal, *dfake;
  int generator;
} loss_ctx;

static double eval_loss(void *p) {
  loss_ctx *c = p;
  float loss = 0, w;
  df_status s = c->generator ? df_gan_generator_loss(c->kind, c->fake, c->dfake, &loss)
                             : df_gan_critic_loss(c->kind, c->real, c->fake, c->dreal, c->dfake, &loss, &w);
  return s == DF_OK ? loss : NAN;
}

typedef struct {
  df_tensor *g, *u;
  float lambda;
} gp_ctx;

/* lambda * GP from its definition, in double, so finite differences are not limited by the
 * float result of the function under test (whose value is checked separately). */
static double eval_gp(void *p) {
  gp_ctx *c = p;
  int64_t n = c->g->shape[0], inner = df_tensor_inner(c->g);
  const float *g = c->g->data;
  double total = 0;
  for (int64_t i = 0; i < n; i++) {
    double ss = 0;
    for (int64_t j = 0; j < inner; j++) ss += (double)g[i * inner + j] * g[i * inner + j];
    total += (sqrt(ss) - 1) * (sqrt(ss) - 1);
  }
  return c->lambda * total / (double)n;
}

static void compare_gpu_critic(df_gan_loss kind, df_tensor *real, df_tensor *fake, float want_loss,
                               df_tensor *dreal, df_tensor *dfake) {
  df_tensor r, f, dr, dff;
  df_test_to_device(real, DF_DEVICE_CUDA, &r);
  df_test_to_device(fake, DF_DEVICE_CUDA, &f);
  df_test_to_device(dreal, DF_DEVICE_CUDA, &dr);
  df_test_to_device(dfake, DF_DEVICE_CUDA, &dff);
  float loss, w;
  char what[128];
  snprintf(what, sizeof what, "cuda %s critic", df_gan_loss_name(kind));
  if (df_expect_ok(df_gan_critic_loss(kind, &r, &f, &dr, &dff, &loss, &w), what)) {
    df_expect_close(what, &loss, &want_loss, 1, 1e-6, 1e-7);
    df_expect_tensor_close(what, &dr, dreal, 1e-6, 1e-9);
    df_expect_tensor_close(what, &dff, dfake, 1e-6, 1e-9);
  }
  df_tensor_free(&r);
  df_tensor_free(&f);
  df_tensor_free(&dr);
  df_tensor_free(&dff);
}

int main(void) {
  df_test_begin("test_loss");
  int gpu_cases = 0;
  const int64_t sizes[] = {1, 7, 64};
  for (int kind = DF_GAN_WGAN_GP; kind <= DF_GAN_HINGE; kind++) {
    for (int si = 0; si < 3; si++) {
      int64_t n = sizes[si];
      df_tensor real, fake, dreal, dfake;
      df_tensor_new(&real, DF_DEVICE_CPU, "real scores", n);
      df_tensor_new(&fake, DF_DEVICE_CPU, "fake scores", n);
      df_tensor_new(&dreal, DF_DEVICE_CPU, "d real", n);
      df_tensor_new(&dfake, DF_DEVICE_CPU, "d fake", n);
      df_test_fill_uniform(real.data, n, 11 + (uint64_t)n, -2.5f, 2.5f);
      df_test_fill_uniform(fake.data, n, 23 + (uint64_t)n, -2.5f, 2.5f);
      float *r = real.data, *f = fake.data;
      /* Keep hinge scores away from its kinks at +-1, where differences are one-sided. */
      for (int64_t i = 0; i < n; i++) {
        if (fabsf(fabsf(r[i]) - 1) < 0.05f) r[i] += 0.1f;
        if (fabsf(fabsf(f[i]) - 1) < 0.05f) f[i] += 0.1f;
      }
      float loss = 0, w = 0;
      char what[160];
      snprintf(what, sizeof what, "%s critic loss, N=%lld", df_gan_loss_name(kind), (long long)n);
      df_expect_ok(df_gan_critic_loss(kind, &real, &fake, &dreal, &dfake, &loss, &w), what);
      /* The loss written out directly from its definition. */
      double want = 0, mr = 0, mf = 0;
      for (int64_t i = 0; i < n; i++) {
        double a = r[i], b = f[i];
        mr += a / n;
        mf += b / n;
        switch (kind) {
          case DF_GAN_WGAN_GP: want += (b - a) / n; break;
          case DF_GAN_DCGAN: want += 0.5 * (log1p(exp(-a)) + log1p(exp(b))) / n; break;
          case DF_GAN_LSGAN: want += 0.5 * ((a - 1) * (a - 1) + b * b) / n; break;
          case DF_GAN_HINGE: want += (fmax(0, 1 - a) + fmax(0, 1 + b)) / n; break;
        }
      }
      float wantf = (float)want, wdist = (float)(mr - mf);
      df_expect_close(what, &loss, &wantf, 1, 1e-5, 1e-6);
      snprintf(what, sizeof what, "%s Wasserstein estimate, N=%lld", df_gan_loss_name(kind), (long long)n);
      df_expect_close(what, &w, &wdist, 1, 1e-5, 1e-6);
      loss_ctx c = {(df_gan_loss)kind, &real, &fake, &dreal, &dfake, 0};
      df_tensor ar, af;
      df_tensor_new(&ar, DF_DEVICE_CPU, "analytic d real", n);
      df_tensor_new(&af, DF_DEVICE_CPU, "analytic d fake", n);
      df_tensor_copy(&ar, &dreal);
      df_tensor_copy(&af, &dfake);
      snprintf(what, sizeof what, "%s critic d/d real, N=%lld", df_gan_loss_name(kind), (long long)n);
      df_expect_fd_gradient(what, r, n, ar.data, eval_loss, &c, 0, 1e-2f, 2e-2, 1e-5);
      snprintf(what, sizeof what, "%s critic d/d fake, N=%lld", df_gan_loss_name(kind), (long long)n);
      df_expect_fd_gradient(what, f, n, af.data, eval_loss, &c, 0, 1e-2f, 2e-2, 1e-5);
      if (df_test_gpu()) compare_gpu_critic((df_gan_loss)kind, &real, &fake, loss, &ar, &af);
      else gpu_cases++;

      snprintf(what, sizeof what, "%s generator loss, N=%lld", df_gan_loss_name(kind), (long long)n);
      df_expect_ok(df_gan_generator_loss(kind, &fake, &dfake, &loss), what);
      want = 0;
      for (int64_t i = 0; i < n; i++) {
        double b = f[i];
        switch (kind) {
          case DF_GAN_WGAN_GP:
          case DF_GAN_HINGE: want += -b / n; break;
          case DF_GAN_DCGAN: want += log1p(exp(-b)) / n; break;
          case DF_GAN_LSGAN: want += (b - 1) * (b - 1) / n; break;
        }
      }
      wantf = (float)want;
      df_expect_close(what, &loss, &wantf, 1, 1e-5, 1e-6);
      df_tensor_copy(&af, &dfake);
      c.generator = 1;
      df_expect_fd_gradient(what, f, n, af.data, eval_loss, &c, 0, 1e-2f, 2e-2, 1e-5);
      if (df_test_gpu()) {
        df_tensor df2, dd;
        df_test_to_device(&fake, DF_DEVICE_CUDA, &df2);
        df_test_to_device(&dfake, DF_DEVICE_CUDA, &dd);
        float gl;
        if (df_expect_ok(df_gan_generator_loss(kind, &df2, &dd, &gl), what)) {
          df_expect_close("cuda generator loss", &gl, &loss, 1, 1e-6, 1e-7);
          df_expect_tensor_close("cuda generator gradient", &dd, &af, 1e-6, 1e-9);
        }
        df_tensor_free(&df2);
        df_tensor_free(&dd);
      } else {
        gpu_cases++;
      }
      df_tensor_free(&ar);
      df_tensor_free(&af);
      df_tensor_free(&real);
      df_tensor_free(&fake);
      df_tensor_free(&dreal);
      df_tensor_free(&dfake);
    }
  }

  /* Gradient penalty: value from its definition, u against finite differences of lambda GP. */
  const int64_t shapes[][3] = {{1, 1, 33}, {5, 2, 17}, {8, 1, 256}};
  for (int k = 0; k < 3; k++) {
    df_tensor g, u;
    df_tensor_new(&g, DF_DEVICE_CPU, "g", shapes[k][0], shapes[k][1], shapes[k][2]);
    df_tensor_new(&u, DF_DEVICE_CPU, "u", shapes[k][0], shapes[k][1], shapes[k][2]);
    int64_t n = shapes[k][0], inner = df_tensor_inner(&g);
    /* Scale examples so slopes straddle 1. */
    df_test_fill_uniform(g.data, n * inner, 99 + (uint64_t)k, -1, 1);
    float *gd = g.data;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < inner; j++) gd[i * inner + j] *= (0.3f + 0.4f * (float)i) / sqrtf((float)inner / 3.f);
    float gp, slope;
    char what[128];
    snprintf(what, sizeof what, "gradient penalty [%lld, %lld, %lld]", (long long)shapes[k][0],
             (long long)shapes[k][1], (long long)shapes[k][2]);
    df_expect_ok(df_gradient_penalty(&g, 10.f, &u, &gp, &slope), what);
    double want = 0, want_slope = 0;
    for (int64_t i = 0; i < n; i++) {
      double ss = 0;
      for (int64_t j = 0; j < inner; j++) ss += (double)gd[i * inner + j] * gd[i * inner + j];
      want += (sqrt(ss) - 1) * (sqrt(ss) - 1) / n;
      want_slope += sqrt(ss) / n;
    }
    float wf = (float)want, ws = (float)want_slope;
    df_expect_close(what, &gp, &wf, 1, 1e-5, 1e-7);
    df_expect_close("mean slope", &slope, &ws, 1, 1e-5, 1e-7);
    gp_ctx c = {&g, &u, 10.f};
    df_tensor analytic;
    df_tensor_new(&analytic, DF_DEVICE_CPU, "analytic u", shapes[k][0], shapes[k][1], shapes[k][2]);
    df_tensor_copy(&analytic, &u);
    df_expect_fd_gradient("penalty direction u = lambda dGP/dg", gd, n * inner, analytic.data,
                          eval_gp, &c, 64, 1e-3f, 1e-2, 1e-5);
    if (df_test_gpu()) {
      df_tensor dg, du;
      df_test_to_device(&g, DF_DEVICE_CUDA, &dg);
      df_test_to_device(&u, DF_DEVICE_CUDA, &du);
      float gp2, slope2;
      if (df_expect_ok(df_gradient_penalty(&dg, 10.f, &du, &gp2, &slope2), "cuda penalty")) {
        df_expect_close("cuda penalty value", &gp2, &gp, 1, 1e-6, 1e-8);
        df_expect_close("cuda mean slope", &slope2, &slope, 1, 1e-6, 1e-8);
        df_expect_tensor_close("cuda penalty direction", &du, &analytic, 1e-6, 1e-9);
      }
      df_tensor_free(&dg);
      df_tensor_free(&du);
    } else {
      gpu_cases++;
    }
    df_tensor_free(&analytic);
    df_tensor_free(&g);
    df_tensor_free(&u);
  }

  /* Bad arguments. */
  df_tensor a, b, c3;
  df_tensor_new(&a, DF_DEVICE_CPU, "scores", 4);
  df_tensor_new(&b, DF_DEVICE_CPU, "short scores", 3);
  df_tensor_new(&c3, DF_DEVICE_CPU, "grad", 4);
  float l, w;
  df_expect_status(df_gan_critic_loss(DF_GAN_WGAN_GP, &a, &b, &c3, &c3, &l, &w), DF_ERR_INVALID_ARG,
                   "mismatched score counts are rejected");
  df_expect_true(strstr(df_last_error(), "short scores") != NULL, "the error names the tensor");
  df_tensor_free(&a);
  df_tensor_free(&b);
  df_tensor_free(&c3);
  if (gpu_cases) df_test_skip_gpu(gpu_cases, "cuda losses");
  return df_test_finish();
}
