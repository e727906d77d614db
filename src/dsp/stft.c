/* The public STFT, magnitude and inverse STFT: argument checks and dispatch. */
#include <math.h>

#include "dsp/dsp_backend.h"
#include "dsp/dsp_check.h"

df_status df_dsp_check_batch(const char *fn, const df_stft_plan *plan, const df_tensor *t,
                             int ndim, const int64_t *inner, int64_t batch) {
  if (!plan) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: plan is NULL", fn);
  DF_TRY(df_check_f32(fn, t));
  if (t->device != plan->device)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: tensor '%s' is not on the plan's device", fn, t->name);
  int64_t shape[DF_MAX_DIMS];
  shape[0] = batch > 0 ? batch : t->shape[0];
  for (int i = 1; i < ndim; i++) shape[i] = inner[i - 1];
  DF_TRY(df_check_shape(fn, t, ndim, shape));
  if (shape[0] < 1 || shape[0] > plan->max_batch)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: batch %lld of tensor '%s' is outside [1, %lld]", fn,
                   (long long)shape[0], t->name, (long long)plan->max_batch);
  return DF_OK;
}

df_status df_stft(df_stft_plan *plan, const df_tensor *x, df_tensor *spec) {
  const char *fn = "df_stft";
  int64_t sig[1] = {plan ? plan->length : 0};
  DF_TRY(df_dsp_check_batch(fn, plan, x, 2, sig, 0));
  int64_t out[3] = {plan->bins, plan->frames, 2};
  DF_TRY(df_dsp_check_batch(fn, plan, spec, 4, out, x->shape[0]));
  return plan->be->dsp->stft(plan, x, DF_STFT_COMPLEX, 1.0f, spec);
}

df_status df_stft_magnitude(df_stft_plan *plan, const df_tensor *x, float power,
                            df_tensor *mag) {
  const char *fn = "df_stft_magnitude";
  int64_t sig[1] = {plan ? plan->length : 0};
  DF_TRY(df_dsp_check_batch(fn, plan, x, 2, sig, 0));
  int64_t out[2] = {plan->bins, plan->frames};
  DF_TRY(df_dsp_check_batch(fn, plan, mag, 3, out, x->shape[0]));
  if (!(power > 0.0f) || !isfinite(power))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: power %g must be positive", fn, (double)power);
  return plan->be->dsp->stft(plan, x, DF_STFT_POWER, power, mag);
}

df_status df_istft(df_stft_plan *plan, const df_tensor *spec, df_tensor *x) {
  const char *fn = "df_istft";
  int64_t in[3] = {plan ? plan->bins : 0, plan ? plan->frames : 0, 2};
  DF_TRY(df_dsp_check_batch(fn, plan, spec, 4, in, 0));
  int64_t sig[1] = {plan->length};
  DF_TRY(df_dsp_check_batch(fn, plan, x, 2, sig, spec->shape[0]));
  if (plan->nola_bad >= 0)
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "%s: the overlap-added window is zero at output sample %lld (n_fft %d, hop %d, "
                   "win_length %d, center %d): this STFT cannot be inverted",
                   fn, (long long)plan->nola_bad, plan->cfg.n_fft, plan->cfg.hop,
                   plan->cfg.win_length, plan->cfg.center);
  return plan->be->dsp->istft(plan, spec, x);
}
