/* Trailing-silence trimming and fades (include/drumforge/postfx.h). */
#include <math.h>
#include <string.h>

#include "drumforge/postfx.h"

void df_fade_out(df_audio *a, int64_t from, int64_t n) {
  /* Only the frames of the curve that lie inside the sound are touched. */
  if (!a || !a->data || n <= 0 || from < -n || from >= a->frames) return;
  int64_t k0 = from < 0 ? -from : 0;
  int64_t k1 = from > a->frames - n ? a->frames - from : n;
  for (int64_t k = k0; k < k1; k++) {
    /* cos^2(pi/2 (k + 1) / n), written as a sine so the last frame is exactly 0. */
    double s = sin(M_PI / 2.0 * (double)(n - 1 - k) / (double)n);
    float g = (float)(s * s);
    for (int ch = 0; ch < a->channels; ch++) a->data[(int64_t)ch * a->frames + from + k] *= g;
  }
}

df_status df_trim_trailing_silence(df_audio *a, double threshold_db, int64_t fade_frames) {
  if (!a || (!a->data && a->frames * a->channels > 0))
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_trim_trailing_silence: no sound given");
  if (!isfinite(threshold_db) || threshold_db > 0.0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "silence threshold %g dBFS is not a finite level <= 0", threshold_db);
  if (fade_frames < 0) return DF_FAIL(DF_ERR_INVALID_ARG, "negative fade length %lld", (long long)fade_frames);
  const float threshold = (float)pow(10.0, threshold_db / 20.0);
  int64_t last = -1;
  for (int ch = 0; ch < a->channels; ch++) {
    const float *x = a->data + (int64_t)ch * a->frames;
    for (int64_t i = a->frames - 1; i > last; i--)
      if (fabsf(x[i]) >= threshold) {
        last = i;
        break;
      }
  }
  if (last < 0) return DF_OK;
  int64_t end = last + 1 + fade_frames;
  if (end > a->frames) end = a->frames;
  df_fade_out(a, last + 1, end - (last + 1));
  /* Compact the planar channels to the new length. */
  for (int ch = 1; ch < a->channels; ch++)
    memmove(a->data + (int64_t)ch * end, a->data + (int64_t)ch * a->frames, sizeof(float) * (size_t)end);
  a->frames = end;
  return DF_OK;
}
