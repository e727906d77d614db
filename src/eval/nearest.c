/* Nearest rows (include/drumforge/metrics.h): argument checks and dispatch. */
#include "core/backend.h"
#include "drumforge/metrics.h"
#include "eval/metric_backend.h"

df_status df_nearest_rows(const df_tensor *a, const df_tensor *b, double *sq_dist,
                          int64_t *index) {
  const char *fn = "df_nearest_rows";
  DF_TRY(df_check_f32(fn, a));
  DF_TRY(df_check_f32(fn, b));
  if (!sq_dist || !index) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: no output arrays", fn);
  const int64_t dim = df_tensor_inner(a);
  if (a->shape[0] < 1 || b->shape[0] < 1 || dim < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: '%s' and '%s' need at least one non-empty row", fn,
                   a->name, b->name);
  if (df_tensor_inner(b) != dim)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: rows of '%s' have %lld values, rows of '%s' %lld", fn,
                   a->name, (long long)dim, b->name, (long long)df_tensor_inner(b));
  df_device dev;
  DF_TRY(DF_SAME_DEVICE(fn, &dev, a, b));
  const df_backend *be = df_backend_for(dev);
  if (!be) return DF_ERR_NO_DEVICE;
  return be->metric->nearest_rows((const float *)a->data, a->shape[0], (const float *)b->data,
                                  b->shape[0], dim, sq_dist, index);
}
