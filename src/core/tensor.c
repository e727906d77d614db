#include "drumforge/tensor.h"

#include <stdio.h>
#include <string.h>

#include "core/backend.h"
#include "core/check.h"

size_t df_dtype_size(df_dtype dtype) {
  switch (dtype) {
    case DF_F32: return 4;
    case DF_BF16: return 2;
    case DF_I32: return 4;
  }
  return 0;
}

int64_t df_tensor_numel(const df_tensor *t) {
  int64_t n = 1;
  /* A hand-filled ndim beyond the array reads no further (the ops reject it). */
  for (int i = 0; i < t->ndim && i < DF_MAX_DIMS; i++) n *= t->shape[i];
  return n;
}

size_t df_tensor_bytes(const df_tensor *t) {
  return (size_t)df_tensor_numel(t) * df_dtype_size(t->dtype);
}

int64_t df_tensor_inner(const df_tensor *t) {
  return t->ndim > 0 && t->shape[0] > 0 ? df_tensor_numel(t) / t->shape[0] : 0;
}

int df_tensor_same_shape(const df_tensor *a, const df_tensor *b) {
  if (a->ndim != b->ndim) return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i]) return 0;
  return 1;
}

const char *df_tensor_shape_str(const df_tensor *t, char *buf, size_t len) {
  size_t used = 0;
  used += (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < t->ndim && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, i ? ", %lld" : "%lld", (long long)t->shape[i]);
  if (used < len) snprintf(buf + used, len - used, "]");
  return buf;
}

/* Elements of a tensor at most: its byte count fits int64_t and size_t for every dtype. */
#define DF_TENSOR_MAX_NUMEL (INT64_MAX / 8)

static df_status set_shape(df_tensor *t, int ndim, const int64_t *shape) {
  if (ndim < 1 || ndim > DF_MAX_DIMS)
    return DF_FAIL(DF_ERR_INVALID_ARG, "tensor '%s': %d dims (1..%d allowed)", t->name, ndim,
                   DF_MAX_DIMS);
  if (!shape) return DF_FAIL(DF_ERR_INVALID_ARG, "tensor '%s': shape is NULL", t->name);
  if (!df_dtype_size(t->dtype))
    return DF_FAIL(DF_ERR_INVALID_ARG, "tensor '%s': unknown dtype %d", t->name, (int)t->dtype);
  int64_t numel = 1;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return DF_FAIL(DF_ERR_INVALID_ARG, "tensor '%s': negative dim %d", t->name, i);
    /* A product that overflows would allocate a small buffer for a huge shape. */
    if (shape[i] > 0 && numel > DF_TENSOR_MAX_NUMEL / shape[i])
      return DF_FAIL(DF_ERR_INVALID_ARG, "tensor '%s': dim %d of %lld makes too many elements",
                     t->name, i, (long long)shape[i]);
    numel *= shape[i];
  }
  t->ndim = ndim;
  for (int i = 0; i < DF_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
  return DF_OK;
}

df_tensor df_tensor_wrap(void *data, df_device dev, df_dtype dtype, int ndim,
                         const int64_t *shape, const char *name) {
  df_tensor t;
  memset(&t, 0, sizeof t);
  snprintf(t.name, sizeof t.name, "%s", name ? name : "");
  t.data = data;
  t.device = dev;
  t.dtype = dtype;
  if (set_shape(&t, ndim, shape) != DF_OK) t.ndim = 0;
  return t;
}

df_tensor df_tensor_view(const df_tensor *buf, int ndim, const int64_t *shape) {
  if (!buf) return (df_tensor){0};
  df_tensor v = df_tensor_wrap(buf->data, buf->device, buf->dtype, ndim, shape, buf->name);
  if (df_tensor_numel(&v) > df_tensor_numel(buf)) {
    v.ndim = 0;
    v.data = NULL;
  }
  return v;
}

df_status df_tensor_alloc(df_tensor *t, df_device dev, df_dtype dtype, int ndim,
                          const int64_t *shape, const char *name) {
  DF_CHECK_ARG(t);
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, "%s", name ? name : "");
  t->device = dev;
  t->dtype = dtype;
  DF_TRY(set_shape(t, ndim, shape));
  if (dev != DF_DEVICE_CPU && dev != DF_DEVICE_CUDA)
    return DF_FAIL(DF_ERR_INVALID_ARG, "tensor '%s': unknown device %d", t->name, (int)dev);
  const df_backend *be = df_backend_for(dev);
  if (!be) return DF_ERR_NO_DEVICE;
  size_t bytes = df_tensor_bytes(t);
  if (bytes == 0) return DF_OK;
  df_status s = be->alloc(bytes, &t->data);
  if (s != DF_OK) {
    char shp[96];
    return DF_FAIL(s, "cannot allocate tensor '%s' %s (%zu bytes) on %s: %s", t->name,
                   df_tensor_shape_str(t, shp, sizeof shp), bytes, be->name, df_last_error());
  }
  t->owns = 1;
  return DF_OK;
}

void df_tensor_free(df_tensor *t) {
  if (!t) return;
  if (t->owns && t->data) {
    const df_backend *be = df_backend_for(t->device);
    if (be) be->release(t->data);
  }
  memset(t, 0, sizeof *t);
}

df_status df_tensor_reshape(const df_tensor *t, int ndim, const int64_t *shape, df_tensor *view) {
  DF_CHECK_ARG(view);
  DF_TRY(df_check_tensor(__func__, t));
  df_tensor v = *t;
  v.owns = 0;
  DF_TRY(set_shape(&v, ndim, shape));
  if (df_tensor_numel(&v) != df_tensor_numel(t))
    return DF_FAIL(DF_ERR_INVALID_ARG, "reshape of '%s': %lld elements into %lld", t->name,
                   (long long)df_tensor_numel(t), (long long)df_tensor_numel(&v));
  *view = v;
  return DF_OK;
}

df_status df_tensor_slice0(const df_tensor *t, int64_t first, int64_t count, df_tensor *view) {
  DF_CHECK_ARG(view);
  DF_TRY(df_check_tensor(__func__, t));
  if (first < 0 || count < 0 || first > t->shape[0] || count > t->shape[0] - first)
    return DF_FAIL(DF_ERR_INVALID_ARG, "slice of %lld rows from row %lld of '%s' outside [0, %lld)",
                   (long long)count, (long long)first, t->name, (long long)t->shape[0]);
  df_tensor v = *t;
  v.owns = 0;
  v.shape[0] = count;
  v.data = (char *)t->data + (size_t)(first * df_tensor_inner(t)) * df_dtype_size(t->dtype);
  *view = v;
  return DF_OK;
}

df_status df_tensor_copy(df_tensor *dst, const df_tensor *src) {
  DF_TRY(df_check_tensor(__func__, dst));
  DF_TRY(df_check_tensor(__func__, src));
  if (dst->dtype != src->dtype || df_tensor_numel(dst) != df_tensor_numel(src))
    return DF_FAIL(DF_ERR_INVALID_ARG, "copy '%s' -> '%s': size or dtype differ", src->name,
                   dst->name);
  size_t bytes = df_tensor_bytes(src);
  if (bytes == 0 || dst->data == src->data) return DF_OK;
  /* The GPU backend handles every pair that involves it; host to host is a memcpy. */
  df_device via = dst->device == DF_DEVICE_CUDA ? DF_DEVICE_CUDA : src->device;
  const df_backend *be = df_backend_for(via);
  if (!be) return DF_ERR_NO_DEVICE;
  return be->copy(dst->data, dst->device, src->data, src->device, bytes);
}

df_status df_tensor_zero(df_tensor *t) {
  DF_TRY(df_check_tensor(__func__, t));
  size_t bytes = df_tensor_bytes(t);
  if (bytes == 0) return DF_OK;
  const df_backend *be = df_backend_for(t->device);
  if (!be) return DF_ERR_NO_DEVICE;
  return be->memset0(t->data, bytes);
}

df_status df_tensor_to_host(const df_tensor *t, float *host, int64_t n) {
  DF_TRY(df_check_tensor(__func__, t));
  if (t->dtype != DF_F32 && t->dtype != DF_I32)
    return DF_FAIL(DF_ERR_INVALID_ARG, "to_host of '%s': 32-bit dtype needed", t->name);
  if (n > 0 && !host) return DF_FAIL(DF_ERR_INVALID_ARG, "to_host of '%s': host is NULL", t->name);
  if (n < 0 || n > df_tensor_numel(t))
    return DF_FAIL(DF_ERR_INVALID_ARG, "to_host of '%s': %lld elements asked of its %lld", t->name,
                   (long long)n, (long long)df_tensor_numel(t));
  const df_backend *be = df_backend_for(t->device);
  if (!be) return DF_ERR_NO_DEVICE;
  return be->copy(host, DF_DEVICE_CPU, t->data, t->device, (size_t)n * 4);
}

df_status df_tensor_from_host(df_tensor *t, const float *host, int64_t n) {
  DF_TRY(df_check_tensor(__func__, t));
  if (t->dtype != DF_F32 && t->dtype != DF_I32)
    return DF_FAIL(DF_ERR_INVALID_ARG, "from_host of '%s': 32-bit dtype needed", t->name);
  if (n > 0 && !host) return DF_FAIL(DF_ERR_INVALID_ARG, "from_host of '%s': host is NULL", t->name);
  if (n < 0 || n > df_tensor_numel(t))
    return DF_FAIL(DF_ERR_INVALID_ARG, "from_host of '%s': %lld elements asked of its %lld", t->name,
                   (long long)n, (long long)df_tensor_numel(t));
  const df_backend *be = df_backend_for(t->device);
  if (!be) return DF_ERR_NO_DEVICE;
  return be->copy(t->data, t->device, host, DF_DEVICE_CPU, (size_t)n * 4);
}
