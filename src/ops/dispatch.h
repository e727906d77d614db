/* Shared by the dispatching functions of the op library and the optimisers: a required
 * argument check and the call through the op table of a device. */
#ifndef DF_OPS_DISPATCH_H
#define DF_OPS_DISPATCH_H

#include "core/backend.h"
#include "ops/nn_backend.h"

/* A required tensor argument: NULL is DF_ERR_INVALID_ARG naming the parameter. */
static inline df_status df_check_given(const char *fn, const df_tensor *t, const char *param) {
  if (!t) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor argument '%s' is NULL", fn, param);
  return df_check_f32(fn, t);
}

/* An optional tensor (gradients, bias): NULL passes, otherwise it must have `shape`. */
static inline df_status df_check_optional_shape(const char *fn, const df_tensor *t, int ndim,
                                                const int64_t *shape) {
  return t ? df_check_shape(fn, t, ndim, shape) : DF_OK;
}

/* Two required tensors of the same shape on one device; *dev receives the device. */
static inline df_status df_check_pair(const char *fn, const df_tensor *a, const char *a_param,
                                      const df_tensor *b, const char *b_param, df_device *dev) {
  DF_TRY(df_check_given(fn, a, a_param));
  DF_TRY(df_check_given(fn, b, b_param));
  DF_TRY(df_check_same_shape(fn, a, b));
  return DF_SAME_DEVICE(fn, dev, a, b);
}

/* The 2-D form of a 1-D op's tensor, [A, B, L] -> [A, B, 1, L] (a view of the same memory);
 * other tensors pass unchanged and NULL gives an empty struct. */
static inline df_tensor df_view_as_2d(const df_tensor *t) {
  if (!t) return (df_tensor){0};
  df_tensor v = *t;
  v.owns = 0;
  if (t->ndim == 3) {
    v.ndim = 4;
    v.shape[3] = t->shape[2];
    v.shape[2] = 1;
  }
  return v;
}

/* Returns the result of `entry` of device dev's op table, or DF_ERR_UNSUPPORTED when that
 * backend does not implement it. */
#define DF_NN_DISPATCH(fn, dev, entry, ...)                                                  \
  do {                                                                                       \
    const df_backend *df_be_ = df_backend_for(dev);                                          \
    if (!df_be_) return DF_ERR_NO_DEVICE;                                                    \
    if (!df_be_->nn || !df_be_->nn->entry)                                                   \
      return DF_FAIL(DF_ERR_UNSUPPORTED, "%s: not implemented on %s", (fn), df_be_->name);   \
    return df_be_->nn->entry(__VA_ARGS__);                                                   \
  } while (0)

#endif
