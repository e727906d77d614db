/* Shared by every CUDA source: checking macros that record the failing call with its file
 * and line and return DF_ERR_CUDA, the backend's stream and library handles, and launch
 * helpers. Every CUDA, cuBLAS, cuDNN and cuFFT call goes through one of these macros. */
#ifndef DF_KERNELS_CUDA_COMMON_H
#define DF_KERNELS_CUDA_COMMON_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <cufft.h>
#include <stdint.h>

#include "core/backend.h"

#define CUDA_TRY(call)                                                                   \
  do {                                                                                   \
    cudaError_t df_e_ = (call);                                                          \
    if (df_e_ != cudaSuccess)                                                            \
      return df_set_call_error(DF_ERR_CUDA, __FILE__, __LINE__, "%s failed: %s", #call,       \
                          cudaGetErrorString(df_e_));                                    \
  } while (0)

#define CUBLAS_TRY(call)                                                                 \
  do {                                                                                   \
    cublasStatus_t df_e_ = (call);                                                       \
    if (df_e_ != CUBLAS_STATUS_SUCCESS)                                                  \
      return df_set_call_error(DF_ERR_CUDA, __FILE__, __LINE__, "%s failed: %s", #call,       \
                          cublasGetStatusString(df_e_));                                 \
  } while (0)

#define CUDNN_TRY(call)                                                                  \
  do {                                                                                   \
    cudnnStatus_t df_e_ = (call);                                                        \
    if (df_e_ != CUDNN_STATUS_SUCCESS)                                                   \
      return df_set_call_error(DF_ERR_CUDA, __FILE__, __LINE__, "%s failed: %s", #call,       \
                          cudnnGetErrorString(df_e_));                                   \
  } while (0)

#define CUFFT_TRY(call)                                                                  \
  do {                                                                                   \
    cufftResult df_e_ = (call);                                                          \
    if (df_e_ != CUFFT_SUCCESS)                                                          \
      return df_set_call_error(DF_ERR_CUDA, __FILE__, __LINE__, "%s failed: cufft error %d",  \
                          #call, (int)df_e_);                                            \
  } while (0)

/* After a kernel launch: reports launch-configuration errors at once (execution errors
 * surface at the next synchronising call, which is checked too). */
#define CUDA_LAUNCH_TRY() CUDA_TRY(cudaGetLastError())

/* The stream every drumforge kernel and library call runs on. */
cudaStream_t df_cuda_stream(void);
cublasHandle_t df_cublas(void);
cudnnHandle_t df_cudnn(void);

/* Device scratch memory from the caching allocator (for workspaces). */
df_status df_cuda_alloc(size_t bytes, void **ptr);
void df_cuda_release(void *ptr);

/* The shared library workspace (cuDNN, reduction partials): one grow-only device buffer, not
 * zeroed, valid until the next call. Safe without synchronisation because every user runs on
 * the one stream: request it once per op with the total size the op needs. */
df_status df_cuda_workspace(size_t bytes, void **ptr);

/* Grid size for n elements with `threads` per block, capped for grid-stride loops. */
static inline unsigned df_grid(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks > 65535 * 8) blocks = 65535 * 8;
  return (unsigned)(blocks > 0 ? blocks : 1);
}

#define DF_GRID_STRIDE(i, n)                                                          \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);           \
       i += (int64_t)blockDim.x * gridDim.x)

/* The same loop with index type I. Kernels that divide indices (to find a row or a channel)
 * are templates over I and run with int32_t when the size allows, because 64-bit division
 * costs several times more than 32-bit on the GPU. The bound leaves room for the last
 * stride so that the 32-bit index never overflows. */
#define DF_GRID_STRIDE_T(I, i, n)                                                     \
  for (I i = (I)blockIdx.x * (I)blockDim.x + (I)threadIdx.x; i < (I)(n);              \
       i += (I)blockDim.x * (I)gridDim.x)
#define DF_INT32_INDEX_MAX (INT64_C(1) << 30)

/* Launch kernel<I> on the stream with a grid-stride grid for n elements, I = int32_t when
 * bound (the largest element count of any tensor the kernel indexes) allows, and check the
 * launch. */
#define DF_LAUNCH_INDEXED(kernel, n, bound, threads, ...)                                   \
  do {                                                                                  \
    if ((int64_t)(bound) <= DF_INT32_INDEX_MAX)                                         \
      kernel<int32_t><<<df_grid((n), (threads)), (threads), 0, df_cuda_stream()>>>(__VA_ARGS__); \
    else                                                                                \
      kernel<int64_t><<<df_grid((n), (threads)), (threads), 0, df_cuda_stream()>>>(__VA_ARGS__); \
    CUDA_LAUNCH_TRY();                                                                  \
  } while (0)

/* Deterministic sums inside a block: a fixed shuffle tree in each warp, then the first warp
 * over the warp sums, so the result depends only on the values and blockDim (a multiple of
 * 32), never on scheduling. Every thread of the block must call it; thread 0 gets the sum. */
template <typename T>
__device__ __forceinline__ T df_warp_sum(T v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

template <typename T>
__device__ T df_block_sum(T v) {
  __shared__ T warp_sums[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = df_warp_sum(v);
  __syncthreads(); /* a previous call's readers are done with warp_sums */
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = (int)threadIdx.x < (int)(blockDim.x >> 5) ? warp_sums[threadIdx.x] : T(0);
  if (warp == 0) v = df_warp_sum(v);
  return v;
}

#endif
