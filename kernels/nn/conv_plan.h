/* cuDNN convolution plans: descriptors and algorithms cached per geometry and math mode.
 *
 * A geometry is one cross-correlation (PyTorch's convolution) from an input [n, c, h, w]
 * through a filter [k, c, kh, kw] to an output [n, k, oh, ow] with symmetric zero padding.
 * conv2d uses it with in = x, out = y; the transposed conv2d is the same geometry read
 * backwards (in = y, out = x, the filter [Cin, Cout, kh, kw] as it is stored), so its forward
 * is cuDNN's backward data and its backward data is cuDNN's forward. */
#ifndef DF_KERNELS_NN_CONV_PLAN_H
#define DF_KERNELS_NN_CONV_PLAN_H

#include "nn_cuda.h"

typedef struct df_conv_geometry {
  int n, c, h, w;  /* input */
  int k, kh, kw;   /* filter: k output channels */
  int oh, ow;      /* output */
  int sh, sw, ph, pw;
} df_conv_geometry;

/* out = conv(in, filter)                  (overwrites out) */
df_status df_cudnn_conv_forward(const df_conv_geometry *g, const float *in,
                                const float *filter, float *out);
/* in_grad = conv^T(out_grad, filter)       (overwrites in_grad) */
df_status df_cudnn_conv_backward_data(const df_conv_geometry *g, const float *filter,
                                      const float *out_grad, float *in_grad);
/* filter_grad += corr(in, out_grad)         (accumulates) */
df_status df_cudnn_conv_backward_filter(const df_conv_geometry *g, const float *in,
                                        const float *out_grad, float *filter_grad);

/* Destroys every cached plan (df_runtime_shutdown); later calls build them again. */
void df_cuda_conv_plans_free(void);

#endif
