/* Per-example reductions (sum, mean, L2 norm over every dim but the first): argument checks
 * and dispatch. */
#include "ops/dispatch.h"

static df_status check_reduce(const char *fn, df_reduce r, const df_tensor *x,
                              const df_tensor *y, const char *y_param) {
  if ((int)r < DF_REDUCE_SUM || (int)r > DF_REDUCE_L2)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: unknown reduction %d", fn, (int)r);
  DF_TRY(df_check_given(fn, x, "x"));
  DF_TRY(df_check_given(fn, y, y_param));
  return df_check_shape(fn, y, 1, x->shape);
}

df_status df_reduce_per_example_forward(df_reduce r, const df_tensor *x, df_tensor *y) {
  const char *fn = "df_reduce_per_example_forward";
  DF_TRY(check_reduce(fn, r, x, y, "y"));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, y));
  if (x->shape[0] == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, reduce_forward, r, x, y);
}

df_status df_reduce_per_example_backward(df_reduce r, const df_tensor *x, const df_tensor *y,
                                         const df_tensor *dy, df_tensor *dx) {
  const char *fn = "df_reduce_per_example_backward";
  DF_TRY(check_reduce(fn, r, x, dy, "dy"));
  /* Only the L2 norm's gradient (x / |x|) needs the forward's output. */
  if (r == DF_REDUCE_L2 || y) {
    DF_TRY(df_check_given(fn, y, "y"));
    DF_TRY(df_check_shape(fn, y, 1, x->shape));
  }
  DF_TRY(df_check_given(fn, dx, "dx"));
  DF_TRY(df_check_same_shape(fn, x, dx));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, y, dy, dx));
  if (x->shape[0] == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, reduce_backward, r, x, y, dy, dx);
}
