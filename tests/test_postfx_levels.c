/* Post-processing other than the low-pass: moving-average smoothing against a direct sum,
 * peak and RMS normalisation (levels measured independently here), the loudness gain limit,
 * and trimming trailing silence with its fade (lengths, untouched frames, the fade curve,
 * stereo compaction, silence left alone). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "drumforge/postfx.h"

static void smoothing(int64_t n, int window) {
  float *x = malloc(sizeof(float) * (size_t)n), *want = malloc(sizeof(float) * (size_t)n);
  df_test_fill_uniform(x, n, 11 + (uint64_t)window, -1, 1);
  for (int64_t i = 0; i < n; i++) {
    double s = 0;
    int count = 0;
    for (int64_t j = i - window / 2; j <= i + window / 2; j++)
      if (j >= 0 && j < n) {
        s += x[j];
        count++;
      }
    want[i] = (float)(s / count);
  }
  char what[96];
  snprintf(what, sizeof what, "moving average: window %d over %lld samples equals the direct mean", window,
           (long long)n);
  df_expect_ok(df_moving_average(x, n, window), what);
  df_expect_close(what, x, want, n, 0, 1e-6);
  free(x);
  free(want);
}

static double rms_db_direct(const float *x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return 10 * log10(s / (double)n);
}

static void levels(void) {
  enum { N = 8000 };
  float *x = malloc(sizeof(float) * 2 * N);
  for (int i = 0; i < N; i++) {
    x[i] = (float)(0.3 * sin(0.01 * i));
    x[N + i] = (float)(0.5 * sin(0.013 * i)); /* the louder channel */
  }
  df_audio a = {x, N, 2, 16000};
  df_expect_ok(df_normalize_peak(&a, -1.0), "peak normalise to -1 dBFS");
  float peak = 0;
  for (int i = 0; i < 2 * N; i++) peak = fmaxf(peak, fabsf(x[i]));
  df_expect_close("peak over both channels is -1 dBFS", &peak, (float[]){(float)pow(10, -1 / 20.0)}, 1, 1e-6, 0);

  df_expect_ok(df_normalize_rms(&a, -20.0), "loudness normalise to -20 dBFS RMS");
  float got = (float)rms_db_direct(x, 2 * N);
  df_expect_close("RMS level over both channels is -20 dBFS", &got, (float[]){-20.0f}, 1, 0, 1e-4);

  /* A full-scale sine reads -3.01 dBFS. */
  for (int i = 0; i < N; i++) x[i] = (float)sin(2 * M_PI * i / 80.0);
  df_audio mono = {x, N, 1, 16000};
  float sine_db = (float)df_audio_rms_db(&mono);
  df_expect_close("full-scale sine is -3.01 dBFS RMS", &sine_db, (float[]){(float)(10 * log10(0.5))}, 1, 0, 1e-4);

  /* A click cannot reach -6 dBFS RMS without clipping: the gain stops at full scale. */
  memset(x, 0, sizeof(float) * N);
  x[100] = 0.1f;
  df_expect_ok(df_normalize_rms(&mono, -6.0), "loudness normalise a click");
  df_expect_close("the gain is limited at a peak of 0 dBFS", &x[100], (float[]){1.0f}, 1, 1e-6, 0);

  memset(x, 0, sizeof(float) * N);
  df_expect_ok(df_normalize_peak(&mono, -1.0), "peak normalise silence");
  df_expect_ok(df_normalize_rms(&mono, -20.0), "loudness normalise silence");
  df_expect_true(df_audio_peak(&mono) == 0.0f && isinf(df_audio_rms_db(&mono)), "silence stays silent");
  df_expect_status(df_normalize_peak(&mono, 3.0), DF_ERR_INVALID_ARG, "a peak above 0 dBFS is refused");
  df_expect_status(df_normalize_rms(&mono, NAN), DF_ERR_INVALID_ARG, "a NaN loudness is refused");
  free(x);
}

static void trimming(void) {
  enum { N = 10000, LAST = 5999, FADE = 160 };
  float *x = malloc(sizeof(float) * 2 * N), *orig = malloc(sizeof(float) * 2 * N);
  /* Left: a decaying tone that falls below -60 dBFS after frame LAST; right: quieter, with
   * a later tail below the threshold. */
  for (int i = 0; i < N; i++) {
    x[i] = i <= LAST ? (float)(0.8 * sin(0.05 * i + 0.1) * exp(-i / 3000.0)) : 1e-4f;
    x[N + i] = i < 3000 ? 0.5f : 2e-4f;
  }
  x[LAST] = 0.01f; /* the last frame at or above the threshold */
  memcpy(orig, x, sizeof(float) * 2 * N);
  df_audio a = {x, N, 2, 16000};
  df_expect_ok(df_trim_trailing_silence(&a, -60.0, FADE), "trim at -60 dBFS with a 160-frame fade");
  df_expect_true(a.frames == LAST + 1 + FADE, "the sound ends FADE frames after its last loud frame");
  df_expect_equal_bytes("left channel unchanged up to the last loud frame", x, orig, sizeof(float) * (LAST + 1));
  df_expect_equal_bytes("right channel compacted to the new length, unchanged up to the last loud frame",
                        x + a.frames, orig + N, sizeof(float) * (LAST + 1));
  float fade[2][FADE], want[2][FADE];
  for (int k = 0; k < FADE; k++) {
    double c = cos(M_PI / 2 * (k + 1) / FADE);
    for (int ch = 0; ch < 2; ch++) {
      fade[ch][k] = x[ch * a.frames + LAST + 1 + k];
      want[ch][k] = (float)(orig[ch * N + LAST + 1 + k] * c * c);
    }
  }
  df_expect_close("the tail fades out along cos^2 to exactly 0", &fade[0][0], &want[0][0], 2 * FADE, 1e-6, 1e-9);
  df_expect_true(fade[0][FADE - 1] == 0.0f && fade[1][FADE - 1] == 0.0f, "the last frame is 0");

  /* The fade is cut short when the sound ends first. */
  for (int i = 0; i < N; i++) x[i] = i < N - 20 ? 0.5f : 0.0f;
  df_audio b = {x, N, 1, 16000};
  df_expect_ok(df_trim_trailing_silence(&b, -60.0, 100), "trim near the end");
  df_expect_true(b.frames == N && x[N - 1] == 0.0f && x[N - 21] == 0.5f, "a fade cut short by the end of the sound");

  memset(x, 0, sizeof(float) * N);
  df_audio c = {x, N, 1, 16000};
  df_expect_ok(df_trim_trailing_silence(&c, -60.0, 100), "trim silence");
  df_expect_true(c.frames == N, "a silent sound is left whole");
  df_expect_status(df_trim_trailing_silence(&c, 1.0, 100), DF_ERR_INVALID_ARG, "a threshold above 0 dBFS is refused");
  free(x);
  free(orig);
}

int main(void) {
  df_test_begin("test_postfx_levels");
  static const int windows[] = {1, 3, 7, 31};
  static const int64_t lengths[] = {1, 2, 50, 1000};
  for (int w = 0; w < 4; w++)
    for (int l = 0; l < 4; l++) smoothing(lengths[l], windows[w]);
  float x[4] = {1, 2, 3, 4};
  df_expect_status(df_moving_average(x, 4, 4), DF_ERR_INVALID_ARG, "an even window is refused");
  df_expect_status(df_moving_average(x, 4, 0), DF_ERR_INVALID_ARG, "a zero window is refused");
  levels();
  trimming();
  return df_test_finish();
}
