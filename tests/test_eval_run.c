/* Evaluation of runs: the trainer's train.eval_every_checkpoint appends eval_* metrics at
 * every checkpoint and marks the one with the lowest Frechet distance (best.json and
 * checkpoints/best.safetensors, which survives pruning and loads as a model); `drumforge eval`
 * writes eval.json with the documented schema, for an unconditional and a conditional model;
 * a model trained on all the data is compared with the whole test split, one trained on kick
 * and snare only with the test kicks and snares; a bare checkpoint file is evaluated with
 * --checkpoint and --data (no run folder), and without --data it is refused; a resume from a
 * checkpoint whose evaluation a kill cut short evaluates it again; a silent model's
 * sounds are counted silent and its checkpoint is never marked best. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/gen_fixture.h"
#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/eval.h"
#include "drumforge/fileio.h"
#include "train/eval_hook.h"

static char scratch[4096], dataset[4200];

static void on_log(void *ctx, const char *line) { printf("     [log] %s\n", line); }

static cJSON *read_json(const char *path) {
  char *text;
  size_t len;
  if (df_read_file(path, &text, &len) != DF_OK) return NULL;
  cJSON *j = cJSON_Parse(text);
  free(text);
  return j;
}

static const cJSON *get(const cJSON *o, const char *key) { return cJSON_GetObjectItemCaseSensitive(o, key); }

static int is_num(const cJSON *o, const char *key, double lo, double hi) {
  const cJSON *v = get(o, key);
  return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi;
}

/* Trains run on the dataset from config (NULL: resumes it). */
static df_status train_run(const char *config, const char *run) {
  df_train_options o = {0};
  o.config_path = config;
  o.data_path = dataset;
  o.run_dir = run;
  o.device = DF_DEVICE_CPU;
  o.log = on_log;
  df_train_result res;
  return df_train_run(&o, &res);
}

static df_status train(const char *name, const char *const *replace, char *run, size_t len) {
  char config[4200];
  if (df_test_write_smoke_config(scratch, name, replace, config, sizeof config)) return DF_ERR_IO;
  snprintf(run, len, "%s/%s", scratch, name);
  return train_run(config, run);
}

static void trainer_marks_best(void) {
  static const char *const replace[] = {"train.steps=6", "train.checkpoint_every_steps=2", "train.keep_last=1",
                                        "train.preview_count=2", "train.eval_every_checkpoint=true",
                                        "train.eval_count=16", NULL};
  char run[4300];
  if (!df_expect_ok(train("evalrun", replace, run, sizeof run), "train with eval_every_checkpoint")) return;
  char path[4400], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/metrics.jsonl", run);
  int evals = 0;
  double best_fd = INFINITY;
  long long best_step = -1;
  if (df_expect_ok(df_read_file(path, &text, &len), "read metrics.jsonl")) {
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
      cJSON *j = cJSON_Parse(line);
      const cJSON *fd = get(j, "eval_fd");
      if (cJSON_IsNumber(fd)) {
        evals++;
        if (fd->valuedouble < best_fd) {
          best_fd = fd->valuedouble;
          best_step = (long long)get(j, "step")->valuedouble;
        }
      }
      cJSON_Delete(j);
    }
    free(text);
  }
  df_expect_true(evals == 3, "metrics.jsonl has an eval line at each of the 3 checkpoints");
  snprintf(path, sizeof path, "%s/best.json", run);
  cJSON *best = read_json(path);
  df_expect_true(best && is_num(best, "step", best_step, best_step) && is_num(best, "frechet_distance", best_fd * (1 - 1e-6), best_fd * (1 + 1e-6)),
                 "best.json names the checkpoint with the lowest Frechet distance");
  cJSON_Delete(best);
  snprintf(path, sizeof path, "%s/checkpoints/best.safetensors", run);
  df_loaded_model m;
  if (df_expect_ok(df_model_load(path, DF_DEVICE_CPU, &m), "best.safetensors loads as a model")) {
    df_expect_true(m.step == best_step, "best.safetensors holds the best step (kept although keep_last = 1)");
    df_model_unload(&m);
  }
}

/* A run killed during the evaluation of its newest checkpoint (its eval_* line not yet written)
 * evaluates that checkpoint when it resumes: the line comes back, the same as before. */
static void resume_completes_evaluation(const char *run) {
  char path[4400], *text;
  size_t len;
  snprintf(path, sizeof path, "%s/metrics.jsonl", run);
  if (!df_expect_ok(df_read_file(path, &text, &len), "read metrics.jsonl")) return;
  char *line = strstr(text, "{\"step\": 6, \"eval_fd\"");
  char *end = line ? strchr(line, '\n') : NULL;
  if (!df_expect_true(end != NULL, "metrics.jsonl has the eval line of step 6")) {
    free(text);
    return;
  }
  char *removed = strndup(line, (size_t)(end + 1 - line));
  memmove(line, end + 1, strlen(end + 1) + 1);
  df_status written = df_write_file_atomic(path, text, strlen(text));
  free(text);
  if (!df_expect_ok(written, "metrics.jsonl without it")) {
    free(removed);
    return;
  }
  if (df_expect_ok(train_run(NULL, run), "resume at the step limit") &&
      df_expect_ok(df_read_file(path, &text, &len), "read metrics.jsonl again")) {
    const char *back = strstr(text, removed);
    df_expect_true(back && !strstr(back + 1, removed), "the resume evaluates step 6 again: its line is back, once, the same");
    free(text);
  }
  free(removed);
}

/* Runs drumforge eval and checks eval.json. */
static void eval_json(const char *run, int conditional) {
  char cmd[9000], out[4400];
  snprintf(out, sizeof out, "%s/eval.json", run);
  snprintf(cmd, sizeof cmd, "'%s' eval --run '%s' --data '%s' --count 24 --device cpu > /dev/null", DF_DRUMFORGE_EXE,
           run, dataset);
  const char *what = conditional ? "drumforge eval (conditional model) exits 0" : "drumforge eval exits 0";
  if (!df_expect_true(system(cmd) == 0, what)) return;
  cJSON *j = read_json(out);
  if (!df_expect_true(j != NULL, "eval.json parses")) return;
  const cJSON *fmt = get(j, "format"), *names = get(j, "class_names");
  int classes = cJSON_GetArraySize(names);
  df_expect_true(cJSON_IsString(fmt) && !strcmp(fmt->valuestring, "drumforge-eval") && is_num(j, "format_version", 1, 1) &&
                     is_num(j, "step", 1, 1e9) && cJSON_IsString(get(j, "checkpoint")) && cJSON_IsString(get(j, "dataset")),
                 "eval.json: format, version, step, checkpoint, dataset");
  const cJSON *cl = get(j, "classifier"), *gen = get(j, "generated"), *real = get(j, "real");
  df_expect_true(is_num(cl, "test_accuracy", 0, 1) && is_num(cl, "step", 1, 1e9) && is_num(cl, "embedding_dim", 1, 4096),
                 "eval.json: classifier");
  df_expect_true(is_num(gen, "count", 24, 24) && is_num(gen, "silent", 0, 24) && is_num(gen, "inception_score", 1 - 1e-9, classes + 1e-9) &&
                     is_num(gen, "diversity", 0, 1e9) && cJSON_GetArraySize(get(gen, "predicted_classes")) == classes,
                 "eval.json: generated (IS within [1, classes])");
  df_expect_true(is_num(real, "count", 2, 1e9) && is_num(real, "inception_score", 1 - 1e-9, classes + 1e-9),
                 "eval.json: real");
  /* The real reference: every test sound, or those of the learned classes (kick, snare). */
  df_dataset_summary sum = {0};
  int64_t want = -1;
  if (df_expect_ok(df_dataset_summarize(dataset, &sum), "dataset summary")) {
    want = sum.examples[DF_SPLIT_TEST];
    if (conditional) {
      want = 0;
      for (int c = 0; c < sum.info.n_classes; c++)
        if (!strcmp(sum.info.class_names[c], "kick") || !strcmp(sum.info.class_names[c], "snare"))
          want += sum.counts[DF_SPLIT_TEST][c];
    }
  }
  const cJSON *real_classes = get(real, "classes");
  int names_ok = cJSON_GetArraySize(real_classes) == (conditional ? 2 : classes);
  if (conditional && names_ok)
    names_ok = !strcmp(cJSON_GetArrayItem(real_classes, 0)->valuestring, "kick") &&
               !strcmp(cJSON_GetArrayItem(real_classes, 1)->valuestring, "snare");
  printf("  real: %g test sounds (want %lld)\n", cJSON_IsNumber(get(real, "count")) ? get(real, "count")->valuedouble : -1,
         (long long)want);
  df_expect_true(want < sum.examples[DF_SPLIT_TEST] || !conditional, "the dataset has test sounds of other classes");
  df_expect_true(is_num(real, "count", (double)want, (double)want) &&
                     cJSON_IsBool(get(real, "learned_classes_only")) &&
                     cJSON_IsTrue(get(real, "learned_classes_only")) == conditional && names_ok,
                 conditional ? "eval.json: real = the test kicks and snares only (learned_classes_only, classes)"
                             : "eval.json: real = the whole test split (all classes)");
  df_expect_true(is_num(j, "frechet_distance", 0, 1e12) && is_num(j, "kid", -1e12, 1e12) && is_num(j, "kid_std", 0, 1e12) &&
                     is_num(j, "diversity_ratio", 0, 1e9),
                 "eval.json: Frechet distance, KID, diversity ratio");
  const cJSON *nov = get(j, "novelty");
  int64_t hist = 0;
  const cJSON *h;
  cJSON_ArrayForEach(h, get(nov, "histogram")) hist += (int64_t)h->valuedouble;
  df_expect_true(is_num(nov, "count", 0, 24) && is_num(nov, "near_copy_fraction", 0, 1) &&
                     is_num(nov, "near_copy_threshold", 0.1, 0.1) && is_num(nov, "median", 0, 1e12) &&
                     hist == (int64_t)get(nov, "count")->valuedouble &&
                     (int64_t)(get(nov, "count")->valuedouble + get(nov, "silent")->valuedouble) == 24,
                 "eval.json: novelty (histogram sums to the sounds that are not silent)");
  const cJSON *cond = get(j, "conditioning");
  if (conditional) {
    int64_t total = 0;
    const cJSON *row, *v;
    cJSON_ArrayForEach(row, get(cond, "confusion")) cJSON_ArrayForEach(v, row) total += (int64_t)v->valuedouble;
    df_expect_true(is_num(cond, "accuracy", 0, 1) && cJSON_GetArraySize(get(cond, "confusion")) == classes && total == 24,
                   "eval.json: conditioning accuracy and a classes x classes confusion matrix of every sound");
    /* The run trained on kick and snare only (data.classes): only those are asked for. */
    int asked_ok = 1, i = 0;
    cJSON_ArrayForEach(row, get(cond, "confusion")) {
      int64_t asked = 0;
      cJSON_ArrayForEach(v, row) asked += (int64_t)v->valuedouble;
      const char *name = cJSON_GetArrayItem(names, i++)->valuestring;
      int learned = !strcmp(name, "kick") || !strcmp(name, "snare");
      int listed = cJSON_GetObjectItemCaseSensitive(get(cond, "per_class_accuracy"), name) != NULL;
      if ((asked > 0) != learned || listed != learned) {
        printf("  class %s: asked for %lld times, listed in per_class_accuracy: %d\n", name, (long long)asked, listed);
        asked_ok = 0;
      }
    }
    df_expect_true(asked_ok, "eval.json: a model trained on kick and snare is asked for those only (12 each), and "
                             "only they have a per-class accuracy");
  } else {
    df_expect_true(cJSON_IsNull(cond), "eval.json: conditioning is null for an unconditional model");
  }
  cJSON_Delete(j);
}

/* A checkpoint file on its own: --checkpoint FILE --data DATASET, eval.json where --out says. */
static void bare_checkpoint(const char *run) {
  char cmd[9000], ckpt[4400], out[4400];
  snprintf(ckpt, sizeof ckpt, "%s/checkpoints/best.safetensors", run);
  snprintf(out, sizeof out, "%s/bare_eval.json", scratch);
  snprintf(cmd, sizeof cmd, "'%s' eval --checkpoint '%s' --data '%s' --out '%s' --count 8 --no-novelty --device cpu > /dev/null",
           DF_DRUMFORGE_EXE, ckpt, dataset, out);
  if (df_expect_true(system(cmd) == 0, "eval --checkpoint FILE --data DATASET (no run folder) exits 0")) {
    cJSON *j = read_json(out);
    df_expect_true(j && is_num(get(j, "generated"), "count", 8, 8) && is_num(j, "step", 1, 1e9),
                   "it writes eval.json where --out says");
    cJSON_Delete(j);
  }
  snprintf(cmd, sizeof cmd, "'%s' eval --checkpoint '%s' > /dev/null 2>&1", DF_DRUMFORGE_EXE, ckpt);
  int rc = system(cmd);
  df_expect_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "eval --checkpoint FILE without --data is a usage error (exit 2)");

  /* Failures are one line that starts with the file at fault. */
  char args[9000], want[4500], *err;
  snprintf(args, sizeof args, "eval --checkpoint '%s' --data '%s/nowhere' --device cpu", ckpt, scratch);
  snprintf(want, sizeof want, "drumforge eval: %s/nowhere: ", scratch);
  rc = df_test_drumforge(scratch, args, &err);
  df_expect_true(rc == 1 && !strncmp(err, want, strlen(want)) && strchr(err, '\n') == err + strlen(err) - 1,
                 "a missing dataset: one line naming the dataset first");
  if (rc != 1) printf("     exit %d: %s", rc, err);
  free(err);
  snprintf(args, sizeof args, "eval --checkpoint '%s' --data '%s' --classifier-dir '%s' --device cpu", ckpt, dataset, ckpt);
  rc = df_test_drumforge(scratch, args, &err);
  df_expect_true(rc == 1 && strstr(err, "not a folder") && strchr(err, '\n') == err + strlen(err) - 1,
                 "--classifier-dir naming a file: one line saying it is not a folder");
  free(err);
  char nobest[4400], path[4500];
  snprintf(nobest, sizeof nobest, "%s/run-without-best", scratch);
  snprintf(path, sizeof path, "%s/checkpoints", nobest);
  df_mkdirs(path);
  snprintf(args, sizeof args, "eval --run '%s' --checkpoint best --data '%s' --device cpu", nobest, dataset);
  rc = df_test_drumforge(scratch, args, &err);
  df_expect_true(rc == 1 && strstr(err, "no best checkpoint yet"), "--checkpoint best before any evaluation says so");
  free(err);
  snprintf(args, sizeof args, "eval --run '%s/no-such-run' --device cpu", scratch);
  snprintf(want, sizeof want, "drumforge eval: %s/no-such-run: no such run folder\n", scratch);
  rc = df_test_drumforge(scratch, args, &err);
  df_expect_true(rc == 1 && !strcmp(err, want), "a missing run folder is named as such (not 'names no dataset')");
  free(err);
}

/* A dataset without a test split cannot be evaluated: said at once, before a classifier is
 * trained for it (that took a minute and then failed). */
static void no_test_split(const char *run) {
  char args[9000], notest[4300], path[4400], *err;
  snprintf(notest, sizeof notest, "%s/notest", scratch);
  snprintf(args, sizeof args, "prepare --input '%s/audio' --out '%s' --split 90,10,0", scratch, notest);
  int rc = df_test_drumforge(scratch, args, &err);
  free(err);
  if (!df_expect_true(rc == 0, "prepare a dataset without a test split")) return;
  snprintf(args, sizeof args, "eval --checkpoint '%s/checkpoints/best.safetensors' --data '%s' --device cpu", run, notest);
  rc = df_test_drumforge(scratch, args, &err);
  df_expect_true(rc == 1 && strstr(err, "test split has 0 examples") && strchr(err, '\n') == err + strlen(err) - 1,
                 "eval on a dataset without a test split: one line saying so");
  if (rc != 1) printf("     exit %d: %s", rc, err);
  const char *first = strstr(err, notest);
  df_expect_true(first && !strstr(first + 1, notest), "... naming the dataset once (was 'DATASET: DATASET: ...')");
  free(err);
  snprintf(path, sizeof path, "%s/classifier", notest);
  df_expect_true(access(path, F_OK) != 0, "... before a classifier is trained for it");
  /* A model of another sample rate than the dataset's: the classifier would hear its sounds
   * at the wrong speed; refused naming both rates, before any work. */
  char other_rate[4300];
  snprintf(other_rate, sizeof other_rate, "%s/at22k", scratch);
  snprintf(args, sizeof args, "prepare --input '%s/audio' --out '%s' --rate 22050", scratch, other_rate);
  rc = df_test_drumforge(scratch, args, &err);
  free(err);
  if (df_expect_true(rc == 0, "prepare a dataset at 22050 Hz")) {
    snprintf(args, sizeof args, "eval --checkpoint '%s/checkpoints/best.safetensors' --data '%s' --device cpu", run,
             other_rate);
    rc = df_test_drumforge(scratch, args, &err);
    df_expect_true(rc == 1 && strstr(err, "22050 Hz") && strstr(err, "16000 Hz"),
                   "eval of a 16 kHz model against a 22.05 kHz dataset is refused naming both rates");
    if (rc != 1) printf("     exit %d: %s", rc, err);
    free(err);
    snprintf(path, sizeof path, "%s/classifier", other_rate);
    df_expect_true(access(path, F_OK) != 0, "... before a classifier is trained for it");
  }
  snprintf(path, sizeof path, "%s/classifier", notest);
  df_eval_hook *h = NULL;
  df_expect_status(df_eval_hook_open(run, notest, DF_DEVICE_CPU, 4, 1, NULL, NULL, &h), DF_ERR_INVALID_ARG,
                   "train.eval_every_checkpoint on such a dataset fails at setup");
  df_expect_true(access(path, F_OK) != 0, "... before a classifier is trained for it too");
  df_eval_hook_close(h);
}

/* A dataset of stereo sounds for a mono model: the classifier store's errors name the dataset
 * once (were "DATASET: DATASET/classifier: ..."), and novelty, which compares sounds of one
 * shape, is not measured: the summary says why (it said nothing). */
static void other_shape(const char *run) {
  char args[9000], stereo[4300], path[4400], *err;
  snprintf(stereo, sizeof stereo, "%s/stereo", scratch);
  snprintf(args, sizeof args, "prepare --input '%s/audio' --out '%s' --channels 2", scratch, stereo);
  int rc = df_test_drumforge(scratch, args, &err);
  free(err);
  if (!df_expect_true(rc == 0, "prepare a stereo dataset")) return;
  snprintf(path, sizeof path, "%s/classifier", stereo);
  df_write_file_atomic(path, "x", 1);
  snprintf(args, sizeof args, "eval --checkpoint '%s/checkpoints/best.safetensors' --data '%s' --count 8 "
           "--classifier-steps 5 --device cpu", run, stereo);
  rc = df_test_drumforge(scratch, args, &err);
  const char *first = strstr(err, stereo);
  df_expect_true(rc == 1 && strstr(err, "classifier: not a folder") && first && !strstr(first + 1, stereo),
                 "a file where the classifier's folder goes: one line naming the dataset once");
  if (rc != 1 || !first || strstr(first + 1, stereo)) printf("     exit %d: %s", rc, err);
  free(err);
  unlink(path);
  rc = df_test_drumforge(scratch, args, &err);
  if (rc) printf("     exit %d: %s", rc, err);
  free(err);
  char *out = NULL;
  size_t len;
  snprintf(path, sizeof path, "%s/cmd.stdout", scratch);
  if (df_expect_true(rc == 0, "eval of a mono model on a stereo dataset") && !df_read_file(path, &out, &len))
    df_expect_true(strstr(out, "novelty                     not measured: the generated sounds are 1 channel(s)") != NULL,
                   "the summary says why novelty is not measured");
  free(out);
}

/* A resumed run whose best.json does not parse stops naming it: taking it for "no best yet"
 * would mark a worse checkpoint best. */
static void corrupt_best_json(void) {
  char run[4300], path[4400];
  snprintf(run, sizeof run, "%s/garbled-best", scratch);
  df_mkdirs(run);
  snprintf(path, sizeof path, "%s/best.json", run);
  df_write_file_atomic(path, "{\"step\": 4, \"frechet", 18);
  df_eval_hook *h = NULL;
  df_expect_status(df_eval_hook_open(run, dataset, DF_DEVICE_CPU, 4, 1, NULL, NULL, &h), DF_ERR_FORMAT,
                   "a best.json that does not parse fails the evaluation hook's setup");
  df_expect_true(strstr(df_last_error(), path) != NULL, "... naming the file");
  df_eval_hook_close(h);
}

/* A model whose learned classes have fewer than 2 test sounds cannot be measured: a clear
 * error naming the dataset, not metrics from 0 or 1 sounds. */
/* Loads the run's model and opens the dataset's classifier and an evaluator of count sounds
 * (no novelty); 0 (a failure recorded) when one cannot be opened; the caller closes all three. */
static int open_evaluation(const char *run, int count, df_loaded_model *m, df_classifier **c, df_evaluator **ev) {
  df_classifier_options co = {0};
  co.dataset = dataset;
  co.device = DF_DEVICE_CPU;
  df_eval_options eo = {0};
  eo.dataset = dataset;
  eo.device = DF_DEVICE_CPU;
  eo.count = count;
  eo.seed = 1;
  *c = NULL;
  *ev = NULL;
  if (!df_expect_ok(df_model_load(run, DF_DEVICE_CPU, m), "load the conditional run")) return 0;
  if (df_expect_ok(df_classifier_open(&co, c), "classifier")) eo.classifier = *c;
  return *c && df_expect_ok(df_evaluator_open(&eo, ev), "evaluator");
}

static void too_few_real_sounds(const char *run) {
  df_classifier *c;
  df_evaluator *ev;
  df_loaded_model m;
  if (open_evaluation(run, 4, &m, &c, &ev)) {
    /* The synthetic dataset has no test toms. */
    const char *names[] = {"tom"};
    const int64_t examples[] = {5};
    df_training_classes trained = {1, names, examples};
    df_eval_result r;
    df_expect_status(df_evaluator_run(ev, m.type, m.model, &trained, m.step, &r), DF_ERR_INVALID_ARG,
                     "a model of a class without test sounds is refused");
    df_expect_true(strstr(df_last_error(), "sounds of the classes the model learned") != NULL,
                   "... saying the test split lacks its classes' sounds");
  }
  df_evaluator_close(ev);
  df_classifier_close(c);
  df_model_unload(&m);
}

/* Conditioning accuracy matches the model's classes to the classifier's by name: a model of
 * another dataset numbers its classes otherwise (they were compared by position). */
static void conditioning_by_name(const char *run) {
  df_classifier *c;
  df_evaluator *ev;
  df_loaded_model m;
  static df_eval_result same, renamed;
  if (open_evaluation(run, 8, &m, &c, &ev)) {
    const int kick = 0, n = df_classifier_get_card(c)->n_classes;
    df_expect_true(!strcmp(m.class_names[kick], "kick") && !strcmp(df_classifier_get_card(c)->class_names[kick], "kick"),
                   "class 0 is kick for the model and the classifier");
    df_training_classes trained = {m.n_classes, m.class_ptrs, df_model_class_examples(&m)};
    df_expect_ok(df_evaluator_run(ev, m.type, m.model, &trained, m.step, &same), "evaluate with the model's names");
    /* The same model, its kicks called cowbells: a class this classifier does not know. */
    const char *names[DF_MAX_CLASSES];
    for (int i = 0; i < m.n_classes; i++) names[i] = i == kick ? "cowbell" : m.class_names[i];
    df_training_classes other = {m.n_classes, names, df_model_class_examples(&m)};
    df_expect_ok(df_evaluator_run(ev, m.type, m.model, &other, m.step, &renamed), "evaluate with other names");
    int64_t kick_same = 0, kick_renamed = 0, all_renamed = 0;
    for (int j = 0; j < n; j++) {
      kick_same += same.confusion[kick * n + j];
      kick_renamed += renamed.confusion[kick * n + j];
      for (int i = 0; i < n; i++) all_renamed += renamed.confusion[i * n + j];
    }
    df_expect_true(same.conditional && kick_same == 4, "the kicks asked for are scored as kicks");
    df_expect_true(renamed.conditional && kick_renamed == 0 && all_renamed == 4,
                   "sounds of a class the classifier lacks are not scored as its class of that number");
  }
  df_evaluator_close(ev);
  df_classifier_close(c);
  df_model_unload(&m);
}

/* A model that is all silence: its decode is the run model's, turned to zeros. */
static const df_model_type *loud_type;
static df_status silent_decode(void *model, const df_tensor *z, const int32_t *labels, df_tensor *audio) {
  DF_TRY(loud_type->decode(model, z, labels, audio));
  memset(audio->data, 0, sizeof(float) * (size_t)df_tensor_numel(audio));
  return DF_OK;
}

static df_status nan_decode(void *model, const df_tensor *z, const int32_t *labels, df_tensor *audio) {
  DF_TRY(loud_type->decode(model, z, labels, audio));
  ((float *)audio->data)[df_tensor_numel(audio) - 1] = NAN;
  return DF_OK;
}

/* Silence: counted in eval.json (generated.silent) and never the best checkpoint. Its
 * embedding lay closer to the real sounds than an untrained model's noise, so the first
 * checkpoint of a silent model was marked best. */
static void silent_model(const char *run) {
  df_classifier *c;
  df_evaluator *ev;
  df_loaded_model m;
  if (open_evaluation(run, 8, &m, &c, &ev)) {
    df_model_type silent = *m.type;
    loud_type = m.type;
    silent.decode = silent_decode;
    static df_eval_result r;
    if (df_expect_ok(df_evaluator_run(ev, &silent, m.model, NULL, m.step, &r), "evaluate a silent model"))
      df_expect_true(r.silent == 8 && isfinite(r.fd), "its 8 sounds are counted silent (the distance is finite)");
    /* A NaN in a sound failed as 'dsyevd did not converge' on the embeddings' covariance. */
    silent.decode = nan_decode;
    df_expect_status(df_evaluator_run(ev, &silent, m.model, NULL, m.step, &r), DF_ERR_NUMERIC,
                     "a model that generates a NaN is refused");
    df_expect_true(strstr(df_last_error(), "not finite") != NULL, "... saying its sounds are not finite");
    silent.decode = silent_decode;
    char hook_run[4300], path[4400];
    snprintf(hook_run, sizeof hook_run, "%s/silent-run", scratch);
    snprintf(path, sizeof path, "%s/checkpoints", hook_run);
    df_mkdirs(path);
    df_eval_hook *h = NULL;
    if (df_expect_ok(df_eval_hook_open(hook_run, dataset, DF_DEVICE_CPU, 8, 1, on_log, NULL, &h), "hook")) {
      df_expect_ok(df_eval_hook_checkpoint(h, &silent, m.model, NULL, m.step, m.checkpoint), "evaluate at a checkpoint");
      snprintf(path, sizeof path, "%s/best.json", hook_run);
      df_expect_true(access(path, F_OK) != 0, "a silent model's checkpoint is not marked best");
    }
    df_eval_hook_close(h);
  }
  df_evaluator_close(ev);
  df_classifier_close(c);
  df_model_unload(&m);
}

int main(void) {
  df_test_begin("test_eval_run");
  df_test_scratch_dir("eval_run", scratch, sizeof scratch);
  if (df_test_make_dataset(scratch, 40, 1.0, dataset, sizeof dataset)) {
    df_test_fail("synthetic dataset", "could not be built");
    return df_test_finish();
  }
  /* A short classifier first, so that the runs below find one kept with the dataset. */
  df_classifier_options co = {0};
  co.dataset = dataset;
  co.device = DF_DEVICE_CPU;
  co.steps = 30;
  df_classifier *c;
  if (!df_expect_ok(df_classifier_open(&co, &c), "classifier")) return df_test_finish();
  df_classifier_close(c);
  trainer_marks_best();
  char run[4300];
  snprintf(run, sizeof run, "%s/evalrun", scratch);
  resume_completes_evaluation(run);
  eval_json(run, 0);
  bare_checkpoint(run);
  no_test_split(run);
  other_shape(run);
  corrupt_best_json();
  silent_model(run);
  static const char *const cond[] = {"train.steps=2", "train.checkpoint_every_steps=2", "train.preview_count=0",
                                     "model.conditional=true",
                                     "data.classes=kick,snare", NULL};
  if (df_expect_ok(train("condrun", cond, run, sizeof run), "train a conditional model")) {
    eval_json(run, 1);
    too_few_real_sounds(run);
    conditioning_by_name(run);
  }
  return df_test_finish();
}
