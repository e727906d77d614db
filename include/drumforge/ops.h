/* The op library. Every op has a forward and a backward, a CPU implementation (the readable
 * reference) and a CUDA implementation using the same algorithm; the call dispatches on the
 * device of its tensors, which must all be on the same device.
 *
 * Conventions (PyTorch layouts, so fixtures and exported weights map one to one):
 *  - activations are [N, C, L] (1-D) or [N, C, H, W] (2-D), fp32, contiguous;
 *  - backward functions OVERWRITE input gradients (dx) and ACCUMULATE (+=) parameter
 *    gradients (dw, db, dgamma, dbeta), so several backward passes can add into one set of
 *    weight gradients; zero them before a step. Any gradient pointer may be NULL to skip it;
 *  - output tensors are allocated by the caller with the shape documented for the op;
 *    mismatches are DF_ERR_INVALID_ARG naming the tensor. */
#ifndef DRUMFORGE_OPS_H
#define DRUMFORGE_OPS_H

#include "drumforge/status.h"
#include "drumforge/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- dense: x [N, in], w [out, in], b [out] or NULL -> y [N, out];  y = x w^T + b ---- */
df_status df_dense_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                           df_tensor *y);
df_status df_dense_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                            df_tensor *dx, df_tensor *dw, df_tensor *db);

/* ---- conv1d: x [N, Cin, L], w [Cout, Cin, K], b [Cout] or NULL -> y [N, Cout, Lout],
 * Lout = (L + 2 pad - K) / stride + 1 (zero padding on both sides, PyTorch semantics). */
df_status df_conv1d_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                            int stride, int pad, df_tensor *y);
df_status df_conv1d_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                             int stride, int pad, df_tensor *dx, df_tensor *dw, df_tensor *db);

/* ---- transposed conv1d (the adjoint of conv1d): x [N, Cin, L], w [Cin, Cout, K],
 * b [Cout] or NULL -> y [N, Cout, Lout], Lout = (L - 1) stride - 2 pad + K + out_pad where
 * out_pad in [0, stride) is implied by y's length (PyTorch's output_padding). */
df_status df_conv_transpose1d_forward(const df_tensor *x, const df_tensor *w,
                                      const df_tensor *b, int stride, int pad, df_tensor *y);
df_status df_conv_transpose1d_backward(const df_tensor *x, const df_tensor *w,
                                       const df_tensor *dy, int stride, int pad, df_tensor *dx,
                                       df_tensor *dw, df_tensor *db);

/* ---- conv2d: x [N, Cin, H, W], w [Cout, Cin, KH, KW] -> y [N, Cout, Hout, Wout] with
 * stride = {sh, sw}, pad = {ph, pw}; transposed: w [Cin, Cout, KH, KW], output padding
 * implied by y's shape as in 1-D. */
df_status df_conv2d_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                            const int stride[2], const int pad[2], df_tensor *y);
df_status df_conv2d_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                             const int stride[2], const int pad[2], df_tensor *dx, df_tensor *dw,
                             df_tensor *db);
df_status df_conv_transpose2d_forward(const df_tensor *x, const df_tensor *w,
                                      const df_tensor *b, const int stride[2],
                                      const int pad[2], df_tensor *y);
df_status df_conv_transpose2d_backward(const df_tensor *x, const df_tensor *w,
                                       const df_tensor *dy, const int stride[2],
                                       const int pad[2], df_tensor *dx, df_tensor *dw,
                                       df_tensor *db);

/* ---- batch norm over (N, spatial) per channel: x [N, C, ...], gamma/beta [C].
 * Training: normalises with the batch's biased variance, updates the running statistics
 * (running = (1 - momentum) running + momentum batch, running_var with the unbiased batch
 * variance, as PyTorch) when they are non-NULL, and stores mean and 1/sqrt(var + eps) [C]
 * for the backward. Inference: uses the running statistics. */
df_status df_batchnorm_forward_train(const df_tensor *x, const df_tensor *gamma,
                                     const df_tensor *beta, df_tensor *running_mean,
                                     df_tensor *running_var, float momentum, float eps,
                                     df_tensor *y, df_tensor *save_mean, df_tensor *save_invstd);
df_status df_batchnorm_forward_infer(const df_tensor *x, const df_tensor *gamma,
                                     const df_tensor *beta, const df_tensor *running_mean,
                                     const df_tensor *running_var, float eps, df_tensor *y);
df_status df_batchnorm_backward(const df_tensor *x, const df_tensor *gamma, const df_tensor *dy,
                                const df_tensor *save_mean, const df_tensor *save_invstd,
                                df_tensor *dx, df_tensor *dgamma, df_tensor *dbeta);

/* ---- activations (any shape). y may alias x. The backward needs only the output y
 * (LeakyReLU requires slope > 0) and dx may alias dy. param: LeakyReLU slope, ELU alpha. */
typedef enum df_activation {
  DF_ACT_IDENTITY = 0,
  DF_ACT_RELU,
  DF_ACT_LEAKY_RELU,
  DF_ACT_TANH,
  DF_ACT_SIGMOID,
  DF_ACT_ELU
} df_activation;
df_status df_activation_forward(df_activation act, float param, const df_tensor *x,
                                df_tensor *y);
df_status df_activation_backward(df_activation act, float param, const df_tensor *y,
                                 const df_tensor *dy, df_tensor *dx);
/* Name <-> enum ("relu", "leaky_relu", "tanh", "sigmoid", "elu", "identity"). */
const char *df_activation_name(df_activation act);
df_status df_parse_activation(const char *name, df_activation *out);

/* ---- reflect padding of the last dim: x [..., L] -> y [..., left + L + right];
 * left, right < L (no edge repeat, as numpy/PyTorch "reflect"). */
df_status df_reflect_pad1d_forward(const df_tensor *x, int left, int right, df_tensor *y);
df_status df_reflect_pad1d_backward(const df_tensor *dy, int left, int right, df_tensor *dx);

/* ---- phase shuffle (WaveGAN): x, y [N, C, L]; example n is shifted by shifts[n] (host
 * array, |shift| < L): y[n, c, t] = x[n, c, r(t - k)] with r reflecting at both ends. The
 * official code draws one shift per call for the whole batch: pass it N times. */
df_status df_phase_shuffle_forward(const df_tensor *x, const int *shifts, df_tensor *y);
df_status df_phase_shuffle_backward(const df_tensor *dy, const int *shifts, df_tensor *dx);

/* ---- nearest-neighbour upsampling: [N, C, L] -> [N, C, L f];  [N, C, H, W] -> [N, C, H fh, W fw] */
df_status df_upsample_nearest1d_forward(const df_tensor *x, int factor, df_tensor *y);
df_status df_upsample_nearest1d_backward(const df_tensor *dy, int factor, df_tensor *dx);
df_status df_upsample_nearest2d_forward(const df_tensor *x, int fh, int fw, df_tensor *y);
df_status df_upsample_nearest2d_backward(const df_tensor *dy, int fh, int fw, df_tensor *dx);

/* ---- per-example reductions over every dim but the first: x [N, ...] -> y [N].
 * L2 is sqrt(sum x^2); its backward at a zero vector is zero. The backward reads the forward's
 * output y only for L2 (y may be NULL for sum and mean). */
typedef enum df_reduce { DF_REDUCE_SUM = 0, DF_REDUCE_MEAN, DF_REDUCE_L2 } df_reduce;
df_status df_reduce_per_example_forward(df_reduce r, const df_tensor *x, df_tensor *y);
df_status df_reduce_per_example_backward(df_reduce r, const df_tensor *x, const df_tensor *y,
                                         const df_tensor *dy, df_tensor *dx);

/* ---- elementwise (same shapes; outputs may alias inputs) ---- */
df_status df_add(const df_tensor *a, const df_tensor *b, df_tensor *y);      /* y = a + b */
df_status df_sub(const df_tensor *a, const df_tensor *b, df_tensor *y);      /* y = a - b */
df_status df_mul(const df_tensor *a, const df_tensor *b, df_tensor *y);      /* y = a * b */
df_status df_scale(const df_tensor *x, float alpha, df_tensor *y);           /* y = alpha x */
df_status df_axpby(float alpha, const df_tensor *x, float beta, df_tensor *y); /* y = alpha x + beta y */
df_status df_fill(df_tensor *t, float value);
/* Backward of y = a * b: da = dy * b, db = dy * a (either may be NULL). The backward of add,
 * sub and scale are copies and scalings: use df_tensor_copy / df_scale. */
df_status df_mul_backward(const df_tensor *a, const df_tensor *b, const df_tensor *dy,
                          df_tensor *da, df_tensor *db);
/* Per-example scaling: x [N, ...], s [N] -> y[n, ...] = s[n] x[n, ...]. Backward:
 * dx = s dy (df_scale_per_example again) and ds[n] = sum(dy[n] x[n]) (accumulated). */
df_status df_scale_per_example(const df_tensor *x, const df_tensor *s, df_tensor *y);
df_status df_scale_per_example_backward(const df_tensor *x, const df_tensor *s,
                                        const df_tensor *dy, df_tensor *dx, df_tensor *ds);
/* Count of non-finite (NaN or Inf) elements. */
df_status df_count_nonfinite(const df_tensor *x, int64_t *count);
/* Sum of squares in double precision, in a fixed order (deterministic on every device). */
df_status df_sum_squares(const df_tensor *x, double *out);

/* ---- copies of bands of the last dim: for every row r (all leading dims flattened, the same
 * count in src and dst), dst[r, dst_col + j] = src[r, src_col + j] for j < count. Joining,
 * splitting and cropping along the last dim; each one's backward is the copy the other way
 * (into a zeroed gradient where the forward dropped columns). */
df_status df_copy_band(const df_tensor *src, int64_t src_col, df_tensor *dst, int64_t dst_col,
                       int64_t count);

/* ---- embeddings: table [classes, F], ids [N] int32 (same device) -> out [N, F] = table[ids].
 * The backward accumulates dtable[c] += sum of dout rows with id c, in row order
 * (deterministic). An id outside [0, classes) is DF_ERR_INVALID_ARG on the CPU; the GPU
 * cannot report it without a synchronisation, so it gives a zero row and adds nothing:
 * callers validate class ids on the host before uploading them. */
df_status df_embedding_forward(const df_tensor *table, const df_tensor *ids, df_tensor *out);
df_status df_embedding_backward(const df_tensor *ids, const df_tensor *dout, df_tensor *dtable);

#ifdef __cplusplus
}
#endif
#endif
