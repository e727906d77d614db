/* The CPU DSP table (src/dsp/dsp_backend.h). */
#include "dsp/cpu/spec_cpu.h"
#include "dsp/cpu/stft_cpu.h"

const df_dsp_backend *df_cpu_dsp_backend(void) {
  static const df_dsp_backend table = {
      .plan_init = df_cpu_stft_plan_init,
      .plan_free = df_cpu_stft_plan_free,
      .stft = df_cpu_stft,
      .istft = df_cpu_istft,
      .griffinlim = df_cpu_griffinlim,
      .bin_matmul = df_cpu_bin_matmul,
      .map = df_cpu_map,
      .floor_below_max = df_cpu_floor_below_max,
      .minmax_normalize = df_cpu_minmax_normalize,
      .minmax_denormalize = df_cpu_minmax_denormalize,
      .minmax_range_update = df_cpu_minmax_range_update,
      .bin_sums = df_cpu_bin_sums,
      .bin_normalize = df_cpu_bin_normalize,
  };
  return &table;
}
