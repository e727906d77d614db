/* Elementwise arithmetic, per-example scaling and whole-tensor checks (non-finite count,
 * sum of squares): argument checks and dispatch. */
#include "ops/dispatch.h"

static df_status binary(const char *fn, df_binary_op op, const df_tensor *a,
                        const df_tensor *b, df_tensor *y) {
  DF_TRY(df_check_given(fn, a, "a"));
  DF_TRY(df_check_given(fn, b, "b"));
  DF_TRY(df_check_given(fn, y, "y"));
  DF_TRY(df_check_same_shape(fn, a, b));
  DF_TRY(df_check_same_shape(fn, a, y));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, a, b, y));
  if (df_tensor_numel(a) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, binary, op, a, b, y);
}

df_status df_add(const df_tensor *a, const df_tensor *b, df_tensor *y) {
  return binary("df_add", DF_BINARY_ADD, a, b, y);
}

df_status df_sub(const df_tensor *a, const df_tensor *b, df_tensor *y) {
  return binary("df_sub", DF_BINARY_SUB, a, b, y);
}

df_status df_mul(const df_tensor *a, const df_tensor *b, df_tensor *y) {
  return binary("df_mul", DF_BINARY_MUL, a, b, y);
}

df_status df_scale(const df_tensor *x, float alpha, df_tensor *y) {
  const char *fn = "df_scale";
  df_device dev;
  DF_TRY(df_check_pair(fn, x, "x", y, "y", &dev));
  if (df_tensor_numel(x) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, scale, x, alpha, y);
}

df_status df_axpby(float alpha, const df_tensor *x, float beta, df_tensor *y) {
  const char *fn = "df_axpby";
  df_device dev;
  DF_TRY(df_check_pair(fn, x, "x", y, "y", &dev));
  if (df_tensor_numel(x) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, axpby, alpha, x, beta, y);
}

df_status df_fill(df_tensor *t, float value) {
  const char *fn = "df_fill";
  DF_TRY(df_check_given(fn, t, "t"));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, t));
  if (df_tensor_numel(t) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, fill, t, value);
}

df_status df_mul_backward(const df_tensor *a, const df_tensor *b, const df_tensor *dy,
                          df_tensor *da, df_tensor *db) {
  const char *fn = "df_mul_backward";
  DF_TRY(df_check_given(fn, a, "a"));
  DF_TRY(df_check_given(fn, b, "b"));
  DF_TRY(df_check_given(fn, dy, "dy"));
  DF_TRY(df_check_same_shape(fn, a, b));
  DF_TRY(df_check_same_shape(fn, a, dy));
  DF_TRY(df_check_optional_shape(fn, da, a->ndim, a->shape));
  DF_TRY(df_check_optional_shape(fn, db, a->ndim, a->shape));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, a, b, dy, da, db));
  if (df_tensor_numel(a) == 0 || (!da && !db)) return DF_OK;
  DF_NN_DISPATCH(fn, dev, mul_backward, a, b, dy, da, db);
}

/* x [N, ...] and s [N]. */
static df_status check_per_example(const char *fn, const df_tensor *x, const df_tensor *s) {
  DF_TRY(df_check_given(fn, x, "x"));
  DF_TRY(df_check_given(fn, s, "s"));
  return df_check_shape(fn, s, 1, x->shape);
}

df_status df_scale_per_example(const df_tensor *x, const df_tensor *s, df_tensor *y) {
  const char *fn = "df_scale_per_example";
  DF_TRY(check_per_example(fn, x, s));
  DF_TRY(df_check_given(fn, y, "y"));
  DF_TRY(df_check_same_shape(fn, x, y));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, s, y));
  if (df_tensor_numel(x) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, scale_per_example, x, s, y);
}

df_status df_scale_per_example_backward(const df_tensor *x, const df_tensor *s,
                                        const df_tensor *dy, df_tensor *dx, df_tensor *ds) {
  const char *fn = "df_scale_per_example_backward";
  DF_TRY(check_per_example(fn, x, s));
  DF_TRY(df_check_given(fn, dy, "dy"));
  DF_TRY(df_check_same_shape(fn, x, dy));
  DF_TRY(df_check_optional_shape(fn, dx, x->ndim, x->shape));
  DF_TRY(df_check_optional_shape(fn, ds, 1, x->shape));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, s, dy, dx, ds));
  if (df_tensor_numel(x) == 0 || (!dx && !ds)) return DF_OK;
  DF_NN_DISPATCH(fn, dev, scale_per_example_backward, x, s, dy, dx, ds);
}

/* A whole-tensor reduction of x into *out; *dev receives x's device. */
static df_status check_whole(const char *fn, const df_tensor *x, const void *out,
                             df_device *dev) {
  DF_TRY(df_check_given(fn, x, "x"));
  if (!out) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: result pointer is NULL", fn);
  return DF_SAME_DEVICE(fn, dev, x);
}

df_status df_count_nonfinite(const df_tensor *x, int64_t *count) {
  const char *fn = "df_count_nonfinite";
  df_device dev;
  DF_TRY(check_whole(fn, x, count, &dev));
  *count = 0;
  if (df_tensor_numel(x) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, count_nonfinite, x, count);
}

df_status df_sum_squares(const df_tensor *x, double *out) {
  const char *fn = "df_sum_squares";
  df_device dev;
  DF_TRY(check_whole(fn, x, out, &dev));
  *out = 0;
  if (df_tensor_numel(x) == 0) return DF_OK;
  DF_NN_DISPATCH(fn, dev, sum_squares, x, out);
}
