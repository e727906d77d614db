/* The CUDA op library's table (src/ops/nn_backend.h); the ops are in this folder, one file
 * per family. */
#include "nn_cuda.h"

static df_nn_backend make_table(void) {
  df_nn_backend t = {};
  t.dense_forward = df_cuda_dense_forward;
  t.dense_backward = df_cuda_dense_backward;
  t.conv2d_forward = df_cuda_conv2d_forward;
  t.conv2d_backward = df_cuda_conv2d_backward;
  t.conv_transpose2d_forward = df_cuda_conv_transpose2d_forward;
  t.conv_transpose2d_backward = df_cuda_conv_transpose2d_backward;
  t.batchnorm_forward_train = df_cuda_batchnorm_forward_train;
  t.batchnorm_forward_infer = df_cuda_batchnorm_forward_infer;
  t.batchnorm_backward = df_cuda_batchnorm_backward;
  t.activation_forward = df_cuda_activation_forward;
  t.activation_backward = df_cuda_activation_backward;
  t.reflect_pad1d_forward = df_cuda_reflect_pad1d_forward;
  t.reflect_pad1d_backward = df_cuda_reflect_pad1d_backward;
  t.phase_shuffle_forward = df_cuda_phase_shuffle_forward;
  t.phase_shuffle_backward = df_cuda_phase_shuffle_backward;
  t.upsample_nearest2d_forward = df_cuda_upsample_nearest2d_forward;
  t.upsample_nearest2d_backward = df_cuda_upsample_nearest2d_backward;
  t.reduce_forward = df_cuda_reduce_forward;
  t.reduce_backward = df_cuda_reduce_backward;
  t.binary = df_cuda_binary;
  t.scale = df_cuda_scale;
  t.axpby = df_cuda_axpby;
  t.fill = df_cuda_fill;
  t.mul_backward = df_cuda_mul_backward;
  t.scale_per_example = df_cuda_scale_per_example;
  t.scale_per_example_backward = df_cuda_scale_per_example_backward;
  t.count_nonfinite = df_cuda_count_nonfinite;
  t.sum_squares = df_cuda_sum_squares;
  t.adam_step = df_cuda_adam_step;
  t.copy_band = df_cuda_copy_band;
  t.embedding_forward = df_cuda_embedding_forward;
  t.embedding_backward = df_cuda_embedding_backward;
  return t;
}

extern "C" const df_nn_backend *df_cuda_nn_backend(void) {
  static const df_nn_backend table = make_table();
  return &table;
}
