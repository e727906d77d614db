/* The quick start's model learns class spectra within a CPU minute: experiments/quickstart.ini
 * trained for 400 steps (batch 16) on synthetic kicks (60 Hz), snares (220 Hz) and closed hats (3 kHz)
 * through `drumforge train`, then `drumforge generate --class kick,snare,hh_closed` as
 * scripts/quickstart.sh runs it: every file is written and listed, generated kicks have over
 * 90 % of their energy below 500 Hz, and hats at least 30 points less (their spectra move up
 * first; on the real default dataset a few minutes give hats with their energy above 200 Hz). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "common/train_fixture.h"

int main(void) {
  df_test_begin("test_quickstart");
  char dir[4096], dataset[4200], args[16000], manifest[4300], *err;
  df_test_scratch_dir("quickstart", dir, sizeof dir);
  if (df_test_make_dataset(dir, 16, 0.8, dataset, sizeof dataset)) {
    df_test_fail("make a dataset", "failed");
    return df_test_finish();
  }
  snprintf(args, sizeof args, "train --config '%s/experiments/quickstart.ini' --data '%s' --run '%s/run' --steps 400 --set train.batch=16 "
           "--device cpu --quiet", DF_PROJECT_SOURCE_DIR, dataset, dir);
  int rc = df_test_drumforge(dir, args, &err);
  if (!df_expect_true(rc == 0, "train the quick-start experiment for 400 steps")) printf("%s", err);
  free(err);
  snprintf(args, sizeof args, "generate --run '%s/run' --class kick,snare,hh_closed --count 4 --peak -1 --out '%s/generated' "
           "--overwrite --quiet --device cpu", dir, dir);
  rc = df_test_drumforge(dir, args, &err);
  if (!df_expect_true(rc == 0, "generate kicks, snares and hats")) printf("%s", err);
  free(err);
  snprintf(manifest, sizeof manifest, "%s/generated/manifest.jsonl", dir);
  df_expect_true(df_test_count_lines(manifest) == 12, "12 files listed in the manifest");
  char generated[4200];
  snprintf(generated, sizeof generated, "%s/generated", dir);
  double kick_low = df_test_class_band_share(generated, "kick", 4, 0, 500);
  double hat_low = df_test_class_band_share(generated, "hh_closed", 4, 0, 500);
  printf("share of the energy below 500 Hz: kicks %.2f, hats %.2f\n", kick_low, hat_low);
  df_expect_true(kick_low > 0.9, "generated kicks have over 90% of their energy below 500 Hz");
  df_expect_true(hat_low >= 0 && hat_low < kick_low - 0.3, "generated hats have at least 30 points less there");
  return df_test_finish();
}
