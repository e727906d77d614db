/* Writing WAV (16, 24-bit, float) and FLAC (16, 24-bit): the files read back with their
 * samples within one quantisation step, clip instead of wrapping, replace an existing file
 * only when complete (no temporary left), and bad requests are refused naming the file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"

int main(void) {
  df_test_begin("test_audio_write");
  char dir[4096], path[4300], what[512];
  df_test_scratch_dir("audio_write", dir, sizeof dir);
  df_audio a;
  df_audio_alloc(&a, 2, 4001, 44100);
  df_test_tone(a.data, 2, a.frames, a.rate, 10, 220.0);
  a.data[20] = 1.7f;   /* out of range: must clip to full scale in integer files */
  a.data[21] = -1.7f;

  static const struct { const char *ext; df_audio_encoding enc; double tol; } cases[] = {
      {"wav", DF_AUDIO_PCM16, 1.0 / 16384}, {"wav", DF_AUDIO_PCM24, 1.0 / 4194304},
      {"wav", DF_AUDIO_FLOAT32, 0.0},       {"flac", DF_AUDIO_PCM16, 1.0 / 16384},
      {"flac", DF_AUDIO_PCM24, 1.0 / 4194304},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(path, sizeof path, "%s/out%zu.%s", dir, i, cases[i].ext);
    snprintf(what, sizeof what, "write %s encoding %d", cases[i].ext, cases[i].enc);
    if (!df_expect_ok(df_audio_write(path, &a, cases[i].enc), what)) continue;
    df_expect_true(df_test_count_temporaries(dir) == 0, "no temporary file is left");
    df_audio b;
    if (!df_expect_ok(df_audio_read(path, NULL, &b), "read back")) continue;
    df_expect_true(b.frames == a.frames && b.channels == 2 && b.rate == 44100, "shape and rate");
    float *want = malloc(sizeof(float) * 2 * a.frames);
    for (int64_t k = 0; k < 2 * a.frames; k++)
      want[k] = cases[i].enc == DF_AUDIO_FLOAT32 ? a.data[k] : fminf(1.0f, fmaxf(-1.0f, a.data[k]));
    df_expect_close(what, b.data, want, 2 * a.frames, 0.0, cases[i].tol + 1e-9);
    free(want);
    df_audio_free(&b);
  }

  /* Overwriting keeps the old file until the new one is complete: a refused write leaves
   * the previous content in place. */
  snprintf(path, sizeof path, "%s/out0.wav", dir);
  df_audio bad = a;
  bad.rate = 0;
  df_expect_status(df_audio_write(path, &bad, DF_AUDIO_PCM16), DF_ERR_INVALID_ARG, "rate 0 refused");
  df_audio b;
  if (df_expect_ok(df_audio_read(path, NULL, &b), "old file still readable")) {
    df_expect_true(b.frames == a.frames, "old file intact");
    df_audio_free(&b);
  }
  snprintf(path, sizeof path, "%s/x.flac", dir);
  df_expect_status(df_audio_write(path, &a, DF_AUDIO_FLOAT32), DF_ERR_UNSUPPORTED, "float FLAC refused");
  df_expect_true(strstr(df_last_error(), "x.flac") != NULL, "the error names the file");
  snprintf(path, sizeof path, "%s/x.mp4", dir);
  df_expect_status(df_audio_write(path, &a, DF_AUDIO_PCM16), DF_ERR_INVALID_ARG, "unknown extension refused");
  snprintf(path, sizeof path, "%s/no/such/dir/x.wav", dir);
  df_expect_status(df_audio_write(path, &a, DF_AUDIO_PCM16), DF_ERR_IO, "missing folder reported");
  df_audio_encoding e;
  df_expect_true(df_parse_audio_encoding("24", &e) == DF_OK && e == DF_AUDIO_PCM24, "parse '24'");
  df_expect_status(df_parse_audio_encoding("12", &e), DF_ERR_INVALID_ARG, "parse '12' refused");
  df_expect_true(df_parse_audio_encoding("float32", &e) == DF_OK && e == DF_AUDIO_FLOAT32, "parse 'float32'");
  df_expect_status(df_parse_audio_encoding("32", &e), DF_ERR_INVALID_ARG,
                   "parse '32' refused (32-bit integers are not written; float is asked for by name)");
  df_audio_free(&a);
  return df_test_finish();
}
