/* The drum-class classifier on the real default dataset (skipped when Debian's Hydrogen kits
 * are not installed, and under AddressSanitizer, where the short training takes minutes):
 * `drumforge prepare --default`, then the classifier's own training (data/classifier.ini, its
 * 600 CPU steps) and its accuracy on the held-out kits (validation and test pooled, so one
 * odd kit moves it less). It must beat chance (1/11) and always answering the largest
 * held-out class by a wide margin; the figures we state are in
 * bench/results/2026-11-22-cpu-classifier.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/testlib.h"
#include "drumforge/dataset.h"
#include "drumforge/eval.h"

#define KITS "/usr/share/hydrogen/data/drumkits"

static void on_log(void *ctx, const char *line) {
  (void)ctx;
  if (!strstr(line, "step ") && !strstr(line, "checkpoint ")) printf("     [classifier] %s\n", line);
}

int main(void) {
  df_test_begin("test_classifier_default_dataset");
#if defined(__SANITIZE_ADDRESS__)
  printf("SKIP: a real training is too slow under AddressSanitizer (the synthetic test_eval_classifier runs)\n");
  return 77;
#endif
  if (access(KITS "/GMRockKit/drumkit.xml", F_OK) != 0) {
    printf("SKIP the Hydrogen kits are not installed (apt-get install hydrogen-drumkits hydrogen-data)\n");
    return 77;
  }
  char out[4096], cmd[8400];
  df_test_scratch_dir("classifier_default", out, sizeof out);
  snprintf(cmd, sizeof cmd, "'%s' prepare --default --kits-dir %s --out '%s' --quiet > /dev/null", DF_DRUMFORGE_EXE,
           KITS, out);
  int rc = system(cmd);
  if (!df_expect_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "drumforge prepare --default")) return df_test_finish();

  df_dataset_summary sum;
  if (!df_expect_ok(df_dataset_summarize(out, &sum), "summarise the default dataset")) return df_test_finish();
  df_classifier_options o = {0};
  o.dataset = out;
  o.device = DF_DEVICE_CPU;
  o.log = on_log;
  df_classifier *c = NULL;
  if (!df_expect_ok(df_classifier_open(&o, &c), "train the classifier with data/classifier.ini")) return df_test_finish();
  const df_classifier_card *k = df_classifier_get_card(c);
  const int n = k->n_classes;
  int64_t held_out = k->test_examples + k->validation_examples, largest = 0;
  for (int i = 0; i < n; i++) {
    int64_t in_class = 0;
    for (int j = 0; j < n; j++) in_class += k->confusion[i * n + j] + k->validation_confusion[i * n + j];
    if (in_class > largest) largest = in_class;
  }
  const double acc = (k->test_accuracy * (double)k->test_examples +
                      k->validation_accuracy * (double)k->validation_examples) / (double)held_out;
  const double majority = (double)largest / (double)held_out, chance = 1.0 / n;
  printf("     held-out accuracy %.3f on %lld labelled examples of held-out kits (test %.3f, validation %.3f); "
         "chance %.3f, largest class alone %.3f\n", acc, (long long)held_out, k->test_accuracy,
         k->validation_accuracy, chance, majority);
  df_expect_true(n == 11 && held_out >= 100, "11 classes and at least 100 labelled held-out examples");
  df_expect_true(acc >= 3 * chance, "held-out accuracy is at least 3 x chance");
  df_expect_true(acc >= majority + 0.07, "held-out accuracy beats the largest class alone by 7 points");
  df_classifier_close(c);
  return df_test_finish();
}
