/* `drumforge inspect` recognises what drumforge writes and says what matters about it: a
 * dataset (examples per class and split), a checkpoint (model, step, parameters, classes
 * with their training examples, the model config; verified first: a corrupt or truncated one
 * is a one-line error), an export or any safetensors file (metadata and tensors of any dtype), a run folder (checkpoints, the newest
 * valid one with the newer broken ones named, the last metrics, the best checkpoint), and
 * refuses anything else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/datafiles.h"
#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "drumforge/fileio.h"
#include "drumforge/safetensors.h"

static char dir[4096];
static char out_text[1 << 16], err_text[4096];

/* Runs `drumforge inspect ARGS`; keeps stdout and stderr; returns the exit code. */
static int inspect(const char *args) {
  char cmd[8192], path[4200], *text, *err;
  size_t len;
  snprintf(cmd, sizeof cmd, "inspect %s", args);
  int rc = df_test_drumforge(dir, cmd, &err);
  snprintf(err_text, sizeof err_text, "%s", err);
  free(err);
  snprintf(path, sizeof path, "%s/cmd.stdout", dir);
  out_text[0] = '\0';
  if (df_read_file(path, &text, &len) == DF_OK) {
    snprintf(out_text, sizeof out_text, "%s", text);
    free(text);
  }
  return rc;
}

/* Every needle must be in the output; names the first one missing. */
static void expect_output(const char *what, const char *const *needles, int n) {
  for (int i = 0; i < n; i++)
    if (!strstr(out_text, needles[i])) {
      df_test_fail(what, "'%s' missing from:\n%s%s", needles[i], out_text, err_text);
      return;
    }
  df_test_pass(what);
}

static int lines(const char *text) {
  int n = 0;
  for (; *text; text++) n += *text == '\n';
  return n;
}

static void expect_one_line_error(const char *what, int rc, const char *needle) {
  if (rc == 1 && lines(err_text) == 1 && strstr(err_text, needle)) df_test_pass(what);
  else df_test_fail(what, "exit %d, stderr (want one line with '%s'): %s", rc, needle, err_text);
}

static void copy_file(const char *from, const char *to) {
  char *data;
  size_t len;
  if (df_read_file(from, &data, &len) == DF_OK) {
    df_write_file_atomic(to, data, len);
    free(data);
  }
}

int main(void) {
  df_test_begin("test_inspect");
  df_test_scratch_dir("inspect", dir, sizeof dir);
  char path[4300], ckpt[4300], run[4300], args[9000];

  /* A dataset folder. */
  snprintf(path, sizeof path, "%s/dataset", dir);
  const int train[] = {6}, val[] = {3};
  df_expect_true(df_test_write_dataset(path, train, 1, val, 1, 1, 256, 2) == 9, "write a dataset");
  snprintf(args, sizeof args, "'%s'", path);
  int rc = inspect(args);
  const char *const dataset[] = {"dataset ", "9 examples", "c0", "c1", "(unlabelled)", "validation"};
  df_expect_true(rc == 0, "inspect a dataset: exit 0");
  expect_output("a dataset: examples per class and split", dataset, 6);
  /* A manifest without shards: 0 examples (it passed NULL to qsort: UBSan stopped inspect). */
  snprintf(path, sizeof path, "%s/no_shards", dir);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/no_shards/manifest.json", dir);
  df_test_write_text(path, "{\"format\": \"drumforge-dataset\", \"format_version\": 1, \"shards\": []}");
  snprintf(args, sizeof args, "'%s/no_shards'", dir);
  rc = inspect(args);
  const char *const no_shards[] = {"dataset ", "0 examples"};
  df_expect_true(rc == 0, "inspect a dataset without shards: exit 0");
  expect_output("a dataset without shards", no_shards, 2);

  /* A conditional checkpoint (inference weights, no Adam state). */
  snprintf(ckpt, sizeof ckpt, "%s/model.safetensors", dir);
  df_expect_true(df_test_make_checkpoint(ckpt, 4, 1, 3, NULL) == 0, "write a checkpoint");
  snprintf(args, sizeof args, "'%s'", ckpt);
  rc = inspect(args);
  const char *const checkpoint[] = {"wavegan at step 7", "checksum ok", "G ", "D ", "Adam state not included",
                                    "kick 10, snare 13, hh_closed 16", "d = 4", "conditional = true"};
  df_expect_true(rc == 0, "inspect a checkpoint: exit 0");
  expect_output("a checkpoint: model, step, parameters, classes, config", checkpoint, 8);
  const int summary_lines = lines(out_text);
  snprintf(args, sizeof args, "--tensors --config '%s'", ckpt);
  rc = inspect(args);
  const char *const tensors[] = {"G.fc.weight", "F32", "[model]"};
  expect_output("--tensors --config: every tensor and the whole config", tensors, 3);
  df_expect_true(rc == 0 && lines(out_text) > summary_lines + 10, "--tensors --config print more");

  /* An export of it. */
  char exported[4300], *err;
  snprintf(exported, sizeof exported, "%s/export.safetensors", dir);
  snprintf(args, sizeof args, "export --checkpoint '%s' --format safetensors --out '%s'", ckpt, exported);
  df_expect_true(df_test_drumforge(dir, args, &err) == 0, "export the checkpoint");
  free(err);
  snprintf(args, sizeof args, "'%s'", exported);
  rc = inspect(args);
  const char *const export[] = {"exported weights", "model_type: wavegan", "fc.weight", "class_names"};
  df_expect_true(rc == 0, "inspect an export: exit 0");
  expect_output("an export: metadata and tensors", export, 4);

  /* A corrupt checkpoint: one flipped byte in the tensor data. */
  char *data;
  size_t len;
  snprintf(path, sizeof path, "%s/corrupt.safetensors", dir);
  if (df_read_file(ckpt, &data, &len) == DF_OK) {
    data[len - 100] ^= 0x40;
    df_write_file_atomic(path, data, len);
    free(data);
  }
  snprintf(args, sizeof args, "'%s'", path);
  expect_one_line_error("a corrupt checkpoint is a one-line error", inspect(args), "checksum");
  /* Cut inside its header, it was "not something drumforge can inspect". */
  snprintf(path, sizeof path, "%s/truncated.safetensors", dir);
  if (df_read_file(ckpt, &data, &len) == DF_OK) {
    df_write_file_atomic(path, data, 1000);
    free(data);
  }
  snprintf(args, sizeof args, "'%s'", path);
  expect_one_line_error("a checkpoint cut in its header is a one-line error saying truncated", inspect(args),
                        "truncated: the header needs");
  /* Another tool's file with dtypes drumforge does not compute in (F64, U8). */
  snprintf(path, sizeof path, "%s/other.safetensors", dir);
  df_st_writer *w;
  if (df_expect_ok(df_st_writer_new(&w), "writer")) {
    const double wide[2] = {1, 2};
    const uint8_t bytes[4] = {1, 2, 3, 4};
    df_st_writer_add(w, "layer.weight", DF_ST_F64, 1, (int64_t[]){2}, wide);
    df_st_writer_add(w, "mask", DF_ST_U8, 2, (int64_t[]){2, 2}, bytes);
    df_expect_ok(df_st_writer_save(w, path), "save a file with F64 and U8 tensors");
    df_st_writer_free(w);
  }
  snprintf(args, sizeof args, "'%s'", path);
  rc = inspect(args);
  const char *const other[] = {"safetensors ", "2 tensors", "layer.weight", "F64", "mask", "U8", "[2, 2]"};
  df_expect_true(rc == 0, "inspect a safetensors file with F64 and U8 tensors: exit 0");
  expect_output("any safetensors file: its tensors, whatever their dtype", other, 7);

  /* A run folder: checkpoints at steps 7 and 9 (9 is broken), metrics, best.json. */
  snprintf(run, sizeof run, "%s/run", dir);
  snprintf(path, sizeof path, "%s/checkpoints", run);
  df_mkdirs(path);
  snprintf(path, sizeof path, "%s/config.ini", run);
  df_test_write_text(path, "[model]\ntype = wavegan\nd = 4\n[data]\npath = datasets/somewhere\n");
  snprintf(path, sizeof path, "%s/checkpoints/ckpt-000000007.safetensors", run);
  copy_file(ckpt, path);
  snprintf(path, sizeof path, "%s/checkpoints/ckpt-000000009.safetensors", run);
  df_test_write_text(path, "not a checkpoint at all");
  snprintf(path, sizeof path, "%s/metrics.jsonl", run);
  df_test_write_text(path, "{\"step\": 10, \"d_loss\": 1.5}\n{\"step\": 20, \"d_loss\": 0.25, \"time\": 1.7e9}\n");
  snprintf(path, sizeof path, "%s/best.json", run);
  df_test_write_text(path, "{\"step\": 7, \"frechet_distance\": 12.5, \"kid\": 0.25}\n");
  snprintf(args, sizeof args, "'%s'", run);
  rc = inspect(args);
  const char *const run_out[] = {"run ", "wavegan on datasets/somewhere",    "checkpoints: 2 (steps 7, 9)", "not valid:",
                                 "ckpt-000000009", "newest valid: step 7", "last metrics: step 20, d_loss 0.25",
                                 "best checkpoint: step 7 (Frechet distance 12.5",
                                 /* step 7 holds inference weights: resume would fail on it */
                                 "has no optimiser state"};
  df_expect_true(rc == 0, "inspect a run folder: exit 0");
  expect_output("a run: checkpoints, the newest valid one (inference only), broken ones named, metrics, best",
                run_out, 9);
  df_expect_true(!strstr(out_text, "time"), "a run: the wall clock of metrics.jsonl is left out");

  /* Not something drumforge writes, and a path that does not exist. */
  snprintf(path, sizeof path, "%s/notes.txt", dir);
  df_test_write_text(path, "hello");
  snprintf(args, sizeof args, "'%s'", path);
  expect_one_line_error("a text file is refused in one line", inspect(args), "not something drumforge can inspect");
  snprintf(path, sizeof path, "%s/empty", dir);
  df_test_write_text(path, "");
  snprintf(args, sizeof args, "'%s'", path);
  expect_one_line_error("an empty file is refused in one line, saying so", inspect(args), "an empty file");
  snprintf(args, sizeof args, "'%s/missing'", dir);
  expect_one_line_error("a missing path is refused in one line", inspect(args), "No such file or directory");
  /* A named pipe is not opened (that would wait for a writer): refused at once. */
  snprintf(path, sizeof path, "%s/pipe", dir);
  if (mkfifo(path, 0666) == 0) {
    snprintf(args, sizeof args, "'%s'", path);
    alarm(30); /* a hang fails the test */
    expect_one_line_error("a named pipe is refused without blocking", inspect(args), "not something drumforge can inspect");
    alarm(0);
  }
  return df_test_finish();
}
