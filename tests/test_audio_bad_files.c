/* Unusable audio files are rejected with a one-line reason that names the file: corrupt,
 * truncated (WAV, AIFF, FLAC, OGG), empty, zero frames, NaN, Inf and absurd (beyond +60 dBFS)
 * samples, too long, broken links, folders and text files; odd but valid file names read fine. */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"

static char dir[4096];

/* libvorbis leaks its info block when libsndfile gives up on a malformed OGG stream (not
 * drumforge's memory): tell LeakSanitizer, in sanitizer builds, to let that one go. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:vorbis_info_init\n"; }

/* Reading `name` fails with `want` and a message naming the file and containing `reason`. */
static void expect_rejected(const char *name, df_status want, const char *reason) {
  char path[4300], what[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  df_audio a;
  df_status s = df_audio_read(path, NULL, &a);
  snprintf(what, sizeof what, "%s is rejected", name);
  if (!df_expect_status(s, want, what)) {
    if (s == DF_OK) df_audio_free(&a);
    return;
  }
  const char *msg = df_last_error();
  snprintf(what, sizeof what, "%s: reason names the file and says '%s' (got: %s)", name, reason, msg);
  df_expect_true(strstr(msg, path) != NULL && strstr(msg, reason) != NULL && !strchr(msg, '\n'), what);
  df_expect_true(a.data == NULL, "nothing is allocated on failure");
}

/* Copies the first `keep` bytes of src into dst. */
static void truncate_copy(const char *src, const char *dst, double keep_fraction) {
  char *data;
  size_t len;
  if (df_read_file(src, &data, &len) != DF_OK) return;
  FILE *f = fopen(dst, "wb");
  fwrite(data, 1, (size_t)(len * keep_fraction), f);
  fclose(f);
  free(data);
}

int main(void) {
  df_test_begin("test_audio_bad_files");
  df_test_scratch_dir("audio_bad_files", dir, sizeof dir);
  char p[4300], q[4300];
  const int rate = 22050;
  const int64_t frames = 8000;
  float *x = malloc(sizeof(float) * frames * 2);
  df_test_tone(x, 2, frames, rate, 0, 300.0);

  /* Truncated files of each container: cut in the middle of the audio data. */
  static const struct { const char *name; int format; } full[] = {
      {"full.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
      {"full.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24},
      {"full.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
      {"full.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
  };
  for (size_t i = 0; i < sizeof full / sizeof full[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, full[i].name);
    df_test_write_sndfile(p, full[i].format, 2, rate, frames, x);
    df_audio a;
    char what[256];
    snprintf(what, sizeof what, "intact %s reads", full[i].name);
    if (df_expect_ok(df_audio_read(p, NULL, &a), what)) df_audio_free(&a);
    snprintf(q, sizeof q, "%s/cut-%s", dir, full[i].name);
    truncate_copy(p, q, 0.5);
  }
  expect_rejected("cut-full.wav", DF_ERR_FORMAT, "truncated");
  expect_rejected("cut-full.aiff", DF_ERR_FORMAT, "truncated");
  expect_rejected("cut-full.flac", DF_ERR_FORMAT, "corrupt");
  expect_rejected("cut-full.ogg", DF_ERR_FORMAT, "not a readable audio file");

  /* A WAV header followed by garbage where a FLAC stream should be, random bytes, text. */
  snprintf(p, sizeof p, "%s/noise.wav", dir);
  FILE *f = fopen(p, "wb");
  for (int i = 0; i < 4096; i++) fputc((i * 7919 + 13) & 0xff, f);
  fclose(f);
  expect_rejected("noise.wav", DF_ERR_FORMAT, "not a readable audio file");
  snprintf(p, sizeof p, "%s/readme.flac", dir);
  df_test_write_text(p, "this is not audio\n");
  expect_rejected("readme.flac", DF_ERR_FORMAT, "not a readable audio file");
  snprintf(p, sizeof p, "%s/full.flac", dir);
  snprintf(q, sizeof q, "%s/header-only.flac", dir);
  truncate_copy(p, q, 0.02);
  expect_rejected("header-only.flac", DF_ERR_FORMAT, "truncated or corrupt");

  /* Empty: 0 bytes; a valid header with no frames. */
  snprintf(p, sizeof p, "%s/empty.wav", dir);
  df_test_write_text(p, "");
  expect_rejected("empty.wav", DF_ERR_FORMAT, "empty file (0 bytes)");
  snprintf(p, sizeof p, "%s/zero-frames.wav", dir);
  df_test_write_sndfile(p, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, rate, 0, x);
  expect_rejected("zero-frames.wav", DF_ERR_FORMAT, "no audio frames");

  /* NaN, Inf and finite but absurd samples (beyond +60 dBFS) in float files, rejected naming
   * the frame (and the value); some headroom over full scale is fine. */
  static const struct { const char *name; int format; float value; const char *reason; } bad_samples[] = {
      {"nan.wav", SF_FORMAT_WAV, NAN, "NaN sample at frame 1234"},
      {"inf.aiff", SF_FORMAT_AIFF, INFINITY, "infinite sample at frame 1234"},
      {"huge.wav", SF_FORMAT_WAV, 1e30f, "sample 1e+30 at frame 1234, channel 0"},
      {"huge.aiff", SF_FORMAT_AIFF, -3e38f, "sample -3e+38 at frame 1234"},
      {"loud.wav", SF_FORMAT_WAV, 8.0f, NULL}, /* +18 dBFS */
  };
  float *bad = malloc(sizeof(float) * frames);
  memcpy(bad, x, sizeof(float) * frames);
  for (size_t i = 0; i < sizeof bad_samples / sizeof bad_samples[0]; i++) {
    bad[1234] = bad_samples[i].value;
    snprintf(p, sizeof p, "%s/%s", dir, bad_samples[i].name);
    df_test_write_sndfile(p, bad_samples[i].format | SF_FORMAT_FLOAT, 1, rate, frames, bad);
    df_audio loud;
    if (bad_samples[i].reason) expect_rejected(bad_samples[i].name, DF_ERR_FORMAT, bad_samples[i].reason);
    else if (df_expect_ok(df_audio_read(p, NULL, &loud), "a float file peaking at +18 dBFS is read"))
      df_audio_free(&loud);
  }
  free(bad);

  /* Too long for the limit. */
  snprintf(p, sizeof p, "%s/full.wav", dir);
  df_audio_read_options lim = {.mono = 0, .max_seconds = 0.1};
  df_audio a;
  df_status s = df_audio_read(p, &lim, &a);
  df_expect_status(s, DF_ERR_FORMAT, "a file longer than max_seconds is rejected");
  df_expect_true(strstr(df_last_error(), "too long") != NULL, "the reason says too long");

  /* Broken link, missing file, a folder with an audio name. */
  snprintf(p, sizeof p, "%s/link.wav", dir);
  if (symlink("does-not-exist.wav", p) == 0) expect_rejected("link.wav", DF_ERR_NOT_FOUND, "broken symbolic link");
  expect_rejected("missing.wav", DF_ERR_NOT_FOUND, "No such file");
  snprintf(p, sizeof p, "%s/folder.wav", dir);
  mkdir(p, 0777);
  expect_rejected("folder.wav", DF_ERR_FORMAT, "not a regular file");

  /* Odd but valid names: spaces, quotes, UTF-8, a leading dash, a newline, no extension. */
  static const char *odd[] = {"with space.wav", "quote'and\"dq.wav", "\xc3\xa9t\xc3\xa9 \xe2\x99\xaa.flac",
                              "-dash.wav", "new\nline.wav", "noextension"};
  for (size_t i = 0; i < sizeof bad_samples / sizeof bad_samples[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, odd[i]);
    int fmt = strstr(odd[i], ".flac") ? SF_FORMAT_FLAC | SF_FORMAT_PCM_16 : SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    df_test_write_sndfile(p, fmt, 1, rate, frames, x);
    char what[256];
    snprintf(what, sizeof what, "odd file name #%zu reads", i);
    if (df_expect_ok(df_audio_read(p, NULL, &a), what)) {
      df_expect_true(a.frames == frames, "all frames of the odd-named file");
      df_audio_free(&a);
    }
  }
  free(x);
  return df_test_finish();
}
