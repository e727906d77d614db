/* The training loop (include/drumforge/train.h): run folder, config, model, loader,
 * checkpoints on a schedule and on SIGTERM/SIGINT, exact resume, NaN handling, metrics,
 * previews. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drumforge/audio.h"
#include "drumforge/checkpoint.h"
#include "drumforge/dataset.h"
#include "drumforge/fileio.h"
#include "drumforge/runtime.h"
#include "drumforge/train.h"
#include "models/preview.h"
#include "train/eval_hook.h"
#include "train/run_dir.h"
#include "train/signals.h"
#include "train/tensorboard.h"
#include <dirent.h>

/* The [train] and [data] settings. */
typedef struct train_settings {
  int64_t steps;
  long batch;
  uint64_t seed;
  long ckpt_steps;
  double ckpt_minutes;
  long keep_last;
  long milestone_every;
  long log_every;
  long preview_count;
  int rollback_on_nan;
  int tensorboard;
  int eval_every_checkpoint;
  long eval_count;
  const char *data_path;
  const char *classes;
} train_settings;

static df_status read_settings(df_config *cfg, train_settings *t) {
  long v;
  DF_TRY(df_config_int(cfg, "train.steps", 200000, 1, 1000000000L, &v));
  t->steps = v;
  DF_TRY(df_config_int(cfg, "train.batch", 64, 1, 65536, &t->batch));
  DF_TRY(df_config_int(cfg, "train.seed", 0, 0, 2147483647L, &v));
  t->seed = (uint64_t)v;
  DF_TRY(df_config_int(cfg, "train.checkpoint_every_steps", 1000, 1, 1000000000L, &t->ckpt_steps));
  DF_TRY(df_config_float(cfg, "train.checkpoint_every_minutes", 5.0, 0.01, 1e6, &t->ckpt_minutes));
  DF_TRY(df_config_int(cfg, "train.keep_last", 5, 1, 1000000, &t->keep_last));
  DF_TRY(df_config_int(cfg, "train.milestone_every", 10000, 0, 1000000000L, &t->milestone_every));
  DF_TRY(df_config_int(cfg, "train.log_every", 10, 1, 1000000, &t->log_every));
  DF_TRY(df_config_int(cfg, "train.preview_count", 8, 0, 256, &t->preview_count));
  static const char *const nan_modes[] = {"stop", "rollback", NULL};
  int mode;
  DF_TRY(df_config_choice(cfg, "train.on_nan", "stop", nan_modes, &mode));
  t->rollback_on_nan = mode == 1;
  DF_TRY(df_config_bool(cfg, "train.tensorboard", 0, &t->tensorboard));
  DF_TRY(df_config_bool(cfg, "train.eval_every_checkpoint", 0, &t->eval_every_checkpoint));
  DF_TRY(df_config_int(cfg, "train.eval_count", 128, 2, 100000, &t->eval_count));
  DF_TRY(df_config_string(cfg, "data.path", "datasets/default", &t->data_path));
  DF_TRY(df_config_string(cfg, "data.classes", "", &t->classes));
  return DF_OK;
}

typedef struct trainer {
  const df_train_options *opt;
  train_settings set;
  df_config *cfg;
  char *config_text;
  const df_model_type *type;
  void *model;
  df_param_set *sets[8];
  int n_sets;
  df_loader *loader;
  df_eval_hook *eval; /* train.eval_every_checkpoint */
  df_train_data data;
  const char *class_ptrs[DF_MAX_CLASSES];
  int64_t class_counts[DF_MAX_CLASSES];
  df_shard_info info;
  df_rng rng;
  int64_t step;
  double elapsed_before; /* seconds in earlier sessions */
  double session_start;
  char last_ckpt[4200];
  df_tb_writer *tb; /* NULL unless train.tensorboard */
  int64_t *unusable; /* steps of the corrupt checkpoints the resume skipped */
  int n_unusable;
  int created_run; /* this session created the run folder */
  int found_empty;  /* ... or found it empty (e.g. made by the user beforehand) */
  int lock_fd;     /* RUN/.lock, flock'ed for the run (-1: none) */
  int step_evaluated; /* metrics.jsonl has the eval_* line of the current step */
} trainer;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void notice(const trainer *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void notice(const trainer *t, const char *fmt, ...) {
  if (!t->opt->log) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  t->opt->log(t->opt->ctx, line);
}

static df_status next_batch(void *ctx, df_tensor *x, int32_t *labels) {
  trainer *t = ctx;
  df_tensor lab = df_tensor_wrap(labels, DF_DEVICE_CPU, DF_I32, 1, &x->shape[0], "labels");
  return df_loader_next_tensor(t->loader, x, &lab, NULL);
}

/* ---------------------------------------------------------------- TensorBoard */
/* Adds every preview WAV of dir to the event file as audio ("preview/<file name>"). */
static df_status previews_to_tensorboard(trainer *t, const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp) return DF_FAIL(DF_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
  struct dirent *e;
  df_status s = DF_OK;
  while (!s && (e = readdir(dp))) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".wav")) continue;
    char path[4600], tag[300];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    snprintf(tag, sizeof tag, "preview/%.*s", (int)(n - 4), e->d_name);
    df_audio_file_info info;
    char *wav;
    size_t len;
    s = df_audio_probe(path, &info);
    if (!s) s = df_read_file(path, &wav, &len);
    if (!s) {
      s = df_tb_audio(t->tb, t->step, tag, wav, len, (float)info.rate, info.channels, info.frames);
      free(wav);
    }
  }
  closedir(dp);
  return s ? s : df_tb_flush(t->tb);
}

static df_status metrics_to_tensorboard(trainer *t, const df_metrics *m, double rate) {
  for (int i = 0; i < m->n; i++) DF_TRY(df_tb_scalar(t->tb, t->step, m->names[i], (float)m->values[i]));
  DF_TRY(df_tb_scalar(t->tb, t->step, "steps_per_sec", (float)rate));
  return df_tb_flush(t->tb);
}

/* ---------------------------------------------------------------- checkpoints */
/* The step's previews (and their TensorBoard audio), written before its checkpoint. */
static df_status write_previews(trainer *t) {
  if (t->set.preview_count <= 0 || !t->type->preview) return DF_OK;
  char dir[4300];
  snprintf(dir, sizeof dir, "%s/previews/step-%09lld", t->opt->run_dir, (long long)t->step);
  /* Fixed latents: the same seed at every checkpoint, apart from the training stream. */
  DF_TRY(t->type->preview(t->model, dir, t->set.seed ^ 0x9e3779b97f4a7c15ULL, (int)t->set.preview_count,
                          t->info.rate, t->info.n_classes ? t->class_ptrs : NULL, t->class_counts));
  return t->tb ? previews_to_tensorboard(t, dir) : DF_OK;
}

/* *nonfinite = 1 when the weights or moments hold a NaN or Inf (nothing is written then).
 * The checkpoint file is the step's commit: what belongs to its step (previews, their
 * TensorBoard audio) is written before it, so a process killed in between resumes from the
 * checkpoint before and writes them again, and a checkpoint never lacks them. Evaluation
 * needs the file (best.safetensors links to it) and comes after; a resume completes one that
 * a kill cut short (complete_evaluation). */
static df_status save_checkpoint(trainer *t, int *nonfinite) {
  *nonfinite = 0;
  df_checkpoint_state st;
  memset(&st, 0, sizeof st);
  snprintf(st.model_type, sizeof st.model_type, "%s", t->type->name);
  st.step = t->step;
  st.rng = t->rng;
  df_loader_get_state(t->loader, &st.loader);
  st.elapsed_seconds = t->elapsed_before + (now() - t->session_start);
  st.sample_rate = t->info.rate;
  st.n_classes = t->info.n_classes;
  memcpy(st.class_names, t->info.class_names, sizeof st.class_names);
  st.has_class_examples = 1;
  memcpy(st.class_examples, t->class_counts, sizeof st.class_examples);
  st.config_text = t->config_text;
  snprintf(st.compute, sizeof st.compute, "%s", df_device_description(t->opt->device));
  char path[4200];
  df_run_checkpoint_path(t->opt->run_dir, t->step, path, sizeof path);
  /* Loading refuses a NaN or Inf anywhere, so such a file must not be written to look like a
   * good checkpoint: finite losses do not mean finite weights (Adam's second moment overflows
   * first, from gradients beyond 1.8e19). */
  df_status s = df_checkpoint_check_finite(path, t->sets, t->n_sets, 1);
  *nonfinite = s == DF_ERR_NUMERIC;
  if (s) return s;
  DF_TRY(write_previews(t));
  DF_TRY(df_checkpoint_save(path, t->sets, t->n_sets, &st, 1));
  snprintf(t->last_ckpt, sizeof t->last_ckpt, "%s", path);
  DF_TRY(df_run_prune_checkpoints(t->opt->run_dir, (int)t->set.keep_last, t->set.milestone_every, t->step));
  if (t->eval) {
    df_training_classes trained = {t->info.n_classes, t->class_ptrs, t->class_counts};
    DF_TRY(df_eval_hook_checkpoint(t->eval, t->type, t->model, &trained, t->step, path));
  }
  return DF_OK;
}

/* Loads a checkpoint into the model, the RNG, the loader and the step. */
static df_status restore(trainer *t, const char *path) {
  df_checkpoint_state st;
  DF_TRY(df_checkpoint_load(path, t->sets, t->n_sets, 1, &st));
  df_status s = df_loader_set_state(t->loader, &st.loader);
  if (s == DF_OK) {
    t->rng = st.rng;
    t->step = st.step;
    t->elapsed_before = st.elapsed_seconds;
    snprintf(t->last_ckpt, sizeof t->last_ckpt, "%s", path);
    const char *here = df_device_description(t->opt->device);
    if (st.compute[0] && strcmp(st.compute, here))
      notice(t, "%s was written on %s and this run uses %s: it continues correctly, but may not "
             "match an uninterrupted run bit for bit", path, st.compute, here);
  }
  df_checkpoint_state_free(&st);
  return s;
}

/* A checkpoint resume skips is reported; a corrupt one (not another format version) is noted
 * in t->unusable to be set aside later (not noted when memory runs out: it then stays). */
static void skipped_checkpoint(void *ctx, int64_t step, df_status why) {
  trainer *t = ctx;
  notice(t, "skipping unusable checkpoint: %s", df_last_error());
  if (why != DF_ERR_FORMAT) return;
  int64_t *grown = realloc(t->unusable, sizeof *grown * (size_t)(t->n_unusable + 1));
  if (!grown) return;
  t->unusable = grown;
  t->unusable[t->n_unusable++] = step;
}

/* The newest checkpoint that verifies; *state gets its state (config text included).
 * DF_ERR_NOT_FOUND when there is none. */
static df_status newest_valid(trainer *t, char *path, size_t len, df_checkpoint_state *state) {
  df_status s = df_run_newest_valid(t->opt->run_dir, path, len, state, skipped_checkpoint, t);
  if (s == DF_ERR_NOT_FOUND && t->n_unusable > 0)
    return DF_FAIL(s, "%s: no valid checkpoint to resume from (its %d checkpoint(s) are unreadable, as listed above): "
                   "move them out of checkpoints/ to start this run again, or use another --run", t->opt->run_dir,
                   t->n_unusable);
  if (s == DF_ERR_NOT_FOUND) return DF_FAIL(s, "%s: no valid checkpoint to resume from", t->opt->run_dir);
  return s;
}

/* Once the resume has succeeded, the corrupt checkpoints it skipped are renamed aside: a later
 * resume does not trip over them again, and training past their steps does not replace
 * their bytes. */
static void set_aside_unusable(trainer *t) {
  for (int i = 0; i < t->n_unusable; i++) {
    char path[4200], aside[4300];
    df_run_checkpoint_path(t->opt->run_dir, t->unusable[i], path, sizeof path);
    if (df_run_set_aside_checkpoint(path, aside, sizeof aside) == DF_OK)
      notice(t, "renamed the unusable checkpoint to %s (kept for inspection)", aside);
    else
      notice(t, "%s", df_last_error());
  }
}

/* ---------------------------------------------------------------- metrics.jsonl */
static df_status append_metrics(trainer *t, const df_metrics *m, double rate) {
  char path[4200];
  snprintf(path, sizeof path, "%s/metrics.jsonl", t->opt->run_dir);
  FILE *fp = fopen(path, "a");
  if (!fp) return DF_FAIL(DF_ERR_IO, "%s: cannot append: %s", path, strerror(errno));
  fprintf(fp, "{\"step\": %lld, \"time\": %.3f, \"elapsed\": %.3f, \"steps_per_sec\": %.4g",
          (long long)t->step, (double)time(NULL), t->elapsed_before + (now() - t->session_start), rate);
  for (int i = 0; i < m->n; i++)
    fprintf(fp, isfinite(m->values[i]) ? ", \"%s\": %.7g" : ", \"%s\": \"%g\"", m->names[i], m->values[i]);
  fprintf(fp, "}\n");
  int bad = ferror(fp);
  if (fclose(fp) != 0 || bad) return DF_FAIL(DF_ERR_IO, "%s: write failed: %s", path, strerror(errno));
  return DF_OK;
}

/* Drops metric lines past the current step (and a partial last line), so the file matches
 * the run that continues; notes whether the current step's evaluation line is there. */
static df_status trim_metrics(trainer *t) {
  char path[4200];
  snprintf(path, sizeof path, "%s/metrics.jsonl", t->opt->run_dir);
  char *text;
  size_t len;
  df_status s = df_read_file(path, &text, &len);
  if (s == DF_ERR_NOT_FOUND) return DF_OK;
  DF_TRY(s);
  char *out = malloc(len + 1);
  size_t used = 0;
  t->step_evaluated = 0;
  if (!out) {
    free(text);
    return DF_FAIL(DF_ERR_OOM, "metrics");
  }
  for (char *line = text; *line;) {
    char *end = strchr(line, '\n');
    long long step;
    /* A partial last line (no newline) is dropped too. */
    if (end && sscanf(line, "{\"step\": %lld", &step) == 1 && step <= t->step) {
      if (step == t->step) {
        const char *eval = strstr(line, "\"eval_fd\"");
        if (eval && eval < end) t->step_evaluated = 1;
      }
      memcpy(out + used, line, (size_t)(end - line + 1));
      used += (size_t)(end - line + 1);
    }
    if (!end) break;
    line = end + 1;
  }
  s = used < len ? df_write_file_atomic(path, out, used) : DF_OK;
  free(out);
  free(text);
  return s;
}

/* Previews of steps past the current one that have no checkpoint (a session killed between
 * a step's previews and its checkpoint, or whose checkpoint write failed) go: the run writes
 * them again when it gets there. A folder the user put other files in stays with them. */
static df_status trim_previews(trainer *t) {
  char root[4200];
  snprintf(root, sizeof root, "%s/previews", t->opt->run_dir);
  DIR *dp = opendir(root);
  if (!dp) return errno == ENOENT ? DF_OK : DF_FAIL(DF_ERR_IO, "%s: cannot list: %s", root, strerror(errno));
  df_status s = DF_OK;
  for (const struct dirent *e; !s && (e = readdir(dp));) {
    long long step;
    int used = 0;
    if (sscanf(e->d_name, "step-%lld%n", &step, &used) != 1 || e->d_name[used] || step <= t->step) continue;
    char dir[4600], ckpt[4200];
    df_run_checkpoint_path(t->opt->run_dir, step, ckpt, sizeof ckpt);
    if (access(ckpt, F_OK) == 0) continue; /* e.g. a newer drumforge's checkpoint, kept */
    snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) continue; /* not ours */
    s = df_model_remove_previews(dir);
    rmdir(dir); /* fails, leaving it, when other files are in it */
  }
  closedir(dp);
  return s;
}

/* The run's logs hold nothing past the current step: lines, events and previews a killed
 * session, or a path the run rolled back from, wrote after it would otherwise appear twice
 * once the run gets there again. Opens the TensorBoard writer (train.tensorboard) once they
 * are trimmed. */
static df_status trim_logs(trainer *t) {
  DF_TRY(trim_metrics(t));
  DF_TRY(trim_previews(t));
  DF_TRY(df_tb_trim(t->opt->run_dir, t->step, t->tb));
  return t->set.tensorboard && !t->tb ? df_tb_open(t->opt->run_dir, &t->tb) : DF_OK;
}

/* ---------------------------------------------------------------- setup */
/* 1 when value (of --set) says what the run's config already has: the same text, or the same
 * number written otherwise (1e-4 and 0.0001). */
static int same_value(const char *was, const char *value) {
  if (!was) return 0;
  size_t n = strlen(value);
  while (n && (value[n - 1] == ' ' || value[n - 1] == '\t')) n--;
  if (strlen(was) == n && !strncmp(was, value, n)) return 1;
  char *end_was, *end_value;
  double a = strtod(was, &end_was), b = strtod(value, &end_value);
  return end_was != was && !*end_was && end_value == value + n && n && a == b;
}

/* On resume --set may change train.* keys but its random streams and batch, which are in the
 * checkpoint. The run's own value is accepted for any key, so the command line that started
 * a run also resumes it. */
static df_status check_resume_override(const df_config *cfg, const char *assignment) {
  static const char *const fixed[] = {"train.seed", "train.batch"};
  size_t k = strcspn(assignment, "= \t");
  char key[256];
  snprintf(key, sizeof key, "%.*s", (int)(k < sizeof key ? k : sizeof key - 1), assignment);
  const char *was = df_config_peek(cfg, key), *value = assignment + k;
  value += strspn(value, "= \t");
  if (same_value(was, value)) return DF_OK;
  if (strncmp(key, "train.", 6))
    return DF_FAIL(DF_ERR_CONFIG, "--set %s: a resumed run may only change train.* keys (the run has %s)", assignment,
                   was ? was : "no such key");
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if (!strcmp(key, fixed[i]))
      return DF_FAIL(DF_ERR_CONFIG, "--set %s: a resumed run keeps its %s %s (the checkpoint holds the state it drives)",
                     assignment, key + 6, was ? was : "");
  return DF_OK;
}

/* Applies "section.key=value"; on resume, a value other than the stored one gets a notice
 * (what the run trained with until now is no longer what config.ini says). */
static df_status set_noting_change(trainer *t, const char *assignment, const char *origin, int resumed) {
  size_t k = strcspn(assignment, "= \t");
  char key[256];
  snprintf(key, sizeof key, "%.*s", (int)(k < sizeof key ? k : sizeof key - 1), assignment);
  const char *was = df_config_peek(t->cfg, key);
  char *before = was ? strdup(was) : NULL;
  df_status s = df_config_set_assignment(t->cfg, assignment, origin);
  const char *now_value = df_config_peek(t->cfg, key);
  if (!s && resumed && before && now_value && strcmp(before, now_value))
    notice(t, "resuming with %s = %s (%s; the run had %s)", key, now_value, origin, before);
  free(before);
  return s;
}

static df_status load_config(trainer *t, const df_checkpoint_state *resumed) {
  const df_train_options *o = t->opt;
  if (resumed) {
    if (o->config_path) notice(t, "resuming: the configuration stored in the run is used (--config %s is ignored)", o->config_path);
    char origin[4300];
    snprintf(origin, sizeof origin, "%s/config.ini", o->run_dir);
    DF_TRY(df_config_parse(resumed->config_text, origin, &t->cfg));
  } else {
    if (!o->config_path)
      return DF_FAIL(DF_ERR_INVALID_ARG, "%s: no checkpoints to resume from and no --config given", o->run_dir);
    DF_TRY(df_config_load(o->config_path, &t->cfg));
  }
  /* --data is recorded as data.path, so the run's config.ini (and eval, report) name the
   * dataset the run really trained on. */
  if (o->data_path) DF_TRY(df_config_set(t->cfg, "data.path", o->data_path, "--data"));
  for (int i = 0; i < o->n_overrides; i++) {
    if (resumed) DF_TRY(check_resume_override(t->cfg, o->overrides[i]));
    DF_TRY(set_noting_change(t, o->overrides[i], "--set", resumed != NULL));
  }
  /* --steps is recorded as train.steps, so that a resume after a preemption, without
   * --steps, still trains to it. */
  if (o->steps > 0) {
    char steps[48];
    snprintf(steps, sizeof steps, "train.steps=%lld", (long long)o->steps);
    DF_TRY(set_noting_change(t, steps, "--steps", 0));
  }
  return DF_OK;
}

/* labelled_only: leave out the examples without a class. */
static df_status open_loader(trainer *t, int labelled_only) {
  df_loader_options lo = {0};
  lo.path = t->set.data_path;
  lo.split = DF_SPLIT_TRAIN;
  lo.batch_size = (int)t->set.batch;
  lo.seed = t->set.seed;
  lo.classes = t->set.classes;
  lo.labelled_only = labelled_only;
  lo.device = t->opt->device;
  DF_TRY(df_loader_open(&lo, &t->loader));
  t->info = *df_loader_info(t->loader);
  for (int i = 0; i < t->info.n_classes; i++) t->class_ptrs[i] = t->info.class_names[i];
  df_loader_class_counts(t->loader, t->class_counts);
  t->data = (df_train_data){next_batch, t, (int)t->set.batch, t->info.rate, t->info.n_classes, t->class_ptrs,
                            t->class_counts};
  return DF_OK;
}

/* A conditional model cannot train on an example without a class: the training split's
 * unlabelled examples are left out (else the run would stop at the first batch holding one,
 * maybe hours in). The loader is opened again before the first batch, so the batches (and a
 * resumed loader position) are those of the labelled examples alone. */
static df_status leave_out_unlabelled(trainer *t) {
  if (t->type->n_classes(t->model) == 0) return DF_OK;
  int64_t labelled = 0;
  for (int i = 0; i < t->info.n_classes; i++) labelled += t->class_counts[i];
  const int64_t unlabelled = t->info.examples - labelled;
  if (unlabelled <= 0) return DF_OK;
  df_loader_close(t->loader);
  t->loader = NULL;
  DF_TRY(open_loader(t, 1));
  notice(t, "%s: %lld unlabelled training example(s) left out: a conditional model needs the class of every "
         "example", t->set.data_path, (long long)unlabelled);
  return DF_OK;
}

static df_status write_run_config(trainer *t) {
  DF_TRY(df_config_resolved_text(t->cfg, &t->config_text));
  char path[4200];
  snprintf(path, sizeof path, "%s/config.ini", t->opt->run_dir);
  return df_write_file_atomic(path, t->config_text, strlen(t->config_text));
}

/* The model must take the dataset's sounds as they are (the loader does not crop or pad). */
static df_status check_audio_shape(const trainer *t) {
  int channels;
  int64_t length;
  t->type->audio_shape(t->model, &channels, &length);
  if (channels == t->info.channels && length == t->info.length) return DF_OK;
  return DF_FAIL(DF_ERR_CONFIG,
                 "%s: the dataset's sounds are %lld samples, %d channel(s); this %s model's are %lld samples, "
                 "%d channel(s): set the model's length and channels to the dataset's, or prepare it with "
                 "--length/--channels", t->set.data_path, (long long)t->info.length, t->info.channels,
                 t->type->name, (long long)length, channels);
}

/* One train per run folder: RUN/.lock is flock'ed for the run (released when the process
 * ends, however it ends). */
static df_status lock_run_dir(trainer *t) {
  char path[4200];
  snprintf(path, sizeof path, "%s/.lock", t->opt->run_dir);
  t->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (t->lock_fd < 0) return DF_FAIL(DF_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
  if (flock(t->lock_fd, LOCK_EX | LOCK_NB) != 0)
    return DF_FAIL(errno == EWOULDBLOCK ? DF_ERR_INVALID_ARG : DF_ERR_IO, "%s: %s", t->opt->run_dir,
                   errno == EWOULDBLOCK ? "another drumforge train is running in this run folder" : strerror(errno));
  return DF_OK;
}

/* Creates and locks the run folder once the run is known to start; created_run and found_empty note
 * that this session made it or found it empty (so that a failure before the first step can
 * remove it, or what it wrote there, again). */
static df_status make_run_dir(trainer *t) {
  const char *run = t->opt->run_dir;
  t->created_run = mkdir(run, 0777) == 0;
  if (!t->created_run && errno != EEXIST) { /* parent folders missing */
    DF_TRY(df_mkdirs(run));
    t->created_run = 1;
  }
  const int empty = !t->created_run && df_run_folder_empty(run);
  char sub[4200];
  snprintf(sub, sizeof sub, "%s/checkpoints", run);
  DF_TRY(df_mkdirs(sub));
  DF_TRY(lock_run_dir(t));
  t->found_empty = empty; /* only once the folder is ours: never empty another train's */
  return DF_OK;
}

/* A resumed run goes on with the sounds, classes and step limit it has: a dataset at another
 * rate, or with other classes (their label ids would swap), would silently train another
 * model, and a step limit below the checkpoint's step would stop at once without a word. */
static df_status check_resume_fits(const trainer *t, const char *ckpt, const df_checkpoint_state *st) {
  if (t->set.steps < st->step)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s is at step %lld, past the step limit %lld (%s): give a larger --steps to train further",
                   t->opt->run_dir, (long long)st->step, (long long)t->set.steps, t->opt->steps > 0 ? "--steps" : "train.steps");
  if (st->sample_rate && st->sample_rate != t->info.rate)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: its sounds are %d Hz, %s was trained on %d Hz: resume with the run's dataset (--data), or start a new run",
                   t->set.data_path, t->info.rate, ckpt, st->sample_rate);
  int same = st->n_classes == t->info.n_classes;
  for (int i = 0; same && i < st->n_classes; i++) same = !strcmp(st->class_names[i], t->info.class_names[i]);
  if (!same) {
    char had[DF_MAX_CLASSES * DF_CLASS_NAME_LEN + 16] = "", has[sizeof had] = "";
    for (int i = 0; i < st->n_classes; i++) snprintf(had + strlen(had), sizeof had - strlen(had), "%s%s", i ? "," : "", st->class_names[i]);
    for (int i = 0; i < t->info.n_classes; i++) snprintf(has + strlen(has), sizeof has - strlen(has), "%s%s", i ? "," : "", t->info.class_names[i]);
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s: its classes (%s) are not those %s was trained with (%s): resume with the run's dataset (--data), or start a new run",
                   t->set.data_path, has[0] ? has : "none", ckpt, had[0] ? had : "none");
  }
  return DF_OK;
}

/* With train.eval_every_checkpoint, the checkpoint resumed from is evaluated when
 * metrics.jsonl lacks its line: a session killed during that evaluation (minutes on a CPU), or
 * one that had evaluation off. The numbers are the uninterrupted run's: the evaluation depends
 * on the weights and the seed only. */
static df_status complete_evaluation(trainer *t, const char *ckpt) {
  if (!t->eval || t->step_evaluated) return DF_OK;
  notice(t, "evaluating %s (its evaluation is not in metrics.jsonl)", ckpt);
  df_training_classes trained = {t->info.n_classes, t->class_ptrs, t->class_counts};
  return df_eval_hook_checkpoint(t->eval, t->type, t->model, &trained, t->step, ckpt);
}

/* Everything before the first step; resumed: the state of the checkpoint at resume_path
 * (NULL: a new run). */
static df_status setup_run(trainer *t, const df_checkpoint_state *resumed, const char *resume_path) {
  const df_train_options *o = t->opt;
  DF_TRY(load_config(t, resumed));
  DF_TRY(read_settings(t->cfg, &t->set));
  const char *type_name;
  DF_TRY(df_config_string(t->cfg, "model.type", "wavegan", &type_name));
  t->type = df_model_type_find(type_name);
  if (!t->type) return DF_CONFIG_FAIL(t->cfg, "model.type", "unknown model '%s' (known: %s)", type_name, df_model_type_list());
  DF_TRY(open_loader(t, 0));
  if (resumed) DF_TRY(check_resume_fits(t, resume_path, resumed));
  df_rng_init(&t->rng, t->set.seed);
  DF_TRY(t->type->create(t->cfg, o->device, &t->data, &t->rng, &t->model));
  DF_TRY(leave_out_unlabelled(t));
  DF_TRY(check_audio_shape(t));
  DF_TRY(df_config_check_unused(t->cfg));
  t->n_sets = t->type->n_param_sets(t->model);
  for (int i = 0; i < t->n_sets; i++) t->sets[i] = t->type->param_set(t->model, i);
  DF_TRY(make_run_dir(t));
  /* What killed runs left: temporary files of writes that never finished. */
  char sub[4300];
  snprintf(sub, sizeof sub, "%s/checkpoints", o->run_dir);
  df_remove_stale_temporaries(o->run_dir, NULL, 0);
  df_remove_stale_temporaries(sub, NULL, 0);
  if (!resumed) DF_TRY(write_run_config(t));
  if (t->set.eval_every_checkpoint)
    DF_TRY(df_eval_hook_open(o->run_dir, t->set.data_path, o->device,
                             (int)t->set.eval_count, t->set.seed, o->log, o->ctx, &t->eval));
  if (resumed) DF_TRY(restore(t, resume_path));
  DF_TRY(trim_logs(t));
  if (resumed) {
    /* Only now: a resume that fails (e.g. --data that does not fit) leaves config.ini alone. */
    DF_TRY(write_run_config(t));
    set_aside_unusable(t);
    notice(t, "resumed from %s (step %lld)", resume_path, (long long)t->step);
    DF_TRY(complete_evaluation(t, resume_path));
    if (t->step == t->set.steps)
      notice(t, "the run is already at its step limit %lld: give a larger --steps to train further", (long long)t->step);
  }
  return DF_OK;
}

static df_status setup(trainer *t) {
  const df_train_options *o = t->opt;
  int64_t *steps;
  int n;
  DF_TRY(df_run_list_checkpoints(o->run_dir, &steps, &n));
  free(steps);
  if (n > 0 && o->resume == DF_RESUME_NEVER)
    return DF_FAIL(DF_ERR_INVALID_ARG, "%s already has %d checkpoint(s): resume it (the default) or use another --run",
                   o->run_dir, n);
  if (n == 0 && o->resume != DF_RESUME_REQUIRE) return setup_run(t, NULL, NULL);
  df_checkpoint_state resumed;
  char resume_path[4200];
  DF_TRY(newest_valid(t, resume_path, sizeof resume_path, &resumed));
  df_status s = setup_run(t, &resumed, resume_path);
  df_checkpoint_state_free(&resumed);
  return s;
}

static void teardown(trainer *t) {
  if (t->lock_fd >= 0) close(t->lock_fd);
  df_tb_close(t->tb);
  df_eval_hook_close(t->eval);
  if (t->model) t->type->destroy(t->model);
  if (t->loader) df_loader_close(t->loader);
  df_config_free(t->cfg);
  free(t->config_text);
  free(t->unusable);
}

/* ---------------------------------------------------------------- the loop */
/* A run that fails before its first step leaves no folder behind that looks like a run
 * (best effort: the failure's own message is what the caller reports). */
static void remove_failed_run(const trainer *t) {
  if ((t->created_run || t->found_empty) && t->step == 0) df_run_remove_tree(t->opt->run_dir, t->found_empty);
}

/* A loss or the weights turned non-finite at `step` (what: how): with train.on_nan = rollback,
 * back to the last checkpoint (at most 3 times from one checkpoint; DF_OK: go on from there),
 * else the run stops naming the step and the last good checkpoint. *rollbacks counts the
 * rollbacks since that checkpoint was written or loaded, and picks the part of the stream the
 * run continues on: a session killed after a rollback resumes from that checkpoint, diverges
 * at the same step again and takes the same numbers, so it stays the uninterrupted run. */
static df_status diverged(trainer *t, int64_t step, const char *what, int *rollbacks) {
  if (t->set.rollback_on_nan && t->last_ckpt[0] && *rollbacks < 3) {
    (*rollbacks)++;
    notice(t, "step %lld: %s; rolling back to %s (rollback %d of 3)", (long long)step, what, t->last_ckpt, *rollbacks);
    char path[4200];
    snprintf(path, sizeof path, "%s", t->last_ckpt);
    DF_TRY(restore(t, path));
    DF_TRY(trim_logs(t));
    /* The same path would diverge again: continue on another part of the stream. */
    t->rng.offset += (uint64_t)*rollbacks << 40;
    return DF_OK;
  }
  return DF_FAIL(DF_ERR_NUMERIC, "step %lld: %s; the run stopped. Last good checkpoint: %s", (long long)step, what,
                 t->last_ckpt[0] ? t->last_ckpt : "none yet");
}

static df_status train_run(const df_train_options *opt, df_train_result *result) {
  trainer t;
  memset(&t, 0, sizeof t);
  t.lock_fd = -1;
  t.opt = opt;
  t.session_start = now();
  memset(result, 0, sizeof *result);
  df_status s = setup(&t);
  if (s) {
    teardown(&t);
    remove_failed_run(&t);
    return s;
  }
  df_signals_install();
  df_metrics m;
  int64_t first_step = t.step, saved_step = t.step;
  double last_ckpt_time = now();
  int rollbacks = 0;
  while (t.step < t.set.steps) {
    if (df_signals_stop_requested()) break;
    df_metrics_clear(&m);
    s = t.type->train_step(t.model, &t.data, &t.rng, &m);
    if (s) break;
    const char *bad = df_metrics_nonfinite(&m);
    if (bad) {
      double value = NAN;
      for (int i = 0; i < m.n; i++)
        if (m.names[i] == bad) value = m.values[i];
      char what[160];
      snprintf(what, sizeof what, "%s is %g", bad, value);
      s = diverged(&t, t.step + 1, what, &rollbacks);
      if (s) break;
      continue;
    }
    t.step++;
    double elapsed = now() - t.session_start;
    double rate = (double)(t.step - first_step) / (elapsed > 0 ? elapsed : 1e-9);
    if (t.step % t.set.log_every == 0 || t.step == first_step + 1 || t.step == t.set.steps) {
      s = append_metrics(&t, &m, rate);
      if (!s && t.tb) s = metrics_to_tensorboard(&t, &m, rate);
      if (s) break;
    }
    if (opt->progress) {
      df_train_progress p = {t.step, t.set.steps, t.elapsed_before + elapsed, rate,
                             rate > 0 ? (double)(t.set.steps - t.step) / rate : 0, &m};
      opt->progress(opt->ctx, &p);
    }
    int due = t.step % t.set.ckpt_steps == 0 || t.step == t.set.steps ||
              now() - last_ckpt_time >= 60.0 * t.set.ckpt_minutes;
    if (due) {
      int nonfinite;
      s = save_checkpoint(&t, &nonfinite);
      if (nonfinite) { /* finite losses, but the weights diverged: not saved */
        char what[1200];
        snprintf(what, sizeof what, "not saved: %s", df_last_error());
        s = diverged(&t, t.step, what, &rollbacks);
        if (s) break;
        continue;
      }
      if (s) break;
      saved_step = t.step;
      rollbacks = 0; /* counted per checkpoint (see diverged) */
      last_ckpt_time = now();
      notice(&t, "checkpoint %s", t.last_ckpt);
    }
  }
  int stop = df_signals_stop_requested();
  if (!s && stop && t.step != saved_step) {
    int nonfinite;
    s = save_checkpoint(&t, &nonfinite);
    if (!s) notice(&t, "stopped by signal %d: checkpoint %s", stop, t.last_ckpt);
  }
  df_signals_restore();
  result->step = t.step;
  /* A signal during the last step stopped nothing: the run is complete (its checkpoint due). */
  result->stopped_by_signal = stop != 0 && t.step < t.set.steps;
  snprintf(result->last_checkpoint, sizeof result->last_checkpoint, "%s", t.last_ckpt);
  teardown(&t);
  if (s) remove_failed_run(&t);
  return s;
}

df_status df_train_run(const df_train_options *opt, df_train_result *result) {
  /* Batches have a fixed size here: the faster batched CPU GEMMs are as reproducible. */
  const int invariant = df_batch_invariant();
  df_set_batch_invariant(0);
  df_status s = train_run(opt, result);
  df_set_batch_invariant(invariant);
  return s;
}

df_status df_train_check_config(const char *path, int data_classes) {
  df_config *cfg;
  DF_TRY(df_config_load(path, &cfg));
  train_settings set;
  const char *type_name;
  const df_model_type *type = NULL;
  void *model = NULL;
  static const char *const names[DF_MAX_CLASSES] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7",
                                                    "c8", "c9", "c10", "c11"};
  df_train_data info = {NULL, NULL, 1, 16000, data_classes, names, NULL};
  df_rng rng;
  df_rng_init(&rng, 0);
  df_status s = read_settings(cfg, &set);
  if (!s) s = df_config_string(cfg, "model.type", "wavegan", &type_name);
  if (!s && !(type = df_model_type_find(type_name)))
    s = DF_FAIL(DF_ERR_CONFIG, "%s: model.type: unknown model '%s' (known: %s)", path, type_name, df_model_type_list());
  if (!s) s = type->create(cfg, DF_DEVICE_CPU, &info, &rng, &model);
  if (!s) s = df_config_check_unused(cfg);
  if (model) type->destroy(model);
  df_config_free(cfg);
  return s;
}
