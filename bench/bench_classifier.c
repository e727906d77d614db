/* The drum-class classifier's accuracy on a dataset's held-out splits after a short CPU
 * training with data/classifier.ini (or --config FILE, --steps N), and the time it took: per
 * split, pooled over validation and test (a less noisy figure), per-class recall and the
 * pooled confusion matrix.
 *   drumforge prepare --default --out /tmp/default
 *   build/bench/bench_classifier --data /tmp/default [--steps N] [--config F] [--device cpu|cuda]
 * It trains into a scratch folder (--dir, default DATA/classifier-bench), never the dataset's
 * own classifier. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drumforge/drumforge.h"
#include "drumforge/eval.h"

static void on_log(void *ctx, const char *line) { fprintf(stderr, "  %s\n", line); }

int main(int argc, char **argv) {
  const char *data = NULL, *dir = NULL, *device = "cpu", *config = NULL;
  long steps = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--data")) data = argv[i + 1];
    else if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else if (!strcmp(argv[i], "--steps")) steps = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--device")) device = argv[i + 1];
    else if (!strcmp(argv[i], "--config")) config = argv[i + 1];
  }
  if (!data) {
    fprintf(stderr, "usage: bench_classifier --data DATASET [--steps N] [--config FILE] [--dir DIR] [--device cpu|cuda]\n");
    return 2;
  }
  char scratch[4200];
  snprintf(scratch, sizeof scratch, "%s/classifier-bench", data);
  df_device_request req;
  df_device dev;
  char notice[256];
  if (df_parse_device_request(device, &req) || df_runtime_init(req, &dev, notice, sizeof notice)) {
    fprintf(stderr, "bench_classifier: %s\n", df_last_error());
    return 1;
  }
  df_classifier_options o = {0};
  o.dataset = data;
  o.dir = dir ? dir : scratch;
  o.config_path = config;
  o.device = dev;
  o.steps = steps;
  o.retrain = 1;
  o.log = on_log;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  df_classifier *c;
  if (df_classifier_open(&o, &c)) {
    fprintf(stderr, "bench_classifier: %s\n", df_last_error());
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const df_classifier_card *k = df_classifier_get_card(c);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  printf("classifier on %s (%s): %lld steps in %.1f s (training and measuring)\n", data, df_device_description(dev),
         (long long)k->step, secs);
  printf("  test accuracy       %.3f on %lld labelled examples (chance: 1 / %d classes)\n", k->test_accuracy,
         (long long)k->test_examples, k->n_classes);
  printf("  validation accuracy %.3f on %lld labelled examples\n", k->validation_accuracy,
         (long long)k->validation_examples);
  /* Pooled over validation and test: recall per class, balanced accuracy, confusion. */
  const int n = k->n_classes;
  int64_t pooled[DF_MAX_CLASSES * DF_MAX_CLASSES], right = 0, total = 0, largest = 0;
  double recall_sum = 0;
  int present = 0;
  for (int i = 0; i < n * n; i++) pooled[i] = k->confusion[i] + k->validation_confusion[i];
  printf("  pooled validation + test, per class: recall (right / examples)\n");
  for (int i = 0; i < n; i++) {
    int64_t row = 0;
    for (int j = 0; j < n; j++) row += pooled[i * n + j];
    if (!row) continue;
    right += pooled[i * n + i];
    total += row;
    if (row > largest) largest = row;
    recall_sum += (double)pooled[i * n + i] / (double)row;
    present++;
    printf("  %-10s %.2f (%lld / %lld)\n", k->class_names[i], (double)pooled[i * n + i] / (double)row,
           (long long)pooled[i * n + i], (long long)row);
  }
  if (total) {
    printf("  pooled accuracy     %.3f on %lld labelled examples (the largest class alone: %.3f)\n",
           (double)right / (double)total, (long long)total, (double)largest / (double)total);
    printf("  balanced accuracy   %.3f (mean recall over %d classes)\n", recall_sum / present, present);
  }
  const char *titles[2] = {"test", "validation"};
  const int64_t *matrices[2] = {k->confusion, k->validation_confusion};
  for (int m = 0; m < 2; m++) {
    printf("  %s confusion (rows: true class, columns: predicted)\n", titles[m]);
    for (int i = 0; i < n; i++) {
      int64_t row = 0;
      for (int j = 0; j < n; j++) row += matrices[m][i * n + j];
      if (!row) continue;
      printf("  %-10s", k->class_names[i]);
      for (int j = 0; j < n; j++) printf(" %3lld", (long long)matrices[m][i * n + j]);
      printf("\n");
    }
  }
  df_classifier_close(c);
  return 0;
}
