/* conv2d and transposed conv2d (1-D arrives with H = 1) on cuDNN, plus the bias.
 *
 *   conv2d:            y  = conv(x, w)          geometry in = x, out = y, filter w [Cout, Cin]
 *                      dx = conv^T(dy, w)       cuDNN backward data
 *                      dw += corr(x, dy)        cuDNN backward filter (beta = 1)
 *   transposed conv2d: geometry in = y, out = x, filter w [Cin, Cout] as stored, so that
 *                      y  = conv^T(x, w)        cuDNN backward data (output padding: y's shape)
 *                      dx = conv(dy, w)         cuDNN forward
 *                      dw += corr(dy, x)        cuDNN backward filter, x and dy swapped */
#include <limits.h>

#include "conv_plan.h"

/* The geometry from the conv input `in`, the filter and the conv output `out`. */
static df_status geometry(const df_tensor *in, const df_tensor *w, const df_tensor *out,
                          const int stride[2], const int pad[2], df_conv_geometry *g) {
  const df_tensor *ts[3] = {in, w, out};
  for (int i = 0; i < 3; i++) {
    if (df_tensor_numel(ts[i]) > INT_MAX)
      return DF_FAIL(DF_ERR_UNSUPPORTED,
                     "convolution: tensor '%s' has %lld elements, more than cuDNN's 2^31 - 1",
                     ts[i]->name, (long long)df_tensor_numel(ts[i]));
  }
  g->n = (int)in->shape[0];
  g->c = (int)in->shape[1];
  g->h = (int)in->shape[2];
  g->w = (int)in->shape[3];
  g->k = (int)w->shape[0];
  g->kh = (int)w->shape[2];
  g->kw = (int)w->shape[3];
  g->oh = (int)out->shape[2];
  g->ow = (int)out->shape[3];
  g->sh = stride[0];
  g->sw = stride[1];
  g->ph = pad[0];
  g->pw = pad[1];
  return DF_OK;
}

df_status df_cuda_conv2d_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                                 const int stride[2], const int pad[2], df_tensor *y) {
  if (df_tensor_numel(y) == 0) return DF_OK;
  df_conv_geometry g;
  DF_TRY(geometry(x, w, y, stride, pad, &g));
  DF_TRY(df_cudnn_conv_forward(&g, df_cf32(x), df_cf32(w), df_f32(y)));
  if (b) DF_TRY(df_cuda_bias_add(df_f32(y), df_cf32(b), y->shape[0], y->shape[1], df_spatial(y)));
  return DF_OK;
}

df_status df_cuda_conv2d_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                                  const int stride[2], const int pad[2], df_tensor *dx,
                                  df_tensor *dw, df_tensor *db) {
  if (df_tensor_numel(x) == 0 || df_tensor_numel(dy) == 0) {
    /* Nothing flows: dx is overwritten with zeros, dw and db are left as they are. */
    return dx ? df_cuda_fill(dx, 0.0f) : DF_OK;
  }
  df_conv_geometry g;
  DF_TRY(geometry(x, w, dy, stride, pad, &g));
  if (dx) DF_TRY(df_cudnn_conv_backward_data(&g, df_cf32(w), df_cf32(dy), df_f32(dx)));
  if (dw) DF_TRY(df_cudnn_conv_backward_filter(&g, df_cf32(x), df_cf32(dy), df_f32(dw)));
  if (db) DF_TRY(df_cuda_bias_grad(df_cf32(dy), df_f32(db), dy->shape[0], dy->shape[1], df_spatial(dy)));
  return DF_OK;
}

df_status df_cuda_conv_transpose2d_forward(const df_tensor *x, const df_tensor *w,
                                           const df_tensor *b, const int stride[2],
                                           const int pad[2], df_tensor *y) {
  if (df_tensor_numel(y) == 0) return DF_OK;
  if (df_tensor_numel(x) == 0) { /* then only the bias */
    DF_TRY(df_cuda_fill(y, 0.0f));
  } else {
    df_conv_geometry g;
    DF_TRY(geometry(y, w, x, stride, pad, &g));
    DF_TRY(df_cudnn_conv_backward_data(&g, df_cf32(w), df_cf32(x), df_f32(y)));
  }
  if (b) DF_TRY(df_cuda_bias_add(df_f32(y), df_cf32(b), y->shape[0], y->shape[1], df_spatial(y)));
  return DF_OK;
}

df_status df_cuda_conv_transpose2d_backward(const df_tensor *x, const df_tensor *w,
                                            const df_tensor *dy, const int stride[2],
                                            const int pad[2], df_tensor *dx, df_tensor *dw,
                                            df_tensor *db) {
  if (df_tensor_numel(x) == 0 || df_tensor_numel(dy) == 0)
    return dx ? df_cuda_fill(dx, 0.0f) : DF_OK;
  df_conv_geometry g;
  DF_TRY(geometry(dy, w, x, stride, pad, &g));
  if (dx) DF_TRY(df_cudnn_conv_forward(&g, df_cf32(dy), df_cf32(w), df_f32(dx)));
  if (dw) DF_TRY(df_cudnn_conv_backward_filter(&g, df_cf32(dy), df_cf32(x), df_f32(dw)));
  if (db) DF_TRY(df_cuda_bias_grad(df_cf32(dy), df_f32(db), dy->shape[0], dy->shape[1], df_spatial(dy)));
  return DF_OK;
}
