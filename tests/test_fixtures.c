/* The shared test fixtures prove what they reuse: df_test_make_dataset keeps a dataset only
 * when it made it with the same parameters, so a stale one left in a scratch folder (another
 * version's, another test's, another size) is replaced, never tested in place of the one asked
 * for; an unchanged one is reused (the tests' speed). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/fileio.h"

/* 1 when dataset is the fixture's: per_class examples of each of kick, snare and hh_closed
 * (of prepare's classes) and no others. */
static int is_fixture(const char *dataset, int per_class) {
  df_dataset_summary sum;
  if (df_dataset_summarize(dataset, &sum) != DF_OK) return 0;
  int ok = 1;
  int64_t all = 0;
  for (int c = 0; c < sum.info.n_classes; c++) {
    int64_t n = 0;
    for (int s = 0; s < DF_N_SPLITS; s++) n += sum.counts[s][c];
    const char *name = sum.info.class_names[c];
    ok &= n == (!strcmp(name, "kick") || !strcmp(name, "snare") || !strcmp(name, "hh_closed") ? per_class : 0);
    all += n;
  }
  printf("     %s: %lld examples\n", dataset, (long long)all);
  return ok && all == 3 * per_class;
}

/* A file of our own in the dataset folder: still there when the dataset was reused. */
static void mark(const char *dataset, char *marker, size_t len) {
  snprintf(marker, len, "%s/marker", dataset);
  df_test_write_text(marker, "kept when reused");
}

int main(void) {
  df_test_begin("test_fixtures");
  char dir[4096], dataset[4200], stale[4200], marker[4300];
  df_test_scratch_dir("fixtures", dir, sizeof dir);

  /* Another dataset where the fixture's goes (11 classes, 40 examples). */
  snprintf(stale, sizeof stale, "%s/dataset", dir);
  const int shards[] = {30}, val[] = {10};
  df_expect_true(df_test_write_dataset(stale, shards, 1, val, 1, 1, 16384, 11) == 40, "write a stale dataset");
  df_expect_true(df_test_make_dataset(dir, 2, 1.0, dataset, sizeof dataset) == 0 && is_fixture(dataset, 2),
                 "a stale dataset in the scratch folder is replaced by the one asked for");

  mark(dataset, marker, sizeof marker);
  df_expect_true(df_test_make_dataset(dir, 2, 1.0, dataset, sizeof dataset) == 0 && access(marker, F_OK) == 0,
                 "the same dataset asked for again is reused");

  df_expect_true(df_test_make_dataset(dir, 3, 1.0, dataset, sizeof dataset) == 0 && is_fixture(dataset, 3),
                 "other parameters (3 per class) rebuild it, with none of the earlier tones");
  mark(dataset, marker, sizeof marker);
  df_expect_true(df_test_make_dataset(dir, 3, 0.5, dataset, sizeof dataset) == 0 && access(marker, F_OK) != 0,
                 "another amplitude rebuilds it");

  /* A dataset replaced under the fixture's record (its manifest differs): rebuilt. */
  df_expect_true(df_test_write_dataset(stale, shards, 1, val, 1, 1, 16384, 11) == 40, "overwrite it with another");
  df_expect_true(df_test_make_dataset(dir, 3, 0.5, dataset, sizeof dataset) == 0 && is_fixture(dataset, 3),
                 "a dataset changed since it was made is rebuilt");
  return df_test_finish();
}
