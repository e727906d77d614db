/* Griffin-Lim: argument checks, the random stream's bookkeeping and dispatch; from Mel via
 * the clipped least-squares inverse first. */
#include <math.h>

#include "dsp/dsp_backend.h"
#include "dsp/dsp_check.h"

df_griffinlim_config df_griffinlim_config_default(void) {
  df_griffinlim_config c = {32, 0.99f, DF_PHASE_RANDOM};
  return c;
}

df_status df_griffinlim(df_stft_plan *plan, const df_griffinlim_config *cfg, df_rng *rng,
                        const df_tensor *mag, df_tensor *audio, float *convergence) {
  const char *fn = "df_griffinlim";
  if (!cfg) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: config is NULL", fn);
  int64_t spec[2] = {plan ? plan->bins : 0, plan ? plan->frames : 0};
  DF_TRY(df_dsp_check_batch(fn, plan, mag, 3, spec, 0));
  int64_t sig[1] = {plan->length};
  DF_TRY(df_dsp_check_batch(fn, plan, audio, 2, sig, mag->shape[0]));
  if (cfg->n_iter < 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: n_iter %d is negative", fn, cfg->n_iter);
  if (!(cfg->momentum >= 0.0f && cfg->momentum < 1.0f))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: momentum %g must be in [0, 1)", fn,
                   (double)cfg->momentum);
  if (cfg->init != DF_PHASE_RANDOM && cfg->init != DF_PHASE_ZERO && cfg->init != DF_PHASE_RANDOM_SHARED)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: unknown phase init %d", fn, (int)cfg->init);
  if (cfg->init != DF_PHASE_ZERO && !rng)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: random initial phase needs an rng", fn);
  if (plan->nola_bad >= 0)
    return DF_FAIL(DF_ERR_INVALID_ARG,
                   "%s: the overlap-added window is zero at output sample %lld: this STFT "
                   "(n_fft %d, hop %d, center %d) cannot be inverted",
                   fn, (long long)plan->nola_bad, plan->cfg.n_fft, plan->cfg.hop,
                   plan->cfg.center);
  uint64_t seed = 0, offset = 0;
  if (cfg->init != DF_PHASE_ZERO) {
    if (rng->offset % 4)
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: rng offset %llu is not a multiple of 4", fn,
                     (unsigned long long)rng->offset);
    seed = rng->seed;
    offset = rng->offset;
    const uint64_t words = cfg->init == DF_PHASE_RANDOM_SHARED ? (uint64_t)(mag->shape[1] * mag->shape[2])
                                                               : (uint64_t)df_tensor_numel(mag);
    rng->offset += (words + 3) & ~(uint64_t)3;
  }
  return plan->be->dsp->griffinlim(plan, cfg, seed, offset, mag, audio, convergence);
}

df_status df_griffinlim_mel(df_stft_plan *plan, const df_griffinlim_config *cfg, df_rng *rng,
                            const df_tensor *pinv, const df_tensor *mel, df_tensor *audio,
                            float *convergence) {
  const char *fn = "df_griffinlim_mel";
  if (!plan) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: plan is NULL", fn);
  DF_TRY(df_check_f32(fn, mel));
  DF_TRY(df_check_ndim(fn, mel, 3));
  df_tensor mag;
  DF_TRY(df_tensor_new(&mag, plan->device, "linear magnitudes from Mel", mel->shape[0],
                       plan->bins, mel->shape[2]));
  df_status s = df_mel_to_linear(pinv, mel, &mag);
  if (s == DF_OK) s = df_griffinlim(plan, cfg, rng, &mag, audio, convergence);
  df_tensor_free(&mag);
  return s;
}
