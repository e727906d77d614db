/* The DSP backend table. The dispatching functions in src/dsp/ have checked dtypes, shapes,
 * devices and arguments, so implementations may assume valid, contiguous fp32 tensors on the
 * plan's (or their own) device and a batch between 1 and the plan's max_batch. */
#ifndef DF_DSP_DSP_BACKEND_H
#define DF_DSP_DSP_BACKEND_H

#include <stdint.h>

#include "drumforge/dsp.h"
#include "dsp/stft_plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a forward STFT writes: the complex spectrum [B, F, T, 2] or |X|^power [B, F, T]. */
typedef enum df_stft_output { DF_STFT_COMPLEX = 0, DF_STFT_POWER } df_stft_output;

/* Elementwise maps (dsp/dsp_math.h has the formulas, shared by both backends). */
typedef enum df_spec_map {
  DF_MAP_TO_DB = 0, /* a (log10(max(b, x))) - c   : a multiplier, b amin, c ref in dB */
  DF_MAP_FROM_DB,   /* c 10^(x / a)               : a multiplier, c ref */
  DF_MAP_TO_LOG,    /* ln(x + b) */
  DF_MAP_FROM_LOG   /* max(0, exp(x) - b) */
} df_spec_map;

typedef struct df_dsp_backend {
  /* Create and release p->impl (FFT plans, uploaded window and scale, scratch). */
  df_status (*plan_init)(df_stft_plan *p);
  void (*plan_free)(df_stft_plan *p);

  /* x [B, L] -> y: [B, F, T, 2] (DF_STFT_COMPLEX) or |X|^power [B, F, T] (DF_STFT_POWER). */
  df_status (*stft)(df_stft_plan *p, const df_tensor *x, df_stft_output out, float power,
                    df_tensor *y);
  /* spec [B, F, T, 2] -> x [B, L]; p->nola_bad < 0 here. */
  df_status (*istft)(df_stft_plan *p, const df_tensor *spec, df_tensor *x);
  /* mag [B, F, T] -> audio [B, L]; random phases from (seed, offset) unless DF_PHASE_ZERO;
   * convergence: host [B] or NULL. */
  df_status (*griffinlim)(df_stft_plan *p, const df_griffinlim_config *cfg, uint64_t seed,
                          uint64_t offset, const df_tensor *mag, df_tensor *audio,
                          float *convergence);

  /* y[b] = w x[b]: w [P, Q], x [B, Q, T], y [B, P, T]; clamped at 0 when nonneg. */
  df_status (*bin_matmul)(const df_tensor *w, const df_tensor *x, int nonneg, df_tensor *y);
  /* y = map(x) elementwise (y may alias x). */
  df_status (*map)(df_spec_map op, float a, float b, float c, const df_tensor *x, df_tensor *y);
  /* Per item (dim 0): y = max(y, max(y[b]) - range), in place. */
  df_status (*floor_below_max)(df_tensor *y, float range);
  /* Per item: lo, hi [B] = min, max of x[b]; y = (x - lo) / (hi - lo) (0 when hi == lo). */
  df_status (*minmax_normalize)(const df_tensor *x, df_tensor *y, df_tensor *lo, df_tensor *hi);
  /* x = y (hi - lo) + lo. */
  df_status (*minmax_denormalize)(const df_tensor *y, const df_tensor *lo, const df_tensor *hi,
                                  df_tensor *x);
  /* stats [K, 3] (count, mean lo, mean hi) += items lo, hi [B] of classes [B] (NULL: row 0). */
  df_status (*minmax_range_update)(df_tensor *stats, const df_tensor *lo, const df_tensor *hi,
                                   const df_tensor *classes);
  /* x [B, F, T]: adds each bin's sum and sum of squares (in double) into host sum, sum_sq [F]. */
  df_status (*bin_sums)(const df_tensor *x, double *sum, double *sum_sq);
  /* x, y [B, F, T]; mean, std [F]. Forward: y = clip((x - mean) / (n_std std), -1, 1);
   * inverse: y = x n_std std + mean. */
  df_status (*bin_normalize)(const df_tensor *mean, const df_tensor *std, float n_std,
                             int inverse, const df_tensor *x, df_tensor *y);
} df_dsp_backend;

const df_dsp_backend *df_cpu_dsp_backend(void);

#ifdef __cplusplus
}
#endif
#endif
