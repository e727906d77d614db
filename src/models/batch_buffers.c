/* Grow-only batch buffers and the views of their first rows (batch_buffers.h). */
#include "models/batch_buffers.h"

void df_batch_free(const df_batch_tensor *t, int count, int64_t *capacity) {
  for (int i = 0; i < count; i++) {
    df_tensor_free(t[i].buffer);
    if (t[i].view) df_tensor_free(t[i].view);
  }
  *capacity = 0;
}

static df_status alloc_all(const df_batch_tensor *t, int count, df_device dev, int64_t capacity) {
  for (int i = 0; i < count; i++) {
    int64_t shape[4] = {capacity};
    for (int d = 0; d < t[i].item_dims; d++) shape[d + 1] = t[i].item[d];
    DF_TRY(df_tensor_alloc(t[i].buffer, t[i].on_host ? DF_DEVICE_CPU : dev, t[i].dtype, 1 + t[i].item_dims, shape,
                           t[i].name));
  }
  return DF_OK;
}

df_status df_batch_reserve(const df_batch_tensor *t, int count, df_device dev, int64_t *capacity, int64_t n) {
  if (n > *capacity) {
    df_batch_free(t, count, capacity);
    df_status s = alloc_all(t, count, dev, n);
    if (s) {
      df_batch_free(t, count, capacity);
      return s;
    }
    *capacity = n;
  }
  for (int i = 0; i < count; i++)
    if (t[i].view) DF_TRY(df_tensor_slice0(t[i].buffer, 0, n, t[i].view));
  return DF_OK;
}
