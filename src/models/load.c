/* Loading a trained model for inference (include/drumforge/train.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "drumforge/checkpoint.h"
#include "drumforge/train.h"
#include "train/run_dir.h"

/* The newest checkpoint of a run folder that verifies. */
static df_status newest_in_run(const char *run, char *path, size_t len) {
  int64_t *steps;
  int n;
  DF_TRY(df_run_list_checkpoints(run, &steps, &n));
  for (int i = n - 1; i >= 0; i--) {
    df_run_checkpoint_path(run, steps[i], path, len);
    df_checkpoint_state st;
    if (df_checkpoint_read_state(path, &st) == DF_OK) {
      df_checkpoint_state_free(&st);
      free(steps);
      return DF_OK;
    }
  }
  free(steps);
  return DF_FAIL(DF_ERR_NOT_FOUND, "%s: no valid checkpoint in this run folder", run);
}

df_status df_model_create(const char *config_text, const char *origin, int n_classes,
                          const char (*class_names)[DF_CLASS_NAME_LEN], int sample_rate, df_device dev,
                          df_loaded_model *out) {
  memset(out, 0, sizeof *out);
  snprintf(out->checkpoint, sizeof out->checkpoint, "%s", origin);
  df_config *cfg = NULL;
  DF_TRY(df_config_parse(config_text, origin, &cfg));
  const char *type_name = NULL;
  df_status s = df_config_string(cfg, "model.type", "wavegan", &type_name);
  if (!s) {
    out->type = df_model_type_find(type_name);
    if (!out->type)
      s = DF_FAIL(DF_ERR_FORMAT, "%s: unknown model type '%s' (known: %s)", origin, type_name, df_model_type_list());
  }
  out->n_classes = n_classes;
  out->sample_rate = sample_rate;
  out->device = dev;
  for (int i = 0; i < n_classes && i < DF_MAX_CLASSES; i++)
    snprintf(out->class_names[i], sizeof out->class_names[i], "%s", class_names[i]);
  for (int i = 0; i < DF_MAX_CLASSES; i++) out->class_ptrs[i] = out->class_names[i];
  df_train_data info = {NULL, NULL, 1, sample_rate, n_classes, out->class_ptrs, NULL};
  df_rng rng;
  df_rng_init(&rng, 0);
  if (!s) s = out->type->create(cfg, dev, &info, &rng, &out->model);
  /* A misspelt [model] key (import --config) would otherwise build the default silently. */
  if (!s) s = df_config_check_unused_in(cfg, "model");
  df_config_free(cfg);
  return s;
}

df_status df_model_load(const char *path, df_device dev, df_loaded_model *out) {
  if (!out || !path) return DF_FAIL(DF_ERR_INVALID_ARG, "df_model_load: path or out is NULL");
  memset(out, 0, sizeof *out);
  struct stat sb;
  if (stat(path, &sb) != 0) return DF_FAIL(DF_ERR_NOT_FOUND, "%s: no such checkpoint or run folder", path);
  char checkpoint[sizeof out->checkpoint];
  if (S_ISDIR(sb.st_mode)) DF_TRY(newest_in_run(path, checkpoint, sizeof checkpoint));
  else snprintf(checkpoint, sizeof checkpoint, "%s", path);
  df_checkpoint_state st;
  DF_TRY(df_checkpoint_read_state(checkpoint, &st));
  df_status s = df_model_create(st.config_text, checkpoint, st.n_classes, (const char(*)[DF_CLASS_NAME_LEN])st.class_names,
                                st.sample_rate, dev, out);
  out->step = st.step;
  if (st.has_class_examples) {
    out->has_class_examples = 1;
    memcpy(out->class_examples, st.class_examples, sizeof out->class_examples);
  }
  df_checkpoint_state_free(&st);
  df_param_set *sets[8];
  int n = 0;
  if (!s) s = df_model_param_sets(out, sets, 8, &n);
  if (!s) {
    for (int i = 0; i < n; i++) df_param_set_drop_training_state(sets[i]); /* inference needs the values only */
    s = df_checkpoint_load(out->checkpoint, sets, n, 0, &st);
    if (!s) {
      out->config_text = st.config_text; /* kept for export; the rest of the state is above */
      st.config_text = NULL;
      df_checkpoint_state_free(&st);
    }
  }
  if (s) df_model_unload(out);
  return s;
}

df_status df_model_param_sets(const df_loaded_model *m, df_param_set **sets, int cap, int *n) {
  *n = m->type->n_param_sets(m->model);
  if (*n > cap)
    return DF_FAIL(DF_ERR_INVALID_ARG, "model type '%s' has %d parameter sets (at most %d handled)", m->type->name, *n,
                   cap);
  for (int i = 0; i < *n; i++) sets[i] = m->type->param_set(m->model, i);
  return DF_OK;
}

void df_model_unload(df_loaded_model *m) {
  if (m->type && m->model) m->type->destroy(m->model);
  m->model = NULL;
  free(m->config_text);
  m->config_text = NULL;
}

int df_trained_class_ids(int n_classes, const int64_t *class_examples, int32_t *ids) {
  int n = 0;
  for (int c = 0; c < n_classes; c++)
    if (!class_examples || class_examples[c] > 0) ids[n++] = c;
  return n;
}

const int64_t *df_model_class_examples(const df_loaded_model *m) {
  return m->has_class_examples ? m->class_examples : NULL;
}

void df_model_class_list(const df_loaded_model *m, char *buf, size_t len) {
  int32_t ids[DF_MAX_CLASSES];
  int n = df_trained_class_ids(m->type->n_classes(m->model), df_model_class_examples(m), ids);
  if (len) buf[0] = 0;
  for (int i = 0; i < n; i++) {
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", i ? ", " : "", m->class_names[ids[i]]);
  }
}

df_status df_model_class_id(const df_loaded_model *m, const char *name, int *id) {
  int n = m->type->n_classes(m->model);
  if (n == 0) return DF_FAIL(DF_ERR_NOT_FOUND, "%s: class '%s': this model is not conditional", m->checkpoint, name);
  char list[1024];
  df_model_class_list(m, list, sizeof list);
  for (int i = 0; i < n; i++)
    if (!strcasecmp(m->class_names[i], name)) {
      if (m->has_class_examples && m->class_examples[i] == 0)
        return DF_FAIL(DF_ERR_NOT_FOUND, "%s: the model saw no '%s' in training, so it cannot make one (it learned: %s)",
                       m->checkpoint, m->class_names[i], list);
      *id = i;
      return DF_OK;
    }
  return DF_FAIL(DF_ERR_NOT_FOUND, "%s: the model has no class '%s' (it has: %s)", m->checkpoint, name, list);
}
