/* The built-in default dataset from Debian's Hydrogen kits (skipped when hydrogen-drumkits
 * and hydrogen-data are not installed): `drumforge prepare --default` builds it; the data.md
 * traps are handled (Audiophob relabelled and its cowbell dropped, Millo_MultiLayered2's
 * missing file reported, GMRockKit's copies of The Black Pearl kept once and no sound on two
 * sides of a split), every class has examples, and each kit lies in one split. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/testlib.h"

#define KITS "/usr/share/hydrogen/data/drumkits"

typedef struct ex_hash {
  uint64_t h;
  int split;
} ex_hash;

static int by_hash(const void *a, const void *b) {
  const ex_hash *x = a, *y = b;
  return x->h < y->h ? -1 : x->h > y->h;
}

static uint64_t fnv(const float *x, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  const unsigned char *p = (const unsigned char *)x;
  for (size_t i = 0; i < n * sizeof(float); i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

int main(void) {
  df_test_begin("test_default_dataset");
  if (access(KITS "/GMRockKit/drumkit.xml", F_OK) != 0 || access(KITS "/Audiophob/drumkit.xml", F_OK) != 0) {
    printf("SKIP the Hydrogen kits are not installed (apt-get install hydrogen-drumkits hydrogen-data)\n");
    return 77;
  }
  char out[4096], cmd[8400], path[4400], what[256];
  df_test_scratch_dir("default_dataset", out, sizeof out);
  snprintf(cmd, sizeof cmd, "'%s' prepare --default --kits-dir %s --out '%s' --quiet > /dev/null", DF_DRUMFORGE_EXE, KITS, out);
  int rc = system(cmd);
  if (!df_expect_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "drumforge prepare --default")) return df_test_finish();

  char *m;
  size_t len;
  snprintf(path, sizeof path, "%s/manifest.json", out);
  if (df_expect_ok(df_read_file(path, &m, &len), "manifest.json")) {
    df_expect_true(strstr(m, "misc_Cowbell.flac") && strstr(m, "missing: Millo_MultiLayered2/drumkit.xml"),
                   "Millo_MultiLayered2's missing sample is reported");
    df_expect_true(strstr(m, "instrument 'Cowbell' of kit 'Audiophob' is mapped to skip") != NULL,
                   "Audiophob's 'Cowbell' (a low tone) is dropped");
    df_expect_true(strstr(m, "duplicate: the same audio as " KITS "/GMRockKit/") != NULL,
                   "The Black Pearl's copies of GMRockKit samples are kept once");
    df_expect_true(!strstr(m, "Guitar") && !strstr(m, "guitar"), "no guitar-strum kit");
    free(m);
  }
  df_dataset_summary s;
  if (df_expect_ok(df_dataset_summarize(out, &s), "summarise")) {
    int every = s.info.n_classes == 11;
    for (int c = 0; c < s.info.n_classes; c++) every &= s.counts[0][c] + s.counts[1][c] + s.counts[2][c] > 0;
    snprintf(what, sizeof what, "all 11 classes have examples (%lld in all)", (long long)s.info.examples);
    df_expect_true(every && s.info.examples > 600, what);
    df_expect_true(s.examples[0] > 0 && s.examples[1] > 0 && s.examples[2] > 0, "three non-empty splits");
  }

  /* Per example: Audiophob's relabels, kits in one split, no sound in two splits. */
  ex_hash *hashes = malloc(sizeof(ex_hash) * 4096);
  char kit_split[64][64];
  int kit_mask[64] = {0}, n_kits = 0, n = 0, audiophob_ok = 0;
  float *x = malloc(sizeof(float) * 16384);
  for (int sp = 0; sp < DF_N_SPLITS; sp++) {
    snprintf(path, sizeof path, "%s/%s-00000.h5", out, df_split_name((df_split)sp));
    df_shard *sh;
    if (df_shard_open(path, &sh) != DF_OK) continue;
    const df_shard_info *in = df_shard_get_info(sh);
    for (int64_t i = 0; i < in->examples && n < 4096; i++) {
      df_example_meta e;
      df_shard_meta(sh, i, &e);
      df_shard_read(sh, i, 1, x);
      hashes[n++] = (ex_hash){fnv(x, 16384), sp};
      int k = 0;
      while (k < n_kits && strcmp(kit_split[k], e.group)) k++;
      if (k == n_kits && n_kits < 64) snprintf(kit_split[n_kits++], 64, "%s", e.group);
      if (k < 64) kit_mask[k] |= 1 << sp;
      const char *lbl = e.label >= 0 ? in->class_names[e.label] : "";
      if (strstr(e.source, "Audiophob/86335__zgump__tom-0105.wav")) audiophob_ok += !strcmp(lbl, "tom");
      if (strstr(e.source, "Audiophob/156272__dayvonjersen__fxshake5.wav")) audiophob_ok += !strcmp(lbl, "perc");
    }
    df_shard_close(sh);
  }
  df_expect_true(audiophob_ok == 2, "Audiophob's 'Kick' is a tom and its 'Pedal HH' a shaker (perc)");
  int one = n_kits >= 15;
  for (int k = 0; k < n_kits; k++) one &= !(kit_mask[k] & (kit_mask[k] - 1));
  snprintf(what, sizeof what, "each of the %d kits lies in one split", n_kits);
  df_expect_true(one, what);
  qsort(hashes, (size_t)n, sizeof *hashes, by_hash);
  int across = 0;
  for (int i = 1; i < n; i++) across += hashes[i].h == hashes[i - 1].h && hashes[i].split != hashes[i - 1].split;
  snprintf(what, sizeof what, "no sound appears in two splits (%d examples, %d shared)", n, across);
  df_expect_true(across == 0, what);
  free(hashes);
  free(x);
  return df_test_finish();
}
