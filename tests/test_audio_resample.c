/* Resampling with libsoxr: the output length is the rounded rate ratio, a sine keeps its
 * frequency and amplitude, an impulse stays at the same time (linear phase: onsets do not
 * move), channels stay separate, and equal rates copy exactly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"

static void sine(df_audio *a, int c, double freq, double amp) {
  for (int64_t i = 0; i < a->frames; i++)
    a->data[(int64_t)c * a->frames + i] = (float)(amp * sin(2 * M_PI * freq * i / a->rate));
}

int main(void) {
  df_test_begin("test_audio_resample");
  static const int pairs[][2] = {{44100, 16000}, {48000, 16000}, {22050, 14700}, {44100, 14700},
                                 {16000, 48000}, {96000, 22050}, {12345, 16000}};
  for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
    int from = pairs[k][0], to = pairs[k][1];
    char what[256];
    df_audio in, out;
    int64_t frames = from / 2 + 3;
    df_expect_ok(df_audio_alloc(&in, 2, frames, from), "alloc");
    double f0 = 440.0, f1 = 1000.0;
    sine(&in, 0, f0, 0.5);
    sine(&in, 1, f1, 0.25);
    snprintf(what, sizeof what, "%d -> %d Hz", from, to);
    if (!df_expect_ok(df_audio_resample(&in, to, &out), what)) continue;
    int64_t want = (int64_t)llround((double)frames * to / from);
    snprintf(what, sizeof what, "%d -> %d Hz: %lld frames (want %lld), rate, channels", from, to,
             (long long)out.frames, (long long)want);
    df_expect_true(out.frames == want && out.rate == to && out.channels == 2, what);

    /* Away from the edges (filter transients) each channel is its own sine at the new rate. */
    df_audio ref;
    df_audio_alloc(&ref, 2, out.frames, to);
    sine(&ref, 0, f0, 0.5);
    sine(&ref, 1, f1, 0.25);
    int64_t edge = to / 20;
    for (int c = 0; c < 2; c++) {
      snprintf(what, sizeof what, "%d -> %d Hz: channel %d sine", from, to, c);
      df_expect_close(what, out.data + c * out.frames + edge, ref.data + c * ref.frames + edge,
                      out.frames - 2 * edge, 0.0, 2e-3);
    }
    df_audio_free(&ref);
    df_audio_free(&out);

    /* An impulse at time t lands on round(t * to) (the peak of the band-limited pulse). */
    memset(in.data, 0, sizeof(float) * 2 * frames);
    int64_t at = from / 10; /* 0.1 s: an integer sample time at every rate above */
    in.data[at] = 1.0f;
    if (df_expect_ok(df_audio_resample(&in, to, &out), "resample impulse")) {
      int64_t peak = 0;
      for (int64_t i = 1; i < out.frames; i++)
        if (fabsf(out.data[i]) > fabsf(out.data[peak])) peak = i;
      int64_t expect = (int64_t)llround((double)at * to / from);
      snprintf(what, sizeof what, "%d -> %d Hz: impulse at %lld lands at %lld (want %lld)", from,
               to, (long long)at, (long long)peak, (long long)expect);
      df_expect_true(peak == expect, what);
      df_audio_free(&out);
    }
    df_audio_free(&in);
  }

  df_audio in, out;
  df_audio_alloc(&in, 1, 1000, 16000);
  sine(&in, 0, 300, 0.7);
  if (df_expect_ok(df_audio_resample(&in, 16000, &out), "equal rates")) {
    df_expect_equal_bytes("equal rates copy exactly", out.data, in.data, sizeof(float) * 1000);
    df_audio_free(&out);
  }
  df_expect_status(df_audio_resample(&in, 0, &out), DF_ERR_INVALID_ARG, "rate 0 is refused");
  df_audio_free(&in);
  return df_test_finish();
}
