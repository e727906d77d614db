/* Writing and reading manifest.json (src/data/manifest.h). */
#include "data/manifest.h"

#include <stdlib.h>
#include <string.h>

#include "data/text.h"
#include "drumforge/fileio.h"

#define OOM_IF_NULL(x) \
  do {                 \
    if (!(x)) return DF_FAIL(DF_ERR_OOM, "manifest.json"); \
  } while (0)

/* cJSON wants valid UTF-8; file names may not be. */
static cJSON *add_text(cJSON *obj, const char *name, const char *value) {
  char *clean = text_utf8_clean(value ? value : "");
  cJSON *item = clean ? cJSON_AddStringToObject(obj, name, clean) : NULL;
  free(clean);
  return item;
}

static const char *label_mode(df_label_source l) {
  return l == DF_LABELS_FOLDER ? "folder" : l == DF_LABELS_NONE ? "none" : "map";
}

static const char *split_mode(df_split_by s) {
  return s == DF_SPLIT_BY_KIT ? "kit" : s == DF_SPLIT_BY_FILE ? "file" : "auto";
}

static df_status add_settings(cJSON *root, const df_prepare_options *o, const char *class_table) {
  cJSON *s = cJSON_AddObjectToObject(root, "settings");
  OOM_IF_NULL(s);
  cJSON *inputs = cJSON_AddArrayToObject(s, "inputs");
  OOM_IF_NULL(inputs);
  for (int i = 0; i < o->n_inputs; i++) {
    char *clean = text_utf8_clean(o->inputs[i]);
    OOM_IF_NULL(clean);
    cJSON_AddItemToArray(inputs, cJSON_CreateString(clean));
    free(clean);
  }
  cJSON_AddNumberToObject(s, "rate", o->rate);
  cJSON_AddNumberToObject(s, "length", (double)o->length);
  cJSON_AddNumberToObject(s, "channels", o->channels);
  cJSON_AddStringToObject(s, "split_by", split_mode(o->split_by));
  cJSON *fr = cJSON_AddArrayToObject(s, "split_fractions");
  OOM_IF_NULL(fr);
  for (int k = 0; k < DF_N_SPLITS; k++) cJSON_AddItemToArray(fr, cJSON_CreateNumber(o->split[k]));
  cJSON_AddNumberToObject(s, "seed", (double)o->seed);
  cJSON_AddStringToObject(s, "labels", label_mode(o->labels));
  add_text(s, "class_table", class_table);
  cJSON_AddBoolToObject(s, "trim", o->trim);
  cJSON_AddNumberToObject(s, "trim_db", o->trim_db);
  cJSON_AddNumberToObject(s, "silence_db", o->silence_db);
  cJSON_AddNumberToObject(s, "hop", (double)o->hop);
  cJSON_AddNumberToObject(s, "bpm", o->bpm);
  cJSON_AddNumberToObject(s, "bars", o->bars);
  cJSON_AddNumberToObject(s, "normalize_peak", o->normalize_peak);
  cJSON_AddNumberToObject(s, "augment", o->augment);
  cJSON_AddNumberToObject(s, "aug_snr_db", o->aug_snr_db);
  cJSON_AddNumberToObject(s, "aug_gain_db", o->aug_gain_db);
  cJSON_AddNumberToObject(s, "aug_shift", (double)o->aug_shift);
  cJSON_AddStringToObject(s, "dtype", o->int16 ? "int16" : "float32");
  cJSON_AddNumberToObject(s, "shard_examples", (double)o->shard_examples);
  cJSON_AddNumberToObject(s, "max_seconds", o->max_seconds);
  cJSON_AddBoolToObject(s, "keep_duplicates", o->keep_duplicates);
  if (o->loops.count > 0) {
    cJSON *l = cJSON_AddObjectToObject(s, "loops");
    OOM_IF_NULL(l);
    cJSON_AddNumberToObject(l, "count", (double)o->loops.count);
    cJSON_AddNumberToObject(l, "bpm_min", o->loops.bpm_min);
    cJSON_AddNumberToObject(l, "bpm_max", o->loops.bpm_max);
    cJSON_AddNumberToObject(l, "bars", o->loops.bars);
    add_text(l, "tracks", o->loops.tracks);
    add_text(l, "patterns", o->loops.patterns);
    cJSON_AddNumberToObject(l, "humanize_ms", o->loops.humanize_ms);
    cJSON_AddNumberToObject(l, "velocity_jitter", o->loops.velocity_jitter);
  }
  return DF_OK;
}

df_status manifest_begin(manifest *m, const df_prepare_options *opt, const char *class_table,
                         const df_shard_info *info) {
  memset(m, 0, sizeof *m);
  m->root = cJSON_CreateObject();
  OOM_IF_NULL(m->root);
  cJSON_AddStringToObject(m->root, "format", "drumforge-dataset");
  cJSON_AddNumberToObject(m->root, "format_version", DF_DATASET_FORMAT_VERSION);
  cJSON_AddStringToObject(m->root, "kind", info->kind);
  cJSON_AddNumberToObject(m->root, "sample_rate", info->rate);
  cJSON_AddNumberToObject(m->root, "slice_length", (double)info->length);
  cJSON_AddNumberToObject(m->root, "channels", info->channels);
  cJSON_AddStringToObject(m->root, "dtype", info->int16 ? "int16" : "float32");
  cJSON *names = cJSON_AddArrayToObject(m->root, "class_names");
  OOM_IF_NULL(names);
  for (int c = 0; c < info->n_classes; c++)
    cJSON_AddItemToArray(names, cJSON_CreateString(info->class_names[c]));
  DF_TRY(add_settings(m->root, opt, class_table));
  m->shards = cJSON_AddArrayToObject(m->root, "shards");
  m->kits = cJSON_AddArrayToObject(m->root, "kits");
  m->rejected = cJSON_AddArrayToObject(m->root, "rejected");
  m->skipped = cJSON_AddArrayToObject(m->root, "skipped");
  OOM_IF_NULL(m->shards && m->kits && m->rejected && m->skipped);
  return DF_OK;
}

/* Drops " (file.c:123)" source locations anywhere in s, in place. */
static void drop_locations(char *s) {
  for (char *open = strstr(s, " ("); open; open = strstr(open + 1, " (")) {
    char *close = strchr(open, ')');
    char *dot = strstr(open, ".c:");
    if (!close || !dot || dot > close) continue;
    int digits = 1;
    for (char *d = dot + 3; d < close; d++) digits &= *d >= '0' && *d <= '9';
    if (digits && dot + 3 < close) memmove(open, close + 1, strlen(close + 1) + 1);
  }
}

/* "PATH: problem (read.c:12)" or "PATH:LINE: problem" -> "problem" or "line LINE: problem". */
static char *bare_reason(const char *path, const char *reason) {
  size_t pl = strlen(path);
  char *r;
  if (!strncmp(reason, path, pl) && reason[pl] == ':' && reason[pl + 1] >= '0' && reason[pl + 1] <= '9')
    r = text_printf("line %s", reason + pl + 1);
  else
    r = strdup(!strncmp(reason, path, pl) && !strncmp(reason + pl, ": ", 2) ? reason + pl + 2 : reason);
  if (r) drop_locations(r);
  return r;
}

static df_status add_entry(cJSON *list, const char *path, const char *reason) {
  cJSON *e = cJSON_CreateObject();
  char *r = bare_reason(path, reason);
  OOM_IF_NULL(e && r);
  add_text(e, "path", path);
  add_text(e, "reason", r);
  free(r);
  cJSON_AddItemToArray(list, e);
  return DF_OK;
}

df_status manifest_reject(manifest *m, const char *path, const char *reason) {
  return add_entry(m->rejected, path, reason);
}

df_status manifest_skip(manifest *m, const char *path, const char *reason) {
  return add_entry(m->skipped, path, reason);
}

df_status manifest_kit(manifest *m, const char *folder, const char *path, const char *name,
                       const char *license, df_split split, int64_t files) {
  cJSON *k = cJSON_CreateObject();
  OOM_IF_NULL(k);
  add_text(k, "folder", folder);
  add_text(k, "path", path);
  add_text(k, "name", name);
  add_text(k, "license", license);
  cJSON_AddStringToObject(k, "split", df_split_name(split));
  cJSON_AddNumberToObject(k, "files", (double)files);
  cJSON_AddItemToArray(m->kits, k);
  return DF_OK;
}

df_status manifest_shard(manifest *m, const char *file, df_split split, int64_t examples) {
  cJSON *s = cJSON_CreateObject();
  OOM_IF_NULL(s);
  add_text(s, "file", file);
  cJSON_AddStringToObject(s, "split", df_split_name(split));
  cJSON_AddNumberToObject(s, "examples", (double)examples);
  cJSON_AddItemToArray(m->shards, s);
  return DF_OK;
}

df_status manifest_finish(manifest *m, const df_shard_info *info,
                          const int64_t counts[DF_N_SPLITS][DF_MAX_CLASSES + 1],
                          const int64_t groups[DF_N_SPLITS]) {
  cJSON *c = cJSON_AddObjectToObject(m->root, "counts");
  OOM_IF_NULL(c);
  int64_t total = 0;
  for (int s = 0; s < DF_N_SPLITS; s++) {
    cJSON *sp = cJSON_AddObjectToObject(c, df_split_name((df_split)s));
    cJSON *cls = sp ? cJSON_AddObjectToObject(sp, "classes") : NULL;
    OOM_IF_NULL(cls);
    int64_t n = 0;
    for (int k = 0; k <= info->n_classes; k++) {
      cJSON_AddNumberToObject(cls, k < info->n_classes ? info->class_names[k] : "unlabelled",
                              (double)counts[s][k]);
      n += counts[s][k];
    }
    cJSON_AddNumberToObject(sp, "examples", (double)n);
    cJSON_AddNumberToObject(sp, "groups", (double)groups[s]);
    total += n;
  }
  cJSON_AddNumberToObject(c, "examples", (double)total);
  cJSON_AddNumberToObject(c, "rejected", cJSON_GetArraySize(m->rejected));
  cJSON_AddNumberToObject(c, "skipped", cJSON_GetArraySize(m->skipped));
  return DF_OK;
}

df_status manifest_write(const manifest *m, const char *path) {
  char *text = cJSON_Print(m->root);
  OOM_IF_NULL(text);
  size_t n = strlen(text);
  text[n] = '\n'; /* replaces the terminator: write n + 1 bytes, not a C string */
  df_status st = df_write_file_atomic(path, text, n + 1);
  free(text);
  return st;
}

void manifest_free(manifest *m) {
  cJSON_Delete(m->root);
  memset(m, 0, sizeof *m);
}

void manifest_info_free(manifest_info *mi) {
  for (int i = 0; i < mi->n_shards; i++) free(mi->files[i]);
  free(mi->files);
  free(mi->split);
  free(mi->examples);
  memset(mi, 0, sizeof *mi);
}

static df_status parse_shards(const char *dir, const char *path, const cJSON *root, manifest_info *mi) {
  const cJSON *shards = cJSON_GetObjectItemCaseSensitive(root, "shards");
  if (!cJSON_IsArray(shards)) return DF_FAIL(DF_ERR_FORMAT, "%s: no \"shards\" list", path);
  int n = cJSON_GetArraySize(shards);
  mi->files = calloc((size_t)(n ? n : 1), sizeof(char *));
  mi->split = calloc((size_t)(n ? n : 1), sizeof(df_split));
  mi->examples = calloc((size_t)(n ? n : 1), sizeof(int64_t));
  OOM_IF_NULL(mi->files && mi->split && mi->examples);
  const cJSON *s;
  cJSON_ArrayForEach(s, shards) {
    const cJSON *file = cJSON_GetObjectItemCaseSensitive(s, "file");
    const cJSON *split = cJSON_GetObjectItemCaseSensitive(s, "split");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(s, "examples");
    if (!cJSON_IsString(file) || strchr(file->valuestring, '/') || !cJSON_IsString(split) ||
        !cJSON_IsNumber(ex))
      return DF_FAIL(DF_ERR_FORMAT, "%s: shard entry %d is malformed", path, mi->n_shards);
    df_split sp;
    if (df_parse_split(split->valuestring, &sp) != DF_OK)
      return DF_FAIL(DF_ERR_FORMAT, "%s: shard %s has split '%s'", path, file->valuestring,
                     split->valuestring);
    /* A shard listed twice would be read twice: its examples counted and trained on double. */
    for (int k = 0; k < mi->n_shards; k++)
      if (!strcmp(mi->files[k] + strlen(dir) + 1, file->valuestring))
        return DF_FAIL(DF_ERR_FORMAT, "%s: shard %s is listed twice", path, file->valuestring);
    mi->files[mi->n_shards] = text_printf("%s/%s", dir, file->valuestring);
    OOM_IF_NULL(mi->files[mi->n_shards]);
    mi->split[mi->n_shards] = sp;
    mi->examples[mi->n_shards] = (int64_t)ex->valuedouble;
    mi->n_shards++;
  }
  return DF_OK;
}

/* class_names, which the shards must repeat (a shard of another dataset put in would train
 * with other label names). */
static df_status parse_class_names(const char *path, const cJSON *root, manifest_info *mi) {
  const cJSON *names = cJSON_GetObjectItemCaseSensitive(root, "class_names");
  mi->n_classes = -1;
  if (!names) return DF_OK;
  if (!cJSON_IsArray(names) || cJSON_GetArraySize(names) > DF_MAX_CLASSES)
    return DF_FAIL(DF_ERR_FORMAT, "%s: \"class_names\" is not a list of at most %d names", path, DF_MAX_CLASSES);
  mi->n_classes = 0;
  const cJSON *name;
  cJSON_ArrayForEach(name, names) {
    if (!cJSON_IsString(name) || strlen(name->valuestring) >= DF_CLASS_NAME_LEN)
      return DF_FAIL(DF_ERR_FORMAT, "%s: class_names entry %d is not a name of at most %d characters", path,
                     mi->n_classes, DF_CLASS_NAME_LEN - 1);
    snprintf(mi->class_names[mi->n_classes++], DF_CLASS_NAME_LEN, "%s", name->valuestring);
  }
  return DF_OK;
}

df_status manifest_read(const char *dir, manifest_info *mi) {
  memset(mi, 0, sizeof *mi);
  char path[4200];
  snprintf(path, sizeof path, "%s/manifest.json", dir);
  char *text;
  size_t len;
  DF_TRY(df_read_file(path, &text, &len));
  cJSON *root = cJSON_ParseWithLength(text, len);
  free(text);
  if (!root) return DF_FAIL(DF_ERR_FORMAT, "%s: not valid JSON", path);
  df_status st = DF_OK;
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "format_version");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "drumforge-dataset"))
    st = DF_FAIL(DF_ERR_FORMAT, "%s: not a drumforge dataset manifest", path);
  else if (!cJSON_IsNumber(ver) || ver->valueint > DF_DATASET_FORMAT_VERSION)
    st = DF_FAIL(DF_ERR_FORMAT, "%s: format version newer than this drumforge reads (%d)", path,
                 DF_DATASET_FORMAT_VERSION);
  if (st == DF_OK) st = parse_class_names(path, root, mi);
  if (st == DF_OK) st = parse_shards(dir, path, root, mi);
  mi->rejected = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "rejected"));
  mi->skipped = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "skipped"));
  cJSON_Delete(root);
  if (st != DF_OK) manifest_info_free(mi);
  return st;
}
