/* The loader's batches: fixed-size batches that follow, epoch after epoch, the project RNG's
 * permutation (df_rng_shuffle from the seed, continued) of the split's eligible examples
 * across all shards; each epoch uses every example at most once and drops the incomplete
 * tail; labels travel with their audio; class and label filters; single-shard paths; the
 * same batches through df_loader_next_tensor (CPU, and CUDA when a GPU is present); bad
 * requests refused. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common/datafiles.h"
#include "common/testlib.h"

enum { B = 10, C = 2, L = 64 };

static int64_t id_of(const float *x) { return (int64_t)x[0]; }

/* Checks one batch: every sample of example j equals its id; label = id % 4 - 1. */
static int batch_consistent(const df_batch *b) {
  for (int j = 0; j < b->batch; j++) {
    const float *x = b->audio + (size_t)j * C * L;
    for (int t = 0; t < C * L; t++)
      if (x[t] != x[0]) return 0;
    if (b->labels[j] != (int32_t)(id_of(x) % 4) - 1) return 0;
  }
  return 1;
}

/* The loader refuses to open o with DF_ERR_FORMAT and a message containing needle. */
static void expect_refused(const df_loader_options *o, const char *needle, const char *what) {
  df_loader *ld;
  char line[1024];
  snprintf(line, sizeof line, "%s is refused", what);
  df_expect_status(df_loader_open(o, &ld), DF_ERR_FORMAT, line);
  snprintf(line, sizeof line, "%s: the message says '%s' (got: %s)", what, needle, df_last_error());
  df_expect_true(strstr(df_last_error(), needle) != NULL, line);
}

int main(void) {
  df_test_begin("test_loader_order");
  char dir[4096], what[256];
  df_test_scratch_dir("loader_order", dir, sizeof dir);
  const int train[] = {50, 37, 20}, val[] = {15};
  int64_t total = df_test_write_dataset(dir, train, 3, val, 1, C, L, 3);
  if (!df_expect_true(total == 122, "a dataset of 107 training and 15 validation examples")) return df_test_finish();

  df_loader_options o = {.path = dir, .split = DF_SPLIT_TRAIN, .batch_size = B, .seed = 42, .device = DF_DEVICE_CPU};
  df_loader *ld;
  if (!df_expect_ok(df_loader_open(&o, &ld), "open")) return df_test_finish();
  df_expect_true(df_loader_info(ld)->examples == 107 && df_loader_batches_per_epoch(ld) == 10,
                 "107 examples, 10 batches per epoch");

  /* The expected order: epoch e is df_rng_shuffle of 0..106 continuing one stream. */
  df_rng rng;
  df_rng_init(&rng, 42);
  int64_t perm[107];
  int order_ok = 1, consistent = 1, unique = 1, mixed = 0;
  int64_t first_epoch[100];
  for (int e = 0; e < 3; e++) {
    for (int i = 0; i < 107; i++) perm[i] = i;
    df_rng_shuffle(&rng, perm, 107);
    int seen[107] = {0};
    for (int k = 0; k < 10; k++) {
      df_batch b;
      df_expect_ok(df_loader_next(ld, &b), "next");
      consistent &= batch_consistent(&b);
      int from_shard[3] = {0};
      for (int j = 0; j < B; j++) {
        int64_t id = id_of(b.audio + (size_t)j * C * L);
        order_ok &= id == perm[k * B + j];
        unique &= !seen[id]++;
        from_shard[id < 50 ? 0 : id < 87 ? 1 : 2] = 1;
        if (e == 0) first_epoch[k * B + j] = id;
      }
      mixed += from_shard[0] + from_shard[1] + from_shard[2] > 1;
      order_ok &= b.state.epoch == (uint64_t)e && b.state.cursor == (uint64_t)(k + 1) * B;
    }
  }
  df_expect_true(order_ok, "3 epochs follow the seeded permutation, dropping each epoch's last 7 examples");
  df_expect_true(consistent, "audio and labels stay together");
  df_expect_true(unique, "no example twice in an epoch");
  snprintf(what, sizeof what, "batches mix shards (%d of 30)", mixed);
  df_expect_true(mixed > 20, what);
  df_loader_close(ld);

  /* Another seed gives another order. */
  o.seed = 43;
  df_expect_ok(df_loader_open(&o, &ld), "open with another seed");
  df_batch b;
  df_loader_next(ld, &b);
  int differs = 0;
  for (int j = 0; j < B; j++) differs |= id_of(b.audio + (size_t)j * C * L) != first_epoch[j];
  df_expect_true(differs, "another seed, another order");
  df_loader_close(ld);

  /* Filters: only class c1 (label 1: ids = 2 mod 4); labelled only (no id = 0 mod 4). */
  o.seed = 1;
  o.classes = "c1";
  df_expect_ok(df_loader_open(&o, &ld), "open with a class filter");
  int64_t want_c1 = 0, want_c02 = 0, want_labelled = 0;
  for (int64_t id = 0; id < 107; id++) {
    want_c1 += id % 4 == 2;
    want_c02 += id % 4 == 1 || id % 4 == 3;
    want_labelled += id % 4 != 0;
  }
  df_expect_true(df_loader_info(ld)->examples == want_c1, "c1: its training examples only");
  int only = 1;
  for (int k = 0; k < 5; k++) {
    df_loader_next(ld, &b);
    for (int j = 0; j < B; j++) only &= b.labels[j] == 1;
  }
  df_expect_true(only, "the class filter yields only c1");
  df_loader_close(ld);
  o.classes = "c0, c2 "; /* spaces around names are ignored */
  o.labelled_only = 1;
  df_expect_ok(df_loader_open(&o, &ld), "open with two classes");
  df_expect_true(df_loader_info(ld)->examples == want_c02, "c0 and c2: their examples");
  df_loader_close(ld);
  o.classes = NULL;
  df_expect_ok(df_loader_open(&o, &ld), "open labelled only");
  df_expect_true(df_loader_info(ld)->examples == want_labelled, "labelled only: every labelled example");
  int labelled = 1;
  for (int k = 0; k < 8; k++) {
    df_loader_next(ld, &b);
    for (int j = 0; j < B; j++) labelled &= b.labels[j] >= 0;
  }
  df_expect_true(labelled, "labelled only: no -1 labels");
  df_loader_close(ld);
  o.labelled_only = 0;

  /* The validation split, and one shard given directly. */
  o.split = DF_SPLIT_VALIDATION;
  df_expect_ok(df_loader_open(&o, &ld), "open the validation split");
  df_loader_next(ld, &b);
  int val_only = 1;
  for (int j = 0; j < B; j++) val_only &= id_of(b.audio + (size_t)j * C * L) >= 107;
  df_expect_true(val_only && df_loader_info(ld)->examples == 15, "validation examples only");
  df_loader_close(ld);
  char shard[4300];
  snprintf(shard, sizeof shard, "%s/train-00002.h5", dir);
  df_loader_options one = {.path = shard, .split = DF_SPLIT_TRAIN, .batch_size = 4, .seed = 3, .device = DF_DEVICE_CPU};
  df_expect_ok(df_loader_open(&one, &ld), "open a single shard");
  df_loader_next(ld, &b);
  int in_shard = 1;
  for (int j = 0; j < 4; j++) in_shard &= id_of(b.audio + (size_t)j * C * L) >= 87;
  df_expect_true(in_shard && df_loader_info(ld)->examples == 20, "its 20 examples only");
  df_loader_close(ld);

  /* The same batches into tensors, on the CPU and (with a GPU) on CUDA. */
  o.split = DF_SPLIT_TRAIN;
  o.seed = 9;
  df_loader *ref;
  df_loader_open(&o, &ref);
  df_tensor audio, labels;
  df_tensor_new(&audio, DF_DEVICE_CPU, "audio", B, C, L);
  df_tensor_alloc(&labels, DF_DEVICE_CPU, DF_I32, 1, (int64_t[]){B}, "labels");
  df_expect_ok(df_loader_open(&o, &ld), "open for tensors");
  int same = 1;
  for (int k = 0; k < 12; k++) {
    df_loader_state st;
    df_loader_next(ref, &b);
    df_expect_ok(df_loader_next_tensor(ld, &audio, &labels, &st), "next_tensor");
    same &= !memcmp(audio.data, b.audio, sizeof(float) * B * C * L) &&
            !memcmp(labels.data, b.labels, sizeof(int32_t) * B) && st.cursor == b.state.cursor;
  }
  df_expect_true(same, "next_tensor (CPU) gives the same batches as next");
  df_tensor wrong;
  df_tensor_new(&wrong, DF_DEVICE_CPU, "wrong", B, C, L + 1);
  df_expect_status(df_loader_next_tensor(ld, &wrong, NULL, NULL), DF_ERR_INVALID_ARG, "a wrongly shaped tensor is refused");
  df_tensor_free(&wrong);
  df_loader_close(ld);
  df_loader_close(ref);
  if (df_test_gpu()) {
    df_loader_options g = o;
    g.device = DF_DEVICE_CUDA;
    df_loader_open(&o, &ref);
    df_tensor ga, gl;
    df_tensor_new(&ga, DF_DEVICE_CUDA, "audio", B, C, L);
    df_tensor_alloc(&gl, DF_DEVICE_CUDA, DF_I32, 1, (int64_t[]){B}, "labels");
    if (df_expect_ok(df_loader_open(&g, &ld), "open for CUDA (pinned buffers)")) {
      int gsame = 1;
      for (int k = 0; k < 12; k++) {
        df_loader_next(ref, &b);
        df_expect_ok(df_loader_next_tensor(ld, &ga, &gl, NULL), "next_tensor (CUDA)");
        df_tensor_copy(&audio, &ga);
        df_tensor_copy(&labels, &gl);
        gsame &= !memcmp(audio.data, b.audio, sizeof(float) * B * C * L) && !memcmp(labels.data, b.labels, sizeof(int32_t) * B);
      }
      df_expect_true(gsame, "next_tensor (CUDA, asynchronous copies) gives the same batches");
      df_loader_close(ld);
    }
    df_loader_close(ref);
    df_tensor_free(&ga);
    df_tensor_free(&gl);
  } else {
    df_test_skip_gpu(1, "next_tensor into CUDA tensors");
  }
  df_tensor_free(&audio);
  df_tensor_free(&labels);

  /* Refusals. */
  o.batch_size = 200;
  df_expect_status(df_loader_open(&o, &ld), DF_ERR_INVALID_ARG, "a batch larger than the split is refused");
  df_expect_true(strstr(df_last_error(), "fewer than the batch size 200") != NULL, "the message says why");
  o.batch_size = B;
  o.classes = "kick";
  df_expect_status(df_loader_open(&o, &ld), DF_ERR_INVALID_ARG, "an unknown class is refused");
  df_expect_true(strstr(df_last_error(), "no class 'kick'") && strstr(df_last_error(), "c0, c1, c2"),
                 "the message lists the dataset's classes");
  o.classes = NULL;

  /* A dataset changed after prepare: a shard replaced by another, or listed under another
   * split, is refused naming the shard (it was "0 examples, fewer than the batch size", or
   * silently other data). */
  char tampered[4200], from[4400], to[4400], *data;
  size_t len;
  snprintf(tampered, sizeof tampered, "%s-tampered", dir);
  df_test_write_dataset(tampered, train, 3, val, 1, C, L, 3);
  snprintf(from, sizeof from, "%s/validation-00000.h5", tampered);
  snprintf(to, sizeof to, "%s/train-00001.h5", tampered);
  if (df_read_file(from, &data, &len) == DF_OK) {
    df_write_file_atomic(to, data, len);
    free(data);
  }
  o.path = tampered;
  expect_refused(&o, "train-00001.h5: 15 examples, but manifest.json says 37", "a shard replaced after prepare");
  df_test_write_dataset(tampered, train, 3, val, 1, C, L, 3);
  snprintf(to, sizeof to, "%s/manifest.json", tampered);
  if (df_read_file(to, &data, &len) == DF_OK) {
    char *sp = strstr(data, "\"validation\"");
    if (sp) {
      memcpy(sp, "\"test\"      ", 12); /* the same length: "test" and spaces */
      df_write_file_atomic(to, data, len);
    }
    free(data);
  }
  o.split = DF_SPLIT_TEST;
  expect_refused(&o, "is in the validation split, but manifest.json lists the shard as test",
                 "a shard listed under another split");
  /* A shard listed twice (its examples were read, counted and trained on twice). */
  df_test_write_dataset(tampered, train, 3, val, 1, C, L, 3);
  if (df_read_file(to, &data, &len) == DF_OK) {
    cJSON *m = cJSON_ParseWithLength(data, len);
    cJSON *shards = cJSON_GetObjectItem(m, "shards");
    cJSON_AddItemToArray(shards, cJSON_Duplicate(cJSON_GetArrayItem(shards, 0), 1));
    char *text = cJSON_Print(m);
    df_write_file_atomic(to, text, strlen(text));
    free(text);
    cJSON_Delete(m);
    free(data);
  }
  o.split = DF_SPLIT_TRAIN;
  expect_refused(&o, "shard train-00000.h5 is listed twice", "a shard listed twice in manifest.json");
  /* Shards of another dataset (other class names) would train with the wrong label names:
   * the manifest's class_names must be the shards'. inspect reads the same way. */
  df_test_write_dataset(tampered, train, 3, val, 1, C, L, 3);
  if (df_read_file(to, &data, &len) == DF_OK) {
    char *c1 = strstr(data, "\"c1\"");
    if (c1) {
      memcpy(c1, "\"hh\"", 4); /* the same length */
      df_write_file_atomic(to, data, len);
    }
    free(data);
  }
  expect_refused(&o, "train-00000.h5: class 1 is 'c1', but manifest.json says 'hh'", "a shard with other class names");
  df_dataset_summary sum;
  df_expect_status(df_dataset_summarize(tampered, &sum), DF_ERR_FORMAT, "... also for inspect's summary");
  o.path = "/nonexistent/dataset";
  df_expect_status(df_loader_open(&o, &ld), DF_ERR_NOT_FOUND, "a missing dataset is reported");
  return df_test_finish();
}
