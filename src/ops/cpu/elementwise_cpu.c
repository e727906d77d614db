/* Elementwise arithmetic, per-example scaling and the whole-tensor reductions. Reductions
 * sum fixed blocks in parallel and then the block sums in order, all in double, so the
 * result does not depend on the number of threads. */
#include <math.h>
#include <stdlib.h>

#include "ops/cpu/nn_cpu.h"

#define PARALLEL_MIN 32768
#define REDUCE_BLOCK 65536

df_status df_cpu_binary(df_binary_op op, const df_tensor *a, const df_tensor *b, df_tensor *y) {
  const int64_t n = df_tensor_numel(a);
  const float *ad = a->data, *bd = b->data;
  float *yd = y->data;
  switch (op) {
    case DF_BINARY_ADD:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) yd[i] = ad[i] + bd[i];
      break;
    case DF_BINARY_SUB:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) yd[i] = ad[i] - bd[i];
      break;
    case DF_BINARY_MUL:
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
      for (int64_t i = 0; i < n; i++) yd[i] = ad[i] * bd[i];
      break;
  }
  return DF_OK;
}

df_status df_cpu_scale(const df_tensor *x, float alpha, df_tensor *y) {
  const int64_t n = df_tensor_numel(x);
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
  for (int64_t i = 0; i < n; i++) yd[i] = alpha * xd[i];
  return DF_OK;
}

df_status df_cpu_axpby(float alpha, const df_tensor *x, float beta, df_tensor *y) {
  const int64_t n = df_tensor_numel(x);
  const float *xd = x->data;
  float *yd = y->data;
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
  for (int64_t i = 0; i < n; i++) yd[i] = alpha * xd[i] + beta * yd[i];
  return DF_OK;
}

df_status df_cpu_fill(df_tensor *t, float value) {
  const int64_t n = df_tensor_numel(t);
  float *d = t->data;
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
  for (int64_t i = 0; i < n; i++) d[i] = value;
  return DF_OK;
}

df_status df_cpu_mul_backward(const df_tensor *a, const df_tensor *b, const df_tensor *dy,
                              df_tensor *da, df_tensor *db) {
  const int64_t n = df_tensor_numel(a);
  const float *ad = a->data, *bd = b->data, *g = dy->data;
  float *dad = da ? da->data : NULL, *dbd = db ? db->data : NULL;
  /* Both outputs in one pass, read before written: da or db may alias a, b or dy. */
#pragma omp parallel for schedule(static) if (n > PARALLEL_MIN)
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i], ai = ad[i], bi = bd[i];
    if (dad) dad[i] = gi * bi;
    if (dbd) dbd[i] = gi * ai;
  }
  return DF_OK;
}

df_status df_cpu_scale_per_example(const df_tensor *x, const df_tensor *s, df_tensor *y) {
  const int64_t n = x->shape[0], inner = df_tensor_inner(x);
  const float *xd = x->data, *sd = s->data;
  float *yd = y->data;
#pragma omp parallel for collapse(2) schedule(static) if (n * inner > PARALLEL_MIN)
  for (int64_t e = 0; e < n; e++)
    for (int64_t i = 0; i < inner; i++) yd[e * inner + i] = sd[e] * xd[e * inner + i];
  return DF_OK;
}

df_status df_cpu_scale_per_example_backward(const df_tensor *x, const df_tensor *s,
                                            const df_tensor *dy, df_tensor *dx, df_tensor *ds) {
  const int64_t n = x->shape[0], inner = df_tensor_inner(x);
  const float *xd = x->data, *sd = s->data, *g = dy->data;
  float *dxd = dx ? dx->data : NULL, *dsd = ds ? ds->data : NULL;
#pragma omp parallel for schedule(static) if (n * inner > PARALLEL_MIN)
  for (int64_t e = 0; e < n; e++) {
    const float se = sd[e];
    double acc = 0;
    for (int64_t i = 0; i < inner; i++) {
      const int64_t k = e * inner + i;
      const float gk = g[k];
      acc += (double)gk * xd[k];
      if (dxd) dxd[k] = se * gk;
    }
    if (dsd) dsd[e] += (float)acc;
  }
  return DF_OK;
}

/* Sum of f over fixed blocks of x, then of the block sums in order. */
typedef double (*block_fn)(const float *x, int64_t n);

static df_status blocked_sum(const df_tensor *t, block_fn f, double *out) {
  const int64_t n = df_tensor_numel(t), nblk = (n + REDUCE_BLOCK - 1) / REDUCE_BLOCK;
  const float *x = t->data;
  double *part = malloc(sizeof(double) * (size_t)nblk);
  if (!part) return DF_FAIL(DF_ERR_OOM, "cannot allocate %lld block sums for tensor '%s'",
                            (long long)nblk, t->name);
#pragma omp parallel for schedule(static) if (nblk > 1)
  for (int64_t b = 0; b < nblk; b++) {
    const int64_t begin = b * REDUCE_BLOCK;
    part[b] = f(x + begin, n - begin < REDUCE_BLOCK ? n - begin : REDUCE_BLOCK);
  }
  double total = 0;
  for (int64_t b = 0; b < nblk; b++) total += part[b];
  free(part);
  *out = total;
  return DF_OK;
}

static double nonfinite_in(const float *x, int64_t n) {
  int64_t c = 0;
  for (int64_t i = 0; i < n; i++) c += !isfinite(x[i]);
  return (double)c;
}

static double squares_in(const float *x, int64_t n) {
  double acc = 0;
  for (int64_t i = 0; i < n; i++) acc += (double)x[i] * x[i];
  return acc;
}

df_status df_cpu_count_nonfinite(const df_tensor *x, int64_t *count) {
  double c;
  DF_TRY(blocked_sum(x, nonfinite_in, &c));
  *count = (int64_t)c;
  return DF_OK;
}

df_status df_cpu_sum_squares(const df_tensor *x, double *out) {
  return blocked_sum(x, squares_in, out);
}
