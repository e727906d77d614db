/* Convolutions and transposed convolutions: argument checks and dispatch. A 1-D convolution
 * reaches the backend as a 2-D one with H = 1, KH = 1, stride 1 and no padding along H
 * (views of the same memory), so each backend implements one convolution of each kind. */
#include "ops/dispatch.h"

/* One convolution call: its spatial rank, orientation and parameters in 2-D form. */
typedef struct conv_call {
  const char *fn;
  int rank;       /* 1 or 2 spatial dims */
  int transposed; /* w is [Cin, Cout, ...] and the output grows */
  int stride[2], pad[2];
} conv_call;

static df_status set_params(conv_call *c, const int *stride, const int *pad) {
  if (!stride || !pad) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: stride or padding is NULL", c->fn);
  for (int d = 0; d < c->rank; d++) {
    int s = stride[d], p = pad[d];
    if (s < 1) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: stride %d must be >= 1", c->fn, s);
    if (p < 0) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: padding %d must be >= 0", c->fn, p);
    c->stride[2 - c->rank + d] = s;
    c->pad[2 - c->rank + d] = p;
  }
  if (c->rank == 1) {
    c->stride[0] = 1;
    c->pad[0] = 0;
  }
  return DF_OK;
}

/* Checks x, w, b and the output-side tensor y (the output, or its gradient); *cout receives
 * the output channels. */
static df_status check_conv(const conv_call *c, const df_tensor *x, const df_tensor *w,
                            const df_tensor *b, const df_tensor *y, const char *y_param,
                            int64_t *cout) {
  const int nd = 2 + c->rank;
  DF_TRY(df_check_given(c->fn, x, "x"));
  DF_TRY(df_check_given(c->fn, w, "w"));
  DF_TRY(df_check_given(c->fn, y, y_param));
  DF_TRY(df_check_ndim(c->fn, x, nd));
  DF_TRY(df_check_ndim(c->fn, w, nd));
  int64_t cin = x->shape[1];
  int64_t want_w[4] = {c->transposed ? cin : w->shape[0], c->transposed ? w->shape[1] : cin,
                       w->shape[2], nd == 4 ? w->shape[3] : 1};
  DF_TRY(df_check_shape(c->fn, w, nd, want_w));
  *cout = c->transposed ? w->shape[1] : w->shape[0];
  for (int i = 0; i < nd; i++)
    if (w->shape[i] < 1 || (i > 0 && x->shape[i] < 1))
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensors '%s' and '%s' need non-empty dims",
                     c->fn, x->name, w->name);
  DF_TRY(df_check_ndim(c->fn, y, nd));
  int64_t want_y[4] = {x->shape[0], *cout, 1, 1};
  for (int d = 0; d < c->rank; d++) {
    int64_t in = x->shape[2 + d], k = w->shape[2 + d];
    int s = c->stride[2 - c->rank + d], p = c->pad[2 - c->rank + d];
    if (!c->transposed) {
      if (in + 2 * p < k)
        return DF_FAIL(DF_ERR_INVALID_ARG,
                       "%s: tensor '%s' is smaller (%lld + 2 x %d padding) than the kernel (%lld)",
                       c->fn, x->name, (long long)in, p, (long long)k);
      want_y[2 + d] = (in + 2 * p - k) / s + 1;
    } else {
      /* The output length is (in - 1) s - 2 p + k + out_pad with out_pad in [0, s). */
      int64_t lo = (in - 1) * s - 2 * p + k, got = y->shape[2 + d];
      if (lo < 1)
        return DF_FAIL(DF_ERR_INVALID_ARG, "%s: padding %d leaves no output for tensor '%s'",
                       c->fn, p, x->name);
      want_y[2 + d] = got >= lo && got < lo + s ? got : lo;
    }
  }
  DF_TRY(df_check_shape(c->fn, y, nd, want_y));
  return df_check_optional_shape(c->fn, b, 1, cout);
}

#define VIEW_PTR(t, v) ((t) ? &(v) : NULL)

static df_status conv_forward(conv_call *c, const df_tensor *x, const df_tensor *w,
                              const df_tensor *b, const int *stride, const int *pad,
                              df_tensor *y) {
  int64_t cout = 0;
  DF_TRY(set_params(c, stride, pad));
  DF_TRY(check_conv(c, x, w, b, y, "y", &cout));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(c->fn, &dev, x, w, b, y));
  if (x->shape[0] == 0) return DF_OK;
  df_tensor x4 = df_view_as_2d(x), w4 = df_view_as_2d(w), y4 = df_view_as_2d(y);
  if (c->transposed)
    DF_NN_DISPATCH(c->fn, dev, conv_transpose2d_forward, &x4, &w4, b, c->stride, c->pad, &y4);
  DF_NN_DISPATCH(c->fn, dev, conv2d_forward, &x4, &w4, b, c->stride, c->pad, &y4);
}

static df_status conv_backward(conv_call *c, const df_tensor *x, const df_tensor *w,
                               const df_tensor *dy, const int *stride, const int *pad,
                               df_tensor *dx, df_tensor *dw, df_tensor *db) {
  int64_t cout = 0;
  DF_TRY(set_params(c, stride, pad));
  DF_TRY(check_conv(c, x, w, db, dy, "dy", &cout));
  DF_TRY(df_check_optional_shape(c->fn, dx, x->ndim, x->shape));
  DF_TRY(df_check_optional_shape(c->fn, dw, w->ndim, w->shape));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(c->fn, &dev, x, w, dy, dx, dw, db));
  if (x->shape[0] == 0 || (!dx && !dw && !db)) return DF_OK;
  df_tensor x4 = df_view_as_2d(x), w4 = df_view_as_2d(w), dy4 = df_view_as_2d(dy);
  df_tensor dx4 = df_view_as_2d(dx), dw4 = df_view_as_2d(dw);
  if (c->transposed)
    DF_NN_DISPATCH(c->fn, dev, conv_transpose2d_backward, &x4, &w4, &dy4, c->stride, c->pad,
                   VIEW_PTR(dx, dx4), VIEW_PTR(dw, dw4), db);
  DF_NN_DISPATCH(c->fn, dev, conv2d_backward, &x4, &w4, &dy4, c->stride, c->pad,
                 VIEW_PTR(dx, dx4), VIEW_PTR(dw, dw4), db);
}

df_status df_conv1d_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                            int stride, int pad, df_tensor *y) {
  conv_call c = {.fn = "df_conv1d_forward", .rank = 1};
  return conv_forward(&c, x, w, b, &stride, &pad, y);
}

df_status df_conv1d_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                             int stride, int pad, df_tensor *dx, df_tensor *dw, df_tensor *db) {
  conv_call c = {.fn = "df_conv1d_backward", .rank = 1};
  return conv_backward(&c, x, w, dy, &stride, &pad, dx, dw, db);
}

df_status df_conv_transpose1d_forward(const df_tensor *x, const df_tensor *w,
                                      const df_tensor *b, int stride, int pad, df_tensor *y) {
  conv_call c = {.fn = "df_conv_transpose1d_forward", .rank = 1, .transposed = 1};
  return conv_forward(&c, x, w, b, &stride, &pad, y);
}

df_status df_conv_transpose1d_backward(const df_tensor *x, const df_tensor *w,
                                       const df_tensor *dy, int stride, int pad, df_tensor *dx,
                                       df_tensor *dw, df_tensor *db) {
  conv_call c = {.fn = "df_conv_transpose1d_backward", .rank = 1, .transposed = 1};
  return conv_backward(&c, x, w, dy, &stride, &pad, dx, dw, db);
}

df_status df_conv2d_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                            const int stride[2], const int pad[2], df_tensor *y) {
  conv_call c = {.fn = "df_conv2d_forward", .rank = 2};
  return conv_forward(&c, x, w, b, stride, pad, y);
}

df_status df_conv2d_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                             const int stride[2], const int pad[2], df_tensor *dx, df_tensor *dw,
                             df_tensor *db) {
  conv_call c = {.fn = "df_conv2d_backward", .rank = 2};
  return conv_backward(&c, x, w, dy, stride, pad, dx, dw, db);
}

df_status df_conv_transpose2d_forward(const df_tensor *x, const df_tensor *w,
                                      const df_tensor *b, const int stride[2],
                                      const int pad[2], df_tensor *y) {
  conv_call c = {.fn = "df_conv_transpose2d_forward", .rank = 2, .transposed = 1};
  return conv_forward(&c, x, w, b, stride, pad, y);
}

df_status df_conv_transpose2d_backward(const df_tensor *x, const df_tensor *w,
                                       const df_tensor *dy, const int stride[2],
                                       const int pad[2], df_tensor *dx, df_tensor *dw,
                                       df_tensor *db) {
  conv_call c = {.fn = "df_conv_transpose2d_backward", .rank = 2, .transposed = 1};
  return conv_backward(&c, x, w, dy, stride, pad, dx, dw, db);
}
