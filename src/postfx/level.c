/* Levels: peak and RMS measurement and normalisation (include/drumforge/postfx.h). */
#include <math.h>

#include "drumforge/postfx.h"

/* A NULL or empty sound has no samples (silence). */
static int64_t samples(const df_audio *a) { return a && a->data ? a->frames * a->channels : 0; }

float df_audio_peak(const df_audio *a) {
  float peak = 0.0f;
  for (int64_t i = 0; i < samples(a); i++) peak = fmaxf(peak, fabsf(a->data[i]));
  return peak;
}

double df_audio_rms_db(const df_audio *a) {
  double sum = 0.0;
  int64_t n = samples(a);
  for (int64_t i = 0; i < n; i++) sum += (double)a->data[i] * a->data[i];
  if (n == 0 || sum == 0.0) return -INFINITY;
  return 10.0 * log10(sum / (double)n);
}

static void scale(df_audio *a, double gain) {
  for (int64_t i = 0; i < samples(a); i++) a->data[i] = (float)(a->data[i] * gain);
}

df_status df_normalize_peak(df_audio *a, double peak_db) {
  if (!a) return DF_FAIL(DF_ERR_INVALID_ARG, "df_normalize_peak: argument 'a' is NULL");
  if (!isfinite(peak_db) || peak_db > 0.0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "peak level %g dBFS is not a finite level <= 0", peak_db);
  float peak = df_audio_peak(a);
  if (peak > 0.0f) scale(a, pow(10.0, peak_db / 20.0) / peak);
  return DF_OK;
}

df_status df_normalize_rms(df_audio *a, double rms_db) {
  if (!a) return DF_FAIL(DF_ERR_INVALID_ARG, "df_normalize_rms: argument 'a' is NULL");
  if (!isfinite(rms_db) || rms_db > 0.0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "loudness %g dBFS is not a finite level <= 0", rms_db);
  double level = df_audio_rms_db(a);
  if (level == -INFINITY) return DF_OK;
  double gain = pow(10.0, (rms_db - level) / 20.0);
  double limit = 1.0 / df_audio_peak(a);
  scale(a, gain < limit ? gain : limit);
  return DF_OK;
}
