/* The classifier trains like every model type: with its augmentation (mixup too), class weights and
 * cosine learning rate all on, a run stopped at step 3 and resumed to step 6 ends bit for bit
 * where an uninterrupted one does, and so does a second uninterrupted run (the augmentation's
 * draws come from the run's RNG, which the checkpoint keeps). Turning the augmentation off
 * changes the result, so it did take part. */
#include <stdio.h>
#include <string.h>

#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/safetensors.h"

static char scratch[4096], dataset[4200], config[4300];

static df_status run(const char *name, int64_t steps, int fresh, int augment) {
  char dir[4400];
  snprintf(dir, sizeof dir, "%s/%s", scratch, name);
  static const char *const with[] = {"train.batch=8", "train.checkpoint_every_steps=3", "train.keep_last=10",
                                     "loss.class_weight_power=1", "optim.cosine_steps=6",
                                     "augment.pitch_semitones=2", "augment.tilt_db=12", "augment.shift_ms=20",
                                     "augment.noise_prob=0.5", "augment.mixup=0.5", NULL};
  static const char *const without[] = {"train.batch=8", "train.checkpoint_every_steps=3", "train.keep_last=10",
                                        "loss.class_weight_power=1", "optim.cosine_steps=6",
                                        "augment.pitch_semitones=0", "augment.tilt_db=0", "augment.shift_ms=0",
                                        "augment.noise_prob=0", "augment.mixup=0", NULL};
  return df_test_train(fresh ? config : NULL, dataset, dir, steps, fresh ? (augment ? with : without) : NULL);
}

static void ckpt(const char *name, char *buf, size_t len) {
  snprintf(buf, len, "%s/%s/checkpoints/ckpt-000000006.safetensors", scratch, name);
}

int main(void) {
  df_test_begin("test_classifier_resume");
  df_test_scratch_dir("classifier_resume", scratch, sizeof scratch);
  if (df_test_make_dataset(scratch, 12, 1.0, dataset, sizeof dataset)) {
    df_test_fail("synthetic dataset", "could not be built");
    return df_test_finish();
  }
  snprintf(config, sizeof config, "%s/data/classifier.ini", DF_PROJECT_SOURCE_DIR);
  if (!df_expect_ok(run("a", 6, 1, 1), "uninterrupted run of 6 steps")) return df_test_finish();
  df_expect_ok(run("b", 3, 1, 1), "the first 3 steps");
  df_expect_ok(run("b", 6, 0, 1), "resumed to step 6");
  df_expect_ok(run("c", 6, 1, 1), "a second uninterrupted run");
  df_expect_ok(run("d", 6, 1, 0), "a run without augmentation");
  char a[4500], b[4500], c[4500], d[4500];
  ckpt("a", a, sizeof a);
  ckpt("b", b, sizeof b);
  ckpt("c", c, sizeof c);
  ckpt("d", d, sizeof d);
  df_test_same_checkpoints(a, b, "stop at 3 + resume to 6 = the uninterrupted run, bit for bit");
  df_test_same_checkpoints(a, c, "two uninterrupted runs agree bit for bit");
  df_st_file *fa, *fd;
  if (df_expect_ok(df_st_open(a, &fa), "open") && df_expect_ok(df_st_open(d, &fd), "open")) {
    const df_st_tensor *wa, *wd;
    df_st_find(fa, "C.fc.weight", &wa);
    df_st_find(fd, "C.fc.weight", &wd);
    df_expect_true(wa && wd && wa->nbytes == wd->nbytes && memcmp(wa->data, wd->data, wa->nbytes) != 0,
                   "without augmentation the weights differ: it took part");
    df_st_close(fa);
    df_st_close(fd);
  }
  return df_test_finish();
}
