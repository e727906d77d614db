/* Copies of bands of the last dim, and embeddings (the same loops as src/ops/cpu/band_cpu.c). */
#include "nn_cuda.h"

__global__ void copy_band_kernel(const float *src, int64_t src_len, int64_t src_col, float *dst,
                                 int64_t dst_len, int64_t dst_col, int64_t count, int64_t n) {
  DF_GRID_STRIDE(i, n) {
    int64_t r = i / count, j = i % count;
    dst[r * dst_len + dst_col + j] = src[r * src_len + src_col + j];
  }
}

df_status df_cuda_copy_band(const df_tensor *src, int64_t src_col, df_tensor *dst, int64_t dst_col,
                            int64_t count) {
  int64_t src_len = src->shape[src->ndim - 1], dst_len = dst->shape[dst->ndim - 1];
  int64_t n = df_tensor_numel(src) / src_len * count;
  if (src->data == dst->data && src_col != dst_col)
    return DF_FAIL(DF_ERR_UNSUPPORTED, "df_copy_band: in-place shifts are not supported on the GPU");
  copy_band_kernel<<<df_grid(n, 256), 256, 0, df_cuda_stream()>>>(
      df_cf32(src), src_len, src_col, df_f32(dst), dst_len, dst_col, count, n);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

__global__ void embedding_forward_kernel(const float *table, const int32_t *ids, int64_t classes,
                                         int64_t f, float *out, int64_t n) {
  DF_GRID_STRIDE(i, n) {
    int64_t row = i / f, k = i % f;
    int32_t id = ids[row];
    out[i] = (id >= 0 && id < classes) ? table[(int64_t)id * f + k] : 0.0f;
  }
}

/* One thread per (class, feature), rows in order: deterministic, no atomics. */
__global__ void embedding_backward_kernel(const int32_t *ids, const float *dout, int64_t rows,
                                          int64_t f, float *dtable, int64_t n) {
  DF_GRID_STRIDE(i, n) {
    int64_t c = i / f, k = i % f;
    float acc = dtable[i];
    for (int64_t r = 0; r < rows; r++)
      if (ids[r] == c) acc += dout[r * f + k];
    dtable[i] = acc;
  }
}

df_status df_cuda_embedding_forward(const df_tensor *table, const df_tensor *ids, df_tensor *out) {
  int64_t n = df_tensor_numel(out);
  if (n == 0) return DF_OK;
  embedding_forward_kernel<<<df_grid(n, 256), 256, 0, df_cuda_stream()>>>(
      df_cf32(table), (const int32_t *)ids->data, table->shape[0], table->shape[1], df_f32(out), n);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

df_status df_cuda_embedding_backward(const df_tensor *ids, const df_tensor *dout, df_tensor *dtable) {
  int64_t n = df_tensor_numel(dtable);
  if (n == 0) return DF_OK;
  embedding_backward_kernel<<<df_grid(n, 256), 256, 0, df_cuda_stream()>>>(
      (const int32_t *)ids->data, df_cf32(dout), dout->shape[0], dout->shape[1], df_f32(dtable), n);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}
