/* CPU copies of bands of the last dim, and embeddings. */
#include <string.h>

#include "ops/cpu/nn_cpu.h"

df_status df_cpu_copy_band(const df_tensor *src, int64_t src_col, df_tensor *dst, int64_t dst_col,
                           int64_t count) {
  int64_t src_len = src->shape[src->ndim - 1], dst_len = dst->shape[dst->ndim - 1];
  int64_t rows = df_tensor_numel(src) / src_len;
  const float *s = src->data;
  float *d = dst->data;
#pragma omp parallel for schedule(static) if (rows * count > 65536)
  for (int64_t r = 0; r < rows; r++)
    memmove(d + r * dst_len + dst_col, s + r * src_len + src_col, sizeof(float) * (size_t)count);
  return DF_OK;
}

df_status df_cpu_embedding_forward(const df_tensor *table, const df_tensor *ids, df_tensor *out) {
  int64_t n = out->shape[0], f = table->shape[1], classes = table->shape[0];
  const int32_t *id = ids->data;
  for (int64_t i = 0; i < n; i++)
    if (id[i] < 0 || id[i] >= classes)
      return DF_FAIL(DF_ERR_INVALID_ARG, "df_embedding_forward: id %d of row %lld is outside [0, %lld)",
                     id[i], (long long)i, (long long)classes);
  const float *t = table->data;
  float *o = out->data;
  for (int64_t i = 0; i < n; i++) memcpy(o + i * f, t + (int64_t)id[i] * f, sizeof(float) * (size_t)f);
  return DF_OK;
}

df_status df_cpu_embedding_backward(const df_tensor *ids, const df_tensor *dout, df_tensor *dtable) {
  int64_t n = dout->shape[0], f = dout->shape[1], classes = dtable->shape[0];
  const int32_t *id = ids->data;
  for (int64_t i = 0; i < n; i++)
    if (id[i] < 0 || id[i] >= classes)
      return DF_FAIL(DF_ERR_INVALID_ARG, "df_embedding_backward: id %d of row %lld is outside [0, %lld)",
                     id[i], (long long)i, (long long)classes);
  const float *g = dout->data;
  float *t = dtable->data;
  /* Rows in order for every feature: the same sums as the GPU's per-(class, feature) loop. */
#pragma omp parallel for schedule(static) if (n * f > 65536)
  for (int64_t k = 0; k < f; k++)
    for (int64_t i = 0; i < n; i++) t[(int64_t)id[i] * f + k] += g[i * f + k];
  return DF_OK;
}
