/* The CPU implementations of the spectrogram arithmetic entries of df_dsp_backend. */
#ifndef DF_DSP_CPU_SPEC_CPU_H
#define DF_DSP_CPU_SPEC_CPU_H

#include "dsp/dsp_backend.h"

df_status df_cpu_bin_matmul(const df_tensor *w, const df_tensor *x, int nonneg, df_tensor *y);
df_status df_cpu_map(df_spec_map op, float a, float b, float c, const df_tensor *x,
                     df_tensor *y);
df_status df_cpu_floor_below_max(df_tensor *y, float range);
df_status df_cpu_minmax_normalize(const df_tensor *x, df_tensor *y, df_tensor *lo,
                                  df_tensor *hi);
df_status df_cpu_minmax_denormalize(const df_tensor *y, const df_tensor *lo, const df_tensor *hi,
                                    df_tensor *x);
df_status df_cpu_minmax_range_update(df_tensor *stats, const df_tensor *lo, const df_tensor *hi,
                                     const df_tensor *classes);
df_status df_cpu_bin_sums(const df_tensor *x, double *sum, double *sum_sq);
df_status df_cpu_bin_normalize(const df_tensor *mean, const df_tensor *std, float n_std,
                               int inverse, const df_tensor *x, df_tensor *y);

#endif
