/* Importing plain safetensors weights into a checkpoint (include/drumforge/export.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drumforge/checkpoint.h"
#include "drumforge/export.h"
#include "drumforge/fileio.h"
#include "drumforge/safetensors.h"
#include "drumforge/train.h"

typedef struct import_source {
  char *config;            /* INI text (owned) */
  const char *origin;      /* where it came from, for messages */
  int n_classes;
  char names[DF_MAX_CLASSES][DF_CLASS_NAME_LEN];
  int sample_rate;
  int64_t step;
  int has_class_examples; /* the file's counts, kept when its class names are */
  int64_t class_examples[DF_MAX_CLASSES];
} import_source;

/* An integer metadata value in [lo, hi] (*out unchanged when the key is absent); anything
 * else, e.g. "1e99" or "16k", is refused quoting the text. */
static df_status metadata_integer(const df_st_file *f, const char *path, const char *key, long long lo, long long hi,
                                  long long *out) {
  const char *text = df_st_metadata(f, key);
  if (!text) return DF_OK;
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (end == text || *end || errno == ERANGE || v < lo || v > hi)
    return DF_FAIL(DF_ERR_FORMAT, "%s: metadata %s '%s' is not an integer in [%lld, %lld]", path, key, text, lo, hi);
  *out = v;
  return DF_OK;
}

static df_status parse_class_json(const char *path, const char *json, import_source *src) {
  cJSON *a = cJSON_Parse(json);
  df_status s = cJSON_IsArray(a) ? DF_OK : DF_FAIL(DF_ERR_FORMAT, "%s: class_names metadata is not a JSON array", path);
  for (int i = 0; !s && i < cJSON_GetArraySize(a); i++) {
    cJSON *e = cJSON_GetArrayItem(a, i);
    if (!cJSON_IsString(e) || src->n_classes == DF_MAX_CLASSES)
      s = DF_FAIL(DF_ERR_FORMAT, "%s: class_names metadata holds a non-string or too many names", path);
    else
      snprintf(src->names[src->n_classes++], DF_CLASS_NAME_LEN, "%s", e->valuestring);
  }
  cJSON_Delete(a);
  return s;
}

/* A conditional model built without class names would fail as "the data has 0 classes",
 * which does not say what to give. */
static df_status need_classes(const df_import_options *o, const import_source *src) {
  df_config *cfg;
  int conditional = 0;
  DF_TRY(df_config_parse(src->config, src->origin, &cfg));
  df_status s = df_config_bool(cfg, "model.conditional", 0, &conditional);
  df_config_free(cfg);
  DF_TRY(s);
  if (conditional)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: the model is conditional (model.conditional in %s) and the file has no "
                   "class_names metadata: give the class names in label order with --classes", o->weights, src->origin);
  return DF_OK;
}

/* The model's description: options first, then the file's metadata, then defaults. */
static df_status describe(const df_import_options *o, const df_st_file *f, import_source *src) {
  memset(src, 0, sizeof *src);
  if (o->config_path) {
    size_t len;
    DF_TRY(df_read_file(o->config_path, &src->config, &len));
    src->origin = o->config_path;
  } else {
    const char *cfg = df_st_metadata(f, "config");
    if (!cfg || !cfg[0])
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: no model configuration in the file's metadata: give the experiment file",
                     o->weights);
    src->config = strdup(cfg);
    src->origin = o->weights;
    if (!src->config) return DF_FAIL(DF_ERR_OOM, "config");
  }
  const char *classes = df_st_metadata(f, "class_names");
  if (o->classes) DF_TRY(df_parse_class_list(o->classes, src->names, DF_MAX_CLASSES, &src->n_classes));
  else if (classes) DF_TRY(parse_class_json(o->weights, classes, src));
  for (int i = 0; i < src->n_classes; i++) {
    const char *why = df_class_name_problem(src->names[i]);
    if (why)
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: class '%s' (%s) cannot be a class name: %s", o->weights, src->names[i],
                     o->classes ? "--classes" : "the class_names metadata", why);
  }
  /* Class ids are looked up by name: a repeated name would make one class unreachable. */
  int repeat = df_class_list_repeat((const char(*)[DF_CLASS_NAME_LEN])src->names, src->n_classes);
  if (repeat >= 0)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: class '%s' is named twice (%s)", o->weights, src->names[repeat],
                   o->classes ? "--classes" : "the class_names metadata");
  if (src->n_classes == 0) DF_TRY(need_classes(o, src));
  const char *examples = df_st_metadata(f, "class_examples");
  if (!o->classes && examples) {
    DF_TRY(df_class_examples_parse(examples, o->weights, src->n_classes, src->class_examples));
    src->has_class_examples = 1;
  }
  long long rate = o->sample_rate ? o->sample_rate : 16000, step = 0;
  if (!o->sample_rate) DF_TRY(metadata_integer(f, o->weights, "sample_rate", 1000, 384000, &rate));
  else if (rate < 1000 || rate > 384000)
    return DF_FAIL(DF_ERR_INVALID_ARG, "import: sample rate %lld is outside [1000, 384000]", rate);
  DF_TRY(metadata_integer(f, o->weights, "step", 0, INT64_MAX, &step));
  src->sample_rate = (int)rate;
  src->step = step;
  return DF_OK;
}

static const char *shape_text(int ndim, const int64_t *shape, char *buf, size_t len) {
  size_t used = (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < ndim && used < len; i++)
    used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", (long long)shape[i]);
  if (used < len) snprintf(buf + used, len - used, "]");
  return buf;
}

/* 1 when name ("<set>.<parameter>") is a parameter of the model. */
static int model_has(const df_loaded_model *m, const char *name) {
  const char *dot = strchr(name, '.');
  for (int k = 0; dot && k < m->type->n_param_sets(m->model); k++) {
    const df_param_set *set = m->type->param_set(m->model, k);
    if (strlen(set->prefix) == (size_t)(dot - name) && !strncmp(set->prefix, name, (size_t)(dot - name)) &&
        df_param_find(set, dot + 1))
      return 1;
  }
  return 0;
}

/* PyTorch's batch norm counter (I64, in every state_dict of a module with nn.BatchNorm*):
 * drumforge keeps none, so it is skipped for the model's batch norms. */
static int batch_counter(const df_loaded_model *m, const char *name) {
  static const char suffix[] = ".num_batches_tracked";
  size_t len = strlen(name), stem = len - (sizeof suffix - 1);
  char mean[200];
  if (len < sizeof suffix || strcmp(name + stem, suffix) || stem + sizeof ".running_mean" > sizeof mean) return 0;
  snprintf(mean, sizeof mean, "%.*s.running_mean", (int)stem, name);
  return model_has(m, mean);
}

/* Every tensor of the file must be a parameter of the model. */
static df_status check_unknown(const df_st_file *f, const df_loaded_model *m, const char *path) {
  for (int i = 0; i < df_st_count(f); i++) {
    const char *name = df_st_at(f, i)->name;
    if (!model_has(m, name) && !batch_counter(m, name)) {
      const df_param_set *first = m->type->param_set(m->model, 0);
      return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' is no parameter of this %s model (names are like %s.%s)", path,
                     name, m->type->name, first->prefix, first->items[0]->name);
    }
  }
  return DF_OK;
}

/* 1 when the file holds any parameter of the set. */
static int set_in_file(const df_st_file *f, const df_param_set *set) {
  for (int i = 0; i < set->n; i++) {
    char name[160];
    const df_st_tensor *t;
    snprintf(name, sizeof name, "%s.%s", set->prefix, set->items[i]->name);
    if (df_st_find(f, name, &t) == DF_OK) return 1;
  }
  return 0;
}

static df_status fill(const df_import_options *o, const df_st_file *f, df_loaded_model *m, df_import_result *r) {
  DF_TRY(check_unknown(f, m, o->weights));
  for (int k = 0; k < m->type->n_param_sets(m->model); k++) {
    df_param_set *set = m->type->param_set(m->model, k);
    /* --init-missing is for parts generating does not need (a critic); the first set is the
     * one that generates (G., or an autoencoder's only set): none of it would write a
     * checkpoint of random weights, e.g. over a good one. */
    if (k == 0 && r->loaded == 0 && !set_in_file(f, set))
      return DF_FAIL(DF_ERR_FORMAT, "%s: none of this %s model's %s.* parameters is in the file: nothing to generate "
                     "with", o->weights, m->type->name, set->prefix);
    for (int i = 0; i < set->n; i++) {
      df_param *p = set->items[i];
      char name[160], want[96], got[96];
      snprintf(name, sizeof name, "%s.%s", set->prefix, p->name);
      const df_st_tensor *t;
      if (df_st_find(f, name, &t) != DF_OK) {
        if (!o->init_missing)
          return DF_FAIL(DF_ERR_FORMAT, "%s: no tensor '%s' (shape %s) for this model; to keep its initial value, "
                         "allow missing parameters", o->weights, name, shape_text(p->value.ndim, p->value.shape, want, sizeof want));
        if (!r->initialised++) snprintf(r->first_initialised, sizeof r->first_initialised, "%s", name);
        continue;
      }
      int same = t->ndim == p->value.ndim;
      for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == p->value.shape[d];
      if (!same)
        return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' has shape %s, this model's parameter %s", o->weights, name,
                       shape_text(t->ndim, t->shape, got, sizeof got), shape_text(p->value.ndim, p->value.shape, want, sizeof want));
      df_tensor v;
      DF_TRY(df_st_load_f32(f, name, DF_DEVICE_CPU, &v));
      df_status s = df_check_finite(o->weights, name, &v);
      if (!s) s = df_tensor_copy(&p->value, &v);
      df_tensor_free(&v);
      DF_TRY(s);
      r->loaded++;
    }
  }
  return DF_OK;
}

df_status df_import_safetensors(const df_import_options *o, df_import_result *result) {
  if (!result) return DF_FAIL(DF_ERR_INVALID_ARG, "import: result is NULL");
  memset(result, 0, sizeof *result);
  if (!o || !o->weights || !o->out)
    return DF_FAIL(DF_ERR_INVALID_ARG, "import: the weights file and the output checkpoint are needed");
  if (df_same_file(o->weights, o->out))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: this is the file being imported (the checkpoint would replace it): give "
                   "another output file", o->out);
  DF_TRY(df_checkpoint_refuse_replacing(o->out));
  df_st_file *f;
  DF_TRY(df_st_open(o->weights, &f));
  import_source src;
  df_status s = describe(o, f, &src);
  df_loaded_model m = {0};
  if (!s)
    s = df_model_create(src.config, src.origin, src.n_classes, (const char(*)[DF_CLASS_NAME_LEN])src.names,
                        src.sample_rate, DF_DEVICE_CPU, &m);
  if (!s) s = fill(o, f, &m, result);
  if (!s) {
    df_checkpoint_state st;
    memset(&st, 0, sizeof st);
    snprintf(st.model_type, sizeof st.model_type, "%s", m.type->name);
    st.step = src.step;
    st.sample_rate = src.sample_rate;
    st.n_classes = src.n_classes;
    memcpy(st.class_names, src.names, sizeof st.class_names);
    st.has_class_examples = src.has_class_examples;
    memcpy(st.class_examples, src.class_examples, sizeof st.class_examples);
    st.config_text = src.config;
    df_param_set *sets[8];
    int n;
    s = df_model_param_sets(&m, sets, 8, &n);
    if (!s) s = df_checkpoint_save(o->out, sets, n, &st, 0);
  }
  df_model_unload(&m);
  free(src.config);
  df_st_close(f);
  return s;
}
