/* The CUDA implementations of the spectrogram arithmetic entries of df_dsp_backend. */
#ifndef DF_KERNELS_DSP_SPEC_CUDA_CUH
#define DF_KERNELS_DSP_SPEC_CUDA_CUH

#include "../cuda_common.h"
#include "dsp/dsp_backend.h"

extern "C" {
df_status df_cuda_bin_matmul(const df_tensor *w, const df_tensor *x, int nonneg, df_tensor *y);
df_status df_cuda_map(df_spec_map op, float a, float b, float c, const df_tensor *x,
                      df_tensor *y);
df_status df_cuda_floor_below_max(df_tensor *y, float range);
df_status df_cuda_minmax_normalize(const df_tensor *x, df_tensor *y, df_tensor *lo,
                                   df_tensor *hi);
df_status df_cuda_minmax_denormalize(const df_tensor *y, const df_tensor *lo,
                                     const df_tensor *hi, df_tensor *x);
df_status df_cuda_minmax_range_update(df_tensor *stats, const df_tensor *lo, const df_tensor *hi,
                                      const df_tensor *classes);
df_status df_cuda_bin_sums(const df_tensor *x, double *sum, double *sum_sq);
df_status df_cuda_bin_normalize(const df_tensor *mean, const df_tensor *std, float n_std,
                                int inverse, const df_tensor *x, df_tensor *y);
}

#endif
