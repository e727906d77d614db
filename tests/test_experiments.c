/* Every experiment file in experiments/ is valid: it parses, every key is known and every
 * value is in range, and its model builds (for a dataset with 12 classes). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/testlib.h"
#include "drumforge/fileio.h"
#include "drumforge/train.h"

int main(void) {
  df_test_begin("test_experiments");
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/experiments", DF_PROJECT_SOURCE_DIR);
  DIR *dp = opendir(dir);
  if (!dp) {
    df_test_fail("experiments", "cannot list %s", dir);
    return df_test_finish();
  }
  struct dirent *e;
  int n = 0;
  static char names[12][DF_CLASS_NAME_LEN];
  for (int i = 0; i < 12; i++) snprintf(names[i], sizeof names[i], "c%d", i);
  while ((e = readdir(dp))) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".ini")) continue;
    char path[4500], what[300];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    snprintf(what, sizeof what, "experiments/%s is valid", e->d_name);
    if (df_expect_ok(df_train_check_config(path, 12), what)) df_test_pass(what);
    /* The inference path (generate, import --config) builds it too, and finds every [model]
     * key known there: it refuses the ones nobody reads. */
    char *text;
    size_t text_len;
    df_loaded_model m;
    snprintf(what, sizeof what, "experiments/%s builds for inference", e->d_name);
    if (df_expect_ok(df_read_file(path, &text, &text_len), "read it")) {
      df_expect_ok(df_model_create(text, path, 12, names, 16000, DF_DEVICE_CPU, &m), what);
      df_model_unload(&m);
      free(text);
    }
    n++;
  }
  closedir(dp);
  df_expect_true(n >= 5, "the five experiments ship");
  /* A misspelt [model] key: the model would otherwise be built with the default. */
  df_loaded_model m;
  df_expect_status(df_model_create("[model]\ntype = wavegan\nd = 4\nkernal = 5\n", "typo.ini", 0, NULL, 16000,
                                   DF_DEVICE_CPU, &m),
                   DF_ERR_CONFIG, "a misspelt [model] key is refused when a model is built for inference");
  df_expect_true(strstr(df_last_error(), "typo.ini:4") && strstr(df_last_error(), "model.kernal"),
                 "naming the file, line and key");
  df_model_unload(&m);
  /* A deliberately broken file is caught. */
  char bad[4200], scratch[4096];
  df_test_scratch_dir("experiments", scratch, sizeof scratch);
  snprintf(bad, sizeof bad, "%s/bad.ini", scratch);
  const char *text = "[model]\ntype = wavegan\nd = 4\n[optim]\nlr_g = 0.5\ncritic_stepz = 5\n";
  df_write_file_atomic(bad, text, strlen(text));
  df_expect_status(df_train_check_config(bad, 0), DF_ERR_CONFIG, "a misspelt key is rejected");
  df_expect_true(strstr(df_last_error(), "bad.ini:6") && strstr(df_last_error(), "optim.critic_stepz"),
                 "naming the file, line and key");
  return df_test_finish();
}
