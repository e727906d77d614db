/* A conditional model trained on some of its dataset's classes (data.classes) knows which it
 * learned: the checkpoint records the training examples per class, the previews and
 * `generate --class all` use the learned classes only, and asking for another class is refused
 * with a message naming the classes it did learn (its embedding row never trained). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/checkpoint.h"

static int class_id(const df_checkpoint_state *st, const char *name) {
  for (int i = 0; i < st->n_classes; i++)
    if (!strcmp(st->class_names[i], name)) return i;
  return -1;
}

int main(void) {
  df_test_begin("test_learned_classes");
  char dir[4096], dataset[4200], config[4300], run[4300], ckpt[4400], path[4600], *err;
  df_test_scratch_dir("learned_classes", dir, sizeof dir);
  if (df_test_make_dataset(dir, 10, 1.0, dataset, sizeof dataset) ||
      df_test_write_smoke_config(dir, "cond", (const char *const[]){"model.conditional=true", NULL}, config,
                                 sizeof config)) {
    df_test_fail("dataset and config", "could not be written");
    return df_test_finish();
  }
  snprintf(run, sizeof run, "%s/run", dir);
  static const char *const overrides[] = {"data.classes=kick,hh_closed", "train.checkpoint_every_steps=2",
                                          "train.preview_count=4", NULL};
  if (!df_expect_ok(df_test_train(config, dataset, run, 2, overrides), "train on kick and hh_closed"))
    return df_test_finish();

  snprintf(ckpt, sizeof ckpt, "%s/checkpoints/ckpt-000000002.safetensors", run);
  df_checkpoint_state st;
  if (df_expect_ok(df_checkpoint_read_state(ckpt, &st), "read the checkpoint's state")) {
    int kick = class_id(&st, "kick"), snare = class_id(&st, "snare"), hat = class_id(&st, "hh_closed");
    df_expect_true(st.has_class_examples && kick >= 0 && snare >= 0 && hat >= 0 && st.class_examples[kick] > 0 &&
                       st.class_examples[hat] > 0 && st.class_examples[snare] == 0,
                   "the checkpoint records training examples of kick and hh_closed and none of snare");
    if (kick >= 0 && snare >= 0 && hat >= 0)
      printf("  class_examples: kick %lld, snare %lld, hh_closed %lld\n", (long long)st.class_examples[kick],
             (long long)st.class_examples[snare], (long long)st.class_examples[hat]);
    df_checkpoint_state_free(&st);
  }

  snprintf(path, sizeof path, "%s/previews/step-000000002", run);
  df_expect_true(df_test_count_files(path, ".wav") == 4 && df_test_count_files(path, "_kick.wav") == 2 &&
                     df_test_count_files(path, "_hh_closed.wav") == 2,
                 "the 4 previews alternate kick and hh_closed");

  if (df_expect_true(df_test_generate(dir, ckpt, "all", "--class all --count 2"), "generate --class all")) {
    snprintf(path, sizeof path, "%s/all", dir);
    df_expect_true(df_test_count_files(path, ".wav") == 4 && df_test_count_files(path, "snare_000000.wav") == 0 &&
                       df_test_count_files(path, "kick_000001.wav") == 1 &&
                       df_test_count_files(path, "hh_closed_000001.wav") == 1,
                   "--class all makes the learned classes: 2 kicks and 2 hats, no snare");
  }

  char args[9000];
  snprintf(args, sizeof args, "generate --checkpoint '%s' --class snare --count 1 --out '%s/snare' --device cpu --quiet",
           ckpt, dir);
  int rc = df_test_drumforge(dir, args, &err);
  df_expect_true(rc != 0 && strstr(err, "saw no 'snare'") && strstr(err, "it learned: kick, hh_closed"),
                 "--class snare is refused, naming the classes it learned");
  printf("  message: %s", err);
  free(err);
  snprintf(path, sizeof path, "%s/snare", dir);
  df_expect_true(df_test_count_files(path, ".wav") == 0, "and nothing is written");
  return df_test_finish();
}
