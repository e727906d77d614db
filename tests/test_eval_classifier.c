/* The drum-class classifier: a short CPU training on a small synthetic labelled dataset
 * (kicks, snares and hats as tones) beats chance (1/3) by a wide margin on the held-out test
 * and validation splits; its card (classifier.json) is written with the dataset, a second
 * open reuses it without training, a card of other classes than its checkpoint's and a
 * changed manifest.json make it train a new one, a training stopped by a signal is an error
 * (no card) that the next open resumes, and a folder another evaluation is training in is
 * left alone. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/eval.h"
#include "drumforge/fileio.h"

static int trainings, interrupt;

static void on_log(void *ctx, const char *line) {
  printf("     [classifier] %s\n", line);
  if (!strncmp(line, "training", 8)) trainings++;
  /* Ctrl-C during the training: the trainer stops at the next step with a checkpoint. */
  if (interrupt && !strncmp(line, "classifier: step", 16)) {
    interrupt = 0;
    raise(SIGINT);
  }
}

int main(void) {
  df_test_begin("test_eval_classifier");
  char scratch[4096], dataset[4200];
  df_test_scratch_dir("eval_classifier", scratch, sizeof scratch);
  if (df_test_make_dataset(scratch, 40, 1.0, dataset, sizeof dataset)) {
    df_test_fail("synthetic dataset", "could not be built");
    return df_test_finish();
  }
  df_classifier_options o = {0};
  o.dataset = dataset;
  o.device = DF_DEVICE_CPU;
  o.steps = 60;
  o.log = on_log;
  df_classifier *c = NULL;
  if (df_expect_ok(df_classifier_open(&o, &c), "train the classifier")) {
    const df_classifier_card *k = df_classifier_get_card(c);
    int64_t held_out = k->test_examples + k->validation_examples;
    double acc = (k->test_accuracy * (double)k->test_examples +
                  k->validation_accuracy * (double)k->validation_examples) / (double)held_out;
    printf("     held-out accuracy %.3f on %lld examples (test %.3f, validation %.3f), chance 0.333\n", acc,
           (long long)held_out, k->test_accuracy, k->validation_accuracy);
    df_expect_true(held_out >= 10, "the synthetic dataset has held-out examples");
    df_expect_true(acc >= 0.8, "held-out accuracy beats chance (1/3) by a wide margin (>= 0.8)");
    int64_t total = 0;
    for (int i = 0; i < k->n_classes * k->n_classes; i++) total += k->confusion[i];
    df_expect_true(total == k->test_examples, "the test confusion matrix counts every test example");
    df_expect_true(df_classifier_embed_dim(c) == 128, "embeddings have 8 x width = 128 dimensions");
    df_classifier_close(c);
  }
  char card[4300];
  snprintf(card, sizeof card, "%s/classifier/classifier.json", dataset);
  df_expect_true(access(card, F_OK) == 0, "classifier.json is kept with the dataset");
  char *text;
  size_t len;

  trainings = 0;
  if (df_expect_ok(df_classifier_open(&o, &c), "open the kept classifier")) df_classifier_close(c);
  df_expect_true(trainings == 0, "a kept, current classifier is reused without training");

  /* A card whose class_names are not its checkpoint's (edited): the metrics sized their buffers
   * by the card and the classifier wrote all its classes into room for one less (eval crashed). */
  int classes = 0;
  if (df_expect_ok(df_read_file(card, &text, &len), "read the card")) {
    cJSON *root = cJSON_Parse(text), *names = cJSON_GetObjectItemCaseSensitive(root, "class_names");
    classes = cJSON_GetArraySize(names);
    cJSON_DeleteItemFromArray(names, classes - 1);
    char *edited = cJSON_Print(root);
    df_expect_ok(df_write_file_atomic(card, edited, strlen(edited)), "write a card without its last class name");
    free(edited);
    cJSON_Delete(root);
    free(text);
  }
  trainings = 0;
  o.steps = 5;
  if (df_expect_ok(df_classifier_open(&o, &c), "open with a card of other classes")) {
    df_expect_true(trainings == 1 && df_classifier_get_card(c)->n_classes == classes,
                   "a card of other classes than its checkpoint's is not used: a new classifier is trained");
    df_classifier_close(c);
  }

  /* The dataset is prepared again (its manifest changes): the classifier is stale. */
  char manifest[4300];
  snprintf(manifest, sizeof manifest, "%s/manifest.json", dataset);
  if (df_expect_ok(df_read_file(manifest, &text, &len), "read manifest")) {
    char *changed = malloc(len + 2);
    memcpy(changed, text, len);
    changed[len] = '\n';
    df_expect_ok(df_write_file_atomic(manifest, changed, len + 1), "change manifest");
    free(changed);
    free(text);
  }
  trainings = 0;
  o.steps = 5;
  if (df_expect_ok(df_classifier_open(&o, &c), "open after the manifest changed")) df_classifier_close(c);
  df_expect_true(trainings == 1, "a changed manifest.json makes a new classifier");

  /* A folder given explicitly may hold another dataset's classifier: it was cleared and
   * trained over; now it is kept unless a retraining is asked for. */
  char folder[4300];
  snprintf(folder, sizeof folder, "%s/classifier", dataset);
  o.dir = folder;
  if (df_expect_ok(df_read_file(manifest, &text, &len), "read manifest")) {
    df_expect_ok(df_write_file_atomic(manifest, text, len - 1), "change manifest");
    free(text);
  }
  trainings = 0;
  df_expect_status(df_classifier_open(&o, &c), DF_ERR_INVALID_ARG, "an explicit folder's classifier of other data");
  df_expect_true(strstr(df_last_error(), "--retrain-classifier") != NULL, "the message says how to replace it");
  df_expect_true(trainings == 0 && access(card, F_OK) == 0, "it is kept, not trained over");
  o.retrain = 1;
  if (df_expect_ok(df_classifier_open(&o, &c), "--retrain-classifier replaces it")) df_classifier_close(c);
  df_expect_true(trainings == 1, "after training a new one");

  /* Another evaluation is training the classifier (it holds the folder, and its trainer the
   * run folder's .lock): this one cleared the folder under it before it found out, then
   * blamed "another drumforge train". */
  char lock_file[4400];
  snprintf(lock_file, sizeof lock_file, "%s/.lock", folder);
  int held_dir = open(folder, O_RDONLY | O_DIRECTORY), held_file = open(lock_file, O_RDWR | O_CREAT, 0666);
  df_expect_true(held_dir >= 0 && held_file >= 0 && !flock(held_dir, LOCK_EX) && !flock(held_file, LOCK_EX),
                 "the other evaluation's locks");
  trainings = 0;
  df_expect_status(df_classifier_open(&o, &c), DF_ERR_INVALID_ARG, "a classifier trained by another evaluation");
  df_expect_true(strstr(df_last_error(), "another drumforge eval is training a classifier in this folder") != NULL,
                 "the message says an evaluation is training there");
  df_expect_true(trainings == 0 && access(card, F_OK) == 0, "its folder is left alone");
  close(held_dir);
  close(held_file);

  /* Another model's run folder is no classifier folder: its checkpoints were deleted. */
  char run[4300], ckpt[4400];
  snprintf(run, sizeof run, "%s/wavegan_run", scratch);
  snprintf(ckpt, sizeof ckpt, "%s/checkpoints/ckpt-000000005.safetensors", run);
  df_expect_ok(df_mkdirs(run), "run folder");
  snprintf(folder, sizeof folder, "%s/checkpoints", run);
  df_expect_ok(df_mkdirs(folder), "checkpoints folder");
  snprintf(folder, sizeof folder, "%s/config.ini", run);
  df_expect_ok(df_write_file_atomic(folder, "[model]\ntype = wavegan\n", 23), "config.ini");
  df_expect_ok(df_write_file_atomic(ckpt, "weights", 7), "a checkpoint");
  o.dir = run;
  trainings = 0;
  df_expect_status(df_classifier_open(&o, &c), DF_ERR_INVALID_ARG, "a WaveGAN run folder as the classifier's");
  df_expect_true(strstr(df_last_error(), "'wavegan' model") != NULL, "the message says whose folder it is");
  df_expect_true(trainings == 0 && access(ckpt, F_OK) == 0, "its checkpoint is kept");

  /* A training stopped by a signal got a card and became the dataset's classifier at the step
   * it stopped at; now it is an error, and the next open resumes it. */
  snprintf(folder, sizeof folder, "%s/interrupted", scratch);
  snprintf(card, sizeof card, "%s/classifier.json", folder);
  o.dir = folder;
  o.retrain = 0;
  o.steps = 20;
  interrupt = 1;
  df_expect_status(df_classifier_open(&o, &c), DF_ERR_INTERRUPTED, "a classifier training stopped by a signal");
  df_expect_true(access(card, F_OK) != 0, "... gets no card");
  if (df_expect_ok(df_classifier_open(&o, &c), "open after the interruption")) {
    df_expect_true(df_classifier_get_card(c)->step == 20, "it resumed to its last step");
    df_classifier_close(c);
  }
  return df_test_finish();
}
