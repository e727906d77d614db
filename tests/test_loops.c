/* The loop builder: a loop rendered from a known pattern has its onsets exactly where the
 * pattern says, to the sample (round(step * rate * 60 / (bpm * 4)), also at tempos that do
 * not divide the rate), with the pattern's velocities; humanised timing moves hits by the
 * given offsets only; prepare --loops stores loops whose pattern JSON matches their samples,
 * makes them from a labelled bank (one kit), uses only samples of a loop's own split, and says
 * why when no kit can make a loop; bad pattern tables are refused naming file and line. */
#include <cjson/cJSON.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "data/loops.h"

static char names[3][DF_CLASS_NAME_LEN] = {"kick", "snare", "hh_closed"};

/* An impulse one-shot: one sample of `amp`, then zeros. */
static df_audio impulse(float amp) {
  df_audio a;
  df_audio_alloc(&a, 1, 64, 14700);
  a.data[0] = amp;
  return a;
}

/* Counts loops and those that use a test-split sample while not in the test split. */
typedef struct leak_check {
  int loops, leaks;
} leak_check;

static df_status check_loop_split(void *ctx, df_split split, float *audio, int64_t content, const char *kit,
                                  const char *source, const char *pattern_json, int64_t index) {
  leak_check *lc = ctx;
  lc->loops++;
  lc->leaks += split != DF_SPLIT_TEST && strstr(pattern_json, "kick-test") != NULL;
  return DF_OK;
}

int main(void) {
  df_test_begin("test_loops");
  char dir[4096], path[4300], what[256];
  df_test_scratch_dir("loops", dir, sizeof dir);
  snprintf(path, sizeof path, "%s/patterns.tsv", dir);
  df_test_write_text(path, "# test\nbeat\tkick\tX...X...X...x...\nbeat\tsnare\t....X.......Xo..\n"
                           "beat\thh_closed\tx.x.x.x.x.x.x.x.\n");
  loop_pattern *pats;
  int n;
  if (!df_expect_ok(loop_patterns_load(path, names, 3, &pats, &n), "load a pattern table")) return df_test_finish();
  df_expect_true(n == 1 && pats[0].n_tracks == 3 && pats[0].steps == 16, "one pattern of three 16-step rows");

  /* Distinct impulse heights per track, so every sample tells which tracks hit it. */
  df_audio k = impulse(1.0f), s = impulse(2.0f), h = impulse(4.0f);
  const df_audio *samples[3] = {&k, &s, &h};
  static const double tempos[] = {120.0, 123.07, 88.5};
  for (int ti = 0; ti < 3; ti++) {
    double bpm = tempos[ti];
    int bars = 2, rate = 14700;
    int64_t length = (int64_t)ceil(bars * 240.0 / bpm * rate);
    float *out = malloc(sizeof(float) * (size_t)length), *want = calloc((size_t)length, sizeof(float));
    loop_hit hits[128];
    int played = loop_render(&pats[0], bars, bpm, rate, samples, NULL, NULL, out, 1, length, hits, 128);
    /* Expected: each non-rest step of each row at round(step * rate * 60 / (bpm * 4)). */
    static const char *rows[3] = {"X...X...X...x...", "....X.......Xo..", "x.x.x.x.x.x.x.x."};
    int expected = 0;
    for (int t = 0; t < 3; t++)
      for (int step = 0; step < 32; step++) {
        char c = rows[t][step % 16];
        if (c == '.') continue;
        float v = c == 'X' ? 1.0f : c == 'x' ? 0.8f : 0.4f;
        want[llround(step * rate * 60.0 / (bpm * 4.0))] += v * samples[t]->data[0];
        expected++;
      }
    snprintf(what, sizeof what, "%.2f bpm: %d hits played (want %d)", bpm, played, expected);
    df_expect_true(played == expected, what);
    snprintf(what, sizeof what, "%.2f bpm, 2 bars at 14700 Hz: every onset on its sample", bpm);
    df_expect_close(what, out, want, length, 0, 1e-6);
    int hits_ok = 1;
    for (int i = 0; i < played && i < 128; i++)
      hits_ok &= hits[i].onset == llround(hits[i].step * rate * 60.0 / (bpm * 4.0));
    df_expect_true(hits_ok, "the reported hits carry those onsets");

    /* Humanised: every hit moves by exactly its jitter. */
    int64_t jitter[128];
    for (int i = 0; i < 128; i++) jitter[i] = (i * 7) % 11 - 5;
    loop_render(&pats[0], bars, bpm, rate, samples, jitter, NULL, out, 1, length, hits, 128);
    int moved_ok = 1;
    for (int i = 0; i < played && i < 128; i++) {
      int64_t grid = llround(hits[i].step * rate * 60.0 / (bpm * 4.0));
      moved_ok &= hits[i].onset == (grid + jitter[i] < 0 ? 0 : grid + jitter[i]);
    }
    df_expect_true(moved_ok, "humanised hits move by exactly their jitter");
    free(out);
    free(want);
  }
  df_audio_free(&k);
  df_audio_free(&s);
  df_audio_free(&h);
  free(pats);

  /* Bad tables. */
  static const struct { const char *text, *reason; } bad[] = {
      {"a\tcowbell\tx...............\n", "bad.tsv:1: class 'cowbell'"},
      {"a\tkick\tx..\n", "bad.tsv:1: 3 steps"},
      {"a\tkick\tx.......z.......\n", "step 9 is 'z'"},
      {"a\tkick\n", "want NAME"},
      {"# only comments\n", "no patterns"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(path, sizeof path, "%s/bad.tsv", dir);
    df_test_write_text(path, bad[i].text);
    snprintf(what, sizeof what, "bad pattern table #%zu refused with '%s'", i, bad[i].reason);
    df_status st = loop_patterns_load(path, names, 3, &pats, &n);
    df_expect_true(st == DF_ERR_CONFIG && strstr(df_last_error(), bad[i].reason), what);
  }

  /* prepare --loops on a kit of impulses: the stored audio is what the stored pattern says. */
  char kits[4300], out_dir[4300];
  snprintf(kits, sizeof kits, "%s/kits", dir);
  mkdir(kits, 0777);
  static const char *inst[] = {"Kick", "Snare", "Closed HH", "Open HH"};
  for (int kit = 0; kit < 3; kit++) {
    char kd[4400];
    snprintf(kd, sizeof kd, "%s/Kit%d", kits, kit);
    df_test_write_kit(kits, kd + strlen(kits) + 1, inst, 4, 14700, 256, 0, kit);
    for (int i = 0; i < 4; i++) { /* replace each sample by an impulse of height 0.1 (i + 1) */
      float x[256] = {0};
      x[0] = 0.1f * (float)(i + 1);
      snprintf(path, sizeof path, "%s/i%d.wav", kd, i);
      df_test_write_sndfile(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 14700, 256, x);
    }
  }
  snprintf(out_dir, sizeof out_dir, "%s/ds", dir);
  df_prepare_options o;
  df_prepare_defaults(&o);
  const char *inputs[] = {kits};
  o.inputs = inputs;
  o.n_inputs = 1;
  o.out_dir = out_dir;
  o.rate = 14700;
  o.length = 16384;
  o.split[0] = 1;
  o.split[1] = o.split[2] = 0;
  o.keep_duplicates = 1; /* the three kits' impulses are identical */
  o.loops.count = 12;
  o.loops.bpm_min = 120;
  o.loops.bpm_max = 125;
  o.loops.bars = 1;
  df_prepare_result r;
  if (df_expect_ok(df_prepare(&o, &r), "prepare --loops") && df_expect_true(r.examples[0] == 12, "12 loops")) {
    snprintf(path, sizeof path, "%s/train-00000.h5", out_dir);
    df_shard *sh;
    if (df_expect_ok(df_shard_open(path, &sh), "open the loop shard")) {
      df_expect_true(!strcmp(df_shard_get_info(sh)->kind, "loops"), "kind = loops");
      float *audio = malloc(sizeof(float) * 16384), *want = malloc(sizeof(float) * 16384);
      int all_ok = 1, tempo_ok = 1;
      for (int64_t i = 0; i < 12; i++) {
        df_example_meta m;
        df_shard_meta(sh, i, &m);
        df_shard_read(sh, i, 1, audio);
        cJSON *j = cJSON_Parse(m.pattern);
        double bpm = cJSON_GetObjectItem(j, "bpm")->valuedouble;
        tempo_ok &= bpm >= 120 && bpm <= 125 && !strcmp(cJSON_GetObjectItem(j, "kit")->valuestring, m.group);
        memset(want, 0, sizeof(float) * 16384);
        const cJSON *hit, *tracks = cJSON_GetObjectItem(j, "tracks");
        cJSON_ArrayForEach(hit, cJSON_GetObjectItem(j, "hits")) {
          int step = cJSON_GetObjectItem(hit, "step")->valueint;
          int64_t onset = (int64_t)cJSON_GetObjectItem(hit, "onset")->valuedouble;
          const char *src = cJSON_GetObjectItem(cJSON_GetArrayItem(tracks, cJSON_GetObjectItem(hit, "track")->valueint), "source")->valuestring;
          float height = 0.1f * (float)(src[strlen(src) - 5] - '0' + 1); /* ".../iK.wav" */
          all_ok &= onset == llround(step * 14700 * 60.0 / (bpm * 4.0));
          if (onset < 16384) want[onset] += (float)cJSON_GetObjectItem(hit, "gain")->valuedouble * height;
        }
        cJSON_Delete(j);
        double worst = 0;
        for (int t = 0; t < 16384; t++) worst = fmax(worst, fabs(audio[t] - want[t]));
        all_ok &= worst < 1e-4;
      }
      df_expect_true(tempo_ok, "each loop's tempo lies in 120-125 bpm and its kit is its group");
      df_expect_true(all_ok, "each stored loop is exactly its stored pattern: onsets on the grid, gains");
      free(audio);
      free(want);
      df_shard_close(sh);
    }
  }

  /* A kit whose samples are in several splits (--split-by file): every loop uses samples of
   * its own split only. Kit K has a full set in train and three more kicks in test; the test
   * split cannot make a loop from K, and no training loop may use a test kick. */
  {
    df_prepare_options po;
    df_prepare_defaults(&po);
    po.loops.count = 40;
    po.loops.bars = 1;
    po.loops.bpm_min = po.loops.bpm_max = 120;
    po.split[0] = po.split[2] = 1;
    po.split[1] = 0;
    snprintf(path, sizeof path, "%s/patterns.tsv", dir);
    po.loops.patterns = path;
    po.loops.tracks = "kick,snare,hh_closed";
    df_shard_info info = {0};
    info.rate = 14700;
    info.length = 16384;
    info.channels = 1;
    info.n_classes = 3;
    for (int c = 0; c < 3; c++) snprintf(info.class_names[c], sizeof info.class_names[c], "%s", names[c]);
    loop_pool *pool;
    if (df_expect_ok(loop_pool_create(&po, &info, &pool), "a loop pool")) {
      static const struct { df_split split; int label; const char *source; } clips[] = {
          {DF_SPLIT_TRAIN, 0, "K/kick.wav"},      {DF_SPLIT_TEST, 0, "K/kick-test1.wav"},
          {DF_SPLIT_TEST, 0, "K/kick-test2.wav"}, {DF_SPLIT_TEST, 0, "K/kick-test3.wav"},
          {DF_SPLIT_TRAIN, 1, "K/snare.wav"},     {DF_SPLIT_TRAIN, 2, "K/hat.wav"}};
      for (int i = 0; i < 6; i++) {
        df_audio a = impulse(0.5f);
        loop_pool_add(pool, clips[i].split, "K", clips[i].label, clips[i].source, &a);
      }
      leak_check lc = {0};
      int64_t rendered[DF_N_SPLITS] = {0};
      df_expect_ok(loop_pool_render(pool, check_loop_split, &lc, rendered), "render the loops");
      /* The test split's share goes to train: --loops 40 gives 40 loops, not 20. */
      snprintf(what, sizeof what, "split by file: %lld training loops, %lld test loops (want all 40, 0)",
               (long long)rendered[DF_SPLIT_TRAIN], (long long)rendered[DF_SPLIT_TEST]);
      df_expect_true(rendered[DF_SPLIT_TRAIN] == 40 && rendered[DF_SPLIT_TEST] == 0, what);
      snprintf(what, sizeof what, "no loop uses a sample of another split (%d of %d loops do)", lc.leaks, lc.loops);
      df_expect_true(lc.loops > 0 && lc.leaks == 0, what);
      char *why = loop_pool_why_none(pool);
      snprintf(what, sizeof what, "a kit in two splits is named with its split in messages (%s)", why ? why : "");
      df_expect_true(why && strstr(why, "K in train (kick, snare, hh_closed)") && strstr(why, "K in test (kick)"), what);
      free(why);
      loop_pool_free(pool);
    }
  }

  /* One-shots that no kit completes: the error says what a pattern needs and each kit has. */
  char bank[4300];
  snprintf(bank, sizeof bank, "%s/bank", dir);
  mkdir(bank, 0777);
  static const char *folders[] = {"kick", "snare"};
  for (int f = 0; f < 2; f++) {
    float x[256] = {0};
    x[0] = 0.5f;
    snprintf(path, sizeof path, "%s/%s", bank, folders[f]);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/one.wav", bank, folders[f]);
    df_test_write_sndfile(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 14700, 256, x);
  }
  inputs[0] = bank;
  snprintf(out_dir, sizeof out_dir, "%s/ds-none", dir);
  df_expect_status(df_prepare(&o, &r), DF_ERR_NOT_FOUND, "prepare --loops with no complete kit fails");
  char what2[1400];
  snprintf(what2, sizeof what2, "the message says why no loop could be built (got: %s)", df_last_error());
  df_expect_true(strstr(df_last_error(), "no loops could be built from the 2 usable one-shots") &&
                     strstr(df_last_error(), "kick, snare, hh_closed") &&
                     strstr(df_last_error(), "the 1 kit has: bank (kick, snare)"),
                 what2);

  /* A labelled bank (one folder per instrument) is one kit: with a hat folder it makes loops. */
  {
    float x[256] = {0};
    x[0] = 0.5f;
    snprintf(path, sizeof path, "%s/hh_closed", bank);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/hh_closed/one.wav", bank);
    df_test_write_sndfile(path, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 14700, 256, x);
    snprintf(out_dir, sizeof out_dir, "%s/ds-bank", dir);
    df_expect_ok(df_prepare(&o, &r), "prepare --loops from a labelled bank (kick/, snare/, hh_closed/)");
    df_expect_true(r.examples[0] == 12, "... makes its 12 loops");
  }
  return df_test_finish();
}
