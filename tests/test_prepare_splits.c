/* Splits: deterministic (a rerun writes byte-identical shards and manifest), kit-level for
 * Hydrogen kits (every kit in exactly one split, and kits sharing an identical file in the
 * same one), file-level for plain folders (all slices and augmented copies of a file stay in
 * its split, and a file keeps its split when others are added), all three splits used; an
 * empty split is noted by the command. */
#include <stdlib.h>
#include <string.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/gen_fixture.h"
#include "common/testlib.h"

enum { MAX_NAMES = 512 };

typedef struct seen {
  char name[MAX_NAMES][256];
  int splits[MAX_NAMES]; /* bit mask of splits */
  int n;
} seen;

static void note(seen *s, const char *name, df_split sp) {
  int i = 0;
  while (i < s->n && strcmp(s->name[i], name)) i++;
  if (i == s->n && s->n < MAX_NAMES) snprintf(s->name[s->n++], 256, "%s", name);
  if (i < MAX_NAMES) s->splits[i] |= 1 << sp;
}

/* Reads every shard of a dataset: groups and sources with the splits they appear in. */
static int64_t collect(const char *dir, seen *groups, seen *sources, int64_t per_split[DF_N_SPLITS]) {
  int64_t total = 0;
  memset(groups, 0, sizeof *groups);
  memset(sources, 0, sizeof *sources);
  for (int s = 0; s < DF_N_SPLITS; s++) {
    per_split[s] = 0;
    for (int k = 0;; k++) {
      char path[4300];
      snprintf(path, sizeof path, "%s/%s-%05d.h5", dir, df_split_name((df_split)s), k);
      df_shard *sh;
      if (access(path, F_OK) != 0 || df_shard_open(path, &sh) != DF_OK) break;
      for (int64_t i = 0; i < df_shard_get_info(sh)->examples; i++) {
        df_example_meta m;
        df_shard_meta(sh, i, &m);
        note(groups, m.group, m.split);
        note(sources, m.source, m.split);
        per_split[s]++;
        total++;
      }
      df_shard_close(sh);
    }
  }
  return total;
}

static int one_split_each(const seen *s) {
  for (int i = 0; i < s->n; i++)
    if (s->splits[i] & (s->splits[i] - 1)) return 0;
  return 1;
}

static int split_of(const seen *s, const char *suffix) {
  for (int i = 0; i < s->n; i++) {
    size_t a = strlen(s->name[i]), b = strlen(suffix);
    if (a >= b && !strcmp(s->name[i] + a - b, suffix)) return s->splits[i];
  }
  return -1;
}

static df_status run(const char *in, const char *out, uint64_t seed, df_split_by by) {
  df_prepare_options o;
  df_prepare_defaults(&o);
  const char *inputs[] = {in};
  o.inputs = inputs;
  o.n_inputs = 1;
  o.out_dir = out;
  o.rate = 16000;
  o.length = 1024;
  o.hop = 512;        /* several slices per long file */
  o.augment = 2;
  o.shard_examples = 16; /* several shards per split */
  o.seed = seed;
  o.split_by = by;
  return df_prepare(&o, NULL);
}

int main(void) {
  df_test_begin("test_prepare_splits");
  char root[4096], in[4200], out1[4200], out2[4200], out3[4200], p1[4400], p2[4400];
  df_test_scratch_dir("prepare_splits", root, sizeof root);
  snprintf(in, sizeof in, "%s/in", root);
  mkdir(in, 0777);
  static const char *inst[] = {"Kick", "Snare", "Closed HH", "Open HH", "Tom Low", "Crash", "Ride", "Clap"};
  for (int k = 0; k < 12; k++) {
    char name[32];
    snprintf(name, sizeof name, "Kit%02d", k);
    df_test_write_kit(in, name, inst, 3 + k % 6, 22050, 3000 + 500 * k, 0, k);
  }
  /* Kit07 carries a byte-identical copy of one of Kit03's samples. */
  char *data;
  size_t len;
  snprintf(p1, sizeof p1, "%s/Kit03/i1.wav", in);
  snprintf(p2, sizeof p2, "%s/Kit07/i1.wav", in);
  if (df_read_file(p1, &data, &len) == DF_OK) {
    df_write_file_atomic(p2, data, len);
    free(data);
  }
  /* A plain sample bank: bank/<instrument>/file.wav. */
  snprintf(p1, sizeof p1, "%s/bank", in);
  mkdir(p1, 0777);
  float x[6000];
  for (int f = 0; f < 30; f++) {
    snprintf(p1, sizeof p1, "%s/bank/%s", in, f % 2 ? "kick" : "snare");
    mkdir(p1, 0777);
    snprintf(p1, sizeof p1, "%s/bank/%s/s%02d.wav", in, f % 2 ? "kick" : "snare", f);
    df_test_tone(x, 1, 6000, 44100, 0, 100 + 13 * f);
    df_test_write_sndfile(p1, SF_FORMAT_WAV | SF_FORMAT_PCM_24, 1, 44100, 6000, x);
  }

  snprintf(out1, sizeof out1, "%s/out1", root);
  snprintf(out2, sizeof out2, "%s/out2", root);
  snprintf(out3, sizeof out3, "%s/out3", root);
  df_expect_ok(run(in, out1, 7, DF_SPLIT_BY_AUTO), "prepare");
  df_expect_ok(run(in, out2, 7, DF_SPLIT_BY_AUTO), "prepare again into another folder");
  df_expect_ok(run(in, out1, 7, DF_SPLIT_BY_AUTO), "prepare again over the first folder");

  seen g1, s1, g2, s2;
  int64_t n1[3], n2[3];
  int64_t t1 = collect(out1, &g1, &s1, n1), t2 = collect(out2, &g2, &s2, n2);
  char what[256];
  snprintf(what, sizeof what, "both runs hold the same examples (%lld, %lld)", (long long)t1, (long long)t2);
  df_expect_true(t1 == t2 && t1 > 0 && !memcmp(n1, n2, sizeof n1), what);
  int identical = 1, files = 0;
  for (int s = 0; s < DF_N_SPLITS; s++)
    for (int k = 0;; k++) {
      snprintf(p1, sizeof p1, "%s/%s-%05d.h5", out1, df_split_name((df_split)s), k);
      snprintf(p2, sizeof p2, "%s/%s-%05d.h5", out2, df_split_name((df_split)s), k);
      if (access(p1, F_OK) != 0 && access(p2, F_OK) != 0) break;
      identical &= df_test_same_file(p1, p2);
      files++;
    }
  snprintf(p1, sizeof p1, "%s/manifest.json", out1);
  snprintf(p2, sizeof p2, "%s/manifest.json", out2);
  snprintf(what, sizeof what, "rerun: all %d shards byte-identical", files);
  df_expect_true(identical && files > 3, what);
  /* The manifests differ only in the output folder, which is not in them. */
  df_expect_true(df_test_same_file(p1, p2), "rerun: manifest.json identical");

  snprintf(what, sizeof what, "all three splits have examples (%lld / %lld / %lld)", (long long)n1[0],
           (long long)n1[1], (long long)n1[2]);
  df_expect_true(n1[0] > 0 && n1[1] > 0 && n1[2] > 0, what);
  df_expect_true(n1[0] > n1[1] && n1[0] > n1[2], "train is the largest split");
  int kits = 0, kits_ok = 1;
  for (int i = 0; i < g1.n; i++)
    if (!strncmp(g1.name[i], "Kit", 3)) {
      kits++;
      kits_ok &= !(g1.splits[i] & (g1.splits[i] - 1));
    }
  snprintf(what, sizeof what, "each of the %d kits lies in exactly one split", kits);
  df_expect_true(kits == 12 && kits_ok, what);
  df_expect_true(split_of(&g1, "Kit03") == split_of(&g1, "Kit07"),
                 "kits sharing an identical file are in the same split");
  df_expect_true(one_split_each(&s1), "every source file (its slices and copies) lies in one split");
  int bank_splits = 0;
  for (int i = 0; i < s1.n; i++)
    if (strstr(s1.name[i], "/bank/")) bank_splits |= s1.splits[i];
  df_expect_true(bank_splits == 7, "plain-folder files are spread over all splits (split by file)");

  /* A plain file keeps its split when files are added. */
  for (int f = 30; f < 40; f++) {
    snprintf(p1, sizeof p1, "%s/bank/kick/s%02d.wav", in, f);
    df_test_tone(x, 1, 6000, 44100, 0, 100 + 13 * f);
    df_test_write_sndfile(p1, SF_FORMAT_WAV | SF_FORMAT_PCM_24, 1, 44100, 6000, x);
  }
  df_expect_ok(run(in, out3, 7, DF_SPLIT_BY_AUTO), "prepare with more files");
  seen g3, s3;
  int64_t n3[3];
  collect(out3, &g3, &s3, n3);
  int kept = 1, compared = 0;
  for (int i = 0; i < s1.n; i++)
    if (strstr(s1.name[i], "/bank/")) {
      compared++;
      kept &= split_of(&s3, s1.name[i]) == s1.splits[i];
    }
  snprintf(what, sizeof what, "the %d earlier files keep their splits", compared);
  df_expect_true(kept && compared == 30, what);

  /* --split-by kit on the bank puts whole folders together; another seed moves kits. */
  df_expect_ok(run(in, out3, 7, DF_SPLIT_BY_KIT), "prepare split by kit (folders)");
  collect(out3, &g3, &s3, n3);
  df_expect_true(one_split_each(&g3), "split by kit: every group (kit or folder) in one split");
  df_expect_ok(run(in, out3, 8, DF_SPLIT_BY_AUTO), "prepare with another seed");
  collect(out3, &g3, &s3, n3);
  int moved = 0;
  for (int i = 0; i < g1.n; i++)
    if (!strncmp(g1.name[i], "Kit", 3)) moved += split_of(&g3, g1.name[i]) != g1.splits[i];
  snprintf(what, sizeof what, "the seed decides the kit assignment (%d of 12 kits moved)", moved);
  df_expect_true(moved > 0, what);

  /* Two files split by hash can both miss train (the default seed does here): prepare says so
   * (it wrote a dataset that training refused later, without a word). */
  char tiny[4300], cmd[9000], *err, *text;
  snprintf(tiny, sizeof tiny, "%s/tiny", root);
  mkdir(tiny, 0777);
  for (int f = 0; f < 2; f++) {
    snprintf(p1, sizeof p1, "%s/t%d.wav", tiny, f);
    df_test_tone(x, 1, 6000, 44100, 0, 300 + 50 * f);
    df_test_write_sndfile(p1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, 6000, x);
  }
  snprintf(cmd, sizeof cmd, "prepare -q --input '%s' --out '%s/tiny-out'", tiny, root);
  int rc = df_test_drumforge(root, cmd, &err);
  snprintf(p1, sizeof p1, "%s/cmd.stdout", root);
  text = df_read_file(p1, &text, &len) == DF_OK ? text : NULL;
  snprintf(what, sizeof what, "an empty train split is noted (exit %d: %.300s)", rc, text ? text : err);
  df_expect_true(rc == 0 && text && strstr(text, "(train 0,") && strstr(text, "note: the train split is empty"), what);
  free(text);
  free(err);
  return df_test_finish();
}
