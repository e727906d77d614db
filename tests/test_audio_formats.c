/* Reading real files of every supported format, bit depth, channel count and odd rates,
 * written here with libsndfile: the header fields come back, the samples match within the
 * format's quantisation step, and the mono mix-down is the channel average. */
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#include "common/datafiles.h"
#include "common/testlib.h"

typedef struct fmt_case {
  const char *ext;
  int format;
  const char *encoding; /* df_audio_probe's name */
  double tol;           /* per-sample tolerance: one quantisation step (libsndfile scales by
                           2^(bits-1) - 1 on write and 2^(bits-1) on read) */
} fmt_case;

static const fmt_case cases[] = {
    {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, "PCM_U8", 1.0 / 64},
    {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, "PCM_16", 1.0 / 16384},
    {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, "PCM_24", 1.0 / 4194304},
    {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_32, "PCM_32", 1e-7},
    {"wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, "FLOAT", 0.0},
    {"wav", SF_FORMAT_WAV | SF_FORMAT_DOUBLE, "DOUBLE", 1e-7},
    {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_S8, "PCM_S8", 1.0 / 64},
    {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, "PCM_16", 1.0 / 16384},
    {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, "PCM_24", 1.0 / 4194304},
    {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_S8, "PCM_S8", 1.0 / 64},
    {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, "PCM_16", 1.0 / 16384},
    {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24, "PCM_24", 1.0 / 4194304},
    {"aiff", SF_FORMAT_AIFF | SF_FORMAT_FLOAT, "FLOAT", 0.0},
    {"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, "VORBIS", 0.0 /* lossy: checked by SNR */},
};

static const int rates[] = {8000, 11025, 22050, 44100, 48000, 96000, 12345};

static double snr_db(const float *got, const float *want, int64_t n) {
  double s = 0, e = 0;
  for (int64_t i = 0; i < n; i++) {
    s += (double)want[i] * want[i];
    e += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
  }
  return 10 * log10(s / (e + 1e-30));
}

int main(void) {
  df_test_begin("test_audio_formats");
  char dir[4096], path[4300], what[512];
  df_test_scratch_dir("audio_formats", dir, sizeof dir);
  int k = 0;
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    const fmt_case *fc = &cases[ci];
    for (int channels = 1; channels <= 2; channels++) {
      /* Every case gets a different rate, so all rates meet several formats. */
      int rate = rates[k++ % (int)(sizeof rates / sizeof rates[0])];
      if (fc->format == (SF_FORMAT_OGG | SF_FORMAT_VORBIS) && rate < 11025) rate = 22050;
      int64_t frames = rate / 4 + 18; /* even: AIFF pads odd 8-bit data */
      float *x = malloc(sizeof(float) * (size_t)(channels * frames));
      df_test_tone(x, channels, frames, rate, 100, 440.0);
      snprintf(path, sizeof path, "%s/tone_%zu_%dch_%d.%s", dir, ci, channels, rate, fc->ext);
      if (df_test_write_sndfile(path, fc->format, channels, rate, frames, x)) {
        df_test_fail(path, "libsndfile could not write the fixture");
        free(x);
        continue;
      }
      snprintf(what, sizeof what, "%s %s %dch %d Hz", fc->ext, fc->encoding, channels, rate);

      df_audio_file_info info;
      char w2[600];
      snprintf(w2, sizeof w2, "%s: probe", what);
      if (df_expect_ok(df_audio_probe(path, &info), w2)) {
        snprintf(w2, sizeof w2, "%s: header (%s/%s %lld frames)", what, info.format,
                 info.encoding, (long long)info.frames);
        df_expect_true(info.channels == channels && info.rate == rate &&
                           !strcmp(info.encoding, fc->encoding) &&
                           (fc->format == (SF_FORMAT_OGG | SF_FORMAT_VORBIS) || info.frames == frames),
                       w2);
      }

      df_audio a;
      snprintf(w2, sizeof w2, "%s: read", what);
      if (df_expect_ok(df_audio_read(path, NULL, &a), w2)) {
        snprintf(w2, sizeof w2, "%s: shape", what);
        df_expect_true(a.channels == channels && a.rate == rate && a.frames == frames, w2);
        snprintf(w2, sizeof w2, "%s: samples", what);
        if (a.frames == frames) {
          if (fc->format == (SF_FORMAT_OGG | SF_FORMAT_VORBIS)) {
            double snr = snr_db(a.data, x, channels * frames);
            if (snr > 15) df_test_pass(w2);
            else df_test_fail(w2, "vorbis round trip SNR %.1f dB < 15 dB", snr);
          } else {
            df_expect_close(w2, a.data, x, channels * frames, 0.0, fc->tol + 1e-9);
          }
        }
        df_audio_read_options mono = {.mono = 1};
        df_audio m;
        snprintf(w2, sizeof w2, "%s: mono mix-down", what);
        if (df_expect_ok(df_audio_read(path, &mono, &m), w2)) {
          float *avg = malloc(sizeof(float) * (size_t)a.frames);
          for (int64_t i = 0; i < a.frames; i++) {
            double s = 0;
            for (int c = 0; c < a.channels; c++) s += a.data[(int64_t)c * a.frames + i];
            avg[i] = (float)(s / a.channels);
          }
          df_expect_true(m.channels == 1 && m.frames == a.frames, w2);
          df_expect_close(w2, m.data, avg, a.frames, 0.0, 1e-6);
          free(avg);
          df_audio_free(&m);
        }
        df_audio_free(&a);
      }
      free(x);
    }
  }
  return df_test_finish();
}
