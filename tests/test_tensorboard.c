/* TensorBoard event files: CRC-32C against its standard check value, a file of scalars
 * and audio read back by an independent Python reader (framing, CRCs, protobuf fields), and
 * trimming the records past a step (and a killed writer's partial record) for a resumed or
 * rolled-back run, with a writer that goes on appending to the trimmed file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "common/testlib.h"
#include "train/tensorboard.h"

/* The independent reader's lines for one event file (NULL when it rejects the file). */
static char *read_back(const char *dir, const char *file) {
  const char *py = getenv("DF_PYTHON");
  char cmd[9000], out[4600];
  snprintf(out, sizeof out, "%s/read.txt", dir);
  snprintf(cmd, sizeof cmd, "%s %s/python/read_tfevents.py '%s' > '%s'", py && py[0] ? py : "python3",
           DF_TEST_SOURCE_DIR, file, out);
  char *text = NULL;
  size_t len;
  if (system(cmd) != 0 || df_read_file(out, &text, &len) != DF_OK) return NULL;
  return text;
}

int main(void) {
  df_test_begin("test_tensorboard");
  df_expect_true(df_crc32c(0, "123456789", 9) == 0xE3069283u, "CRC-32C check value of \"123456789\"");
  char dir[4096];
  df_test_scratch_dir("tensorboard", dir, sizeof dir);
  df_tb_writer *w;
  if (!df_expect_ok(df_tb_open(dir, &w), "open")) return df_test_finish();
  df_expect_ok(df_tb_scalar(w, 10, "d_loss", -1.25f), "scalar");
  df_expect_ok(df_tb_scalar(w, 20, "gp", 0.5f), "scalar");
  unsigned char wav[64] = "RIFF\x24\0\0\0WAVEfmt ";
  df_expect_ok(df_tb_audio(w, 20, "preview/00", wav, sizeof wav, 16000.f, 1, 10), "audio");
  df_expect_ok(df_tb_flush(w), "flush");
  DIR *dp = opendir(dir);
  struct dirent *e;
  char file[4400] = "";
  while (dp && (e = readdir(dp)))
    if (!strncmp(e->d_name, "events.out.tfevents.", 20)) snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
  if (dp) closedir(dp);
  df_expect_true(file[0] != 0, "the event file has TensorBoard's name");
  char *text;
  if (df_expect_true((text = read_back(dir, file)) != NULL, "the independent reader accepts every record and CRC")) {
    df_expect_true(strstr(text, "version brain.Event:2") != NULL, "the file-version record comes first");
    df_expect_true(strstr(text, "scalar 10 d_loss -1.25") != NULL, "a scalar reads back with its step");
    df_expect_true(strstr(text, "scalar 20 gp 0.5") != NULL, "a second scalar reads back");
    df_expect_true(strstr(text, "audio 20 preview/00 16000 1 10 64 audio/wav") != NULL,
                   "audio reads back with rate, channels, frames and content type");
    free(text);
  }

  /* Trimming to step 10: the records of step 20 and a partial record a killed writer left
   * go; a writer open on the file appends after what is kept. */
  FILE *fp = fopen(file, "ab");
  if (fp) {
    fwrite("\x30\0\0\0\0\0\0\0\1\2", 1, 10, fp);
    fclose(fp);
  }
  df_expect_ok(df_tb_trim(dir, 10, w), "trim to step 10");
  df_expect_ok(df_tb_scalar(w, 11, "d_loss", 2.5f), "a scalar after trimming");
  df_expect_ok(df_tb_flush(w), "flush");
  df_tb_close(w);
  if (df_expect_true((text = read_back(dir, file)) != NULL, "the trimmed file reads back whole")) {
    df_expect_true(strstr(text, "scalar 10 d_loss -1.25") != NULL, "records up to the step are kept");
    df_expect_true(!strstr(text, "scalar 20 ") && !strstr(text, "audio 20 "), "records past it are dropped");
    df_expect_true(strstr(text, "scalar 11 d_loss 2.5") != NULL, "the open writer appends to the trimmed file");
    free(text);
  }
  return df_test_finish();
}
