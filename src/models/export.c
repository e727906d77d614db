/* Exporting a checkpoint's weights as plain safetensors (include/drumforge/export.h). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/checkpoint.h"
#include "drumforge/export.h"
#include "drumforge/fileio.h"
#include "drumforge/safetensors.h"
#include "drumforge/train.h"

/* The class names as a JSON array. */
static char *class_list(const df_loaded_model *m) {
  cJSON *a = cJSON_CreateArray();
  for (int i = 0; i < m->n_classes; i++) cJSON_AddItemToArray(a, cJSON_CreateString(m->class_names[i]));
  char *text = cJSON_PrintUnformatted(a);
  cJSON_Delete(a);
  return text;
}

df_status df_export_safetensors(const char *checkpoint_or_run, const char *path, df_export_result *result) {
  if (!result) return DF_FAIL(DF_ERR_INVALID_ARG, "export: result is NULL");
  memset(result, 0, sizeof *result);
  if (!checkpoint_or_run || !path)
    return DF_FAIL(DF_ERR_INVALID_ARG, "export: the checkpoint and the output path are needed");
  df_loaded_model m;
  DF_TRY(df_model_load(checkpoint_or_run, DF_DEVICE_CPU, &m));
  snprintf(result->checkpoint, sizeof result->checkpoint, "%s", m.checkpoint);
  /* Replacing the checkpoint by its export would lose the optimiser state for good. */
  if (df_same_file(m.checkpoint, path)) {
    df_model_unload(&m);
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: this is the checkpoint being exported (the export would replace it): give "
                   "another output file", path);
  }
  df_status kept = df_checkpoint_refuse_replacing(path);
  if (kept) {
    df_model_unload(&m);
    return kept;
  }
  df_st_writer *w = NULL;
  df_status s = df_st_writer_new(&w);
  for (int i = 0; !s && i < m.type->n_param_sets(m.model); i++) {
    const df_param_set *set = m.type->param_set(m.model, i);
    for (int k = 0; !s && k < set->n; k++) {
      char name[160];
      snprintf(name, sizeof name, "%s.%s", set->prefix, set->items[k]->name);
      s = df_st_writer_add_tensor(w, name, &set->items[k]->value);
      result->tensors++;
      result->values += df_tensor_numel(&set->items[k]->value);
    }
  }
  char step[32], rate[32];
  snprintf(step, sizeof step, "%lld", (long long)m.step);
  snprintf(rate, sizeof rate, "%d", m.sample_rate);
  char *classes = class_list(&m);
  char *examples = m.has_class_examples ? df_class_examples_json(m.n_classes, m.class_examples) : NULL;
  if (!s && m.has_class_examples && !examples) s = DF_FAIL(DF_ERR_OOM, "export: class examples");
  if (!s) s = df_st_writer_set_metadata(w, "format", DF_EXPORT_FORMAT);
  if (!s) s = df_st_writer_set_metadata(w, "model_type", m.type->name);
  if (!s) s = df_st_writer_set_metadata(w, "step", step);
  if (!s) s = df_st_writer_set_metadata(w, "sample_rate", rate);
  if (!s) s = df_st_writer_set_metadata(w, "class_names", classes ? classes : "[]");
  if (!s && examples) s = df_st_writer_set_metadata(w, "class_examples", examples);
  if (!s) s = df_st_writer_set_metadata(w, "config", m.config_text ? m.config_text : "");
  if (!s) s = df_st_writer_save(w, path);
  free(classes);
  free(examples);
  df_st_writer_free(w);
  df_model_unload(&m);
  return s;
}
