/* The STFT plan shared by the dispatching code and both backends: the resolved config, the
 * geometry, the window and the inverse's overlap-add scale (pure math, computed once on the
 * host; the CUDA backend uploads them), and the backend's own FFT plans and scratch. */
#ifndef DF_DSP_STFT_PLAN_H
#define DF_DSP_STFT_PLAN_H

#include "core/backend.h"
#include "drumforge/dsp.h"

#ifdef __cplusplus
extern "C" {
#endif

struct df_stft_plan {
  df_stft_config cfg; /* hop and win_length resolved */
  df_device device;
  const df_backend *be;
  int64_t max_batch;
  int64_t length;  /* L: samples per signal */
  int64_t frames;  /* T */
  int bins;        /* F = n_fft / 2 + 1 */
  int pad;         /* samples of padding before the signal: n_fft / 2 when centred, else 0 */
  int reflect;     /* centred with reflect padding */
  int64_t ola_len; /* n_fft + hop (T - 1): the overlap-added length before trimming */
  float *window;   /* host [n_fft]: periodic Hann of win_length, centred, zero-padded */
  /* host [L]: 1 / (n_fft * sum_t window^2(p - t hop)) at p = i + pad (the unnormalised
   * inverse FFT's 1 / n_fft folded in); 0 past the last frame, where torch.istft pads zeros. */
  float *ola_scale;
  int64_t nola_bad; /* first output sample whose squared-window sum is below 1e-11, or -1 */
  void *impl;       /* the backend's FFT plans and scratch */
};

#ifdef __cplusplus
}
#endif
#endif
