/* The CPU op table: plain C with OpenMP, OpenBLAS for the GEMMs (dense, im2col convolutions). */
#include "ops/cpu/nn_cpu.h"

const df_nn_backend *df_cpu_nn_backend(void) {
  static const df_nn_backend table = {
      .dense_forward = df_cpu_dense_forward,
      .dense_backward = df_cpu_dense_backward,
      .conv2d_forward = df_cpu_conv2d_forward,
      .conv2d_backward = df_cpu_conv2d_backward,
      .conv_transpose2d_forward = df_cpu_conv_transpose2d_forward,
      .conv_transpose2d_backward = df_cpu_conv_transpose2d_backward,
      .batchnorm_forward_train = df_cpu_batchnorm_forward_train,
      .batchnorm_forward_infer = df_cpu_batchnorm_forward_infer,
      .batchnorm_backward = df_cpu_batchnorm_backward,
      .activation_forward = df_cpu_activation_forward,
      .activation_backward = df_cpu_activation_backward,
      .reflect_pad1d_forward = df_cpu_reflect_pad1d_forward,
      .reflect_pad1d_backward = df_cpu_reflect_pad1d_backward,
      .phase_shuffle_forward = df_cpu_phase_shuffle_forward,
      .phase_shuffle_backward = df_cpu_phase_shuffle_backward,
      .upsample_nearest2d_forward = df_cpu_upsample_nearest2d_forward,
      .upsample_nearest2d_backward = df_cpu_upsample_nearest2d_backward,
      .reduce_forward = df_cpu_reduce_forward,
      .reduce_backward = df_cpu_reduce_backward,
      .binary = df_cpu_binary,
      .scale = df_cpu_scale,
      .axpby = df_cpu_axpby,
      .fill = df_cpu_fill,
      .mul_backward = df_cpu_mul_backward,
      .scale_per_example = df_cpu_scale_per_example,
      .scale_per_example_backward = df_cpu_scale_per_example_backward,
      .count_nonfinite = df_cpu_count_nonfinite,
      .sum_squares = df_cpu_sum_squares,
      .adam_step = df_cpu_adam_step,
      .copy_band = df_cpu_copy_band,
      .embedding_forward = df_cpu_embedding_forward,
      .embedding_backward = df_cpu_embedding_backward,
  };
  return &table;
}
