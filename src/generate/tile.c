/* Loops tiled from generated bars (include/drumforge/generate.h). */
#include <math.h>
#include <string.h>

#include "drumforge/generate.h"
#include "drumforge/postfx.h"

int64_t df_loop_bar_frames(double bpm, int rate) {
  double frames = 60.0 / bpm * 4.0 * rate;
  /* llround of a value beyond int64_t (bpm 0, tiny or NaN) is undefined. */
  if (!(bpm > 0) || rate < 1 || !(frames < 9.0e18)) return 0;
  return llround(frames);
}

df_status df_tile_pattern_check(const char *pattern, int *letters) {
  int next = 'A';
  size_t n = pattern ? strlen(pattern) : 0;
  if (n == 0 || n > 64) return DF_FAIL(DF_ERR_INVALID_ARG, "tile pattern '%s' needs 1 to 64 letters", pattern ? pattern : "");
  for (size_t i = 0; i < n; i++) {
    int c = pattern[i];
    /* Past Z ('[', '\\', ...) would index bars beyond the 26 a file decodes. */
    if (c < 'A' || c > next || c > 'A' + DF_TILE_MAX_LETTERS - 1)
      return DF_FAIL(DF_ERR_INVALID_ARG,
                     "tile pattern '%s': bar %zu is '%c'; use capital letters A to Z from A, each new one the "
                     "next letter (AAAB, AABB, ABAB)", pattern, i + 1, c);
    if (c == next) next++;
  }
  if (letters) *letters = next - 'A';
  return DF_OK;
}

df_status df_loop_tile(const df_audio *bars, const char *pattern, int n_bars, int64_t bar_frames,
                       int64_t fade_frames, df_audio *out) {
  int letters;
  DF_TRY(df_tile_pattern_check(pattern, &letters));
  if (!bars || !out) return DF_FAIL(DF_ERR_INVALID_ARG, "df_loop_tile: bars or out is NULL");
  if (n_bars < 1 || bar_frames < 1 || bar_frames > INT64_MAX / n_bars || fade_frames < 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "loop of %d bars of %lld frames with a fade of %lld",
                   n_bars, (long long)bar_frames, (long long)fade_frames);
  const int channels = bars[0].channels;
  /* Bars of other channel counts would be read past their ends. */
  for (int i = 0; i < letters; i++)
    if (bars[i].channels != channels || bars[i].rate != bars[0].rate || !bars[i].data)
      return DF_FAIL(DF_ERR_INVALID_ARG,
                     "loop bar %c: %d channels at %d Hz, bar A %d channels at %d Hz", 'A' + i,
                     bars[i].channels, bars[i].rate, channels, bars[0].rate);
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
