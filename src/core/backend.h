/* The backend boundary: each device fills one df_backend table. Public functions validate
 * their arguments once (src/ops/ and friends) and then call through the table of the
 * tensors' device, so model code never needs to know which device it runs on.
 *
 * The table is split by concern; each concern's table type lives in its own header next to
 * the code that dispatches to it (src/ops/nn_backend.h, src/dsp/dsp_backend.h, ...). The CPU
 * backend lives in src/<concern>/cpu/, the CUDA backend in kernels/. */
#ifndef DF_CORE_BACKEND_H
#define DF_CORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

struct df_nn_backend;     /* src/ops/nn_backend.h: the op library */
struct df_dsp_backend;    /* src/dsp/dsp_backend.h: STFT, Mel, Griffin-Lim */
struct df_loss_backend;   /* src/loss/loss_backend.h: GAN, KL, MMD losses, gradient penalty */
struct df_metric_backend; /* src/eval/metric_backend.h: novelty and distance metrics */

typedef struct df_backend {
  const char *name; /* "cpu" or "cuda" */
  df_device device;

  /* Probe and initialise; DF_ERR_NO_DEVICE (with a message) when unusable. desc receives a
   * description of the device. Called once by the runtime before any other entry. */
  df_status (*init)(char *desc, size_t desc_len);
  void (*shutdown)(void);

  /* Memory on this device. alloc returns zeroed memory. */
  df_status (*alloc)(size_t bytes, void **ptr);
  void (*release)(void *ptr);
  df_status (*memset0)(void *ptr, size_t bytes);
  /* Copy bytes where either side may be this device or the host. */
  df_status (*copy)(void *dst, df_device dst_dev, const void *src, df_device src_dev,
                    size_t bytes);
  df_status (*sync)(void);
  void (*memory_stats)(size_t *in_use, size_t *cached, size_t *peak);

  /* Host buffers for feeding this device (the data loader): page-locked on CUDA, so that
   * upload_async really overlaps; plain memory on the CPU. upload_async starts copying host
   * memory to this device on the backend's stream and returns a fence (NULL when the copy is
   * already complete); fence_wait waits for it and releases it. */
  df_status (*host_alloc)(size_t bytes, void **ptr);
  void (*host_free)(void *ptr);
  df_status (*upload_async)(void *dst, const void *src, size_t bytes, void **fence);
  df_status (*fence_wait)(void *fence);

  /* Philox fills (see include/drumforge/rng.h for the stream layout). offset % 4 == 0. */
  df_status (*rng_uniform)(uint64_t seed, uint64_t offset, float *out, int64_t n, float lo,
                           float hi);
  df_status (*rng_normal)(uint64_t seed, uint64_t offset, float *out, int64_t n, float mean,
                          float std);

  const struct df_nn_backend *nn;
  const struct df_dsp_backend *dsp;
  const struct df_loss_backend *loss;
  const struct df_metric_backend *metric;
} df_backend;

/* The CPU backend (always present). */
const df_backend *df_cpu_backend(void);
/* The CUDA backend, or NULL when the library was built without CUDA. */
const df_backend *df_cuda_backend(void);

/* The initialised backend for a device; NULL (with an error recorded) if that device has not
 * been initialised or is unavailable. */
const df_backend *df_backend_for(df_device dev);

/* Validation helpers used by every dispatching function. They record an error naming the
 * function (fn) and the tensor and return its status. */
/* A usable tensor of any dtype: not NULL, 1..DF_MAX_DIMS dims, none negative, a known dtype
 * and device, data unless it is empty. */
df_status df_check_tensor(const char *fn, const df_tensor *t);
/* df_check_tensor and fp32. */
df_status df_check_f32(const char *fn, const df_tensor *t);
df_status df_check_ndim(const char *fn, const df_tensor *t, int ndim);
df_status df_check_shape(const char *fn, const df_tensor *t, int ndim, const int64_t *shape);
df_status df_check_same_shape(const char *fn, const df_tensor *a, const df_tensor *b);
/* The n tensors (NULL entries are skipped) share one device; *dev receives it. */
df_status df_check_same_device(const char *fn, df_device *dev, int n, const df_tensor *const *ts);
#define DF_SAME_DEVICE(fn, dev, ...)                                                  \
  df_check_same_device((fn), (dev),                                                  \
                       (int)(sizeof((const df_tensor *[]){__VA_ARGS__}) /            \
                             sizeof(const df_tensor *)),                             \
                       (const df_tensor *[]){__VA_ARGS__})

#ifdef __cplusplus
}
#endif
#endif
