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
      return df_set_error(DF_ERR_CUDA, __FILE__, __LINE__, "%s failed: %s", #call,       \
                          cudaGetErrorString(df_e_));                                    \
  } while (0)

#define CUBLAS_TRY(call)                                                                 \
  do {                                                                                   \
    cublasStatus_t df_e_ = (call);                                                       \
    if (df_e_ != CUBLAS_STATUS_SUCCESS)                                                  \
      return df_set_error(DF_ERR_CUDA, __FILE__, __LINE__, "%s failed: %s", #call,       \
                          cublasGetStatusString(df_e_));                                 \
  } while (0)

#define CUDNN_TRY(call)                                                                  \
  do {                                                                                   \
    cudnnStatus_t df_e_ = (call);                                                        \
    if (df_e_ != CUDNN_STATUS_SUCCESS)                                                   \
      return df_set_error(DF_ERR_CUDA, __FILE__, __LINE__, "%s failed: %s", #call,       \
                          cudnnGetErrorString(df_e_));                                   \
  } while (0)

#define CUFFT_TRY(call)                                                                  \
  do {                                                                                   \
    cufftResult df_e_ = (call);                                                          \
    if (df_e_ != CUFFT_SUCCESS)                                                          \
      return df_set_error(DF_ERR_CUDA, __FILE__, __LINE__, "%s failed: cufft error %d",  \
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

/* Grid size for n elements with `threads` per block, capped for grid-stride loops. */
static inline unsigned df_grid(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks > 65535 * 8) blocks = 65535 * 8;
  return (unsigned)(blocks > 0 ? blocks : 1);
}

#define DF_GRID_STRIDE(i, n)                                                          \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);           \
       i += (int64_t)blockDim.x * gridDim.x)

#endif
