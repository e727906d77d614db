/* Reflect padding and phase shuffle (a per-example shift with reflection at both ends):
 * argument checks and dispatch. */
#include "ops/dispatch.h"

/* y (or dy) is x (or dx) padded by left + right along the last dim. */
static df_status check_pad(const char *fn, const df_tensor *x, const char *x_param,
                           const df_tensor *y, const char *y_param, int left, int right) {
  DF_TRY(df_check_given(fn, x, x_param));
  DF_TRY(df_check_given(fn, y, y_param));
  int64_t len = x->shape[x->ndim - 1];
  if (left < 0 || right < 0 || left >= len || right >= len)
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "%s: padding (%d, %d) must be in [0, %lld) for tensor '%s' (length %lld)",
                   fn, left, right, (long long)len, x->name, (long long)len);
  int64_t want[DF_MAX_DIMS];
  for (int i = 0; i < x->ndim; i++) want[i] = x->shape[i];
  want[x->ndim - 1] = len + left + right;
  return df_check_shape(fn, y, x->ndim, want);
}

df_status df_reflect_pad1d_forward(const df_tensor *x, int left, int right, df_tensor *y) {
  const char *fn = "df_reflect_pad1d_forward";
  DF_TRY(check_pad(fn, x, "x", y, "y", left, right));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, y));
  if (df_tensor_numel(x) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, reflect_pad1d_forward, x, left, right, y);
}

df_status df_reflect_pad1d_backward(const df_tensor *dy, int left, int right, df_tensor *dx) {
  const char *fn = "df_reflect_pad1d_backward";
  DF_TRY(check_pad(fn, dx, "dx", dy, "dy", left, right));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, dy, dx));
  if (df_tensor_numel(dx) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, reflect_pad1d_backward, dy, left, right, dx);
}

static df_status check_shuffle(const char *fn, const df_tensor *x, const char *x_param,
                               const int *shifts, const df_tensor *y, const char *y_param) {
  DF_TRY(df_check_given(fn, x, x_param));
  DF_TRY(df_check_given(fn, y, y_param));
  DF_TRY(df_check_ndim(fn, x, 3));
  DF_TRY(df_check_same_shape(fn, x, y));
  if (x->data == y->data && df_tensor_numel(x) > 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensors '%s' and '%s' must not share memory", fn,
                   x->name, y->name);
  if (!shifts && x->shape[0] > 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: shifts is NULL", fn);
  int64_t len = x->shape[2];
  for (int64_t n = 0; n < x->shape[0]; n++)
    if (shifts[n] <= -len || shifts[n] >= len)
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: shift %d of example %lld must be within +-%lld "
                     "for tensor '%s'", fn, shifts[n], (long long)n, (long long)(len - 1), x->name);
  return DF_OK;
}

df_status df_phase_shuffle_forward(const df_tensor *x, const int *shifts, df_tensor *y) {
  const char *fn = "df_phase_shuffle_forward";
  DF_TRY(check_shuffle(fn, x, "x", shifts, y, "y"));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, y));
  if (df_tensor_numel(x) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, phase_shuffle_forward, x, shifts, y);
}

df_status df_phase_shuffle_backward(const df_tensor *dy, const int *shifts, df_tensor *dx) {
  const char *fn = "df_phase_shuffle_backward";
  DF_TRY(check_shuffle(fn, dy, "dy", shifts, dx, "dx"));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, dy, dx));
  if (df_tensor_numel(dy) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, phase_shuffle_backward, dy, shifts, dx);
}
