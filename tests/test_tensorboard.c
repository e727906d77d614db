/* TensorBoard event files: CRC-32C against its standard check value, and a file of scalars
 * and audio read back by an independent Python reader (framing, CRCs, protobuf fields). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "common/testlib.h"
#include "train/tensorboard.h"

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
  df_tb_close(w);
  DIR *dp = opendir(dir);
  struct dirent *e;
  char file[4400] = "";
  while (dp && (e = readdir(dp)))
    if (!strncmp(e->d_name, "events.out.tfevents.", 20)) snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
  if (dp) closedir(dp);
  df_expect_true(file[0] != 0, "the event file has TensorBoard's name");
  const char *py = getenv("DF_PYTHON");
  char cmd[9000], out[4600];
  snprintf(out, sizeof out, "%s/read.txt", dir);
  snprintf(cmd, sizeof cmd, "%s %s/python/read_tfevents.py '%s' > '%s'", py && py[0] ? py : "python3",
           DF_TEST_SOURCE_DIR, file, out);
  if (df_expect_true(system(cmd) == 0, "the independent reader accepts every record and CRC")) {
    char *text;
    size_t len;
    if (df_expect_ok(df_read_file(out, &text, &len), "reader output")) {
      df_expect_true(strstr(text, "version brain.Event:2") != NULL, "the file-version record comes first");
      df_expect_true(strstr(text, "scalar 10 d_loss -1.25") != NULL, "a scalar reads back with its step");
      df_expect_true(strstr(text, "scalar 20 gp 0.5") != NULL, "a second scalar reads back");
      df_expect_true(strstr(text, "audio 20 preview/00 16000 1 10 64 audio/wav") != NULL,
                     "audio reads back with rate, channels, frames and content type");
      free(text);
    }
  }
  return df_test_finish();
}
