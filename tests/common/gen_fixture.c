#include "common/gen_fixture.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/testlib.h"
#include "drumforge/audio.h"
#include "drumforge/checkpoint.h"

static int make_checkpoint(const char *path, int d, int conditional, uint64_t seed, const char *extra_config,
                           int poison) {
  static const char *const names[] = {"kick", "snare", "hh_closed"};
  char text[1024];
  snprintf(text, sizeof text, "[model]\ntype = wavegan\nd = %d\nslice_len = 16384\nconditional = %s\nclass_embed = 8\n%s",
           d, conditional ? "true" : "false", extra_config ? extra_config : "");
  df_config *cfg;
  if (df_config_parse(text, "test config", &cfg) != DF_OK) return 1;
  const df_model_type *type = df_model_type_find("wavegan");
  df_train_data info = {NULL, NULL, 1, 16000, conditional ? 3 : 0, names, NULL};
  df_rng rng;
  df_rng_init(&rng, seed);
  void *model = NULL;
  df_status s = type->create(cfg, DF_DEVICE_CPU, &info, &rng, &model);
  df_checkpoint_state st;
  memset(&st, 0, sizeof st);
  if (!s) s = df_config_resolved_text(cfg, &st.config_text);
  df_config_free(cfg);
  df_param_set *sets[8];
  df_param *last_bias = NULL;
  int n = s ? 0 : type->n_param_sets(model);
  for (int i = 0; i < n; i++) {
    sets[i] = type->param_set(model, i);
    /* Biases and batch-norm statistics start at 0 (and 1): make them count. */
    for (int k = 0; k < sets[i]->n; k++) {
      df_param *p = sets[i]->items[k];
      int64_t count = df_tensor_numel(&p->value);
      if (strstr(p->name, "bias") || strstr(p->name, "running_mean"))
        df_test_fill_uniform(p->value.data, count, seed + 100 + (uint64_t)k, -0.05f, 0.05f);
      if (strstr(p->name, "running_var")) df_test_fill_uniform(p->value.data, count, seed + 100 + (uint64_t)k, 0.5f, 1.5f);
      if (i == 0 && strstr(p->name, "bias")) last_bias = p; /* set 0: the generator */
    }
  }
  /* The output layer's bias: every sample comes out NaN (earlier, a ReLU could hide it). */
  if (poison && last_bias)
    for (int64_t i = 0; i < df_tensor_numel(&last_bias->value); i++) ((float *)last_bias->value.data)[i] = NAN;
  snprintf(st.model_type, sizeof st.model_type, "wavegan");
  st.step = 7;
  st.sample_rate = 16000;
  st.n_classes = conditional ? 3 : 0;
  for (int i = 0; i < st.n_classes; i++) snprintf(st.class_names[i], sizeof st.class_names[i], "%s", names[i]);
  /* A conditional model records training examples per class, as the trainer's do. */
  st.has_class_examples = conditional;
  for (int i = 0; i < st.n_classes; i++) st.class_examples[i] = 10 + 3 * i;
  df_rng_init(&st.rng, seed);
  if (!s) s = df_checkpoint_save(path, sets, n, &st, 0);
  if (s) fprintf(stderr, "make checkpoint: %s\n", df_last_error());
  free(st.config_text);
  if (model) type->destroy(model);
  return s != DF_OK;
}

int df_test_make_checkpoint(const char *path, int d, int conditional, uint64_t seed, const char *extra_config) {
  return make_checkpoint(path, d, conditional, seed, extra_config, 0);
}

int df_test_make_nan_checkpoint(const char *path, uint64_t seed) { return make_checkpoint(path, 4, 0, seed, NULL, 1); }

int df_test_generate_setup(const char *name, int conditional, uint64_t seed, char *dir, size_t dir_len,
                           char *ckpt, size_t ckpt_len) {
  df_test_scratch_dir(name, dir, dir_len);
  snprintf(ckpt, ckpt_len, "%s/model.safetensors", dir);
  if (df_test_make_checkpoint(ckpt, 4, conditional, seed, NULL) == 0) return 1;
  df_test_fail("make a checkpoint", "%s", df_last_error());
  return 0;
}

int df_test_generate(const char *dir, const char *ckpt, const char *out, const char *args) {
  char cmd[12000], *err;
  snprintf(cmd, sizeof cmd, "generate --checkpoint '%s' --out '%s/%s' --device cpu --quiet %s", ckpt, dir, out, args);
  int rc = df_test_drumforge(dir, cmd, &err);
  if (rc) printf("generate %s: exit %d: %s", out, rc, err);
  free(err);
  return rc == 0;
}

void df_test_generate_options(df_generate_options *o, df_loaded_model *m, const char *out_dir, int64_t count) {
  memset(o, 0, sizeof *o);
  o->model = m;
  o->out_dir = out_dir;
  o->count = count;
  o->source = DF_LATENTS_SEED;
  o->truncation = 1.0f;
  o->batch = 2;
  o->workers = 1;
  o->format = "wav";
  o->encoding = DF_AUDIO_PCM16;
}

int df_test_drumforge(const char *dir, const char *args, char **err) {
  char cmd[16384], out_path[4200], err_path[4200];
  snprintf(out_path, sizeof out_path, "%s/cmd.stdout", dir);
  snprintf(err_path, sizeof err_path, "%s/cmd.stderr", dir);
  snprintf(cmd, sizeof cmd, "'%s' %s > '%s' 2> '%s'", DF_DRUMFORGE_EXE, args, out_path, err_path);
  int rc = system(cmd);
  if (err) {
    size_t len;
    if (df_read_file(err_path, err, &len) != DF_OK) *err = calloc(1, 1);
  }
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int64_t df_test_count_lines(const char *path) {
  FILE *fp = fopen(path, "r");
  if (!fp) return 0;
  int64_t n = 0;
  for (int c; (c = fgetc(fp)) != EOF;)
    if (c == '\n') n++;
  fclose(fp);
  return n;
}

int64_t df_test_count_files(const char *dir, const char *suffix) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int64_t n = 0;
  size_t ls = strlen(suffix);
  for (struct dirent *e; (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (l >= ls && !strcmp(e->d_name + l - ls, suffix)) n++;
  }
  closedir(d);
  return n;
}

static double band_share(const df_audio *a, double lo, double hi) {
  const int n = 512;
  double in = 0, all = 0;
  for (int64_t start = 0; start + n <= a->frames; start += n)
    for (int k = 1; k < n / 2; k++) {
      double re = 0, im = 0;
      for (int t = 0; t < n; t++) {
        re += a->data[start + t] * cos(2 * M_PI * k * t / n);
        im -= a->data[start + t] * sin(2 * M_PI * k * t / n);
      }
      double e = re * re + im * im, f = (double)k * a->rate / n;
      all += e;
      if (f >= lo && f < hi) in += e;
    }
  return all > 0 ? in / all : 0;
}

double df_test_class_band_share(const char *dir, const char *cls, int count, double lo, double hi) {
  double sum = 0;
  for (int i = 0; i < count; i++) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s_%06d.wav", dir, cls, i);
    df_audio a;
    if (df_audio_read(path, NULL, &a) != DF_OK) return -1;
    sum += band_share(&a, lo, hi);
    df_audio_free(&a);
  }
  return count > 0 ? sum / count : -1;
}
