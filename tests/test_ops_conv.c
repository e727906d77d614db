/* Convolutions: conv1d, transposed conv1d (including WaveGAN's kernel 25, stride 4, padding
 * 11, output padding 1), conv2d and transposed conv2d (kernel 3, strides 1, 2 and (2, 1)) on
 * a table of shapes plus random ones (odd lengths, batch 1, kernels longer than the input,
 * several GEMM chunks): gradients against finite differences, the backward's
 * overwrite/accumulate contract, CUDA against the CPU; and bad arguments. */
#include <string.h>

#include "common/op_harness.h"

/* One convolution: rank 1 or 2, transposed or not, with or without bias. */
typedef struct conv_spec {
  int rank, transposed, bias;
  int n, cin, cout, h, w, kh, kw, sh, sw, ph, pw, oph, opw; /* rank 1 uses w, kw, sw, pw, opw */
} conv_spec;

enum { P_RANK, P_TRANSPOSED, P_BIAS, P_SH, P_SW, P_PH, P_PW };

static df_status conv_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  const int *p = c->iparam;
  df_tensor *b = p[P_BIAS] ? &in[2] : NULL;
  if (p[P_RANK] == 1)
    return p[P_TRANSPOSED] ? df_conv_transpose1d_forward(&in[0], &in[1], b, p[P_SW], p[P_PW], &out[0])
                           : df_conv1d_forward(&in[0], &in[1], b, p[P_SW], p[P_PW], &out[0]);
  const int stride[2] = {p[P_SH], p[P_SW]}, pad[2] = {p[P_PH], p[P_PW]};
  return p[P_TRANSPOSED] ? df_conv_transpose2d_forward(&in[0], &in[1], b, stride, pad, &out[0])
                         : df_conv2d_forward(&in[0], &in[1], b, stride, pad, &out[0]);
}

static df_status conv_bwd(const df_op_case *c, df_tensor *in, df_tensor *out, df_tensor *dout,
                          df_tensor **grads) {
  const int *p = c->iparam;
  df_tensor *db = p[P_BIAS] ? grads[2] : NULL;
  if (p[P_RANK] == 1)
    return p[P_TRANSPOSED]
               ? df_conv_transpose1d_backward(&in[0], &in[1], &dout[0], p[P_SW], p[P_PW], grads[0], grads[1], db)
               : df_conv1d_backward(&in[0], &in[1], &dout[0], p[P_SW], p[P_PW], grads[0], grads[1], db);
  const int stride[2] = {p[P_SH], p[P_SW]}, pad[2] = {p[P_PH], p[P_PW]};
  return p[P_TRANSPOSED]
             ? df_conv_transpose2d_backward(&in[0], &in[1], &dout[0], stride, pad, grads[0], grads[1], db)
             : df_conv2d_backward(&in[0], &in[1], &dout[0], stride, pad, grads[0], grads[1], db);
}

static int out_len(int in, int k, int s, int p, int op, int transposed) {
  return transposed ? (in - 1) * s - 2 * p + k + op : (in + 2 * p - k) / s + 1;
}

static int run_spec(const conv_spec *sp, uint64_t seed) {
  df_op_case c;
  memset(&c, 0, sizeof c);
  const int oh = sp->rank == 2 ? out_len(sp->h, sp->kh, sp->sh, sp->ph, sp->oph, sp->transposed) : 1;
  const int ow = out_len(sp->w, sp->kw, sp->sw, sp->pw, sp->opw, sp->transposed);
  const int nd = 2 + sp->rank;
  const int wc0 = sp->transposed ? sp->cin : sp->cout, wc1 = sp->transposed ? sp->cout : sp->cin;
  if (sp->rank == 1)
    snprintf(c.name, sizeof c.name, "%s N%d C%d->%d L%d->%d k%d s%d p%d%s",
             sp->transposed ? "conv_transpose1d" : "conv1d", sp->n, sp->cin, sp->cout, sp->w,
             ow, sp->kw, sp->sw, sp->pw, sp->bias ? " bias" : "");
  else
    snprintf(c.name, sizeof c.name, "%s N%d C%d->%d %dx%d->%dx%d k%dx%d s(%d,%d) p(%d,%d)%s",
             sp->transposed ? "conv_transpose2d" : "conv2d", sp->n, sp->cin, sp->cout, sp->h,
             sp->w, oh, ow, sp->kh, sp->kw, sp->sh, sp->sw, sp->ph, sp->pw, sp->bias ? " bias" : "");
  int64_t xs[4] = {sp->n, sp->cin, sp->rank == 2 ? sp->h : sp->w, sp->w};
  int64_t ws[4] = {wc0, wc1, sp->rank == 2 ? sp->kh : sp->kw, sp->kw};
  int64_t ys[4] = {sp->n, sp->cout, sp->rank == 2 ? oh : ow, ow};
  c.n_in = sp->bias ? 3 : 2;
  c.in[0] = (df_op_tensor){"x", nd, {0}, DF_GRAD_INPUT, 0, 0, 0};
  c.in[1] = (df_op_tensor){"w", nd, {0}, DF_GRAD_PARAM, 0, 0, 0};
  c.in[2] = (df_op_tensor){"b", 1, {sp->cout}, DF_GRAD_PARAM, 0, 0, 0};
  memcpy(c.in[0].shape, xs, sizeof(int64_t) * (size_t)nd);
  memcpy(c.in[1].shape, ws, sizeof(int64_t) * (size_t)nd);
  c.n_out = c.n_loss = 1;
  c.out[0] = (df_op_tensor){"y", nd, {0}, DF_GRAD_NONE, 0, 0, 0};
  memcpy(c.out[0].shape, ys, sizeof(int64_t) * (size_t)nd);
  c.forward = conv_fwd;
  c.backward = conv_bwd;
  c.iparam[P_RANK] = sp->rank;
  c.iparam[P_TRANSPOSED] = sp->transposed;
  c.iparam[P_BIAS] = sp->bias;
  c.iparam[P_SH] = sp->sh;
  c.iparam[P_SW] = sp->sw;
  c.iparam[P_PH] = sp->ph;
  c.iparam[P_PW] = sp->pw;
  /* The loss is linear in each input, so a large step has no truncation error and keeps
   * fp32 rounding of the outputs small relative to the difference. */
  c.fd_eps = 0.25f;
  c.fd_rtol = 2e-4;
  c.fd_atol = 5e-5;
  c.fd_samples = 48;
  c.gpu_rtol = 1e-4;
  c.gpu_atol = 1e-5;
  c.tf32_rtol = 2e-2;
  c.seed = seed;
  return df_op_case_run(&c);
}

static conv_spec conv1(int transposed, int n, int cin, int cout, int len, int k, int s, int p,
                       int op, int bias) {
  return (conv_spec){.rank = 1, .transposed = transposed, .bias = bias, .n = n, .cin = cin,
                     .cout = cout, .h = 1, .w = len, .kh = 1, .kw = k, .sh = 1, .sw = s,
                     .ph = 0, .pw = p, .opw = op};
}

static conv_spec conv2(int transposed, int n, int cin, int cout, int h, int w, int sh, int sw,
                       int ph, int pw, int oph, int opw, int bias) {
  return (conv_spec){.rank = 2, .transposed = transposed, .bias = bias, .n = n, .cin = cin,
                     .cout = cout, .h = h, .w = w, .kh = 3, .kw = 3, .sh = sh, .sw = sw,
                     .ph = ph, .pw = pw, .oph = oph, .opw = opw};
}

/* A random valid 1-D convolution (output length >= 1). */
static conv_spec random_conv1(int transposed, uint64_t seed) {
  int i = 0;
  int n = df_test_rand_int(seed, i++, 1, 3), cin = df_test_rand_int(seed, i++, 1, 5);
  int cout = df_test_rand_int(seed, i++, 1, 5), k = df_test_rand_int(seed, i++, 1, 9);
  int s = df_test_rand_int(seed, i++, 1, 4), p = df_test_rand_int(seed, i++, 0, k - 1);
  int op = transposed ? df_test_rand_int(seed, i++, 0, s - 1) : 0;
  int min_len = transposed ? (2 * p - k - op + s) / s + 1 : k - 2 * p;
  int len = df_test_rand_int(seed, i++, min_len > 1 ? min_len : 1, 41);
  return conv1(transposed, n, cin, cout, len, k, s, p, op, df_test_rand_int(seed, i, 0, 1));
}

static void bad_arguments(void) {
  df_tensor x, w, b, y, bad_w, bad_y, bad_b, ints, yt;
  df_tensor_new(&x, DF_DEVICE_CPU, "x", 2, 3, 20);
  df_tensor_new(&w, DF_DEVICE_CPU, "w", 4, 3, 5);
  df_tensor_new(&b, DF_DEVICE_CPU, "b", 4);
  df_tensor_new(&y, DF_DEVICE_CPU, "y", 2, 4, 8);     /* (20 + 2 - 5) / 2 + 1 = 9, not 8 */
  df_tensor_new(&bad_w, DF_DEVICE_CPU, "w_wrong_cin", 4, 2, 5);
  df_tensor_new(&bad_y, DF_DEVICE_CPU, "y_ok", 2, 4, 9);
  df_tensor_new(&bad_b, DF_DEVICE_CPU, "b_wrong", 5);
  df_tensor_alloc(&ints, DF_DEVICE_CPU, DF_I32, 3, (int64_t[]){2, 3, 20}, "x_int");
  /* transposed: x [2, 3, 20], w [3, 4, 5] stride 2 pad 1 -> length 41 + op, op in {0, 1} */
  df_tensor_new(&yt, DF_DEVICE_CPU, "y_too_long", 2, 4, 43);
  df_expect_invalid(df_conv1d_forward(&x, &w, &b, 2, 1, &y), "'y'", "conv1d: wrong output length names y");
  df_expect_invalid(df_conv1d_forward(&x, &bad_w, NULL, 2, 1, &bad_y), "w_wrong_cin", "conv1d: weight channels mismatch names w");
  df_expect_invalid(df_conv1d_forward(&x, &w, &bad_b, 2, 1, &bad_y), "b_wrong", "conv1d: wrong bias names b");
  df_expect_invalid(df_conv1d_forward(&ints, &w, NULL, 2, 1, &bad_y), "x_int", "conv1d: int32 input names x");
  df_expect_invalid(df_conv1d_forward(NULL, &w, NULL, 2, 1, &bad_y), "'x'", "conv1d: NULL x names x");
  df_expect_invalid(df_conv1d_forward(&x, &w, NULL, 0, 1, &bad_y), "stride", "conv1d: stride 0");
  df_expect_invalid(df_conv1d_forward(&x, &w, NULL, 2, -1, &bad_y), "padding", "conv1d: negative padding");
  df_expect_invalid(df_conv1d_backward(&x, &w, &bad_y, 2, 1, &y, NULL, NULL), "'y'", "conv1d backward: dx of the wrong shape is named");
  df_expect_invalid(df_conv1d_backward(&x, &w, &bad_y, 2, 1, NULL, &bad_w, NULL), "w_wrong_cin", "conv1d backward: dw of the wrong shape is named");
  df_tensor wt;
  df_tensor_new(&wt, DF_DEVICE_CPU, "wt", 3, 4, 5);
  df_expect_invalid(df_conv_transpose1d_forward(&x, &wt, NULL, 2, 1, &yt), "y_too_long", "conv_transpose1d: output padding >= stride names y");
  df_expect_invalid(df_conv_transpose1d_forward(&x, &w, NULL, 2, 1, &yt), "'w'", "conv_transpose1d: weight [Cout, Cin, K] instead of [Cin, Cout, K] names w");
  df_expect_invalid(df_conv2d_forward(&x, &w, NULL, (int[]){1, 1}, (int[]){0, 0}, &y), "'x'", "conv2d: 3-D input names x");
  df_tensor *all[] = {&x, &w, &b, &y, &bad_w, &bad_y, &bad_b, &ints, &yt, &wt};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) df_tensor_free(all[i]);
}

int main(void) {
  df_test_begin("test_ops_conv");
  const conv_spec table[] = {
      conv1(0, 1, 1, 1, 7, 3, 1, 0, 0, 0),
      conv1(0, 2, 3, 4, 17, 5, 2, 2, 0, 1),
      conv1(0, 1, 2, 3, 25, 25, 4, 11, 0, 1),   /* WaveGAN critic layer, tiny */
      conv1(0, 3, 2, 3, 64, 25, 4, 11, 0, 1),
      conv1(0, 3, 5, 2, 33, 4, 3, 1, 0, 0),
      conv1(0, 2, 2, 3, 5, 7, 1, 3, 0, 1),      /* kernel longer than the input */
      conv1(0, 1, 3, 2, 9, 1, 1, 0, 0, 1),      /* 1x1 */
      conv1(0, 7, 2, 3, 3001, 5, 2, 2, 0, 1),   /* GEMM chunks of 6 examples (8192 columns), 1 left */
      conv1(0, 2, 2, 3, 4201, 5, 2, 2, 0, 1),   /* one example per GEMM (>= 2048 columns) */
      conv1(0, 4, 16, 32, 600, 5, 1, 2, 0, 1),  /* GEMMs large enough to split by columns */
      conv1(0, 4, 2, 256, 1000, 3, 1, 1, 0, 0), /* ... and the weight GEMM by rows */
      conv1(1, 1, 1, 1, 5, 3, 1, 0, 0, 0),
      conv1(1, 2, 3, 4, 9, 5, 2, 2, 1, 1),
      conv1(1, 1, 4, 2, 6, 25, 4, 11, 1, 1),    /* WaveGAN generator layer, tiny */
      conv1(1, 3, 3, 2, 16, 25, 4, 11, 1, 1),
      conv1(1, 3, 2, 5, 7, 4, 3, 1, 2, 0),
      conv1(1, 1, 2, 2, 1, 3, 2, 0, 1, 1),      /* a single input position */
      conv1(1, 7, 2, 3, 1500, 25, 4, 11, 1, 0), /* GEMM chunks of 6 examples, 1 left */
      conv1(1, 2, 2, 1, 2100, 25, 4, 11, 1, 1), /* one example per GEMM */
      conv2(0, 1, 1, 2, 5, 5, 1, 1, 1, 1, 0, 0, 1),
      conv2(0, 2, 3, 4, 8, 7, 2, 2, 1, 1, 0, 0, 1),
      conv2(0, 2, 2, 3, 9, 6, 2, 1, 1, 1, 0, 0, 0),
      conv2(0, 1, 3, 2, 7, 5, 1, 2, 0, 1, 0, 0, 1),
      conv2(0, 3, 2, 2, 3, 4, 2, 2, 0, 0, 0, 0, 1),
      conv2(1, 1, 1, 2, 5, 5, 1, 1, 1, 1, 0, 0, 1),
      conv2(1, 2, 3, 4, 4, 5, 2, 2, 1, 1, 1, 1, 1),
      conv2(1, 2, 2, 3, 5, 6, 2, 1, 1, 1, 1, 0, 0),
      conv2(1, 1, 3, 2, 3, 4, 2, 2, 0, 1, 0, 1, 1),
      conv2(1, 3, 2, 2, 7, 3, 1, 2, 1, 0, 0, 1, 1),
  };
  uint64_t seed = 1;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) run_spec(&table[i], seed++);
  for (int i = 0; i < 4; i++) {
    conv_spec a = random_conv1(0, 1000 + (uint64_t)i), t = random_conv1(1, 2000 + (uint64_t)i);
    run_spec(&a, seed++);
    run_spec(&t, seed++);
  }
  bad_arguments();
  return df_test_finish();
}
