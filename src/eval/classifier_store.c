/* The dataset's drum-class classifier (include/drumforge/eval.h): found in DATASET/classifier,
 * or trained there by the trainer (model type "classifier"), then measured on the test and
 * validation splits and described in classifier.json. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "drumforge/checkpoint.h"
#include "drumforge/eval.h"
#include "drumforge/fileio.h"
#include "eval/json_file.h"
#include "drumforge/metrics.h"
#include "eval/examples.h"
#include "models/classifier/classifier_model.h"
#include "train/run_dir.h"

#define RUN_BATCH 64

struct df_classifier {
  df_loaded_model model;
  df_classifier_card card;
  dc_shape_info shape;
  df_tensor batch;  /* [RUN_BATCH, 1, length] on the model's device */
  float *mono;      /* the same on the host */
};

static void say(const df_classifier_options *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void say(const df_classifier_options *o, const char *fmt, ...) {
  if (!o->log) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  o->log(o->ctx, line);
}

static void folder(const df_classifier_options *o, char *buf, size_t len) {
  if (o->dir) snprintf(buf, len, "%s", o->dir);
  else snprintf(buf, len, "%s/classifier", o->dataset);
}

static df_status manifest_crc(const char *dataset, uint32_t *crc) {
  char path[4200], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/manifest.json", dataset);
  DF_TRY(df_read_file(path, &text, &len));
  *crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)text, (uInt)len);
  free(text);
  return DF_OK;
}

/* ---------------------------------------------------------------- classifier.json */
static void add_confusion(cJSON *split, const int64_t *counts, int n) {
  cJSON *rows = cJSON_AddArrayToObject(split, "confusion");
  for (int i = 0; i < n; i++) {
    cJSON *row = cJSON_CreateArray();
    for (int j = 0; j < n; j++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)counts[i * n + j]));
    cJSON_AddItemToArray(rows, row);
  }
}

/* A split's confusion matrix as far as the card has it (older cards: none for validation). */
static void read_confusion(const cJSON *split, int n, int64_t *counts) {
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(split, "confusion");
  for (int i = 0; i < n && i < cJSON_GetArraySize(rows); i++) {
    const cJSON *row = cJSON_GetArrayItem(rows, i);
    for (int j = 0; j < n && j < cJSON_GetArraySize(row); j++)
      counts[i * n + j] = (int64_t)cJSON_GetArrayItem(row, j)->valuedouble;
  }
}

static df_status write_card(const char *path, const df_classifier_card *c) {
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "format", "drumforge-classifier");
  cJSON_AddStringToObject(root, "checkpoint", c->checkpoint);
  cJSON_AddNumberToObject(root, "step", (double)c->step);
  cJSON *names = cJSON_AddArrayToObject(root, "class_names");
  for (int i = 0; i < c->n_classes; i++) cJSON_AddItemToArray(names, cJSON_CreateString(c->class_names[i]));
  cJSON *test = cJSON_AddObjectToObject(root, "test");
  cJSON_AddNumberToObject(test, "accuracy", c->test_accuracy);
  cJSON_AddNumberToObject(test, "examples", (double)c->test_examples);
  add_confusion(test, c->confusion, c->n_classes);
  cJSON *val = cJSON_AddObjectToObject(root, "validation");
  cJSON_AddNumberToObject(val, "accuracy", c->validation_accuracy);
  cJSON_AddNumberToObject(val, "examples", (double)c->validation_examples);
  add_confusion(val, c->validation_confusion, c->n_classes);
  cJSON_AddNumberToObject(root, "manifest_crc32", (double)c->manifest_crc);
  return ev_write_json(path, root);
}

static double number(const cJSON *obj, const char *key, double def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(v) ? v->valuedouble : def;
}

/* DF_ERR_NOT_FOUND when there is no card; DF_ERR_FORMAT naming the file when it is broken. */
static df_status read_card(const char *path, df_classifier_card *c) {
  char *text;
  size_t len;
  memset(c, 0, sizeof *c);
  DF_TRY(df_read_file(path, &text, &len));
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
  const cJSON *ck = cJSON_GetObjectItemCaseSensitive(root, "checkpoint");
  const cJSON *names = cJSON_GetObjectItemCaseSensitive(root, "class_names");
  df_status s = DF_OK;
  if (!root || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "drumforge-classifier") || !cJSON_IsString(ck) ||
      !cJSON_IsArray(names) || cJSON_GetArraySize(names) > DF_MAX_CLASSES)
    s = DF_FAIL(DF_ERR_FORMAT, "%s: not a drumforge classifier card", path);
  if (!s) {
    snprintf(c->checkpoint, sizeof c->checkpoint, "%s", ck->valuestring);
    c->step = (int64_t)number(root, "step", 0);
    c->n_classes = cJSON_GetArraySize(names);
    for (int i = 0; i < c->n_classes; i++) {
      const cJSON *n = cJSON_GetArrayItem(names, i);
      snprintf(c->class_names[i], DF_CLASS_NAME_LEN, "%s", cJSON_IsString(n) ? n->valuestring : "?");
    }
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(root, "test");
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(root, "validation");
    c->test_accuracy = number(test, "accuracy", -1);
    c->test_examples = (int64_t)number(test, "examples", 0);
    c->validation_accuracy = number(val, "accuracy", -1);
    c->validation_examples = (int64_t)number(val, "examples", 0);
    read_confusion(test, c->n_classes, c->confusion);
    read_confusion(val, c->n_classes, c->validation_confusion);
    c->manifest_crc = (uint32_t)number(root, "manifest_crc32", 0);
  }
  cJSON_Delete(root);
  return s;
}

/* ---------------------------------------------------------------- running it */
int df_classifier_embed_dim(const df_classifier *c) { return c->shape.embed_dim; }
int df_classifier_sample_rate(const df_classifier *c) { return c->shape.sample_rate; }
const df_classifier_card *df_classifier_get_card(const df_classifier *c) { return &c->card; }

df_status df_classifier_run(df_classifier *c, const float *audio, int64_t n, int channels,
                            int64_t length, float *probs, float *embed) {
  const int64_t len = c->shape.length;
  const int classes = c->shape.classes, dim = c->shape.embed_dim;
  if (channels < 1 || length < 1)
    return DF_FAIL(DF_ERR_INVALID_ARG, "df_classifier_run: audio of %d channels x %lld samples", channels,
                   (long long)length);
  for (int64_t first = 0; first < n; first += RUN_BATCH) {
    const int64_t b = n - first < RUN_BATCH ? n - first : RUN_BATCH;
    for (int64_t i = 0; i < b; i++) {
      const float *x = audio + (first + i) * channels * length;
      float *y = c->mono + i * len;
      for (int64_t k = 0; k < len; k++) {
        float s = 0;
        for (int ch = 0; k < length && ch < channels; ch++) s += x[ch * length + k];
        y[k] = s / (float)channels;
      }
    }
    df_tensor view;
    DF_TRY(df_tensor_slice0(&c->batch, 0, b, &view));
    DF_TRY(df_tensor_from_host(&view, c->mono, b * len));
    DF_TRY(dc_classify(c->model.model, &view, probs ? probs + first * classes : NULL,
                       embed ? embed + first * dim : NULL));
  }
  return DF_OK;
}

/* Accuracy and the confusion matrix on a split's labelled examples. */
static df_status split_accuracy(df_classifier *c, const char *dataset, df_split split, double *accuracy,
                                int64_t *examples, int64_t *counts) {
  ev_examples ex;
  DF_TRY(ev_examples_read(dataset, split, 1, 0, 1, &ex));
  *accuracy = -1;
  *examples = ex.n;
  if (ex.n == 0) return DF_OK;
  const int classes = c->shape.classes;
  float *probs = malloc(sizeof(float) * (size_t)(ex.n * classes));
  int32_t *got = malloc(sizeof(int32_t) * (size_t)ex.n);
  df_status s = probs && got ? DF_OK : DF_FAIL(DF_ERR_OOM, "classifier accuracy");
  if (!s) s = df_classifier_run(c, ex.audio, ex.n, ex.info.channels, ex.info.length, probs, NULL);
  for (int64_t i = 0; !s && i < ex.n; i++) {
    int best = 0;
    for (int k = 1; k < classes; k++)
      if (probs[i * classes + k] > probs[i * classes + best]) best = k;
    got[i] = best;
  }
  if (!s) s = df_confusion(ex.labels, got, ex.n, classes, counts, accuracy);
  free(probs);
  free(got);
  ev_examples_free(&ex);
  return s;
}

static df_status load(df_classifier *c, const char *path, df_device dev) {
  DF_TRY(df_model_load(path, dev, &c->model));
  if (c->model.type != &df_classifier_model_type)
    return DF_FAIL(DF_ERR_FORMAT, "%s: a '%s' checkpoint, not a classifier", c->model.checkpoint, c->model.type->name);
  dc_shape(c->model.model, &c->shape);
  DF_TRY(df_tensor_new(&c->batch, dev, "classifier input", RUN_BATCH, 1, c->shape.length));
  c->mono = malloc(sizeof(float) * (size_t)(RUN_BATCH * c->shape.length));
  if (!c->mono) return DF_FAIL(DF_ERR_OOM, "classifier input");
  return DF_OK;
}

/* The card's classes must be its checkpoint's: the metrics size their buffers and name their
 * rows by the card (an edited or mismatched card wrote past them). */
static df_status card_matches(const df_classifier *c, const char *card_path) {
  int same = c->card.n_classes == c->shape.classes;
  for (int i = 0; same && i < c->card.n_classes; i++) same = !strcmp(c->card.class_names[i], c->model.class_names[i]);
  if (!same)
    return DF_FAIL(DF_ERR_FORMAT, "%s: its class_names (%d) are not those of %s (%d classes)", card_path,
                   c->card.n_classes, c->model.checkpoint, c->shape.classes);
  return DF_OK;
}

/* ---------------------------------------------------------------- training it */
typedef struct train_log {
  const df_classifier_options *o;
  time_t last;
} train_log;

static void on_line(void *ctx, const char *line) {
  train_log *t = ctx;
  say(t->o, "classifier: %s", line);
}

static void on_progress(void *ctx, const df_train_progress *p) {
  train_log *t = ctx;
  time_t now = time(NULL);
  if (now - t->last < 10 && p->step != p->max_steps) return;
  t->last = now;
  double acc = 0;
  for (int i = 0; i < p->metrics->n; i++)
    if (!strcmp(p->metrics->names[i], "accuracy")) acc = p->metrics->values[i];
  say(t->o, "classifier: step %lld/%lld, training batch accuracy %.2f", (long long)p->step,
      (long long)p->max_steps, acc);
}

/* Removes the checkpoints and files of an earlier classifier in dir. */
static df_status clear(const char *dir) {
  int64_t *steps;
  int n;
  DF_TRY(df_run_list_checkpoints(dir, &steps, &n));
  for (int i = 0; i < n; i++) {
    char path[4300];
    df_run_checkpoint_path(dir, steps[i], path, sizeof path);
    unlink(path);
  }
  free(steps);
  const char *files[] = {"classifier.json", "metrics.jsonl"};
  for (int i = 0; i < 2; i++) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    unlink(path);
  }
  return DF_OK;
}

static df_status train(const df_classifier_options *o, const char *dir, int fresh) {
  char config[4200], ov_len[64], ov_ch[32], ov_decay[64];
  if (o->config_path) snprintf(config, sizeof config, "%s", o->config_path);
  else snprintf(config, sizeof config, "%s/classifier.ini", df_data_dir());
  df_dataset_summary sum;
  DF_TRY(df_dataset_summarize(o->dataset, &sum));
  snprintf(ov_len, sizeof ov_len, "model.length=%lld", (long long)sum.info.length);
  snprintf(ov_ch, sizeof ov_ch, "model.channels=%d", sum.info.channels);
  /* A shorter or longer training (--classifier-steps) decays its learning rate over its own length. */
  snprintf(ov_decay, sizeof ov_decay, "optim.cosine_steps=%lld", (long long)o->steps);
  const char *overrides[3] = {ov_len, ov_ch, ov_decay};
  train_log tl = {o, 0};
  df_train_options t = {0};
  t.config_path = config;
  t.data_path = o->dataset;
  t.run_dir = dir;
  t.device = o->device;
  t.steps = o->steps;
  /* A fresh classifier gets the dataset's shape; an interrupted one resumes as it was. */
  t.resume = fresh ? DF_RESUME_NEVER : DF_RESUME_REQUIRE;
  t.overrides = fresh ? overrides : NULL;
  t.n_overrides = fresh ? (o->steps > 0 ? 3 : 2) : 0;
  t.log = on_line;
  t.progress = on_progress;
  t.ctx = &tl;
  df_train_result res;
  DF_TRY(df_train_run(&t, &res));
  /* A stopped training is no classifier: kept as checkpoints for the next open to resume, it
   * must not get a card (every later evaluation would use it as it is). */
  if (res.stopped_by_signal)
    return DF_FAIL(DF_ERR_INTERRUPTED, "%s: the classifier's training was stopped at step %lld; the next evaluation "
                   "resumes it", dir, (long long)res.step);
  return DF_OK;
}

/* A folder about to be cleared or trained in must not be another model's run folder (an
 * explicit --classifier-dir can name any folder). */
static df_status check_not_other_run(const char *dir) {
  char path[4300];
  snprintf(path, sizeof path, "%s/config.ini", dir);
  if (access(path, F_OK) != 0) return DF_OK;
  df_config *cfg;
  DF_TRY(df_config_load(path, &cfg));
  const char *type = NULL;
  df_status s = df_config_string(cfg, "model.type", "wavegan", &type);
  if (!s && strcmp(type, df_classifier_model_type.name))
    s = DF_FAIL(DF_ERR_INVALID_ARG, "%s: the run folder of a '%s' model, not a classifier's: give another folder", dir,
                type);
  df_config_free(cfg);
  return s;
}

/* The classifier the card in dir names, when it was made for this dataset: DF_OK with *out
 * loaded; DF_ERR_NOT_FOUND when one must be trained (*why says why, "" when there is no
 * card); another error otherwise. */
static df_status open_kept(const df_classifier_options *o, const char *dir, uint32_t crc, df_classifier **out,
                           char *why, size_t len) {
  char card_path[4300], ckpt[8600];
  snprintf(card_path, sizeof card_path, "%s/classifier.json", dir);
  why[0] = '\0';
  df_classifier *c = calloc(1, sizeof *c);
  if (!c) return DF_FAIL(DF_ERR_OOM, "classifier");
  df_status s = read_card(card_path, &c->card);
  if (s == DF_OK && c->card.manifest_crc != crc && o->dir) {
    /* A folder given explicitly may hold the classifier of another dataset: keep it. */
    s = DF_FAIL(DF_ERR_INVALID_ARG, "%s: its classifier was trained on another dataset than %s (or before it was "
                "prepared again); it is kept: --retrain-classifier replaces it", dir, o->dataset);
  } else if (s == DF_OK && c->card.manifest_crc != crc) {
    snprintf(why, len, "the classifier in %s was trained before %s/manifest.json changed: training a new one", dir,
             o->dataset);
    s = DF_ERR_NOT_FOUND;
  } else if (s == DF_OK) {
    snprintf(ckpt, sizeof ckpt, "%s/%s", dir, c->card.checkpoint);
    s = load(c, ckpt, o->device);
    if (s == DF_OK) s = card_matches(c, card_path);
    if (s == DF_OK) {
      *out = c;
      return DF_OK;
    }
    snprintf(why, len, "the classifier in %s cannot be used (%s): training a new one", dir, df_last_error());
    s = DF_ERR_NOT_FOUND;
  } else if (s != DF_ERR_NOT_FOUND) {
    snprintf(why, len, "%s", df_last_error());
    s = DF_ERR_NOT_FOUND;
  }
  df_classifier_close(c);
  return s;
}

/* Trains the classifier in dir (resuming an interrupted training when nothing says it is
 * stale), measures it and writes its card. The caller holds dir's lock. */
static df_status train_new(const df_classifier_options *o, const char *dir, uint32_t crc, df_classifier *c) {
  char card_path[4300];
  snprintf(card_path, sizeof card_path, "%s/classifier.json", dir);
  int64_t *steps;
  int n = 0;
  df_status s = df_run_list_checkpoints(dir, &steps, &n);
  if (!s) free(steps);
  int fresh = n == 0 || o->retrain || access(card_path, F_OK) == 0;
  if (!s) s = check_not_other_run(dir);
  if (!s && fresh) s = clear(dir);
  if (!s) {
    say(o, "%s the drum-class classifier of %s in %s (kept there for later evaluations)",
        fresh ? "training" : "resuming the training of", o->dataset, dir);
    s = train(o, dir, fresh);
  }
  if (!s) s = load(c, dir, o->device);
  if (s) return s;
  df_classifier_card *k = &c->card;
  const char *slash = strrchr(c->model.checkpoint, '/');
  snprintf(k->checkpoint, sizeof k->checkpoint, "checkpoints/%s", slash ? slash + 1 : c->model.checkpoint);
  k->step = c->model.step;
  k->n_classes = c->shape.classes;
  memcpy(k->class_names, c->model.class_names, sizeof k->class_names);
  k->manifest_crc = crc;
  DF_TRY(split_accuracy(c, o->dataset, DF_SPLIT_TEST, &k->test_accuracy, &k->test_examples, k->confusion));
  DF_TRY(split_accuracy(c, o->dataset, DF_SPLIT_VALIDATION, &k->validation_accuracy, &k->validation_examples,
                        k->validation_confusion));
  DF_TRY(write_card(card_path, k));
  say(o, "classifier: accuracy %.3f on %lld test examples, %.3f on %lld validation examples (%s)", k->test_accuracy,
      (long long)k->test_examples, k->validation_accuracy, (long long)k->validation_examples, card_path);
  return DF_OK;
}

df_status df_classifier_open(const df_classifier_options *o, df_classifier **out) {
  *out = NULL;
  char dir[4200], why[8800] = "";
  folder(o, dir, sizeof dir);
  struct stat sb;
  if (stat(dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: not a folder (the classifier's folder)", dir);
  uint32_t crc;
  DF_TRY(manifest_crc(o->dataset, &crc));
  df_status s = o->retrain ? DF_ERR_NOT_FOUND : open_kept(o, dir, crc, out, why, sizeof why);
  if (s != DF_ERR_NOT_FOUND) return s;
  /* Training clears the folder: one evaluation at a time trains there (the trainer's own lock
   * is taken only after the clearing). */
  const int made = stat(dir, &sb) != 0;
  DF_TRY(df_mkdirs(dir));
  int lock;
  s = df_lock_folder(dir, "another drumforge eval is training a classifier in this folder: wait for it to finish, "
                     "then evaluate again", &lock);
  /* Another evaluation may have finished one since the card was read. */
  if (!s && !o->retrain && !why[0]) s = open_kept(o, dir, crc, out, why, sizeof why);
  else if (!s) s = DF_ERR_NOT_FOUND;
  df_classifier *c = NULL;
  if (s == DF_ERR_NOT_FOUND) {
    if (why[0]) say(o, "%s", why);
    c = calloc(1, sizeof *c);
    s = c ? train_new(o, dir, crc, c) : DF_FAIL(DF_ERR_OOM, "classifier");
    if (!s) *out = c;
    else df_classifier_close(c);
  }
  if (lock >= 0) close(lock);
  if (s && made) rmdir(dir); /* only when nothing is left in it */
  return s;
}

void df_classifier_close(df_classifier *c) {
  if (!c) return;
  df_model_unload(&c->model);
  df_tensor_free(&c->batch);
  free(c->mono);
  free(c);
}
