#include "common/op_harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng/philox_impl.h"

/* One device's tensors of a case. */
typedef struct op_set {
  df_tensor in[DF_OP_MAX], out[DF_OP_MAX], dout[DF_OP_MAX], grad[DF_OP_MAX];
  df_tensor *grad_ptr[DF_OP_MAX];
} op_set;

static void free_set(op_set *s) {
  for (int i = 0; i < DF_OP_MAX; i++) {
    df_tensor_free(&s->in[i]);
    df_tensor_free(&s->out[i]);
    df_tensor_free(&s->dout[i]);
    df_tensor_free(&s->grad[i]);
  }
}

static df_status alloc_like(df_tensor *t, df_device dev, const df_op_tensor *spec,
                            const char *prefix) {
  char name[DF_TENSOR_NAME_LEN];
  snprintf(name, sizeof name, "%s%s", prefix, spec->name);
  return df_tensor_alloc(t, dev, DF_F32, spec->ndim, spec->shape, name);
}

static void fill_host(df_tensor *t, uint64_t seed, float lo, float hi, float min_abs) {
  if (lo == 0.f && hi == 0.f) lo = -1.f, hi = 1.f;
  float *d = t->data;
  df_test_fill_uniform(d, df_tensor_numel(t), seed, lo, hi);
  for (int64_t i = 0; min_abs > 0.f && i < df_tensor_numel(t); i++)
    if (fabsf(d[i]) < min_abs) d[i] += d[i] < 0.f ? -min_abs : min_abs;
}

/* The CPU set: random inputs and loss weights. */
static df_status make_cpu_set(const df_op_case *c, op_set *s) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < c->n_in; i++) {
    DF_TRY(alloc_like(&s->in[i], DF_DEVICE_CPU, &c->in[i], ""));
    fill_host(&s->in[i], c->seed * 131 + (uint64_t)i, c->in[i].lo, c->in[i].hi, c->in[i].min_abs);
    if (c->in[i].grad != DF_GRAD_NONE && c->backward) {
      DF_TRY(alloc_like(&s->grad[i], DF_DEVICE_CPU, &c->in[i], "d"));
      s->grad_ptr[i] = &s->grad[i];
    }
  }
  for (int k = 0; k < c->n_out; k++) {
    DF_TRY(alloc_like(&s->out[k], DF_DEVICE_CPU, &c->out[k], ""));
    if (k < c->n_loss) {
      DF_TRY(alloc_like(&s->dout[k], DF_DEVICE_CPU, &c->out[k], "d"));
      fill_host(&s->dout[k], c->seed * 131 + 64 + (uint64_t)k, -1.f, 1.f, 0.f);
    }
  }
  return DF_OK;
}

/* The same case on another device, inputs and loss weights copied from the CPU set. */
static df_status make_device_set(const df_op_case *c, const op_set *cpu, df_device dev,
                                 op_set *s) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < c->n_in; i++) {
    DF_TRY(df_test_to_device(&cpu->in[i], dev, &s->in[i]));
    if (cpu->grad_ptr[i]) {
      DF_TRY(df_test_to_device(&cpu->grad[i], dev, &s->grad[i]));
      s->grad_ptr[i] = &s->grad[i];
    }
  }
  for (int k = 0; k < c->n_out; k++) {
    DF_TRY(df_test_to_device(&cpu->out[k], dev, &s->out[k]));
    if (k < c->n_loss) DF_TRY(df_test_to_device(&cpu->dout[k], dev, &s->dout[k]));
  }
  return DF_OK;
}

/* Gradients before a backward: NaN where it must overwrite, zero where it accumulates. */
static df_status reset_grads(const df_op_case *c, op_set *s, int keep_params) {
  for (int i = 0; i < c->n_in; i++) {
    if (!s->grad_ptr[i]) continue;
    if (c->in[i].grad == DF_GRAD_INPUT) DF_TRY(df_fill(&s->grad[i], NAN));
    if (c->in[i].grad == DF_GRAD_PARAM && !keep_params) DF_TRY(df_fill(&s->grad[i], 0.f));
  }
  return DF_OK;
}

static df_status run_backward(const df_op_case *c, op_set *s) {
  return c->backward ? c->backward(c, s->in, s->out, s->dout, s->grad_ptr) : DF_OK;
}

typedef struct loss_ctx {
  const df_op_case *c;
  op_set *s;
  int failed;
} loss_ctx;

static double loss(void *p) {
  loss_ctx *ctx = p;
  if (ctx->c->forward(ctx->c, ctx->s->in, ctx->s->out) != DF_OK) {
    ctx->failed = 1;
    return NAN;
  }
  double total = 0;
  for (int k = 0; k < ctx->c->n_loss; k++) {
    const float *y = ctx->s->out[k].data, *r = ctx->s->dout[k].data;
    int64_t n = df_tensor_numel(&ctx->s->out[k]);
    for (int64_t i = 0; i < n; i++) total += (double)y[i] * r[i];
  }
  return total;
}

static double max_abs(const df_tensor *t) {
  const float *d = t->data;
  double m = 0;
  for (int64_t i = 0; i < df_tensor_numel(t); i++) m = fmax(m, fabs(d[i]));
  return m;
}

/* |got - want| <= rtol |want| + atol max|want| (want on the host). */
static int expect_scaled(const char *what, const df_tensor *got, const df_tensor *want,
                         double rtol, double atol) {
  return df_expect_tensor_close(what, got, want, rtol, atol * fmax(max_abs(want), 1e-30));
}

/* Host copies of the first pass's outputs and gradients; a failure is recorded (the case's
 * checks would otherwise be skipped silently). */
static int copy_set_results(const df_op_case *c, const op_set *s, op_set *saved) {
  memset(saved, 0, sizeof *saved);
  df_status st = DF_OK;
  for (int k = 0; !st && k < c->n_out; k++) st = df_test_to_device(&s->out[k], DF_DEVICE_CPU, &saved->out[k]);
  for (int i = 0; !st && i < c->n_in; i++)
    if (s->grad_ptr[i]) st = df_test_to_device(&s->grad[i], DF_DEVICE_CPU, &saved->grad[i]);
  return df_expect_ok(st, c->name);
}

static int compare_device(const df_op_case *c, const op_set *cpu, const op_set *ref,
                          df_device dev, int strict, double rtol, double atol) {
  char what[240];
  int ok = 1, was = df_strict_fp32();
  df_set_strict_fp32(strict);
  op_set g;
  snprintf(what, sizeof what, "%s: cuda (%s)", c->name, strict ? "strict fp32" : "tf32");
  if (!df_expect_ok(make_device_set(c, cpu, dev, &g), what) ||
      !df_expect_ok(c->forward(c, g.in, g.out), what) ||
      !df_expect_ok(reset_grads(c, &g, 0), what) || !df_expect_ok(run_backward(c, &g), what) ||
      !df_expect_ok(df_sync(dev), what)) {
    ok = 0;
  } else {
    for (int k = 0; k < c->n_out; k++) ok &= expect_scaled(what, &g.out[k], &ref->out[k], rtol, atol);
    for (int i = 0; i < c->n_in; i++)
      if (g.grad_ptr[i]) ok &= expect_scaled(what, &g.grad[i], &ref->grad[i], rtol, atol);
  }
  free_set(&g);
  df_set_strict_fp32(was);
  return ok;
}

int df_op_case_run(df_op_case *c) {
  int failures = 0;
  char what[240];
  op_set s, ref;
  memset(&ref, 0, sizeof ref);
  printf("---- %s\n", c->name);
  if (!df_expect_ok(make_cpu_set(c, &s), c->name) ||
      !df_expect_ok(c->forward(c, s.in, s.out), c->name) ||
      !df_expect_ok(reset_grads(c, &s, 0), c->name) ||
      !df_expect_ok(run_backward(c, &s), c->name) || !copy_set_results(c, &s, &ref)) {
    free_set(&s);
    return 1;
  }
  for (int i = 0; i < c->n_in; i++) {
    if (!s.grad_ptr[i]) continue;
    int64_t bad = -1;
    snprintf(what, sizeof what, "%s: gradient '%s' is written everywhere and finite", c->name,
             s.grad[i].name);
    df_count_nonfinite(&s.grad[i], &bad);
    failures += !df_expect_true(bad == 0, what);
  }

  /* Repeatability and the overwrite/accumulate contract. */
  snprintf(what, sizeof what, "%s: second forward", c->name);
  if (df_expect_ok(c->forward(c, s.in, s.out), what)) {
    for (int k = 0; k < c->n_out; k++) {
      snprintf(what, sizeof what, "%s: output '%s' is bitwise repeatable", c->name, s.out[k].name);
      failures += !df_expect_equal_bytes(what, s.out[k].data, ref.out[k].data, df_tensor_bytes(&s.out[k]));
    }
  } else {
    failures++;
  }
  snprintf(what, sizeof what, "%s: second backward", c->name);
  if (df_expect_ok(reset_grads(c, &s, 1), what) && df_expect_ok(run_backward(c, &s), what)) {
    for (int i = 0; i < c->n_in; i++) {
      if (!s.grad_ptr[i]) continue;
      int64_t n = df_tensor_numel(&s.grad[i]);
      if (c->in[i].grad == DF_GRAD_INPUT) {
        snprintf(what, sizeof what, "%s: '%s' is overwritten, bitwise repeatably", c->name, s.grad[i].name);
        failures += !df_expect_equal_bytes(what, s.grad[i].data, ref.grad[i].data, df_tensor_bytes(&s.grad[i]));
      } else {
        float *twice = malloc(sizeof(float) * (size_t)(n ? n : 1));
        for (int64_t j = 0; j < n; j++) twice[j] = 2.f * ((float *)ref.grad[i].data)[j];
        snprintf(what, sizeof what, "%s: '%s' accumulates (second pass doubles it)", c->name, s.grad[i].name);
        failures += !df_expect_close(what, s.grad[i].data, twice, n, 1e-6, 1e-6 * max_abs(&ref.grad[i]));
        free(twice);
      }
    }
  } else {
    failures++;
  }

  /* Finite differences of the loss against the first backward's gradients. */
  for (int i = 0; i < c->n_in; i++) {
    if (!s.grad_ptr[i]) continue;
    loss_ctx ctx = {c, &s, 0};
    snprintf(what, sizeof what, "%s: d loss / d %s", c->name, s.in[i].name);
    failures += !df_expect_fd_gradient(what, s.in[i].data, df_tensor_numel(&s.in[i]),
                                       ref.grad[i].data, loss, &ctx, c->fd_samples, c->fd_eps,
                                       c->fd_rtol, c->fd_atol);
    if (ctx.failed) {
      df_test_fail(what, "forward failed during finite differences: %s", df_last_error());
      failures++;
    }
  }

  /* CUDA against the CPU. */
  int gpu_cases = c->tf32_rtol > 0 ? 2 : 1;
  if (df_test_gpu()) {
    failures += !compare_device(c, &s, &ref, DF_DEVICE_CUDA, 1, c->gpu_rtol, c->gpu_atol);
    if (c->tf32_rtol > 0)
      failures += !compare_device(c, &s, &ref, DF_DEVICE_CUDA, 0, c->tf32_rtol, c->tf32_rtol);
  } else {
    df_test_skip_gpu(gpu_cases, c->name);
  }
  free_set(&s);
  free_set(&ref);
  return failures;
}

int df_expect_invalid(df_status s, const char *needle, const char *what) {
  if (s != DF_ERR_INVALID_ARG) return df_expect_status(s, DF_ERR_INVALID_ARG, what);
  if (!strstr(df_last_error(), needle)) {
    df_test_fail(what, "message '%s' does not name '%s'", df_last_error(), needle);
    return 0;
  }
  df_test_pass(what);
  return 1;
}

int df_test_rand_int(uint64_t seed, uint64_t index, int lo, int hi) {
  float u = df_philox_uniform_at(seed, 0, index, 0.f, 1.f);
  int v = lo + (int)(u * (float)(hi - lo + 1));
  return v > hi ? hi : v;
}
