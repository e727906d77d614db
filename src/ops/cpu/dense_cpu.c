/* Dense layer: y = x w^T + b with sgemm. */
#include "drumforge/runtime.h"
#include "ops/cpu/nn_cpu.h"

df_status df_cpu_dense_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                               df_tensor *y) {
  const int n = (int)x->shape[0], in = (int)x->shape[1], out = (int)w->shape[0];
  if (df_batch_invariant()) /* one row per GEMM: the same call for every row */
    for (int i = 0; i < n; i++)
      df_cpu_sgemm(0, 1, 1, out, in, 1.f, (const float *)x->data + (int64_t)i * in, in, w->data, in, 0.f,
                   (float *)y->data + (int64_t)i * out, out);
  else
    df_cpu_sgemm(0, 1, n, out, in, 1.f, x->data, in, w->data, in, 0.f, y->data, out);
  if (b) df_cpu_add_channel_bias(y->data, b->data, n, out, 1);
  return DF_OK;
}

df_status df_cpu_dense_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                                df_tensor *dx, df_tensor *dw, df_tensor *db) {
  const int n = (int)x->shape[0], in = (int)x->shape[1], out = (int)w->shape[0];
  if (dx) /* dx = dy w */
    df_cpu_sgemm(0, 0, n, in, out, 1.f, dy->data, out, w->data, in, 0.f, dx->data, in);
  if (dw) /* dw += dy^T x */
    df_cpu_sgemm(1, 0, out, in, n, 1.f, dy->data, out, x->data, in, 1.f, dw->data, in);
  if (db) df_cpu_channel_sum(dy->data, db->data, n, out, 1);
  return DF_OK;
}
