/* The pointwise and data-movement ops: activations, reflect padding, phase shuffle,
 * nearest-neighbour upsampling, per-example reductions, elementwise arithmetic and per-example
 * scaling, on shapes including batch 1 and odd lengths: gradients against finite
 * differences, the overwrite/accumulate contract, CUDA against the CPU; direct checks of
 * fill, the non-finite count and the sum of squares (independent of the thread count); and
 * bad arguments. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/op_harness.h"

/* A case with one input x and one output y of the given shapes. */
static df_op_case unary_case(const char *name, int ndim, const int64_t *xs, const int64_t *ys,
                             uint64_t seed) {
  df_op_case c;
  memset(&c, 0, sizeof c);
  snprintf(c.name, sizeof c.name, "%s", name);
  c.n_in = c.n_out = c.n_loss = 1;
  c.in[0] = (df_op_tensor){.name = "x", .ndim = ndim, .grad = DF_GRAD_INPUT};
  c.out[0] = (df_op_tensor){.name = "y", .ndim = ndim};
  memcpy(c.in[0].shape, xs, sizeof(int64_t) * (size_t)ndim);
  memcpy(c.out[0].shape, ys, sizeof(int64_t) * (size_t)ndim);
  c.fd_eps = 0.25f; /* most of these are linear; nonlinear cases override */
  c.fd_rtol = 2e-4;
  c.fd_atol = 5e-5;
  c.fd_samples = 48;
  c.gpu_rtol = 1e-5;
  c.gpu_atol = 1e-6;
  c.seed = seed;
  return c;
}

/* ---- activations ---- */
static df_status act_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  return df_activation_forward((df_activation)c->iparam[0], c->fparam[0], &in[0], &out[0]);
}
static df_status act_bwd(const df_op_case *c, df_tensor *in, df_tensor *out, df_tensor *dout,
                         df_tensor **grads) {
  return df_activation_backward((df_activation)c->iparam[0], c->fparam[0], &out[0], &dout[0],
                                grads[0]);
}

static void activations(uint64_t *seed) {
  const int64_t shapes[][3] = {{1, 1, 7}, {3, 4, 33}};
  const float params[] = {0.f, 0.f, 0.2f, 0.f, 0.f, 1.3f};
  for (int a = DF_ACT_IDENTITY; a <= DF_ACT_ELU; a++) {
    for (int s = 0; s < 2; s++) {
      char name[96];
      snprintf(name, sizeof name, "activation %s [%lld, %lld, %lld]", df_activation_name(a),
               (long long)shapes[s][0], (long long)shapes[s][1], (long long)shapes[s][2]);
      df_op_case c = unary_case(name, 3, shapes[s], shapes[s], (*seed)++);
      c.in[0].lo = -3.f;
      c.in[0].hi = 3.f;
      c.in[0].min_abs = 0.05f; /* keep finite differences off the kink at 0 */
      c.iparam[0] = a;
      c.fparam[0] = params[a];
      c.forward = act_fwd;
      c.backward = act_bwd;
      c.fd_eps = 1e-2f;
      c.fd_rtol = 1e-3;
      c.fd_atol = 1e-4;
      c.gpu_rtol = 1e-5; /* libm differences in exp and tanh */
      c.gpu_atol = 1e-6;
      df_op_case_run(&c);
    }
  }
  /* In place (y aliasing x, dx aliasing dy) gives the same numbers. */
  df_tensor x, y, dy, dx;
  df_tensor_new(&x, DF_DEVICE_CPU, "x", 2, 3, 5);
  df_tensor_new(&y, DF_DEVICE_CPU, "y", 2, 3, 5);
  df_tensor_new(&dy, DF_DEVICE_CPU, "dy", 2, 3, 5);
  df_tensor_new(&dx, DF_DEVICE_CPU, "dx", 2, 3, 5);
  df_test_fill_uniform(x.data, 30, 5, -2.f, 2.f);
  df_test_fill_uniform(dy.data, 30, 6, -1.f, 1.f);
  df_activation_forward(DF_ACT_ELU, 1.f, &x, &y);
  df_activation_backward(DF_ACT_ELU, 1.f, &y, &dy, &dx);
  df_activation_forward(DF_ACT_ELU, 1.f, &x, &x);
  df_activation_backward(DF_ACT_ELU, 1.f, &x, &dy, &dy);
  df_expect_equal_bytes("activation in place: forward", x.data, y.data, 120);
  df_expect_equal_bytes("activation in place: backward", dy.data, dx.data, 120);
  df_tensor *all[] = {&x, &y, &dy, &dx};
  for (int i = 0; i < 4; i++) df_tensor_free(all[i]);

  for (int a = DF_ACT_IDENTITY; a <= DF_ACT_ELU; a++) {
    df_activation back = DF_ACT_IDENTITY;
    df_status s = df_parse_activation(df_activation_name(a), &back);
    df_expect_true(s == DF_OK && back == (df_activation)a, df_activation_name(a));
  }
}

/* ---- reflect padding and phase shuffle ---- */
static df_status pad_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  return df_reflect_pad1d_forward(&in[0], c->iparam[0], c->iparam[1], &out[0]);
}
static df_status pad_bwd(const df_op_case *c, df_tensor *in, df_tensor *out, df_tensor *dout,
                         df_tensor **grads) {
  return df_reflect_pad1d_backward(&dout[0], c->iparam[0], c->iparam[1], grads[0]);
}
static df_status shuffle_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  return df_phase_shuffle_forward(&in[0], c->shifts, &out[0]);
}
static df_status shuffle_bwd(const df_op_case *c, df_tensor *in, df_tensor *out,
                             df_tensor *dout, df_tensor **grads) {
  return df_phase_shuffle_backward(&dout[0], c->shifts, grads[0]);
}

static void padding_and_shuffle(uint64_t *seed) {
  struct { int ndim; int64_t shape[4]; int left, right; } pads[] = {
      {3, {2, 3, 9}, 4, 2}, {3, {1, 1, 5}, 4, 4}, {2, {3, 7}, 1, 0}, {4, {2, 2, 2, 6}, 0, 5},
      {1, {2}, 1, 1}};
  for (size_t i = 0; i < sizeof pads / sizeof pads[0]; i++) {
    int64_t ys[4];
    memcpy(ys, pads[i].shape, sizeof ys);
    ys[pads[i].ndim - 1] += pads[i].left + pads[i].right;
    char name[96];
    snprintf(name, sizeof name, "reflect_pad1d (%d, %d) of length %lld", pads[i].left,
             pads[i].right, (long long)pads[i].shape[pads[i].ndim - 1]);
    df_op_case c = unary_case(name, pads[i].ndim, pads[i].shape, ys, (*seed)++);
    c.iparam[0] = pads[i].left;
    c.iparam[1] = pads[i].right;
    c.forward = pad_fwd;
    c.backward = pad_bwd;
    df_op_case_run(&c);
  }
  struct { int64_t shape[3]; int shifts[5]; } shuffles[] = {
      {{1, 1, 9}, {2}}, {{1, 3, 4}, {-3}}, {{5, 2, 11}, {0, 2, -2, 10, -10}}, {{2, 3, 16}, {1, -1}}};
  for (size_t i = 0; i < sizeof shuffles / sizeof shuffles[0]; i++) {
    char name[96];
    snprintf(name, sizeof name, "phase_shuffle [%lld, %lld, %lld] shift %d..",
             (long long)shuffles[i].shape[0], (long long)shuffles[i].shape[1],
             (long long)shuffles[i].shape[2], shuffles[i].shifts[0]);
    df_op_case c = unary_case(name, 3, shuffles[i].shape, shuffles[i].shape, (*seed)++);
    memcpy(c.shifts, shuffles[i].shifts, sizeof shuffles[i].shifts);
    c.forward = shuffle_fwd;
    c.backward = shuffle_bwd;
    df_op_case_run(&c);
  }
  /* The definition, element by element: y[t] = x[reflect(t - k)]. */
  float x[6] = {0, 1, 2, 3, 4, 5}, y[6], want[2][6] = {{2, 1, 0, 1, 2, 3}, {2, 3, 4, 5, 4, 3}};
  int shift[2] = {2, -2};
  for (int k = 0; k < 2; k++) {
    df_tensor tx = df_tensor_wrap(x, DF_DEVICE_CPU, DF_F32, 3, (int64_t[]){1, 1, 6}, "x");
    df_tensor ty = df_tensor_wrap(y, DF_DEVICE_CPU, DF_F32, 3, (int64_t[]){1, 1, 6}, "y");
    df_phase_shuffle_forward(&tx, &shift[k], &ty);
    df_expect_close(k ? "phase shuffle by -2 reflects at the end" : "phase shuffle by 2 reflects at the start",
                    y, want[k], 6, 0, 0);
  }
}

/* ---- upsampling ---- */
static df_status up_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  return c->iparam[2] ? df_upsample_nearest2d_forward(&in[0], c->iparam[0], c->iparam[1], &out[0])
                      : df_upsample_nearest1d_forward(&in[0], c->iparam[1], &out[0]);
}
static df_status up_bwd(const df_op_case *c, df_tensor *in, df_tensor *out, df_tensor *dout,
                        df_tensor **grads) {
  return c->iparam[2] ? df_upsample_nearest2d_backward(&dout[0], c->iparam[0], c->iparam[1], grads[0])
                      : df_upsample_nearest1d_backward(&dout[0], c->iparam[1], grads[0]);
}

static void upsampling(uint64_t *seed) {
  struct { int rank, fh, fw; int64_t shape[4]; } ups[] = {
      {1, 1, 2, {1, 1, 7}}, {1, 1, 4, {3, 2, 5}}, {1, 1, 1, {2, 2, 3}},
      {2, 2, 2, {1, 2, 3, 5}}, {2, 1, 3, {2, 1, 4, 3}}, {2, 3, 1, {1, 3, 2, 7}}};
  for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
    int nd = 2 + ups[i].rank;
    int64_t ys[4];
    memcpy(ys, ups[i].shape, sizeof ys);
    if (ups[i].rank == 1) ys[2] *= ups[i].fw;
    else ys[2] *= ups[i].fh, ys[3] *= ups[i].fw;
    char name[96];
    snprintf(name, sizeof name, "upsample_nearest%dd by %dx%d", ups[i].rank, ups[i].fh, ups[i].fw);
    df_op_case c = unary_case(name, nd, ups[i].shape, ys, (*seed)++);
    c.iparam[0] = ups[i].fh;
    c.iparam[1] = ups[i].fw;
    c.iparam[2] = ups[i].rank == 2;
    c.forward = up_fwd;
    c.backward = up_bwd;
    df_op_case_run(&c);
  }
}

/* ---- per-example reductions ---- */
static df_status red_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  return df_reduce_per_example_forward((df_reduce)c->iparam[0], &in[0], &out[0]);
}
static df_status red_bwd(const df_op_case *c, df_tensor *in, df_tensor *out, df_tensor *dout,
                         df_tensor **grads) {
  return df_reduce_per_example_backward((df_reduce)c->iparam[0], &in[0], &out[0], &dout[0], grads[0]);
}

static void reductions(uint64_t *seed) {
  const char *names[] = {"sum", "mean", "l2"};
  struct { int ndim; int64_t shape[4]; } shapes[] = {{1, {5}}, {3, {1, 3, 7}}, {4, {3, 2, 3, 5}}};
  for (int r = DF_REDUCE_SUM; r <= DF_REDUCE_L2; r++) {
    for (int s = 0; s < 3; s++) {
      char name[96];
      snprintf(name, sizeof name, "reduce %s over %d-D x of batch %lld", names[r],
               shapes[s].ndim, (long long)shapes[s].shape[0]);
      df_op_case c = unary_case(name, shapes[s].ndim, shapes[s].shape, shapes[s].shape, (*seed)++);
      c.out[0].ndim = 1;
      c.iparam[0] = r;
      c.forward = red_fwd;
      c.backward = red_bwd;
      if (r == DF_REDUCE_L2) {
        c.fd_eps = 1e-2f;
        c.fd_rtol = 1e-3;
        c.fd_atol = 1e-4;
      }
      df_op_case_run(&c);
    }
  }
  /* The L2 norm's gradient at a zero vector is zero. */
  df_tensor x, y, dy, dx;
  df_tensor_new(&x, DF_DEVICE_CPU, "x", 2, 3);
  df_tensor_new(&y, DF_DEVICE_CPU, "y", 2);
  df_tensor_new(&dy, DF_DEVICE_CPU, "dy", 2);
  df_tensor_new(&dx, DF_DEVICE_CPU, "dx", 2, 3);
  df_fill(&dy, 1.f);
  df_reduce_per_example_forward(DF_REDUCE_L2, &x, &y);
  df_reduce_per_example_backward(DF_REDUCE_L2, &x, &y, &dy, &dx);
  float zeros[6] = {0};
  df_expect_close("reduce l2: zero gradient at a zero vector", dx.data, zeros, 6, 0, 0);
  df_tensor *all[] = {&x, &y, &dy, &dx};
  for (int i = 0; i < 4; i++) df_tensor_free(all[i]);
}

/* ---- elementwise arithmetic ---- */
static df_status bin_fwd(const df_op_case *c, df_tensor *in, df_tensor *out) {
  switch (c->iparam[0]) {
    case 0: return df_add(&in[0], &in[1], &out[0]);
    case 1: return df_sub(&in[0], &in[1], &out[0]);
    case 2: return df_mul(&in[0], &in[1], &out[0]);
    case 3: return df_scale(&in[0], c->fparam[0], &out[0]);
    case 4: /* y = alpha x + beta y0 */
      DF_TRY(df_tensor_copy(&out[0], &in[1]));
      return df_axpby(c->fparam[0], &in[0], c->fparam[1], &out[0]);
    default: return df_scale_per_example(&in[0], &in[1], &out[0]);
  }
}
static df_status bin_bwd(const df_op_case *c, df_tensor *in, df_tensor *out, df_tensor *dout,
                         df_tensor **grads) {
  switch (c->iparam[0]) {
    case 0:
      DF_TRY(df_tensor_copy(grads[0], &dout[0]));
      return df_tensor_copy(grads[1], &dout[0]);
    case 1:
      DF_TRY(df_tensor_copy(grads[0], &dout[0]));
      return df_scale(&dout[0], -1.f, grads[1]);
    case 2: return df_mul_backward(&in[0], &in[1], &dout[0], grads[0], grads[1]);
    case 3: return df_scale(&dout[0], c->fparam[0], grads[0]);
    case 4:
      DF_TRY(df_scale(&dout[0], c->fparam[0], grads[0]));
      return df_scale(&dout[0], c->fparam[1], grads[1]);
    default: return df_scale_per_example_backward(&in[0], &in[1], &dout[0], grads[0], grads[1]);
  }
}

static void arithmetic(uint64_t *seed) {
  const char *names[] = {"add", "sub", "mul", "scale", "axpby", "scale_per_example"};
  const int64_t shapes[][3] = {{1, 1, 1}, {3, 5, 7}};
  for (int op = 0; op < 6; op++) {
    for (int s = 0; s < 2; s++) {
      char name[96];
      snprintf(name, sizeof name, "%s [%lld, %lld, %lld]", names[op], (long long)shapes[s][0],
               (long long)shapes[s][1], (long long)shapes[s][2]);
      df_op_case c = unary_case(name, 3, shapes[s], shapes[s], (*seed)++);
      c.iparam[0] = op;
      c.fparam[0] = 1.75f;
      c.fparam[1] = -0.5f;
      if (op != 3) {
        c.n_in = 2;
        c.in[1] = c.in[0];
        c.in[1].name = op == 5 ? "s" : "b";
        if (op == 5) {
          c.in[1].ndim = 1; /* s [N]; its gradient accumulates */
          c.in[1].grad = DF_GRAD_PARAM;
        }
      }
      c.forward = bin_fwd;
      c.backward = bin_bwd;
      df_op_case_run(&c);
    }
  }
}

/* ---- whole-tensor checks ---- */
static void whole_tensor(void) {
  df_tensor t;
  const int64_t n = 300001;
  df_tensor_new(&t, DF_DEVICE_CPU, "t", n);
  float *d = t.data;
  df_fill(&t, 0.5f);
  int all_half = 1;
  for (int64_t i = 0; i < n; i++) all_half &= d[i] == 0.5f;
  df_expect_true(all_half, "fill sets every element");
  df_test_fill_uniform(d, n, 9, -1.f, 1.f);
  double want = 0;
  for (int64_t i = 0; i < n; i++) want += (double)d[i] * d[i];
  double one = -1, two = -2;
  int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  df_sum_squares(&t, &one);
  omp_set_num_threads(threads > 1 ? threads : 2);
  df_sum_squares(&t, &two);
  omp_set_num_threads(threads);
  df_expect_near("sum_squares matches a direct double sum", one, want, 1e-12 * want);
  df_expect_equal_bytes("sum_squares is bitwise the same with 1 and 2 threads", &one, &two, sizeof one);
  int64_t count = -1;
  df_count_nonfinite(&t, &count);
  df_expect_true(count == 0, "count_nonfinite: none in random data");
  d[0] = NAN;
  d[n / 2] = INFINITY;
  d[n - 1] = -INFINITY;
  df_count_nonfinite(&t, &count);
  df_expect_true(count == 3, "count_nonfinite counts NaN, Inf and -Inf");
  if (df_test_gpu()) {
    df_tensor g;
    double gs = 0;
    int64_t gc = 0;
    if (df_expect_ok(df_test_to_device(&t, DF_DEVICE_CUDA, &g), "copy to the GPU")) {
      df_count_nonfinite(&g, &gc);
      df_expect_true(gc == 3, "cuda count_nonfinite agrees");
      df_fill(&g, 0.25f);
      df_sum_squares(&g, &gs);
      df_expect_near("cuda fill and sum_squares", gs, 0.0625 * (double)n, 1e-9 * (double)n);
    }
    df_tensor_free(&g);
  } else {
    df_test_skip_gpu(2, "count_nonfinite, fill and sum_squares");
  }
  df_tensor_free(&t);
}

static void bad_arguments(void) {
  df_tensor a, b, x, y, s, per;
  df_tensor_new(&a, DF_DEVICE_CPU, "a", 2, 3);
  df_tensor_new(&per, DF_DEVICE_CPU, "per_example", 2);
  df_tensor_new(&b, DF_DEVICE_CPU, "b_other_shape", 3, 2);
  df_tensor_new(&x, DF_DEVICE_CPU, "x", 2, 3, 4);
  df_tensor_new(&y, DF_DEVICE_CPU, "y", 2, 3, 4);
  df_tensor_new(&s, DF_DEVICE_CPU, "s_short", 1);
  df_expect_invalid(df_add(&a, &b, &a), "b_other_shape", "add: shape mismatch names the tensor");
  df_expect_invalid(df_scale_per_example(&x, &s, &y), "s_short", "scale_per_example: s [N] of the wrong length");
  df_expect_invalid(df_reflect_pad1d_forward(&x, 4, 0, &y), "'x'", "reflect_pad1d: padding >= length");
  df_expect_invalid(df_phase_shuffle_forward(&x, (int[]){0, 4}, &y), "'x'", "phase_shuffle: |shift| >= length");
  df_expect_invalid(df_phase_shuffle_forward(&x, (int[]){0, 1}, &x), "must not share", "phase_shuffle: in place is refused");
  df_expect_invalid(df_upsample_nearest1d_forward(&x, 0, &y), "factor", "upsample: factor 0");
  df_expect_invalid(df_upsample_nearest1d_forward(&x, 2, &y), "'y'", "upsample: output of the wrong length names y");
  df_expect_invalid(df_reduce_per_example_forward(DF_REDUCE_SUM, &x, &s), "s_short", "reduce: output of the wrong length");
  df_expect_invalid(df_reduce_per_example_backward(DF_REDUCE_L2, &x, NULL, &per, &y), "'y'", "reduce l2 backward needs y");
  df_expect_invalid(df_activation_forward((df_activation)42, 0.f, &x, &y), "activation", "activation: unknown kind");
  df_expect_invalid(df_activation_backward(DF_ACT_LEAKY_RELU, 0.f, &x, &y, &y), "leaky_relu", "leaky_relu backward needs a slope > 0");
  df_activation act;
  df_expect_invalid(df_parse_activation("swish", &act), "swish", "parse_activation names the unknown name");
  df_tensor *all[] = {&a, &b, &x, &y, &s, &per};
  for (int i = 0; i < 6; i++) df_tensor_free(all[i]);
}

int main(void) {
  df_test_begin("test_ops_elementwise");
  uint64_t seed = 1;
  activations(&seed);
  padding_and_shuffle(&seed);
  upsampling(&seed);
  reductions(&seed);
  arithmetic(&seed);
  whole_tensor();
  bad_arguments();
  return df_test_finish();
}
