/* Moving-average smoothing (include/drumforge/postfx.h). */
#include <stdlib.h>

#include "drumforge/postfx.h"

df_status df_moving_average(float *x, int64_t n, int window) {
  if (n < 0 || (n > 0 && !x))
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_moving_average: %lld samples at %p", (long long)n, (void *)x);
  if (window < 1 || window % 2 == 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "moving-average window %d is not an odd number >= 1", window);
  if (window == 1 || n < 2) return DF_OK;
  /* Prefix sums in double: sum[i] = x[0] + ... + x[i - 1]. */
  double *sum = malloc(sizeof(double) * (size_t)(n + 1));
  if (!sum) return DF_FAIL(DF_ERR_OOM, "moving average: %lld samples", (long long)n);
  sum[0] = 0.0;
  for (int64_t i = 0; i < n; i++) sum[i + 1] = sum[i] + x[i];
  const int64_t half = window / 2;
  for (int64_t i = 0; i < n; i++) {
    int64_t lo = i - half < 0 ? 0 : i - half;
    int64_t hi = i + half + 1 > n ? n : i + half + 1;
    x[i] = (float)((sum[hi] - sum[lo]) / (double)(hi - lo));
  }
  free(sum);
  return DF_OK;
}
