/* The CUDA DSP table (src/dsp/dsp_backend.h). */
#include "spec_cuda.cuh"
#include "stft_cuda.cuh"

extern "C" const df_dsp_backend *df_cuda_dsp_backend(void) {
  static df_dsp_backend table;
  if (!table.plan_init) {
    table.plan_free = df_cuda_stft_plan_free;
    table.stft = df_cuda_stft;
    table.istft = df_cuda_istft;
    table.griffinlim = df_cuda_griffinlim;
    table.bin_matmul = df_cuda_bin_matmul;
    table.map = df_cuda_map;
    table.floor_below_max = df_cuda_floor_below_max;
    table.minmax_normalize = df_cuda_minmax_normalize;
    table.minmax_denormalize = df_cuda_minmax_denormalize;
    table.minmax_range_update = df_cuda_minmax_range_update;
    table.bin_sums = df_cuda_bin_sums;
    table.bin_normalize = df_cuda_bin_normalize;
    table.plan_init = df_cuda_stft_plan_init; /* last: marks the table filled */
  }
  return &table;
}
