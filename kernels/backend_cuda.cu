/* The CUDA backend: device probing, the caching allocator (plain cudaMalloc, never managed
 * memory), copies, the stream and library handles, and the Philox fills. Op kernels live in
 * kernels/<concern>/ and are reached through the per-concern tables. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_common.h"
#include "nn/conv_plan.h"
#include "rng/philox_impl.h"

extern "C" const struct df_nn_backend *df_cuda_nn_backend(void);
extern "C" const struct df_loss_backend *df_cuda_loss_backend(void);
extern "C" const struct df_dsp_backend *df_cuda_dsp_backend(void);
extern "C" const struct df_metric_backend *df_cuda_metric_backend(void);

static cudaStream_t stream;
static cublasHandle_t cublas;
static cudnnHandle_t cudnn;
static int ready;

cudaStream_t df_cuda_stream(void) { return stream; }
cublasHandle_t df_cublas(void) { return cublas; }
cudnnHandle_t df_cudnn(void) { return cudnn; }

/* ---------------------------------------------------------------- caching allocator
 * Freed blocks are kept per size and reused for a request of at most twice their size
 * that fits; on out-of-memory the cache is emptied and the allocation retried. */
typedef struct block {
  void *ptr;
  size_t size;
  int in_use;
} block;

static pthread_mutex_t alloc_lock = PTHREAD_MUTEX_INITIALIZER;
static block *blocks;
static size_t n_blocks, cap_blocks;
static size_t bytes_in_use, bytes_cached, peak_in_use;

static size_t round_size(size_t bytes) {
  const size_t small = 512, large = 2u << 20;
  return bytes < large ? (bytes + small - 1) / small * small : (bytes + large - 1) / large * large;
}

static df_status empty_cache_locked(void) {
  size_t kept = 0;
  for (size_t i = 0; i < n_blocks; i++) {
    if (blocks[i].in_use) {
      blocks[kept++] = blocks[i];
    } else {
      CUDA_TRY(cudaFree(blocks[i].ptr));
      bytes_cached -= blocks[i].size;
    }
  }
  n_blocks = kept;
  return DF_OK;
}

static df_status alloc_locked(size_t bytes, void **ptr) {
  size_t size = round_size(bytes ? bytes : 1);
  block *best = NULL;
  for (size_t i = 0; i < n_blocks; i++) {
    block *b = &blocks[i];
    if (!b->in_use && b->size >= size && b->size <= 2 * size && (!best || b->size < best->size))
      best = b;
  }
  if (!best) {
    if (n_blocks == cap_blocks) {
      size_t cap = cap_blocks ? 2 * cap_blocks : 256;
      block *nb = (block *)realloc(blocks, cap * sizeof(block));
      if (!nb) return DF_FAIL(DF_ERR_OOM, "allocator bookkeeping: realloc failed");
      blocks = nb;
      cap_blocks = cap;
    }
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, size);
    if (e == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      DF_TRY(empty_cache_locked());
      e = cudaMalloc(&p, size);
    }
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      return DF_FAIL(e == cudaErrorMemoryAllocation ? DF_ERR_OOM : DF_ERR_CUDA,
                     "cudaMalloc(%zu) failed: %s (in use %zu MiB)", size, cudaGetErrorString(e),
                     bytes_in_use >> 20);
    }
    best = &blocks[n_blocks++];
    best->ptr = p;
    best->size = size;
    best->in_use = 0;
    bytes_cached += size;
  }
  best->in_use = 1;
  bytes_in_use += best->size;
  if (bytes_in_use > peak_in_use) peak_in_use = bytes_in_use;
  *ptr = best->ptr;
  /* Tensors start zeroed on every device. */
  CUDA_TRY(cudaMemsetAsync(best->ptr, 0, bytes ? bytes : 1, stream));
  return DF_OK;
}

df_status df_cuda_alloc(size_t bytes, void **ptr) {
  pthread_mutex_lock(&alloc_lock);
  df_status s = alloc_locked(bytes, ptr);
  pthread_mutex_unlock(&alloc_lock);
  return s;
}

void df_cuda_release(void *ptr) {
  if (!ptr) return;
  pthread_mutex_lock(&alloc_lock);
  for (size_t i = 0; i < n_blocks; i++) {
    if (blocks[i].ptr == ptr && blocks[i].in_use) {
      blocks[i].in_use = 0;
      bytes_in_use -= blocks[i].size;
      break;
    }
  }
  pthread_mutex_unlock(&alloc_lock);
}

/* The shared workspace (cuda_common.h): grows to the largest request and is kept. Replacing
 * it while queued work still uses the old buffer is safe: the old block goes back to the
 * cache, and whatever takes it next is ordered after that work on the same stream. */
static void *workspace;
static size_t workspace_size;

df_status df_cuda_workspace(size_t bytes, void **ptr) {
  if (bytes > workspace_size) {
    df_cuda_release(workspace);
    workspace = NULL;
    workspace_size = 0;
    DF_TRY(df_cuda_alloc(bytes, &workspace));
    workspace_size = bytes;
  }
  *ptr = workspace;
  return DF_OK;
}

static void cuda_memory_stats(size_t *in_use, size_t *cached, size_t *peak) {
  pthread_mutex_lock(&alloc_lock);
  *in_use = bytes_in_use;
  *cached = bytes_cached;
  *peak = peak_in_use;
  pthread_mutex_unlock(&alloc_lock);
}

/* ---------------------------------------------------------------- init and memory */
/* The stream and the library handles; each is set only once created, so that
 * destroy_handles releases exactly what a failed create_handles made. */
static df_status create_handles(void) {
  cudaStream_t st;
  CUDA_TRY(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  stream = st;
  cublasHandle_t cb;
  CUBLAS_TRY(cublasCreate(&cb));
  cublas = cb;
  CUBLAS_TRY(cublasSetStream(cublas, stream));
  cudnnHandle_t dnn;
  CUDNN_TRY(cudnnCreate(&dnn));
  cudnn = dnn;
  CUDNN_TRY(cudnnSetStream(cudnn, stream));
  return DF_OK;
}

/* Cleanup is best effort: a release that fails has nothing to report to (shutdown returns
 * nothing, a failed init reports its own error), and the others must still run. */
static void destroy_handles(void) {
  if (cudnn) (void)cudnnDestroy(cudnn);
  if (cublas) (void)cublasDestroy(cublas);
  if (stream) (void)cudaStreamDestroy(stream);
  cudnn = NULL;
  cublas = NULL;
  stream = NULL;
}

static df_status cuda_init(char *desc, size_t len) {
  if (ready) return DF_OK;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return DF_FAIL(DF_ERR_NO_DEVICE, "no CUDA device: %s", cudaGetErrorString(e));
  }
  if (count == 0) return DF_FAIL(DF_ERR_NO_DEVICE, "no CUDA device found");
  CUDA_TRY(cudaSetDevice(0));
  cudaDeviceProp prop;
  CUDA_TRY(cudaGetDeviceProperties(&prop, 0));
  df_status s = create_handles();
  if (s != DF_OK) {
    destroy_handles();
    return s;
  }
  snprintf(desc, len, "%s (sm_%d%d, %.0f GiB, cuDNN %zu)", prop.name, prop.major, prop.minor,
           (double)prop.totalGlobalMem / (1 << 30), cudnnGetVersion());
  ready = 1;
  return DF_OK;
}

/* Frees every device block (cached or still held: tensors alive now must not be used after),
 * the convolution plans, the handles and the stream; cuda_init starts afresh afterwards.
 * Best effort, as destroy_handles. */
static void cuda_shutdown(void) {
  if (!ready) return;
  (void)cudaStreamSynchronize(stream);
  df_cuda_conv_plans_free();
  pthread_mutex_lock(&alloc_lock);
  for (size_t i = 0; i < n_blocks; i++) (void)cudaFree(blocks[i].ptr);
  free(blocks);
  blocks = NULL;
  n_blocks = cap_blocks = 0;
  workspace = NULL;
  workspace_size = 0;
  bytes_in_use = bytes_cached = 0;
  pthread_mutex_unlock(&alloc_lock);
  destroy_handles();
  ready = 0;
}

/* ---------------------------------------------------------------- feeding the device
 * Pinned host buffers, and uploads from them that run on the stream while the host goes on;
 * the fence is a CUDA event recorded after the copy. */
static df_status cuda_host_alloc(size_t bytes, void **ptr) {
  *ptr = NULL;
  CUDA_TRY(cudaHostAlloc(ptr, bytes ? bytes : 1, cudaHostAllocDefault));
  return DF_OK;
}

static void cuda_host_free(void *ptr) {
  if (ptr) cudaFreeHost(ptr);
}

static df_status cuda_upload_async(void *dst, const void *src, size_t bytes, void **fence) {
  *fence = NULL;
  cudaEvent_t ev;
  CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
  CUDA_TRY(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
  cudaError_t e = cudaEventRecord(ev, stream);
  if (e != cudaSuccess) {
    cudaEventDestroy(ev);
    CUDA_TRY(e);
  }
  *fence = (void *)ev;
  return DF_OK;
}

static df_status cuda_fence_wait(void *fence) {
  if (!fence) return DF_OK;
  cudaEvent_t ev = (cudaEvent_t)fence;
  cudaError_t e = cudaEventSynchronize(ev);
  cudaEventDestroy(ev);
  CUDA_TRY(e);
  return DF_OK;
}

static df_status cuda_memset0(void *ptr, size_t bytes) {
  CUDA_TRY(cudaMemsetAsync(ptr, 0, bytes, stream));
  return DF_OK;
}

static df_status cuda_copy(void *dst, df_device dst_dev, const void *src, df_device src_dev,
                           size_t bytes) {
  cudaMemcpyKind kind = dst_dev == DF_DEVICE_CUDA
                            ? (src_dev == DF_DEVICE_CUDA ? cudaMemcpyDeviceToDevice
                                                         : cudaMemcpyHostToDevice)
                            : (src_dev == DF_DEVICE_CUDA ? cudaMemcpyDeviceToHost
                                                         : cudaMemcpyHostToHost);
  CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, kind, stream));
  /* Host memory is pageable and may be reused by the caller at once: wait when it is
   * involved. Device-to-device copies stay asynchronous. */
  if (kind != cudaMemcpyDeviceToDevice) CUDA_TRY(cudaStreamSynchronize(stream));
  return DF_OK;
}

static df_status cuda_sync(void) {
  CUDA_TRY(cudaStreamSynchronize(stream));
  return DF_OK;
}

/* ---------------------------------------------------------------- Philox fills */
__global__ void rng_uniform_kernel(uint64_t seed, uint64_t offset, float *out, int64_t n,
                                   float lo, float hi) {
  DF_GRID_STRIDE(i, n) out[i] = df_philox_uniform_at(seed, offset, (uint64_t)i, lo, hi);
}

__global__ void rng_normal_kernel(uint64_t seed, uint64_t offset, float *out, int64_t n,
                                  float mean, float std) {
  DF_GRID_STRIDE(i, n) out[i] = df_philox_normal_at(seed, offset, (uint64_t)i, mean, std);
}

static df_status cuda_rng_uniform(uint64_t seed, uint64_t offset, float *out, int64_t n,
                                  float lo, float hi) {
  if (n == 0) return DF_OK;
  rng_uniform_kernel<<<df_grid(n, 256), 256, 0, stream>>>(seed, offset, out, n, lo, hi);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

static df_status cuda_rng_normal(uint64_t seed, uint64_t offset, float *out, int64_t n,
                                 float mean, float std) {
  if (n == 0) return DF_OK;
  rng_normal_kernel<<<df_grid(n, 256), 256, 0, stream>>>(seed, offset, out, n, mean, std);
  CUDA_LAUNCH_TRY();
  return DF_OK;
}

extern "C" const df_backend *df_cuda_backend(void) {
  static df_backend be;
  if (!be.name) {
    be.device = DF_DEVICE_CUDA;
    be.init = cuda_init;
    be.shutdown = cuda_shutdown;
    be.alloc = df_cuda_alloc;
    be.release = df_cuda_release;
    be.memset0 = cuda_memset0;
    be.copy = cuda_copy;
    be.sync = cuda_sync;
    be.memory_stats = cuda_memory_stats;
    be.host_alloc = cuda_host_alloc;
    be.host_free = cuda_host_free;
    be.upload_async = cuda_upload_async;
    be.fence_wait = cuda_fence_wait;
    be.rng_uniform = cuda_rng_uniform;
    be.rng_normal = cuda_rng_normal;
    be.nn = df_cuda_nn_backend();
    be.loss = df_cuda_loss_backend();
    be.dsp = df_cuda_dsp_backend();
    be.metric = df_cuda_metric_backend();
    be.name = "cuda";
  }
  return &be;
}
