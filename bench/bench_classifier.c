/* The drum-class classifier's accuracy on a dataset's held-out splits after a short CPU
 * training with data/classifier.ini (or --steps N), and the time it took.
 *   drumforge prepare --default --out /tmp/default
 *   build/bench/bench_classifier --data /tmp/default [--steps N] [--device cpu|cuda]
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
  const char *data = NULL, *dir = NULL, *device = "cpu";
  long steps = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--data")) data = argv[i + 1];
    else if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else if (!strcmp(argv[i], "--steps")) steps = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--device")) device = argv[i + 1];
  }
  if (!data) {
    fprintf(stderr, "usage: bench_classifier --data DATASET [--steps N] [--dir DIR] [--device cpu|cuda]\n");
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
  printf("  test confusion (rows: true class, columns: predicted)\n");
  for (int i = 0; i < k->n_classes; i++) {
    int64_t row = 0;
    for (int j = 0; j < k->n_classes; j++) row += k->confusion[i * k->n_classes + j];
    if (!row) continue;
    printf("  %-10s", k->class_names[i]);
    for (int j = 0; j < k->n_classes; j++) printf(" %3lld", (long long)k->confusion[i * k->n_classes + j]);
    printf("\n");
  }
  df_classifier_close(c);
  return 0;
}
