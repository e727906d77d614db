/* Checkpoints as safetensors files (include/drumforge/checkpoint.h).
 *
 * The checksum: each tensor's CRC-32 over its name and bytes, XOR-ed together (so the order
 * of the tensors does not matter), then continued over every metadata key and value but
 * "checksum" in sorted key order. A flipped bit in any tensor or value is detected; a
 * truncated file is already rejected by the safetensors reader. */
#include "drumforge/checkpoint.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/check.h"
#include "data/text.h"
#include "drumforge/ops.h"
#include "drumforge/safetensors.h"

void df_checkpoint_state_free(df_checkpoint_state *st) {
  if (!st) return;
  free(st->config_text);
  st->config_text = NULL;
}

/* ---------------------------------------------------------------- the checksum */
static uLong crc_bytes(uLong crc, const void *data, size_t n) {
  const Bytef *p = data;
  while (n > 0) { /* crc32 takes a uInt length */
    uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return crc;
}

static uLong crc_text(uLong crc, const char *text) { return crc_bytes(crc, text, strlen(text) + 1); }

static uLong tensor_crc(const char *name, const void *data, size_t n) {
  return crc_bytes(crc_text(crc32(0L, Z_NULL, 0), name), data, n);
}

typedef struct kv {
  const char *key, *value;
} kv;

static int by_key(const void *a, const void *b) { return strcmp(((const kv *)a)->key, ((const kv *)b)->key); }

/* Folds n metadata pairs (any order; "checksum" skipped) into crc in sorted key order. */
static df_status crc_metadata(uLong *crc, kv *pairs, int n) {
  qsort(pairs, (size_t)n, sizeof *pairs, by_key);
  for (int i = 0; i < n; i++)
    if (strcmp(pairs[i].key, "checksum")) *crc = crc_text(crc_text(*crc, pairs[i].key), pairs[i].value);
  return DF_OK;
}

/* ---------------------------------------------------------------- saving */
#define MAX_META (32 + DF_MAX_CLASSES)

typedef struct meta_list {
  char keys[MAX_META][64];
  char *values[MAX_META];
  int n;
} meta_list;

/* Adds key = value, taking ownership of value (NULL: out of memory). */
static df_status meta_take(meta_list *m, const char *key, char *value) {
  if (!value) return DF_FAIL(DF_ERR_OOM, "checkpoint metadata");
  if (m->n == MAX_META) {
    free(value);
    return DF_FAIL(DF_ERR_INVALID_ARG, "checkpoint: too many metadata entries");
  }
  snprintf(m->keys[m->n], sizeof m->keys[m->n], "%s", key);
  m->values[m->n++] = value;
  return DF_OK;
}

#define meta_add(m, key, ...) meta_take((m), (key), text_printf(__VA_ARGS__))

static void meta_free(meta_list *m) {
  for (int i = 0; i < m->n; i++) free(m->values[i]);
  m->n = 0;
}

static df_status build_meta(const df_checkpoint_state *st, df_param_set *const *sets, int n_sets,
                            meta_list *m) {
  m->n = 0;
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; arr && i < st->n_classes; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(st->class_names[i]));
  char *classes = arr ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  if (!classes) return DF_FAIL(DF_ERR_OOM, "checkpoint class names");
  char *examples = NULL;
  if (st->has_class_examples && !(examples = df_class_examples_json(st->n_classes, st->class_examples))) {
    free(classes);
    return DF_FAIL(DF_ERR_OOM, "checkpoint class examples");
  }
  df_status s = meta_add(m, "format", "drumforge-checkpoint");
  if (!s) s = meta_add(m, "format_version", "%d", DF_CHECKPOINT_FORMAT_VERSION);
  if (!s) s = meta_add(m, "model_type", "%s", st->model_type);
  if (!s) s = meta_add(m, "step", "%" PRId64, st->step);
  if (!s) s = meta_add(m, "rng_seed", "%" PRIu64, st->rng.seed);
  if (!s) s = meta_add(m, "rng_offset", "%" PRIu64, st->rng.offset);
  if (!s) s = meta_add(m, "loader_epoch", "%" PRIu64, st->loader.epoch);
  if (!s) s = meta_add(m, "loader_cursor", "%" PRIu64, st->loader.cursor);
  if (!s) s = meta_add(m, "loader_seed", "%" PRIu64, st->loader.seed);
  if (!s) s = meta_add(m, "loader_rng_offset", "%" PRIu64, st->loader.rng_offset);
  if (!s) s = meta_add(m, "loader_examples", "%" PRIu64, st->loader.examples);
  if (!s) s = meta_add(m, "elapsed_seconds", "%.3f", st->elapsed_seconds);
  if (!s) s = meta_add(m, "sample_rate", "%d", st->sample_rate);
  if (!s) s = meta_add(m, "class_names", "%s", classes);
  if (!s && examples) s = meta_add(m, "class_examples", "%s", examples);
  if (!s) s = meta_add(m, "config", "%s", st->config_text ? st->config_text : "");
  if (!s && st->compute[0]) s = meta_add(m, "compute", "%s", st->compute);
  for (int i = 0; !s && i < n_sets; i++) {
    char key[64];
    snprintf(key, sizeof key, "adam_step.%s", sets[i]->prefix);
    s = meta_add(m, key, "%" PRId64, sets[i]->adam_step);
  }
  free(classes);
  free(examples);
  if (s) meta_free(m);
  return s;
}

static void tensor_name(char *buf, size_t len, const df_param_set *set, const df_param *p,
                        const char *part) {
  if (part) snprintf(buf, len, "adam.%s.%s.%s", set->prefix, p->name, part);
  else snprintf(buf, len, "%s.%s", set->prefix, p->name);
}

/* Adds one tensor (copied to the host) to the writer and folds it into the checksum. */
static df_status add(df_st_writer *w, const char *name, const df_tensor *t, uLong *xor_crc,
                     float **host, size_t *cap) {
  size_t bytes = df_tensor_bytes(t);
  if (bytes > *cap) {
    float *grown = realloc(*host, bytes);
    if (!grown) return DF_FAIL(DF_ERR_OOM, "checkpoint: %zu bytes for '%s'", bytes, name);
    *host = grown;
    *cap = bytes;
  }
  DF_TRY(df_tensor_to_host(t, *host, df_tensor_numel(t)));
  *xor_crc ^= tensor_crc(name, *host, bytes);
  return df_st_writer_add(w, name, DF_ST_F32, t->ndim, t->shape, *host);
}

/* The path and parameter sets every checkpoint function takes. */
static df_status check_sets(const char *fn, const char *path, df_param_set *const *sets, int n_sets) {
  if (!path) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: argument 'path' is NULL", fn);
  if (n_sets < 0 || (n_sets && !sets))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: %d parameter sets at %p", fn, n_sets, (const void *)sets);
  for (int i = 0; i < n_sets; i++)
    if (!sets[i]) return DF_FAIL(DF_ERR_INVALID_ARG, "%s: parameter set %d is NULL", fn, i);
  return DF_OK;
}

df_status df_checkpoint_save(const char *path, df_param_set *const *sets, int n_sets,
                             const df_checkpoint_state *st, int with_optimizer) {
  DF_TRY(check_sets(__func__, path, sets, n_sets));
  DF_CHECK_ARG(st);
  df_st_writer *w;
  DF_TRY(df_st_writer_new(&w));
  uLong crc = 0;
  float *host = NULL;
  size_t cap = 0;
  df_status s = DF_OK;
  char name[256];
  for (int i = 0; !s && i < n_sets; i++) {
    const df_param_set *set = sets[i];
    for (int k = 0; !s && k < set->n; k++) {
      const df_param *p = set->items[k];
      tensor_name(name, sizeof name, set, p, NULL);
      s = add(w, name, &p->value, &crc, &host, &cap);
      if (!s && with_optimizer && p->trainable) {
        tensor_name(name, sizeof name, set, p, "m");
        s = add(w, name, &p->m, &crc, &host, &cap);
        tensor_name(name, sizeof name, set, p, "v");
        if (!s) s = add(w, name, &p->v, &crc, &host, &cap);
      }
    }
  }
  free(host);
  meta_list m = {0};
  if (!s) s = build_meta(st, sets, n_sets, &m);
  if (!s) {
    kv pairs[MAX_META];
    for (int i = 0; i < m.n; i++) pairs[i] = (kv){m.keys[i], m.values[i]};
    crc_metadata(&crc, pairs, m.n);
    for (int i = 0; !s && i < m.n; i++) s = df_st_writer_set_metadata(w, m.keys[i], m.values[i]);
    char sum[16];
    snprintf(sum, sizeof sum, "%08lx", (unsigned long)crc);
    if (!s) s = df_st_writer_set_metadata(w, "checksum", sum);
    meta_free(&m);
  }
  if (!s) s = df_st_writer_save(w, path);
  df_st_writer_free(w);
  return s;
}

/* ---------------------------------------------------------------- loading */
static df_status verify(const df_st_file *f, const char *path) {
  const char *stored = df_st_metadata(f, "checksum");
  if (!stored) return DF_FAIL(DF_ERR_FORMAT, "%s: not a drumforge checkpoint (no checksum)", path);
  uLong crc = 0;
  for (int i = 0; i < df_st_count(f); i++) {
    const df_st_tensor *t = df_st_at(f, i);
    crc ^= tensor_crc(t->name, t->data, t->nbytes);
  }
  int n = df_st_metadata_count(f);
  kv *pairs = malloc(sizeof *pairs * (size_t)(n ? n : 1));
  if (!pairs) return DF_FAIL(DF_ERR_OOM, "checkpoint metadata");
  for (int i = 0; i < n; i++) df_st_metadata_at(f, i, &pairs[i].key, &pairs[i].value);
  crc_metadata(&crc, pairs, n);
  free(pairs);
  char sum[16];
  snprintf(sum, sizeof sum, "%08lx", (unsigned long)crc);
  if (strcmp(sum, stored))
    return DF_FAIL(DF_ERR_FORMAT, "%s: checksum mismatch (stored %s, computed %s): the file is corrupt",
                   path, stored, sum);
  return DF_OK;
}

static df_status need(const df_st_file *f, const char *path, const char *key, const char **out) {
  *out = df_st_metadata(f, key);
  if (!*out) return DF_FAIL(DF_ERR_FORMAT, "%s: not a drumforge checkpoint (metadata '%s' missing)", path, key);
  return DF_OK;
}

static df_status need_u64(const df_st_file *f, const char *path, const char *key, uint64_t *out) {
  const char *v;
  DF_TRY(need(f, path, key, &v));
  char *end;
  *out = strtoull(v, &end, 10);
  if (end == v || *end) return DF_FAIL(DF_ERR_FORMAT, "%s: metadata '%s' = '%s' is not a number", path, key, v);
  return DF_OK;
}

char *df_class_examples_json(int n, const int64_t *counts) {
  cJSON *arr = cJSON_CreateArray();
  for (int i = 0; arr && i < n; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)counts[i]));
  char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  return text;
}

df_status df_class_examples_parse(const char *json, const char *path, int n, int64_t *counts) {
  DF_CHECK_ARG(json);
  DF_CHECK_ARG(counts);
  cJSON *arr = cJSON_Parse(json);
  int ok = cJSON_IsArray(arr) && cJSON_GetArraySize(arr) == n;
  for (int i = 0; ok && i < n; i++) {
    const cJSON *e = cJSON_GetArrayItem(arr, i);
    ok = cJSON_IsNumber(e) && e->valuedouble >= 0;
    if (ok) counts[i] = (int64_t)e->valuedouble;
  }
  cJSON_Delete(arr);
  return ok ? DF_OK
            : DF_FAIL(DF_ERR_FORMAT, "%s: metadata 'class_examples' is not one count per class name", path);
}

/* Optional "class_examples": one non-negative count per class name. */
static df_status parse_class_examples(const df_st_file *f, const char *path, df_checkpoint_state *st) {
  const char *v = df_st_metadata(f, "class_examples");
  if (!v) return DF_OK;
  DF_TRY(df_class_examples_parse(v, path, st->n_classes, st->class_examples));
  st->has_class_examples = 1;
  return DF_OK;
}

/* The Adam moments are stored as "adam.<set>.<param>.m|v" (tensor_name). */
static int holds_optimizer_state(const df_st_file *f) {
  for (int i = 0; i < df_st_count(f); i++)
    if (!strncmp(df_st_at(f, i)->name, "adam.", 5)) return 1;
  return 0;
}

static df_status parse_state(const df_st_file *f, const char *path, df_checkpoint_state *st) {
  memset(st, 0, sizeof *st);
  const char *v;
  uint64_t u;
  DF_TRY(need(f, path, "format", &v));
  if (strcmp(v, "drumforge-checkpoint"))
    return DF_FAIL(DF_ERR_FORMAT, "%s: format '%s' is not a drumforge checkpoint", path, v);
  DF_TRY(need_u64(f, path, "format_version", &u));
  if (u != DF_CHECKPOINT_FORMAT_VERSION) /* not corrupt: resume must not set it aside */
    return DF_FAIL(DF_ERR_UNSUPPORTED, "%s: checkpoint format version %llu (this drumforge reads %d)", path,
                   (unsigned long long)u, DF_CHECKPOINT_FORMAT_VERSION);
  DF_TRY(verify(f, path));
  DF_TRY(need(f, path, "model_type", &v));
  snprintf(st->model_type, sizeof st->model_type, "%s", v);
  DF_TRY(need_u64(f, path, "step", &u));
  st->step = (int64_t)u;
  DF_TRY(need_u64(f, path, "rng_seed", &st->rng.seed));
  DF_TRY(need_u64(f, path, "rng_offset", &st->rng.offset));
  DF_TRY(need_u64(f, path, "loader_epoch", &st->loader.epoch));
  DF_TRY(need_u64(f, path, "loader_cursor", &st->loader.cursor));
  DF_TRY(need_u64(f, path, "loader_seed", &st->loader.seed));
  DF_TRY(need_u64(f, path, "loader_rng_offset", &st->loader.rng_offset));
  DF_TRY(need_u64(f, path, "loader_examples", &st->loader.examples));
  DF_TRY(need(f, path, "elapsed_seconds", &v));
  st->elapsed_seconds = atof(v);
  DF_TRY(need_u64(f, path, "sample_rate", &u));
  st->sample_rate = (int)u;
  DF_TRY(need(f, path, "class_names", &v));
  cJSON *arr = cJSON_Parse(v);
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > DF_MAX_CLASSES) {
    cJSON_Delete(arr);
    return DF_FAIL(DF_ERR_FORMAT, "%s: metadata 'class_names' is not a list of names", path);
  }
  st->n_classes = cJSON_GetArraySize(arr);
  for (int i = 0; i < st->n_classes; i++) {
    const cJSON *e = cJSON_GetArrayItem(arr, i);
    snprintf(st->class_names[i], DF_CLASS_NAME_LEN, "%s", cJSON_IsString(e) ? e->valuestring : "");
  }
  cJSON_Delete(arr);
  DF_TRY(parse_class_examples(f, path, st));
  const char *compute = df_st_metadata(f, "compute"); /* optional */
  snprintf(st->compute, sizeof st->compute, "%s", compute ? compute : "");
  st->has_optimizer_state = holds_optimizer_state(f);
  DF_TRY(need(f, path, "config", &v));
  st->config_text = strdup(v);
  if (!st->config_text) return DF_FAIL(DF_ERR_OOM, "checkpoint config");
  return DF_OK;
}

df_status df_checkpoint_refuse_replacing(const char *path) {
  DF_CHECK_ARG(path);
  df_st_file *f;
  if (df_st_open(path, &f) != DF_OK) return DF_OK; /* missing or not safetensors: nothing to keep */
  int training = holds_optimizer_state(f);
  df_st_close(f);
  if (training)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: a training checkpoint (with optimiser state) already has this name and "
                   "would be replaced: give another output file, or remove it first", path);
  return DF_OK;
}

df_status df_checkpoint_read_state(const char *path, df_checkpoint_state *st) {
  df_st_file *f;
  DF_CHECK_ARG(st);
  memset(st, 0, sizeof *st);
  DF_TRY(df_st_open(path, &f));
  df_status s = parse_state(f, path, st);
  df_st_close(f);
  if (s) df_checkpoint_state_free(st);
  return s;
}

df_status df_check_finite(const char *path, const char *name, const df_tensor *t) {
  int64_t bad;
  DF_TRY(df_count_nonfinite(t, &bad));
  if (bad)
    return DF_FAIL(DF_ERR_NUMERIC, "%s: tensor '%s' holds %lld non-finite value(s) (NaN or Inf)", path, name,
                   (long long)bad);
  return DF_OK;
}

df_status df_checkpoint_check_finite(const char *path, df_param_set *const *sets, int n_sets, int with_optimizer) {
  DF_TRY(check_sets(__func__, path, sets, n_sets));
  char name[256];
  for (int i = 0; i < n_sets; i++)
    for (int k = 0; k < sets[i]->n; k++) {
      const df_param *p = sets[i]->items[k];
      tensor_name(name, sizeof name, sets[i], p, NULL);
      DF_TRY(df_check_finite(path, name, &p->value));
      if (!with_optimizer || !p->trainable) continue;
      tensor_name(name, sizeof name, sets[i], p, "m");
      DF_TRY(df_check_finite(path, name, &p->m));
      tensor_name(name, sizeof name, sets[i], p, "v");
      DF_TRY(df_check_finite(path, name, &p->v));
    }
  return DF_OK;
}

/* Copies stored tensor `name` into t (shapes must match, values finite). */
static df_status load_into(const df_st_file *f, const char *path, const char *name, df_tensor *t) {
  const df_st_tensor *st;
  DF_TRY(df_st_find(f, name, &st));
  int same = st->dtype == DF_ST_F32 && st->ndim == t->ndim;
  for (int d = 0; same && d < t->ndim; d++) same = st->shape[d] == t->shape[d];
  if (!same) {
    char want[96];
    return DF_FAIL(DF_ERR_FORMAT, "%s: tensor '%s' has another shape or dtype than the model's %s "
                   "(was the checkpoint made with another configuration?)", path, name,
                   df_tensor_shape_str(t, want, sizeof want));
  }
  DF_TRY(df_tensor_from_host(t, st->data, df_tensor_numel(t)));
  return df_check_finite(path, name, t);
}

df_status df_checkpoint_load(const char *path, df_param_set *const *sets, int n_sets,
                             int require_optimizer, df_checkpoint_state *st) {
  df_st_file *f;
  DF_CHECK_ARG(st);
  memset(st, 0, sizeof *st);
  DF_TRY(check_sets(__func__, path, sets, n_sets));
  DF_TRY(df_st_open(path, &f));
  df_status s = parse_state(f, path, st);
  char name[256];
  for (int i = 0; !s && i < n_sets; i++) {
    df_param_set *set = sets[i];
    char key[64];
    snprintf(key, sizeof key, "adam_step.%s", set->prefix);
    const char *v = df_st_metadata(f, key);
    if (!v) s = DF_FAIL(DF_ERR_FORMAT, "%s: metadata '%s' missing (no parameter set '%s')", path, key, set->prefix);
    else set->adam_step = strtoll(v, NULL, 10);
    for (int k = 0; !s && k < set->n; k++) {
      df_param *p = set->items[k];
      tensor_name(name, sizeof name, set, p, NULL);
      s = load_into(f, path, name, &p->value);
      if (s || !p->trainable || set->inference) continue;
      tensor_name(name, sizeof name, set, p, "m");
      const df_st_tensor *probe;
      if (df_st_find(f, name, &probe) != DF_OK) {
        if (require_optimizer) {
          s = DF_FAIL(DF_ERR_FORMAT, "%s: no optimiser state ('%s'; an inference checkpoint, e.g. from import): "
                      "cannot resume training from it", path, name);
        } else {
          s = df_tensor_zero(&p->m);
          if (!s) s = df_tensor_zero(&p->v);
        }
        continue;
      }
      s = load_into(f, path, name, &p->m);
      tensor_name(name, sizeof name, set, p, "v");
      if (!s) s = load_into(f, path, name, &p->v);
    }
  }
  df_st_close(f);
  if (s) df_checkpoint_state_free(st);
  return s;
}
