/* The CUDA op library's entry points (one .cu per op family in kernels/nn/) and the helpers
 * they share. Semantics are those of include/drumforge/ops.h and optim.h; arguments have been
 * validated by src/ops/, so tensors are contiguous fp32 on the GPU. Everything runs on
 * df_cuda_stream() without host synchronisation, except the ops that return a host value
 * (count_nonfinite, sum_squares). */
#ifndef DF_KERNELS_NN_NN_CUDA_H
#define DF_KERNELS_NN_NN_CUDA_H

#include "../cuda_common.h"
#include "ops/nn_backend.h"

/* dense.cu */
df_status df_cuda_dense_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                                df_tensor *y);
df_status df_cuda_dense_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                                 df_tensor *dx, df_tensor *dw, df_tensor *db);

/* conv.cu */
df_status df_cuda_conv2d_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                                 const int stride[2], const int pad[2], df_tensor *y);
df_status df_cuda_conv2d_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                                  const int stride[2], const int pad[2], df_tensor *dx,
                                  df_tensor *dw, df_tensor *db);
df_status df_cuda_conv_transpose2d_forward(const df_tensor *x, const df_tensor *w,
                                           const df_tensor *b, const int stride[2],
                                           const int pad[2], df_tensor *y);
df_status df_cuda_conv_transpose2d_backward(const df_tensor *x, const df_tensor *w,
                                            const df_tensor *dy, const int stride[2],
                                            const int pad[2], df_tensor *dx, df_tensor *dw,
                                            df_tensor *db);

/* batchnorm.cu */
df_status df_cuda_batchnorm_forward_train(const df_tensor *x, const df_tensor *gamma,
                                          const df_tensor *beta, df_tensor *running_mean,
                                          df_tensor *running_var, float momentum, float eps,
                                          df_tensor *y, df_tensor *save_mean,
                                          df_tensor *save_invstd);
df_status df_cuda_batchnorm_forward_infer(const df_tensor *x, const df_tensor *gamma,
                                          const df_tensor *beta, const df_tensor *running_mean,
                                          const df_tensor *running_var, float eps, df_tensor *y);
df_status df_cuda_batchnorm_backward(const df_tensor *x, const df_tensor *gamma,
                                     const df_tensor *dy, const df_tensor *save_mean,
                                     const df_tensor *save_invstd, df_tensor *dx,
                                     df_tensor *dgamma, df_tensor *dbeta);

/* activation.cu */
df_status df_cuda_activation_forward(df_activation act, float param, const df_tensor *x,
                                     df_tensor *y);
df_status df_cuda_activation_backward(df_activation act, float param, const df_tensor *y,
                                      const df_tensor *dy, df_tensor *dx);

/* pad_shuffle.cu */
df_status df_cuda_reflect_pad1d_forward(const df_tensor *x, int left, int right, df_tensor *y);
df_status df_cuda_reflect_pad1d_backward(const df_tensor *dy, int left, int right,
                                         df_tensor *dx);
df_status df_cuda_phase_shuffle_forward(const df_tensor *x, const int *shifts, df_tensor *y);
df_status df_cuda_phase_shuffle_backward(const df_tensor *dy, const int *shifts, df_tensor *dx);

/* upsample.cu */
df_status df_cuda_upsample_nearest2d_forward(const df_tensor *x, int fh, int fw, df_tensor *y);
df_status df_cuda_upsample_nearest2d_backward(const df_tensor *dy, int fh, int fw,
                                              df_tensor *dx);

/* reduce.cu */
df_status df_cuda_reduce_forward(df_reduce r, const df_tensor *x, df_tensor *y);
df_status df_cuda_reduce_backward(df_reduce r, const df_tensor *x, const df_tensor *y,
                                  const df_tensor *dy, df_tensor *dx);
df_status df_cuda_scale_per_example_backward(const df_tensor *x, const df_tensor *s,
                                             const df_tensor *dy, df_tensor *dx,
                                             df_tensor *ds);
df_status df_cuda_count_nonfinite(const df_tensor *x, int64_t *count);
df_status df_cuda_sum_squares(const df_tensor *x, double *out);

/* elementwise.cu */
df_status df_cuda_binary(df_binary_op op, const df_tensor *a, const df_tensor *b, df_tensor *y);
df_status df_cuda_scale(const df_tensor *x, float alpha, df_tensor *y);
df_status df_cuda_axpby(float alpha, const df_tensor *x, float beta, df_tensor *y);
df_status df_cuda_fill(df_tensor *t, float value);
df_status df_cuda_mul_backward(const df_tensor *a, const df_tensor *b, const df_tensor *dy,
                               df_tensor *da, df_tensor *db);
df_status df_cuda_scale_per_example(const df_tensor *x, const df_tensor *s, df_tensor *y);

/* adam.cu */
df_status df_cuda_adam_step(const df_adam_config *cfg, int64_t step, df_tensor *param,
                            const df_tensor *grad, df_tensor *m, df_tensor *v);

/* bias.cu: the bias of dense and convolution layers on a [N, C, S] layout (S = 1 for dense).
 * y[n, c, s] += b[c];  db[c] += sum over n, s of dy[n, c, s] (deterministic, no atomics). */
df_status df_cuda_bias_add(float *y, const float *b, int64_t N, int64_t C, int64_t S);
df_status df_cuda_bias_grad(const float *dy, float *db, int64_t N, int64_t C, int64_t S);

/* Elements per channel of an [N, C, ...] tensor: the product of the dims after C. */
static inline int64_t df_spatial(const df_tensor *t) {
  int64_t s = 1;
  for (int i = 2; i < t->ndim; i++) s *= t->shape[i];
  return s;
}

static inline float *df_f32(df_tensor *t) { return t ? (float *)t->data : NULL; }
static inline const float *df_cf32(const df_tensor *t) {
  return t ? (const float *)t->data : NULL;
}

/* band.cu */
df_status df_cuda_copy_band(const df_tensor *src, int64_t src_col, df_tensor *dst, int64_t dst_col,
                            int64_t count);
df_status df_cuda_embedding_forward(const df_tensor *table, const df_tensor *ids, df_tensor *out);
df_status df_cuda_embedding_backward(const df_tensor *ids, const df_tensor *dout, df_tensor *dtable);

#endif
