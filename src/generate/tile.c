/* Loops tiled from generated bars (include/drumforge/generate.h). */
#include <math.h>
#include <string.h>

#include "drumforge/generate.h"
#include "drumforge/postfx.h"

int64_t df_loop_bar_frames(double bpm, int rate) { return llround(60.0 / bpm * 4.0 * rate); }

df_status df_tile_pattern_check(const char *pattern, int *letters) {
  int next = 'A';
  size_t n = pattern ? strlen(pattern) : 0;
  if (n == 0 || n > 64) return DF_FAIL(DF_ERR_INVALID_ARG, "tile pattern '%s' needs 1 to 64 letters", pattern ? pattern : "");
  for (size_t i = 0; i < n; i++) {
    int c = pattern[i];
    if (c < 'A' || c > next)
      return DF_FAIL(DF_ERR_INVALID_ARG,
                     "tile pattern '%s': bar %zu is '%c'; use capital letters from A, each new one the next "
                     "letter (AAAB, AABB, ABAB)", pattern, i + 1, c);
    if (c == next) next++;
  }
  *letters = next - 'A';
  return DF_OK;
}

df_status df_loop_tile(const df_audio *bars, const char *pattern, int n_bars, int64_t bar_frames,
                       int64_t fade_frames, df_audio *out) {
  int letters;
  DF_TRY(df_tile_pattern_check(pattern, &letters));
  if (n_bars < 1 || bar_frames < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "loop of %d bars of %lld frames", n_bars, (long long)bar_frames);
  const int channels = bars[0].channels;
  DF_TRY(df_audio_alloc(out, channels, (int64_t)n_bars * bar_frames, bars[0].rate));
  const size_t len = strlen(pattern);
  for (int b = 0; b < n_bars; b++) {
    const df_audio *src = &bars[pattern[(size_t)b % len] - 'A'];
    int64_t n = src->frames < bar_frames ? src->frames : bar_frames;
    for (int c = 0; c < channels; c++)
      memcpy(out->data + (int64_t)c * out->frames + (int64_t)b * bar_frames,
             src->data + (int64_t)c * src->frames, sizeof(float) * (size_t)n);
    /* A bar cut at the bar line fades out instead of clicking. */
    if (src->frames > bar_frames) {
      int64_t fade = fade_frames < n ? fade_frames : n;
      df_fade_out(out, (int64_t)b * bar_frames + n - fade, fade);
    }
  }
  return DF_OK;
}
