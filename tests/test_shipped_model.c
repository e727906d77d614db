/* The shipped quick-start model (checkpoints/quickstart/): its configuration file is valid,
 * the checkpoint loads as a conditional model that learned kick, snare and hh_closed, and it
 * makes what it is named for, as scripts/quickstart.sh runs it: `drumforge generate --class
 * kick,snare,hh_closed` writes and lists every file, and the classes' spectra are in order
 * (the share of energy below 200 Hz: kicks over 0.4, hats under 0.2, snares in between). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/train.h"

int main(void) {
  df_test_begin("test_shipped_model");
  char dir[4096], args[16000], manifest[4300], generated[4200], *err;
  df_test_scratch_dir("shipped_model", dir, sizeof dir);
  char ini[4200], ckpt[4200], learned[512] = "";
  snprintf(ini, sizeof ini, "%s/checkpoints/quickstart/quickstart.ini", DF_PROJECT_SOURCE_DIR);
  snprintf(ckpt, sizeof ckpt, "%s/checkpoints/quickstart/model.safetensors", DF_PROJECT_SOURCE_DIR);
  df_expect_ok(df_train_check_config(ini, 12), "checkpoints/quickstart/quickstart.ini is a valid experiment");
  df_loaded_model m;
  if (df_expect_ok(df_model_load(ckpt, DF_DEVICE_CPU, &m), "the shipped checkpoint loads")) {
    df_model_class_list(&m, learned, sizeof learned);
    printf("learned classes: %s (step %lld)\n", learned, (long long)m.step);
    df_expect_true(m.has_class_examples && !strcmp(learned, "kick, snare, hh_closed"),
                   "it records that it learned kick, snare and hh_closed");
    df_model_unload(&m);
  }
  snprintf(generated, sizeof generated, "%s/generated", dir);
  snprintf(args, sizeof args, "generate --checkpoint '%s' --class kick,snare,hh_closed --count 8 --seed 1 --peak -1 "
           "--out '%s' --overwrite --quiet --device cpu", ckpt, generated);
  int rc = df_test_drumforge(dir, args, &err);
  if (!df_expect_true(rc == 0, "generate from the shipped checkpoint")) printf("%s", err);
  free(err);
  snprintf(manifest, sizeof manifest, "%s/manifest.jsonl", generated);
  df_expect_true(df_test_count_lines(manifest) == 24, "24 files listed in the manifest");
  double kick = df_test_class_band_share(generated, "kick", 8, 0, 200);
  double snare = df_test_class_band_share(generated, "snare", 8, 0, 200);
  double hat = df_test_class_band_share(generated, "hh_closed", 8, 0, 200);
  printf("share of the energy below 200 Hz: kicks %.2f, snares %.2f, hats %.2f\n", kick, snare, hat);
  df_expect_true(kick > 0.4, "kicks have over 40% of their energy below 200 Hz");
  df_expect_true(hat >= 0 && hat < 0.2, "hats have under 20% of theirs there");
  df_expect_true(snare > hat && snare < kick, "snares lie between hats and kicks");
  return df_test_finish();
}
