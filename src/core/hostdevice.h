/* DF_HD marks small pure functions shared verbatim by the CPU code and the CUDA kernels, so
 * both devices run the same arithmetic. */
#ifndef DF_CORE_HOSTDEVICE_H
#define DF_CORE_HOSTDEVICE_H

#ifdef __CUDACC__
#define DF_HD __host__ __device__ __forceinline__
#else
#define DF_HD static inline
#endif

#endif
