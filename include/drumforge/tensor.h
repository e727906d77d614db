/* Tensors: a typed block of memory on one device with a shape (row-major, PyTorch layout). */
#ifndef DRUMFORGE_TENSOR_H
#define DRUMFORGE_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum df_device { DF_DEVICE_CPU = 0, DF_DEVICE_CUDA = 1 } df_device;
typedef enum df_dtype { DF_F32 = 0, DF_BF16 = 1, DF_I32 = 2 } df_dtype;

#define DF_MAX_DIMS 5
#define DF_TENSOR_NAME_LEN 64

typedef struct df_tensor {
  void *data;                    /* host pointer (CPU) or device pointer (CUDA) */
  int64_t shape[DF_MAX_DIMS];    /* unused trailing dims are 1 */
  int ndim;
  df_dtype dtype;
  df_device device;
  int owns;                      /* 1 when df_tensor_free must release data */
  char name[DF_TENSOR_NAME_LEN]; /* used in error messages and test reports */
} df_tensor;

/* Allocate a zero-filled tensor. On the GPU memory comes from the caching allocator. A shape
 * of more than 2^60 elements (whose byte count could overflow), an unknown dtype or device is
 * DF_ERR_INVALID_ARG. */
df_status df_tensor_alloc(df_tensor *t, df_device dev, df_dtype dtype, int ndim,
                          const int64_t *shape, const char *name);

/* Convenience: df_tensor_new(&t, DF_DEVICE_CPU, "x", 4, 3, 16) -> fp32 [4, 3, 16]. */
#define df_tensor_new(t, dev, name, ...)                                              \
  df_tensor_alloc((t), (dev), DF_F32,                                               \
                  (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),        \
                  (int64_t[]){__VA_ARGS__}, (name))

/* Release memory owned by t (no-op for views and zeroed structs) and zero the struct. */
void df_tensor_free(df_tensor *t);

/* A non-owning tensor over existing memory. */
df_tensor df_tensor_wrap(void *data, df_device dev, df_dtype dtype, int ndim,
                         const int64_t *shape, const char *name);

/* A non-owning view of buf's first elements with another shape: rows [0, n) of a buffer
 * allocated for more rows (buffers grown to the largest batch yet serve every smaller one), or
 * a flat scratch buffer seen as the tensor it holds now. ndim 0, which every op rejects, when
 * buf has fewer elements than the shape. */
df_tensor df_tensor_view(const df_tensor *buf, int ndim, const int64_t *shape);
/* Convenience: DF_VIEW(&buf, n, 3, 16) -> the first n * 3 * 16 elements as [n, 3, 16]. */
#define DF_VIEW(buf, ...)                                                             \
  df_tensor_view((buf), (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),  \
                 (int64_t[]){__VA_ARGS__})

/* A non-owning view with a new shape and the same number of elements. */
df_status df_tensor_reshape(const df_tensor *t, int ndim, const int64_t *shape, df_tensor *view);

/* A non-owning view of examples [first, first+count) along dim 0. */
df_status df_tensor_slice0(const df_tensor *t, int64_t first, int64_t count, df_tensor *view);

int64_t df_tensor_numel(const df_tensor *t);
size_t df_dtype_size(df_dtype dtype);
size_t df_tensor_bytes(const df_tensor *t);
/* Elements per example: numel / shape[0]. */
int64_t df_tensor_inner(const df_tensor *t);
int df_tensor_same_shape(const df_tensor *a, const df_tensor *b);
/* Writes "[4, 3, 16]" into buf. */
const char *df_tensor_shape_str(const df_tensor *t, char *buf, size_t len);

/* Copy between any two devices; dtype and element count must match. */
df_status df_tensor_copy(df_tensor *dst, const df_tensor *src);
/* Set every byte to zero. */
df_status df_tensor_zero(df_tensor *t);
/* Copy n floats between host memory and a tensor (of any device), starting at element 0. */
df_status df_tensor_to_host(const df_tensor *t, float *host, int64_t n);
df_status df_tensor_from_host(df_tensor *t, const float *host, int64_t n);

#ifdef __cplusplus
}
#endif
#endif
