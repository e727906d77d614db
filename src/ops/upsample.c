/* Nearest-neighbour upsampling: argument checks and dispatch. 1-D reaches the backend as
 * 2-D with H = 1 and fh = 1. */
#include "ops/dispatch.h"

/* small is [N, C, H, W] (or [N, C, W] when rank 1), big is [N, C, H fh, W fw]. */
static df_status check_up(const char *fn, int rank, const df_tensor *small, const char *s_param,
                          const df_tensor *big, const char *b_param, int fh, int fw) {
  DF_TRY(df_check_given(fn, small, s_param));
  DF_TRY(df_check_given(fn, big, b_param));
  if (fh < 1 || fw < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: factor %d x %d must be >= 1", fn, fh, fw);
  DF_TRY(df_check_ndim(fn, small, 2 + rank));
  int64_t want[4] = {small->shape[0], small->shape[1], small->shape[2] * (rank == 1 ? fw : fh),
                     rank == 2 ? small->shape[3] * fw : 1};
  return df_check_shape(fn, big, 2 + rank, want);
}

static df_status up_forward(const char *fn, int rank, const df_tensor *x, int fh, int fw,
                            df_tensor *y) {
  DF_TRY(check_up(fn, rank, x, "x", y, "y", fh, fw));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, x, y));
  if (df_tensor_numel(x) == 0) return DF_OK;
  df_tensor x4 = df_view_as_2d(x), y4 = df_view_as_2d(y);
  DF_NN_DISPATCH(fn, dev, upsample_nearest2d_forward, &x4, fh, fw, &y4);
}

static df_status up_backward(const char *fn, int rank, const df_tensor *dy, int fh, int fw,
                             df_tensor *dx) {
  DF_TRY(check_up(fn, rank, dx, "dx", dy, "dy", fh, fw));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, dy, dx));
  if (df_tensor_numel(dx) == 0) return DF_OK;
  df_tensor dy4 = df_view_as_2d(dy), dx4 = df_view_as_2d(dx);
  DF_NN_DISPATCH(fn, dev, upsample_nearest2d_backward, &dy4, fh, fw, &dx4);
}

df_status df_upsample_nearest1d_forward(const df_tensor *x, int factor, df_tensor *y) {
  return up_forward("df_upsample_nearest1d_forward", 1, x, 1, factor, y);
}

df_status df_upsample_nearest1d_backward(const df_tensor *dy, int factor, df_tensor *dx) {
  return up_backward("df_upsample_nearest1d_backward", 1, dy, 1, factor, dx);
}

df_status df_upsample_nearest2d_forward(const df_tensor *x, int fh, int fw, df_tensor *y) {
  return up_forward("df_upsample_nearest2d_forward", 2, x, fh, fw, y);
}

df_status df_upsample_nearest2d_backward(const df_tensor *dy, int fh, int fw, df_tensor *dx) {
  return up_backward("df_upsample_nearest2d_backward", 2, dy, fh, fw, dx);
}
