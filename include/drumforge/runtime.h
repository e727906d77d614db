/* The runtime: which device ops run on, GPU math settings, synchronisation. */
#ifndef DRUMFORGE_RUNTIME_H
#define DRUMFORGE_RUNTIME_H

#include <stddef.h>

#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum df_device_request {
  DF_REQUEST_AUTO = 0, /* the GPU when one is usable, else the CPU (with a notice) */
  DF_REQUEST_CPU,
  DF_REQUEST_CUDA      /* fail with DF_ERR_NO_DEVICE when no GPU is usable */
} df_device_request;

/* Parses "auto", "cpu", "cuda" (also "gpu"); DF_ERR_INVALID_ARG otherwise. */
df_status df_parse_device_request(const char *text, df_device_request *out);

/* Selects the device. notice (may be NULL) receives a one-line message when AUTO fell back
 * to the CPU, and "" otherwise. Safe to call again; the last choice wins. */
df_status df_runtime_init(df_device_request req, df_device *chosen, char *notice,
                          size_t notice_len);
/* Releases what the backends hold: the GPU's memory (cached blocks and those of tensors still
 * alive, which must not be used afterwards), its stream, library handles and convolution
 * plans, and the CPU workspace. Objects own the rest: free models, STFT plans (and their cuFFT
 * plans) and tensors first. df_runtime_init may be called again afterwards. */
void df_runtime_shutdown(void);

/* 1 when this library was built with the CUDA backend. */
int df_cuda_compiled(void);
/* 1 when a CUDA device is present and usable (initialises the backend on first call). */
int df_cuda_available(void);
/* Human-readable name of a device, e.g. "cpu (2 threads)" or "NVIDIA H100 80GB HBM3". */
const char *df_device_description(df_device dev);

/* GPU matrix math may use TF32 tensor cores unless strict fp32 is requested. Default: TF32. */
void df_set_strict_fp32(int strict);
int df_strict_fp32(void);
/* Deterministic GPU algorithms only (bitwise reproducible runs). Default: off. */
void df_set_deterministic(int deterministic);
int df_deterministic(void);

/* Batch-invariant CPU math: every example goes through the same BLAS calls whatever the batch
 * it is in and its row there (per-example convolution GEMMs, per-row dense layers), so its
 * result is bitwise the same alone or in any batch. Some of OpenBLAS's kernels (Haswell and
 * Zen, its choice on AVX2 CPUs) round a row differently with the matrix's size and the row's
 * position in it, so batching examples into one GEMM, faster for short outputs, is not.
 * Default: on; training (df_train_run) turns it off for its run, where batches have a fixed
 * size and only speed matters, and df_generate with fast_batches. No effect on the GPU. */
void df_set_batch_invariant(int invariant);
int df_batch_invariant(void);

/* Wait until all queued device work has finished; reports asynchronous kernel errors. */
df_status df_sync(df_device dev);

/* Seconds on a monotonic clock (for rates and timeouts). */
double df_monotonic_seconds(void);

/* Bytes currently held by the device allocator (in use + cached) and the peak in use. */
void df_device_memory(df_device dev, size_t *in_use, size_t *cached, size_t *peak);

#ifdef __cplusplus
}
#endif
#endif
