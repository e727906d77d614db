/* Dense layers and batch norm (training with running statistics, inference) on a table of
 * shapes including batch 1 and odd sizes: gradients against finite differences, the
 * statistics against a direct double-precision computation, the backward's
 * overwrite/accumulate contract, CUDA against the CPU; and bad arguments. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/op_harness.h"

static df_status dense_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  return df_dense_forward(&in[0], &in[1], c->n_in > 2 ? &in[2] : NULL, &out[0]);
}

static df_status dense_bwd(const df_op_case *c, df_tensor *in, df_tensor *out, df_tensor *dout,
                           df_tensor **grads) {
  return df_dense_backward(&in[0], &in[1], &dout[0], grads[0], grads[1],
                           c->n_in > 2 ? grads[2] : NULL);
}

static void dense_case(int n, int in, int out, int bias, uint64_t seed) {
  df_op_case c;
  memset(&c, 0, sizeof c);
  snprintf(c.name, sizeof c.name, "dense N%d %d->%d%s", n, in, out, bias ? " bias" : "");
  c.n_in = bias ? 3 : 2;
  c.in[0] = (df_op_tensor){.name = "x", .ndim = 2, .shape = {n, in}, .grad = DF_GRAD_INPUT};
  c.in[1] = (df_op_tensor){.name = "w", .ndim = 2, .shape = {out, in}, .grad = DF_GRAD_PARAM};
  c.in[2] = (df_op_tensor){.name = "b", .ndim = 1, .shape = {out}, .grad = DF_GRAD_PARAM};
  c.n_out = c.n_loss = 1;
  c.out[0] = (df_op_tensor){.name = "y", .ndim = 2, .shape = {n, out}};
  c.forward = dense_fwd;
  c.backward = dense_bwd;
  c.fd_eps = 0.25f; /* linear in each input: no truncation error */
  c.fd_rtol = 2e-4;
  c.fd_atol = 5e-5;
  c.fd_samples = 48;
  c.gpu_rtol = 1e-4;
  c.gpu_atol = 1e-5;
  c.tf32_rtol = 2e-2;
  c.seed = seed;
  df_op_case_run(&c);
}

/* Batch norm training: outputs y, running mean and variance (starting from 0.25 and 1.5),
 * saved mean and inverse std. */
enum { BN_Y, BN_RMEAN, BN_RVAR, BN_MEAN, BN_INVSTD };
#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f

static df_status bn_train_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  DF_TRY(df_fill(&out[BN_RMEAN], 0.25f));
  DF_TRY(df_fill(&out[BN_RVAR], 1.5f));
  return df_batchnorm_forward_train(&in[0], &in[1], &in[2], &out[BN_RMEAN], &out[BN_RVAR],
                                    BN_MOMENTUM, BN_EPS, &out[BN_Y], &out[BN_MEAN],
                                    &out[BN_INVSTD]);
}

static df_status bn_bwd(const df_op_case *c, df_tensor *in, df_tensor *out, df_tensor *dout,
                        df_tensor **grads) {
  return df_batchnorm_backward(&in[0], &in[1], &dout[0], &out[BN_MEAN], &out[BN_INVSTD],
                               grads[0], grads[1], grads[2]);
}

static df_status bn_infer_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  return df_batchnorm_forward_infer(&in[0], &in[1], &in[2], &in[3], &in[4], BN_EPS, &out[0]);
}

/* The statistics and outputs computed directly in double. */
static void bn_check_direct(const int64_t *shape, int ndim, uint64_t seed) {
  df_tensor x, g, b, y, rm, rv, mean, invstd, yi;
  int64_t c = shape[1], n = shape[0], s = 1;
  for (int i = 2; i < ndim; i++) s *= shape[i];
  df_tensor_alloc(&x, DF_DEVICE_CPU, DF_F32, ndim, shape, "x");
  df_tensor_alloc(&y, DF_DEVICE_CPU, DF_F32, ndim, shape, "y");
  df_tensor_alloc(&yi, DF_DEVICE_CPU, DF_F32, ndim, shape, "y_infer");
  df_tensor_new(&g, DF_DEVICE_CPU, "gamma", c);
  df_tensor_new(&b, DF_DEVICE_CPU, "beta", c);
  df_tensor_new(&rm, DF_DEVICE_CPU, "running_mean", c);
  df_tensor_new(&rv, DF_DEVICE_CPU, "running_var", c);
  df_tensor_new(&mean, DF_DEVICE_CPU, "save_mean", c);
  df_tensor_new(&invstd, DF_DEVICE_CPU, "save_invstd", c);
  df_test_fill_uniform(x.data, df_tensor_numel(&x), seed, -2.f, 3.f);
  df_test_fill_uniform(g.data, c, seed + 1, 0.5f, 1.5f);
  df_test_fill_uniform(b.data, c, seed + 2, -1.f, 1.f);
  df_fill(&rm, 0.25f);
  df_fill(&rv, 1.5f);
  char what[160];
  snprintf(what, sizeof what, "batchnorm statistics N%lld C%lld S%lld", (long long)n,
           (long long)c, (long long)s);
  if (!df_expect_ok(df_batchnorm_forward_train(&x, &g, &b, &rm, &rv, BN_MOMENTUM, BN_EPS, &y,
                                               &mean, &invstd), what))
    return;
  float want_rm[64], want_rv[64], want_mean[64], want_invstd[64];
  float *want_y = malloc(sizeof(float) * (size_t)df_tensor_numel(&x));
  float *want_yi = malloc(sizeof(float) * (size_t)df_tensor_numel(&x));
  const float *xd = x.data, *gd = g.data, *bd = b.data;
  for (int64_t ch = 0; ch < c; ch++) {
    double sum = 0, sq = 0;
    for (int64_t e = 0; e < n; e++)
      for (int64_t k = 0; k < s; k++) sum += xd[(e * c + ch) * s + k];
    double m = sum / (double)(n * s);
    for (int64_t e = 0; e < n; e++)
      for (int64_t k = 0; k < s; k++) sq += pow(xd[(e * c + ch) * s + k] - m, 2);
    double var = sq / (double)(n * s), unbiased = sq / (double)(n * s - 1);
    want_mean[ch] = (float)m;
    want_invstd[ch] = (float)(1 / sqrt(var + BN_EPS));
    want_rm[ch] = (float)(0.9 * 0.25 + 0.1 * m);
    want_rv[ch] = (float)(0.9 * 1.5 + 0.1 * unbiased);
    for (int64_t e = 0; e < n; e++)
      for (int64_t k = 0; k < s; k++) {
        int64_t i = (e * c + ch) * s + k;
        want_y[i] = (float)((xd[i] - m) / sqrt(var + BN_EPS) * gd[ch] + bd[ch]);
        want_yi[i] = (float)((xd[i] - want_rm[ch]) / sqrt(want_rv[ch] + BN_EPS) * gd[ch] + bd[ch]);
      }
  }
  df_expect_close("batchnorm save_mean = batch mean", mean.data, want_mean, c, 1e-6, 1e-6);
  df_expect_close("batchnorm save_invstd = 1/sqrt(biased var + eps)", invstd.data, want_invstd, c, 1e-6, 0);
  df_expect_close("batchnorm running_mean = 0.9 old + 0.1 mean", rm.data, want_rm, c, 1e-6, 1e-7);
  df_expect_close("batchnorm running_var = 0.9 old + 0.1 unbiased var", rv.data, want_rv, c, 1e-6, 0);
  df_expect_close("batchnorm training output", y.data, want_y, df_tensor_numel(&x), 1e-5, 1e-5);
  if (df_expect_ok(df_batchnorm_forward_infer(&x, &g, &b, &rm, &rv, BN_EPS, &yi), "batchnorm inference"))
    df_expect_close("batchnorm inference output uses the running statistics", yi.data, want_yi,
                    df_tensor_numel(&x), 1e-5, 1e-5);
  free(want_y);
  free(want_yi);
  df_tensor *all[] = {&x, &g, &b, &y, &rm, &rv, &mean, &invstd, &yi};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) df_tensor_free(all[i]);
}

static void bn_cases(int ndim, const int64_t *shape, uint64_t seed) {
  df_op_case c;
  memset(&c, 0, sizeof c);
  char shp[64];
  df_tensor view = df_tensor_wrap(NULL, DF_DEVICE_CPU, DF_F32, ndim, shape, "");
  df_tensor_shape_str(&view, shp, sizeof shp);
  int64_t ch = shape[1];
  df_op_tensor x = {.name = "x", .ndim = ndim, .grad = DF_GRAD_INPUT, .lo = -2.f, .hi = 3.f};
  memcpy(x.shape, shape, sizeof(int64_t) * (size_t)ndim);
  df_op_tensor y = x;
  y.name = "y";
  y.grad = DF_GRAD_NONE;
  snprintf(c.name, sizeof c.name, "batchnorm train x %s", shp);
  c.n_in = 3;
  c.in[0] = x;
  c.in[1] = (df_op_tensor){.name = "gamma", .ndim = 1, .shape = {ch}, .grad = DF_GRAD_PARAM, .lo = 0.5f, .hi = 1.5f};
  c.in[2] = (df_op_tensor){.name = "beta", .ndim = 1, .shape = {ch}, .grad = DF_GRAD_PARAM};
  c.n_out = 5;
  c.n_loss = 1;
  c.out[BN_Y] = y;
  const char *stat_names[] = {"y", "running_mean", "running_var", "save_mean", "save_invstd"};
  for (int k = 1; k < 5; k++) c.out[k] = (df_op_tensor){.name = stat_names[k], .ndim = 1, .shape = {ch}};
  c.forward = bn_train_fwd;
  c.backward = bn_bwd;
  c.fd_eps = 1e-2f; /* nonlinear in x: a step balancing truncation and fp32 rounding */
  c.fd_rtol = 1e-3;
  c.fd_atol = 2e-4;
  c.fd_samples = 48;
  c.gpu_rtol = 1e-4;
  c.gpu_atol = 1e-5;
  c.seed = seed;
  df_op_case_run(&c);

  memset(&c, 0, sizeof c);
  snprintf(c.name, sizeof c.name, "batchnorm inference x %s", shp);
  c.n_in = 5;
  c.in[0] = x;
  c.in[1] = (df_op_tensor){.name = "gamma", .ndim = 1, .shape = {ch}, .lo = 0.5f, .hi = 1.5f};
  c.in[2] = (df_op_tensor){.name = "beta", .ndim = 1, .shape = {ch}};
  c.in[3] = (df_op_tensor){.name = "running_mean", .ndim = 1, .shape = {ch}};
  c.in[4] = (df_op_tensor){.name = "running_var", .ndim = 1, .shape = {ch}, .lo = 0.5f, .hi = 2.f};
  c.n_out = c.n_loss = 1;
  c.out[0] = y;
  c.forward = bn_infer_fwd;
  c.gpu_rtol = 1e-5;
  c.gpu_atol = 1e-6;
  c.seed = seed + 1000;
  df_op_case_run(&c);
  bn_check_direct(shape, ndim, seed + 2000);
}

static void bad_arguments(void) {
  df_tensor x, w, y, b, g, one, ys, bn_x, bn_y, mean, invstd;
  df_tensor_new(&x, DF_DEVICE_CPU, "x", 4, 7);
  df_tensor_new(&w, DF_DEVICE_CPU, "w", 3, 6);
  df_tensor_new(&y, DF_DEVICE_CPU, "y", 4, 3);
  df_tensor_new(&b, DF_DEVICE_CPU, "b", 4);
  df_expect_invalid(df_dense_forward(&x, &w, NULL, &y), "'w'", "dense: weight [out, in] with the wrong in names w");
  df_tensor_free(&w);
  df_tensor_new(&w, DF_DEVICE_CPU, "w", 3, 7);
  df_expect_invalid(df_dense_forward(&x, &w, &b, &y), "'b'", "dense: bias of the wrong length names b");
  df_tensor_new(&ys, DF_DEVICE_CPU, "y_short", 4, 2);
  df_expect_invalid(df_dense_forward(&x, &w, NULL, &ys), "y_short", "dense: output of the wrong shape names y");
  df_expect_invalid(df_dense_backward(&x, &w, &y, &ys, NULL, NULL), "y_short", "dense backward: dx of the wrong shape is named");
  df_tensor_new(&bn_x, DF_DEVICE_CPU, "bn_x", 1, 3, 1);
  df_tensor_new(&bn_y, DF_DEVICE_CPU, "bn_y", 1, 3, 1);
  df_tensor_new(&g, DF_DEVICE_CPU, "gamma", 3);
  df_tensor_new(&mean, DF_DEVICE_CPU, "save_mean", 3);
  df_tensor_new(&invstd, DF_DEVICE_CPU, "save_invstd", 3);
  df_tensor_new(&one, DF_DEVICE_CPU, "beta_short", 2);
  df_expect_invalid(df_batchnorm_forward_train(&bn_x, &g, &one, NULL, NULL, 0.1f, 1e-5f, &bn_y, &mean, &invstd),
                    "beta_short", "batchnorm: beta of the wrong length names beta");
  df_expect_invalid(df_batchnorm_forward_train(&bn_x, &g, &g, NULL, NULL, 0.1f, 1e-5f, &bn_y, &mean, &invstd),
                    "bn_x", "batchnorm: one value per channel cannot be trained");
  df_expect_invalid(df_batchnorm_forward_train(&bn_x, &g, &g, NULL, NULL, 1.5f, 1e-5f, &bn_y, &mean, &invstd),
                    "momentum", "batchnorm: momentum outside [0, 1]");
  df_expect_invalid(df_batchnorm_forward_infer(&bn_x, &g, &g, NULL, &g, 1e-5f, &bn_y),
                    "running_mean", "batchnorm inference: missing running_mean is named");
  df_tensor *all[] = {&x, &w, &y, &b, &g, &one, &ys, &bn_x, &bn_y, &mean, &invstd};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) df_tensor_free(all[i]);
}

int main(void) {
  df_test_begin("test_ops_dense_norm");
  /* The last two are large enough for df_cpu_sgemm to split them between threads, by rows and
   * by columns, with and without transposes. */
  const int dense_table[][4] = {{1, 1, 1, 1}, {3, 7, 5, 1}, {1, 33, 17, 1}, {8, 64, 10, 0},
                                {5, 3, 129, 1}, {200, 64, 100, 1}, {64, 128, 160, 0}};
  uint64_t seed = 1;
  for (size_t i = 0; i < sizeof dense_table / sizeof dense_table[0]; i++)
    dense_case(dense_table[i][0], dense_table[i][1], dense_table[i][2], dense_table[i][3], seed++);
  for (int i = 0; i < 3; i++)
    dense_case(df_test_rand_int(77, 4 * (uint64_t)i, 1, 9), df_test_rand_int(77, 4 * (uint64_t)i + 1, 1, 40),
               df_test_rand_int(77, 4 * (uint64_t)i + 2, 1, 40), df_test_rand_int(77, 4 * (uint64_t)i + 3, 0, 1), seed++);

  const int64_t bn_shapes[][5] = {{4, 3}, {1, 2, 9}, {3, 5, 7}, {2, 3, 4, 5}, {1, 1, 3, 3},
                                  {5, 4, 1}};
  const int bn_ndim[] = {2, 3, 3, 4, 4, 3};
  for (size_t i = 0; i < sizeof bn_ndim / sizeof bn_ndim[0]; i++) bn_cases(bn_ndim[i], bn_shapes[i], seed++);
  bad_arguments();
  return df_test_finish();
}
