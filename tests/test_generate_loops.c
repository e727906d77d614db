/* Loops tiled from generated bars: the bar length round(60 / bpm * 4 * rate) (checked with
 * integer arithmetic), df_loop_tile's placement, padding, cut-and-fade and pattern repeats,
 * pattern validation, and `generate --tile` end to end: bars that repeat are identical, bar A
 * is the one-shot of the same position padded to the bar, B differs unless --variation 0,
 * and the manifest records the tile. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/gen_fixture.h"
#include "common/testlib.h"

static char dir[4096], ckpt[4200];

/* round(240 rate / bpm) for an integer bpm, half up, in integers. */
static int64_t bar_exact(int64_t bpm, int64_t rate) { return (2 * 240 * rate + bpm) / (2 * bpm); }

static void bar_lengths(void) {
  static const int bpms[] = {60, 90, 120, 125, 133, 174};
  static const int rates[] = {14700, 16000, 22050, 44100, 48000};
  int bad = 0;
  for (int i = 0; i < 6; i++)
    for (int k = 0; k < 5; k++)
      if (df_loop_bar_frames(bpms[i], rates[k]) != bar_exact(bpms[i], rates[k])) bad++;
  df_expect_true(bad == 0, "bar length is round(240 rate / bpm) for 30 tempo and rate pairs");
}

static void tiling(void) {
  df_audio bars[2];
  df_audio_alloc(&bars[0], 2, 1000, 16000); /* shorter than a bar: padded */
  df_audio_alloc(&bars[1], 2, 2000, 16000); /* longer: cut with a fade */
  for (int c = 0; c < 2; c++) {
    for (int i = 0; i < 1000; i++) bars[0].data[c * 1000 + i] = 0.1f + 0.001f * (float)i + (float)c;
    for (int i = 0; i < 2000; i++) bars[1].data[c * 2000 + i] = -0.2f - 0.0001f * (float)i - (float)c;
  }
  df_audio loop;
  const int64_t bar = 1500, fade = 100;
  if (!df_expect_ok(df_loop_tile(bars, "AAB", 5, bar, fade, &loop), "tile AAB into 5 bars")) return;
  df_expect_true(loop.frames == 5 * bar && loop.channels == 2 && loop.rate == 16000, "5 bars of 1500 frames, stereo");
  static const int letters[5] = {0, 0, 1, 0, 0}; /* AAB repeated: A A B A A */
  float *want = calloc(2 * 5 * bar, sizeof(float));
  for (int b = 0; b < 5; b++)
    for (int c = 0; c < 2; c++) {
      const df_audio *src = &bars[letters[b]];
      int64_t n = src->frames < bar ? src->frames : bar;
      for (int64_t i = 0; i < n; i++) {
        double g = 1.0;
        if (src->frames > bar && i >= n - fade) {
          double s = sin(M_PI / 2 * (double)(n - 1 - i) / (double)fade);
          g = s * s;
        }
        want[c * 5 * bar + b * bar + i] = (float)(src->data[c * src->frames + i] * g);
      }
    }
  df_expect_close("bars placed at multiples of the bar length, padded or cut with a fade", loop.data, want,
                  2 * 5 * bar, 1e-6, 0);
  free(want);
  df_audio_free(&loop);
  df_audio_free(&bars[0]);
  df_audio_free(&bars[1]);

  int n = 0;
  df_expect_true(df_tile_pattern_check("AAAB", &n) == DF_OK && n == 2, "AAAB needs two bars");
  df_expect_true(df_tile_pattern_check("ABAC", &n) == DF_OK && n == 3, "ABAC needs three bars");
  df_expect_true(df_tile_pattern_check("ABCDEFGHIJKLMNOPQRSTUVWXYZ", &n) == DF_OK && n == DF_TILE_MAX_LETTERS,
                 "A to Z: 26 bars");
  /* '[' follows 'Z': it was taken as a 27th bar, written past the 26 a file decodes. */
  static const char *const bad[] = {"", "AC", "BA", "aB", "A-B", "ABCDEFGHIJKLMNOPQRSTUVWXYZ["};
  for (int i = 0; i < 6; i++) {
    char what[64];
    snprintf(what, sizeof what, "pattern '%s' is refused", bad[i]);
    df_expect_status(df_tile_pattern_check(bad[i], &n), DF_ERR_INVALID_ARG, what);
  }
}

/* --bars that end the loop before a letter's first bar: that bar would be decoded unheard. */
static void bars_and_pattern(void) {
  df_generate_options o = {0};
  o.truncation = 1.0f;
  o.format = "wav";
  o.tile.bpm = 120;
  o.tile.pattern = "AAAB";
  o.tile.bars = 3;
  df_expect_status(df_generate_check_settings(&o), DF_ERR_INVALID_ARG, "AAAB in 3 bars (B never plays) is refused");
  o.tile.bars = 4;
  df_expect_ok(df_generate_check_settings(&o), "AAAB in 4 bars");
  o.tile.pattern = "ABAB";
  o.tile.bars = 2;
  df_expect_ok(df_generate_check_settings(&o), "ABAB in 2 bars (every letter plays)");
}

/* Runs generate with args; 1 when it exits with `want` and wrote no file into DIR/OUT. */
static int refused(const char *out, const char *args, int want, const char *needle) {
  char cmd[8192], folder[4400], *err = NULL;
  snprintf(cmd, sizeof cmd, "generate --checkpoint %s --out %s/%s --device cpu --quiet %s", ckpt, dir, out, args);
  int rc = df_test_drumforge(dir, cmd, &err);
  snprintf(folder, sizeof folder, "%s/%s", dir, out);
  int ok = rc == want && err && strstr(err, needle) && /* one line */
           strchr(err, '\n') == err + strlen(err) - 1 && df_test_count_files(folder, ".wav") <= 0;
  if (!ok) fprintf(stderr, "  generate %s: exit %d, stderr: %s", args, rc, err ? err : "");
  free(err);
  return ok;
}

static void refusals(void) {
  df_expect_true(refused("empty", "--tile '' --bpm 90", 2, "--tile needs a pattern"),
                 "--tile '' is a usage error (it made one-shots, dropping --bpm)");
  df_expect_true(refused("short", "--tile AAAB --bars 3", 2, "never plays its bar B"), "--tile AAAB --bars 3 exits 2");
  df_expect_true(refused("past_z", "--tile ABCDEFGHIJKLMNOPQRSTUVWXYZ[", 2, "bar 27 is '['"),
                 "a pattern past Z exits 2 (it crashed)");
  /* 1024 bars of 12 s at 96 kHz in float, mono: 4.4 GiB, which was written with wrapped sizes.
   * Limits on memory and file size keep a regression from writing gigabytes. */
  struct rlimit as, fsize;
  getrlimit(RLIMIT_AS, &as);
  getrlimit(RLIMIT_FSIZE, &fsize);
  struct rlimit fsize_cap = {1L << 26, fsize.rlim_max};
#if !defined(__SANITIZE_ADDRESS__) /* its shadow memory needs terabytes of address space */
  struct rlimit as_cap = {1L << 31, as.rlim_max};
  setrlimit(RLIMIT_AS, &as_cap);
#endif
  setrlimit(RLIMIT_FSIZE, &fsize_cap);
  df_expect_true(refused("huge", "--tile A --bars 1024 --bpm 20 --rate 96000 --bits float --count 1", 1,
                         "a WAV file holds at most 4 GiB"),
                 "a loop past WAV's 4 GiB fails before decoding, naming the file");
  setrlimit(RLIMIT_AS, &as);
  setrlimit(RLIMIT_FSIZE, &fsize);
}

static int generate(const char *out, const char *extra) {
  char args[8192];
  snprintf(args, sizeof args, "--seed 4 --count 2 --batch 8 --bits float %s", extra);
  return df_test_generate(dir, ckpt, out, args);
}

static float *read_wav(const char *out, const char *name, int64_t *frames) {
  char path[4400];
  snprintf(path, sizeof path, "%s/%s/%s", dir, out, name);
  df_audio a;
  if (df_audio_read(path, NULL, &a) != DF_OK) return NULL;
  *frames = a.frames;
  return a.data;
}

static void end_to_end(void) {
  if (!df_expect_true(generate("loops", "--tile AAAB --bpm 120 --bars 8") && generate("oneshots", "") &&
                      generate("same", "--tile AAAB --bpm 120 --variation 0"), "generate loops and one-shots"))
    return;
  int64_t frames = 0, shot_frames = 0, same_frames = 0;
  float *loop = read_wav("loops", "loop_000001.wav", &frames);
  float *shot = read_wav("oneshots", "sound_000001.wav", &shot_frames);
  float *same = read_wav("same", "loop_000001.wav", &same_frames);
  const int64_t bar = 32000; /* 2 s at 16 kHz */
  if (!df_expect_true(loop && shot && same && frames == 8 * bar && same_frames == 4 * bar, "8 and 4 bars of 32000 frames"))
    return;
  size_t bytes = sizeof(float) * bar;
  df_expect_true(!memcmp(loop, loop + bar, bytes) && !memcmp(loop, loop + 2 * bar, bytes), "bars 1-3 (AAA) are identical");
  df_expect_true(memcmp(loop, loop + 3 * bar, bytes) != 0, "bar 4 (B) differs from A");
  df_expect_true(!memcmp(loop, loop + 4 * bar, 4 * bytes), "the pattern repeats over bars 5-8");
  float *want = calloc((size_t)bar, sizeof(float));
  memcpy(want, shot, sizeof(float) * (size_t)shot_frames);
  df_expect_close("bar A is the one-shot of the same position, then silence", loop, want, bar, 0, 0);
  df_expect_true(!memcmp(same, same + 3 * bar, bytes), "with --variation 0 bar B equals A");
  free(want);
  free(loop);
  free(shot);
  free(same);

  char path[4400], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/loops/manifest.jsonl", dir);
  df_read_file(path, &text, &len);
  cJSON *j = cJSON_Parse(text);
  cJSON *tile = cJSON_GetObjectItem(j, "tile");
  cJSON *lat = cJSON_GetObjectItem(tile, "latents");
  df_expect_true(cJSON_GetArraySize(lat) == 2 && cJSON_GetArraySize(cJSON_GetArrayItem(lat, 1)) == 100 &&
                     cJSON_GetObjectItem(tile, "bar_frames")->valuedouble == bar &&
                     !strcmp(cJSON_GetObjectItem(tile, "pattern")->valuestring, "AAAB"),
                 "the manifest records the pattern, the bar length and both bars' latents");
  cJSON_Delete(j);
  free(text);

  /* An interpolated loop's variations come from --seed: its manifest line must say which. */
  if (!df_expect_true(generate("walk", "--tile AB --interpolate 1 2 --steps 2 --seed 9"), "tile an interpolation"))
    return;
  snprintf(path, sizeof path, "%s/walk/manifest.jsonl", dir);
  df_read_file(path, &text, &len);
  j = cJSON_Parse(text);
  tile = cJSON_GetObjectItem(j, "tile");
  cJSON *seed = cJSON_GetObjectItem(tile, "seed"), *trunc = cJSON_GetObjectItem(tile, "truncation");
  df_expect_true(seed && seed->valuedouble == 9 && trunc && trunc->valuedouble == 1,
                 "the manifest records the variations' seed and truncation");
  cJSON_Delete(j);
  free(text);
}

int main(void) {
  df_test_begin("test_generate_loops");
  if (!df_test_generate_setup("generate_loops", 0, 5, dir, sizeof dir, ckpt, sizeof ckpt)) return df_test_finish();
  bar_lengths();
  tiling();
  bars_and_pattern();
  refusals();
  end_to_end();
  return df_test_finish();
}
