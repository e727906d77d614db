/* Exact resume: a loader restored from a position saved mid-epoch, at an epoch boundary, or
 * after several epochs (in a new loader, or in the same one after it prefetched ahead) gives
 * exactly the batches an uninterrupted loader gives next; the position reported with each
 * batch equals df_loader_get_state; a position that does not fit the data is refused. */
#include <stdlib.h>
#include <string.h>

#include "common/datafiles.h"
#include "common/testlib.h"

enum { B = 8, C = 1, L = 32, RUN = 40 };

/* The example ids of `count` batches (every sample of example k is k). */
static void ids(df_loader *ld, int count, int64_t *out) {
  for (int k = 0; k < count; k++) {
    df_batch b;
    df_loader_next(ld, &b);
    for (int j = 0; j < B; j++) out[k * B + j] = (int64_t)b.audio[(size_t)j * C * L];
  }
}

int main(void) {
  df_test_begin("test_loader_resume");
  char dir[4096], what[256];
  df_test_scratch_dir("loader_resume", dir, sizeof dir);
  const int train[] = {23, 31, 9};
  if (!df_expect_true(df_test_write_dataset(dir, train, 3, NULL, 0, C, L, 2) == 63, "a dataset of 63 examples"))
    return df_test_finish();
  df_loader_options o = {.path = dir, .split = DF_SPLIT_TRAIN, .batch_size = B, .seed = 2026, .device = DF_DEVICE_CPU};
  df_loader *ld;
  /* 63 examples, batch 8: 7 batches per epoch, 40 batches = 5 epochs and 5 batches. */
  int64_t whole[RUN * B];
  df_loader_open(&o, &ld);
  ids(ld, RUN, whole);
  df_loader_close(ld);

  static const int cuts[] = {3, 7, 14, 20, 36};
  for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
    int cut = cuts[c];
    int64_t before[RUN * B], after[RUN * B];
    df_loader_state saved, reported;
    df_loader_open(&o, &ld);
    ids(ld, cut - 1, before);
    df_batch b;
    df_loader_next(ld, &b);
    reported = b.state;
    df_loader_get_state(ld, &saved);
    snprintf(what, sizeof what, "after %d batches: epoch %llu, cursor %llu, reported with the batch", cut,
             (unsigned long long)saved.epoch, (unsigned long long)saved.cursor);
    df_expect_true(!memcmp(&saved, &reported, sizeof saved) && saved.epoch == (uint64_t)(cut - 1) / 7 &&
                       saved.cursor == (uint64_t)((cut - 1) % 7 + 1) * B,
                   what);
    /* Let the thread run ahead before closing: the saved position must not depend on it. */
    df_loader_close(ld);
    df_loader *r;
    df_loader_open(&o, &r);
    df_expect_ok(df_loader_set_state(r, &saved), "restore in a new loader");
    ids(r, RUN - cut, after);
    snprintf(what, sizeof what, "resumed after batch %d: the next %d batches are the uninterrupted run's", cut, RUN - cut);
    df_expect_true(!memcmp(after, whole + cut * B, sizeof(int64_t) * (size_t)(RUN - cut) * B), what);
    df_loader_close(r);
  }

  /* Rewinding a loader that has prefetched ahead. */
  df_loader_state at5;
  df_loader_open(&o, &ld);
  int64_t scratch[RUN * B], again[RUN * B];
  ids(ld, 5, scratch);
  df_loader_get_state(ld, &at5);
  ids(ld, 9, scratch);
  df_expect_ok(df_loader_set_state(ld, &at5), "rewind the same loader");
  ids(ld, 9, again);
  df_expect_true(!memcmp(again, whole + 5 * B, sizeof(int64_t) * 9 * B), "after rewinding, batches 6-14 again");

  /* A fresh loader's position is the start; a position from other data is refused. */
  df_loader_state zero, bad = at5;
  df_loader *fresh;
  df_loader_open(&o, &fresh);
  df_loader_get_state(fresh, &zero);
  df_expect_true(zero.epoch == 0 && zero.cursor == 0 && zero.seed == 2026 && zero.rng_offset == 0 && zero.examples == 63,
                 "before the first batch: epoch 0, cursor 0, the seed, offset 0, 63 examples");
  df_loader_close(fresh);
  bad.examples = 64;
  df_expect_status(df_loader_set_state(ld, &bad), DF_ERR_INVALID_ARG, "a position saved on other data is refused");
  df_expect_true(strstr(df_last_error(), "does not fit this data") != NULL, "the message says so");
  bad = at5;
  bad.cursor = 1000;
  df_expect_status(df_loader_set_state(ld, &bad), DF_ERR_INVALID_ARG, "a cursor past the end is refused");
  df_loader_close(ld);
  return df_test_finish();
}
