/* `generate`'s output options against the library applied by hand to plain output: low-pass,
 * smoothing, trimming, resampling and normalisation each alone and all together (in the
 * documented order: low-pass, smoothing, trim at the model's rate, resample, normalise),
 * the RMS and peak levels reached, and 24-bit FLAC. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gen_fixture.h"
#include "common/testlib.h"

static char dir[4096], ckpt[4200];

static int generate(const char *out, const char *extra) {
  char args[8192];
  snprintf(args, sizeof args, "--seed 2 --count 3 --batch 4 --bits float %s", extra);
  return df_test_generate(dir, ckpt, out, args);
}

static int read_sound(const char *out, int k, const char *ext, df_audio *a) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s/sound_%06d.%s", dir, out, k, ext);
  return df_audio_read(path, NULL, a) == DF_OK;
}

typedef struct chain {
  double lowpass;
  int order, smooth;
  double trim_db, fade_ms;
  int rate;
  int peak;
  double level_db;
} chain;

/* The documented order, applied to a plain sound. */
static void apply(const chain *c, df_audio *a) {
  if (c->lowpass > 0) {
    df_butter f;
    df_butter_lowpass(c->order, c->lowpass, &f);
    df_filtfilt(&f, a->data, a->frames);
  }
  if (c->smooth > 1) df_moving_average(a->data, a->frames, c->smooth);
  if (c->trim_db < 0) df_trim_trailing_silence(a, c->trim_db, llround(c->fade_ms / 1000 * a->rate));
  if (c->rate && c->rate != a->rate) {
    df_audio r;
    df_audio_resample(a, c->rate, &r);
    df_audio_free(a);
    *a = r;
  }
  if (c->level_db < 0 && c->peak) df_normalize_peak(a, c->level_db);
  if (c->level_db < 0 && !c->peak) df_normalize_rms(a, c->level_db);
}

static void check(const char *name, const char *args, chain c) {
  char what[256];
  snprintf(what, sizeof what, "%s (%s)", name, args);
  if (!df_expect_true(generate(name, args), what)) return;
  for (int k = 0; k < 3; k++) {
    df_audio plain, got;
    if (!read_sound("plain", k, "wav", &plain) || !read_sound(name, k, "wav", &got)) {
      df_test_fail(what, "cannot read sound %d", k);
      continue;
    }
    apply(&c, &plain);
    snprintf(what, sizeof what, "%s: sound %d equals the library's chain on plain output", name, k);
    if (got.frames != plain.frames || got.rate != plain.rate)
      df_test_fail(what, "%lld frames at %d Hz, want %lld at %d", (long long)got.frames, got.rate,
                   (long long)plain.frames, plain.rate);
    else
      df_expect_close(what, got.data, plain.data, got.frames, 0, 1e-6);
    if (c.level_db < 0) {
      float level = c.peak ? (float)(20 * log10(df_audio_peak(&got))) : (float)df_audio_rms_db(&got);
      snprintf(what, sizeof what, "%s: sound %d reaches %g dBFS %s", name, k, c.level_db, c.peak ? "peak" : "RMS");
      if (c.peak || df_audio_peak(&got) < 0.999f) df_expect_close(what, &level, (float[]){(float)c.level_db}, 1, 0, 1e-3);
    }
    df_audio_free(&plain);
    df_audio_free(&got);
  }
}

int main(void) {
  df_test_begin("test_generate_postfx");
  if (!df_test_generate_setup("generate_postfx", 0, 8, dir, sizeof dir, ckpt, sizeof ckpt) ||
      !df_expect_true(generate("plain", ""), "plain output"))
    return df_test_finish();
  check("lowpass", "--lowpass 0.5 --lowpass-order 8", (chain){.lowpass = 0.5, .order = 8});
  check("smooth", "--smooth 5", (chain){.smooth = 5});
  /* The untrained model makes steady noise peaking near -32 dBFS: at -33 dBFS the last loud
   * sample falls somewhere inside the sound. */
  check("trim", "--trim -33 --fade 5", (chain){.trim_db = -33, .fade_ms = 5});
  df_audio t;
  char trimmed[4400];
  snprintf(trimmed, sizeof trimmed, "%s/trim/sound_000000.wav", dir);
  df_expect_true(df_audio_read(trimmed, NULL, &t) == DF_OK && t.frames < 16384 - 80, "--trim shortened the sound");
  df_audio_free(&t);
  check("rate", "--rate 44100", (chain){.rate = 44100});
  check("peak", "--peak -3", (chain){.peak = 1, .level_db = -3});
  check("loudness", "--loudness -24", (chain){.level_db = -24});
  check("all", "--lowpass 0.25 --lowpass-order 2 --smooth 3 --trim -40 --fade 20 --rate 22050 --peak -1",
        (chain){.lowpass = 0.25, .order = 2, .smooth = 3, .trim_db = -40, .fade_ms = 20, .rate = 22050, .peak = 1,
                .level_db = -1});

  df_expect_true(generate("flac", "--format flac --bits 24 --overwrite"), "generate 24-bit FLAC");
  char path[4400];
  snprintf(path, sizeof path, "%s/flac/sound_000000.flac", dir);
  df_audio_file_info info;
  df_expect_true(df_audio_probe(path, &info) == DF_OK && !strcmp(info.format, "FLAC") && !strcmp(info.encoding, "PCM_24"),
                 "the files are 24-bit FLAC");
  return df_test_finish();
}
