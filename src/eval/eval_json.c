/* eval.json (include/drumforge/eval.h; README "Evaluation" documents the fields). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/eval.h"
#include "drumforge/fileio.h"
#include "eval/json_file.h"
#include "drumforge/metrics.h"

static cJSON *matrix(const int64_t *m, int n) {
  cJSON *rows = cJSON_CreateArray();
  for (int i = 0; i < n; i++) {
    cJSON *row = cJSON_CreateArray();
    for (int j = 0; j < n; j++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)m[i * n + j]));
    cJSON_AddItemToArray(rows, row);
  }
  return rows;
}

df_status df_eval_write_json(const char *path, const df_eval_result *r, const char *checkpoint,
                             const char *dataset, const df_classifier *c) {
  const df_classifier_card *k = df_classifier_get_card(c);
  const int n = r->n_classes;
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "format", "drumforge-eval");
  cJSON_AddNumberToObject(root, "format_version", 1);
  cJSON_AddNumberToObject(root, "step", (double)r->step);
  cJSON_AddStringToObject(root, "checkpoint", checkpoint);
  cJSON_AddStringToObject(root, "dataset", dataset);
  cJSON *cl = cJSON_AddObjectToObject(root, "classifier");
  cJSON_AddStringToObject(cl, "checkpoint", k->checkpoint);
  cJSON_AddNumberToObject(cl, "step", (double)k->step);
  cJSON_AddNumberToObject(cl, "test_accuracy", k->test_accuracy);
  cJSON_AddNumberToObject(cl, "test_examples", (double)k->test_examples);
  cJSON_AddNumberToObject(cl, "validation_accuracy", k->validation_accuracy);
  cJSON_AddNumberToObject(cl, "embedding_dim", r->embed_dim);
  cJSON *names = cJSON_AddArrayToObject(root, "class_names");
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(names, cJSON_CreateString(k->class_names[i]));

  cJSON *gen = cJSON_AddObjectToObject(root, "generated");
  cJSON_AddNumberToObject(gen, "count", r->n_generated);
  cJSON_AddNumberToObject(gen, "silent", (double)r->silent);
  cJSON_AddNumberToObject(gen, "inception_score", r->is_generated);
  cJSON_AddNumberToObject(gen, "inception_score_std", r->is_generated_std);
  cJSON_AddNumberToObject(gen, "diversity", r->diversity_generated);
  cJSON *pred = cJSON_AddObjectToObject(gen, "predicted_classes");
  for (int i = 0; i < n; i++) cJSON_AddNumberToObject(pred, k->class_names[i], (double)r->predicted[i]);
  cJSON *real = cJSON_AddObjectToObject(root, "real");
  cJSON_AddNumberToObject(real, "count", r->n_real);
  cJSON_AddBoolToObject(real, "learned_classes_only", r->real_subset);
  cJSON *real_names = cJSON_AddArrayToObject(real, "classes");
  for (int i = 0; i < (r->real_subset ? r->n_real_classes : n); i++)
    cJSON_AddItemToArray(real_names, cJSON_CreateString(k->class_names[r->real_subset ? r->real_classes[i] : i]));
  cJSON_AddNumberToObject(real, "inception_score", r->is_real);
  cJSON_AddNumberToObject(real, "inception_score_std", r->is_real_std);
  cJSON_AddNumberToObject(real, "diversity", r->diversity_real);
  cJSON_AddNumberToObject(root, "frechet_distance", r->fd);
  cJSON_AddNumberToObject(root, "kid", r->kid);
  cJSON_AddNumberToObject(root, "kid_std", r->kid_std);
  cJSON_AddNumberToObject(root, "diversity_ratio", r->diversity_real > 0 ? r->diversity_generated / r->diversity_real : 0);

  if (r->conditional) {
    cJSON *cond = cJSON_AddObjectToObject(root, "conditioning");
    cJSON_AddNumberToObject(cond, "accuracy", r->conditioning_accuracy);
    cJSON_AddItemToObject(cond, "confusion", matrix(r->confusion, n));
    cJSON *per = cJSON_AddObjectToObject(cond, "per_class_accuracy");
    for (int i = 0; i < n; i++) {
      int64_t row = 0;
      for (int j = 0; j < n; j++) row += r->confusion[i * n + j];
      /* Only the classes asked for (those the model learned). */
      if (row) cJSON_AddNumberToObject(per, k->class_names[i], (double)r->confusion[i * n + i] / (double)row);
    }
  } else {
    cJSON_AddNullToObject(root, "conditioning");
  }
  if (r->novelty_done) {
    cJSON *nov = cJSON_AddObjectToObject(root, "novelty");
    cJSON_AddNumberToObject(nov, "count", (double)r->novelty_count);
    cJSON_AddNumberToObject(nov, "silent", (double)r->silent);
    cJSON_AddNumberToObject(nov, "min", r->novelty_min);
    cJSON_AddNumberToObject(nov, "p10", r->novelty_p10);
    cJSON_AddNumberToObject(nov, "median", r->novelty_median);
    cJSON_AddNumberToObject(nov, "mean", r->novelty_mean);
    cJSON_AddNumberToObject(nov, "p90", r->novelty_p90);
    cJSON_AddNumberToObject(nov, "near_copy_threshold", DF_NOVELTY_NEAR_COPY);
    cJSON_AddNumberToObject(nov, "near_copy_fraction", r->near_copy_fraction);
    cJSON *hist = cJSON_AddArrayToObject(nov, "histogram");
    for (int i = 0; i < DF_NOVELTY_BINS; i++) cJSON_AddItemToArray(hist, cJSON_CreateNumber((double)r->novelty_hist[i]));
  } else {
    cJSON_AddNullToObject(root, "novelty");
  }
  return ev_write_json(path, root);
}
