/* The op library's backend table. The dispatch functions in src/ops/ have already checked
 * dtypes, shapes and devices, so implementations may assume valid, contiguous fp32 tensors
 * on their own device. 1-D convolutions and upsampling reach the backend as their 2-D
 * forms with H = 1 (a reshape, no copy), so each backend implements them once. */
#ifndef DF_OPS_NN_BACKEND_H
#define DF_OPS_NN_BACKEND_H

#include <stdint.h>

#include "drumforge/ops.h"
#include "drumforge/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum df_binary_op { DF_BINARY_ADD = 0, DF_BINARY_SUB, DF_BINARY_MUL } df_binary_op;

typedef struct df_nn_backend {
  df_status (*dense_forward)(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                             df_tensor *y);
  df_status (*dense_backward)(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                              df_tensor *dx, df_tensor *dw, df_tensor *db);

  /* 2-D convolution, 4-D tensors (1-D arrives with H = 1). */
  df_status (*conv2d_forward)(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                              const int stride[2], const int pad[2], df_tensor *y);
  df_status (*conv2d_backward)(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                               const int stride[2], const int pad[2], df_tensor *dx,
                               df_tensor *dw, df_tensor *db);
  df_status (*conv_transpose2d_forward)(const df_tensor *x, const df_tensor *w,
                                        const df_tensor *b, const int stride[2],
                                        const int pad[2], df_tensor *y);
  df_status (*conv_transpose2d_backward)(const df_tensor *x, const df_tensor *w,
                                         const df_tensor *dy, const int stride[2],
                                         const int pad[2], df_tensor *dx, df_tensor *dw,
                                         df_tensor *db);

  /* Batch norm; x is viewed as [N, C, S] (S = product of spatial dims). */
  df_status (*batchnorm_forward_train)(const df_tensor *x, const df_tensor *gamma,
                                       const df_tensor *beta, df_tensor *running_mean,
                                       df_tensor *running_var, float momentum, float eps,
                                       df_tensor *y, df_tensor *save_mean,
                                       df_tensor *save_invstd);
  df_status (*batchnorm_forward_infer)(const df_tensor *x, const df_tensor *gamma,
                                       const df_tensor *beta, const df_tensor *running_mean,
                                       const df_tensor *running_var, float eps, df_tensor *y);
  df_status (*batchnorm_backward)(const df_tensor *x, const df_tensor *gamma,
                                  const df_tensor *dy, const df_tensor *save_mean,
                                  const df_tensor *save_invstd, df_tensor *dx,
                                  df_tensor *dgamma, df_tensor *dbeta);

  df_status (*activation_forward)(df_activation act, float param, const df_tensor *x,
                                  df_tensor *y);
  df_status (*activation_backward)(df_activation act, float param, const df_tensor *y,
                                   const df_tensor *dy, df_tensor *dx);

  df_status (*reflect_pad1d_forward)(const df_tensor *x, int left, int right, df_tensor *y);
  df_status (*reflect_pad1d_backward)(const df_tensor *dy, int left, int right, df_tensor *dx);
  df_status (*phase_shuffle_forward)(const df_tensor *x, const int *shifts, df_tensor *y);
  df_status (*phase_shuffle_backward)(const df_tensor *dy, const int *shifts, df_tensor *dx);

  /* 4-D tensors (1-D arrives with H = 1, fh = 1). */
  df_status (*upsample_nearest2d_forward)(const df_tensor *x, int fh, int fw, df_tensor *y);
  df_status (*upsample_nearest2d_backward)(const df_tensor *dy, int fh, int fw, df_tensor *dx);

  df_status (*reduce_forward)(df_reduce r, const df_tensor *x, df_tensor *y);
  df_status (*reduce_backward)(df_reduce r, const df_tensor *x, const df_tensor *y,
                               const df_tensor *dy, df_tensor *dx);

  df_status (*binary)(df_binary_op op, const df_tensor *a, const df_tensor *b, df_tensor *y);
  df_status (*scale)(const df_tensor *x, float alpha, df_tensor *y);
  df_status (*axpby)(float alpha, const df_tensor *x, float beta, df_tensor *y);
  df_status (*fill)(df_tensor *t, float value);
  df_status (*mul_backward)(const df_tensor *a, const df_tensor *b, const df_tensor *dy,
                            df_tensor *da, df_tensor *db);
  df_status (*scale_per_example)(const df_tensor *x, const df_tensor *s, df_tensor *y);
  df_status (*scale_per_example_backward)(const df_tensor *x, const df_tensor *s,
                                          const df_tensor *dy, df_tensor *dx, df_tensor *ds);
  df_status (*count_nonfinite)(const df_tensor *x, int64_t *count);
  df_status (*sum_squares)(const df_tensor *x, double *out);

  df_status (*adam_step)(const df_adam_config *cfg, int64_t step, df_tensor *param,
                         const df_tensor *grad, df_tensor *m, df_tensor *v);

  /* Bands of the last dim; rows = numel / last dim of each (equal). */
  df_status (*copy_band)(const df_tensor *src, int64_t src_col, df_tensor *dst, int64_t dst_col,
                         int64_t count);
  df_status (*embedding_forward)(const df_tensor *table, const df_tensor *ids, df_tensor *out);
  df_status (*embedding_backward)(const df_tensor *ids, const df_tensor *dout, df_tensor *dtable);
} df_nn_backend;

const df_nn_backend *df_cpu_nn_backend(void);

#ifdef __cplusplus
}
#endif
#endif
