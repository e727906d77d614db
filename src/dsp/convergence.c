/* The spectral convergence between two sets of sounds (include/drumforge/dsp.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "drumforge/dsp.h"

df_status df_spectral_convergence(const float *ref, const float *test, int n, int64_t length,
                                  int n_fft, int hop, float *sc) {
  DF_CHECK_ARG(ref);
  DF_CHECK_ARG(test);
  DF_CHECK_ARG(sc);
  if (n < 0 || length < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_spectral_convergence: %d sounds of %lld samples", n, (long long)length);
  df_stft_config c = df_stft_config_default(n_fft);
  c.hop = hop;
  c.pad_mode = DF_PAD_CONSTANT; /* any length, however short */
  df_stft_plan *plan;
  DF_TRY(df_stft_plan_create(&c, DF_DEVICE_CPU, 2, length, &plan));
  const int64_t bins = df_stft_plan_bins(plan), frames = df_stft_plan_frames(plan), per = bins * frames;
  float *mag = malloc(sizeof(float) * (size_t)(2 * per)), *pair = malloc(sizeof(float) * (size_t)(2 * length));
  df_status s = mag && pair ? DF_OK : DF_FAIL(DF_ERR_OOM, "spectral convergence of %d sounds", n);
  /* One pair (reference, test) per STFT call: memory stays two sounds whatever n. */
  for (int i = 0; !s && i < n; i++) {
    memcpy(pair, ref + length * i, sizeof(float) * (size_t)length);
    memcpy(pair + length, test + length * i, sizeof(float) * (size_t)length);
    df_tensor sig = df_tensor_wrap(pair, DF_DEVICE_CPU, DF_F32, 2, (int64_t[]){2, length}, "sounds");
    df_tensor spec = df_tensor_wrap(mag, DF_DEVICE_CPU, DF_F32, 3, (int64_t[]){2, bins, frames}, "magnitudes");
    s = df_stft_magnitude(plan, &sig, 1.0f, &spec);
    double num = 0, den = 0;
    for (int64_t k = 0; !s && k < per; k++) {
      const double d = (double)mag[k] - mag[per + k];
      num += d * d;
      den += (double)mag[k] * mag[k];
    }
    sc[i] = den > 0 ? (float)sqrt(num / den) : 0.0f;
  }
  free(mag);
  free(pair);
  df_stft_plan_free(plan);
  return s;
}
