/* Dense (linear) layer: argument checks and dispatch. */
#include "ops/dispatch.h"

static df_status check_dense(const char *fn, const df_tensor *x, const df_tensor *w) {
  DF_TRY(df_check_given(fn, x, "x"));
  DF_TRY(df_check_given(fn, w, "w"));
  DF_TRY(df_check_ndim(fn, x, 2));
  DF_TRY(df_check_ndim(fn, w, 2));
  return df_check_shape(fn, w, 2, (int64_t[]){w->shape[0], x->shape[1]});
}

df_status df_dense_forward(const df_tensor *x, const df_tensor *w, const df_tensor *b,
                           df_tensor *y) {
  const char *fn = "df_dense_forward";
  DF_TRY(check_dense(fn, x, w));
  int64_t n = x->shape[0], out = w->shape[0];
  DF_TRY(df_check_optional_shape(fn, b, 1, (int64_t[]){out}));
  DF_TRY(df_check_given(fn, y, "y"));
  DF_TRY(df_check_shape(fn, y, 2, (int64_t[]){n, out}));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, w, b, y));
  if (n == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, dense_forward, x, w, b, y);
}

df_status df_dense_backward(const df_tensor *x, const df_tensor *w, const df_tensor *dy,
                            df_tensor *dx, df_tensor *dw, df_tensor *db) {
  const char *fn = "df_dense_backward";
  DF_TRY(check_dense(fn, x, w));
  int64_t n = x->shape[0], out = w->shape[0];
  DF_TRY(df_check_given(fn, dy, "dy"));
  DF_TRY(df_check_shape(fn, dy, 2, (int64_t[]){n, out}));
  DF_TRY(df_check_optional_shape(fn, dx, 2, x->shape));
  DF_TRY(df_check_optional_shape(fn, dw, 2, w->shape));
  DF_TRY(df_check_optional_shape(fn, db, 1, (int64_t[]){out}));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, w, dy, dx, dw, db));
  if (n == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, dense_backward, x, w, dy, dx, dw, db);
}
