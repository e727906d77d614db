/* The CPU op library: the functions behind df_cpu_nn_backend() (one file per op family) and
 * the helpers they share. Arguments were checked by the dispatch layer (src/ops/). */
#ifndef DF_OPS_CPU_NN_CPU_H
#define DF_OPS_CPU_NN_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "ops/nn_backend.h"

/* ---- shared helpers ---- */

/* Per-thread scratch memory, grown on demand and kept for the next call (the convolutions'
 * im2col columns). NULL with an error recorded when the allocation fails. Callers keep
 * their requests under DF_CPU_WORKSPACE_FLOATS unless a single example needs more. */
#define DF_CPU_WORKSPACE_FLOATS ((size_t)8 << 20) /* 32 MiB */
float *df_cpu_workspace(size_t floats);
/* Frees the calling thread's workspace (other threads' are freed when they exit). */
void df_cpu_workspace_release(void);

/* Row-major C = alpha op(A) op(B) + beta C (op = transpose when trans_* is set), split
 * across the OpenMP threads with OpenBLAS single-threaded inside (see gemm_cpu.c). All CPU
 * ops call OpenBLAS through this. */
void df_cpu_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                  float *c, int64_t ldc);

/* y[n, c, s] += b[c] for y viewed as [n, c, s]. */
void df_cpu_add_channel_bias(float *y, const float *b, int64_t n, int64_t c, int64_t s);
/* db[c] += sum over n and s of dy[n, c, s], accumulated in double in a fixed order. */
void df_cpu_channel_sum(const float *dy, float *db, int64_t n, int64_t c, int64_t s);

/* ---- the table's entries ---- */

df_status df_cpu_dense_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                               df_tensor *y);
df_status df_cpu_dense_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                                df_tensor *dx, df_tensor *dw, df_tensor *db);

df_status df_cpu_conv2d_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                                const int stride[2], const int pad[2], df_tensor *y);
df_status df_cpu_conv2d_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                                 const int stride[2], const int pad[2], df_tensor *dx,
                                 df_tensor *dw, df_tensor *db);
df_status df_cpu_conv_transpose2d_forward(const df_tensor *x, const df_tensor *w,
                                          const df_tensor *b, const int stride[2],
                                          const int pad[2], df_tensor *y);
df_status df_cpu_conv_transpose2d_backward(const df_tensor *x, const df_tensor *w,
                                           const df_tensor *dy, const int stride[2],
                                           const int pad[2], df_tensor *dx, df_tensor *dw,
                                           df_tensor *db);

df_status df_cpu_batchnorm_forward_train(const df_tensor *x, const df_tensor *gamma,
                                         const df_tensor *beta, df_tensor *running_mean,
                                         df_tensor *running_var, float momentum, float eps,
                                         df_tensor *y, df_tensor *save_mean,
                                         df_tensor *save_invstd);
df_status df_cpu_batchnorm_forward_infer(const df_tensor *x, const df_tensor *gamma,
                                         const df_tensor *beta, const df_tensor *running_mean,
                                         const df_tensor *running_var, float eps, df_tensor *y);
df_status df_cpu_batchnorm_backward(const df_tensor *x, const df_tensor *gamma,
                                    const df_tensor *dy, const df_tensor *save_mean,
                                    const df_tensor *save_invstd, df_tensor *dx,
                                    df_tensor *dgamma, df_tensor *dbeta);

df_status df_cpu_activation_forward(df_activation act, float param, const df_tensor *x,
                                    df_tensor *y);
df_status df_cpu_activation_backward(df_activation act, float param, const df_tensor *y,
                                     const df_tensor *dy, df_tensor *dx);

df_status df_cpu_reflect_pad1d_forward(const df_tensor *x, int left, int right, df_tensor *y);
df_status df_cpu_reflect_pad1d_backward(const df_tensor *dy, int left, int right,
                                        df_tensor *dx);
df_status df_cpu_phase_shuffle_forward(const df_tensor *x, const int *shifts, df_tensor *y);
df_status df_cpu_phase_shuffle_backward(const df_tensor *dy, const int *shifts, df_tensor *dx);

df_status df_cpu_upsample_nearest2d_forward(const df_tensor *x, int fh, int fw, df_tensor *y);
df_status df_cpu_upsample_nearest2d_backward(const df_tensor *dy, int fh, int fw,
                                             df_tensor *dx);

df_status df_cpu_reduce_forward(df_reduce r, const df_tensor *x, df_tensor *y);
df_status df_cpu_reduce_backward(df_reduce r, const df_tensor *x, const df_tensor *y,
                                 const df_tensor *dy, df_tensor *dx);

df_status df_cpu_binary(df_binary_op op, const df_tensor *a, const df_tensor *b, df_tensor *y);
df_status df_cpu_scale(const df_tensor *x, float alpha, df_tensor *y);
df_status df_cpu_axpby(float alpha, const df_tensor *x, float beta, df_tensor *y);
df_status df_cpu_fill(df_tensor *t, float value);
df_status df_cpu_mul_backward(const df_tensor *a, const df_tensor *b, const df_tensor *dy,
                              df_tensor *da, df_tensor *db);
df_status df_cpu_scale_per_example(const df_tensor *x, const df_tensor *s, df_tensor *y);
df_status df_cpu_scale_per_example_backward(const df_tensor *x, const df_tensor *s,
                                            const df_tensor *dy, df_tensor *dx, df_tensor *ds);
df_status df_cpu_count_nonfinite(const df_tensor *x, int64_t *count);
df_status df_cpu_sum_squares(const df_tensor *x, double *out);

df_status df_cpu_adam_step(const df_adam_config *cfg, int64_t step, df_tensor *param,
                           const df_tensor *grad, df_tensor *m, df_tensor *v);

df_status df_cpu_copy_band(const df_tensor *src, int64_t src_col, df_tensor *dst, int64_t dst_col,
                           int64_t count);
df_status df_cpu_embedding_forward(const df_tensor *table, const df_tensor *ids, df_tensor *out);
df_status df_cpu_embedding_backward(const df_tensor *ids, const df_tensor *dout, df_tensor *dtable);

#endif
