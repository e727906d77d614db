/* Gradient-norm clipping over many tensors (torch.nn.utils.clip_grad_norm_), composed of the
 * backends' deterministic sum of squares and scaling. */
#include <math.h>

#include "ops/dispatch.h"

df_status df_clip_grad_norm(df_tensor *const *grads, int n, float max_norm, float *norm_out) {
  const char *fn = "df_clip_grad_norm";
  if (n < 0 || (n > 0 && !grads))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: no gradient array for %d tensors", fn, n);
  if (!(max_norm > 0.f))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: max_norm %g must be > 0", fn, max_norm);
  for (int i = 0; i < n; i++) {
    if (!grads[i]) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: gradient %d is NULL", fn, i);
    DF_TRY(df_check_f32(fn, grads[i]));
  }
  /* Tensor by tensor in array order: the same total on every run. */
  double total = 0;
  for (int i = 0; i < n; i++) {
    double ss;
    DF_TRY(df_sum_squares(grads[i], &ss));
    total += ss;
  }
  double norm = sqrt(total);
  if (norm_out) *norm_out = (float)norm;
  if (!isfinite(norm))
    return DF_FAIL(DF_ERR_NUMERIC, "%s: the gradient norm is not finite (%g); nothing scaled",
                   fn, norm);
  float coef = (float)((double)max_norm / (norm + 1e-6));
  if (coef >= 1.f) return DF_OK;
  for (int i = 0; i < n; i++) DF_TRY(df_scale(grads[i], coef, grads[i]));
  return DF_OK;
}
