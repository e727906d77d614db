/* What is specific to the CUDA backend (the op tests compare every CUDA op with the CPU):
 * the caching allocator (reuse, zeroing, statistics), copies between host and device, the
 * math modes (strict fp32 and TF32 GEMMs and convolutions against a direct double-precision
 * evaluation of the definition, including weight-gradient accumulation), and deterministic
 * mode (repeated backward passes bitwise identical), and df_runtime_shutdown (memory, handles
 * and convolution plans released; init again runs ops). Without a GPU every case is reported as
 * skipped (no GPU). The ops are called through the CUDA table, independently of dispatch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "core/backend.h"
#include "ops/nn_backend.h"

#define N_CASES 15 /* allocator, copies, 2 dense, 8 convolutions, 2 deterministic, shutdown */

static const df_nn_backend *ops(void) { return df_backend_for(DF_DEVICE_CUDA)->nn; }

/* A CUDA tensor filled from the library's RNG; host receives a copy of the values. */
static df_tensor device_random(const char *name, int ndim, const int64_t *shape, uint64_t seed,
                               float **host) {
  df_tensor t;
  df_tensor h = df_tensor_wrap(NULL, DF_DEVICE_CPU, DF_F32, ndim, shape, name);
  int64_t n = df_tensor_numel(&h);
  *host = malloc(sizeof(float) * (size_t)(n ? n : 1));
  df_test_fill_uniform(*host, n, seed, -1.f, 1.f);
  if (!df_expect_ok(df_tensor_alloc(&t, DF_DEVICE_CUDA, DF_F32, ndim, shape, name), name) ||
      !df_expect_ok(df_tensor_from_host(&t, *host, n), name))
    exit(1);
  return t;
}

static df_tensor device_filled(const char *name, int ndim, const int64_t *shape, float value) {
  df_tensor t;
  if (!df_expect_ok(df_tensor_alloc(&t, DF_DEVICE_CUDA, DF_F32, ndim, shape, name), name) ||
      !df_expect_ok(ops()->fill(&t, value), name))
    exit(1);
  return t;
}

/* got (device) against want (host doubles): |got - want| <= tol max|want|. */
static void expect_near(const char *what, const df_tensor *got, const double *want, double tol) {
  int64_t n = df_tensor_numel(got);
  float *g = malloc(sizeof(float) * (size_t)n), *w = malloc(sizeof(float) * (size_t)n);
  double scale = 0;
  for (int64_t i = 0; i < n; i++) {
    w[i] = (float)want[i];
    scale = fmax(scale, fabs(want[i]));
  }
  if (df_expect_ok(df_tensor_to_host(got, g, n), what))
    df_expect_close(what, g, w, n, 0, tol * fmax(scale, 1e-30));
  free(g);
  free(w);
}

/* When the layer ran, its results y, dx, dw and db (in that order) against their references
 * (the bias gradient is a plain sum, exact to rounding in every mode); then frees the layer's
 * tensors. */
static void expect_layer(const char *what, int ran, df_tensor *const *res, double *const *ref,
                         double tol, df_tensor *const *all, int n_all) {
  for (int i = 0; ran && i < 4; i++) expect_near(what, res[i], ref[i], i == 3 ? 1e-6 : tol);
  for (int i = 0; i < n_all; i++) df_tensor_free(all[i]);
}

/* ---------------------------------------------------------------- allocator and copies */
static void test_allocator(void) {
  size_t use0, cached0, peak0, use1, cached1, peak1, use2, cached2;
  df_device_memory(DF_DEVICE_CUDA, &use0, &cached0, &peak0);
  df_tensor a, b;
  df_expect_ok(df_tensor_new(&a, DF_DEVICE_CUDA, "a", 1000, 1000), "alloc 4 MB");
  df_device_memory(DF_DEVICE_CUDA, &use1, &cached1, &peak1);
  df_expect_true(use1 >= use0 + 4000000 && cached1 >= use1 && peak1 >= use1,
                 "allocator: in use, cached and peak grow with an allocation");
  void *first = a.data;
  df_expect_ok(ops()->fill(&a, 1.f), "fill");
  df_tensor_free(&a);
  df_device_memory(DF_DEVICE_CUDA, &use2, &cached2, NULL);
  df_expect_true(use2 == use0 && cached2 == cached1,
                 "allocator: a freed block leaves use and stays cached");
  df_expect_ok(df_tensor_new(&b, DF_DEVICE_CUDA, "b", 1000, 1000), "alloc again");
  df_expect_true(b.data == first, "allocator: the cached block is reused for the same size");
  float *h = malloc(sizeof(float) * 1000000);
  int zero = df_expect_ok(df_tensor_to_host(&b, h, 1000000), "copy");
  for (int i = 0; zero && i < 1000000; i++) zero = h[i] == 0.f;
  df_expect_true(zero, "allocator: a reused block is zeroed");
  df_tensor_free(&b);
  free(h);
}

static void test_copies(void) {
  const int64_t shape[3] = {3, 5, 7777};
  float *host;
  df_tensor d = device_random("d", 3, shape, 11, &host), e, back;
  df_expect_ok(df_tensor_alloc(&e, DF_DEVICE_CUDA, DF_F32, 3, shape, "e"), "alloc");
  df_expect_ok(df_tensor_alloc(&back, DF_DEVICE_CPU, DF_F32, 3, shape, "back"), "alloc");
  df_expect_ok(df_tensor_copy(&e, &d), "device to device");
  df_expect_ok(df_tensor_copy(&back, &e), "device to host");
  df_expect_equal_bytes("copies host -> device -> device -> host are exact", back.data, host,
                        df_tensor_bytes(&back));
  df_tensor_free(&d);
  df_tensor_free(&e);
  df_tensor_free(&back);
  free(host);
}

/* ---------------------------------------------------------------- math modes */
/* y = x w^T + b; dx = dy w; dw = 1 + dy^T x; db = 1 + sum dy (gradients start at one to
 * check that they accumulate). */
static void test_dense(int strict) {
  const int64_t n = 7, in = 33, out = 5;
  float *xh, *wh, *bh, *dyh;
  df_tensor x = device_random("x", 2, (int64_t[]){n, in}, 21, &xh);
  df_tensor w = device_random("w", 2, (int64_t[]){out, in}, 22, &wh);
  df_tensor b = device_random("b", 1, (int64_t[]){out}, 23, &bh);
  df_tensor dy = device_random("dy", 2, (int64_t[]){n, out}, 24, &dyh);
  df_tensor y = device_filled("y", 2, (int64_t[]){n, out}, NAN);
  df_tensor dx = device_filled("dx", 2, (int64_t[]){n, in}, NAN);
  df_tensor dw = device_filled("dw", 2, (int64_t[]){out, in}, 1.f);
  df_tensor db = device_filled("db", 1, (int64_t[]){out}, 1.f);
  double *ry = calloc((size_t)(n * out), sizeof(double)), *rdx = calloc((size_t)(n * in), sizeof(double));
  double *rdw = calloc((size_t)(out * in), sizeof(double)), *rdb = calloc((size_t)out, sizeof(double));
  for (int64_t o = 0; o < out; o++) {
    rdb[o] = 1;
    for (int64_t i = 0; i < in; i++) rdw[o * in + i] = 1;
  }
  for (int64_t e = 0; e < n; e++)
    for (int64_t o = 0; o < out; o++) {
      ry[e * out + o] = bh[o];
      rdb[o] += dyh[e * out + o];
      for (int64_t i = 0; i < in; i++) {
        ry[e * out + o] += (double)xh[e * in + i] * wh[o * in + i];
        rdx[e * in + i] += (double)dyh[e * out + o] * wh[o * in + i];
        rdw[o * in + i] += (double)dyh[e * out + o] * xh[e * in + i];
      }
    }
  df_set_strict_fp32(strict);
  char what[96];
  snprintf(what, sizeof what, "dense (%s)", strict ? "strict fp32" : "tf32");
  int ok = df_expect_ok(ops()->dense_forward(&x, &w, &b, &y), what) &&
           df_expect_ok(ops()->dense_backward(&x, &w, &dy, &dx, &dw, &db), what);
  df_set_strict_fp32(0);
  expect_layer(what, ok, (df_tensor *const[]){&y, &dx, &dw, &db},
               (double *const[]){ry, rdx, rdw, rdb}, strict ? 1e-5 : 1e-2,
               (df_tensor *const[]){&x, &w, &b, &dy, &y, &dx, &dw, &db}, 8);
  free(xh), free(wh), free(bh), free(dyh), free(ry), free(rdx), free(rdw), free(rdb);
}

/* The definition of PyTorch's convolution as one loop over (input, filter, output) triples:
 * in[n, c, oh sh - ph + kh, ow sw - pw + kw] meets w[k, c, kh, kw] and out[n, k, oh, ow].
 * mode 0: out += in w;  1: in += out w;  2: w += in out. */
typedef struct conv_dims {
  int64_t n, c, h, w, k, kh, kw, oh, ow, sh, sw, ph, pw;
} conv_dims;

static void conv_reference(const conv_dims *d, int mode, double *in, double *w, double *out) {
  for (int64_t n = 0; n < d->n; n++)
    for (int64_t k = 0; k < d->k; k++)
      for (int64_t c = 0; c < d->c; c++)
        for (int64_t oh = 0; oh < d->oh; oh++)
          for (int64_t ow = 0; ow < d->ow; ow++)
            for (int64_t a = 0; a < d->kh; a++)
              for (int64_t b = 0; b < d->kw; b++) {
                int64_t ih = oh * d->sh - d->ph + a, iw = ow * d->sw - d->pw + b;
                if (ih < 0 || ih >= d->h || iw < 0 || iw >= d->w) continue;
                double *pi = &in[((n * d->c + c) * d->h + ih) * d->w + iw];
                double *pw = &w[((k * d->c + c) * d->kh + a) * d->kw + b];
                double *po = &out[((n * d->k + k) * d->oh + oh) * d->ow + ow];
                if (mode == 0) *po += *pi * *pw;
                else if (mode == 1) *pi += *po * *pw;
                else *pw += *pi * *po;
              }
}

static double *widen(const float *x, int64_t n) {
  double *d = calloc((size_t)n, sizeof(double));
  for (int64_t i = 0; i < n; i++) d[i] = x ? x[i] : 0.0;
  return d;
}

/* conv2d (transposed = 0) or transposed conv2d (1) forward and backward with bias against
 * the definition; dw and db start at one. For the transposed convolution the definition's
 * input is y and its output x (PyTorch's ConvTranspose is the adjoint). */
static void test_conv(int transposed, int strict, const conv_dims *d) {
  const int64_t xs[4] = {d->n, transposed ? d->k : d->c, transposed ? d->oh : d->h,
                         transposed ? d->ow : d->w};
  const int64_t ys[4] = {d->n, transposed ? d->c : d->k, transposed ? d->h : d->oh,
                         transposed ? d->w : d->ow};
  const int64_t ws[4] = {d->k, d->c, d->kh, d->kw};
  const int64_t nx = xs[0] * xs[1] * xs[2] * xs[3], ny = ys[0] * ys[1] * ys[2] * ys[3];
  const int64_t nw = ws[0] * ws[1] * ws[2] * ws[3];
  float *xh, *wh, *bh, *dyh;
  df_tensor x = device_random("x", 4, xs, 31, &xh), w = device_random("w", 4, ws, 32, &wh);
  df_tensor b = device_random("b", 1, &ys[1], 33, &bh), dy = device_random("dy", 4, ys, 34, &dyh);
  df_tensor y = device_filled("y", 4, ys, NAN), dx = device_filled("dx", 4, xs, NAN);
  df_tensor dw = device_filled("dw", 4, ws, 1.f), db = device_filled("db", 1, &ys[1], 1.f);

  double *rx = widen(xh, nx), *rw = widen(wh, nw), *rdy = widen(dyh, ny);
  double *ry = widen(NULL, ny), *rdx = widen(NULL, nx), *rdw = widen(NULL, nw);
  if (transposed) {
    conv_reference(d, 1, ry, rw, rx);  /* y = conv^T(x) */
    conv_reference(d, 0, rdy, rw, rdx); /* dx = conv(dy) */
    conv_reference(d, 2, rdy, rdw, rx); /* dw = corr(dy, x) */
  } else {
    conv_reference(d, 0, rx, rw, ry);
    conv_reference(d, 1, rdx, rw, rdy);
    conv_reference(d, 2, rx, rdw, rdy);
  }
  const int64_t cy = ys[1], sy = ys[2] * ys[3];
  double *rdb = widen(NULL, cy);
  for (int64_t i = 0; i < ny; i++) {
    ry[i] += bh[(i / sy) % cy];
    rdb[(i / sy) % cy] += dyh[i];
  }
  for (int64_t i = 0; i < nw; i++) rdw[i] += 1;
  for (int64_t i = 0; i < cy; i++) rdb[i] += 1;

  const int stride[2] = {(int)d->sh, (int)d->sw}, pad[2] = {(int)d->ph, (int)d->pw};
  char what[160];
  snprintf(what, sizeof what, "%s [%lld, %lld, %lld, %lld] k (%lld, %lld) s (%lld, %lld) (%s)",
           transposed ? "conv_transpose2d" : "conv2d", (long long)xs[0], (long long)xs[1],
           (long long)xs[2], (long long)xs[3], (long long)d->kh, (long long)d->kw,
           (long long)d->sh, (long long)d->sw, strict ? "strict fp32" : "tf32");
  df_set_strict_fp32(strict);
  int ok = df_expect_ok(transposed ? ops()->conv_transpose2d_forward(&x, &w, &b, stride, pad, &y)
                                    : ops()->conv2d_forward(&x, &w, &b, stride, pad, &y),
                        what) &&
           df_expect_ok(transposed ? ops()->conv_transpose2d_backward(&x, &w, &dy, stride, pad,
                                                                      &dx, &dw, &db)
                                   : ops()->conv2d_backward(&x, &w, &dy, stride, pad, &dx, &dw,
                                                            &db),
                        what);
  df_set_strict_fp32(0);
  expect_layer(what, ok, (df_tensor *const[]){&y, &dx, &dw, &db},
               (double *const[]){ry, rdx, rdw, rdb}, strict ? 1e-5 : 1e-2,
               (df_tensor *const[]){&x, &w, &b, &dy, &y, &dx, &dw, &db}, 8);
  free(xh), free(wh), free(bh), free(dyh);
  free(rx), free(rw), free(rdy), free(ry), free(rdx), free(rdw), free(rdb);
}

/* WaveGAN's 1-D layer shape in small: kernel 25, stride 4, padding 11 (H = 1); L = 64 gives
 * 16 outputs and, transposed, 16 -> 64 with output padding 1. */
static const conv_dims d1 = {.n = 3, .c = 5, .h = 1, .w = 64, .k = 6, .kh = 1, .kw = 25, .oh = 1,
                             .ow = 16, .sh = 1, .sw = 4, .ph = 0, .pw = 11};

static void test_math_modes(void) {
  /* 2-D with stride (2, 1); transposed, 5 x 7 -> 10 x 7 has output padding (1, 0). */
  const conv_dims d2 = {.n = 2, .c = 3, .h = 10, .w = 7, .k = 4, .kh = 3, .kw = 3, .oh = 5,
                        .ow = 7, .sh = 2, .sw = 1, .ph = 1, .pw = 1};
  for (int strict = 1; strict >= 0; strict--) {
    test_dense(strict);
    for (int t = 0; t < 2; t++) {
      test_conv(t, strict, &d2);
      test_conv(t, strict, &d1);
    }
  }
}

/* ---------------------------------------------------------------- deterministic mode */
/* Runs a backward twice (gradients reset in between) and compares every gradient bitwise. */
static void expect_repeatable(const char *what, df_status (*run)(df_tensor *const *), int n_grads,
                              df_tensor *const *grads) {
  void *first[4];
  int ok = 1;
  for (int g = 0; g < n_grads; g++) {
    df_expect_ok(ops()->fill(grads[g], 0.f), what);
    first[g] = malloc(df_tensor_bytes(grads[g]));
  }
  ok &= df_expect_ok(run(grads), what);
  for (int g = 0; g < n_grads; g++)
    ok &= df_expect_ok(df_tensor_to_host(grads[g], first[g], df_tensor_numel(grads[g])), what);
  for (int g = 0; g < n_grads; g++) df_expect_ok(ops()->fill(grads[g], 0.f), what);
  ok &= df_expect_ok(run(grads), what);
  for (int g = 0; ok && g < n_grads; g++) {
    float *again = malloc(df_tensor_bytes(grads[g]));
    char label[200];
    snprintf(label, sizeof label, "%s: '%s' is bitwise repeatable", what, grads[g]->name);
    if (df_expect_ok(df_tensor_to_host(grads[g], again, df_tensor_numel(grads[g])), label))
      df_expect_equal_bytes(label, again, first[g], df_tensor_bytes(grads[g]));
    free(again);
  }
  for (int g = 0; g < n_grads; g++) free(first[g]);
}

/* WaveGAN discriminator-like layer at batch 16: x [16, 32, 1, 4096], w [64, 32, 1, 25]. */
static df_tensor cx, cw, cdy, tdy;
static const int cstride[2] = {1, 4}, cpad[2] = {0, 11};

static df_status conv_backward(df_tensor *const *g) {
  return ops()->conv2d_backward(&cx, &cw, &cdy, cstride, cpad, g[0], g[1], g[2]);
}

/* The transposed layer reads cdy as its input and tdy [16, 32, 1, 4096] as its dy. */
static df_status conv_transpose_backward(df_tensor *const *g) {
  return ops()->conv_transpose2d_backward(&cdy, &cw, &tdy, cstride, cpad, g[0], g[1], g[2]);
}

static void test_deterministic(void) {
  float *h[4];
  cx = device_random("x", 4, (int64_t[]){16, 32, 1, 4096}, 41, &h[0]);
  cw = device_random("w", 4, (int64_t[]){64, 32, 1, 25}, 42, &h[1]);
  cdy = device_random("dy", 4, (int64_t[]){16, 64, 1, 1024}, 43, &h[2]);
  tdy = device_random("dy (transposed)", 4, (int64_t[]){16, 32, 1, 4096}, 44, &h[3]);
  df_tensor dx = device_filled("dx", 4, cx.shape, 0.f), dw = device_filled("dw", 4, cw.shape, 0.f);
  df_tensor db = device_filled("db", 1, (int64_t[]){64}, 0.f);
  df_tensor tdx = device_filled("dx (transposed)", 4, cdy.shape, 0.f);
  df_tensor tdb = device_filled("db (transposed)", 1, (int64_t[]){32}, 0.f);
  df_set_deterministic(1);
  expect_repeatable("deterministic conv2d backward", conv_backward, 3,
                    (df_tensor *const[]){&dx, &dw, &db});
  expect_repeatable("deterministic conv_transpose2d backward", conv_transpose_backward, 3,
                    (df_tensor *const[]){&tdx, &dw, &tdb});
  df_set_deterministic(0);
  df_tensor *ts[] = {&cx, &cw, &cdy, &tdy, &dx, &dw, &db, &tdx, &tdb};
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) df_tensor_free(ts[i]);
  for (int i = 0; i < 4; i++) free(h[i]);
}

/* ---------------------------------------------------------------- shutdown and init again */
/* df_runtime_shutdown releases the device memory, the handles and the convolution plans the
 * cases above made; df_runtime_init brings the backend back and a convolution (its plan
 * built afresh) matches the definition again. */
static void test_shutdown_and_init_again(void) {
  df_runtime_shutdown();
  df_device dev = DF_DEVICE_CPU;
  int ok = df_expect_ok(df_runtime_init(DF_REQUEST_CUDA, &dev, NULL, 0), "init again after shutdown") &&
           df_expect_true(dev == DF_DEVICE_CUDA, "init again after shutdown chooses the GPU");
  size_t use = 1, cached = 1;
  df_device_memory(DF_DEVICE_CUDA, &use, &cached, NULL);
  df_expect_true(use == 0 && cached == 0, "shutdown released the device memory");
  if (ok) test_conv(0, 1, &d1);
}

int main(void) {
  df_test_begin("test_cuda_backend");
  if (!df_test_gpu()) {
    df_test_skip_gpu(N_CASES, "CUDA backend: allocator, copies, math modes, determinism, shutdown");
    return df_test_finish();
  }
  test_allocator();
  test_copies();
  test_math_modes();
  test_deterministic();
  test_shutdown_and_init_again();
  return df_test_finish();
}
